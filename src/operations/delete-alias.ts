/** DeleteAlias: removes an alias; the key it named is unaffected. */
import { aliasArn } from '../domain/arn.js';
import { NotFoundException } from '../errors.js';
import { defineOperation } from './context.js';
import { useAlias, useKey } from './core/keys.js';

// IAM authorizes kms:DeleteAlias on the alias and on the key it names (the KMS Developer Guide,
// "Controlling access to aliases").
export const deleteAliasOperation = defineOperation('DeleteAlias', { readOnly: false, resources: ['alias', 'key'] }, async (input, ctx) => {
  await useAlias(ctx, input.AliasName, { creating: false });
  const { store } = ctx.services;
  const notFound = () => new NotFoundException(`Alias ${aliasArn(ctx.scope, input.AliasName)} is not found.`);
  const alias = await store.getAlias(ctx.scope, input.AliasName);
  if (!alias) throw notFound();
  await useKey(ctx, alias.targetKeyId, { allowAlias: false });
  if (!(await store.deleteAlias(ctx.scope, input.AliasName))) throw notFound();
  return {};
});
