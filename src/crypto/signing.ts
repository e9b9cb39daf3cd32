/**
 * Signatures for every signing scheme of AWS KMS, over a message (MessageType RAW), a digest the
 * caller computed (DIGEST) or ML-DSA's external mu (EXTERNAL_MU). Which scheme, hash and input
 * form a request uses is decided by the descriptor table (domain/key-specs.ts); this module only
 * computes.
 *
 *   scheme      message (RAW)                          digest (DIGEST) / mu (EXTERNAL_MU)
 *   rsa-pss     node:crypto, salt = digest length      EMSA-PSS (rsa-pss.ts) + raw RSA (OpenSSL)
 *   rsa-pkcs1   node:crypto                            DigestInfo + PKCS#1 type 1 (OpenSSL)
 *   ecdsa       node:crypto, DER signature             @noble/curves, DER signature
 *   ed25519     node:crypto (pure Ed25519)             -
 *   ed25519ph   -                                      @noble/curves Ed25519ph (RFC 8032)
 *   ml-dsa      @noble/post-quantum, pure, empty ctx   @noble/post-quantum, external mu
 *   sm2         sm2.ts: e = SM3(Z_A || M), default id  sm2.ts: the digest is e
 *
 * Verification answers false for any signature it cannot parse; it never throws for the
 * caller's bytes.
 */
import { constants, privateEncrypt, publicDecrypt, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { ed25519ph } from '@noble/curves/ed25519.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { mlDsa, type PrivateKeyHandle, type PublicKeyHandle } from './key-objects.js';
import { emsaPssEncode, emsaPssVerify } from './rsa-pss.js';
import { sm2Sign, sm2Verify } from './sm2.js';

/** Hash functions by node:crypto's names. */
export type Hash = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512' | 'sm3' | 'shake256';

export type SignatureScheme = 'rsa-pss' | 'rsa-pkcs1' | 'ecdsa' | 'ed25519' | 'ed25519ph' | 'sm2' | 'ml-dsa';

/** What the signed bytes are: the message itself, its digest, or ML-DSA's 64-byte mu (FIPS 204 §6.2). */
export type SignedForm = 'message' | 'digest' | 'mu';

export interface SignatureParams {
  scheme: SignatureScheme;
  hash: Hash;
}

/** The DER DigestInfo prefixes of RFC 8017 §9.2, note 1, that precede the digest in PKCS#1 v1.5. */
const DIGEST_INFO: Partial<Record<Hash, Buffer>> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

const NOBLE_CURVES = { prime256v1: p256, secp384r1: p384, secp521r1: p521, secp256k1 } as const;

function nobleCurve(namedCurve: string): (typeof NOBLE_CURVES)[keyof typeof NOBLE_CURVES] {
  const curve = (NOBLE_CURVES as Record<string, (typeof NOBLE_CURVES)[keyof typeof NOBLE_CURVES] | undefined>)[namedCurve];
  if (!curve) throw new Error(`no ECDSA implementation for ${namedCurve}`);
  return curve;
}

function digestInfo(hash: Hash): Buffer {
  const prefix = DIGEST_INFO[hash];
  if (!prefix) throw new Error(`no DigestInfo for ${hash}`);
  return prefix;
}

function unsupported(params: SignatureParams, form: SignedForm, kind: string): Error {
  return new Error(`no ${params.scheme} signature over a ${form} with a ${kind} key`);
}

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };

