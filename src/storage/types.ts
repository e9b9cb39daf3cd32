/**
 * The Store: everything Trent keeps durably, behind one narrow interface that every back end
 * (memory for tests, SQLite embedded, PostgreSQL later) implements and that one contract suite
 * (test/storage/store.case.ts) checks.
 *
 * Each method is atomic on its own, and `transaction(fn)` makes several one: all of them or none
 * are applied, and no other writer interleaves. Concurrent changes to one key are serialised with
 * an optimistic revision: updateKey writes only if the stored revision is still the one the
 * caller read, so two servers sharing a database cannot lose each other's state changes.
 *
 * `onChange(listener)` is the store's change signal: the listener is called when the store learns
 * that what it holds has changed, at once for this process's own writes (with the key id when
 * one key was written) and, for commits by another process sharing the database, before the
 * store answers its next read with them (with no key id: anything may have changed). So a cache
 * of what the store holds (the unwrapped-material cache) drops entries before any request can
 * act on the change, since every request reads its key record first.
 *
 * Key material is stored only wrapped by the root key (crypto/root-key.ts). Enums are stored as
 * their AWS spellings.
 *
 * A key is identified by its key id and its Region (KeyLocation). A single-Region key has one
 * record; a multi-Region key (id `mrk-...`) has one record per Region, its primary and its
 * replicas, all in one account. Everything a key owns (material versions, aliases, grants, last
 * use) belongs to one regional record and goes when that record is deleted; the other Regions'
 * records of the same id are untouched.
 */
import type { GrantOperation, KeySpec, KeyUsageType } from '../kms-types.generated.js';


export type KeyState =
  | 'Enabled'
  | 'Disabled'
  | 'PendingDeletion'
  | 'PendingImport'
  | 'Unavailable'
  /** A multi-Region primary key whose deletion waits for its replicas to be deleted. */
  | 'PendingReplicaDeletion';

export interface Scope {
  account: string;
  region: string;
}

/** One regional key: a multi-Region key has one record per Region, all with one key id. */
export interface KeyLocation {
  keyId: string;
  region: string;
}

export interface Tag {
  TagKey: string;
  TagValue: string;
}

export interface KeyRecord extends Scope {
  keyId: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  description: string;
  keySpec: KeySpec;
  keyUsage: KeyUsageType;
  origin: 'AWS_KMS' | 'EXTERNAL';
  state: KeyState;
  /** When a key pending deletion is deleted (ms since the epoch). */
  deletionDate?: number;
  pendingWindowInDays?: number;
  policy: string;
  tags: Tag[];
  /** The version new ciphertexts use; 0 while the key has no material (PendingImport). */
  currentMaterialVersion: number;
  /** DER SubjectPublicKeyInfo of an asymmetric key. */
  publicKey?: Buffer;
  /** Automatic rotation's period in days: present exactly while automatic rotation is enabled. */
  rotationPeriodInDays?: number;
  /** When automatic rotation next rotates the key (ms since the epoch); with rotationPeriodInDays. */
  nextRotationDate?: number;
  /**
   * Since when the key's use is tracked (GetKeyLastUsage's TrackingStartDate), for keys created
   * before Trent tracked use; absent when tracked since creation.
   */
  usageTrackedSince?: number;
  /** Imported material (Origin EXTERNAL): whether the current material expires, and when (ms). */
  expirationModel?: ExpirationModel;
  validTo?: number;
  /**
   * Multi-Region keys only: the Region of the primary key of this key id (the record is the
   * primary when primaryRegion === region). Absent for single-Region keys.
   */
  primaryRegion?: string;
  /** Incremented by every update; see updateKey. */
  revision: number;
}

export interface KeyMaterialRecord {
  keyId: string;
  /**
   * The Region of the key record that owns this version. A multi-Region replica holds its own
   * copy of the (identical) wrapped material: the root key's wrapping binds key id and version,
   * not the Region.
   */
  region: string;
  version: number;
  /** AWS's KeyMaterialId: 64 lowercase hex characters, not secret. */
  materialId: string;
  /** The material wrapped by the root key. */
  wrapped: Buffer;
  /** When the version was made; for a rotation, its RotationDate. */
  createdAt: number;
  /** The rotation that made this version; absent for a key's first material. */
  rotationType?: RotationType;
  /**
   * Imported material only: IMPORTED, or PENDING_IMPORT once deleted or expired (then `wrapped`
   * is empty; the record keeps its KeyMaterialId so the same material can be imported again).
   */
  importState?: 'IMPORTED' | 'PENDING_IMPORT';
  /** ImportKeyMaterial's KeyMaterialDescription. */
  description?: string;
}

