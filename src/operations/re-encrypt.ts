/**
 * ReEncrypt: decrypts a blob and encrypts the plaintext under another key (or the same key with
 * another encryption context) without the plaintext leaving the server.
 */
import type { EncryptionContext } from '../crypto/encryption-context.js';
import { arnOf } from '../domain/arn.js';
import { defineOperation } from './context.js';
import {
  assertSymmetricAlgorithm,
  decryptBlob,
  encryptUnder,
  finishDryRun,
  requireCiphertextBlob,
  resolveSymmetricKey,
  SYMMETRIC_DEFAULT,
} from './core/symmetric.js';

interface ReEncryptInput {
  CiphertextBlob?: Buffer;
  SourceEncryptionContext?: EncryptionContext;
  SourceKeyId?: string;
  DestinationKeyId: string;
  DestinationEncryptionContext?: EncryptionContext;
  SourceEncryptionAlgorithm?: string;
  DestinationEncryptionAlgorithm?: string;
  GrantTokens?: string[];
  DryRun?: boolean;
  DryRunModifiers?: string[];
}

export const reEncryptOperation = defineOperation<ReEncryptInput>('ReEncrypt', async (input, ctx) => {
  const blob = requireCiphertextBlob(input.CiphertextBlob);
  const destination = await resolveSymmetricKey(ctx, input.DestinationKeyId, 'ReEncrypt');
  assertSymmetricAlgorithm(destination, input.DestinationEncryptionAlgorithm);
  const source = await decryptBlob(ctx, blob, input.SourceEncryptionContext, input.SourceKeyId, 'ReEncrypt');
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
