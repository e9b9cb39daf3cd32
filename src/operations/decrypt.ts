/**
 * Decrypt: any ciphertext blob Trent produced (Encrypt, GenerateDataKey*, GenerateDataKeyPair*),
 * with no KeyId needed. A KeyId, when given, must name the blob's key.
 */
import { arnOf } from '../domain/arn.js';
import { defineOperation } from './context.js';
import {
  assertSymmetricAlgorithm,
  decryptBlob,
  finishDryRun,
  refuseRecipient,
  requireCiphertextBlob,
  SYMMETRIC_DEFAULT,
} from './core/symmetric.js';

export const decryptOperation = defineOperation('Decrypt', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const blob = requireCiphertextBlob(input.CiphertextBlob);
  const opened = await decryptBlob(ctx, {
    blob,
    context: input.EncryptionContext,
    keyIdText: input.KeyId,
    facts: { encryptionAlgorithm: input.EncryptionAlgorithm ?? SYMMETRIC_DEFAULT },
  });
  assertSymmetricAlgorithm(opened.key, input.EncryptionAlgorithm);
  refuseRecipient(input.Recipient);
  finishDryRun(input.DryRun);
  return {
    KeyId: arnOf(opened.key),
    Plaintext: opened.plaintext,
    EncryptionAlgorithm: SYMMETRIC_DEFAULT,
    KeyMaterialId: opened.materialId,
  };
});