/** AWS's ExpirationModelType, stored as spelled. */
export type ExpirationModel = 'KEY_MATERIAL_EXPIRES' | 'KEY_MATERIAL_DOES_NOT_EXPIRE';

/**
 * The last successful cryptographic operation with a key (GetKeyLastUsage). Written in batches
 * (domain/key-usage.ts), never announced on the change signal: it changes no key.
 */
export interface KeyUsageRecord {
  keyId: string;
  /** The Region of the key record used: each regional record has its own last use. */
  region: string;
  /** The operation's name, as AWS spells it (Encrypt, Decrypt, ...). */
  operation: string;
  /** When it succeeded (ms since the epoch). */
  at: number;
  /** Its x-amzn-RequestId, which the audit log carries. */
  requestId: string;
  /** The eventID of its audit record (GetKeyLastUsage's CloudTrailEventId); none with the audit log off. */
  eventId?: string;
}

/** AWS's RotationType, stored as spelled. */
export type RotationType = 'AUTOMATIC' | 'ON_DEMAND';

export interface AliasRecord extends Scope {
  /** Full name, `alias/...`. */
  aliasName: string;
  /** The key's id; the key is the record in the alias's Region, and deleting it deletes the alias. */
  targetKeyId: string;
  createdAt: number;
  updatedAt: number;
}

/** A grant's constraints, as CreateGrant took them (AWS's GrantConstraints). */
export interface GrantConstraintsRecord {
  EncryptionContextEquals?: Record<string, string>;
  EncryptionContextSubset?: Record<string, string>;
  /** aws:SourceArn of the newest API: the AWS resource on whose behalf a service calls. */
  SourceArn?: string;
}

/**
 * A grant on one regional key (domain/grants.ts). Its scope is the key's; grants go when their
 * key record (keyId, region) does.
 * A grant to a service principal (newest API) has it as granteePrincipal too, as ListGrants shows
 * it, and in granteeServicePrincipal.
 */
export interface GrantRecord extends Scope {
  /** 64 lowercase hex digits, as AWS's. */
  grantId: string;
  keyId: string;
  name?: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  granteeServicePrincipal?: string;
  retiringServicePrincipal?: string;
  operations: GrantOperation[];
  constraints?: GrantConstraintsRecord;
  /** `arn:<partition>:iam::<account>:root` of the account that created the grant. */
  issuingAccount: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

export interface PageRequest {
  limit: number;
  /** Return items strictly after this one (a key id, an alias name or a grant id). */
  after?: string;
}

/**
 * A pre-generated key pair in the durable reserve (domain/key-pair-reserve.ts): made in the
 * background, kept until one request claims it, then gone from the store.
 */
export interface ReservedPairRecord {
  /** Random, unique in the store: 32 lowercase hex digits. */
  id: string;
  /** The DataKeyPairSpec, AWS spelling (`RSA_4096`). */
  spec: string;
  /** DER SubjectPublicKeyInfo. Not secret. */
  publicKey: Buffer;
  /** The DER PKCS#8 private key wrapped by the root key, bound to id, spec and public key. */
  wrapped: Buffer;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** Told of a change: the key written, or undefined when anything may have changed. */
export type ChangeListener = (keyId: string | undefined) => void;

export interface Store {
  /**
   * Runs `fn` as one transaction: every write it makes through `tx` commits together when it
   * resolves, and none does if it throws (the error is rethrown). Other writers wait. `fn` must
   * only await the store: no key generation, no network, nothing slow while the store is held.
   */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  /** Subscribes to the change signal; returns the function that unsubscribes. */
  onChange(listener: ChangeListener): () => void;

