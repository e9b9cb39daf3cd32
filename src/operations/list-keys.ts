/** ListKeys: the keys of the caller's account and region, paged with Limit and Marker. */
import { arnOf } from '../domain/arn.js';
import { isWellFormedKeyId } from '../domain/key-ref.js';
import { defineOperation } from './context.js';
import { markerPosition, pageLimit, pageOf } from './core/paging.js';

export const listKeysOperation = defineOperation('ListKeys', { readOnly: true, resources: [] }, async (input, ctx) => {
  const limit = pageLimit(input, 100, 1000);
  const after = markerPosition(input, isWellFormedKeyId);
  const keys = await ctx.services.store.listKeys(ctx.scope, { limit: limit + 1, ...(after !== undefined && { after }) });
  const page = pageOf(keys, limit, (k) => k.keyId);
  return {
    Keys: page.items.map((k) => ({ KeyId: k.keyId, KeyArn: arnOf(k) })),
    Truncated: page.Truncated,
    ...(page.NextMarker !== undefined && { NextMarker: page.NextMarker }),
  };
});
