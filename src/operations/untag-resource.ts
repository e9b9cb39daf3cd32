/** UntagResource: removes tags from a key by tag key; unknown tag keys are ignored, as in AWS. */
import { assertManageable } from '../domain/key-state.js';
import { removeTags } from '../domain/tags.js';
import { defineOperation } from './context.js';
import { changeKey } from './core/key-change.js';

export const untagResourceOperation = defineOperation('UntagResource', { readOnly: false, resources: ['key'] }, (input, ctx) =>
  changeKey(ctx, input.KeyId, (key) => ({ ...assertManageable(key), tags: removeTags(key.tags, input.TagKeys) }), {
    tagKeys: input.TagKeys,
  }).then(() => ({})));
