/**
 * Importing key material (BYOK): the import token GetParametersForImport hands out, and the
 * unwrapping of the material ImportKeyMaterial receives.
 *
 * Import token, format 1: 0x01 || nonce (12) || AES-256-GCM tag (16) || ciphertext, the
 * ciphertext being the JSON of the token's claims (key, its account and region, wrapping
 * algorithm and spec, expiry, and the wrapping key's PKCS#8 private key), under a key derived
 * from the root key (root-key.ts `derive`), the format byte as additional data. So any server
 * sharing the root key accepts a token another made, nothing is stored for it, and the wrapping
 * private key never leaves Trent unencrypted. Any token that does not open is invalid.
 *
 * Wrapping algorithms (AWS "Import key material", RFC 8017, RFC 5649):
 *   RSAES_OAEP_SHA_1 / _256        RSAES-OAEP (MGF1 with the same hash) of the material itself
 *   RSA_AES_KEY_WRAP_SHA_1 / _256  RSAES-OAEP of an ephemeral AES-256 key (the first k bytes,
 *                                  k = the modulus length), then AES key wrap with padding
 *                                  (RFC 5649) of the material under it: what
 *                                  `openssl enc -id-aes256-wrap-pad` makes
 */
import { constants, createCipheriv, createDecipheriv, createECDH, createHmac, createPrivateKey, createPublicKey, privateDecrypt, type KeyObject } from 'node:crypto';
import { postQuantumPairFromSeed, postQuantumSeedLength, type KeyPairParams } from './asymmetric.js';
import { decodeEcPrivatePoint, decodeEcPrivateScalar, encodeEcKeyPair } from './ec-der.js';
import { seedOf } from './key-objects.js';
import { RandomPool } from './random-pool.js';
import type { RootKey } from './root-key.js';

const FORMAT = 0x01;
const TOKEN_LABEL = 'trent import token v1';
const NONCE = 12;
const TAG = 16;
const MATERIAL_ID_LABEL = 'trent imported key material id v1';
/** RFC 5649's alternative initial value, which node's id-aes256-wrap-pad takes as its IV. */
const KWP_IV = Buffer.from('a65959a6', 'hex');

export type RsaWrappingAlgorithm = 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256' | 'RSA_AES_KEY_WRAP_SHA_1' | 'RSA_AES_KEY_WRAP_SHA_256';
export type RsaWrappingKeySpec = 'RSA_2048' | 'RSA_3072' | 'RSA_4096';

export interface ImportTokenClaims {
  account: string;
  region: string;
  keyId: string;
  algorithm: RsaWrappingAlgorithm;
  spec: RsaWrappingKeySpec;
  /** ParametersValidTo, ms since the epoch. */
  validTo: number;
  /** The wrapping key's DER PKCS#8. Secret. */
  privateKey: Buffer;
}

const nonces = new RandomPool();

/** Issues and opens import tokens, and names imported material. */
export class KeyImporter {
  private constructor(
    private readonly tokenKey: KeyObject,
    private readonly idKey: KeyObject,
  ) {}

  static fromRootKey(rootKey: RootKey): KeyImporter {
    return new KeyImporter(rootKey.derive(TOKEN_LABEL), rootKey.derive(MATERIAL_ID_LABEL));
  }

  issue(claims: ImportTokenClaims): Buffer {
    const nonce = nonces.take(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.tokenKey, nonce);
    cipher.setAAD(Buffer.from([FORMAT]));
    const json = Buffer.from(JSON.stringify({ ...claims, privateKey: claims.privateKey.toString('base64') }), 'utf8');
    const body = Buffer.concat([cipher.update(json), cipher.final()]);
    json.fill(0);
    return Buffer.concat([Buffer.from([FORMAT]), nonce, cipher.getAuthTag(), body]);
  }

  /** The token's claims, or undefined for anything this server's root key did not issue. */
  open(token: Buffer): ImportTokenClaims | undefined {
    if (token.length <= 1 + NONCE + TAG || token[0] !== FORMAT) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.tokenKey, token.subarray(1, 1 + NONCE));
      decipher.setAAD(token.subarray(0, 1));
      decipher.setAuthTag(token.subarray(1 + NONCE, 1 + NONCE + TAG));
      const json = Buffer.concat([decipher.update(token.subarray(1 + NONCE + TAG)), decipher.final()]);
      const parsed = JSON.parse(json.toString('utf8')) as Omit<ImportTokenClaims, 'privateKey'> & { privateKey: string };
      json.fill(0);
      return { ...parsed, privateKey: Buffer.from(parsed.privateKey, 'base64') };
    } catch {
      return undefined;
    }
  }

  /**
   * The KeyMaterialId of imported material: derived from the key and the material (AWS: "based
   * on the KMS key ID and the imported key material"), so importing the same material again
   * gives the same id, and different material another, without keeping the material.
   */
  materialId(keyId: string, material: Buffer): string {
    return createHmac('sha256', this.idKey).update(keyId, 'utf8').update(material).digest('hex');
  }
}

