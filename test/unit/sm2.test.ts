/**
 * SM2DSA and SM2PKE (src/crypto/sm2.ts, through crypto/signing.ts and
 * crypto/public-key-encryption.ts) against the openssl 3.0 CLI, with SM2 keys openssl makes
 * (`genpkey -algorithm SM2`) loaded the way Trent loads the PKCS#8 / SPKI it stores:
 * - openssl verifies Trent's signatures with the distinguishing id AWS uses
 *   (`-pkeyopt distid:1234567812345678`) and refuses them under another id; Trent verifies
 *   openssl's, over the message (RAW) and over e = SM3(Z_A || M) (DIGEST), where Z_A is computed
 *   here from GB/T 32918.5's curve parameters, not by the code under test;
 * - openssl decrypts Trent's SM2PKE ciphertexts and Trent decrypts openssl's (GM/T 0009 DER);
 * - signatures and ciphertexts that are not strict DER, out of range, off the curve or tampered
 *   with are refused.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KeyPairParams } from '../../src/crypto/asymmetric.js';
import { loadPrivateKey, loadPublicKey, type PrivateKeyHandle, type PublicKeyHandle } from '../../src/crypto/key-objects.js';
import { privateKeyDecrypt, publicKeyEncrypt } from '../../src/crypto/public-key-encryption.js';
import { sign, verify } from '../../src/crypto/signing.js';

const dir = mkdtempSync(join(tmpdir(), 'trent-sm2-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => join(dir, name);

function openssl(args: string[], what: string): void {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  assert.equal(result.status, 0, `${what}: ${result.stdout}${result.stderr}`);
}
const opensslSucceeds = (args: string[]): boolean => spawnSync('openssl', args).status === 0;

/** GB/T 32918.5-2017's recommended curve: a, b, and the base point G. */
const CURVE = {
  a: 'fffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffc',
  b: '28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93',
  xG: '32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7',
  yG: 'bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0',
};
const N = BigInt('0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123');
const ID = '1234567812345678';
const SM2DSA = { scheme: 'sm2', hash: 'sm3' } as const;
const SM2PKE = { scheme: 'sm2pke' } as const;
const params: KeyPairParams = { kind: 'ec', namedCurve: 'SM2' };

/** e = SM3(Z_A || M), Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA) (GB/T 32918.2 §5.5, §6.1). */
function expectedDigest(point: Buffer, message: Buffer): Buffer {
  const id = Buffer.from(ID, 'utf8');
  const entl = Buffer.from([(id.length * 8) >> 8, (id.length * 8) & 0xff]);
  const curve = Buffer.from(CURVE.a + CURVE.b + CURVE.xG + CURVE.yG, 'hex');
  const z = createHash('sm3').update(Buffer.concat([entl, id, curve, point.subarray(1)])).digest();
  return createHash('sm3').update(z).update(message).digest();
}

