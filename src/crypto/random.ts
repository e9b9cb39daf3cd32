/**
 * Randomness for the rest of Trent, so that only src/crypto imports node:crypto (DESIGN):
 * identifiers (key ids, request ids) and secret bytes (data keys, key material), all from the
 * operating system's CSPRNG through node:crypto.
 */
import { randomBytes, randomUUID } from 'node:crypto';

/** A fresh random UUID (v4), for key ids and request ids. */
export function randomId(): string {
  return randomUUID();
}

/** A fresh multi-Region key id: `mrk-` and 32 lowercase hex digits (16 random bytes), as AWS's. */
export function randomMultiRegionKeyId(): string {
  return `mrk-${randomBytes(16).toString('hex')}`;
}

/** `length` bytes from the CSPRNG: data keys, key material, GenerateRandom. */
export function secretBytes(length: number): Buffer {
  return randomBytes(length);
}

/** A fresh grant id: 64 lowercase hex digits (32 random bytes), the form AWS's take. */
export function randomGrantId(): string {
  return randomBytes(32).toString('hex');
}
