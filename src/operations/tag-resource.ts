/** TagResource: adds or overwrites tags on a key (not while it is pending deletion). */
import { assertManageable } from '../domain/key-state.js';
import { mergeTags } from '../domain/tags.js';
import { defineOperation } from './context.js';
import { changeKey } from './core/key-change.js';

export const tagResourceOperation = defineOperation({
  name: 'TagResource',
  actions: ['kms:TagResource'],
  readOnly: false,
  resources: ['key'],
  async handle(input, ctx) {
    await changeKey(ctx, input.KeyId, (key) => {
      assertManageable(key);
      return { ...key, tags: mergeTags(key.tags, input.Tags) };
    });
    return {};
  },
});
