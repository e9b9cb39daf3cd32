/**
 * CancelKeyDeletion: a key pending deletion (or a multi-Region primary pending its replicas'
 * deletion) returns to Disabled (PendingImport if it has no material).
 */
import { arnOf } from '../domain/arn.js';
import { cancelDeletion } from '../domain/key-state.js';
import { defineOperation } from './context.js';
import { changeKey } from './core/key-change.js';

export const cancelKeyDeletionOperation = defineOperation('CancelKeyDeletion', { readOnly: false, resources: ['key'] }, async (input, ctx) => {
  const key = await changeKey(ctx, input.KeyId, cancelDeletion);
  return { KeyId: arnOf(key) };
});
