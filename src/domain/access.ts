/**
 * Who is calling, and whether they may do what they ask. Every request carries a Principal (the
 * verified caller; in development mode the default account's root user), and every access
 * decision goes through `AccessControl.authorize(caller, action, resource, facts)`: for a key or
 * an alias right after it is resolved, and for account-level actions (CreateKey, ListKeys, ...)
 * in the request pipeline's authorize stage.
 *
 * `facts` carries the request values that IAM condition keys read (kms:EncryptionContext:*,
 * kms:GrantTokens, kms:DataKeyPairSpec, kms:RequestAlias, ...), so policies and grants can be
 * evaluated, and audited, from one place. Today's rule is the account boundary: a principal may
 * use the resources of its own account and nothing else, which is what AWS's default key policy
 * grants. Key policies, identity policies and grants refine it (the identity issue).
 */
import { AccessDeniedException } from '../errors.js';
import type { DataKeyPairSpec, EncryptionAlgorithmSpec, GrantOperation, KeySpec, KeyUsageType, OriginType } from '../kms-types.generated.js';
import type { GrantConstraintsRecord, GrantRecord, KeyRecord, Scope } from '../storage/types.js';

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
  /** kms:EncryptionAlgorithm */
  encryptionAlgorithm?: EncryptionAlgorithmSpec;
  /** kms:RequestAlias: the alias the request named the key by. */
  requestAlias?: string;
  /** kms:ReEncryptOnSameKey */
  reEncryptOnSameKey?: boolean;
  /** kms:KeySpec, kms:KeyUsage, kms:KeyOrigin of a key being created. */
  keySpec?: KeySpec;
  keyUsage?: KeyUsageType;
  keyOrigin?: OriginType;
  /** kms:ScheduleKeyDeletionPendingWindowInDays */
  pendingWindowInDays?: number;
}

export class AccessControl {
  /** Throws AccessDeniedException unless `caller` may perform `action` on `resource`. */
  async authorize(caller: Caller, action: KmsAction, resource: Resource, _facts: AccessFacts): Promise<void> {
    if (resource.account !== caller.principal.account) {
      throw new AccessDeniedException(
        `User: ${caller.principal.arn} is not authorized to perform: ${action} on resource: ${resource.arn} ` +
          `because no resource-based policy allows the ${action} action`,
      );
    }
  }
}

/** The account root user of `account`, the development-mode principal. */
export function accountRoot(account: string): Principal {
  return { account, arn: `arn:aws:iam::${account}:root`, type: 'root' };
}
