/** CreateAlias: a friendly name (`alias/...`) for a key in the caller's account and region. */
import { aliasArn } from '../domain/arn.js';
import { checkCustomerAliasName } from '../domain/aliases.js';
import { resolveKey } from '../domain/key-ref.js';
import { assertManageable } from '../domain/key-state.js';
import { AlreadyExistsException } from '../errors.js';
import { defineOperation } from './context.js';

export const createAliasOperation = defineOperation<{ AliasName: string; TargetKeyId: string }>('CreateAlias', async (input, ctx) => {
  checkCustomerAliasName(input.AliasName);
  const { store, clock } = ctx.services;
  const key = await resolveKey(store, input.TargetKeyId, { allowAlias: false, caller: ctx.scope, action: 'kms:CreateAlias' });
  assertManageable(key);
  const now = clock.now();
  const created = await store.createAlias({ ...ctx.scope, aliasName: input.AliasName, targetKeyId: key.keyId, createdAt: now, updatedAt: now });
  if (!created) throw new AlreadyExistsException(`An alias with the name ${aliasArn(ctx.scope, input.AliasName)} already exists`);
  return {};
});
