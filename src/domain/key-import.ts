/**
 * Imported key material (Origin EXTERNAL, "Importing key material for AWS KMS keys" in the KMS
 * developer guide): which keys take it, AWS's expiry rules, re-importing the same material, new
 * material for an on-demand rotation, and its deletion, by hand (DeleteImportedKeyMaterial) or at
 * ValidTo (the sweep, expireDueMaterial).
 *
 * Each imported material is one material version. Its KeyMaterialId is derived from the key and
 * the material (crypto/key-import.ts), so the version's record outlives a deletion (its wrapped
 * bytes removed, ImportState PENDING_IMPORT) and an import of the same material restores it:
 * ciphertexts made before decrypt again. Different material is IncorrectKeyMaterialException.
 *
 * A symmetric encryption key takes new material (ImportType NEW_KEY_MATERIAL) once it has some:
 * it is stored as the version after the current one, PENDING_ROTATION (not used to encrypt, and
 * without RotationDate or RotationType), at most one at a time, and RotateKeyOnDemand makes it
 * current (domain/rotation.ts). Every material but one pending rotation is permanently
 * associated with the key: while any of them is deleted or expired the key is PendingImport.
 *
 * Trent keeps one ExpirationModel and ValidTo per key, the current material's (the key record
 * holds them), not one per material as AWS does. So KEY_MATERIAL_EXPIRES is taken only for a
 * key's only material: a key whose material expires takes no new material, and a key with
 * several takes none that expires (UnsupportedOperationException, messages.expiryPerMaterial).
 * Every imported material of a key with several therefore does not expire.
 *
 * Trent imports key material of every key spec it serves: symmetric encryption and HMAC keys
 * take secret bytes, asymmetric keys (RSA, ECC NIST and secp256k1, SM2 where SM2 is served,
 * Ed25519, ML-DSA, ML-KEM) their PKCS#8 private key.
 *
 * New material for a multi-Region key (AWS, ImportKeyMaterial and "Importing key material into
 * multi-Region keys"): NEW_KEY_MATERIAL goes into the primary only (a replica refuses it,
 * messages.newMaterialIntoReplica); in the same transaction every replica gets the version's
 * record without its secret (PENDING_IMPORT), so it knows the KeyMaterialId, and takes the same
 * material with EXISTING_KEY_MATERIAL (other material: IncorrectKeyMaterialException). Until
 * every replica holds it ListKeyRotations shows it PENDING_MULTI_REGION_IMPORT_AND_ROTATION and
 * RotateKeyOnDemand refuses (domain/rotation.ts), then PENDING_ROTATION. Deleting the primary's
 * material pending rotation deletes the replicas' too; a replica's deletion is its own.
 */
import {
  IncorrectKeyMaterialException,
  KMSInvalidStateException,
  messages,
  UnsupportedOperationException,
  ValidationException,
} from '../errors.js';
import type { ExpirationModel, KeyMaterialRecord, KeyRecord, Store } from '../storage/types.js';
import type { KeyPairParams } from '../crypto/asymmetric.js';
import type { WrappingAlgorithm, WrappingKeySpec } from '../crypto/key-import.js';
import { arnOf } from './arn.js';
import { keyPairParams, keySpec } from './key-specs.js';
import { isMultiRegion, isPrimary, isReplica, regionalRecords } from './multi-region.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How long GetParametersForImport's public key and token are valid (AWS: 24 hours). */
export const IMPORT_PARAMETERS_VALID_MS = DAY_MS;
/** The latest ValidTo AWS accepts: 365 days from the request. */
const MAX_VALID_TO_MS = 365 * DAY_MS;
/**
 * The material lengths (bytes) a key spec takes on import: 256 bits for symmetric encryption
 * keys; for HMAC keys, AWS's ranges (at least the digest's length, at most the hash's block
 * size). Undefined for asymmetric specs, which take a private key.
 */
const IMPORT_LENGTHS: Readonly<Record<string, { min: number; max: number }>> = {
  SYMMETRIC_DEFAULT: { min: 32, max: 32 },
  HMAC_224: { min: 28, max: 64 },
  HMAC_256: { min: 32, max: 64 },
  HMAC_384: { min: 48, max: 128 },
  HMAC_512: { min: 64, max: 128 },
};

/** What a key takes on import: secret bytes of a length, or a private key of given parameters. */
export type ImportShape = { kind: 'secret'; min: number; max: number } | { kind: 'key-pair'; params: KeyPairParams };

