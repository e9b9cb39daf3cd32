/** ListResourceTags: a key's tags sorted by tag key, paged with Limit (at most 50) and Marker. */
import { resolveKey } from '../domain/key-ref.js';
import { defineOperation } from './context.js';
import { markerPosition, pageLimit, pageOf, type PageInput } from './core/paging.js';

export const listResourceTagsOperation = defineOperation<PageInput & { KeyId: string }>('ListResourceTags', async (input, ctx) => {
  const key = await resolveKey(ctx.services.store, input.KeyId, {
    allowAlias: false,
    caller: ctx.scope,
    action: 'kms:ListResourceTags',
  });
  const limit = pageLimit(input, 50, 50);
  const after = markerPosition(input, () => true);
  const remaining = after === undefined ? key.tags : key.tags.filter((t) => t.TagKey > after);
  const page = pageOf(remaining.slice(0, limit + 1), limit, (t) => t.TagKey);
  return {
    Tags: page.items,
    Truncated: page.Truncated,
    ...(page.NextMarker !== undefined && { NextMarker: page.NextMarker }),
  };
});
