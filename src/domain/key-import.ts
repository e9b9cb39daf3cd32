/**
 * Imported key material (Origin EXTERNAL, "Importing key material for AWS KMS keys" in the KMS
 * developer guide): which keys take it, AWS's expiry rules, re-importing the same material, and
 * its deletion, by hand (DeleteImportedKeyMaterial) or at ValidTo (the sweep, expireDueMaterial).
 *
 * A key's imported material is one material version. Its KeyMaterialId is derived from the key
 * and the material (crypto/key-import.ts), so the version's record outlives a deletion (its
 * wrapped bytes removed, ImportState PENDING_IMPORT) and an import of the same material restores
 * it: ciphertexts made before decrypt again. Different material is IncorrectKeyMaterialException.
 * Trent imports symmetric encryption, HMAC, RSA and ECC (NIST and secp256k1) key material; SM2,
 * Ed25519 and post-quantum material, and new imported material for an on-demand rotation, are
 * not served yet.
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
import { arnOf } from './arn.js';
import { keyPairParams, keySpec } from './key-specs.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How long GetParametersForImport's public key and token are valid (AWS: 24 hours). */
export const IMPORT_PARAMETERS_VALID_MS = DAY_MS;
/** The latest ValidTo AWS accepts: 365 days from the request. */
const MAX_VALID_TO_MS = 365 * DAY_MS;
/**
 * The material lengths (bytes) a key spec takes on import: 256 bits for symmetric encryption
 * keys; for HMAC keys, AWS's ranges (at least the digest's length, at most the hash's block
 * size). Undefined for specs Trent does not import yet (asymmetric).
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
 * What `key` takes, refusing the specs Trent does not import: RSA and NIST/SECG curve keys take
 * their PKCS#8 private key; Ed25519, ML-DSA, ML-KEM and SM2 material is not imported yet.
 */
export function importShape(key: KeyRecord): ImportShape {
  const lengths = Object.hasOwn(IMPORT_LENGTHS, key.keySpec) ? IMPORT_LENGTHS[key.keySpec] : undefined;
  if (lengths !== undefined) return { kind: 'secret', ...lengths };
  const params = keyPairParams(keySpec(key.keySpec));
  if (params !== undefined && key.keySpec !== 'SM2' && (params.kind === 'rsa' || params.kind === 'ec')) return { kind: 'key-pair', params };
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
}

/**
 * Checks an ImportKeyMaterial into `key` (as read in the transaction that will write it) of
 * material whose derived id is `computedId`, and returns the material version it fills: a new
 * one (1 for a first import) or the existing version that held the same material.
 */
export function importTarget(key: KeyRecord, versions: readonly KeyMaterialRecord[], computedId: string, request: ImportRequest): { version: number; existing?: KeyMaterialRecord } {
  assertExternal(key);
  importShape(key);
  const imported = versions.filter((m) => m.importState !== undefined);
  const importType = request.importType ?? (imported.length === 0 ? 'NEW_KEY_MATERIAL' : 'EXISTING_KEY_MATERIAL');
  if (importType === 'NEW_KEY_MATERIAL') {
    if (request.materialId !== undefined) throw new ValidationException(messages.materialIdWithNew);
    if (imported.length > 0) throw new UnsupportedOperationException(messages.importRotationNotServed);
    if (key.state !== 'PendingImport') throw stateError(key);
    return { version: Math.max(0, ...versions.map((m) => m.version)) + 1 };
  }
  if (imported.length === 0) throw new ValidationException(messages.noMaterialToReimport(arnOf(key)));
  // The material must be pending import again (deleted or expired): an import in place cannot
  // change its expiry (AWS: delete, then import again).
  if (key.state !== 'PendingImport') throw stateError(key);
  const wanted = request.materialId ?? versions.find((m) => m.version === key.currentMaterialVersion)?.materialId;
  const existing = imported.find((m) => m.materialId === wanted);
  if (request.materialId !== undefined && existing === undefined) {
    throw new IncorrectKeyMaterialException(messages.unknownMaterialId(request.materialId, arnOf(key)));
  }
  if (existing === undefined || existing.materialId !== computedId) throw new IncorrectKeyMaterialException(messages.incorrectKeyMaterial);
  return { version: existing.version, existing };
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
 * its secret and the key becomes PendingImport. Returns the deleted material's id.
 */
export async function deleteImportedMaterial(store: Store, key: KeyRecord, materialId: string | undefined): Promise<string> {
  return store.transaction(async (tx) => {
    const current = await tx.getKey(key, key.keyId);
    if (!current) throw new KMSInvalidStateException(`${arnOf(key)} was deleted while its key material was being deleted.`);
    assertExternal(current);
    if (current.state !== 'Enabled' && current.state !== 'Disabled') throw stateError(current);
    const material = await tx.getMaterial(current, current.currentMaterialVersion);
    if (!material || material.importState !== 'IMPORTED') throw stateError(current);
    if (materialId !== undefined && materialId !== material.materialId) {
      throw new ValidationException(messages.unknownMaterialId(materialId, arnOf(current)));
    }
    await tx.putMaterial(deletedMaterial(material));
    if (!(await tx.updateKey(withoutMaterial(current), current.revision))) throw new Error(`key ${current.keyId} changed inside its transaction`);
    return material.materialId;
  });
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
