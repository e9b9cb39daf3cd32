/**
 * ScheduleKeyDeletion: the key becomes PendingDeletion and is deleted, with its aliases, when
 * the window (7 to 30 days, default 30) has passed.
 */
import { arnOf } from '../domain/arn.js';
import { scheduleDeletion } from '../domain/key-state.js';
import { ValidationException } from '../errors.js';
import { defineOperation } from './context.js';
import { changeKey } from './core/key-change.js';

interface ScheduleKeyDeletionInput {
  KeyId: string;
  PendingWindowInDays?: number;
}

const MIN_DAYS = 7;
const MAX_DAYS = 30;

export const scheduleKeyDeletionOperation = defineOperation<ScheduleKeyDeletionInput>('ScheduleKeyDeletion', async (input, ctx) => {
  const days = input.PendingWindowInDays ?? MAX_DAYS;
  if (days < MIN_DAYS || days > MAX_DAYS) {
    const bound = days < MIN_DAYS ? `greater than or equal to ${MIN_DAYS}` : `less than or equal to ${MAX_DAYS}`;
    throw new ValidationException(
      `1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value ${bound}`,
    );
  }
  const now = ctx.services.clock.now();
  const key = await changeKey(ctx, input.KeyId, 'ScheduleKeyDeletion', (k) => scheduleDeletion(k, days, now));
  return {
    KeyId: arnOf(key),
    DeletionDate: (key.deletionDate as number) / 1000,
    KeyState: key.state,
    PendingWindowInDays: days,
  };
});
