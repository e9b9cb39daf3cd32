/** DisableKey: Enabled -> Disabled (and Disabled stays Disabled). */
import { disable } from '../domain/key-state.js';
import { defineOperation } from './context.js';
import { changeKey } from './core/key-change.js';

export const disableKeyOperation = defineOperation('DisableKey', { readOnly: false, resources: ['key'] }, (input, ctx) =>
  changeKey(ctx, input.KeyId, disable).then(() => ({})),
);
