/** CreateAlias: a friendly name (`alias/...`) for a key in the caller's account and region. */
import { aliasArn } from '../domain/arn.js';
import { checkCustomerAliasName } from '../domain/aliases.js';
import { assertManageable } from '../domain/key-state.js';
import { AlreadyExistsException } from '../errors.js';
import { defineOperation } from './context.js';
import { authorizeAlias, useKey } from './core/keys.js';

export const createAliasOperation = defineOperation({
  name: 'CreateAlias',
  actions: ['kms:CreateAlias'],
  readOnly: false,
  resources: ['alias', 'key'],
  async handle(input, ctx) {
    checkCustomerAliasName(input.AliasName);
    await authorizeAlias(ctx, input.AliasName);
    const key = await useKey(ctx, input.TargetKeyId, { allowAlias: false });
    assertManageable(key);
    const now = ctx.services.clock.now();
    const created = await ctx.services.store.createAlias({ ...ctx.scope, aliasName: input.AliasName, targetKeyId: key.keyId, createdAt: now, updatedAt: now });
    if (!created) throw new AlreadyExistsException(`An alias with the name ${aliasArn(ctx.scope, input.AliasName)} already exists`);
    return {};
  },
});
