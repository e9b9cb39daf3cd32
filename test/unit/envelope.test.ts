/**
 * The ciphertext blob (src/crypto/envelope.ts) against known-answer vectors produced
 * independently with Python's AESGCM (test/vectors/envelope.json, see its `source`), then the
 * ways a blob must fail: any single-byte change, truncation, a wrong format byte, a wrong
 * context, a wrong key. Every failure is the same detail-free InvalidCiphertextError.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createSecretKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { encodeEncryptionContext, type EncryptionContext } from '../../src/crypto/encryption-context.js';
import { ENVELOPE_OVERHEAD, FORMAT_V1, InvalidCiphertextError, open, readHeader, seal } from '../../src/crypto/envelope.js';

interface Vector {
  name: string;
  key: string;
  keyId: string;
  version: number;
  context: EncryptionContext;
  plaintext: string;
  nonce: string;
  aad: string;
  blob: string;
}

// Compiled tests run from dist/test/unit; the vectors stay in the source tree.
const vectorFile = new URL('../../../test/vectors/envelope.json', import.meta.url);
const vectors = (JSON.parse(readFileSync(vectorFile, 'utf8')) as { vectors: Vector[] }).vectors;

const hex = (text: string): Buffer => Buffer.from(text, 'hex');
const keyOf = (v: Vector) => createSecretKey(hex(v.key));
const first = vectors[0] as Vector;
const withContext = vectors[1] as Vector;

/** Asserts the one failure every bad blob must give: InvalidCiphertextError, no detail. */
function assertInvalid(fn: () => unknown, label: string): void {
  assert.throws(
    fn,
    (err: unknown) => {
      assert.ok(err instanceof InvalidCiphertextError, `${label}: ${String(err)}`);
      assert.equal(err.message, 'invalid ciphertext', label);
      assert.equal(err.cause, undefined, label);
      return true;
    },
    label,
  );
}

describe('envelope vectors', () => {
  it('cover an empty plaintext and a context of several pairs', () => {
    assert.ok(vectors.length >= 4);
    assert.ok(vectors.some((v) => v.plaintext === ''), 'an empty plaintext');
    assert.ok(vectors.some((v) => Object.keys(v.context).length > 1), 'a context of several pairs');
  });

  for (const v of vectors) {
    describe(v.name, () => {
      it('open() decrypts the vector blob to the vector plaintext, byte for byte', () => {
        assert.deepEqual(open(keyOf(v), hex(v.blob), v.context), hex(v.plaintext));
      });

      it('readHeader() returns the key id and material version', () => {
        assert.deepEqual(readHeader(hex(v.blob)), { keyId: v.keyId, materialVersion: v.version });
      });

      it('the AAD is the 21 header bytes and the canonical context, as the vector computed it', () => {
        assert.deepEqual(Buffer.concat([hex(v.blob).subarray(0, 21), encodeEncryptionContext(v.context)]), hex(v.aad));
      });

      it('seal() gives, for the nonce it drew, the very blob AES-256-GCM makes of the vector bytes', () => {
        const blob = seal(keyOf(v), { keyId: v.keyId, materialVersion: v.version }, hex(v.plaintext), v.context);
        // seal() draws its own nonce (there is no way to hand it the vector's), so the expected
        // blob is rebuilt from the vector's header, key, AAD and plaintext around that nonce.
        const nonce = blob.subarray(21, 33);
        const cipher = createCipheriv('aes-256-gcm', hex(v.key), nonce);
        cipher.setAAD(hex(v.aad));
        const ciphertext = Buffer.concat([cipher.update(hex(v.plaintext)), cipher.final()]);
        assert.deepEqual(blob, Buffer.concat([hex(v.blob).subarray(0, 21), nonce, cipher.getAuthTag(), ciphertext]));
      });
    });
  }
});

