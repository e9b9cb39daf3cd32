/** Store records for tests that write to a store directly, without the operations. */
import { defaultKeyPolicy } from '../../src/domain/key-policy.js';
import type { KeyRecord, Scope } from '../../src/storage/types.js';

export const TEST_SCOPE: Scope = { account: '111122223333', region: 'us-east-1' };

/** An enabled symmetric key with its first material, in TEST_SCOPE unless overridden. */
export function testKeyRecord(keyId: string, overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    ...TEST_SCOPE,
    keyId,
    createdAt: 0,
    description: '',
    keySpec: 'SYMMETRIC_DEFAULT',
    keyUsage: 'ENCRYPT_DECRYPT',
    origin: 'AWS_KMS',
    state: 'Enabled',
    policy: defaultKeyPolicy(overrides.account ?? TEST_SCOPE.account),
    tags: [],
    currentMaterialVersion: 1,
    revision: 1,
    ...overrides,
  };
}
