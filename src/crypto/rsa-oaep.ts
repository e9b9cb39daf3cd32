/**
 * RSAES-OAEP (RFC 8017 §7.1) for RSA KMS keys of usage ENCRYPT_DECRYPT: RSAES_OAEP_SHA_1 and
 * RSAES_OAEP_SHA_256, MGF1 with the same hash (OpenSSL's default when only the OAEP hash is set)
 * and an empty label, as AWS KMS. The ciphertext is the plain RSA ciphertext, so anyone with the
 * public key can make one (`openssl pkeyutl -encrypt -pkeyopt rsa_padding_mode:oaep`).
 */
import { constants, privateDecrypt, publicEncrypt } from 'node:crypto';
import type { PrivateKeyHandle, PublicKeyHandle } from './key-objects.js';

export function oaepEncrypt(key: PublicKeyHandle, hash: string, plaintext: Buffer): Buffer {
  if (key.kind !== 'rsa') throw new Error(`no RSAES-OAEP with a ${key.kind} key`);
  return publicEncrypt({ key: key.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, plaintext);
}

/** The plaintext, or undefined when the ciphertext does not decrypt (its cause is not told apart). */
export function oaepDecrypt(key: PrivateKeyHandle, hash: string, ciphertext: Buffer): Buffer | undefined {
  if (key.kind !== 'rsa') throw new Error(`no RSAES-OAEP with a ${key.kind} key`);
  try {
    return privateDecrypt({ key: key.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, ciphertext);
  } catch {
    return undefined;
  }
}
