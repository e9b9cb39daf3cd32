/**
 * GenerateDataKey: random bytes (AES_128, AES_256 or NumberOfBytes) returned in plaintext and
 * encrypted under a symmetric KMS key. GenerateDataKeyWithoutPlaintext shares this core and
 * returns only the encrypted copy. Exactly one of KeySpec and NumberOfBytes must be given. With a
 * Recipient the data key leaves as CiphertextForRecipient and KeyMaterialId is omitted, as AWS's
 * model documents.
 */
import { secretBytes } from '../crypto/random.js';
import { arnOf } from '../domain/arn.js';
import { dataKeyLength } from '../domain/key-specs.js';
import { ValidationException } from '../errors.js';
import type { GenerateDataKeyRequest, GenerateDataKeyResponse } from '../kms-types.generated.js';
import { defineOperation, type RequestContext } from './context.js';
import { encryptUnder, finishDryRun, resolveSymmetricKey } from './core/symmetric.js';

/** The data key, encrypted, and in plaintext unless `withPlaintext` is false (then wiped). */
export async function generateDataKey(
  input: GenerateDataKeyRequest,
  ctx: RequestContext,
  withPlaintext: boolean,
): Promise<GenerateDataKeyResponse> {
  if ((input.KeySpec === undefined) === (input.NumberOfBytes === undefined)) {
    throw new ValidationException('Please specify either number of bytes or key spec.');
  }
  const key = await resolveSymmetricKey(ctx, input.KeyId, { encryptionContext: input.EncryptionContext ?? {} });
  finishDryRun(input.DryRun);
  const plaintext = secretBytes(input.KeySpec !== undefined ? dataKeyLength(input.KeySpec) : (input.NumberOfBytes as number));
  const sealed = await encryptUnder(ctx, key, plaintext, input.EncryptionContext);
  const output: GenerateDataKeyResponse = { CiphertextBlob: sealed.blob, KeyId: arnOf(key), KeyMaterialId: sealed.materialId };
  if (withPlaintext) output.Plaintext = plaintext;
  else plaintext.fill(0);
  return output;
}

export const generateDataKeyOperation = defineOperation(
  'GenerateDataKey',
  { readOnly: true, resources: ['key'], recipient: { secret: 'Plaintext', omit: ['KeyMaterialId'] } },
  (input, ctx) => generateDataKey(input, ctx, true));
