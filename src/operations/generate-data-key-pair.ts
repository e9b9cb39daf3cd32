/**
 * GenerateDataKeyPair: a fresh asymmetric key pair whose private key (DER PKCS#8) comes back in
 * plaintext and encrypted under a symmetric KMS key, with the encryption context bound as
 * authenticated data; Decrypt of PrivateKeyCiphertextBlob with the same context returns exactly
 * the PKCS#8 bytes. GenerateDataKeyPairWithoutPlaintext shares this core and returns only the
 * encrypted copy.
 *
 * Order of checks, as AWS: input validation (done by the model), the key pair spec's region
 * limit, key resolution and authorization, key state, key usage, then DryRun. Pairs come from the
 * key-pair pool (crypto/key-pair-pool.ts), each handed out once. With a Recipient (verified by the
 * pipeline before any of this), the private key leaves only as CiphertextForRecipient
 * (core/recipient.ts); PrivateKeyCiphertextBlob and KeyMaterialId are as without one.
 */
import { arnOf } from '../domain/arn.js';
import { assertServedInRegion, dataKeyPairSpec } from '../domain/key-specs.js';
import type { GenerateDataKeyPairRequest, GenerateDataKeyPairResponse } from '../kms-types.generated.js';
import { defineOperation, type RequestContext } from './context.js';
import { encryptUnder, finishDryRun, resolveSymmetricKey } from './core/symmetric.js';

/** The pair, its private key encrypted, and in plaintext unless `withPlaintext` is false (then wiped). */
export async function generateDataKeyPair(
  input: GenerateDataKeyPairRequest,
  ctx: RequestContext,
  withPlaintext: boolean,
): Promise<GenerateDataKeyPairResponse> {
  const spec = dataKeyPairSpec(input.KeyPairSpec);
  assertServedInRegion(spec, ctx.scope.region, ctx.services.config.allowSm2Everywhere);
  const key = await resolveSymmetricKey(ctx, input.KeyId, {
    encryptionContext: input.EncryptionContext ?? {},
    dataKeyPairSpec: spec.name,
  });
  finishDryRun(input.DryRun);

  const pair = await ctx.services.keyPairs.take(spec.name, spec.params);
  const sealed = await encryptUnder(ctx, key, pair.privateKey, input.EncryptionContext);
  const output: GenerateDataKeyPairResponse = {
    KeyId: arnOf(key),
    KeyPairSpec: spec.name,
    PublicKey: pair.publicKey,
    PrivateKeyCiphertextBlob: sealed.blob,
    KeyMaterialId: sealed.materialId,
  };
  if (withPlaintext) output.PrivateKeyPlaintext = pair.privateKey;
  else pair.privateKey.fill(0);
  return output;
}

export const generateDataKeyPairOperation = defineOperation('GenerateDataKeyPair', { readOnly: true, resources: ['key'], recipient: { secret: 'PrivateKeyPlaintext' } }, (input, ctx) => generateDataKeyPair(input, ctx, true));