function hashOf(algorithm: RsaWrappingAlgorithm): string {
  return algorithm.endsWith('SHA_1') ? 'sha1' : 'sha256';
}

/** Unwraps imported material with the token's private key; undefined if it does not unwrap. */
export function unwrapImported(claims: ImportTokenClaims, wrapped: Buffer): Buffer | undefined {
  const key = { key: claims.privateKey, format: 'der' as const, type: 'pkcs8' as const, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hashOf(claims.algorithm) };
  try {
    if (claims.algorithm === 'RSAES_OAEP_SHA_1' || claims.algorithm === 'RSAES_OAEP_SHA_256') return privateDecrypt(key, wrapped);
    const modulusBytes = Number(claims.spec.slice(4)) / 8;
    if (wrapped.length <= modulusBytes) return undefined;
    const aesKey = privateDecrypt(key, wrapped.subarray(0, modulusBytes));
    try {
      if (aesKey.length !== 32) return undefined;
      const decipher = createDecipheriv('id-aes256-wrap-pad', aesKey, KWP_IV);
      return Buffer.concat([decipher.update(wrapped.subarray(modulusBytes)), decipher.final()]);
    } finally {
      aesKey.fill(0);
    }
  } catch {
    return undefined;
  }
}

/**
 * Imported asymmetric material: a DER PKCS#8 private key of the kind `params` describes (RSA of
 * that modulus length, EC on that curve, Ed25519, or an ML-DSA / ML-KEM seed), re-encoded as
 * Trent encodes the keys it generates (the form the rest of Trent reads, and a canonical one,
 * so the same key always has the same KeyMaterialId), with its SubjectPublicKeyInfo derived
 * from the private key. Undefined for anything else.
 *
 *   RSA, NIST and secp256k1 EC, Ed25519  parsed and re-encoded by node:crypto
 *   SM2 (node's OpenSSL parses it as a key type of its own, without details): the EC PKCS#8
 *        layout of ec-der.ts with the SM2 curve, its public point recomputed from d and
 *        required to equal the one the PKCS#8 carries
 *   ML-DSA, ML-KEM  the seed form only (RFC 9881, RFC 9935: [0] IMPLICIT seed), what Trent
 *        and Python's cryptography write; the expanded forms are refused
 */
export function importedKeyPair(params: KeyPairParams, material: Buffer): { pkcs8: Buffer; spki: Buffer } | undefined {
  switch (params.kind) {
    case 'ml-dsa':
    case 'ml-kem':
      return importedPostQuantumPair(params, material);
    case 'ec':
      if (params.namedCurve === 'SM2') return importedSm2Pair(material);
      return importedNodePair(params, material);
    default:
      return importedNodePair(params, material);
  }
}

function importedNodePair(params: KeyPairParams, material: Buffer): { pkcs8: Buffer; spki: Buffer } | undefined {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: material, format: 'der', type: 'pkcs8' });
  } catch {
    return undefined;
  }
  const details = key.asymmetricKeyDetails;
  const matches =
    (params.kind === 'rsa' && key.asymmetricKeyType === 'rsa' && details?.modulusLength === params.modulusLength) ||
    (params.kind === 'ec' && key.asymmetricKeyType === 'ec' && details?.namedCurve === params.namedCurve) ||
    (params.kind === 'ed25519' && key.asymmetricKeyType === 'ed25519');
  if (!matches) return undefined;
  return {
    pkcs8: key.export({ type: 'pkcs8', format: 'der' }),
    spki: createPublicKey(key).export({ type: 'spki', format: 'der' }),
  };
}

function importedSm2Pair(material: Buffer): { pkcs8: Buffer; spki: Buffer } | undefined {
  let d: Buffer | undefined;
  try {
    d = decodeEcPrivateScalar('SM2', material);
    const ecdh = createECDH('SM2');
    ecdh.setPrivateKey(d); // throws for 0 and for d >= n
    const point = ecdh.getPublicKey();
    if (!decodeEcPrivatePoint('SM2', material).equals(point)) return undefined;
    const pair = encodeEcKeyPair('SM2', d, point);
    return { pkcs8: pair.privateKey, spki: pair.publicKey };
  } catch {
    return undefined;
  } finally {
    d?.fill(0);
  }
}

function importedPostQuantumPair(params: Extract<KeyPairParams, { kind: 'ml-kem' | 'ml-dsa' }>, material: Buffer): { pkcs8: Buffer; spki: Buffer } | undefined {
  let seed: Buffer;
  try {
    seed = seedOf(material, postQuantumSeedLength(params), params.kind === 'ml-kem' ? `ML-KEM-${params.level}` : `ML-DSA-${params.level}`);
  } catch {
    return undefined;
  }
  try {
    const pair = postQuantumPairFromSeed(params, seed);
    return { pkcs8: pair.privateKey, spki: pair.publicKey };
  } finally {
    seed.fill(0);
  }
}
