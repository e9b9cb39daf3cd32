/**
 * Tag rules for KMS keys: at most 50 per key, unique keys, none beginning with `aws:`. Lengths
 * (key 1..128, value 0..256) are checked by request validation against the model.
 */
import { TagException } from '../errors.js';
import type { Tag } from '../storage/types.js';

export const MAX_TAGS = 50;

/** Checks tags a request adds; returns them sorted by key. */
export function checkNewTags(tags: readonly Tag[]): Tag[] {
  const keys = new Set<string>();
  for (const tag of tags) {
    // Reserved in any case: aws:, AWS:, Aws: ...
    if (tag.TagKey.toLowerCase().startsWith('aws:')) throw new TagException('Tags beginning with aws: are reserved');
    if (keys.has(tag.TagKey)) throw new TagException('Duplicate tag keys');
    keys.add(tag.TagKey);
  }
  if (tags.length > MAX_TAGS) throw new TagException('Too many tags');
  return sortTags(tags);
}

/** Adds or overwrites tags, keeping the per-key limit. */
export function mergeTags(existing: readonly Tag[], added: readonly Tag[]): Tag[] {
  const merged = new Map(existing.map((t) => [t.TagKey, t.TagValue]));
  for (const tag of checkNewTags(added)) merged.set(tag.TagKey, tag.TagValue);
  if (merged.size > MAX_TAGS) throw new TagException('Too many tags');
  return sortTags([...merged].map(([TagKey, TagValue]) => ({ TagKey, TagValue })));
}

export function removeTags(existing: readonly Tag[], keys: readonly string[]): Tag[] {
  const removed = new Set(keys);
  return existing.filter((t) => !removed.has(t.TagKey));
}

function sortTags(tags: readonly Tag[]): Tag[] {
  return [...tags].sort((a, b) => (a.TagKey < b.TagKey ? -1 : a.TagKey > b.TagKey ? 1 : 0));
}
