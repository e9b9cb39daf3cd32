/**
 * Who is calling, and whether they may do what they ask. Every request carries a Principal (the
 * verified caller; in development mode the default account's root user), and every access
 * decision goes through `AccessControl.authorize(caller, action, resource, facts)`: for a key or
 * an alias right after it is resolved, and for account-level actions (CreateKey, ListKeys, ...)
 * in the request pipeline's authorize stage.
 *
 * `facts` carries the request values that condition keys read (kms:EncryptionContext:*,
 * kms:DataKeyPairSpec, kms:RequestAlias, the grant tokens, ...), so key policies, identity
 * policies and grants are evaluated, and audited, from one place (condition-keys.ts builds the
 * keys, policies.ts evaluates the documents, AccessControl below combines them as AWS does).
 */
import { AccessDeniedException } from '../errors.js';
import type { VerifiedAttestation } from './attestation.js';
import type { Clock } from './clock.js';
import { conditionContext, readsResourceAliases } from './condition-keys.js';
import { grantAllows, grantOperationOf, grantsOfCaller } from './grants.js';
import { defaultKeyPolicy } from './key-policy.js';
import { evaluatePolicy, parsePolicy, type PolicyDocument, type PolicyEffect, type PolicyRequest } from './policies.js';
import type {
  DataKeyPairSpec,
  EncryptionAlgorithmSpec,
  GrantOperation,
  KeyAgreementAlgorithmSpec,
  KeySpec,
  KeyUsageType,
  MacAlgorithmSpec,
  MessageType,
  OriginType,
  SigningAlgorithmSpec,
} from '../kms-types.generated.js';
import type { GrantConstraintsRecord, GrantRecord, KeyRecord, Scope, Store } from '../storage/types.js';

export interface Principal {
  /** The 12-digit account the caller belongs to. */
  account: string;
  /** Its IAM ARN: `arn:aws:iam::111122223333:root`, `...:user/alice`, `...:role/path/app`. */
  arn: string;
  /** The account root user, an IAM user or an IAM role. */
  type: PrincipalType;
  /** The user or role name, without its path (aws:username); the root has none. */
  name?: string;
  /** The access key id the request was signed with, when it was signed. */
  accessKeyId?: string;
}

export type PrincipalType = 'root' | 'user' | 'role';

/** The caller of one request: who, and the account and region it acts in. */
export interface Caller {
  principal: Principal;
  /** The principal's account and the request's region (the SigV4 credential scope's). */
  scope: Scope;
  /** The client's IP address (aws:SourceIp), when the transport knows it. */
  sourceIp?: string;
  /** Whether the request came over TLS (aws:SecureTransport); Trent serves plain HTTP. */
  secureTransport: boolean;
}

/** An IAM action of the KMS service. */
export type KmsAction = `kms:${string}`;

/** What an action is performed on: a KMS key, an alias, or the account itself (`*`). */
export type Resource =
  | { type: 'key'; arn: string; account: string; region: string; key?: KeyRecord }
  | { type: 'alias'; arn: string; account: string; region: string }
  | { type: 'account'; arn: '*'; account: string; region: string };

