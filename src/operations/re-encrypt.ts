/**
 * ReEncrypt: decrypts a blob and encrypts the plaintext under another key (or the same key with
 * another encryption context) without the plaintext leaving the server. IAM authorizes it as two
 * actions: kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination.
 */
import { arnOf } from '../domain/arn.js';
import { defineOperation } from './context.js';
import {
  assertSymmetricAlgorithm,
  decryptBlob,
  dryRunIgnoringCiphertext,
  encryptUnder,
  finishDryRun,
  requireCiphertextBlob,
  resolveSymmetricKey,
  SYMMETRIC_DEFAULT,
} from './core/symmetric.js';

const traits = { readOnly: true, resources: ['key'], actions: ['kms:ReEncryptFrom', 'kms:ReEncryptTo'] } as const;

export const reEncryptOperation = defineOperation('ReEncrypt', traits, async (input, ctx) => {
  const sourceFacts = { encryptionAlgorithm: input.SourceEncryptionAlgorithm ?? SYMMETRIC_DEFAULT };
  const dryRun = { dryRun: input.DryRun, modifiers: input.DryRunModifiers, blob: input.CiphertextBlob, keyIdText: input.SourceKeyId };
  const blob = input.DryRunModifiers?.includes('IGNORE_CIPHERTEXT') === true ? input.CiphertextBlob : requireCiphertextBlob(input.CiphertextBlob);
  const destination = await resolveSymmetricKey(
    ctx,
    input.DestinationKeyId,
    {
      encryptionContext: input.DestinationEncryptionContext ?? {},
      encryptionAlgorithm: input.DestinationEncryptionAlgorithm ?? SYMMETRIC_DEFAULT,
    },
    'kms:ReEncryptTo',
  );
  assertSymmetricAlgorithm(destination, input.DestinationEncryptionAlgorithm);
  await dryRunIgnoringCiphertext(ctx, dryRun, {
    action: 'kms:ReEncryptFrom',
    facts: { ...sourceFacts, encryptionContext: input.SourceEncryptionContext ?? {} },
  });
  const source = await decryptBlob(ctx, {
    blob: requireCiphertextBlob(blob),
    context: input.SourceEncryptionContext,
    keyIdText: input.SourceKeyId,
    action: 'kms:ReEncryptFrom',
    facts: sourceFacts,
  });
  assertSymmetricAlgorithm(source.key, input.SourceEncryptionAlgorithm);
  try {
    finishDryRun(input.DryRun);
    const sealed = await encryptUnder(ctx, destination, source.plaintext, input.DestinationEncryptionContext);
    return {
      CiphertextBlob: sealed.blob,
      SourceKeyId: arnOf(source.key),
      KeyId: arnOf(destination),
      SourceEncryptionAlgorithm: SYMMETRIC_DEFAULT,
      DestinationEncryptionAlgorithm: SYMMETRIC_DEFAULT,
      SourceKeyMaterialId: source.materialId,
      DestinationKeyMaterialId: sealed.materialId,
    };
  } finally {
    source.plaintext.fill(0);
  }
});
