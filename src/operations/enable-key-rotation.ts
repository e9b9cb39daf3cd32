/**
 * EnableKeyRotation: automatic rotation of a symmetric encryption key's material every
 * RotationPeriodInDays (90..2560, the model's bounds; default 365), from now (domain/rotation.ts).
 * The schedule is shared by a multi-Region key's Regions: set on the primary, for all of them.
 */
import { DEFAULT_ROTATION_PERIOD_DAYS, enableRotation } from '../domain/rotation.js';
import { defineOperation } from './context.js';
import { changeRotationSchedule } from './core/key-change.js';

export const enableKeyRotationOperation = defineOperation('EnableKeyRotation', { readOnly: false, resources: ['key'] }, async (input, ctx) => {
  const days = input.RotationPeriodInDays ?? DEFAULT_ROTATION_PERIOD_DAYS;
  const now = ctx.services.clock.now();
  await changeRotationSchedule(ctx, input.KeyId, (key) => enableRotation(key, days, now), { rotationPeriodInDays: days });
  return {};
});