describe('seal()', () => {
  const key = keyOf(first);
  const header = { keyId: first.keyId, materialVersion: first.version };

  it('writes format byte 0x01, the binary key id and the u32be version', () => {
    const blob = seal(key, { keyId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', materialVersion: 0x01020304 }, Buffer.from('x'), undefined);
    assert.equal(FORMAT_V1, 0x01);
    assert.equal(blob.subarray(0, 21).toString('hex'), '01' + '0f1e2d3c4b5a69788796a5b4c3d2e1f0' + '01020304');
  });

  it('uses a fresh random nonce each time', () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 64; i++) nonces.add(seal(key, header, Buffer.from('same'), undefined).subarray(21, 33).toString('hex'));
    assert.equal(nonces.size, 64);
  });

  const plaintexts: { name: string; bytes: Buffer }[] = [
    { name: 'empty', bytes: Buffer.alloc(0) },
    { name: 'one byte', bytes: Buffer.from([0]) },
    { name: '4096 random bytes', bytes: randomBytes(4096) },
  ];
  for (const row of plaintexts) {
    it(`round-trips a ${row.name} plaintext, ${ENVELOPE_OVERHEAD} bytes longer`, () => {
      const blob = seal(key, header, row.bytes, { a: 'b' });
      assert.equal(blob.length, ENVELOPE_OVERHEAD + row.bytes.length);
      assert.deepEqual(open(key, blob, { a: 'b' }), row.bytes);
    });
  }

  it('has an overhead of 49 bytes (1 + 16 + 4 + 12 + 16)', () => {
    assert.equal(ENVELOPE_OVERHEAD, 49);
  });

  const badKeyIds: { name: string; keyId: string }[] = [
    { name: 'not hex', keyId: 'not-a-uuid' },
    { name: 'too short', keyId: '1234abcd' },
  ];
  for (const row of badKeyIds) {
    // Otherwise bytes 1..17 would be left as whatever Buffer.allocUnsafe's pool held.
    it(`refuses a key id that is not a UUID (${row.name}) instead of writing uninitialised bytes`, () => {
      assert.throws(() => seal(key, { keyId: row.keyId, materialVersion: 1 }, Buffer.from('x'), undefined));
    });
  }
});

describe('open() refuses tampered blobs', () => {
  for (const v of [first, withContext]) {
    it(`every single-byte change anywhere in "${v.name}" (${v.blob.length / 2} bytes)`, () => {
      const blob = hex(v.blob);
      const key = keyOf(v);
      for (let i = 0; i < blob.length; i++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const tampered = Buffer.from(blob);
          tampered[i] = (tampered[i] as number) ^ mask;
          assertInvalid(() => open(key, tampered, v.context), `byte ${i} ^ 0x${mask.toString(16)}`);
        }
      }
    });
  }

  it('every truncation, down to the empty blob', () => {
    const blob = hex(withContext.blob);
    for (let length = 0; length < blob.length; length++) {
      assertInvalid(() => open(keyOf(withContext), blob.subarray(0, length), withContext.context), `length ${length}`);
    }
  });

  it('a truncated header is refused by readHeader too', () => {
    const blob = hex(first.blob);
    for (const length of [0, 1, 20, 21, 48]) {
      assertInvalid(() => readHeader(blob.subarray(0, length)), `length ${length}`);
    }
  });

  it('an appended byte', () => {
    assertInvalid(() => open(keyOf(first), Buffer.concat([hex(first.blob), Buffer.from([0])]), first.context), 'appended');
  });

  for (const format of [0x00, 0x02, 0xff]) {
    it(`format byte 0x${format.toString(16).padStart(2, '0')}`, () => {
      const blob = hex(first.blob);
      blob[0] = format;
      assertInvalid(() => readHeader(blob), 'readHeader');
      assertInvalid(() => open(keyOf(first), blob, first.context), 'open');
    });
  }

  const contexts: { name: string; vector: Vector; context: EncryptionContext | undefined }[] = [
    { name: 'context missing', vector: withContext, context: undefined },
    { name: 'empty context', vector: withContext, context: {} },
    { name: 'one pair missing', vector: withContext, context: { ...withContext.context, b: undefined as unknown as string } },
    { name: 'a value changed', vector: withContext, context: { ...withContext.context, a: '2' } },
    { name: 'an extra pair', vector: withContext, context: { ...withContext.context, c: '3' } },
    { name: 'key case changed', vector: vectors[2] as Vector, context: { Purpose: 'test' } },
    { name: '{"a":"bc"} for {"ab":"c"}', vector: vectors[3] as Vector, context: { a: 'bc' } },
    { name: 'a context where none was used', vector: first, context: { a: '' } },
  ];
  for (const row of contexts) {
    it(`wrong context: ${row.name}`, () => {
      const context = row.context && Object.fromEntries(Object.entries(row.context).filter(([, value]) => value !== undefined));
      assertInvalid(() => open(keyOf(row.vector), hex(row.vector.blob), context), row.name);
    });
  }

  it('an absent and an empty context are the same', () => {
    assert.equal(open(keyOf(first), hex(first.blob), undefined).toString('hex'), first.plaintext);
    assert.equal(open(keyOf(first), hex(first.blob), {}).toString('hex'), first.plaintext);
  });

  const wrongKeys: { name: string; key: Buffer }[] = [
    { name: 'another 32-byte key', key: randomBytes(32) },
    { name: 'the right key with its last bit flipped', key: Buffer.from(hex(first.key).map((b, i) => (i === 31 ? b ^ 1 : b))) },
    { name: 'a 16-byte key', key: hex(first.key).subarray(0, 16) },
  ];
  for (const row of wrongKeys) {
    it(`wrong key: ${row.name}`, () => {
      assertInvalid(() => open(createSecretKey(row.key), hex(first.blob), first.context), row.name);
    });
  }
});
