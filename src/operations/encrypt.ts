/** Encrypt: up to 4096 bytes under a symmetric KMS key, with an optional encryption context. */
import { arnOf } from '../domain/arn.js';
import { defineOperation } from './context.js';
import { assertSymmetricAlgorithm, encryptUnder, finishDryRun, resolveSymmetricKey, SYMMETRIC_DEFAULT } from './core/symmetric.js';

export const encryptOperation = defineOperation('Encrypt', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const key = await resolveSymmetricKey(ctx, input.KeyId, {
    encryptionContext: input.EncryptionContext ?? {},
    encryptionAlgorithm: input.EncryptionAlgorithm ?? SYMMETRIC_DEFAULT,
  });
  assertSymmetricAlgorithm(key, input.EncryptionAlgorithm);
  finishDryRun(input.DryRun);
  const sealed = await encryptUnder(ctx, key, input.Plaintext, input.EncryptionContext);
  return { CiphertextBlob: sealed.blob, KeyId: arnOf(key), EncryptionAlgorithm: SYMMETRIC_DEFAULT };
});
