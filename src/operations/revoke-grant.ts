/**
 * RevokeGrant: deletes a grant of a key (key id or key ARN, in any state), authorized as
 * kms:RevokeGrant on the key like any key operation (AWS: typically by key administrators).
 * A revoked grant's tokens are refused from then on.
 */
import { arnOf } from '../domain/arn.js';
import { messages, NotFoundException } from '../errors.js';
import { defineOperation } from './context.js';
import { grantOfKey } from './core/grants.js';
import { useKey } from './core/keys.js';
import { finishDryRun } from './core/symmetric.js';

export const revokeGrantOperation = defineOperation('RevokeGrant', { readOnly: false, resources: ['key'] }, async (input, ctx) => {
  const { store } = ctx.services;
  const key = await useKey(ctx, input.KeyId, { allowAlias: false });
  const grant = await grantOfKey(store, key, input.GrantId);
  finishDryRun(input.DryRun);
  if (!(await store.deleteGrant(key, key.keyId, grant.grantId))) throw new NotFoundException(messages.grantNotFound(grant.grantId, arnOf(key)));
  return {};
});
