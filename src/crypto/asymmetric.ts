/**
 * Key pair generation for every asymmetric spec, always returning DER: the public key as
 * SubjectPublicKeyInfo, the private key as PKCS#8. RSA and Ed25519 keys come from node:crypto's
 * asynchronous generator, which runs on the libuv thread pool and so never blocks the event loop
 * (RSA_4096 takes seconds); EC keys from createECDH with DER templates (ec-der.ts), measured
 * faster in bench/key-generation.ts; ML-KEM and ML-DSA from @noble/post-quantum, seeded from
 * crypto.randomBytes and encoded in post-quantum-der.ts.
 *
 * Which parameters a spec uses is decided by the descriptor tables in domain/key-specs.ts.
 */
import { createECDH, generateKeyPair as nodeGenerateKeyPair, generateKeyPairSync, randomBytes, type ECDH } from 'node:crypto';
import { ml_kem512, ml_kem768, ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { encodeEcKeyPair, hasEcTemplate } from './ec-der.js';
import { encodeSeedPkcs8, encodeSpki } from './post-quantum-der.js';

export type KeyPairParams =
  | { kind: 'rsa'; modulusLength: number }
  /** `inline`: generate with createECDH on the calling thread (only where a pair costs microseconds). */
  | { kind: 'ec'; namedCurve: string; inline?: boolean }
  | { kind: 'ed25519' }
  | { kind: 'ml-kem'; level: 512 | 768 | 1024 }
  | { kind: 'ml-dsa'; level: 44 | 65 | 87 };

/** How a KMS key's material is made: random bytes, or a key pair. */
export type KeyMaterialKind = { kind: 'secret'; bytes: number } | { kind: 'key-pair'; params: KeyPairParams };

export interface DerKeyPair {
  /** DER SubjectPublicKeyInfo. */
  publicKey: Buffer;
  /** DER PKCS#8 PrivateKeyInfo. Secret: never logged, never stored unwrapped. */
  privateKey: Buffer;
}

const DER = { publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } } as const;

type NodeKeyPairRequest =
  | { type: 'rsa'; options: { modulusLength: number; publicExponent: number } }
  | { type: 'ec'; options: { namedCurve: string } }
  | { type: 'ed25519'; options: object };

function generateAsync(request: NodeKeyPairRequest): Promise<DerKeyPair> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, publicKey: Buffer, privateKey: Buffer) =>
      err ? reject(err) : resolve({ publicKey, privateKey });
    switch (request.type) {
      case 'rsa':
        return nodeGenerateKeyPair('rsa', { ...request.options, ...DER }, done);
      case 'ec':
        return nodeGenerateKeyPair('ec', { ...request.options, ...DER }, done);
      case 'ed25519':
        return nodeGenerateKeyPair('ed25519', DER, done);
    }
  });
}

/** One ECDH object per curve, reused: creating it costs more than generating a key with it. */
const ecdhByCurve = new Map<string, ECDH>();

function ecdhFor(namedCurve: string): ECDH {
  let ecdh = ecdhByCurve.get(namedCurve);
  if (!ecdh) {
    ecdh = createECDH(namedCurve);
    ecdhByCurve.set(namedCurve, ecdh);
  }
  return ecdh;
}

const mlKem = { 512: ml_kem512, 768: ml_kem768, 1024: ml_kem1024 } as const;
const mlDsa = { 44: ml_dsa44, 65: ml_dsa65, 87: ml_dsa87 } as const;

export async function generateKeyPair(params: KeyPairParams): Promise<DerKeyPair> {
  switch (params.kind) {
    case 'rsa':
      return generateAsync({ type: 'rsa', options: { modulusLength: params.modulusLength, publicExponent: 0x10001 } });
    case 'ec': {
      // For P-256, createECDH is several times faster than the generic generator and, at tens of
      // microseconds a pair, cheaper inline than a trip to the thread pool (bench/key-generation.ts).
      // Other curves cost around a millisecond a pair: they stay off the event loop.
      if (params.inline !== true || !hasEcTemplate(params.namedCurve)) {
        return generateAsync({ type: 'ec', options: { namedCurve: params.namedCurve } });
      }
      const ecdh = ecdhFor(params.namedCurve);
      const point = ecdh.generateKeys(); // replaces the object's previous key
      const d = ecdh.getPrivateKey();
      const pair = encodeEcKeyPair(params.namedCurve, d, point);
      d.fill(0);
      return pair;
    }
    case 'ed25519':
      return generateAsync({ type: 'ed25519', options: {} });
    case 'ml-kem': {
      const seed = randomBytes(64); // FIPS 203 d || z
      const pair = postQuantumPairFromSeed(params, seed);
      // Wiped like the EC scalar above (after encoding, which copies it), so that a core dump
      // of the server does not hold every seed it drew.
      seed.fill(0);
      return pair;
    }
    case 'ml-dsa': {
      const seed = randomBytes(32); // FIPS 204 xi
      const pair = postQuantumPairFromSeed(params, seed);
      seed.fill(0);
      return pair;
    }
  }
}

/** The seed length of a post-quantum key: FIPS 203's d || z, FIPS 204's xi. */
export function postQuantumSeedLength(params: Extract<KeyPairParams, { kind: 'ml-kem' | 'ml-dsa' }>): number {
  return params.kind === 'ml-kem' ? 64 : 32;
}

/**
 * A post-quantum key pair from its seed, as generateKeyPair encodes it (SPKI, seed-form PKCS#8):
 * for generation, and for imported seeds (crypto/key-import.ts).
 */
export function postQuantumPairFromSeed(params: Extract<KeyPairParams, { kind: 'ml-kem' | 'ml-dsa' }>, seed: Uint8Array): DerKeyPair {
  const { publicKey, secretKey } = params.kind === 'ml-kem' ? mlKem[params.level].keygen(seed) : mlDsa[params.level].keygen(seed);
  const algorithm = params.kind === 'ml-kem' ? (`ML-KEM-${params.level}` as const) : (`ML-DSA-${params.level}` as const);
  const pair = { publicKey: encodeSpki(algorithm, publicKey), privateKey: encodeSeedPkcs8(algorithm, seed) };
  secretKey.fill(0);
  return pair;
}

/**
 * The same pairs as generateKeyPair, made synchronously on the calling thread: for a thread of
 * its own (generation-thread.ts), never for the event loop.
 */
export function generateKeyPairOnThisThread(params: KeyPairParams): DerKeyPair {
  switch (params.kind) {
    case 'rsa':
      return generateKeyPairSync('rsa', {
        modulusLength: params.modulusLength,
        publicExponent: 0x10001,
        publicKeyEncoding: DER.publicKeyEncoding,
        privateKeyEncoding: DER.privateKeyEncoding,
      });
    case 'ec':
      return generateKeyPairSync('ec', {
        namedCurve: params.namedCurve,
        publicKeyEncoding: DER.publicKeyEncoding,
        privateKeyEncoding: DER.privateKeyEncoding,
      });
    case 'ed25519':
      return generateKeyPairSync('ed25519', { publicKeyEncoding: DER.publicKeyEncoding, privateKeyEncoding: DER.privateKeyEncoding });
    default:
      throw new Error(`no synchronous generator for ${params.kind} keys`);
  }
}
