/** UntagResource: removes tags from a key by tag key; unknown tag keys are ignored, as in AWS. */
import { assertManageable } from '../domain/key-state.js';
import { removeTags } from '../domain/tags.js';
import { defineOperation } from './context.js';
import { changeKey } from './core/key-change.js';

export const untagResourceOperation = defineOperation({
  name: 'UntagResource',
  actions: ['kms:UntagResource'],
  readOnly: false,
  resources: ['key'],
  async handle(input, ctx) {
    await changeKey(ctx, input.KeyId, (key) => {
      assertManageable(key);
      return { ...key, tags: removeTags(key.tags, input.TagKeys) };
    });
    return {};
  },
});