/** The request values IAM condition keys read. */
export interface AccessFacts {
  /** kms:EncryptionContext:<key>, kms:EncryptionContextKeys */
  encryptionContext?: Readonly<Record<string, string>>;
  /** The grant tokens sent with the request; grants they name count at once. */
  grantTokens?: readonly string[];
  /**
   * The grants those tokens name, each checked to exist (domain/grants.ts, checkGrantTokens);
   * present when the request carried any. Which of them count for this decision (the caller's,
   * on this key) is grants.ts's `grantsOfCaller`.
   */
  grantsFromTokens?: readonly GrantRecord[];
  /** kms:GrantOperations, kms:GranteePrincipal, kms:RetiringPrincipal, kms:GrantConstraintType of a grant being created. */
  newGrant?: {
    operations: readonly GrantOperation[];
    granteePrincipal: string;
    retiringPrincipal?: string;
    constraints?: GrantConstraintsRecord;
  };
  /** kms:DataKeyPairSpec */
  dataKeyPairSpec?: DataKeyPairSpec;
  /**
   * A verified Recipient's attestation document: kms:RecipientAttestation:ImageSha384 and
   * kms:RecipientAttestation:PCR<n> (Nitro Enclaves), kms:RecipientAttestation:NitroTPMPCR<n>.
   */
  recipientAttestation?: VerifiedAttestation;
  /** kms:EncryptionAlgorithm */
  encryptionAlgorithm?: EncryptionAlgorithmSpec;
  /** kms:SigningAlgorithm and kms:MessageType (Sign, Verify; MessageType RAW when not given) */
  signingAlgorithm?: SigningAlgorithmSpec;
  messageType?: MessageType;
  /** kms:MacAlgorithm (GenerateMac, VerifyMac) */
  macAlgorithm?: MacAlgorithmSpec;
  /** kms:KeyAgreementAlgorithm (DeriveSharedSecret) */
  keyAgreementAlgorithm?: KeyAgreementAlgorithmSpec;
  /** kms:RequestAlias: the alias the request named the key by. */
  requestAlias?: string;
  /** kms:ReEncryptOnSameKey */
  reEncryptOnSameKey?: boolean;
  /** kms:KeySpec, kms:KeyUsage, kms:KeyOrigin of a key being created. */
  keySpec?: KeySpec;
  keyUsage?: KeyUsageType;
  keyOrigin?: OriginType;
  /** kms:MultiRegion and kms:MultiRegionKeyType of a key being created (CreateKey, ReplicateKey's replica). */
  multiRegion?: boolean;
  multiRegionKeyType?: 'PRIMARY' | 'REPLICA';
  /** kms:ReplicaRegion: ReplicateKey's ReplicaRegion. */
  replicaRegion?: string;
  /** kms:PrimaryRegion: UpdatePrimaryRegion's PrimaryRegion. */
  primaryRegion?: string;
  /** kms:ScheduleKeyDeletionPendingWindowInDays */
  pendingWindowInDays?: number;
  /** kms:RotationPeriodInDays (EnableKeyRotation) */
  rotationPeriodInDays?: number;
  /** kms:BypassPolicyLockoutSafetyCheck (CreateKey, PutKeyPolicy) */
  bypassPolicyLockoutSafetyCheck?: boolean;
  /** aws:RequestTag/<key> and aws:TagKeys: tags a request adds (CreateKey, TagResource). */
  requestTags?: readonly { TagKey: string; TagValue: string }[];
  /** aws:TagKeys: tag keys a request removes (UntagResource). */
  tagKeys?: readonly string[];
}

/** Configured accounts and principals (domain/identities.ts), as access decisions need them. */
export interface IdentityDirectory {
  /** Whether a principal ARN exists: a configured principal, or the root of a configured account. */
  principalExists(arn: string): boolean;
  /** The identity (IAM) policy documents attached to a principal, as configured. */
  identityPolicies(arn: string): readonly unknown[];
  /** Every configured principal's ARN. */
  principals(): readonly string[];
}

export interface AccessControlOptions {
  clock: Clock;
  /** The configured accounts; absent in development mode (no accounts: the caller is the default account's root). */
  identities?: IdentityDirectory;
  /** The store: a key's grants (for its grantee) and aliases (for kms:ResourceAliases) come from it. */
  store: Store;
}

type Denial = 'explicit-identity' | 'explicit-resource' | 'no-identity' | 'no-resource';

/**
 * Decides access as AWS KMS does (the IAM User Guide's "Policy evaluation logic" and the KMS
 * Developer Guide's "Determining access to an AWS KMS key"):
 *
 * - an explicit Deny in the key policy or in the caller's identity policies wins over everything;
 * - in the key's own account, the key policy allows the caller directly (naming its ARN), or it
 *   allows the account (its root) and an identity policy allows the caller; the root user is
 *   governed by the key policy alone;
 * - across accounts, the key policy must allow the caller or its account, and the caller's own
 *   identity policies must allow too;
 * - a grant of the key lets its grantee perform the grant's operations with no policy at all;
 * - account-level actions (`*`) and aliases have no resource policy: identity policies decide
 *   (the root user may do anything in its own account).
 */
