/**
 * SM2PKE ciphertexts and SM2DSA signatures forged from real ones (src/crypto/sm2.ts): fast-check
 * flips bytes, cuts, extends, or writes random bytes. Decryption must answer undefined and
 * verification false for every forgery, and neither may throw: a caller's bytes never reach a
 * 500. A real ciphertext of any plaintext of 1 to 1024 bytes decrypts to it, and a real signature
 * verifies. (Which bytes are right is checked against the openssl CLI in test/unit/sm2.test.ts.)
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { KeyPairParams } from '../../src/crypto/asymmetric.js';
import { loadPrivateKey, loadPublicKey } from '../../src/crypto/key-objects.js';
import { privateKeyDecrypt, publicKeyEncrypt } from '../../src/crypto/public-key-encryption.js';
import { sign, verify } from '../../src/crypto/signing.js';
import { count, runs } from './settings.js';

const params: KeyPairParams = { kind: 'ec', namedCurve: 'SM2' };
const pair = generateKeyPairSync('ec', { namedCurve: 'SM2' });
const privateKey = loadPrivateKey(params, pair.privateKey.export({ type: 'pkcs8', format: 'der' }));
const publicKey = loadPublicKey(params, pair.publicKey.export({ type: 'spki', format: 'der' }));
const SM2PKE = { scheme: 'sm2pke' } as const;
const SM2DSA = { scheme: 'sm2', hash: 'sm3' } as const;

/** A forgery of `real`: one byte changed, cut short, extended, or bytes of no relation. */
function forgeryOf(real: Buffer): fc.Arbitrary<Buffer> {
  return fc.oneof(
    fc.tuple(fc.nat({ max: real.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([at, xor]) => {
      const copy = Buffer.from(real);
      copy[at] = (copy[at] ?? 0) ^ xor;
      return copy;
    }),
    fc.nat({ max: real.length - 1 }).map((length) => real.subarray(0, length)),
    fc.uint8Array({ minLength: 1, maxLength: 40 }).map((extra) => Buffer.concat([real, extra])),
    fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  );
}

describe('SM2 forgeries', () => {
  it('every real SM2PKE ciphertext of 1..1024 bytes decrypts to its plaintext', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 1024 }), (bytes) => {
        count('sm2pke round trips');
        const plaintext = Buffer.from(bytes);
        assert.deepEqual(privateKeyDecrypt(privateKey, SM2PKE, publicKeyEncrypt(publicKey, SM2PKE, plaintext)), plaintext);
      }),
      { numRuns: runs(50) },
    );
  });

  it('no forged SM2PKE ciphertext decrypts, and none throws', () => {
    const real = publicKeyEncrypt(publicKey, SM2PKE, Buffer.from('a secret that forgeries must not reveal'));
    fc.assert(
      fc.property(forgeryOf(real), (forged) => {
        count('sm2pke forgeries');
        assert.equal(privateKeyDecrypt(privateKey, SM2PKE, forged), undefined);
      }),
      { numRuns: runs(300) },
    );
  });

  it('no forged SM2DSA signature verifies, and none throws', () => {
    const message = Buffer.from('a message signed with SM2DSA');
    const real = sign(privateKey, SM2DSA, 'message', message);
    assert.equal(verify(publicKey, SM2DSA, 'message', message, real), true);
    fc.assert(
      fc.property(forgeryOf(real), (forged) => {
        count('sm2dsa forgeries');
        assert.equal(verify(publicKey, SM2DSA, 'message', message, forged), false);
      }),
      { numRuns: runs(300) },
    );
  });
});