/**
 * What `key` takes: secret bytes for symmetric encryption and HMAC keys; for every asymmetric
 * key spec its PKCS#8 private key (AWS: key material can be imported into KMS keys of every
 * type; crypto/key-import.ts reads each kind).
 */
export function importShape(key: KeyRecord): ImportShape {
  const lengths = Object.hasOwn(IMPORT_LENGTHS, key.keySpec) ? IMPORT_LENGTHS[key.keySpec] : undefined;
  if (lengths !== undefined) return { kind: 'secret', ...lengths };
  const params = keyPairParams(keySpec(key.keySpec));
  if (params !== undefined) return { kind: 'key-pair', params };
  throw new UnsupportedOperationException(messages.importNotServed(key.keySpec));
}

/** AWS's recorded refusal of import operations on a key whose material KMS generated. */
export function assertExternal(key: KeyRecord): void {
  if (key.origin !== 'EXTERNAL') {
    throw new UnsupportedOperationException(`${arnOf(key)} origin is ${key.origin} which is not valid for this operation.`);
  }
}

function stateError(key: KeyRecord): KMSInvalidStateException {
  const arn = arnOf(key);
  if (key.state === 'PendingDeletion') return new KMSInvalidStateException(messages.pendingDeletion(arn));
  if (key.state === 'PendingReplicaDeletion') return new KMSInvalidStateException(messages.pendingReplicaDeletion(arn));
  if (key.state === 'PendingImport') return new KMSInvalidStateException(messages.pendingImport(arn));
  return new KMSInvalidStateException(messages.invalidState(arn, key.state));
}

/** GetParametersForImport: an EXTERNAL key not pending deletion. */
export function assertParametersAvailable(key: KeyRecord): void {
  assertExternal(key);
  if (key.state === 'PendingDeletion' || key.state === 'PendingReplicaDeletion' || key.state === 'Unavailable') throw stateError(key);
}

/**
 * GetParametersForImport's WrappingAlgorithm and WrappingKeySpec for `key`, as AWS pairs them
 * ("Select a wrapping public key spec", "Select a wrapping algorithm"): an SM2 wrapping key only
 * with SM2PKE and SM2PKE only with an SM2 wrapping key, both only where SM2 is served (China
 * Regions, or anywhere with allowSm2Everywhere); RSA wrapping keys with the RSAES_OAEP and
 * RSA_AES_KEY_WRAP algorithms (RSAES_PKCS1_V1_5 is retired). SM2PKE, like RSAES_OAEP, wraps the
 * material itself, so it cannot wrap an RSA private key (AWS: RSA key material takes an RSA_AES
 * algorithm); every other material (32 bytes, HMAC keys, EC, Ed25519 and seed PKCS#8, at most a
 * few hundred bytes) it wraps.
 */
export function wrappingParameters(key: KeyRecord, algorithm: string, spec: string, sm2Served: boolean): { algorithm: WrappingAlgorithm; spec: WrappingKeySpec } {
  const sm2 = spec === 'SM2' || algorithm === 'SM2PKE';
  if (sm2 && !sm2Served) throw new UnsupportedOperationException(messages.sm2OutsideChina);
  if (algorithm === 'RSAES_PKCS1_V1_5') throw new UnsupportedOperationException(messages.pkcs1Deprecated);
  if ((spec === 'SM2') !== (algorithm === 'SM2PKE')) throw new ValidationException(messages.wrappingPairInvalid(algorithm, spec));
  if (algorithm === 'SM2PKE' && keyPairParams(keySpec(key.keySpec))?.kind === 'rsa') {
    throw new ValidationException(messages.sm2pkeRsaMaterial(key.keySpec));
  }
  return { algorithm: algorithm as WrappingAlgorithm, spec: spec as WrappingKeySpec };
}

/** The ValidTo an ImportKeyMaterial request sets (ms), checked against AWS's rules. */
export function checkExpiry(model: ExpirationModel, validToSeconds: number | undefined, now: number): number | undefined {
  if (model === 'KEY_MATERIAL_DOES_NOT_EXPIRE') {
    if (validToSeconds !== undefined) throw new ValidationException(messages.validToForbidden);
    return undefined;
  }
  if (validToSeconds === undefined) throw new ValidationException('A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES');
  const validTo = Math.round(validToSeconds * 1000);
  if (validTo <= now) throw new ValidationException(messages.validToInPast);
  if (validTo > now + MAX_VALID_TO_MS) throw new ValidationException(messages.validToTooLate);
  return validTo;
}

