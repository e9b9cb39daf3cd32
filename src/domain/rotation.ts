/**
 * Rotation of KMS key material ("Rotate AWS KMS keys" in the KMS developer guide): automatic
 * rotation on a schedule (90..2560 days, default 365) and on-demand rotation (at most 25 per key).
 * A rotation adds a new material version and makes it current; every older version stays, so
 * every ciphertext made before still decrypts, and ReEncrypt moves a ciphertext to the current
 * material. Only symmetric encryption keys rotate; asymmetric and HMAC keys refuse with AWS's
 * UnsupportedOperationException (recorded with an empty message). Keys with imported material
 * never rotate automatically; they rotate on demand to new material imported for it
 * (ImportType NEW_KEY_MATERIAL, domain/key-import.ts), never to material Trent makes.
 *
 * A rotation is one store transaction: the key is read again inside it, the new version added
 * under the revision read, and the key updated, so it happens once however many servers sweep
 * (the sweep, `rotateDueKeys`, is run on a timer by every server, like the deletion sweep).
 * The clock is injected: a rotation happens when `now` passes the key's NextRotationDate.
 */
import { secretBytes } from '../crypto/random.js';
import { KMSInvalidStateException, LimitExceededException, messages, UnsupportedOperationException } from '../errors.js';
import type { KeyMaterialRecord, KeyRecord, RotationType, Store } from '../storage/types.js';
import { arnOf } from './arn.js';
import type { KeyMaterials } from './key-material.js';
import { keySpec } from './key-specs.js';
import { assertUsable } from './key-state.js';
import { replicasLacking } from './key-import.js';
import { assertNotReplica, isMultiRegion, isPrimary, regionalRecords } from './multi-region.js';

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_ROTATION_PERIOD_DAYS = 365;
/** AWS's quota of on-demand rotations per key (AWS-BEHAVIOUR.md, facts of 2026-12). */
export const ON_DEMAND_ROTATION_LIMIT = 25;
/** How many material versions a rotation reads; far above what the limits above allow in practice. */
const MATERIAL_VERSION_SCAN = 10_000;

/** Whether the key's kind rotates at all: symmetric encryption keys only. */
export function rotates(key: KeyRecord): boolean {
  return keySpec(key.keySpec).kind === 'symmetric' && key.keyUsage === 'ENCRYPT_DECRYPT';
}

/**
 * The refusal of a key whose kind does not rotate. AWS answers RotateKeyOnDemand on an
 * asymmetric key with UnsupportedOperationException and an empty message (recorded in
 * LocalStack's AWS-validated snapshots); the other rotation operations are taken to answer alike.
 */
export function assertRotatableKind(key: KeyRecord): void {
  if (!rotates(key)) throw new UnsupportedOperationException('');
}

/** AWS's recorded refusal of automatic rotation for a key with imported material. */
function assertGeneratedMaterial(key: KeyRecord): void {
  if (key.origin !== 'AWS_KMS') {
    throw new UnsupportedOperationException(`${arnOf(key)} origin is ${key.origin} which is not valid for this operation.`);
  }
}

/** EnableKeyRotation, DisableKeyRotation and RotateKeyOnDemand act on Enabled keys only. */
function assertRotationChangeable(key: KeyRecord): void {
  assertUsable(key);
  assertRotatableKind(key);
  assertGeneratedMaterial(key);
}

/**
 * EnableKeyRotation. Enabling starts the period from now. Changing the period of a key already
 * rotating keeps its schedule's start (the last automatic rotation, or when rotation was
 * enabled) and moves the next date by the difference, never earlier than now.
 */
export function enableRotation(key: KeyRecord, periodInDays: number, now: number): KeyRecord {
  assertRotationChangeable(key);
  let next = now + periodInDays * DAY_MS;
  if (key.rotationPeriodInDays !== undefined && key.nextRotationDate !== undefined) {
    next = Math.max(now, key.nextRotationDate + (periodInDays - key.rotationPeriodInDays) * DAY_MS);
  }
  return { ...key, rotationPeriodInDays: periodInDays, nextRotationDate: next };
}

