/** ListKeyPolicies: the names of a key's policies, which is always the one name `default`. */
import { KEY_POLICY_NAME } from '../domain/key-policy.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';
import { markerPosition, pageLimit, pageOf } from './core/paging.js';

export const listKeyPoliciesOperation = defineOperation('ListKeyPolicies', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  await useKey(ctx, input.KeyId, { allowAlias: false });
  const limit = pageLimit(input, 100, 1000);
  const after = markerPosition(input, (name) => name === KEY_POLICY_NAME);
  const page = pageOf(after === undefined ? [KEY_POLICY_NAME] : [], limit, (name) => name);
  return { PolicyNames: page.items, Truncated: page.Truncated, ...(page.NextMarker !== undefined && { NextMarker: page.NextMarker }) };
});
