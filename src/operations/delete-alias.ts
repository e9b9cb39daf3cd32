/** DeleteAlias: removes an alias; the key it named is unaffected. */
import { aliasArn } from '../domain/arn.js';
import { NotFoundException } from '../errors.js';
import { defineOperation } from './context.js';
import { useAlias } from './core/keys.js';

export const deleteAliasOperation = defineOperation('DeleteAlias', { readOnly: false, resources: ['alias', 'key'] }, async (input, ctx) => {
  await useAlias(ctx, input.AliasName, { creating: false });
  if (!(await ctx.services.store.deleteAlias(ctx.scope, input.AliasName))) {
    throw new NotFoundException(`Alias ${aliasArn(ctx.scope, input.AliasName)} is not found.`);
  }
  return {};
});
