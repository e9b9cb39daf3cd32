/**
 * ML-KEM (FIPS 203) key encapsulation with a KMS key, for Encapsulate and Decapsulate, by
 * @noble/post-quantum. Decapsulation of a well-sized ciphertext never fails: a ciphertext that
 * was not made for this key gives the implicit-rejection value J(z || c) of FIPS 203 §6.3, a
 * pseudo-random 32 bytes, so the caller learns nothing from the answer.
 */
import { mlKem, type PrivateKeyHandle, type PublicKeyHandle } from './key-objects.js';

export function encapsulate(key: PublicKeyHandle): { ciphertext: Buffer; sharedSecret: Buffer } {
  if (key.kind !== 'ml-kem') throw new Error(`no ML-KEM with a ${key.kind} key`);
  const { cipherText, sharedSecret } = mlKem[key.level].encapsulate(key.raw);
  return { ciphertext: Buffer.from(cipherText), sharedSecret: Buffer.from(sharedSecret) };
}

/** The ciphertext length of `key`'s parameter set (768, 1088 or 1568 bytes). */
export function ciphertextLength(key: PrivateKeyHandle): number {
  if (key.kind !== 'ml-kem') throw new Error(`no ML-KEM with a ${key.kind} key`);
  return mlKem[key.level].lengths.cipherText ?? 0;
}

export function decapsulate(key: PrivateKeyHandle, ciphertext: Buffer): Buffer {
  if (key.kind !== 'ml-kem') throw new Error(`no ML-KEM with a ${key.kind} key`);
  return Buffer.from(mlKem[key.level].decapsulate(ciphertext, key.decapsulationKey));
}
