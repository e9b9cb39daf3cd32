/**
 * COSE_Sign1 (RFC 9052 section 4) with ES384, the signature of Nitro Enclaves and NitroTPM
 * attestation documents: `[protected: bstr, unprotected: map, payload: bstr, signature: bstr]`,
 * optionally under CBOR tag 18. The signature is ECDSA P-384 with SHA-384 over the
 * Sig_structure `["Signature1", protected, external_aad (empty), payload]`, written as r || s
 * (96 bytes, RFC 9053 section 2.1), which node:crypto checks with dsaEncoding 'ieee-p1363'.
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { encode, Tag } from 'cbor2';

/** COSE's tag for COSE_Sign1 (RFC 9052 section 2). */
export const COSE_SIGN1_TAG = 18;
/** COSE's algorithm id for ES384 (RFC 9053 section 2.1). */
export const ES384 = -35;

/**
 * A plain Uint8Array view of `bytes`: cbor2 writes a Node Buffer as a map (its toJSON form), and
 * its decoder hands back Buffers under Node, so every byte string is viewed plainly before encoding.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function sigStructure(protectedHeader: Uint8Array, payload: Uint8Array): Uint8Array {
  return encode(['Signature1', plainBytes(protectedHeader), new Uint8Array(0), plainBytes(payload)]);
}

/** Whether `signature` is a valid ES384 signature of the Sig_structure by `signer` (an EC P-384 key). */
export function verifyEs384(signer: KeyObject, protectedHeader: Uint8Array, payload: Uint8Array, signature: Uint8Array): boolean {
  if (signer.asymmetricKeyType !== 'ec' || signer.asymmetricKeyDetails?.namedCurve !== 'secp384r1') return false;
  if (signature.length !== 96) return false;
  return verify('sha384', sigStructure(protectedHeader, payload), { key: signer, dsaEncoding: 'ieee-p1363' }, signature);
}

/** Signs `payload` as an ES384 COSE_Sign1 (the test kit's documents); tagged with 18 when `tagged`. */
export function signEs384(privateKey: KeyObject, payload: Uint8Array, tagged = false): Buffer {
  const protectedHeader = encode(new Map([[1, ES384]]));
  const signature = sign('sha384', sigStructure(protectedHeader, payload), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const sign1 = [plainBytes(protectedHeader), new Map(), plainBytes(payload), plainBytes(signature)];
  return Buffer.from(encode(tagged ? new Tag(COSE_SIGN1_TAG, sign1) : sign1));
}

/** The P-384 public key of a certificate's SubjectPublicKeyInfo, if it is one. */
export function publicKeyOf(spki: Buffer): KeyObject | undefined {
  try {
    return createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}
