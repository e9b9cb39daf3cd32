/**
 * Encrypt: up to 4096 bytes under a symmetric KMS key, with an optional encryption context; or,
 * under an asymmetric ENCRYPT_DECRYPT key, RSAES-OAEP with its public key
 * (core/public-key-encryption.ts).
 */
import { arnOf } from '../domain/arn.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';
import { encryptWithPublicKey, usesPublicKeyEncryption } from './core/public-key-encryption.js';
import { assertSymmetricAlgorithm, assertSymmetricEncryptionKey, encryptUnder, finishDryRun, SYMMETRIC_DEFAULT } from './core/symmetric.js';

export const encryptOperation = defineOperation('Encrypt', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const key = await useKey(ctx, input.KeyId, {
    allowAlias: true,
    facts: { encryptionContext: input.EncryptionContext ?? {}, encryptionAlgorithm: input.EncryptionAlgorithm ?? SYMMETRIC_DEFAULT },
  });
  if (usesPublicKeyEncryption(key)) {
    return encryptWithPublicKey(ctx, key, { plaintext: input.Plaintext, algorithm: input.EncryptionAlgorithm, dryRun: input.DryRun });
  }
  assertSymmetricEncryptionKey(key, ctx.operation.name);
  assertSymmetricAlgorithm(key, input.EncryptionAlgorithm);
  finishDryRun(input.DryRun);
  const sealed = await encryptUnder(ctx, key, input.Plaintext, input.EncryptionContext);
  return { CiphertextBlob: sealed.blob, KeyId: arnOf(key), EncryptionAlgorithm: SYMMETRIC_DEFAULT };
});
