/**
 * Encryption with the public key of an asymmetric ENCRYPT_DECRYPT KMS key, and decryption with
 * its private key: RSAES-OAEP for RSA keys (rsa-oaep.ts) and SM2PKE for SM2 keys (sm2.ts). Which
 * scheme and hash a request uses is decided by the descriptor table (domain/key-specs.ts); this
 * module only computes. Decryption answers undefined for any ciphertext that does not decrypt,
 * without telling the causes apart.
 */
import type { PrivateKeyHandle, PublicKeyHandle } from './key-objects.js';
import { oaepDecrypt, oaepEncrypt } from './rsa-oaep.js';
import type { Hash } from './signing.js';
import { sm2Decrypt, sm2Encrypt } from './sm2.js';

export interface PublicKeyEncryptionParams {
  /** 'rsa-oaep' or 'sm2pke' (any other scheme is not public-key encryption). */
  scheme: string;
  /** The OAEP hash (and MGF1 hash) of RSAES-OAEP. */
  hash?: Hash;
}

export function publicKeyEncrypt(key: PublicKeyHandle, params: PublicKeyEncryptionParams, plaintext: Buffer): Buffer {
  if (params.scheme === 'sm2pke' && key.kind === 'ec') return sm2Encrypt(key.point, plaintext);
  if (params.scheme === 'rsa-oaep') return oaepEncrypt(key, params.hash ?? 'sha256', plaintext);
  throw new Error(`no ${params.scheme} encryption with a ${key.kind} key`);
}

export function privateKeyDecrypt(key: PrivateKeyHandle, params: PublicKeyEncryptionParams, ciphertext: Buffer): Buffer | undefined {
  if (params.scheme === 'sm2pke' && key.kind === 'ec') return sm2Decrypt(key.scalar, ciphertext);
  if (params.scheme === 'rsa-oaep') return oaepDecrypt(key, params.hash ?? 'sha256', ciphertext);
  throw new Error(`no ${params.scheme} decryption with a ${key.kind} key`);
}
