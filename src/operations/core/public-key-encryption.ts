/**
 * Encrypt and Decrypt with an asymmetric ENCRYPT_DECRYPT key (RSA_2048/3072/4096 with
 * RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256, SM2 with SM2PKE), kept apart from the symmetric core:
 * the ciphertext is the plain RSA-OAEP ciphertext or GM/T 0009's DER SM2 ciphertext, made with
 * the public key (anyone holding it can make one) and opened with the private key, which never
 * leaves Trent. Decrypt of such a ciphertext needs KeyId and EncryptionAlgorithm, as AWS's:
 * without them Trent reads the blob as its own symmetric envelope, which it is not
 * (InvalidCiphertextException). An EncryptionContext is not bound: AWS's asymmetric algorithms
 * take none.
 */
import { privateKeyDecrypt, publicKeyEncrypt } from '../../crypto/public-key-encryption.js';
import { arnOf } from '../../domain/arn.js';
import { encryptionAlgorithm, keyPairParams, keySpec, maxPlaintextLength, type EncryptionAlgorithm } from '../../domain/key-specs.js';
import { InvalidCiphertextException, ValidationException } from '../../errors.js';
import type { EncryptionAlgorithmSpec, EncryptResponse } from '../../kms-types.generated.js';
import type { KeyRecord } from '../../storage/types.js';
import type { RequestContext } from '../context.js';
import { assertKeyFor, supported } from './key-operations.js';
import { finishDryRun, SYMMETRIC_DEFAULT } from './symmetric.js';

/** Whether Encrypt and Decrypt with `key` are public-key encryption rather than Trent's envelope. */
export function usesPublicKeyEncryption(key: KeyRecord): boolean {
  return key.keyUsage === 'ENCRYPT_DECRYPT' && keyPairParams(keySpec(key.keySpec)) !== undefined;
}

/** The algorithm of the request (SYMMETRIC_DEFAULT when none is named, which no such key takes). */
function algorithmFor(key: KeyRecord, name: EncryptionAlgorithmSpec | undefined, operation: string): EncryptionAlgorithm {
  const spec = assertKeyFor(key, 'ENCRYPT_DECRYPT', operation);
  const requested = name ?? SYMMETRIC_DEFAULT;
  return supported(encryptionAlgorithm(spec, key.keyUsage, requested), requested, spec);
}

export async function encryptWithPublicKey(
  ctx: RequestContext,
  key: KeyRecord,
  request: { plaintext: Buffer; algorithm: EncryptionAlgorithmSpec | undefined; dryRun: boolean | undefined },
): Promise<EncryptResponse> {
  const algorithm = algorithmFor(key, request.algorithm, ctx.operation.name);
  const limit = maxPlaintextLength(keySpec(key.keySpec), algorithm);
  if (limit !== undefined && request.plaintext.length > limit) {
    throw new ValidationException(`Algorithm ${algorithm.name} and key spec ${key.keySpec} cannot encrypt data larger than ${limit} bytes.`);
  }
  finishDryRun(request.dryRun);
  const ciphertext = publicKeyEncrypt(ctx.services.materials.publicKey(key), algorithm, request.plaintext);
  return { CiphertextBlob: ciphertext, KeyId: arnOf(key), EncryptionAlgorithm: algorithm.name };
}

export interface OpenedWithPrivateKey {
  key: KeyRecord;
  plaintext: Buffer;
  algorithm: EncryptionAlgorithmSpec;
}

export async function decryptWithPrivateKey(
  ctx: RequestContext,
  key: KeyRecord,
  request: { ciphertext: Buffer; algorithm: EncryptionAlgorithmSpec | undefined },
): Promise<OpenedWithPrivateKey> {
  const algorithm = algorithmFor(key, request.algorithm, ctx.operation.name);
  const { privateKey } = await ctx.services.materials.privateKey(key);
  const plaintext = privateKeyDecrypt(privateKey, algorithm, request.ciphertext);
  if (!plaintext) {
    ctx.services.logger.debug({ cause: `${algorithm.name} decryption failed` }, 'ciphertext refused');
    throw new InvalidCiphertextException('');
  }
  return { key, plaintext, algorithm: algorithm.name };
}
