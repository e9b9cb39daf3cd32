/**
 * HMAC (RFC 2104) for HMAC KMS keys: GenerateMac and VerifyMac with HMAC_SHA_224/256/384/512.
 * The key stays a KeyObject; a MAC is compared in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SecretKey } from './symmetric.js';

export function hmac(key: SecretKey, hash: string, message: Buffer): Buffer {
  return createHmac(hash, key).update(message).digest();
}

export function hmacMatches(key: SecretKey, hash: string, message: Buffer, mac: Buffer): boolean {
  const expected = hmac(key, hash, message);
  return mac.length === expected.length && timingSafeEqual(mac, expected);
}
