/**
 * The EC fast path's DER templates against node:crypto's own export, byte for byte, for every
 * curve Trent serves; and the pairs it makes sign and verify.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateKeyPair } from '../../src/crypto/asymmetric.js';
import { encodeEcKeyPair } from '../../src/crypto/ec-der.js';

const curves = [
  { curve: 'prime256v1', jwk: 'P-256' },
  { curve: 'secp384r1', jwk: 'P-384' },
  { curve: 'secp521r1', jwk: 'P-521' },
  { curve: 'secp256k1', jwk: 'secp256k1' },
] as const;

describe('encodeEcKeyPair', () => {
  for (const { curve } of curves) {
    it(`${curve}: equals node's SPKI and PKCS#8 export for 64 random keys`, () => {
      for (let i = 0; i < 64; i++) {
        const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
        const jwk = privateKey.export({ format: 'jwk' });
        const d = Buffer.from(jwk.d as string, 'base64url');
        const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x as string, 'base64url'), Buffer.from(jwk.y as string, 'base64url')]);
        const encoded = encodeEcKeyPair(curve, d, point);
        assert.deepEqual(encoded.privateKey, privateKey.export({ type: 'pkcs8', format: 'der' }));
        assert.deepEqual(encoded.publicKey, publicKey.export({ type: 'spki', format: 'der' }));
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
    }
  });

  it('left-pads a short scalar', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const jwk = privateKey.export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x as string, 'base64url'), Buffer.from(jwk.y as string, 'base64url')]);
    const d = Buffer.from(jwk.d as string, 'base64url');
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
