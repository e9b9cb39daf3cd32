/**
 * DER encodings of EC key pairs made with createECDH(), which generates keys about nine times
 * faster than the generic generator for P-256 (bench/key-generation.ts) but returns raw
 * numbers: the private scalar d and the uncompressed point Q = 04 || X || Y.
 *
 * The encodings are exactly what node:crypto (OpenSSL) exports, byte for byte (tested):
 *
 *   SubjectPublicKeyInfo ::= SEQUENCE { SEQUENCE { id-ecPublicKey, curve OID }, BIT STRING Q }
 *   PrivateKeyInfo ::= SEQUENCE { INTEGER 0, SEQUENCE { id-ecPublicKey, curve OID },
 *     OCTET STRING { ECPrivateKey ::= SEQUENCE { INTEGER 1, OCTET STRING d, [1] { BIT STRING Q } } } }
 *
 * For a given curve every length is fixed, so each encoding is a precomputed template with d and
 * Q copied in (RFC 5915 for ECPrivateKey, RFC 5480 for the public key).
 */
import { BIT_STRING, INTEGER, OCTET_STRING, oid, SEQUENCE, tlv } from './der.js';
import type { DerKeyPair } from './asymmetric.js';

const CURVES: Record<string, { oid: string; fieldBytes: number }> = {
  prime256v1: { oid: '1.2.840.10045.3.1.7', fieldBytes: 32 },
  secp384r1: { oid: '1.3.132.0.34', fieldBytes: 48 },
  secp521r1: { oid: '1.3.132.0.35', fieldBytes: 66 },
  secp256k1: { oid: '1.3.132.0.10', fieldBytes: 32 },
  SM2: { oid: '1.2.156.10197.1.301', fieldBytes: 32 },
};

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';

interface Template {
  fieldBytes: number;
  /** The SPKI with a zero point; Q goes at spkiPointOffset. */
  spki: Buffer;
  spkiPointOffset: number;
  /** The PKCS#8 with zeros for d and Q. */
  pkcs8: Buffer;
  pkcs8ScalarOffset: number;
  pkcs8PointOffset: number;
}

function buildTemplate(curve: { oid: string; fieldBytes: number }): Template {
  const pointLength = 1 + 2 * curve.fieldBytes;
  const algorithm = tlv(SEQUENCE, oid(EC_PUBLIC_KEY), oid(curve.oid));
  const pointBitString = tlv(BIT_STRING, Buffer.from([0x00]), Buffer.alloc(pointLength));
  const spki = tlv(SEQUENCE, algorithm, pointBitString);
  const scalar = tlv(OCTET_STRING, Buffer.alloc(curve.fieldBytes));
  const ecPrivateKey = tlv(SEQUENCE, tlv(INTEGER, Buffer.from([0x01])), scalar, tlv(0xa1, pointBitString));
  const pkcs8 = tlv(SEQUENCE, tlv(INTEGER, Buffer.from([0x00])), algorithm, tlv(OCTET_STRING, ecPrivateKey));
  return {
    fieldBytes: curve.fieldBytes,
    spki,
    spkiPointOffset: spki.length - pointLength,
    pkcs8,
    // d sits just before the [1] wrapper of the trailing BIT STRING.
    pkcs8ScalarOffset: pkcs8.length - tlv(0xa1, pointBitString).length - curve.fieldBytes,
    pkcs8PointOffset: pkcs8.length - pointLength,
  };
}

const templates = new Map(Object.entries(CURVES).map(([name, curve]) => [name, buildTemplate(curve)]));

export function hasEcTemplate(namedCurve: string): boolean {
  return templates.has(namedCurve);
}

/** Encodes createECDH output (`d` may be shorter than the field: it is left-padded). */
export function encodeEcKeyPair(namedCurve: string, d: Buffer, point: Buffer): DerKeyPair {
  const t = templates.get(namedCurve);
  if (!t) throw new Error(`no EC template for ${namedCurve}`);
  if (point.length !== 1 + 2 * t.fieldBytes || point[0] !== 0x04 || d.length > t.fieldBytes) {
    throw new Error('unexpected EC key sizes');
  }
  const publicKey = Buffer.from(t.spki);
  point.copy(publicKey, t.spkiPointOffset);
  const privateKey = Buffer.from(t.pkcs8);
  d.copy(privateKey, t.pkcs8ScalarOffset + t.fieldBytes - d.length);
  point.copy(privateKey, t.pkcs8PointOffset);
  return { publicKey, privateKey };
}

/** Whether `der` is the template `template` with anything at all in [from, to) (the number it carries). */
function matchesTemplate(der: Buffer, template: Buffer, holes: readonly (readonly [number, number])[]): boolean {
  if (der.length !== template.length) return false;
  let at = 0;
  for (const [from, to] of [...holes, [template.length, template.length] as const]) {
    if (!der.subarray(at, from).equals(template.subarray(at, from))) return false;
    at = to;
  }
  return true;
}

/**
 * The private scalar d of an EC PKCS#8 in the layout above (what node:crypto exports and CreateKey
 * stores), for the operations node:crypto does not offer on a KeyObject: ECDSA over a digest and
 * ECDH with SM2 keys. Secret: the caller wipes it.
 */
export function decodeEcPrivateScalar(namedCurve: string, pkcs8: Buffer): Buffer {
  const t = templates.get(namedCurve);
  const pointLength = 1 + 2 * (t?.fieldBytes ?? 0);
  if (!t || !matchesTemplate(pkcs8, t.pkcs8, [[t.pkcs8ScalarOffset, t.pkcs8ScalarOffset + t.fieldBytes], [t.pkcs8PointOffset, t.pkcs8PointOffset + pointLength]])) {
    throw new Error(`not an ${namedCurve} PKCS#8 in the expected layout`);
  }
  return Buffer.from(pkcs8.subarray(t.pkcs8ScalarOffset, t.pkcs8ScalarOffset + t.fieldBytes));
}

/** The public point 04 || X || Y that an EC PKCS#8 in the layout above carries beside d. */
export function decodeEcPrivatePoint(namedCurve: string, pkcs8: Buffer): Buffer {
  const t = templates.get(namedCurve);
  if (!t) throw new Error(`no EC template for ${namedCurve}`);
  decodeEcPrivateScalar(namedCurve, pkcs8).fill(0);
  return Buffer.from(pkcs8.subarray(t.pkcs8PointOffset));
}

/** The uncompressed point 04 || X || Y of an EC SubjectPublicKeyInfo of `namedCurve`, or undefined if it is not one. */
export function decodeEcPublicPoint(namedCurve: string, spki: Buffer): Buffer | undefined {
  const t = templates.get(namedCurve);
  if (!t) return undefined;
  if (!matchesTemplate(spki, t.spki, [[t.spkiPointOffset, t.spki.length]]) || spki[t.spkiPointOffset] !== 0x04) return undefined;
  return Buffer.from(spki.subarray(t.spkiPointOffset));
}
