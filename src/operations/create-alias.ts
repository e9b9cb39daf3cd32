/** CreateAlias: a friendly name (`alias/...`) for a key in the caller's account and region. */
import { aliasArn } from '../domain/arn.js';
import { assertManageable } from '../domain/key-state.js';
import { AlreadyExistsException } from '../errors.js';
import { defineOperation } from './context.js';
import { useAlias, useKey } from './core/keys.js';

export const createAliasOperation = defineOperation('CreateAlias', { readOnly: false, resources: ['alias', 'key'] }, async (input, ctx) => {
  await useAlias(ctx, input.AliasName, { creating: true });
  const key = await useKey(ctx, input.TargetKeyId, { allowAlias: false });
  assertManageable(key);
  const now = ctx.services.clock.now();
  const alias = { ...ctx.scope, aliasName: input.AliasName, targetKeyId: key.keyId, createdAt: now, updatedAt: now };
  const created = await ctx.services.store.createAlias(alias);
  if (!created) throw new AlreadyExistsException(`An alias with the name ${aliasArn(ctx.scope, input.AliasName)} already exists`);
  return {};
});
