/** UpdateAlias: points an existing alias at another key of the same kind and usage. */
import { aliasArn } from '../domain/arn.js';
import { checkAliasName, checkRetarget } from '../domain/aliases.js';
import { resolveKey } from '../domain/key-ref.js';
import { assertManageable } from '../domain/key-state.js';
import { NotFoundException } from '../errors.js';
import { defineOperation } from './context.js';

export const updateAliasOperation = defineOperation<{ AliasName: string; TargetKeyId: string }>('UpdateAlias', async (input, ctx) => {
  checkAliasName(input.AliasName);
  const { store, clock } = ctx.services;
  const notFound = () => new NotFoundException(`Alias ${aliasArn(ctx.scope, input.AliasName)} is not found.`);
  const alias = await store.getAlias(ctx.scope, input.AliasName);
  if (!alias) throw notFound();
  const next = await resolveKey(store, input.TargetKeyId, { allowAlias: false, caller: ctx.scope, action: 'kms:UpdateAlias' });
  assertManageable(next);
  const current = await store.getKey(ctx.scope, alias.targetKeyId);
  if (current) checkRetarget(current, next);
  if (!(await store.updateAlias({ ...alias, targetKeyId: next.keyId, updatedAt: clock.now() }))) throw notFound();
  return {};
});
