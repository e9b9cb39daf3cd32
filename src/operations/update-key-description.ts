/**
 * UpdateKeyDescription: replaces a key's description (key id or key ARN; any state but
 * PendingDeletion, as AWS's key state table says). The model bounds the text (0..8192 chars).
 */
import { assertManageable } from '../domain/key-state.js';
import { defineOperation } from './context.js';
import { changeKey } from './core/key-change.js';

export const updateKeyDescriptionOperation = defineOperation('UpdateKeyDescription', { readOnly: false, resources: ['key'] }, (input, ctx) =>
  changeKey(ctx, input.KeyId, (key) => ({ ...assertManageable(key), description: input.Description })).then(() => ({})),
);
