/**
 * Decrypt: any ciphertext blob Trent produced (Encrypt, GenerateDataKey*, GenerateDataKeyPair*),
 * with no KeyId needed. A KeyId, when given, must name the blob's key; when it names an
 * asymmetric ENCRYPT_DECRYPT key, the ciphertext is RSAES-OAEP under its public key
 * (core/public-key-encryption.ts) and EncryptionAlgorithm says which. With a Recipient the
 * plaintext leaves as CiphertextForRecipient and KeyMaterialId is omitted (AWS's model).
 */
import { arnOf } from '../domain/arn.js';
import type { EncryptionAlgorithmSpec } from '../kms-types.generated.js';
import type { KeyRecord } from '../storage/types.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';
import { decryptWithPrivateKey, usesPublicKeyEncryption } from './core/public-key-encryption.js';
import {
  assertSymmetricAlgorithm,
  decryptBlob,
  dryRunIgnoringCiphertext,
  finishDryRun,
  requireCiphertextBlob,
  SYMMETRIC_DEFAULT,
} from './core/symmetric.js';

export const decryptOperation = defineOperation('Decrypt', { readOnly: true, resources: ['key'], recipient: { secret: 'Plaintext', omit: ['KeyMaterialId'] } }, async (input, ctx) => {
  const facts = { encryptionAlgorithm: input.EncryptionAlgorithm ?? SYMMETRIC_DEFAULT };
  await dryRunIgnoringCiphertext(
    ctx,
    { dryRun: input.DryRun, modifiers: input.DryRunModifiers, blob: input.CiphertextBlob, keyIdText: input.KeyId },
    { facts: { ...facts, encryptionContext: input.EncryptionContext ?? {} } },
  );
  const blob = requireCiphertextBlob(input.CiphertextBlob);
  const named =
    input.KeyId === undefined
      ? undefined
      : await useKey(ctx, input.KeyId, { allowAlias: true, facts: { encryptionContext: input.EncryptionContext ?? {}, ...facts } });
  let opened: { key: KeyRecord; plaintext: Buffer; algorithm: EncryptionAlgorithmSpec; materialId?: string };
  if (named && usesPublicKeyEncryption(named)) {
    opened = await decryptWithPrivateKey(ctx, named, { ciphertext: blob, algorithm: input.EncryptionAlgorithm });
  } else {
    const symmetric = await decryptBlob(ctx, { blob, context: input.EncryptionContext, keyIdText: input.KeyId, named, facts });
    assertSymmetricAlgorithm(symmetric.key, input.EncryptionAlgorithm);
    opened = { ...symmetric, algorithm: SYMMETRIC_DEFAULT };
  }
  finishDryRun(input.DryRun);
  return {
    KeyId: arnOf(opened.key),
    Plaintext: opened.plaintext,
    EncryptionAlgorithm: opened.algorithm,
    ...(opened.materialId !== undefined && { KeyMaterialId: opened.materialId }),
  };
});
