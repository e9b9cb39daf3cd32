/** DisableKey: Enabled -> Disabled (and Disabled stays Disabled). */
import { disable } from '../domain/key-state.js';
import { defineOperation } from './context.js';
import { changeKey } from './core/key-change.js';

export const disableKeyOperation = defineOperation({
  name: 'DisableKey',
  actions: ['kms:DisableKey'],
  readOnly: false,
  resources: ['key'],
  async handle(input, ctx) {
    await changeKey(ctx, input.KeyId, disable);
    return {};
  },
});