export interface ImportRequest {
  importType: 'NEW_KEY_MATERIAL' | 'EXISTING_KEY_MATERIAL' | undefined;
  materialId: string | undefined;
  expirationModel: ExpirationModel;
}

/** Where an import goes: the version it fills, and whether the key's first material is being imported. */
export interface ImportTarget {
  version: number;
  /** The version's record when the material was imported before (a re-import). */
  existing?: KeyMaterialRecord;
  /** The key's first material: it becomes current and the key Enabled. */
  first: boolean;
}

/** A material version made by a new import and not yet made current by RotateKeyOnDemand. */
export function isPendingRotation(key: KeyRecord, material: KeyMaterialRecord): boolean {
  return material.importState !== undefined && material.version > key.currentMaterialVersion;
}

/**
 * The ExpirationModel and ValidTo (ms) of an imported material of `key` that is IMPORTED: the
 * key's for its current material; KEY_MATERIAL_DOES_NOT_EXPIRE for the others, which are only
 * imported that way (see the file's header).
 */
export function materialExpiry(key: KeyRecord, material: KeyMaterialRecord): { model: ExpirationModel; validTo?: number } | undefined {
  if (material.importState !== 'IMPORTED') return undefined;
  if (material.version !== key.currentMaterialVersion) return { model: 'KEY_MATERIAL_DOES_NOT_EXPIRE' };
  if (key.expirationModel === undefined) return undefined;
  return { model: key.expirationModel, ...(key.validTo !== undefined && { validTo: key.validTo }) };
}

/** NEW_KEY_MATERIAL into a key that has material: new material pending an on-demand rotation. */
function pendingRotationTarget(key: KeyRecord, imported: readonly KeyMaterialRecord[], computedId: string, request: ImportRequest): ImportTarget {
  if (isReplica(key)) throw new UnsupportedOperationException(messages.newMaterialIntoReplica(arnOf(key)));
  if (key.state !== 'Enabled' && key.state !== 'Disabled') throw stateError(key);
  if (key.expirationModel === 'KEY_MATERIAL_EXPIRES' || request.expirationModel === 'KEY_MATERIAL_EXPIRES') {
    throw new UnsupportedOperationException(messages.expiryPerMaterial);
  }
  const pending = imported.find((m) => isPendingRotation(key, m));
  if (pending?.importState === 'IMPORTED') {
    throw new KMSInvalidStateException(messages.anotherPendingRotation(computedId, arnOf(key), pending.materialId));
  }
  const known = imported.find((m) => m.materialId === computedId && m.version !== pending?.version);
  if (known) throw new ValidationException(messages.materialNotNew(arnOf(key), known.materialId));
  // A material pending rotation that was deleted is not associated with the key: new material takes its place.
  return { version: pending?.version ?? key.currentMaterialVersion + 1, first: false };
}

/**
 * Checks an ImportKeyMaterial into `key` (as read in the transaction that will write it) of
 * material whose derived id is `computedId`, and returns the material version it fills: the
 * first (1), a new one pending rotation, or the existing version that held the same material.
 */
export function importTarget(key: KeyRecord, versions: readonly KeyMaterialRecord[], computedId: string, request: ImportRequest): ImportTarget {
  assertExternal(key);
  importShape(key);
  const imported = versions.filter((m) => m.importState !== undefined);
  const importType = request.importType ?? (imported.length === 0 ? 'NEW_KEY_MATERIAL' : 'EXISTING_KEY_MATERIAL');
  if (importType === 'NEW_KEY_MATERIAL') {
    if (request.materialId !== undefined) throw new ValidationException(messages.materialIdWithNew);
    if (imported.length > 0) return pendingRotationTarget(key, imported, computedId, request);
    if (key.state !== 'PendingImport') throw stateError(key);
    return { version: Math.max(0, ...versions.map((m) => m.version)) + 1, first: true };
  }
  if (imported.length === 0) throw new ValidationException(messages.noMaterialToReimport(arnOf(key)));
  const wanted = request.materialId ?? versions.find((m) => m.version === key.currentMaterialVersion)?.materialId;
  const existing = imported.find((m) => m.materialId === wanted);
  if (request.materialId !== undefined && existing === undefined) {
    throw new IncorrectKeyMaterialException(messages.unknownMaterialId(request.materialId, arnOf(key)));
  }
  // The material must be missing (deleted or expired): an import in place cannot change its
  // expiry (AWS: delete, then import again).
  if (existing === undefined || existing.importState === 'IMPORTED' || key.state === 'PendingDeletion' || key.state === 'PendingReplicaDeletion') throw stateError(key);
  if (existing.materialId !== computedId) throw new IncorrectKeyMaterialException(messages.incorrectKeyMaterial);
  if (request.expirationModel === 'KEY_MATERIAL_EXPIRES' && imported.some((m) => m.version !== existing.version)) {
    throw new UnsupportedOperationException(messages.expiryPerMaterial);
  }
  // A replica taking its primary's material pending rotation: a key whose material expires takes no new material.
  if (existing.version > key.currentMaterialVersion && key.expirationModel === 'KEY_MATERIAL_EXPIRES') {
    throw new UnsupportedOperationException(messages.expiryPerMaterial);
  }
  return { version: existing.version, existing, first: false };
}

