/** DisableKey: Enabled -> Disabled (and Disabled stays Disabled). */
import { disable } from '../domain/key-state.js';
import { defineOperation } from './context.js';
import { changeKey } from './core/key-change.js';

export const disableKeyOperation = defineOperation<{ KeyId: string }>('DisableKey', async (input, ctx) => {
  await changeKey(ctx, input.KeyId, 'DisableKey', disable);
  return {};
});
