/** TagResource: adds or overwrites tags on a key (not while it is pending deletion). */
import { assertManageable } from '../domain/key-state.js';
import { mergeTags } from '../domain/tags.js';
import { defineOperation } from './context.js';
import { changeKey } from './core/key-change.js';

export const tagResourceOperation = defineOperation('TagResource', { readOnly: false, resources: ['key'] }, (input, ctx) =>
  changeKey(ctx, input.KeyId, (key) => ({ ...assertManageable(key), tags: mergeTags(key.tags, input.Tags) }), {
    requestTags: input.Tags,
  }).then(() => ({})));
