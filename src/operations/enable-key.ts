/** EnableKey: Disabled -> Enabled (and Enabled stays Enabled). */
import { enable } from '../domain/key-state.js';
import { defineOperation } from './context.js';
import { changeKey } from './core/key-change.js';

export const enableKeyOperation = defineOperation('EnableKey', { readOnly: false, resources: ['key'] }, (input, ctx) =>
  changeKey(ctx, input.KeyId, enable).then(() => ({})),
);
