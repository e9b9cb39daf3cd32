/** DeleteAlias: removes an alias; the key it named is unaffected. */
import { aliasArn } from '../domain/arn.js';
import { checkAliasName } from '../domain/aliases.js';
import { NotFoundException } from '../errors.js';
import { defineOperation } from './context.js';

export const deleteAliasOperation = defineOperation<{ AliasName: string }>('DeleteAlias', async (input, ctx) => {
  checkAliasName(input.AliasName);
  if (!(await ctx.services.store.deleteAlias(ctx.scope, input.AliasName))) {
    throw new NotFoundException(`Alias ${aliasArn(ctx.scope, input.AliasName)} is not found.`);
  }
  return {};
});
