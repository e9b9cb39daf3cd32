/**
 * The EC fast path's DER templates against node:crypto's own export, byte for byte, for every
 * curve Trent serves; and the pairs it makes sign and verify.
 */
import assert from 'node:assert/strict';
import { createECDH, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateKeyPair } from '../../src/crypto/asymmetric.js';
import { decodeEcPrivatePoint, encodeEcKeyPair } from '../../src/crypto/ec-der.js';

const curves = [
  { curve: 'prime256v1', jwk: 'P-256' },
  { curve: 'secp384r1', jwk: 'P-384' },
  { curve: 'secp521r1', jwk: 'P-521' },
  { curve: 'secp256k1', jwk: 'secp256k1' },
] as const;

/**
 * A fresh key as its raw numbers (from createECDH), and node's own DER export of the same key
 * (imported as a JWK). Not generateKeyPairSync and export({ format: 'jwk' }): on Node 20 a JWK
 * export can deadlock when it triggers a garbage collection that finalises a finished key
 * generation job (both take the key's mutex), which hung this suite about once in ten runs.
 */
function freshKey(curve: string, crv: string): { d: Buffer; point: Buffer; pkcs8: Buffer; spki: Buffer } {
  const ecdh = createECDH(curve);
  const point = ecdh.generateKeys();
  const d = ecdh.getPrivateKey();
  const size = (point.length - 1) / 2;
  const jwk = {
    kty: 'EC',
    crv,
    d: Buffer.concat([Buffer.alloc(size - d.length), d]).toString('base64url'),
    x: point.subarray(1, 1 + size).toString('base64url'),
    y: point.subarray(1 + size).toString('base64url'),
  };
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  return {
    d,
    point,
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'der' }),
    spki: createPublicKey(privateKey).export({ type: 'spki', format: 'der' }),
  };
}

describe('encodeEcKeyPair', () => {
  for (const { curve, jwk } of curves) {
    it(`${curve}: equals node's SPKI and PKCS#8 export for 64 random keys`, () => {
      for (let i = 0; i < 64; i++) {
        const key = freshKey(curve, jwk);
        const encoded = encodeEcKeyPair(curve, key.d, key.point);
        assert.deepEqual(encoded.privateKey, key.pkcs8);
        assert.deepEqual(encoded.publicKey, key.spki);
      }
    });
  }

  it('SM2: equals node\'s export (d and Q read from the export itself)', () => {
    for (let i = 0; i < 64; i++) {
      const pair = generateKeyPairSync('ec', { namedCurve: 'SM2', publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } });
      const point = pair.publicKey.subarray(pair.publicKey.length - 65);
      // PKCS#8 ends with: 04 20 <d> a1 44 03 42 00 <Q>
      const d = pair.privateKey.subarray(pair.privateKey.length - 65 - 5 - 32, pair.privateKey.length - 65 - 5);
      const encoded = encodeEcKeyPair('SM2', d, point);
      assert.deepEqual(encoded.privateKey, pair.privateKey);
      assert.deepEqual(encoded.publicKey, pair.publicKey);
      assert.deepEqual(decodeEcPrivatePoint('SM2', pair.privateKey), point, 'the point the PKCS#8 carries is the SPKI\'s');
    }
  });

  it('left-pads a short scalar', () => {
    const { d: raw, point } = freshKey('prime256v1', 'P-256');
    const d = Buffer.concat([Buffer.alloc(32 - raw.length), raw]);
    const shortD = Buffer.concat([Buffer.alloc(1), d.subarray(1)]); // a scalar whose top byte is zero
    const full = encodeEcKeyPair('prime256v1', shortD, point);
    const stripped = encodeEcKeyPair('prime256v1', shortD.subarray(1), point);
    assert.deepEqual(stripped.privateKey, full.privateKey);
  });

  it('refuses a point of the wrong size', () => {
    assert.throws(() => encodeEcKeyPair('prime256v1', Buffer.alloc(32, 1), Buffer.alloc(64, 4)), /unexpected EC key sizes/);
  });
});

describe('generateKeyPair (inline P-256 path)', () => {
  it('makes pairs that node:crypto loads, whose public key matches, and that sign and verify', async () => {
    for (let i = 0; i < 16; i++) {
      const pair = await generateKeyPair({ kind: 'ec', namedCurve: 'prime256v1', inline: true });
      const privateKey = createPrivateKey({ key: pair.privateKey, format: 'der', type: 'pkcs8' });
      const publicKey = createPublicKey({ key: pair.publicKey, format: 'der', type: 'spki' });
      assert.deepEqual(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }), pair.publicKey);
      const message = Buffer.from(`message ${i}`);
      assert.equal(verify('sha256', message, publicKey, sign('sha256', message, privateKey)), true);
    }
  });
});
