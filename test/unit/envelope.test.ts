/**
 * The ciphertext blob (src/crypto/envelope.ts) against known-answer vectors produced
 * independently with Python's cryptography: format 1 with AESGCM under the material
 * (test/vectors/envelope.json), format 2 with a per-ciphertext key from HKDF-SHA-256
 * (test/vectors/envelope-v2.json), format 3 (format 2 for multi-Region key ids,
 * test/vectors/envelope-v3.json); see each file's `source`. Then the ways a blob of either
 * format must fail: any single-byte change, truncation, a wrong format byte, a wrong context, a
 * wrong key. Every failure is the same detail-free InvalidCiphertextError.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createSecretKey, hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { encodeEncryptionContext, type EncryptionContext } from '../../src/crypto/encryption-context.js';
import { ENVELOPE_OVERHEAD, ENVELOPE_V1_OVERHEAD, FORMAT_V1, FORMAT_V2, FORMAT_V3, InvalidCiphertextError, open, readHeader, seal } from '../../src/crypto/envelope.js';

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

interface VectorV2 extends Vector {
  salt: string;
  dek: string;
}

// Compiled tests run from dist/test/unit; the vectors stay in the source tree.
const vectorFile = new URL('../../../test/vectors/envelope.json', import.meta.url);
const vectors = (JSON.parse(readFileSync(vectorFile, 'utf8')) as { vectors: Vector[] }).vectors;
const vectorV2File = new URL('../../../test/vectors/envelope-v2.json', import.meta.url);
const vectorsV2 = (JSON.parse(readFileSync(vectorV2File, 'utf8')) as { vectors: VectorV2[] }).vectors;
const vectorV3File = new URL('../../../test/vectors/envelope-v3.json', import.meta.url);
const vectorsV3 = (JSON.parse(readFileSync(vectorV3File, 'utf8')) as { vectors: VectorV2[] }).vectors;

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

describe('format 1 vectors (still opened, no longer written)', () => {
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

    });
  }
});

describe('format 2 vectors', () => {
  it('cover an empty plaintext, a 4096-byte one and a context of several pairs', () => {
    assert.ok(vectorsV2.length >= 5);
    assert.ok(vectorsV2.some((v) => v.plaintext === ''), 'an empty plaintext');
    assert.ok(vectorsV2.some((v) => v.plaintext.length === 8192), 'a 4096-byte plaintext');
    assert.ok(vectorsV2.some((v) => Object.keys(v.context).length > 1), 'a context of several pairs');
  });

  for (const v of vectorsV2) {
    describe(v.name, () => {
      it('open() decrypts the vector blob to the vector plaintext, byte for byte', () => {
        assert.deepEqual(open(keyOf(v), hex(v.blob), v.context), hex(v.plaintext));
      });

      it('readHeader() returns the key id and material version', () => {
        assert.deepEqual(readHeader(hex(v.blob)), { keyId: v.keyId, materialVersion: v.version });
      });

      it('the blob is header || salt || nonce || tag || ciphertext, and the AAD header || salt || context', () => {
        const blob = hex(v.blob);
        assert.equal(blob[0], FORMAT_V2);
        assert.deepEqual(blob.subarray(21, 37), hex(v.salt));
        assert.deepEqual(blob.subarray(37, 49), hex(v.nonce));
        assert.deepEqual(Buffer.concat([blob.subarray(0, 37), encodeEncryptionContext(v.context)]), hex(v.aad));
      });

      it('seal() gives, for the salt and nonce it drew, the very blob HKDF and AES-256-GCM make of the vector bytes', () => {
        const blob = seal(keyOf(v), { keyId: v.keyId, materialVersion: v.version }, hex(v.plaintext), v.context);
        // seal() draws its own salt and nonce (there is no way to hand it the vector's), so the
        // expected blob is rebuilt from the vector's header, key and plaintext around them, by
        // the recipe the vector file's source states.
        const header = hex(v.blob).subarray(0, 21);
        const salt = blob.subarray(21, 37);
        const nonce = blob.subarray(37, 49);
        const dek = Buffer.from(hkdfSync('sha256', hex(v.key), salt, Buffer.concat([Buffer.from('trent envelope v2'), header]), 32));
        const cipher = createCipheriv('aes-256-gcm', dek, nonce);
        cipher.setAAD(Buffer.concat([header, salt, encodeEncryptionContext(v.context)]));
        const ciphertext = Buffer.concat([cipher.update(hex(v.plaintext)), cipher.final()]);
        assert.deepEqual(blob, Buffer.concat([header, salt, nonce, cipher.getAuthTag(), ciphertext]));
      });

      it('the per-ciphertext key differs from the material (the vector DEK is what the recipe derives)', () => {
        const header = hex(v.blob).subarray(0, 21);
        const dek = Buffer.from(hkdfSync('sha256', hex(v.key), hex(v.salt), Buffer.concat([Buffer.from('trent envelope v2'), header]), 32));
        assert.equal(dek.toString('hex'), v.dek);
        assert.notEqual(v.dek, v.key);
      });
    });
  }
});

describe('format 3 vectors (multi-Region key ids)', () => {
  it('cover an mrk- id, an empty plaintext and a context of several pairs', () => {
    assert.ok(vectorsV3.length >= 3);
    assert.ok(vectorsV3.every((v) => v.keyId.startsWith('mrk-')));
    assert.ok(vectorsV3.some((v) => v.plaintext === ''), 'an empty plaintext');
    assert.ok(vectorsV3.some((v) => Object.keys(v.context).length > 1), 'a context of several pairs');
  });

  for (const v of vectorsV3) {
    describe(v.name, () => {
      it('open() decrypts the vector blob to the vector plaintext, byte for byte', () => {
        assert.deepEqual(open(keyOf(v), hex(v.blob), v.context), hex(v.plaintext));
      });

      it('readHeader() returns the mrk- key id and material version', () => {
        assert.deepEqual(readHeader(hex(v.blob)), { keyId: v.keyId, materialVersion: v.version });
      });

      it('seal() writes format byte 0x03 and the 16 bytes of the id, and derives as the vector did', () => {
        const blob = seal(keyOf(v), { keyId: v.keyId, materialVersion: v.version }, hex(v.plaintext), v.context);
        const header = hex(v.blob).subarray(0, 21);
        assert.equal(blob[0], FORMAT_V3);
        assert.deepEqual(blob.subarray(0, 21), header);
        const salt = blob.subarray(21, 37);
        const dek = Buffer.from(hkdfSync('sha256', hex(v.key), salt, Buffer.concat([Buffer.from('trent envelope v2'), header]), 32));
        const cipher = createCipheriv('aes-256-gcm', dek, blob.subarray(37, 49));
        cipher.setAAD(Buffer.concat([header, salt, encodeEncryptionContext(v.context)]));
        const ciphertext = Buffer.concat([cipher.update(hex(v.plaintext)), cipher.final()]);
        assert.deepEqual(blob, Buffer.concat([header, salt, blob.subarray(37, 49), cipher.getAuthTag(), ciphertext]));
        assert.equal(dek.length, 32);
      });

      it('the vector DEK is what the recipe derives', () => {
        const header = hex(v.blob).subarray(0, 21);
        const dek = Buffer.from(hkdfSync('sha256', hex(v.key), hex(v.salt), Buffer.concat([Buffer.from('trent envelope v2'), header]), 32));
        assert.equal(dek.toString('hex'), v.dek);
      });
    });
  }

  it('a format-3 blob relabelled format 2 (same id bytes, read as a UUID) does not open, nor the reverse', () => {
    const v3 = vectorsV3[1] as VectorV2;
    const relabelled = hex(v3.blob);
    relabelled[0] = FORMAT_V2;
    assertInvalid(() => open(keyOf(v3), relabelled, v3.context), '3 as 2');
    const v2 = hex(withContextV2.blob);
    v2[0] = FORMAT_V3;
    assertInvalid(() => open(keyOf(withContextV2), v2, withContextV2.context), '2 as 3');
  });

  it('every single-byte change anywhere in a format-3 blob', () => {
    const v = vectorsV3[1] as VectorV2;
    const blob = hex(v.blob);
    for (let i = 0; i < blob.length; i++) {
      const tampered = Buffer.from(blob);
      tampered[i] = (tampered[i] as number) ^ 0x01;
      assertInvalid(() => open(keyOf(v), tampered, v.context), `byte ${i}`);
    }
  });

  const badIds = ['mrk-1234', 'MRK-1234abcd12ab34cd56ef1234567890ab', 'mrk-1234ABCD12AB34CD56EF1234567890AB', 'mrk-1234abcd12ab34cd56ef1234567890abcd'];
  for (const keyId of badIds) {
    it(`seal() refuses a malformed multi-Region key id (${keyId})`, () => {
      assert.throws(() => seal(keyOf(first), { keyId, materialVersion: 1 }, Buffer.from('x'), undefined));
    });
  }
});

describe('seal()', () => {
  const key = keyOf(first);
  const header = { keyId: first.keyId, materialVersion: first.version };

  it('writes format byte 0x02, the binary key id and the u32be version', () => {
    const blob = seal(key, { keyId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', materialVersion: 0x01020304 }, Buffer.from('x'), undefined);
    assert.equal(FORMAT_V1, 0x01);
    assert.equal(FORMAT_V2, 0x02);
    assert.equal(blob.subarray(0, 21).toString('hex'), '02' + '0f1e2d3c4b5a69788796a5b4c3d2e1f0' + '01020304');
  });

  it('uses a fresh random salt and nonce each time', () => {
    const salts = new Set<string>();
    const nonces = new Set<string>();
    for (let i = 0; i < 64; i++) {
      const blob = seal(key, header, Buffer.from('same'), undefined);
      salts.add(blob.subarray(21, 37).toString('hex'));
      nonces.add(blob.subarray(37, 49).toString('hex'));
    }
    assert.equal(salts.size, 64);
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

  it('has an overhead of 65 bytes (1 + 16 + 4 + 16 + 12 + 16); format 1 had 49', () => {
    assert.equal(ENVELOPE_OVERHEAD, 65);
    assert.equal(ENVELOPE_V1_OVERHEAD, 49);
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

const firstV2 = vectorsV2[0] as VectorV2;
const withContextV2 = vectorsV2[1] as VectorV2;

describe('open() refuses tampered blobs', () => {
  for (const v of [first, withContext, firstV2, withContextV2]) {
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

  for (const v of [withContext, withContextV2]) {
    it(`every truncation of "${v.name}", down to the empty blob`, () => {
      const blob = hex(v.blob);
      for (let length = 0; length < blob.length; length++) {
        assertInvalid(() => open(keyOf(v), blob.subarray(0, length), v.context), `length ${length}`);
      }
    });
  }

  it('a truncated header is refused by readHeader too (49 bytes at least for format 1, 65 for format 2)', () => {
    for (const length of [0, 1, 20, 21, 48]) assertInvalid(() => readHeader(hex(first.blob).subarray(0, length)), `format 1, length ${length}`);
    for (const length of [0, 1, 20, 21, 37, 49, 64]) assertInvalid(() => readHeader(hex(firstV2.blob).subarray(0, length)), `format 2, length ${length}`);
  });

  it('an appended byte', () => {
    assertInvalid(() => open(keyOf(first), Buffer.concat([hex(first.blob), Buffer.from([0])]), first.context), 'format 1');
    assertInvalid(() => open(keyOf(firstV2), Buffer.concat([hex(firstV2.blob), Buffer.from([0])]), firstV2.context), 'format 2');
  });

  for (const format of [0x00, 0x04, 0xff]) {
    it(`format byte 0x${format.toString(16).padStart(2, '0')}`, () => {
      for (const v of [first, firstV2]) {
        const blob = hex(v.blob);
        blob[0] = format;
        assertInvalid(() => readHeader(blob), 'readHeader');
        assertInvalid(() => open(keyOf(v), blob, v.context), 'open');
      }
    });
  }

  it('a format-1 blob relabelled format 2, and a format-2 blob relabelled format 1', () => {
    const v1 = hex(withContext.blob);
    v1[0] = FORMAT_V2;
    assertInvalid(() => open(keyOf(withContext), v1, withContext.context), '1 as 2');
    const v2 = hex(withContextV2.blob);
    v2[0] = FORMAT_V1;
    assertInvalid(() => open(keyOf(withContextV2), v2, withContextV2.context), '2 as 1');
  });

  const contexts: { name: string; vector: Vector; context: EncryptionContext | undefined }[] = [
    { name: 'context missing', vector: withContext, context: undefined },
    { name: 'empty context', vector: withContext, context: {} },
    { name: 'one pair missing', vector: withContext, context: { ...withContext.context, b: undefined as unknown as string } },
    { name: 'a value changed', vector: withContext, context: { ...withContext.context, a: '2' } },
    { name: 'an extra pair', vector: withContext, context: { ...withContext.context, c: '3' } },
    { name: 'key case changed', vector: vectors[2] as Vector, context: { Purpose: 'test' } },
    { name: '{"a":"bc"} for {"ab":"c"}', vector: vectors[3] as Vector, context: { a: 'bc' } },
    { name: 'a context where none was used', vector: first, context: { a: '' } },
    { name: 'format 2, context missing', vector: withContextV2, context: undefined },
    { name: 'format 2, a value changed', vector: withContextV2, context: { ...withContextV2.context, a: '2' } },
    { name: 'format 2, {"a":"bc"} for {"ab":"c"}', vector: vectorsV2[3] as Vector, context: { a: 'bc' } },
    { name: 'format 2, a context where none was used', vector: firstV2, context: { a: '' } },
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
      assertInvalid(() => open(createSecretKey(row.key), hex(firstV2.blob), firstV2.context), `format 2, ${row.name}`);
    });
  }
});
