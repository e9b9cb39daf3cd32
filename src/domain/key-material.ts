/**
 * Access to KMS key material. Material is stored wrapped by the root key; this module creates
 * it, unwraps it on first use and keeps the unwrapped form in a bounded in-process cache as
 * node:crypto KeyObjects, so the hot paths (Encrypt, Decrypt, GenerateDataKey*) cost one store
 * read for the key record and no unwrap. Asymmetric keys' private keys are cached the same way,
 * loaded into the forms their operations use (crypto/key-objects.ts: KeyObjects, and for the
 * schemes Node 20 lacks, the raw numbers); their public keys, from the key record, likewise.
 *
 * The cache follows the store's change signal (Store.onChange): whatever is committed, by this
 * process or another sharing the database (a key deleted, material added or removed), empties
 * it before a request can act on the change, so no process serves material another removed.
 *
 * Material belongs to one regional key (a multi-Region key's replicas hold copies of their
 * own), so the caches are keyed by key id, Region and version: deleting one Region's record
 * never leaves another Region answering from material it no longer holds, nor the reverse.
 */
import { secretBytes } from '../crypto/random.js';
import type { RootKey } from '../crypto/root-key.js';
import { secretKey, type SecretKey } from '../crypto/symmetric.js';
import { InvalidCiphertextError } from '../crypto/envelope.js';
import { KeyImporter } from '../crypto/key-import.js';
import { loadPrivateKey, loadPublicKey, type PrivateKeyHandle, type PublicKeyHandle } from '../crypto/key-objects.js';
import type { KeyLocation, KeyMaterialRecord, KeyRecord, Store } from '../storage/types.js';
import { keyPairParams, keySpec } from './key-specs.js';

export interface UnwrappedMaterial {
  /** The symmetric key, as a KeyObject. Secret. */
  secret: SecretKey;
  materialId: string;
}

export interface PrivateMaterial {
  /** The key's private key, loaded. Secret. */
  privateKey: PrivateKeyHandle;
  materialId: string;
}

const CACHE_LIMIT = 10_000;

/** The cache key of one material version of one regional key; forget() drops by its prefix. */
const materialCacheKey = (key: KeyLocation, version: number) => `${key.keyId}/${key.region}/${version}`;

/** Adds to a bounded map, dropping its oldest entry when full. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= CACHE_LIMIT) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
  map.set(key, value);
}

export class KeyMaterials {
  private readonly cache = new Map<string, UnwrappedMaterial>();
  private readonly privateKeys = new Map<string, PrivateMaterial>();
  /** By key id, with the SubjectPublicKeyInfo the handle was loaded from. */
  private readonly publicKeys = new Map<string, { spki: Buffer; handle: PublicKeyHandle }>();
  /** Counts the times the cache was emptied by the change signal. */
  private generation = 0;
  /** Import tokens and imported material's ids, under keys derived from the root key. */
  readonly importer: KeyImporter;

  constructor(
    private readonly store: Store,
    private readonly rootKey: RootKey,
  ) {
    this.importer = KeyImporter.fromRootKey(rootKey);
    store.onChange((keyId) => {
      if (keyId === undefined) {
        this.cache.clear();
        this.privateKeys.clear();
        this.publicKeys.clear();
      } else this.forget(keyId);
      this.generation++;
    });
  }

  /**
   * Wraps given material for storage as version `version` of a regional key (with its id, if
   * imported). The wrapping binds key id and version, not the Region: a replica's copy is the
   * same bytes.
   */
  wrap(key: KeyLocation, version: number, material: Buffer, createdAt: number, materialId?: string): KeyMaterialRecord {
    return {
      keyId: key.keyId,
      region: key.region,
      version,
      materialId: materialId ?? secretBytes(32).toString('hex'),
      wrapped: this.rootKey.wrap(material, key.keyId, version),
      createdAt,
    };
  }

  /**
   * The unwrapped symmetric material of version `version` of a regional key. A missing version
   * means the ciphertext naming it is not ours: InvalidCiphertextError.
   */
  async symmetric(key: KeyLocation, version: number): Promise<UnwrappedMaterial> {
    const cacheKey = materialCacheKey(key, version);
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const generation = this.generation;
    const record = await this.store.getMaterial(key, version);
    // An imported material that was deleted keeps its record, without the material.
    if (!record || record.wrapped.length === 0) throw new InvalidCiphertextError();
    const raw = this.rootKey.unwrap(record.wrapped, key.keyId, version);
    const entry = { secret: secretKey(raw), materialId: record.materialId };
    raw.fill(0);
    // Cache only what was read since the last change signal: had one come while the record was
    // read, the record might be older than the change it announced.
    if (generation !== this.generation) return entry;
    remember(this.cache, cacheKey, entry);
    return entry;
  }

  /**
   * The private key of an asymmetric KMS key's current material, loaded. The caller has checked
   * the key's state, so its material exists.
   */
  async privateKey(key: KeyRecord): Promise<PrivateMaterial> {
    const params = keyPairParams(keySpec(key.keySpec));
    if (!params) throw new Error(`${key.keySpec} keys have no private key`);
    const version = key.currentMaterialVersion;
    const cacheKey = materialCacheKey(key, version);
    const cached = this.privateKeys.get(cacheKey);
    if (cached) return cached;
    const generation = this.generation;
    const record = await this.store.getMaterial(key, version);
    if (!record) throw new Error(`key ${key.keyId} has no material version ${version}`);
    const raw = this.rootKey.unwrap(record.wrapped, key.keyId, version);
    let entry: PrivateMaterial;
    try {
      entry = { privateKey: loadPrivateKey(params, raw), materialId: record.materialId };
    } finally {
      raw.fill(0);
    }
    if (generation === this.generation) remember(this.privateKeys, cacheKey, entry);
    return entry;
  }

  /** The public key of an asymmetric KMS key (from its record: no material is unwrapped). */
  publicKey(key: KeyRecord): PublicKeyHandle {
    const params = keyPairParams(keySpec(key.keySpec));
    if (!params || !key.publicKey) throw new Error(`${key.keySpec} keys have no public key`);
    const cached = this.publicKeys.get(key.keyId);
    if (cached?.spki.equals(key.publicKey)) return cached.handle;
    const handle = loadPublicKey(params, key.publicKey);
    remember(this.publicKeys, key.keyId, { spki: Buffer.from(key.publicKey), handle });
    return handle;
  }

  /**
   * The public KeyMaterialId of version `version` of a regional key, read without unwrapping
   * the material: showing an identifier must not put a secret in memory. Undefined if there is
   * no such version.
   */
  async materialId(key: KeyLocation, version: number): Promise<string | undefined> {
    const cached = this.cache.get(materialCacheKey(key, version));
    if (cached) return cached.materialId;
    return (await this.store.getMaterial(key, version))?.materialId;
  }

  /** Drops a key id's material, in every Region, from the cache. */
  forget(keyId: string): void {
    for (const cacheKey of [...this.cache.keys()]) if (cacheKey.startsWith(`${keyId}/`)) this.cache.delete(cacheKey);
    for (const cacheKey of [...this.privateKeys.keys()]) if (cacheKey.startsWith(`${keyId}/`)) this.privateKeys.delete(cacheKey);
    this.publicKeys.delete(keyId);
  }
}
