/**
 * RetireGrant: deletes a grant named by a grant token, or by a GrantId and the KeyId (key id or
 * key ARN) of its key, in any key state. As AWS has it ("Retiring and revoking grants"), the
 * grant itself decides who may retire it without any policy: its retiring principal, and its
 * grantee when it allows RetireGrant. Anyone else, the account that created the grant included,
 * needs kms:RetireGrant on the grant's key, decided like any key action. A token names its key,
 * so retiring by token needs no KeyId, even for a grant on another account's key.
 */
import { arnOf, keyArn } from '../domain/arn.js';
import { checkGrantTokens, retirableByGrant } from '../domain/grants.js';
import { parseKeyReference } from '../domain/key-ref.js';
import { messages, NotFoundException, ValidationException } from '../errors.js';
import type { RetireGrantRequest } from '../kms-types.generated.js';
import type { GrantRecord } from '../storage/types.js';
import { defineOperation, type RequestContext } from './context.js';
import { checkGrantId, grantOfKey } from './core/grants.js';
import { useKey } from './core/keys.js';
import { finishDryRun } from './core/symmetric.js';

/** The grant the request names, if it exists; undefined for a GrantId its key does not have. */
async function namedGrant(input: RetireGrantRequest, ctx: RequestContext): Promise<GrantRecord | undefined> {
  const { store, grantTokenSigner } = ctx.services;
  if (input.GrantToken !== undefined) {
    const [grant] = await checkGrantTokens([input.GrantToken], store, grantTokenSigner, ctx.scope.region);
    const ref = input.KeyId === undefined ? undefined : parseKeyReference(input.KeyId, ctx.scope, false);
    const otherKey = ref !== undefined && (ref.kind !== 'key' || keyArn(ref.scope, ref.keyId) !== arnOf(grant as GrantRecord));
    if (otherKey || (input.GrantId !== undefined && input.GrantId !== grant?.grantId)) throw new ValidationException(messages.retireGrantMismatch);
    return grant;
  }
  if (input.GrantId === undefined || input.KeyId === undefined) throw new ValidationException(messages.retireGrantWhich);
  const grantId = checkGrantId(input.GrantId);
  const ref = parseKeyReference(input.KeyId, ctx.scope, false);
  return ref.kind === 'key' ? store.getGrant(ref.scope, ref.keyId, grantId) : undefined;
}

export const retireGrantOperation = defineOperation('RetireGrant', { readOnly: false, resources: ['key'] }, async (input, ctx) => {
  const { store } = ctx.services;
  let grant = await namedGrant(input, ctx);
  if (!grant || !retirableByGrant(grant, ctx.principal)) {
    // Not the grant's to allow: kms:RetireGrant on its key, which also reports a key or grant
    // that does not exist, once the caller may know.
    const key = await useKey(ctx, grant ? arnOf(grant) : (input.KeyId as string), { allowAlias: false });
    grant ??= await grantOfKey(store, key, input.GrantId as string);
  }
  finishDryRun(input.DryRun);
  if (!(await store.deleteGrant(grant, grant.keyId, grant.grantId))) {
    throw new NotFoundException(messages.grantNotFound(grant.grantId, arnOf(grant)));
  }
  return {};
});
