/** EnableKey: Disabled -> Enabled (and Enabled stays Enabled). */
import { enable } from '../domain/key-state.js';
import { defineOperation } from './context.js';
import { changeKey } from './core/key-change.js';

export const enableKeyOperation = defineOperation({
  name: 'EnableKey',
  actions: ['kms:EnableKey'],
  readOnly: false,
  resources: ['key'],
  async handle(input, ctx) {
    await changeKey(ctx, input.KeyId, enable);
    return {};
  },
});
