/**
 * RotateKeyOnDemand: the key gets new current material at once (at most 25 times per key,
 * LimitExceededException past it); its automatic schedule is unchanged (domain/rotation.ts).
 * A multi-Region key rotates from its primary, every Region getting the same new material.
 */
import { arnOf } from '../domain/arn.js';
import { rotateOnDemand } from '../domain/rotation.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';

export const rotateKeyOnDemandOperation = defineOperation('RotateKeyOnDemand', { readOnly: false, resources: ['key'] }, async (input, ctx) => {
  const key = await useKey(ctx, input.KeyId, { allowAlias: false });
  const rotation = await rotateOnDemand(ctx.services.store, ctx.services.materials, key, ctx.services.clock.now());
  return { KeyId: arnOf(rotation.key) };
});
