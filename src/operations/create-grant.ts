/**
 * CreateGrant: lets a grantee principal call some operations on one key, under optional
 * constraints, until the grant is retired or revoked; answers with the grant's id and a token
 * that makes the grant count in the very next request (domain/grants.ts). With a Name, a
 * retry of the same request returns the same grant (and a new token for it).
 *
 * Order of checks: the request's own terms (principals, operations, constraints), the key
 * (key id or key ARN) and the caller's permission, the key's state (Disabled, PendingDeletion
 * and PendingImport refuse grants), the terms against the key, then DryRun.
 */
import { randomGrantId } from '../crypto/random.js';
import { arnOf, partitionOf } from '../domain/arn.js';
import { checkGrantForKey, checkGrantParameters, issueGrantToken } from '../domain/grants.js';
import { assertGrantable } from '../domain/key-state.js';
import { NotFoundException } from '../errors.js';
import type { GrantRecord } from '../storage/types.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';
import { finishDryRun } from './core/symmetric.js';

// The grant token stands for the grant until it has propagated: never logged or audited.
export const createGrantOperation = defineOperation('CreateGrant', { readOnly: false, resources: ['key'], sensitive: { output: ['GrantToken'] } }, async (input, ctx) => {
  const terms = checkGrantParameters(input);
  const key = await useKey(ctx, input.KeyId, {
    allowAlias: false,
    facts: {
      newGrant: {
        operations: terms.operations,
        granteePrincipal: terms.granteePrincipal,
        ...(terms.retiringPrincipal !== undefined && { retiringPrincipal: terms.retiringPrincipal }),
        ...(terms.constraints !== undefined && { constraints: terms.constraints }),
      },
    },
  });
  assertGrantable(key);
  checkGrantForKey(key, terms);
  finishDryRun(input.DryRun);

  const grant: GrantRecord = {
    account: key.account,
    region: key.region,
    keyId: key.keyId,
    grantId: randomGrantId(),
    ...terms,
    issuingAccount: `arn:${partitionOf(ctx.scope.region)}:iam::${ctx.principal.account}:root`,
    createdAt: ctx.services.clock.now(),
  };
  if (input.Name !== undefined) grant.name = input.Name;
  const stored = await ctx.services.store.createGrant(grant);
  // The key was deleted since it was read.
  if (!stored) throw new NotFoundException(`Key '${arnOf(key)}' does not exist`);
  return { GrantId: stored.grantId, GrantToken: issueGrantToken(ctx.services.grantTokenSigner, stored) };
});
