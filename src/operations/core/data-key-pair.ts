/**
 * The core of GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext: a fresh asymmetric
 * key pair whose private key (DER PKCS#8) comes back encrypted under a symmetric KMS key, with
 * the encryption context bound as authenticated data. Decrypt of PrivateKeyCiphertextBlob with
 * the same context returns exactly the PKCS#8 bytes.
 *
 * Order of checks, as AWS: input validation (done by the model), the key pair spec's region
 * limit, key resolution, key state, key usage, Recipient, then DryRun.
 */
import type { EncryptionContext } from '../../crypto/encryption-context.js';
import { isChinaRegion, arnOf } from '../../domain/arn.js';
import { dataKeyPairSpec } from '../../domain/key-specs.js';
import { messages, UnsupportedOperationException } from '../../errors.js';
import type { RequestContext } from '../context.js';
import { encryptUnder, finishDryRun, refuseRecipient, resolveSymmetricKey } from './symmetric.js';

export interface DataKeyPairInput {
  KeyId: string;
  KeyPairSpec: string;
  EncryptionContext?: EncryptionContext;
  GrantTokens?: string[];
  Recipient?: { KeyEncryptionAlgorithm?: string; AttestationDocument?: Buffer };
  DryRun?: boolean;
}

export interface DataKeyPairOutput {
  KeyId: string;
  KeyPairSpec: string;
  PublicKey: Buffer;
  PrivateKeyPlaintext?: Buffer;
  PrivateKeyCiphertextBlob: Buffer;
  KeyMaterialId: string;
}

export async function generateDataKeyPair(
  input: DataKeyPairInput,
  ctx: RequestContext,
  operation: 'GenerateDataKeyPair' | 'GenerateDataKeyPairWithoutPlaintext',
): Promise<DataKeyPairOutput> {
  const spec = dataKeyPairSpec(input.KeyPairSpec);
  if (spec.chinaRegionsOnly && !isChinaRegion(ctx.scope.region) && !ctx.services.config.allowSm2Everywhere) {
    throw new UnsupportedOperationException(messages.sm2OutsideChina);
  }
  const key = await resolveSymmetricKey(ctx, input.KeyId, operation);
  refuseRecipient(input.Recipient);
  finishDryRun(input.DryRun);

  const pair = await ctx.services.keyPairs.take(spec.name, spec.params);
  const sealed = await encryptUnder(ctx, key, pair.privateKey, input.EncryptionContext);
  const output: DataKeyPairOutput = {
    KeyId: arnOf(key),
    KeyPairSpec: spec.name,
    PublicKey: pair.publicKey,
    PrivateKeyCiphertextBlob: sealed.blob,
    KeyMaterialId: sealed.materialId,
  };
  if (operation === 'GenerateDataKeyPair') output.PrivateKeyPlaintext = pair.privateKey;
  else pair.privateKey.fill(0);
  return output;
}
