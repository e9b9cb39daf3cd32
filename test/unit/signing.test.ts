/**
 * The signing module (src/crypto/signing.ts) and the key loading it relies on
 * (src/crypto/key-objects.ts) against known answers: RFC 8032's Ed25519ph vector, from a key
 * loaded out of the PKCS#8 CreateKey stores; and the ECDSA-over-a-digest and RSASSA-PSS-over-a-
 * digest paths against the openssl CLI's own signatures over the same digest. The functional
 * suite (test/functional/signing.test.ts) checks every algorithm of keys Trent made.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { KeyPairParams } from '../../src/crypto/asymmetric.js';
import { loadPrivateKey, loadPublicKey } from '../../src/crypto/key-objects.js';
import { sign, verify } from '../../src/crypto/signing.js';

const vector = JSON.parse(readFileSync(new URL('../../../test/vectors/ed25519ph.json', import.meta.url), 'utf8')) as Record<string, string>;
const hex = (name: string): Buffer => Buffer.from(vector[name] ?? '', 'hex');
const dir = mkdtempSync(join(tmpdir(), 'trent-signing-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function ders(pair: { privateKey: KeyObject; publicKey: KeyObject }): { pkcs8: Buffer; spki: Buffer } {
  return { pkcs8: pair.privateKey.export({ type: 'pkcs8', format: 'der' }), spki: pair.publicKey.export({ type: 'spki', format: 'der' }) };
}

/** `openssl pkeyutl -sign` over a digest with the given options: OpenSSL's signature, not Trent's. */
function opensslSignDigest(pkcs8: Buffer, digest: Buffer, options: string[]): Buffer {
  writeFileSync(join(dir, 'key.der'), pkcs8);
  writeFileSync(join(dir, 'digest.bin'), digest);
  const result = spawnSync('openssl', ['pkeyutl', '-sign', '-inkey', join(dir, 'key.der'), '-keyform', 'DER', '-in', join(dir, 'digest.bin'), '-out', join(dir, 'sig.bin'), ...options]);
  assert.equal(result.status, 0, String(result.stderr));
  return readFileSync(join(dir, 'sig.bin'));
}

describe('signing', () => {
  it("Ed25519ph: RFC 8032 7.3's signature from the RFC's key, loaded from the PKCS#8 CreateKey stores", () => {
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), hex('seed')]);
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), hex('publicKey')]);
    const params: KeyPairParams = { kind: 'ed25519' };
    const signature = sign(loadPrivateKey(params, pkcs8), { scheme: 'ed25519ph', hash: 'sha512' }, 'digest', hex('message'));
    assert.equal(signature.toString('hex'), vector.signature);
    const publicKey = loadPublicKey(params, spki);
    assert.equal(verify(publicKey, { scheme: 'ed25519ph', hash: 'sha512' }, 'digest', hex('message'), hex('signature')), true);
    assert.equal(verify(publicKey, { scheme: 'ed25519ph', hash: 'sha512' }, 'digest', Buffer.from('abd'), hex('signature')), false);
    assert.equal(verify(publicKey, { scheme: 'ed25519', hash: 'sha512' }, 'message', hex('message'), hex('signature')), false, 'not a pure Ed25519 signature');
  });

  for (const [namedCurve, hash] of [['prime256v1', 'sha256'], ['secp384r1', 'sha384'], ['secp521r1', 'sha512'], ['secp256k1', 'sha256']] as const) {
    it(`ECDSA over a digest (${namedCurve}): verifies openssl's signature of the digest, and openssl verifies Trent's`, () => {
      const { pkcs8, spki } = ders(generateKeyPairSync('ec', { namedCurve }));
      const digest = createHash(hash).update('message').digest();
      const params: KeyPairParams = { kind: 'ec', namedCurve };
      const algorithm = { scheme: 'ecdsa', hash } as const;
      const theirs = opensslSignDigest(pkcs8, digest, []);
      assert.equal(verify(loadPublicKey(params, spki), algorithm, 'digest', digest, theirs), true);
      assert.equal(verify(loadPublicKey(params, spki), algorithm, 'digest', createHash(hash).update('other').digest(), theirs), false);
      const ours = sign(loadPrivateKey(params, pkcs8), algorithm, 'digest', digest);
      writeFileSync(join(dir, 'pub.der'), spki);
      writeFileSync(join(dir, 'ours.bin'), ours);
      const check = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'pub.der'), '-keyform', 'DER', '-in', join(dir, 'digest.bin'), '-sigfile', join(dir, 'ours.bin')]);
      assert.equal(check.status, 0, String(check.stdout) + String(check.stderr));
    });
  }

  it("RSASSA-PSS over a digest: verifies openssl's signature (salt = digest length), and refuses one with another salt length", () => {
    const { pkcs8, spki } = ders(generateKeyPairSync('rsa', { modulusLength: 2048 }));
    const params: KeyPairParams = { kind: 'rsa', modulusLength: 2048 };
    const digest = createHash('sha384').update('message').digest();
    const pss = ['-pkeyopt', 'rsa_padding_mode:pss', '-pkeyopt', 'digest:sha384'];
    const theirs = opensslSignDigest(pkcs8, digest, [...pss, '-pkeyopt', 'rsa_pss_saltlen:digest']);
    const algorithm = { scheme: 'rsa-pss', hash: 'sha384' } as const;
    assert.equal(verify(loadPublicKey(params, spki), algorithm, 'digest', digest, theirs), true);
    const otherSalt = opensslSignDigest(pkcs8, digest, [...pss, '-pkeyopt', 'rsa_pss_saltlen:20']);
    assert.equal(verify(loadPublicKey(params, spki), algorithm, 'digest', digest, otherSalt), false);
    const pkcs1 = opensslSignDigest(pkcs8, digest, ['-pkeyopt', 'digest:sha384']);
    assert.equal(verify(loadPublicKey(params, spki), { scheme: 'rsa-pkcs1', hash: 'sha384' }, 'digest', digest, pkcs1), true, 'PKCS#1 v1.5 too');
  });
});
