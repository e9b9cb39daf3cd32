/**
 * Key states and the only place they change. AWS's rules ("Key states of AWS KMS keys" in the
 * KMS developer guide) decide, per kind of operation, which states are allowed and which error
 * each other state gives. State changes are explicit functions returning the next record; the
 * caller stores it with the optimistic revision check. Reads never change state: keys whose
 * deletion window has passed are deleted by `deleteDueKeys`, which the server runs on a timer.
 * PendingReplicaDeletion (a multi-Region primary scheduled for deletion while it has replicas)
 * is refused wherever PendingDeletion is, with its own message, and cancelled alike.
 */
import { DisabledException, KeyUnavailableException, KMSInvalidStateException, messages } from '../errors.js';
import type { KeyRecord, Store } from '../storage/types.js';
import { arnOf } from './arn.js';

const DAY_MS = 24 * 60 * 60 * 1000;

function invalidState(key: KeyRecord): KMSInvalidStateException {
  const arn = arnOf(key);
  switch (key.state) {
    case 'PendingDeletion':
      return new KMSInvalidStateException(messages.pendingDeletion(arn));
    case 'PendingReplicaDeletion':
      return new KMSInvalidStateException(messages.pendingReplicaDeletion(arn));
    case 'PendingImport':
      return new KMSInvalidStateException(messages.pendingImport(arn));
    default:
      return new KMSInvalidStateException(messages.invalidState(arn, key.state));
  }
}

/** Cryptographic operations (Encrypt, Decrypt, GenerateDataKey*, ReEncrypt, ...) need Enabled. */
export function assertUsable(key: KeyRecord): void {
  switch (key.state) {
    case 'Enabled':
      return;
    case 'Disabled':
      throw new DisabledException(`${arnOf(key)} is disabled.`);
    case 'Unavailable':
      throw new KeyUnavailableException(messages.unavailable(arnOf(key)));
    default:
      throw invalidState(key);
  }
}

/**
 * CreateGrant: as cryptographic operations, except that a key of a disconnected custom key store
 * (Unavailable) takes grants (the key state table's CreateGrant row).
 */
export function assertGrantable(key: KeyRecord): void {
  if (key.state !== 'Unavailable') assertUsable(key);
}

/**
 * Whether the key is scheduled for deletion: PendingDeletion, or PendingReplicaDeletion (a
 * multi-Region primary key whose waiting period starts when its last replica is deleted), which
 * the key state table treats alike but for the waiting period.
 */
export function isScheduledForDeletion(key: KeyRecord): boolean {
  return key.state === 'PendingDeletion' || key.state === 'PendingReplicaDeletion';
}

/** Aliases, tags and descriptions can be changed in any state but those scheduled for deletion; returns the key. */
export function assertManageable(key: KeyRecord): KeyRecord {
  if (isScheduledForDeletion(key)) throw invalidState(key);
  return key;
}

export function enable(key: KeyRecord): KeyRecord {
  if (key.state === 'Enabled' || key.state === 'Disabled') return { ...key, state: 'Enabled' };
  throw invalidState(key);
}

export function disable(key: KeyRecord): KeyRecord {
  if (key.state === 'Enabled' || key.state === 'Disabled') return { ...key, state: 'Disabled' };
  throw invalidState(key);
}

/**
 * ScheduleKeyDeletion. A multi-Region primary key that still has replicas (`hasReplicas`)
 * becomes PendingReplicaDeletion with no deletion date: its waiting period starts when its last
 * replica is deleted (`replicasDeleted`). Any other key becomes PendingDeletion at once.
 */
export function scheduleDeletion(key: KeyRecord, windowInDays: number, now: number, hasReplicas = false): KeyRecord {
  if (isScheduledForDeletion(key)) throw invalidState(key);
  if (hasReplicas) {
    const next: KeyRecord = { ...key, state: 'PendingReplicaDeletion', pendingWindowInDays: windowInDays };
    delete next.deletionDate;
    return next;
  }
  return { ...key, state: 'PendingDeletion', deletionDate: now + windowInDays * DAY_MS, pendingWindowInDays: windowInDays };
}

/**
 * A primary key in PendingReplicaDeletion whose last replica has just been deleted: it becomes
 * PendingDeletion, and its waiting period starts now (AWS: "This waiting period begins when the
 * last of its replica keys is deleted").
 */
export function replicasDeleted(primary: KeyRecord, now: number): KeyRecord {
  const days = primary.pendingWindowInDays ?? 30;
  return { ...primary, state: 'PendingDeletion', deletionDate: now + days * DAY_MS, pendingWindowInDays: days };
}

/**
 * A cancelled deletion (from PendingDeletion or PendingReplicaDeletion) leaves the key Disabled,
 * or PendingImport if it has no material: never
 * had any, or its imported material was deleted or expired (an import always sets its
 * expirationModel, and deleting the material removes it).
 */
export function cancelDeletion(key: KeyRecord): KeyRecord {
  if (!isScheduledForDeletion(key)) {
    throw new KMSInvalidStateException(messages.notPendingDeletion(arnOf(key)));
  }
  const withoutMaterial = key.currentMaterialVersion === 0 || (key.origin === 'EXTERNAL' && key.expirationModel === undefined);
  const next: KeyRecord = { ...key, state: withoutMaterial ? 'PendingImport' : 'Disabled' };
  delete next.deletionDate;
  delete next.pendingWindowInDays;
  return next;
}

/**
 * Deletes every key whose deletion window has passed; returns how many were deleted. Each
 * deletion is conditional on the revision that was read, so a CancelKeyDeletion acknowledged in
 * between (by this or another server) wins. `onDeleted` lets caches drop the key's material.
 *
 * Deleting a multi-Region replica is one transaction with its consequence: when it was the last
 * replica of a primary in PendingReplicaDeletion, the primary becomes PendingDeletion and its
 * waiting period starts now (`replicasDeleted`).
 */
export async function deleteDueKeys(store: Store, now: number, onDeleted: (keyId: string) => void = () => {}): Promise<number> {
  let deleted = 0;
  for (;;) {
    const due = await store.keysDueForDeletion(now, 100);
    let progressed = false;
    for (const key of due) {
      if (await deleteDueKey(store, key, now)) {
        deleted++;
        progressed = true;
        onDeleted(key.keyId);
      }
    }
    // A key that changed under us is read again on the next sweep, not spun on here.
    if (due.length < 100 || !progressed) return deleted;
  }
}

async function deleteDueKey(store: Store, key: KeyRecord, now: number): Promise<boolean> {
  if (key.primaryRegion === undefined || key.primaryRegion === key.region) return store.deleteKey(key, key.keyId, key.revision);
  return store.transaction(async (tx) => {
    if (!(await tx.deleteKey(key, key.keyId, key.revision))) return false;
    const remaining = await tx.keyRegions(key.account, key.keyId);
    const primary = remaining.find((r) => r.region === r.primaryRegion);
    if (primary?.state === 'PendingReplicaDeletion' && remaining.length === 1) {
      if (!(await tx.updateKey(replicasDeleted(primary, now), primary.revision))) {
        throw new Error(`key ${primary.keyId} in ${primary.region} changed inside its transaction`);
      }
    }
    return true;
  });
}
