/** DeleteAlias: removes an alias; the key it named is unaffected. */
import { aliasArn } from '../domain/arn.js';
import { checkAliasName } from '../domain/aliases.js';
import { NotFoundException } from '../errors.js';
import { defineOperation } from './context.js';
import { authorizeAlias } from './core/keys.js';

export const deleteAliasOperation = defineOperation({
  name: 'DeleteAlias',
  actions: ['kms:DeleteAlias'],
  readOnly: false,
  resources: ['alias', 'key'],
  async handle(input, ctx) {
    checkAliasName(input.AliasName);
    await authorizeAlias(ctx, input.AliasName);
    if (!(await ctx.services.store.deleteAlias(ctx.scope, input.AliasName))) {
      throw new NotFoundException(`Alias ${aliasArn(ctx.scope, input.AliasName)} is not found.`);
    }
    return {};
  },
});
