/**
 * The identities Trent knows: accounts, their principals (the account root user, IAM users and
 * IAM roles), the access keys requests are signed with, and each principal's identity (IAM)
 * policies. They come from the `accounts:` section of the config file (src/accounts.ts parses and
 * checks it); this module holds them as a read-only directory for the SigV4 authenticator
 * (byAccessKeyId) and for access decisions (principalExists, identityPolicies).
 *
 * A principal ARN has one of three forms (IAM identifiers, "IAM ARNs"):
 *
 *   arn:aws:iam::<account>:root
 *   arn:aws:iam::<account>:user/<path/>name
 *   arn:aws:iam::<account>:role/<path/>name
 *
 * The root of every configured account exists, and may be named in policies, even when the
 * config gives it no access key.
 */
import type { Principal, PrincipalType } from './access.js';

/** One access key of a principal, its secret resolved (secretAccessKeyEnv read at load). Secret. */
export interface AccessKeyConfig {
  accessKeyId: string;
  secretAccessKey: string;
  /** When set, requests signed with this key must carry it as x-amz-security-token. Secret. */
  sessionToken?: string;
  /** The environment variable the secret was read from, if it was (never the secret itself). */
  secretAccessKeyEnv?: string;
}

export interface PrincipalConfig {
  arn: string;
  accessKeys: AccessKeyConfig[];
  /** Identity policy documents, as written in the config (policies.ts validates them). */
  policies: Record<string, unknown>[];
}

/** One configured account: a 12-digit id and its principals. Plain data, sent to workers over IPC. */
export interface AccountConfig {
  id: string;
  principals: PrincipalConfig[];
}

/** What an access key id stands for: who signs with it, the secret, the session token. */
export interface AccessKeyIdentity {
  /** Frozen; `accessKeyId` is set. */
  principal: Readonly<Principal>;
  secret: string;
  sessionToken?: string;
}

/** Name rules of IAM (CreateUser / CreateRole): 1..64 of letters, digits and `+=,.@_-`. */
const IAM_NAME = /^[\w+=,.@-]{1,64}$/;
/** A path segment: printable ASCII but `/` (IAM's path pattern is `(/[\x21-\x7E]+)*\/`). */
const PATH_SEGMENT = /^[\x21-\x2e\x30-\x7e]+$/;
const PRINCIPAL_ARN = /^arn:aws:iam::(\d{12}):(root|user\/.+|role\/.+)$/;

export interface ParsedPrincipalArn {
  account: string;
  type: PrincipalType;
  /** The user or role name (the last segment after the path); undefined for root. */
  name?: string;
}

/** Reads a principal ARN of the three forms above; undefined if it is none of them. */
export function parsePrincipalArn(arn: string): ParsedPrincipalArn | undefined {
  const match = PRINCIPAL_ARN.exec(arn);
  if (!match) return undefined;
  const [, account = '', resource = ''] = match;
  if (resource === 'root') return { account, type: 'root' };
  const [kind = '', ...segments] = resource.split('/');
  const name = segments.at(-1) ?? '';
  const path = segments.slice(0, -1);
  if (!IAM_NAME.test(name) || !path.every((segment) => PATH_SEGMENT.test(segment))) return undefined;
  if (resource.length - kind.length - name.length > 512) return undefined; // IAM paths are at most 512 characters
  return { account, type: kind === 'user' ? 'user' : 'role', name };
}

/** The Principal a principal ARN names (src/accounts.ts checked every configured one). */
export function principalOf(arn: string, accessKeyId?: string): Readonly<Principal> {
  const parsed = parsePrincipalArn(arn);
  if (!parsed) throw new Error(`not a principal ARN: ${arn}`);
  return Object.freeze({
    account: parsed.account,
    arn,
    type: parsed.type,
    ...(parsed.name !== undefined && { name: parsed.name }),
    ...(accessKeyId !== undefined && { accessKeyId }),
  });
}

export class Identities {
  private readonly keys = new Map<string, AccessKeyIdentity>();
  private readonly policies = new Map<string, readonly Record<string, unknown>[]>();
  private readonly accountIds: readonly string[];

  /** Builds the directory from checked config (src/accounts.ts); an empty list is development mode. */
  constructor(accounts: readonly AccountConfig[]) {
    this.accountIds = Object.freeze(accounts.map((account) => account.id));
    for (const account of accounts) {
      this.policies.set(`arn:aws:iam::${account.id}:root`, Object.freeze([]));
      for (const principal of account.principals) {
        this.policies.set(principal.arn, Object.freeze(principal.policies.map((policy) => structuredClone(policy))));
        for (const key of principal.accessKeys) {
          this.keys.set(key.accessKeyId, {
            principal: principalOf(principal.arn, key.accessKeyId),
            secret: key.secretAccessKey,
            ...(key.sessionToken !== undefined && { sessionToken: key.sessionToken }),
          });
        }
      }
    }
  }

  /** The principal, secret and session token of an access key id; undefined for an unknown one. */
  byAccessKeyId(accessKeyId: string): AccessKeyIdentity | undefined {
    return this.keys.get(accessKeyId);
  }

  /** Whether `arn` names a configured principal, or the root of a configured account. */
  principalExists(arn: string): boolean {
    return this.policies.has(arn);
  }

  /** The identity policy documents of a principal, as configured; none for an unknown one. */
  identityPolicies(arn: string): readonly Record<string, unknown>[] {
    return this.policies.get(arn) ?? [];
  }

  /** Every principal that exists: the configured ones and each configured account's root. */
  principals(): readonly string[] {
    return [...this.policies.keys()];
  }

  /** The configured account ids, in config order; none in development mode. */
  accounts(): readonly string[] {
    return this.accountIds;
  }
}
