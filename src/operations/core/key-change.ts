/**
 * The core of the operations that change a key named by key id or key ARN (aliases are not
 * accepted, as in AWS): EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion,
 * TagResource, UntagResource. The key is resolved and authorized once, then changed under the
 * store's optimistic revision check (domain/key.ts).
 */
import type { AccessFacts } from '../../domain/access.js';
import { arnOf } from '../../domain/arn.js';
import { updateKey } from '../../domain/key.js';
import { assertNotReplica, isMultiRegion, updateAll, withRotationScheduleOf } from '../../domain/multi-region.js';
import { NotFoundException } from '../../errors.js';
import type { KeyRecord } from '../../storage/types.js';
import type { RequestContext } from '../context.js';
import { useKey } from './keys.js';

export async function changeKey(
  ctx: RequestContext,
  keyIdText: string,
  change: (key: KeyRecord) => KeyRecord,
  facts: AccessFacts = {},
): Promise<KeyRecord> {
  const key = await useKey(ctx, keyIdText, { allowAlias: false, facts });
  return updateKey(ctx.services.store, key, key.keyId, change);
}

/**
 * Changes the automatic rotation schedule, a property a multi-Region key shares
 * (domain/multi-region.ts): only on a single-Region key or a primary (a replica is refused), and
 * for a multi-Region key in every regional record in one transaction. `change` judges the key
 * named and may throw to refuse.
 */
export async function changeRotationSchedule(
  ctx: RequestContext,
  keyIdText: string,
  change: (key: KeyRecord) => KeyRecord,
  facts: AccessFacts = {},
): Promise<KeyRecord> {
  const key = await useKey(ctx, keyIdText, { allowAlias: false, facts });
  if (!isMultiRegion(key)) return updateKey(ctx.services.store, key, key.keyId, change);
  assertNotReplica(key);
  return ctx.services.store.transaction(async (tx) => {
    const records = await tx.keyRegions(key.account, key.keyId);
    const primary = records.find((r) => r.region === key.region);
    if (!primary) throw new NotFoundException(`Key '${arnOf(key)}' does not exist`);
    assertNotReplica(primary);
    const next = change(primary);
    const written = await updateAll(tx, records, (r) => (r.region === primary.region ? next : withRotationScheduleOf(r, next)));
    return written.find((r) => r.region === primary.region) ?? next;
  });
}