  /**
   * Inserts a key and its first material (absent for keys pending import) atomically; the
   * material is stored as the new record's, in key.region. Throws if a record with the same key
   * id exists in the key's Region (another Region's is fine).
   */
  createKey(key: KeyRecord, material?: KeyMaterialRecord): Promise<void>;
  /** The record of `keyId` in scope.region, if it is in scope.account. */
  getKey(scope: Scope, keyId: string): Promise<KeyRecord | undefined>;
  /**
   * Replaces the record at (key.keyId, key.region) in key.account if its stored revision equals
   * `expectedRevision`, storing `key.revision = expectedRevision + 1`. Returns false (and writes
   * nothing) otherwise. Each regional record has its own revision.
   */
  updateKey(key: KeyRecord, expectedRevision: number): Promise<boolean>;
  /**
   * Deletes the record of `keyId` in scope.region with its material, aliases, grants and usage;
   * the same key id's records in other Regions, and what they own, are untouched. With
   * `expectedRevision`, only if the record is still at that revision (so a deletion never
   * overrides a change made since it was decided). Returns false if nothing was deleted.
   */
  deleteKey(scope: Scope, keyId: string, expectedRevision?: number): Promise<boolean>;
  /** Keys of one scope ordered by key id. */
  listKeys(scope: Scope, page: PageRequest): Promise<KeyRecord[]>;
  /**
   * Key records of every scope ordered by (key id, Region), those strictly after `after` (what
   * `trent export` reads).
   */
  listAllKeys(page: { limit: number; after?: KeyLocation }): Promise<KeyRecord[]>;
  /**
   * Every regional record of one key id in one account, ordered by Region: a multi-Region key's
   * primary and replicas. Empty if there is none.
   */
  keyRegions(account: string, keyId: string): Promise<KeyRecord[]>;
  /** Keys in any scope pending deletion with a deletion date at or before `now`. */
  keysDueForDeletion(now: number, limit: number): Promise<KeyRecord[]>;
  /** How many keys, in every scope, are in each key state (states with none are absent). */
  countKeysByState(): Promise<Record<string, number>>;

  /** One material version of one regional key. */
  getMaterial(key: KeyLocation, version: number): Promise<KeyMaterialRecord | undefined>;
  /**
   * Appends `material` as a new version of its key (material.keyId in scope.region; material.
   * region must be scope.region) and makes it the current one, in one step: the key's
   * currentMaterialVersion becomes material.version and its revision `expectedRevision + 1`.
   * Writes nothing and returns false if the key is not at `expectedRevision` (or is gone) or the
   * version already exists.
   */
  addMaterial(scope: Scope, material: KeyMaterialRecord, expectedRevision: number): Promise<boolean>;
  /**
   * A regional key's material versions in version order, those after version `after` (all when
   * absent), at most `limit` (ListKeyRotations pages through them). Wrapped material as stored.
   */
  listMaterials(key: KeyLocation, page: { limit: number; after?: number }): Promise<KeyMaterialRecord[]>;
  /**
   * Enabled keys in any scope with a nextRotationDate at or before `now`, soonest first: what
   * the rotation sweep rotates (domain/rotation.ts). A rotation itself is a transaction of
   * addMaterial and updateKey under the revision read, so one rotation happens per due date
   * however many servers sweep.
   */
  keysDueForRotation(now: number, limit: number): Promise<KeyRecord[]>;

  /**
   * Stores a batch of key uses in one write: for each regional key (keyId, region), the use
   * replaces the stored one unless that one is later (several servers flush out of order). Uses
   * of regional keys that no longer exist are dropped. Not announced on the change signal.
   */
  recordKeyUsage(usages: readonly KeyUsageRecord[]): Promise<void>;

  /**
   * Writes a material version of (material.keyId, material.region) whether or not it exists
   * (imported material: imported again, deleted, expired; a replica's copy), leaving the key
   * record alone; run it in a transaction with the key's updateKey. Returns false, writing
   * nothing, if that regional key does not exist.
   */
  putMaterial(material: KeyMaterialRecord): Promise<boolean>;
  /** Keys in any scope whose imported material's validTo is at or before `now`, soonest first. */
  keysWithExpiredMaterial(now: number, limit: number): Promise<KeyRecord[]>;
  /** The stored last use of a regional key; deleted with that record. */
  getKeyUsage(key: KeyLocation): Promise<KeyUsageRecord | undefined>;