export class AccessControl {
  private readonly keyPolicies = new Map<string, PolicyDocument>();
  private readonly identityPolicyCache = new Map<string, readonly PolicyDocument[]>();

  constructor(private readonly options: AccessControlOptions) {
    // Identity policies are checked once, at start: a malformed one is a configuration error.
    for (const arn of options.identities?.principals() ?? []) this.identityPoliciesOf(arn);
  }

  /**
   * Whether a principal ARN exists, for key policies that name one; undefined in development
   * mode, where no accounts are configured and any principal may be named.
   */
  get principalExists(): ((arn: string) => boolean) | undefined {
    const identities = this.options.identities;
    return identities && ((arn) => identities.principalExists(arn));
  }

  /** Throws AccessDeniedException unless `caller` may perform `action` on `resource`. */
  async authorize(caller: Caller, action: KmsAction, resource: Resource, facts: AccessFacts): Promise<void> {
    const denial = await this.denial(caller, action, resource, facts);
    if (denial !== undefined) throw accessDenied(caller.principal.arn, action, resource.arn, denial);
  }

  /** Whether `caller` may perform `action` on `resource` (the lock-out check asks this of a new policy). */
  async allows(caller: Caller, action: KmsAction, resource: Resource, facts: AccessFacts): Promise<boolean> {
    return (await this.denial(caller, action, resource, facts)) === undefined;
  }

  private async denial(caller: Caller, action: KmsAction, resource: Resource, facts: AccessFacts): Promise<Denial | undefined> {
    const { principal } = caller;
    const sameAccount = resource.account === principal.account;
    const key = resource.type === 'key' ? resource.key : undefined;
    const aliases = key && readsResourceAliases([key.policy]) ? await this.resourceAliases(key) : undefined;
    const context = conditionContext({
      caller,
      resource,
      facts,
      now: this.options.clock.now(),
      ...(aliases && { resourceAliases: aliases }),
    });
    const request = { action, resource: resource.arn, context };

    const identity = this.identityEffect(principal, request);
    if (identity === 'Deny') return 'explicit-identity';

    if (resource.type !== 'key') {
      // Aliases and account-level actions have no resource policy of their own; another
      // account's aliases cannot be managed at all.
      if (!sameAccount) return 'no-resource';
      return identity === 'Allow' ? undefined : 'no-identity';
    }
    if (!key) {
      // No such key: in the caller's own account that is the caller's to learn (NotFound); of
      // another account's keys nothing is said.
      return sameAccount ? undefined : 'no-resource';
    }

    const policy = this.keyPolicy(key);
    const root = rootArn(principal.account);
    const direct = evaluatePolicy(policy, { ...request, principals: [principal.arn] });
    const viaAccount = principal.arn === root ? direct : evaluatePolicy(policy, { ...request, principals: [root] });
    if (direct === 'Deny' || viaAccount === 'Deny') return 'explicit-resource';

    const keyPolicyAllows = direct === 'Allow' || viaAccount === 'Allow';
    let allowed: boolean;
    if (sameAccount) {
      allowed = direct === 'Allow' || (viaAccount === 'Allow' && identity === 'Allow');
    } else {
      allowed = keyPolicyAllows && identity === 'Allow';
    }
    if (allowed || (await this.grantAllows(principal, action, key, facts))) return undefined;
    return sameAccount && viaAccount === 'Allow' ? 'no-identity' : 'no-resource';
  }