export function sign(key: PrivateKeyHandle, params: SignatureParams, form: SignedForm, data: Buffer): Buffer {
  switch (key.kind) {
    case 'rsa': {
      if (params.scheme === 'rsa-pss') {
        if (form === 'message') return nodeSign(params.hash, data, { key: key.key, ...PSS });
        const bits = key.key.asymmetricKeyDetails?.modulusLength ?? 0;
        return privateEncrypt({ key: key.key, padding: constants.RSA_NO_PADDING }, emsaPssEncode(params.hash, data, bits));
      }
      if (params.scheme === 'rsa-pkcs1') {
        if (form === 'message') return nodeSign(params.hash, data, key.key);
        return privateEncrypt({ key: key.key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([digestInfo(params.hash), data]));
      }
      break;
    }
    case 'ec':
      if (params.scheme === 'ecdsa') {
        if (form === 'message') return nodeSign(params.hash, data, key.key);
        if (form === 'digest') {
          return Buffer.from(nobleCurve(key.namedCurve).sign(data, key.scalar, { prehash: false, format: 'der', lowS: false }));
        }
      }
      if (params.scheme === 'sm2' && (form === 'message' || form === 'digest')) return sm2Sign(key.scalar, key.point, form, data);
      break;
    case 'ed25519':
      if (params.scheme === 'ed25519' && form === 'message') return nodeSign(null, data, key.key);
      // Ed25519ph prehashes what it is given with SHA-512 (RFC 8032 §5.1), so a DIGEST is hashed
      // again, as AWS documents for ED25519_PH_SHA_512.
      if (params.scheme === 'ed25519ph' && form === 'digest') return Buffer.from(ed25519ph.sign(data, key.seed));
      break;
    case 'ml-dsa': {
      const dsa = mlDsa[key.level];
      if (params.scheme === 'ml-dsa' && form === 'message') return Buffer.from(dsa.sign(data, key.secretKey));
      if (params.scheme === 'ml-dsa' && form === 'mu') return Buffer.from(dsa.internal.sign(data, key.secretKey, { externalMu: true }));
      break;
    }
    case 'ml-kem':
      break;
  }
  throw unsupported(params, form, key.kind);
}

function verifyOrFalse(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

export function verify(key: PublicKeyHandle, params: SignatureParams, form: SignedForm, data: Buffer, signature: Buffer): boolean {
  switch (key.kind) {
    case 'rsa': {
      if (params.scheme === 'rsa-pss') {
        if (form === 'message') return verifyOrFalse(() => nodeVerify(params.hash, data, { key: key.key, ...PSS }, signature));
        if (signature.length !== key.modulusBytes) return false;
        const bits = key.key.asymmetricKeyDetails?.modulusLength ?? 0;
        return verifyOrFalse(() => emsaPssVerify(params.hash, data, publicDecrypt({ key: key.key, padding: constants.RSA_NO_PADDING }, signature), bits));
      }
      if (params.scheme === 'rsa-pkcs1') {
        if (form === 'message') return verifyOrFalse(() => nodeVerify(params.hash, data, key.key, signature));
        if (signature.length !== key.modulusBytes) return false;
        const expected = Buffer.concat([digestInfo(params.hash), data]);
        return verifyOrFalse(() => publicDecrypt({ key: key.key, padding: constants.RSA_PKCS1_PADDING }, signature).equals(expected));
      }
      break;
    }
    case 'ec':
      if (params.scheme === 'ecdsa') {
        if (form === 'message') return verifyOrFalse(() => nodeVerify(params.hash, data, key.key, signature));
        if (form === 'digest') {
          return verifyOrFalse(() => nobleCurve(key.namedCurve).verify(signature, data, key.point, { prehash: false, format: 'der', lowS: false }));
        }
      }
      if (params.scheme === 'sm2' && (form === 'message' || form === 'digest')) return verifyOrFalse(() => sm2Verify(key.point, form, data, signature));
      break;
    case 'ed25519':
      if (params.scheme === 'ed25519' && form === 'message') return verifyOrFalse(() => nodeVerify(null, data, key.key, signature));
      if (params.scheme === 'ed25519ph' && form === 'digest') return verifyOrFalse(() => ed25519ph.verify(signature, data, key.raw));
      break;
    case 'ml-dsa': {
      const dsa = mlDsa[key.level];
      if (params.scheme === 'ml-dsa' && form === 'message') return verifyOrFalse(() => dsa.verify(signature, data, key.raw));
      if (params.scheme === 'ml-dsa' && form === 'mu') return verifyOrFalse(() => dsa.internal.verify(signature, data, key.raw, { externalMu: true }));
      break;
    }
    case 'ml-kem':
      break;
  }
  throw unsupported(params, form, key.kind);
}