  /** Inserts an alias; returns false if the name is taken in that scope. */
  createAlias(alias: AliasRecord): Promise<boolean>;
  getAlias(scope: Scope, aliasName: string): Promise<AliasRecord | undefined>;
  /** Points an existing alias at another key; returns false if the alias does not exist. */
  updateAlias(alias: AliasRecord): Promise<boolean>;
  deleteAlias(scope: Scope, aliasName: string): Promise<boolean>;
  /** Aliases of one scope ordered by name, optionally only those of one key. */
  listAliases(scope: Scope, page: PageRequest & { keyId?: string }): Promise<AliasRecord[]>;

  /**
   * Stores a grant, unless one with the same key, name, grantee, retiring principal, operations
   * (as a set) and constraints exists: then that one is returned and nothing is written (AWS's
   * retry rule for CreateGrant with a Name), in one atomic step. Grants without a name are
   * always new. Returns undefined, writing nothing, if the grant's key is not in its scope.
   */
  createGrant(grant: GrantRecord): Promise<GrantRecord | undefined>;
  getGrant(scope: Scope, keyId: string, grantId: string): Promise<GrantRecord | undefined>;
  /** A key's grants ordered by grant id, optionally only one grant id or one grantee. */
  listGrants(scope: Scope, keyId: string, page: PageRequest & { grantId?: string; granteePrincipal?: string }): Promise<GrantRecord[]>;
  /** Grants of keys of any account in `region` that name `retiringPrincipal`, by grant id. */
  listRetirableGrants(region: string, retiringPrincipal: string, page: PageRequest): Promise<GrantRecord[]>;
  /** Every grant of one key to one grantee: what an access decision reads (one indexed query). */
  grantsForGrantee(scope: Scope, keyId: string, granteePrincipal: string): Promise<GrantRecord[]>;
  /** Deletes one grant (retired or revoked); false if there was no such grant. */
  deleteGrant(scope: Scope, keyId: string, grantId: string): Promise<boolean>;

  /**
   * One stored key material record, whichever: a root key is proven on it when the database
   * has no root key check value yet (one created before check values). Undefined if none.
   */
  anyMaterial(): Promise<KeyMaterialRecord | undefined>;

  /** The stored check value of the root key (crypto/root-key.ts), if one was recorded. */
  rootKeyCheck(): Promise<string | undefined>;
  /**
   * Stores `value` as the root key check value unless one is already stored, and returns the
   * one stored: the first writer wins when several servers start together, and each compares
   * its own value with what it gets back.
   */
  setRootKeyCheckIfAbsent(value: string): Promise<string>;

  /**
   * The durable key-pair reserve. Adds `pairs` (all or none), each with an id not yet stored.
   * Pairs are not key records: this connection's adds and claims do not fire the change signal
   * (another connection's may, as any commit it sees may).
   */
  addReservedPairs(pairs: readonly ReservedPairRecord[]): Promise<void>;
  /**
   * Claims up to `limit` pairs of `spec`, oldest first: deletes them and returns them in one
   * atomic, durable step, so each stored pair is returned by exactly one call, whichever
   * connection, process or server makes it, and a pair returned is gone even if the caller
   * then dies. Returns [] when none is stored. (PostgreSQL: `DELETE ... WHERE id IN (SELECT id
   * ... ORDER BY created_at LIMIT n FOR UPDATE SKIP LOCKED) RETURNING *`.)
   */
  claimReservedPairs(spec: string, limit: number): Promise<ReservedPairRecord[]>;
  /** How many pairs the reserve holds per spec; specs with none are absent. */
  reservedPairCounts(): Promise<Record<string, number>>;

  /**
   * Overwrites whatever deleted records left behind in the store's files (old page images of a
   * write-ahead log), so a deleted key's wrapped material is gone from disk. Returns false if it
   * could not finish now (another connection was in the way): call it again later.
   */
  scrubDeleted(): Promise<boolean>;

  close(): Promise<void>;
}
