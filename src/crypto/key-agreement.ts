/**
 * ECDH (NIST SP 800-56A, the raw shared secret: the x-coordinate of d * Q) between a KMS key's
 * private key and a peer's public key, for DeriveSharedSecret. The peer key is a DER
 * SubjectPublicKeyInfo with an uncompressed point on the KMS key's curve; the point is checked
 * to lie on the curve, so a point off it is refused, never multiplied.
 *
 * createECDH works from the raw scalar, which serves SM2 keys too on Node 20 (node:crypto cannot
 * derive with an SM2 KeyObject, which OpenSSL types apart from EC keys). Node 24's OpenSSL (3.5)
 * refuses ECDH on the SM2 curve even there, so where a probe finds that, SM2 secrets come from
 * @noble/curves over GB/T 32918.5-2017's curve parameters instead.
 */
import { createECDH } from 'node:crypto';
import { ecdh, weierstrass } from '@noble/curves/abstract/weierstrass.js';
import { decodeEcPublicPoint } from './ec-der.js';
import type { PrivateKeyHandle } from './key-objects.js';

/** The shared secret, or undefined when `peerSpki` is not a public key on the same curve. */
export function deriveSharedSecret(key: PrivateKeyHandle, peerSpki: Buffer): Buffer | undefined {
  if (key.kind !== 'ec') throw new Error(`no ECDH with a ${key.kind} key`);
  const point = decodeEcPublicPoint(key.namedCurve, peerSpki);
  if (!point) return undefined;
  if (key.namedCurve === 'SM2' && !opensslDerivesSm2()) return sm2Secret(key.scalar, point);
  const ecdhKey = createECDH(key.namedCurve);
  try {
    ecdhKey.setPrivateKey(key.scalar);
    return ecdhKey.computeSecret(point);
  } catch {
    return undefined;
  }
}

let sm2Probe: boolean | undefined;

/** Whether this runtime's OpenSSL computes ECDH on the SM2 curve (3.0 does, 3.5 does not). */
function opensslDerivesSm2(): boolean {
  if (sm2Probe === undefined) {
    try {
      const a = createECDH('SM2');
      a.generateKeys();
      sm2Probe = a.computeSecret(createECDH('SM2').generateKeys()).length === 32;
    } catch {
      sm2Probe = false;
    }
  }
  return sm2Probe;
}

let sm2: ReturnType<typeof ecdh> | undefined;

function sm2Secret(scalar: Buffer, point: Buffer): Buffer | undefined {
  sm2 ??= ecdh(
    weierstrass({
      p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
      n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
      h: 1n,
      a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
      b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
      Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
      Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
    }),
  );
  try {
    // The shared point, compressed: its first byte is the parity of y, the rest is x.
    return Buffer.from(sm2.getSharedSecret(scalar, point)).subarray(1);
  } catch {
    return undefined;
  }
}
