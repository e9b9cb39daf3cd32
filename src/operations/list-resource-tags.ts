/** ListResourceTags: a key's tags sorted by tag key, paged with Limit (at most 50) and Marker. */
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';
import { markerPosition, pageLimit, pageOf } from './core/paging.js';

export const listResourceTagsOperation = defineOperation('ListResourceTags', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const key = await useKey(ctx, input.KeyId, { allowAlias: false });
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