/** A DER SEQUENCE of the given INTEGERs / raw elements (short lengths only), for crafted inputs. */
const der = (tag: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([tag, content.length]), content]);
function integer(value: bigint): Buffer {
  const hex = value.toString(16).padStart(2, '0');
  const bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  return der(0x02, (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}
/** The (r, s) of a DER SM2 signature, read with openssl's own parser. */
function rs(signature: Buffer): [bigint, bigint] {
  writeFileSync(file('rs.der'), signature);
  const out = spawnSync('openssl', ['asn1parse', '-inform', 'DER', '-in', file('rs.der')], { encoding: 'utf8' }).stdout;
  const values = [...out.matchAll(/INTEGER\s+:([0-9A-F]+)/g)].map((m) => BigInt(`0x${m[1]}`));
  assert.equal(values.length, 2, out);
  return [values[0] ?? 0n, values[1] ?? 0n];
}

describe('SM2 with keys the openssl CLI made', () => {
  let privateKey: PrivateKeyHandle;
  let publicKey: PublicKeyHandle;
  let point: Buffer;
  const message = Buffer.from('SM2 signs this message for Trent.');

  before(() => {
    // PEM output is PKCS#8 (DER output would be SEC1's ECPrivateKey); Trent stores PKCS#8 DER.
    openssl(['genpkey', '-algorithm', 'SM2', '-out', file('priv.pem')], 'genpkey');
    openssl(['pkcs8', '-topk8', '-nocrypt', '-in', file('priv.pem'), '-outform', 'DER', '-out', file('priv.der')], 'pkcs8 -topk8');
    openssl(['pkey', '-in', file('priv.pem'), '-pubout', '-outform', 'DER', '-out', file('pub.der')], 'pkey -pubout');
    openssl(['pkey', '-in', file('priv.pem'), '-pubout', '-out', file('pub.pem')], 'pkey -pubout (PEM)');
    privateKey = loadPrivateKey(params, readFileSync(file('priv.der')));
    const spki = readFileSync(file('pub.der'));
    publicKey = loadPublicKey(params, spki);
    point = spki.subarray(spki.length - 65);
    writeFileSync(file('msg.bin'), message);
  });

  const opensslVerifies = (signature: Buffer, data: Buffer, id = ID): boolean => {
    writeFileSync(file('sig.bin'), signature);
    writeFileSync(file('data.bin'), data);
    return opensslSucceeds(['pkeyutl', '-verify', '-pubin', '-inkey', file('pub.pem'), '-rawin', '-in', file('data.bin'), '-sigfile', file('sig.bin'), '-digest', 'sm3', '-pkeyopt', `distid:${id}`]);
  };
  const opensslSigns = (data: Buffer): Buffer => {
    writeFileSync(file('data.bin'), data);
    openssl(['pkeyutl', '-sign', '-inkey', file('priv.pem'), '-rawin', '-in', file('data.bin'), '-digest', 'sm3', '-pkeyopt', `distid:${ID}`, '-out', file('theirs.bin')], 'pkeyutl -sign');
    return readFileSync(file('theirs.bin'));
  };

  it('SM2DSA over a message: openssl verifies it with the distinguishing id 1234567812345678, and not under another id', () => {
    for (let i = 0; i < 4; i++) {
      const signature = sign(privateKey, SM2DSA, 'message', message);
      assert.equal(opensslVerifies(signature, message), true, `signature ${i}`);
    }
    const signature = sign(privateKey, SM2DSA, 'message', message);
    assert.equal(opensslVerifies(signature, message, '1234567812345679'), false, 'another distinguishing id');
    assert.equal(opensslVerifies(signature, Buffer.from('another message')), false, 'another message');
  });

  it('SM2DSA over a digest signs e = SM3(Z_A || M) as given: openssl verifies it as the signature of M', () => {
    const e = expectedDigest(point, message);
    const signature = sign(privateKey, SM2DSA, 'digest', e);
    assert.equal(opensslVerifies(signature, message), true);
    assert.equal(verify(publicKey, SM2DSA, 'digest', e, signature), true);
    assert.equal(verify(publicKey, SM2DSA, 'message', message, signature), true, 'the same signature as over the message');
  });

  it("verifies openssl's signatures over the message and over e, and refuses them for another message or with a flipped bit", () => {
    const theirs = opensslSigns(message);
    assert.equal(verify(publicKey, SM2DSA, 'message', message, theirs), true);
    assert.equal(verify(publicKey, SM2DSA, 'digest', expectedDigest(point, message), theirs), true);
    assert.equal(verify(publicKey, SM2DSA, 'message', Buffer.from('another message'), theirs), false);
    assert.equal(verify(publicKey, SM2DSA, 'digest', createHash('sm3').update(message).digest(), theirs), false, 'e without Z_A');
    const flipped = Buffer.from(theirs);
    flipped[flipped.length - 5] = (flipped[flipped.length - 5] ?? 0) ^ 0x01;
    assert.equal(verify(publicKey, SM2DSA, 'message', message, flipped), false);
  });

  it('refuses signatures that are not strict DER or whose r or s is outside [1, n - 1]', () => {
    const theirs = opensslSigns(message);
    const [r, s] = rs(theirs);
    const seq = (...elements: Buffer[]) => der(0x30, Buffer.concat(elements));
    assert.equal(verify(publicKey, SM2DSA, 'message', message, seq(integer(r), integer(s))), true, 'the re-encoded signature itself');
    const refused: [string, Buffer][] = [
      ['a trailing byte', Buffer.concat([theirs, Buffer.from([0])])],
      ['a long-form length where a short one fits', Buffer.concat([Buffer.from([0x30, 0x81, theirs.length - 2]), theirs.subarray(2)])],
      ['a needless leading zero in r', seq(der(0x02, Buffer.concat([Buffer.from([0]), integer(r).subarray(2)])), integer(s))],
      ['s + n', seq(integer(r), integer(s + N))],
      ['r + n', seq(integer(r + N), integer(s))],
      ['r = 0', seq(integer(0n), integer(s))],
      ['three INTEGERs', seq(integer(r), integer(s), integer(1n))],
      ['an empty SEQUENCE', seq()],
      ['no DER at all', Buffer.from('not a signature')],
      ['the raw 64-byte r || s', Buffer.from(r.toString(16).padStart(64, '0') + s.toString(16).padStart(64, '0'), 'hex')],
    ];
    for (const [what, signature] of refused) assert.equal(verify(publicKey, SM2DSA, 'message', message, signature), false, what);
  });

  const opensslDecrypts = (ciphertext: Buffer): Buffer | undefined => {
    writeFileSync(file('ct.bin'), ciphertext);
    const ok = opensslSucceeds(['pkeyutl', '-decrypt', '-inkey', file('priv.pem'), '-in', file('ct.bin'), '-out', file('pt.bin')]);
    return ok ? readFileSync(file('pt.bin')) : undefined;
  };
  const opensslEncrypts = (plaintext: Buffer): Buffer => {
    writeFileSync(file('pt-in.bin'), plaintext);
    openssl(['pkeyutl', '-encrypt', '-pubin', '-inkey', file('pub.pem'), '-in', file('pt-in.bin'), '-out', file('ct-out.bin')], 'pkeyutl -encrypt');
    return readFileSync(file('ct-out.bin'));
  };

  it("SM2PKE: openssl decrypts Trent's ciphertexts, which are GM/T 0009's SEQUENCE { x, y, C3, C2 }", () => {
    for (const size of [1, 2, 31, 32, 33, 100, 1024]) {
      const plaintext = Buffer.alloc(size, size & 0xff).fill('SM2PKE', 1);
      const ciphertext = publicKeyEncrypt(publicKey, SM2PKE, plaintext);
      assert.deepEqual(opensslDecrypts(ciphertext), plaintext, `${size} bytes`);
      writeFileSync(file('ct.bin'), ciphertext);
      const parsed = spawnSync('openssl', ['asn1parse', '-inform', 'DER', '-in', file('ct.bin')], { encoding: 'utf8' }).stdout;
      const shape = [...parsed.matchAll(/d=(\d).*?(SEQUENCE|INTEGER|OCTET STRING)/g)].map((m) => `${m[1]} ${m[2]}`);
      assert.deepEqual(shape, ['0 SEQUENCE', '1 INTEGER', '1 INTEGER', '1 OCTET STRING', '1 OCTET STRING'], parsed);
      assert.match(parsed, new RegExp(`l=\\s*32 prim: OCTET STRING[\\s\\S]*l=\\s*${size} prim: OCTET STRING`), 'C3 (32 bytes), then C2 (as long as the plaintext)');
    }
    const a = publicKeyEncrypt(publicKey, SM2PKE, Buffer.from('same'));
    const b = publicKeyEncrypt(publicKey, SM2PKE, Buffer.from('same'));
    assert.notDeepEqual(a, b, 'a fresh k for each encryption');
  });

  it("SM2PKE: Trent decrypts openssl's ciphertexts", () => {
    for (const size of [1, 5, 32, 64, 1000, 1024]) {
      const plaintext = Buffer.alloc(size, 0x5a).fill('openssl', 0);
      assert.deepEqual(privateKeyDecrypt(privateKey, SM2PKE, opensslEncrypts(plaintext)), plaintext, `${size} bytes`);
    }
  });

  it('SM2PKE: refuses tampered, malformed and off-curve ciphertexts', () => {
    const plaintext = Buffer.from('a secret for SM2PKE');
    const ciphertext = opensslEncrypts(plaintext);
    assert.deepEqual(privateKeyDecrypt(privateKey, SM2PKE, ciphertext), plaintext);
    const last = ciphertext.length - 1;
    const flip = (index: number) => {
      const copy = Buffer.from(ciphertext);
      copy[index] = (copy[index] ?? 0) ^ 0x01;
      return copy;
    };
    // Rebuild the structure from openssl's own parse of it, to craft variants.
    writeFileSync(file('ct.bin'), ciphertext);
    const parsed = spawnSync('openssl', ['asn1parse', '-inform', 'DER', '-in', file('ct.bin')], { encoding: 'utf8' }).stdout;
    const [x = 0n, y = 0n] = [...parsed.matchAll(/INTEGER\s+:([0-9A-F]+)/g)].map((m) => BigInt(`0x${m[1]}`));
    const [c3 = Buffer.alloc(0), c2 = Buffer.alloc(0)] = [...parsed.matchAll(/\[HEX DUMP\]:([0-9A-F]+)/g)].map((m) => Buffer.from(m[1] ?? '', 'hex'));
    const build = (xs: bigint, ys: bigint, hash: Buffer, body: Buffer) => der(0x30, Buffer.concat([integer(xs), integer(ys), der(0x04, hash), der(0x04, body)]));
    assert.deepEqual(privateKeyDecrypt(privateKey, SM2PKE, build(x, y, c3, c2)), plaintext, 'the rebuilt ciphertext itself');
    const refused: [string, Buffer][] = [
      ['a flipped bit in C2', flip(last)],
      ['a flipped bit in C3', build(x, y, Buffer.from(c3.map((v, i) => (i === 0 ? v ^ 1 : v))), c2)],
      ['C1 off the curve', build(x, y + 1n, c3, c2)],
      ['C1 with y + p', build(x, y + BigInt('0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffff'), c3, c2)],
      ['C1 of another point (-C1)', build(x, BigInt('0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffff') - y, c3, c2)],
      ['C2 before C3 (C1C2C3 order)', build(x, y, c2, c3)],
      ['a 31-byte C3', build(x, y, c3.subarray(1), c2)],
      ['an empty C2', build(x, y, c3, Buffer.alloc(0))],
      ['a trailing byte', Buffer.concat([ciphertext, Buffer.from([0])])],
      ['the raw C1 || C3 || C2', Buffer.concat([Buffer.from([4]), Buffer.from(x.toString(16).padStart(64, '0') + y.toString(16).padStart(64, '0'), 'hex'), c3, c2])],
      ['no DER at all', Buffer.from('not a ciphertext')],
    ];
    for (const [what, bytes] of refused) assert.equal(privateKeyDecrypt(privateKey, SM2PKE, bytes), undefined, what);
  });
});
