/**
 * ListGrants: the grants of one key (key id or key ARN, in any state), paged by grant id,
 * optionally only one grant (GrantId) or one grantee (GranteePrincipal, or the newest API's
 * GranteeServicePrincipal, which ListGrants shows as the grantee principal too).
 */
import { messages, ValidationException } from '../errors.js';
import { defineOperation } from './context.js';
import { checkGrantId, grantPage } from './core/grants.js';
import { useKey } from './core/keys.js';

export const listGrantsOperation = defineOperation('ListGrants', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  if (input.GranteePrincipal !== undefined && input.GranteeServicePrincipal !== undefined) {
    throw new ValidationException(messages.eitherNotBoth('GranteePrincipal', 'GranteeServicePrincipal'));
  }
  const key = await useKey(ctx, input.KeyId, { allowAlias: false });
  const grantId = input.GrantId === undefined ? undefined : checkGrantId(input.GrantId);
  const granteePrincipal = input.GranteePrincipal ?? input.GranteeServicePrincipal;
  return grantPage(input, (page) =>
    ctx.services.store.listGrants(key, key.keyId, {
      ...page,
      ...(grantId !== undefined && { grantId }),
      ...(granteePrincipal !== undefined && { granteePrincipal }),
    }),
  );
});
