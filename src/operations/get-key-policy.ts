/** GetKeyPolicy: the key policy of a key (named by key id or key ARN), in any key state. */
import { checkPolicyName, KEY_POLICY_NAME } from '../domain/key-policy.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';

export const getKeyPolicyOperation = defineOperation('GetKeyPolicy', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const key = await useKey(ctx, input.KeyId, { allowAlias: false });
  checkPolicyName(input.PolicyName);
  return { Policy: key.policy, PolicyName: KEY_POLICY_NAME };
});
