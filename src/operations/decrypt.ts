/**
 * Decrypt: any ciphertext blob Trent produced (Encrypt, GenerateDataKey*, GenerateDataKeyPair*),
 * with no KeyId needed. A KeyId, when given, must name the blob's key.
 */
import type { EncryptionContext } from '../crypto/encryption-context.js';
import { keyArn } from '../domain/arn.js';
import { ValidationException } from '../protocol/errors.js';
import { defineOperation } from './context.js';
import { assertSymmetricAlgorithm, decryptBlob, finishDryRun, refuseRecipient, SYMMETRIC_DEFAULT } from './core/symmetric.js';

interface DecryptInput {
  CiphertextBlob?: Buffer;
  EncryptionContext?: EncryptionContext;
  GrantTokens?: string[];
  KeyId?: string;
  EncryptionAlgorithm?: string;
  Recipient?: unknown;
  DryRun?: boolean;
  DryRunModifiers?: string[];
}

export const decryptOperation = defineOperation<DecryptInput>('Decrypt', async (input, ctx) => {
  if (input.CiphertextBlob === undefined) {
    throw new ValidationException(
      "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null",
    );
  }
  const opened = await decryptBlob(ctx, input.CiphertextBlob, input.EncryptionContext, input.KeyId, 'Decrypt');
  assertSymmetricAlgorithm(opened.key, input.EncryptionAlgorithm);
  refuseRecipient(input.Recipient);
  finishDryRun(input.DryRun);
  return {
    KeyId: keyArn(opened.key, opened.key.keyId),
    Plaintext: opened.plaintext,
    EncryptionAlgorithm: SYMMETRIC_DEFAULT,
    KeyMaterialId: opened.materialId,
  };
});
