/**
 * ScheduleKeyDeletion: the key becomes PendingDeletion and is deleted, with its aliases, when
 * the window (7 to 30 days, default 30) has passed. A multi-Region primary key that still has
 * replicas becomes PendingReplicaDeletion instead, with no deletion date: its window starts when
 * its last replica is deleted (domain/key-state.ts). Whether it has replicas is read in the
 * transaction that writes the new state, so a replica made or deleted meanwhile is counted.
 */
import { arnOf } from '../domain/arn.js';
import { scheduleDeletion } from '../domain/key-state.js';
import { isPrimary } from '../domain/multi-region.js';
import { NotFoundException, validationFailed, violation } from '../errors.js';
import type { KeyRecord } from '../storage/types.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';

const MIN_DAYS = 7;
const MAX_DAYS = 30;

export const scheduleKeyDeletionOperation = defineOperation('ScheduleKeyDeletion', { readOnly: false, resources: ['key'] }, async (input, ctx) => {
  const days = input.PendingWindowInDays ?? MAX_DAYS;
  // The model allows 1..365; AWS allows 7..30 and says so in its validation wording.
  if (days < MIN_DAYS || days > MAX_DAYS) {
    const bound = days < MIN_DAYS ? `greater than or equal to ${MIN_DAYS}` : `less than or equal to ${MAX_DAYS}`;
    throw validationFailed([violation(String(days), 'pendingWindowInDays', `have value ${bound}`)]);
  }
  const named = await useKey(ctx, input.KeyId, { allowAlias: false, facts: { pendingWindowInDays: days } });
  const now = ctx.services.clock.now();
  const key: KeyRecord = await ctx.services.store.transaction(async (tx) => {
    const current = await tx.getKey(named, named.keyId);
    if (!current) throw new NotFoundException(`Key '${arnOf(named)}' does not exist`);
    const hasReplicas = isPrimary(current) && (await tx.keyRegions(current.account, current.keyId)).some((r) => r.region !== current.region);
    const next = scheduleDeletion(current, days, now, hasReplicas);
    if (!(await tx.updateKey(next, current.revision))) throw new Error(`key ${current.keyId} changed inside its transaction`);
    return next;
  });
  return {
    KeyId: arnOf(key),
    // AWS: for a primary key with replicas "this field does not appear".
    ...(key.deletionDate !== undefined && { DeletionDate: key.deletionDate / 1000 }),
    KeyState: key.state,
    PendingWindowInDays: days,
  };
});
