/**
 * Decrypt: any ciphertext blob Trent produced (Encrypt, GenerateDataKey*, GenerateDataKeyPair*),
 * with no KeyId needed. A KeyId, when given, must name the blob's key.
 */
import type { EncryptionContext } from '../crypto/encryption-context.js';
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
  const blob = requireCiphertextBlob(input.CiphertextBlob);
  const opened = await decryptBlob(ctx, blob, input.EncryptionContext, input.KeyId, 'Decrypt');
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