/** DisableKeyRotation: the schedule is dropped (enabling again starts a new one). */
export function disableRotation(key: KeyRecord): KeyRecord {
  assertRotationChangeable(key);
  const next = { ...key };
  delete next.rotationPeriodInDays;
  delete next.nextRotationDate;
  return next;
}

/** The date after an automatic rotation due at `due`: one period on, or from now if that has passed too. */
function nextAfter(due: number, periodInDays: number, now: number): number {
  const next = due + periodInDays * DAY_MS;
  return next > now ? next : now + periodInDays * DAY_MS;
}

export interface Rotation {
  key: KeyRecord;
  material: KeyMaterialRecord;
}

/**
 * Rotates a key now, in one transaction, if `decide` (given the key as read inside it and its
 * material versions) allows; returns the rotated key and its new material, or undefined if
 * `decide` declined. `decide` may throw to refuse with an AWS error.
 *
 * A multi-Region key rotates as a whole (domain/multi-region.ts): whichever of its records is
 * named, `decide` judges its primary, and the one new version (the same wrapped bytes and
 * KeyMaterialId) is added to every regional record, each updated with the same change.
 */
async function rotateInTransaction(
  store: Store,
  materials: KeyMaterials,
  scopeAndId: Pick<KeyRecord, 'account' | 'region' | 'keyId'>,
  type: RotationType,
  now: number,
  decide: (key: KeyRecord, versions: KeyMaterialRecord[]) => Partial<KeyRecord> | undefined,
): Promise<Rotation | undefined> {
  return store.transaction(async (tx) => {
    const named = await tx.getKey(scopeAndId, scopeAndId.keyId);
    if (!named) return undefined;
    const records = await regionalRecords(tx, named);
    const key = records.find(isPrimary) ?? named;
    const versions = await tx.listMaterials(key, { limit: MATERIAL_VERSION_SCAN });
    const change = decide(key, versions);
    if (change === undefined) return undefined;
    const version = Math.max(0, ...versions.map((m) => m.version)) + 1;
    const secret = secretBytes(32);
    let material: KeyMaterialRecord;
    try {
      material = { ...materials.wrap(key, version, secret, now), rotationType: type };
    } finally {
      secret.fill(0);
    }
    let rotatedNamed: KeyRecord | undefined;
    for (const record of records) {
      if (!(await tx.addMaterial(record, { ...material, region: record.region }, record.revision))) {
        throw new Error(`key ${record.keyId} in ${record.region} changed inside its rotation's transaction`);
      }
      const rotated: KeyRecord = { ...record, ...change, currentMaterialVersion: version };
      if (!(await tx.updateKey(rotated, record.revision + 1))) {
        throw new Error(`key ${record.keyId} in ${record.region} changed inside its rotation's transaction`);
      }
      if (record.region === named.region) rotatedNamed = { ...rotated, revision: record.revision + 2 };
    }
    return { key: rotatedNamed ?? { ...key, ...change, currentMaterialVersion: version }, material: { ...material, region: named.region } };
  });
}

/** AWS's quota: at most 25 on-demand rotations per key (the versions they made). */
function assertOnDemandQuota(key: KeyRecord, versions: readonly KeyMaterialRecord[]): void {
  if (versions.filter((m) => m.rotationType === 'ON_DEMAND').length >= ON_DEMAND_ROTATION_LIMIT) {
    throw new LimitExceededException(
      `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${arnOf(key)}`,
    );
  }
}

/**
 * RotateKeyOnDemand of a key with imported material (AWS, "on-demand rotation of keys with
 * imported key material"): the material imported with ImportType NEW_KEY_MATERIAL and pending
 * rotation becomes current, with its RotationDate and RotationType ON_DEMAND, in one
 * transaction; without one, AWS's recorded KMSInvalidStateException. A multi-Region key rotates
 * on its primary once every replica holds that material (imported with EXISTING_KEY_MATERIAL),
 * every regional record in the one transaction; before, KMSInvalidStateException naming a
 * replica that lacks it.
 */
