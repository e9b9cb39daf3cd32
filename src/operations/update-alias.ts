/** UpdateAlias: points an existing alias at another key of the same kind and usage. */
import { aliasArn } from '../domain/arn.js';
import { checkRetarget } from '../domain/aliases.js';
import { assertManageable } from '../domain/key-state.js';
import { NotFoundException } from '../errors.js';
import { defineOperation } from './context.js';
import { useAlias, useKey } from './core/keys.js';

export const updateAliasOperation = defineOperation('UpdateAlias', { readOnly: false, resources: ['alias', 'key'] }, async (input, ctx) => {
  await useAlias(ctx, input.AliasName, { creating: false });
  const { store, clock } = ctx.services;
  const notFound = () => new NotFoundException(`Alias ${aliasArn(ctx.scope, input.AliasName)} is not found.`);
  const alias = await store.getAlias(ctx.scope, input.AliasName);
  if (!alias) throw notFound();
  // IAM authorizes kms:UpdateAlias on the alias, on the key it names now and on the key it will
  // name (the KMS Developer Guide, "Controlling access to aliases").
  const current = await useKey(ctx, alias.targetKeyId, { allowAlias: false });
  const next = await useKey(ctx, input.TargetKeyId, { allowAlias: false });
  assertManageable(next);
  checkRetarget(current, next);
  if (!(await store.updateAlias({ ...alias, targetKeyId: next.keyId, updatedAt: clock.now() }))) throw notFound();
  return {};
});
