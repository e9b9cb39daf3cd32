/**
 * Multi-Region keys ("Multi-Region keys in AWS KMS" in the KMS developer guide): one key id
 * (`mrk-` + 32 lowercase hex digits) with one record per Region of one account, a primary and
 * its replicas (storage/types.ts: a key is identified by its id and its Region).
 *
 * What the records share, and keep equal: the key id, key spec, key usage, origin, public key,
 * every key material version (wrapped byte for byte the same: the root key's wrapping binds id and
 * version, not the Region) and the automatic rotation schedule. The primary is the source of
 * those: only it is replicated, only it rotates (on demand or on its schedule, for the whole
 * set), and a change of them is one store transaction over every regional record. What each
 * record has of its own: description, key policy, tags, aliases, grants, key state, last use,
 * and for imported material its expiry (each Region imports the same material itself).
 *
 * The primary's Region is recorded in every record (KeyRecord.primaryRegion), so a record tells
 * whether it is the primary without reading the others; UpdatePrimaryRegion rewrites it in all.
 */
import { messages, UnsupportedOperationException } from '../errors.js';
import type { MultiRegionConfiguration } from '../kms-types.generated.js';
import type { KeyRecord, Store } from '../storage/types.js';
import { arnOf } from './arn.js';

/** Whether the record is one of a multi-Region key's. */
export function isMultiRegion(key: KeyRecord): boolean {
  return key.primaryRegion !== undefined;
}

/** Whether the record is a multi-Region primary key. */
export function isPrimary(key: KeyRecord): boolean {
  return key.primaryRegion !== undefined && key.primaryRegion === key.region;
}

/** Whether the record is a multi-Region replica key. */
export function isReplica(key: KeyRecord): boolean {
  return key.primaryRegion !== undefined && key.primaryRegion !== key.region;
}

/**
 * ReplicateKey and UpdatePrimaryRegion act on a multi-Region primary key; the rotation operations
 * on the primary of a multi-Region key. Anything else is UnsupportedOperationException.
 */
export function assertPrimary(key: KeyRecord): void {
  if (!isPrimary(key)) throw new UnsupportedOperationException(messages.notMultiRegionPrimary(arnOf(key)));
}

/** For operations that change a shared property (rotation): single-Region keys and primaries only. */
export function assertNotReplica(key: KeyRecord): void {
  if (isReplica(key)) throw new UnsupportedOperationException(messages.notMultiRegionPrimary(arnOf(key)));
}

/**
 * Every regional record of the key (its primary and replicas, in Region order), read through
 * `store` (a transaction's, when the caller writes them); just the key for a single-Region key.
 */
export async function regionalRecords(store: Store, key: KeyRecord): Promise<KeyRecord[]> {
  if (!isMultiRegion(key)) return [key];
  const records = await store.keyRegions(key.account, key.keyId);
  return records.length > 0 ? records : [key];
}

/**
 * DescribeKey's MultiRegionConfiguration, from every regional record of the key: the primary's
 * ARN and Region, and the replicas' (the current record included, whichever it is).
 */
export function multiRegionConfiguration(key: KeyRecord, records: readonly KeyRecord[]): MultiRegionConfiguration {
  const primaryRegion = key.primaryRegion ?? key.region;
  const entry = (record: KeyRecord) => ({ Arn: arnOf(record), Region: record.region });
  const primary = records.find((r) => r.region === primaryRegion);
  return {
    MultiRegionKeyType: isPrimary(key) ? 'PRIMARY' : 'REPLICA',
    PrimaryKey: primary ? entry(primary) : { Arn: arnOf({ ...key, region: primaryRegion }), Region: primaryRegion },
    ReplicaKeys: records.filter((r) => r.region !== primaryRegion).map(entry),
  };
}

/** `record` with the automatic rotation schedule of `source` (a shared property). */
export function withRotationScheduleOf(record: KeyRecord, source: KeyRecord): KeyRecord {
  const next: KeyRecord = { ...record };
  delete next.rotationPeriodInDays;
  delete next.nextRotationDate;
  if (source.rotationPeriodInDays !== undefined) next.rotationPeriodInDays = source.rotationPeriodInDays;
  if (source.nextRotationDate !== undefined) next.nextRotationDate = source.nextRotationDate;
  return next;
}

/**
 * Writes `change` of each record in `records` (read through `tx`) under the revision read, all in
 * the caller's transaction; returns the records as stored. The transaction keeps other writers
 * out, so a record that changed since it was read is a fault: it throws and nothing is written.
 */
export async function updateAll(tx: Store, records: readonly KeyRecord[], change: (record: KeyRecord) => KeyRecord): Promise<KeyRecord[]> {
  const written: KeyRecord[] = [];
  for (const record of records) {
    const next = change(record);
    if (!(await tx.updateKey(next, record.revision))) {
      throw new Error(`key ${record.keyId} in ${record.region} changed inside its transaction`);
    }
    written.push({ ...next, revision: record.revision + 1 });
  }
  return written;
}
