/**
 * A KMS key's stored halves, loaded into the forms its operations use: node:crypto KeyObjects
 * where OpenSSL does the work (RSA, ECDSA over a message, Ed25519), and raw numbers where
 * another implementation does: the EC scalar for ECDSA over a digest (@noble/curves), for
 * ECDH (createECDH) and, with the point, for SM2DSA and SM2PKE (sm2.ts), the Ed25519 seed for Ed25519ph (@noble/curves), and the expanded ML-DSA and
 * ML-KEM keys (@noble/post-quantum), which Node 20's OpenSSL does not know.
 *
 * Private keys arrive as the PKCS#8 CreateKey stored (asymmetric.ts made it; for ML-DSA and
 * ML-KEM the seed form of post-quantum-der.ts), public keys as the SubjectPublicKeyInfo of the
 * key record. Loading costs an ML-DSA or ML-KEM key generation from the seed, which is why
 * domain/key-material.ts caches what this returns.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem512, ml_kem768, ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import type { KeyPairParams } from './asymmetric.js';
import { decodeEcPrivatePoint, decodeEcPrivateScalar, decodeEcPublicPoint } from './ec-der.js';
import { encodeSeedPkcs8, encodeSpki, type PostQuantumAlgorithm } from './post-quantum-der.js';

export const mlDsa = { 44: ml_dsa44, 65: ml_dsa65, 87: ml_dsa87 } as const;
export const mlKem = { 512: ml_kem512, 768: ml_kem768, 1024: ml_kem1024 } as const;

/** Secret: held only in the material cache, never logged or returned. */
export type PrivateKeyHandle =
  | { kind: 'rsa'; key: KeyObject }
  | { kind: 'ec'; namedCurve: string; key: KeyObject; scalar: Buffer; point: Buffer }
  | { kind: 'ed25519'; key: KeyObject; seed: Buffer }
  | { kind: 'ml-dsa'; level: 44 | 65 | 87; secretKey: Uint8Array }
  | { kind: 'ml-kem'; level: 512 | 768 | 1024; decapsulationKey: Uint8Array };

export type PublicKeyHandle =
  | { kind: 'rsa'; key: KeyObject; modulusBytes: number }
  | { kind: 'ec'; namedCurve: string; point: Buffer; key: KeyObject }
  | { kind: 'ed25519'; key: KeyObject; raw: Buffer }
  | { kind: 'ml-dsa'; level: 44 | 65 | 87; raw: Buffer }
  | { kind: 'ml-kem'; level: 512 | 768 | 1024; raw: Buffer };

/** PKCS#8 of an Ed25519 key (RFC 8410): this prefix, then the 32-byte seed. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** SubjectPublicKeyInfo of an Ed25519 key (RFC 8410): this prefix, then the 32-byte point. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const pkcs8Key = (key: Buffer): KeyObject => createPrivateKey({ key, format: 'der', type: 'pkcs8' });
const spkiKey = (key: Buffer): KeyObject => createPublicKey({ key, format: 'der', type: 'spki' });

/** The seed at the end of a seed-form PKCS#8, after checking the encoding is exactly that. */
/** The seed of a post-quantum PKCS#8 in the seed form post-quantum-der.ts writes; throws for any other. Secret. */
export function seedOf(pkcs8: Buffer, length: number, algorithm: PostQuantumAlgorithm): Buffer {
  const seed = Buffer.from(pkcs8.subarray(pkcs8.length - length));
  const expected = encodeSeedPkcs8(algorithm, seed);
  const same = expected.equals(pkcs8);
  expected.fill(0);
  if (!same) throw new Error('unexpected post-quantum PKCS#8 encoding');
  return seed;
}

export function loadPrivateKey(params: KeyPairParams, pkcs8: Buffer): PrivateKeyHandle {
  switch (params.kind) {
    case 'rsa':
      return { kind: 'rsa', key: pkcs8Key(pkcs8) };
    case 'ec':
      return {
        kind: 'ec',
        namedCurve: params.namedCurve,
        key: pkcs8Key(pkcs8),
        scalar: decodeEcPrivateScalar(params.namedCurve, pkcs8),
        // SM2DSA hashes the public key into Z_A: read once here rather than derived per signature.
        point: decodeEcPrivatePoint(params.namedCurve, pkcs8),
      };
    case 'ed25519': {
      if (pkcs8.length !== ED25519_PKCS8_PREFIX.length + 32 || !pkcs8.subarray(0, ED25519_PKCS8_PREFIX.length).equals(ED25519_PKCS8_PREFIX)) {
        throw new Error('unexpected Ed25519 PKCS#8 encoding');
      }
      return { kind: 'ed25519', key: pkcs8Key(pkcs8), seed: Buffer.from(pkcs8.subarray(ED25519_PKCS8_PREFIX.length)) };
    }
    case 'ml-dsa': {
      const seed = seedOf(pkcs8, 32, `ML-DSA-${params.level}`);
      const { secretKey, publicKey } = mlDsa[params.level].keygen(seed);
      seed.fill(0);
      publicKey.fill(0);
      return { kind: 'ml-dsa', level: params.level, secretKey };
    }
    case 'ml-kem': {
      const seed = seedOf(pkcs8, 64, `ML-KEM-${params.level}`);
      const { secretKey } = mlKem[params.level].keygen(seed);
      seed.fill(0);
      return { kind: 'ml-kem', level: params.level, decapsulationKey: secretKey };
    }
  }
}

function rawPostQuantum(spki: Buffer, length: number, algorithm: PostQuantumAlgorithm): Buffer {
  const raw = spki.subarray(spki.length - length);
  if (!encodeSpki(algorithm, raw).equals(spki)) throw new Error(`unexpected ${algorithm} SubjectPublicKeyInfo`);
  return Buffer.from(raw);
}

export function loadPublicKey(params: KeyPairParams, spki: Buffer): PublicKeyHandle {
  switch (params.kind) {
    case 'rsa': {
      const key = spkiKey(spki);
      return { kind: 'rsa', key, modulusBytes: params.modulusLength / 8 };
    }
    case 'ec': {
      const point = decodeEcPublicPoint(params.namedCurve, spki);
      if (!point) throw new Error(`unexpected ${params.namedCurve} SubjectPublicKeyInfo`);
      return { kind: 'ec', namedCurve: params.namedCurve, point, key: spkiKey(spki) };
    }
    case 'ed25519': {
      if (!spki.subarray(0, ED25519_SPKI_PREFIX.length).equals(ED25519_SPKI_PREFIX) || spki.length !== ED25519_SPKI_PREFIX.length + 32) {
        throw new Error('unexpected Ed25519 SubjectPublicKeyInfo');
      }
      return { kind: 'ed25519', key: spkiKey(spki), raw: Buffer.from(spki.subarray(ED25519_SPKI_PREFIX.length)) };
    }
    case 'ml-dsa':
      return { kind: 'ml-dsa', level: params.level, raw: rawPostQuantum(spki, mlDsa[params.level].lengths.publicKey ?? 0, `ML-DSA-${params.level}`) };
    case 'ml-kem':
      return { kind: 'ml-kem', level: params.level, raw: rawPostQuantum(spki, mlKem[params.level].lengths.publicKey ?? 0, `ML-KEM-${params.level}`) };
  }
}
