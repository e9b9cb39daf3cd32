/**
 * PutKeyPolicy: replaces a key's policy (in any key state), after checking it as CreateKey checks
 * a policy: valid, naming existing principals, and not locking the caller out of PutKeyPolicy
 * unless BypassPolicyLockoutSafetyCheck says so.
 */
import { updateKey } from '../domain/key.js';
import { checkNewKeyPolicy, checkPolicyName } from '../domain/key-policy.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';

export const putKeyPolicyOperation = defineOperation('PutKeyPolicy', { readOnly: false, resources: ['key'] }, async (input, ctx) => {
  const bypassLockoutCheck = input.BypassPolicyLockoutSafetyCheck === true;
  const key = await useKey(ctx, input.KeyId, { allowAlias: false, facts: { bypassPolicyLockoutSafetyCheck: bypassLockoutCheck } });
  checkPolicyName(input.PolicyName);
  const { access, store } = ctx.services;
  await checkNewKeyPolicy(access, ctx, key, { text: input.Policy, bypassLockoutCheck }, access.principalExists);
  await updateKey(store, key, key.keyId, (current) => ({ ...current, policy: input.Policy }));
  return {};
});
