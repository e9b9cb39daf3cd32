/**
 * How a pre-generated key pair is sealed for the durable reserve: its PKCS#8 private key is
 * wrapped by the root key exactly as KMS key material is (root-key.ts: AES-256-GCM, fresh
 * nonce), with additional data naming this pair instead of a key and version:
 * `reserved-pair:<spec>:<id>:<SHA-256 of the public key, hex>`. Key ids are UUIDs, so no wrapped
 * key material can pass for a reserved pair or the reverse, and a row whose public key or spec
 * was swapped with another's does not unwrap. The id is 16 random bytes in hex.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DerKeyPair } from './asymmetric.js';
import type { RootKey } from './root-key.js';

export interface SealedPair {
  id: string;
  publicKey: Buffer;
  wrapped: Buffer;
}

function label(spec: string, id: string, publicKey: Buffer): string {
  return `reserved-pair:${spec}:${id}:${createHash('sha256').update(publicKey).digest('hex')}`;
}

export function sealPair(rootKey: RootKey, spec: string, pair: DerKeyPair): SealedPair {
  const id = randomBytes(16).toString('hex');
  return { id, publicKey: Buffer.from(pair.publicKey), wrapped: rootKey.wrap(pair.privateKey, label(spec, id, pair.publicKey), 0) };
}

/** The pair; throws if the wrapped key does not authenticate for this id, spec and public key. */
export function openPair(rootKey: RootKey, spec: string, sealed: SealedPair): DerKeyPair {
  return { publicKey: sealed.publicKey, privateKey: rootKey.unwrap(sealed.wrapped, label(spec, sealed.id, sealed.publicKey), 0) };
}
