/**
 * Alias rules: names start with `alias/`, `alias/aws/` is reserved for AWS managed keys, and an
 * alias may only move to a key of the same kind (symmetric, asymmetric or HMAC) and key usage.
 */
import { ValidationException } from '../errors.js';
import type { KeyRecord } from '../storage/types.js';
import { keyFamily, keySpec } from './key-specs.js';

export function checkAliasName(aliasName: string): void {
  if (!aliasName.startsWith('alias/')) {
    throw new ValidationException(
      'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
    );
  }
}

export function checkCustomerAliasName(aliasName: string): void {
  checkAliasName(aliasName);
  if (aliasName.startsWith('alias/aws/')) {
    throw new ValidationException('Alias names that begin with alias/aws/ are reserved for AWS managed keys.');
  }
}

export function checkRetarget(current: KeyRecord, next: KeyRecord): void {
  if (keyFamily(keySpec(current.keySpec)) !== keyFamily(keySpec(next.keySpec)) || current.keyUsage !== next.keyUsage) {
    throw new ValidationException(
      'The new target key must be of the same type (symmetric, asymmetric or HMAC) and have the same key usage as the current target key.',
    );
  }
}
