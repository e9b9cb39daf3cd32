/**
 * ScheduleKeyDeletion: the key becomes PendingDeletion and is deleted, with its aliases, when
 * the window (7 to 30 days, default 30) has passed.
 */
import { arnOf } from '../domain/arn.js';
import { scheduleDeletion } from '../domain/key-state.js';
import { validationFailed, violation } from '../errors.js';
import { defineOperation } from './context.js';
import { changeKey } from './core/key-change.js';

const MIN_DAYS = 7;
const MAX_DAYS = 30;

export const scheduleKeyDeletionOperation = defineOperation('ScheduleKeyDeletion', { readOnly: false, resources: ['key'] }, async (input, ctx) => {
  const days = input.PendingWindowInDays ?? MAX_DAYS;
  // The model allows 1..365; AWS allows 7..30 and says so in its validation wording.
  if (days < MIN_DAYS || days > MAX_DAYS) {
    const bound = days < MIN_DAYS ? `greater than or equal to ${MIN_DAYS}` : `less than or equal to ${MAX_DAYS}`;
    throw validationFailed([violation(String(days), 'pendingWindowInDays', `have value ${bound}`)]);
  }
  const now = ctx.services.clock.now();
  const key = await changeKey(ctx, input.KeyId, (k) => scheduleDeletion(k, days, now), { pendingWindowInDays: days });
  return {
    KeyId: arnOf(key),
    DeletionDate: (key.deletionDate as number) / 1000,
    KeyState: key.state,
    PendingWindowInDays: days,
  };
});