/**
 * The key once the material of `version` is imported: a re-import of a permanently associated
 * material sets the key's expiry when it is the current one, and makes the key Enabled once no
 * permanently associated material is missing; material pending rotation changes nothing.
 */
export function keyAfterImport(key: KeyRecord, versions: readonly KeyMaterialRecord[], target: ImportTarget, model: ExpirationModel, validTo: number | undefined, publicKey?: Buffer): KeyRecord {
  if (!target.first && target.version > key.currentMaterialVersion) return key;
  const current = target.first ? target.version : key.currentMaterialVersion;
  const missing = versions.some((m) => m.version !== target.version && m.version <= current && m.importState === 'PENDING_IMPORT');
  const next: KeyRecord = { ...key, state: missing ? 'PendingImport' : 'Enabled', currentMaterialVersion: current };
  if (publicKey !== undefined) next.publicKey = publicKey;
  if (target.version === current) {
    next.expirationModel = model;
    if (validTo === undefined) delete next.validTo;
    else next.validTo = validTo;
  }
  return next;
}

/**
 * After `record` (a multi-Region primary's new material pending rotation) is written in `tx`:
 * every replica gets the version's record without its secret (PENDING_IMPORT), so that it knows
 * the KeyMaterialId and takes the same material with EXISTING_KEY_MATERIAL. Whatever a replica
 * held at that version (material pending rotation that the primary deleted) is replaced.
 */
export async function announcePendingToReplicas(tx: Store, primary: KeyRecord, record: KeyMaterialRecord): Promise<void> {
  if (!isPrimary(primary)) return;
  for (const replica of await regionalRecords(tx, primary)) {
    if (replica.region === primary.region) continue;
    const copy: KeyMaterialRecord = { ...record, region: replica.region, wrapped: Buffer.alloc(0), importState: 'PENDING_IMPORT' };
    delete copy.description;
    if (!(await tx.putMaterial(copy))) throw new Error(`key ${replica.keyId} in ${replica.region} vanished inside an import's transaction`);
  }
}

/**
 * Whether material pending rotation of a multi-Region key waits for replicas: the primary holds
 * it and some replica does not (AWS: PENDING_MULTI_REGION_IMPORT_AND_ROTATION, until it is
 * imported into every replica). `store` may be a transaction's.
 */
export async function awaitsReplicaImport(store: Store, key: KeyRecord, material: KeyMaterialRecord): Promise<boolean> {
  return (await replicasLacking(store, key, material)) !== undefined;
}

/**
 * The first regional record (Region order) of a multi-Region key that lacks the pending
 * `material`, provided its primary holds it; undefined when none lacks it (or the key is
 * single-Region, or the primary's copy was deleted).
 */
export async function replicasLacking(store: Store, key: KeyRecord, material: KeyMaterialRecord): Promise<KeyRecord | undefined> {
  if (!isMultiRegion(key)) return undefined;
  const records = await regionalRecords(store, key);
  const primary = records.find(isPrimary);
  if (!primary) return undefined;
  const held = async (record: KeyRecord) => {
    const copy = await store.getMaterial(record, material.version);
    return copy?.importState === 'IMPORTED' && copy.materialId === material.materialId;
  };
  if (!(await held(primary))) return undefined;
  for (const record of records) {
    if (!(await held(record))) return record;
  }
  return undefined;
}