async function rotateToImportedMaterial(store: Store, scopeAndId: Pick<KeyRecord, 'account' | 'region' | 'keyId'>, now: number): Promise<Rotation | undefined> {
  return store.transaction(async (tx) => {
    const key = await tx.getKey(scopeAndId, scopeAndId.keyId);
    if (!key) return undefined;
    assertNotReplica(key);
    assertUsable(key);
    assertRotatableKind(key);
    const versions = await tx.listMaterials(key, { limit: MATERIAL_VERSION_SCAN });
    const pending = versions.find((m) => m.version > key.currentMaterialVersion && m.importState === 'IMPORTED');
    if (!pending) throw new KMSInvalidStateException(messages.noPendingRotation(arnOf(key)));
    assertOnDemandQuota(key, versions);
    const lacking = await replicasLacking(tx, key, pending);
    if (lacking) throw new KMSInvalidStateException(messages.pendingMultiRegionImport(pending.materialId, arnOf(lacking)));
    const material: KeyMaterialRecord = { ...pending, createdAt: now, rotationType: 'ON_DEMAND' };
    let rotatedNamed: KeyRecord | undefined;
    for (const record of await regionalRecords(tx, key)) {
      const copy = record.region === key.region ? pending : await tx.getMaterial(record, pending.version);
      if (!copy) throw new Error(`key ${record.keyId} in ${record.region} lost its material inside its rotation's transaction`);
      await tx.putMaterial({ ...copy, createdAt: now, rotationType: 'ON_DEMAND' });
      // Material pending rotation is only imported not to expire (domain/key-import.ts).
      const rotated: KeyRecord = isMultiRegion(record)
        ? { ...withoutExpiry(record), expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', currentMaterialVersion: pending.version }
        : { ...record, currentMaterialVersion: pending.version };
      if (!(await tx.updateKey(rotated, record.revision))) throw new Error(`key ${record.keyId} in ${record.region} changed inside its rotation's transaction`);
      if (record.region === key.region) rotatedNamed = { ...rotated, revision: record.revision + 1 };
    }
    return { key: rotatedNamed ?? { ...key, currentMaterialVersion: pending.version }, material };
  });
}

/** `key` without its expiry. */
function withoutExpiry(key: KeyRecord): KeyRecord {
  const next = { ...key };
  delete next.validTo;
  return next;
}

/**
 * RotateKeyOnDemand: a new current material now (generated, or for a key with imported material
 * the one pending rotation); the automatic schedule is left as it was.
 */
export async function rotateOnDemand(store: Store, materials: KeyMaterials, key: KeyRecord, now: number): Promise<Rotation> {
  // A multi-Region key rotates from its primary, for every Region (rotateInTransaction).
  assertNotReplica(key);
  // A key's origin never changes, so the record resolved before the transaction decides the path.
  const rotation =
    key.origin === 'EXTERNAL'
      ? await rotateToImportedMaterial(store, key, now)
      : await rotateInTransaction(store, materials, key, 'ON_DEMAND', now, (current, versions) => {
          assertRotationChangeable(current);
          assertOnDemandQuota(current, versions);
          return {};
        });
  // The caller resolved the key just before: only its deletion in between leaves nothing to rotate.
  if (!rotation) throw new KMSInvalidStateException(`${arnOf(key)} was deleted while it was being rotated.`);
  return rotation;
}

/**
 * Rotates every key whose NextRotationDate is at or before `now` (Enabled keys only: AWS does
 * not rotate a disabled key, and rotates it once it is enabled again if its date has passed).
 * Returns the rotations made.
 */
export async function rotateDueKeys(store: Store, materials: KeyMaterials, now: number): Promise<Rotation[]> {
  const done: Rotation[] = [];
  for (;;) {
    const due = await store.keysDueForRotation(now, 100);
    const before = done.length;
    for (const seen of due) {
      const rotation = await rotateInTransaction(store, materials, seen, 'AUTOMATIC', now, (key) => {
        // Read again inside the transaction: another server may have rotated it, or it changed.
        if (key.state !== 'Enabled' || !rotates(key) || key.origin !== 'AWS_KMS') return undefined;
        if (key.rotationPeriodInDays === undefined || key.nextRotationDate === undefined || key.nextRotationDate > now) return undefined;
        return { nextRotationDate: nextAfter(key.nextRotationDate, key.rotationPeriodInDays, now) };
      });
      if (rotation) done.push(rotation);
    }
    // A key that was not rotated (changed under us) is read again at the next sweep, not spun on.
    if (due.length < 100 || done.length === before) return done;
  }
}
