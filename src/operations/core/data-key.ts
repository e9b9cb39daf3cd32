/**
 * The core of GenerateDataKey and GenerateDataKeyWithoutPlaintext: random bytes (AES_128,
 * AES_256 or NumberOfBytes) returned encrypted under a symmetric KMS key, and in plaintext for
 * GenerateDataKey. Exactly one of KeySpec and NumberOfBytes must be given.
 */
import type { EncryptionContext } from '../../crypto/encryption-context.js';
import { secretBytes } from '../../crypto/random.js';
import { arnOf } from '../../domain/arn.js';
import { ValidationException } from '../../errors.js';
import type { RequestContext } from '../context.js';
import { encryptUnder, finishDryRun, refuseRecipient, resolveSymmetricKey } from './symmetric.js';

export interface DataKeyInput {
  KeyId: string;
  EncryptionContext?: EncryptionContext;
  NumberOfBytes?: number;
  KeySpec?: 'AES_128' | 'AES_256';
  GrantTokens?: string[];
  Recipient?: unknown;
  DryRun?: boolean;
}

const KEY_SPEC_BYTES = { AES_128: 16, AES_256: 32 } as const;

export async function generateDataKey(
  input: DataKeyInput,
  ctx: RequestContext,
  operation: 'GenerateDataKey' | 'GenerateDataKeyWithoutPlaintext',
): Promise<object> {
  if ((input.KeySpec === undefined) === (input.NumberOfBytes === undefined)) {
    throw new ValidationException('Please specify either number of bytes or key spec.');
  }
  const key = await resolveSymmetricKey(ctx, input.KeyId, operation);
  refuseRecipient(input.Recipient);
  finishDryRun(input.DryRun);
  const plaintext = secretBytes(input.KeySpec ? KEY_SPEC_BYTES[input.KeySpec] : (input.NumberOfBytes as number));
  const sealed = await encryptUnder(ctx, key, plaintext, input.EncryptionContext);
  const arn = arnOf(key);
  if (operation === 'GenerateDataKeyWithoutPlaintext') {
    plaintext.fill(0);
    return { CiphertextBlob: sealed.blob, KeyId: arn, KeyMaterialId: sealed.materialId };
  }
  return { CiphertextBlob: sealed.blob, Plaintext: plaintext, KeyId: arn, KeyMaterialId: sealed.materialId };
}
