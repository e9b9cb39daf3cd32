/** ListAliases: the aliases of the caller's account and region, or of one key, paged by name. */
import { aliasArn } from '../domain/arn.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';
import { markerPosition, pageLimit, pageOf } from './core/paging.js';

export const listAliasesOperation = defineOperation('ListAliases', { readOnly: true, resources: [] }, async (input, ctx) => {
  const { store } = ctx.services;
  const keyId = input.KeyId === undefined ? undefined : (await useKey(ctx, input.KeyId, { allowAlias: false })).keyId;
  const limit = pageLimit(input, 50, 100);
  const after = markerPosition(input, (name) => name.startsWith('alias/'));
  const aliases = await store.listAliases(ctx.scope, {
    limit: limit + 1,
    ...(after !== undefined && { after }),
    ...(keyId !== undefined && { keyId }),
  });
  const page = pageOf(aliases, limit, (a) => a.aliasName);
  return {
    Aliases: page.items.map((a) => ({
      AliasName: a.aliasName,
      AliasArn: aliasArn(a, a.aliasName),
      TargetKeyId: a.targetKeyId,
      CreationDate: a.createdAt / 1000,
      LastUpdatedDate: a.updatedAt / 1000,
    })),
    Truncated: page.Truncated,
    ...(page.NextMarker !== undefined && { NextMarker: page.NextMarker }),
  };
});
