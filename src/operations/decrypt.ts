/**
 * Decrypt: any ciphertext blob Trent produced (Encrypt, GenerateDataKey*, GenerateDataKeyPair*),
 * with no KeyId needed. A KeyId, when given, must name the blob's key.
 */
import { arnOf } from '../domain/arn.js';
import { defineOperation } from './context.js';
import {
  assertSymmetricAlgorithm,
  decryptBlob,
  dryRunIgnoringCiphertext,
  finishDryRun,
  refuseRecipient,
  requireCiphertextBlob,
  SYMMETRIC_DEFAULT,
} from './core/symmetric.js';

export const decryptOperation = defineOperation('Decrypt', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const facts = { encryptionAlgorithm: input.EncryptionAlgorithm ?? SYMMETRIC_DEFAULT };
  await dryRunIgnoringCiphertext(
    ctx,
    { dryRun: input.DryRun, modifiers: input.DryRunModifiers, blob: input.CiphertextBlob, keyIdText: input.KeyId },
    { facts: { ...facts, encryptionContext: input.EncryptionContext ?? {} } },
  );
  const blob = requireCiphertextBlob(input.CiphertextBlob);
  const opened = await decryptBlob(ctx, {
    blob,
    context: input.EncryptionContext,
    keyIdText: input.KeyId,
    facts,
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