/** The key once its current material is gone: PendingImport (a key scheduled for deletion stays so). */
function withoutMaterial(key: KeyRecord): KeyRecord {
  const scheduled = key.state === 'PendingDeletion' || key.state === 'PendingReplicaDeletion';
  const next: KeyRecord = { ...key, state: scheduled ? key.state : 'PendingImport' };
  delete next.expirationModel;
  delete next.validTo;
  return next;
}

/** A material version with its secret removed, kept for its id. */
function deletedMaterial(material: KeyMaterialRecord): KeyMaterialRecord {
  return { ...material, wrapped: Buffer.alloc(0), importState: 'PENDING_IMPORT' };
}

/**
 * DeleteImportedKeyMaterial, in one transaction: the current (or named) imported material loses
 * its secret. Deleting a permanently associated material makes the key PendingImport (a key
 * pending deletion stays so, as AWS documents); deleting the material pending rotation leaves
 * the key as it is (that material is not associated with it, and new material may take its
 * place). A key already PendingImport, one of its materials missing, may lose another. Returns
 * the deleted material's id.
 */
export async function deleteImportedMaterial(store: Store, key: KeyRecord, materialId: string | undefined): Promise<string> {
  return store.transaction(async (tx) => {
    const current = await tx.getKey(key, key.keyId);
    if (!current) throw new KMSInvalidStateException(`${arnOf(key)} was deleted while its key material was being deleted.`);
    assertExternal(current);
    if (current.state === 'Unavailable') throw stateError(current);
    let material: KeyMaterialRecord | undefined;
    if (materialId === undefined) {
      material = await tx.getMaterial(current, current.currentMaterialVersion);
    } else {
      const versions = await tx.listMaterials(current, { limit: 10_000 });
      material = versions.find((m) => m.importState !== undefined && m.materialId === materialId);
      if (!material) throw new ValidationException(messages.unknownMaterialId(materialId, arnOf(current)));
    }
    if (!material || material.importState !== 'IMPORTED') throw stateError(current);
    await tx.putMaterial(deletedMaterial(material));
    if (isPendingRotation(current, material)) {
      if (isPrimary(current)) await deletePendingFromReplicas(tx, current, material);
      // The key record stays as it was, but its revision moves: a RotateKeyOnDemand racing
      // this deletion (another server) then fails instead of making the material current.
      if (!(await tx.updateKey(current, current.revision))) throw new Error(`key ${current.keyId} changed inside its transaction`);
      return material.materialId;
    }
    const next = material.version === current.currentMaterialVersion ? withoutMaterial(current) : { ...current, state: withoutMaterial(current).state };
    if (!(await tx.updateKey(next, current.revision))) throw new Error(`key ${current.keyId} changed inside its transaction`);
    return material.materialId;
  });
}

/**
 * AWS: deleting a primary's material pending rotation deletes the replicas' copies too (each
 * replica key itself is left as it is: that material is not associated with it).
 */
async function deletePendingFromReplicas(tx: Store, primary: KeyRecord, material: KeyMaterialRecord): Promise<void> {
  for (const replica of await regionalRecords(tx, primary)) {
    if (replica.region === primary.region) continue;
    const copy = await tx.getMaterial(replica, material.version);
    if (copy?.importState === 'IMPORTED' && copy.materialId === material.materialId) await tx.putMaterial(deletedMaterial(copy));
  }
}

/**
 * Deletes imported material whose ValidTo has passed (AWS: the key becomes PendingImport), each
 * in its own transaction that reads the key again. Returns the keys whose material expired.
 */
export async function expireDueMaterial(store: Store, now: number): Promise<string[]> {
  const expired: string[] = [];
  for (;;) {
    const due = await store.keysWithExpiredMaterial(now, 100);
    const before = expired.length;
    for (const seen of due) {
      const done = await store.transaction(async (tx) => {
        const key = await tx.getKey(seen, seen.keyId);
        if (!key || key.validTo === undefined || key.validTo > now) return false;
        const material = await tx.getMaterial(key, key.currentMaterialVersion);
        if (material?.importState === 'IMPORTED') await tx.putMaterial(deletedMaterial(material));
        return tx.updateKey(withoutMaterial(key), key.revision);
      });
      if (done) expired.push(seen.keyId);
    }
    if (due.length < 100 || expired.length === before) return expired;
  }
}
