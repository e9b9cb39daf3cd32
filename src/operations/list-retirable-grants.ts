/**
 * ListRetirableGrants: the grants, on keys of any account in the caller's region, that name a
 * retiring principal (RetiringPrincipal, or the newest API's RetiringServicePrincipal), paged by
 * grant id. AWS asks for a principal of the caller's account; one of another account is
 * authorized as listing that account's grants, which the account rule refuses.
 */
import { isServicePrincipal, principalAccount } from '../domain/grants.js';
import { InvalidArnException, messages, ValidationException } from '../errors.js';
import { defineOperation } from './context.js';
import { grantPage } from './core/grants.js';
import { requestFacts } from './core/keys.js';

export const listRetirableGrantsOperation = defineOperation('ListRetirableGrants', { readOnly: true, resources: [] }, async (input, ctx) => {
  const principal = input.RetiringPrincipal ?? input.RetiringServicePrincipal;
  if (principal === undefined || (input.RetiringPrincipal !== undefined && input.RetiringServicePrincipal !== undefined)) {
    throw new ValidationException(messages.eitherNotBoth('RetiringPrincipal', 'RetiringServicePrincipal'));
  }
  if (input.RetiringPrincipal !== undefined) {
    const account = principalAccount(input.RetiringPrincipal);
    if (account === undefined) throw new InvalidArnException(messages.invalidPrincipal('RetiringPrincipal'));
    if (account !== ctx.scope.account) {
      const resource = { type: 'account', arn: '*', account, region: ctx.scope.region } as const;
      await ctx.services.access.authorize(ctx, ctx.operation.actions[0], resource, requestFacts(ctx));
    }
  } else if (!isServicePrincipal(principal)) {
    throw new ValidationException(messages.invalidServicePrincipal('RetiringServicePrincipal'));
  }
  return grantPage(input, (page) => ctx.services.store.listRetirableGrants(ctx.scope.region, principal, page));
});
