/**
 * DisableKeyRotation: no more automatic rotations; the material versions made so far stay. On a
 * multi-Region key, on the primary only, for every Region.
 */
import { disableRotation } from '../domain/rotation.js';
import { defineOperation } from './context.js';
import { changeRotationSchedule } from './core/key-change.js';

export const disableKeyRotationOperation = defineOperation('DisableKeyRotation', { readOnly: false, resources: ['key'] }, (input, ctx) =>
  changeRotationSchedule(ctx, input.KeyId, disableRotation).then(() => ({})),
);
