/**
 * ECDH (NIST SP 800-56A, the raw shared secret: the x-coordinate of d * Q) between a KMS key's
 * private key and a peer's public key, for DeriveSharedSecret. The peer key is a DER
 * SubjectPublicKeyInfo with an uncompressed point on the KMS key's curve; createECDH checks the
 * point lies on the curve, so a point off it is refused, never multiplied.
 *
 * createECDH works from the raw scalar, which serves SM2 keys too (node:crypto cannot derive with
 * an SM2 KeyObject, which OpenSSL 3.0 types apart from EC keys).
 */
import { createECDH } from 'node:crypto';
import { decodeEcPublicPoint } from './ec-der.js';
import type { PrivateKeyHandle } from './key-objects.js';

/** The shared secret, or undefined when `peerSpki` is not a public key on the same curve. */
export function deriveSharedSecret(key: PrivateKeyHandle, peerSpki: Buffer): Buffer | undefined {
  if (key.kind !== 'ec') throw new Error(`no ECDH with a ${key.kind} key`);
  const point = decodeEcPublicPoint(key.namedCurve, peerSpki);
  if (!point) return undefined;
  const ecdh = createECDH(key.namedCurve);
  try {
    ecdh.setPrivateKey(key.scalar);
    return ecdh.computeSecret(point);
  } catch {
    return undefined;
  }
}
