/**
 * The root key's check value and fingerprint (public: stored in the database, shown in logs and
 * /health) and its file: what they reveal, what they must never contain, and a known answer
 * computed independently with the openssl CLI, since every stored check value depends on it:
 *
 *   printf 'trent root key check value v1' | openssl dgst -sha256 -mac HMAC \
 *     -macopt hexkey:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fingerprintOf, RootKey } from '../../src/crypto/root-key.js';

const KAT_KEY = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const KAT_CHECK = '9c01c4734de530c73011b5aebe05d9b30cc51bbbfec438068d5f568babf63819';

/** Every way the key's bytes could show up in a string. */
function spellings(key: Buffer): string[] {
  return [key.toString('hex'), key.toString('base64'), key.toString('base64url'), key.toString('latin1')];
}

describe('root key check value', () => {
  it('matches the known answer (HMAC-SHA256 of the fixed label, openssl)', () => {
    assert.equal(RootKey.fromBytes(KAT_KEY).checkValue(), KAT_CHECK);
  });

  it('is deterministic for one key: two RootKeys from the same bytes agree', () => {
    const bytes = randomBytes(32);
    const a = RootKey.fromBytes(Buffer.from(bytes));
    const b = RootKey.fromBytes(Buffer.from(bytes));
    assert.match(a.checkValue(), /^[0-9a-f]{64}$/);
    assert.equal(a.checkValue(), b.checkValue());
    assert.equal(a.checkValue(), a.checkValue());
  });

  it('differs for another key, even one differing in a single bit', () => {
    const bytes = randomBytes(32);
    const flipped = Buffer.from(bytes);
    flipped[31] = (flipped[31] ?? 0) ^ 1;
    const values = new Set([bytes, flipped, randomBytes(32), KAT_KEY].map((k) => RootKey.fromBytes(k).checkValue()));
    assert.equal(values.size, 4);
  });

  it('never equals or contains the key, in any spelling, and is not a plain hash of it', () => {
    for (const key of [KAT_KEY, randomBytes(32), Buffer.alloc(32)]) {
      const check = RootKey.fromBytes(key).checkValue();
      for (const spelling of spellings(key)) {
        assert.notEqual(check, spelling);
        assert.equal(check.includes(spelling), false);
      }
      assert.equal(Buffer.from(check, 'hex').includes(key), false);
      assert.notEqual(check, createHash('sha256').update(key).digest('hex'));
    }
  });
});

describe('root key fingerprint', () => {
  it('is the first 16 hex digits of the check value, not of a hash of the key', () => {
    const key = randomBytes(32);
    const rootKey = RootKey.fromBytes(key);
    assert.match(rootKey.fingerprint(), /^[0-9a-f]{16}$/);
    assert.equal(rootKey.fingerprint(), rootKey.checkValue().slice(0, 16));
    assert.equal(rootKey.fingerprint(), fingerprintOf(rootKey.checkValue()));
    assert.notEqual(rootKey.fingerprint(), createHash('sha256').update(key).digest('hex').slice(0, 16));
    assert.equal(RootKey.fromBytes(KAT_KEY).fingerprint(), KAT_CHECK.slice(0, 16));
  });
});

describe('root key file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trent-root-key-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('createFile writes base64 of 32 random bytes, mode 0600, and leaves no temporary file', () => {
    const path = join(dir, 'created.key');
    const previous = process.umask(0o022);
    try {
      assert.equal(RootKey.createFile(path), true);
    } finally {
      process.umask(previous);
    }
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const text = readFileSync(path, 'latin1');
    assert.match(text, /^[A-Za-z0-9+/]{43}=\n$/);
    assert.equal(Buffer.from(text, 'base64').length, 32);
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('.')), []);
  });

  it('createFile never replaces a file that is there: it returns false and the key stays', () => {
    const path = join(dir, 'kept.key');
    assert.equal(RootKey.createFile(path), true);
    const before = readFileSync(path);
    assert.equal(RootKey.createFile(path), false);
    assert.deepEqual(readFileSync(path), before);
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('.')), []);
  });

  it('fromFileContents reads what createFile wrote: the same key as its bytes', () => {
    const path = join(dir, 'read.key');
    RootKey.createFile(path);
    const contents = readFileSync(path);
    const bytes = Buffer.from(contents.toString('latin1').trim(), 'base64');
    assert.equal(RootKey.fromFileContents(contents, path).checkValue(), RootKey.fromBytes(bytes).checkValue());
  });

  const malformed: { name: string; contents: string }[] = [
    { name: 'an empty file', contents: '' },
    { name: '31 bytes', contents: randomBytes(31).toString('base64') },
    { name: '33 bytes', contents: randomBytes(33).toString('base64') },
    { name: 'hex instead of base64', contents: randomBytes(32).toString('hex') },
    { name: 'base64 with a stray character', contents: `${randomBytes(32).toString('base64').slice(0, 20)}!${randomBytes(32).toString('base64').slice(21)}` },
  ];
  for (const row of malformed) {
    it(`fromFileContents refuses ${row.name}, naming the file and never quoting it`, () => {
      const path = join(dir, 'malformed.key');
      writeFileSync(path, row.contents);
      assert.throws(
        () => RootKey.fromFileContents(readFileSync(path), path),
        (err: Error) => {
          assert.equal(err.message, `${path} must hold base64 of exactly 32 bytes`);
          return true;
        },
      );
    });
  }
});
