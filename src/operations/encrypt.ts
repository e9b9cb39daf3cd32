/** Encrypt: up to 4096 bytes under a symmetric KMS key, with an optional encryption context. */
import type { EncryptionContext } from '../crypto/encryption-context.js';
import { arnOf } from '../domain/arn.js';
import { defineOperation } from './context.js';
import {
  assertSymmetricAlgorithm,
  encryptUnder,
  finishDryRun,
  resolveSymmetricKey,
  SYMMETRIC_DEFAULT,
} from './core/symmetric.js';

interface EncryptInput {
  KeyId: string;
  Plaintext: Buffer;
  EncryptionContext?: EncryptionContext;
  GrantTokens?: string[];
  EncryptionAlgorithm?: string;
  DryRun?: boolean;
}

export const encryptOperation = defineOperation<EncryptInput>('Encrypt', async (input, ctx) => {
  const key = await resolveSymmetricKey(ctx, input.KeyId, 'Encrypt');
  assertSymmetricAlgorithm(key, input.EncryptionAlgorithm);
  finishDryRun(input.DryRun);
  const sealed = await encryptUnder(ctx, key, input.Plaintext, input.EncryptionContext);
  return { CiphertextBlob: sealed.blob, KeyId: arnOf(key), EncryptionAlgorithm: SYMMETRIC_DEFAULT };
});
