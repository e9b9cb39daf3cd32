/**
 * How operations reach the keys and aliases a request names: resolved in the caller's account
 * and region, then authorized for the operation's action with the request's facts (its grant
 * tokens always among them), through domain/key-ref.ts and domain/access.ts.
 */
import type { AccessFacts, KmsAction } from '../../domain/access.js';
import type { KmsError } from '../../errors.js';
import { checkAliasName, checkCustomerAliasName } from '../../domain/aliases.js';
import { aliasArn } from '../../domain/arn.js';
import { resolveKey } from '../../domain/key-ref.js';
import type { KeyRecord } from '../../storage/types.js';
import type { RequestContext } from '../context.js';

/**
 * The facts every decision of a request is told: its grant tokens, the grants they name, and a
 * verified Recipient's attestation (kms:RecipientAttestation:*).
 */
export function requestFacts(ctx: Pick<RequestContext, 'grantTokens' | 'tokenGrants' | 'recipient'>): AccessFacts {
  return {
    grantTokens: ctx.grantTokens,
    ...(ctx.tokenGrants.length > 0 && { grantsFromTokens: ctx.tokenGrants }),
    ...(ctx.recipient && { recipientAttestation: ctx.recipient.attestation }),
  };
}

export interface KeyUse {
  /** Whether an alias may name the key (cryptographic operations and DescribeKey accept them). */
  allowAlias: boolean;
  /** The action, when the operation has more than one (ReEncrypt); else its only one. */
  action?: KmsAction;
  /** Condition values of the request for this key (encryption context, key pair spec, ...). */
  facts?: AccessFacts;
  /** The error for a key that does not exist, when not NotFoundException. */
  ifMissing?: () => KmsError;
}

/** The key `keyIdText` names, once the caller is allowed to use it for this operation. */
export function useKey(ctx: RequestContext, keyIdText: string, use: KeyUse): Promise<KeyRecord> {
  return resolveKey(ctx.services.store, ctx.services.access, ctx, keyIdText, {
    allowAlias: use.allowAlias,
    action: use.action ?? ctx.operation.actions[0],
    facts: { ...requestFacts(ctx), ...use.facts },
    ...(use.ifMissing && { ifMissing: use.ifMissing }),
  });
}

/**
 * Checks an alias name the request gives (`alias/...`; and not `alias/aws/...` when the alias is
 * being created), then authorizes the operation's action on that alias of the caller's account
 * and region.
 */
export function useAlias(ctx: RequestContext, aliasName: string, use: { creating: boolean }): Promise<void> {
  if (use.creating) checkCustomerAliasName(aliasName);
  else checkAliasName(aliasName);
  return ctx.services.access.authorize(
    ctx,
    ctx.operation.actions[0],
    { type: 'alias', arn: aliasArn(ctx.scope, aliasName), ...ctx.scope },
    requestFacts(ctx),
  );
}