  /** Whether a grant of `key` (stored for the caller, or named by the request's tokens) allows the action. */
  private async grantAllows(principal: Principal, action: KmsAction, key: KeyRecord, facts: AccessFacts): Promise<boolean> {
    const operation = grantOperationOf(action);
    if (operation === undefined) return false;
    const grants = await grantsOfCaller(this.options.store, key, principal.arn, facts.grantsFromTokens);
    if (grants.length === 0) return false;
    return grantAllows(grants, {
      operation,
      encryptionContext: facts.encryptionContext,
      ...(facts.newGrant && { newGrant: facts.newGrant }),
    });
  }

  /** A key's alias names, for kms:ResourceAliases (AWS evaluates at most 50 of them). */
  private async resourceAliases(key: KeyRecord): Promise<string[]> {
    return (await this.options.store.listAliases(key, { keyId: key.keyId, limit: 50 })).map((alias) => alias.aliasName);
  }

  /** The caller's identity policies' verdict; the root user may do anything in its own account. */
  private identityEffect(principal: Principal, request: Omit<PolicyRequest, 'principals'>): PolicyEffect {
    if (principal.arn === rootArn(principal.account)) return 'Allow';
    let effect: PolicyEffect = 'None';
    for (const policy of this.identityPoliciesOf(principal.arn)) {
      const verdict = evaluatePolicy(policy, { ...request, principals: [principal.arn] });
      if (verdict === 'Deny') return 'Deny';
      if (verdict === 'Allow') effect = 'Allow';
    }
    return effect;
  }

  private identityPoliciesOf(arn: string): readonly PolicyDocument[] {
    let parsed = this.identityPolicyCache.get(arn);
    if (!parsed) {
      parsed = (this.options.identities?.identityPolicies(arn) ?? []).map((source) => parsePolicy(source, 'identity'));
      this.identityPolicyCache.set(arn, parsed);
    }
    return parsed;
  }

  /**
   * A key's policy, parsed once per distinct text. Every policy set since key policies are
   * enforced was validated when it was set; a key made by an earlier Trent, which checked only
   * that its policy was a JSON object and enforced the account boundary alone, may hold one the
   * policy language refuses: it acts under AWS's default key policy, which is what that earlier
   * Trent enforced, until PutKeyPolicy replaces it.
   */
  private keyPolicy(key: KeyRecord): PolicyDocument {
    // The account is part of the cache key: an unreadable policy stands for its account's default.
    const cacheKey = `${key.account} ${key.policy}`;
    let parsed = this.keyPolicies.get(cacheKey);
    if (!parsed) {
      try {
        parsed = parsePolicy(key.policy, 'key');
      } catch {
        parsed = parsePolicy(defaultKeyPolicy(key.account), 'key');
      }
      if (this.keyPolicies.size >= KEY_POLICY_CACHE_LIMIT) this.keyPolicies.clear();
      this.keyPolicies.set(cacheKey, parsed);
    }
    return parsed;
  }
}

/** An AccessControl over `store`, for the configured accounts (none: development mode). */
export function accessControlFor(store: Store, clock: Clock, identities?: IdentityDirectory): AccessControl {
  return new AccessControl({ clock, store, ...(identities && { identities }) });
}

const KEY_POLICY_CACHE_LIMIT = 1_000;

function rootArn(account: string): string {
  return `arn:aws:iam::${account}:root`;
}

/** AccessDeniedException in IAM's words (the IAM User Guide's "access denied error messages"). */
function accessDenied(principalArn: string, action: KmsAction, resourceArn: string, denial: Denial): AccessDeniedException {
  const head = `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resourceArn}`;
  switch (denial) {
    case 'explicit-identity':
      return new AccessDeniedException(`${head} with an explicit deny in an identity-based policy`);
    case 'explicit-resource':
      return new AccessDeniedException(`${head} with an explicit deny in a resource-based policy`);
    case 'no-identity':
      return new AccessDeniedException(`${head} because no identity-based policy allows the ${action} action`);
    case 'no-resource':
      return new AccessDeniedException(`${head} because no resource-based policy allows the ${action} action`);
  }
}

/** The account root user of `account`, the development-mode principal. */
export function accountRoot(account: string): Principal {
  return { account, arn: `arn:aws:iam::${account}:root`, type: 'root' };
}
