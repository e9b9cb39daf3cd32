/**
 * Key policies: every KMS key has exactly one, named `default`. CreateKey without a Policy gives
 * the key AWS's default key policy, which lets the account's root, and through it the account's
 * identity (IAM) policies, do everything with the key. A policy a request sets is checked first:
 * valid in the policy language (policies.ts), naming only principals that exist, and, unless the
 * request bypasses it, not locking its caller out of changing the policy again (AWS's "policy
 * lockout safety check", KMS Developer Guide, "Default key policy").
 */
import { MalformedPolicyDocumentException, messages, NotFoundException } from '../errors.js';
import type { KeyRecord } from '../storage/types.js';
import type { AccessControl, Caller } from './access.js';
import { arnOf } from './arn.js';
import { keyPolicyMessages, parsePolicy } from './policies.js';

/** The only key policy name AWS KMS has. */
export const KEY_POLICY_NAME = 'default';

/**
 * AWS's default key policy for `account`, laid out as AWS returns it from GetKeyPolicy (Jackson's
 * pretty printer: `"key" : value`, two-space indents, arrays opened on the same line).
 */
export function defaultKeyPolicy(account: string): string {
  return [
    '{',
    '  "Version" : "2012-10-17",',
    '  "Id" : "key-default-1",',
    '  "Statement" : [ {',
    '    "Sid" : "Enable IAM User Permissions",',
    '    "Effect" : "Allow",',
    '    "Principal" : {',
    `      "AWS" : "arn:aws:iam::${account}:root"`,
    '    },',
    '    "Action" : "kms:*",',
    '    "Resource" : "*"',
    '  } ]',
    '}',
  ].join('\n');
}

/** A PolicyName other than `default` names no policy. */
export function checkPolicyName(name: string | undefined): void {
  if (name !== undefined && name !== KEY_POLICY_NAME) throw new NotFoundException(messages.noSuchKeyPolicy(name));
}

export interface NewPolicy {
  /** The policy as the request sent it. */
  text: string;
  /** BypassPolicyLockoutSafetyCheck: skip the lock-out check (AWS advises against it). */
  bypassLockoutCheck: boolean;
}

/**
 * Checks a key policy a request sets on `key` (for CreateKey, the key about to be created):
 * MalformedPolicyDocumentException for an invalid document, an unknown principal, or one that
 * would not let the caller call PutKeyPolicy on the key afterwards.
 */
export async function checkNewKeyPolicy(
  access: AccessControl,
  caller: Caller,
  key: KeyRecord,
  policy: NewPolicy,
  principalExists: ((arn: string) => boolean) | undefined,
): Promise<void> {
  parsePolicy(policy.text, 'key', principalExists);
  if (policy.bypassLockoutCheck) return;
  const withPolicy: KeyRecord = { ...key, policy: policy.text };
  const resource = { type: 'key' as const, arn: arnOf(key), account: key.account, region: key.region, key: withPolicy };
  if (!(await access.allows(caller, 'kms:PutKeyPolicy', resource, {}))) {
    throw new MalformedPolicyDocumentException(keyPolicyMessages.lockout);
  }
}
