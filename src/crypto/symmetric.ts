/** Symmetric key material as node:crypto KeyObjects, which keep the bytes out of the JS heap. */
import { createSecretKey, type KeyObject } from 'node:crypto';

export type SecretKey = KeyObject;

export function secretKey(material: Buffer): SecretKey {
  return createSecretKey(material);
}
