/**
 * Forged, truncated and spliced ciphertext blobs, in-process. Real blobs come from Encrypt,
 * GenerateDataKey and GenerateDataKeyPair under a real key; fast-check then flips bits, cuts,
 * extends, splices, swaps the key id or version, or writes random bytes behind a well-formed
 * header. Decrypt and ReEncrypt must answer exactly what src/operations/core/symmetric.ts
 * (decryptBlob) and the model prescribe, in this order:
 *
 *   length 0 or over 6144 bytes                    ValidationException (the model's CiphertextType)
 *   format not 1, 2 or 3, or shorter than its envelope  InvalidCiphertextException ""
 *     (49 bytes for format 1, 65 for formats 2 and 3)
 *   a KeyId is given and the blob names another key IncorrectKeyException
 *   the key the blob names is disabled              DisabledException
 *   anything else (unknown key, version, bad tag)  InvalidCiphertextException ""
 *
 * Never 200, never 500. The envelope layout is the one documented in src/crypto/envelope.ts:
 * format (1, 2, 3) | key id (16) | material version (4, BE) | then for format 1 nonce (12) | tag (16),
 * for formats 2 and 3 (what Trent writes) salt (16) | nonce (12) | tag (16) | ciphertext. Format 3's
 * 16 id bytes are a multi-Region key id's (`mrk-` and their hex), so a blob relabelled 2 -> 3 names
 * another key.
 * A second property checks that the encryption context is bound: decrypting with any other
 * context fails, and with the same one gives the plaintext back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createFuzzApp } from './fixtures.js';
import { bytesOfLength, objectOf, PROTOTYPE_NAMES } from './model-arbitraries.js';
import { awsAnswer, awsError, hasLoneSurrogate } from './oracle.js';
import { count, runs } from './settings.js';

const ENVELOPE = { keyIdAt: 1, versionAt: 17, headerEnd: 21, minimum: 65, maximum: 6144 } as const;
/** The shortest blob of each format (format 1 is still opened, no longer written). */
const MINIMUM_BY_FORMAT: Readonly<Record<number, number>> = { 1: 49, 2: 65, 3: 65 };
const INCORRECT_KEY = 'The key ID in the request does not identify a CMK that can perform this operation.';

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

/** The key id a blob names: a UUID, or for format 3 a multi-Region key id. */
function keyIdOf(format: number, bytes: Buffer): string {
  return format === 3 ? `mrk-${bytes.toString('hex')}` : uuidOf(bytes);
}

function uuidOf(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const fx = await createFuzzApp();
const otherKeyId = await fx.createKey();
const disabledKeyId = await fx.createKey();
assert.equal((await fx.test.call('DisableKey', { KeyId: disabledKeyId })).status, 200);

interface Original {
  name: string;
  blob: Buffer;
  context: Record<string, string>;
}

async function originals(): Promise<Original[]> {
  const out: Original[] = [];
  const take = async (name: string, operation: string, body: Record<string, unknown>, member: string, context: Record<string, string>) => {
    const response = await fx.test.call(operation, { ...body, EncryptionContext: context });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    out.push({ name, blob: Buffer.from(response.body[member] as string, 'base64'), context });
  };
  await take('Encrypt, 1 byte', 'Encrypt', { KeyId: fx.keyId, Plaintext: 'AQ==' }, 'CiphertextBlob', {});
  await take('Encrypt, 4096 bytes', 'Encrypt', { KeyId: fx.keyId, Plaintext: Buffer.alloc(4096, 7).toString('base64') }, 'CiphertextBlob', { purpose: 'fuzz' });
  await take('GenerateDataKey', 'GenerateDataKey', { KeyId: fx.aliasName, KeySpec: 'AES_256' }, 'CiphertextBlob', { a: 'b', c: '' });
  await take('GenerateDataKeyWithoutPlaintext', 'GenerateDataKeyWithoutPlaintext', { KeyId: fx.keyArn, NumberOfBytes: 1024 }, 'CiphertextBlob', {});
  await take('GenerateDataKeyPair P-256', 'GenerateDataKeyPair', { KeyId: fx.keyId, KeyPairSpec: 'ECC_NIST_P256' }, 'PrivateKeyCiphertextBlob', { pair: 'yes' });
  await take('GenerateDataKeyPairWithoutPlaintext Ed25519', 'GenerateDataKeyPairWithoutPlaintext', { KeyId: fx.keyId, KeyPairSpec: 'ECC_NIST_EDWARDS25519' }, 'PrivateKeyCiphertextBlob', {});
  await take('other key', 'Encrypt', { KeyId: otherKeyId, Plaintext: 'AQID' }, 'CiphertextBlob', {});
  return out;
}

const ORIGINALS = await originals();
const OURS = ORIGINALS.filter((o) => o.name !== 'other key');

interface Forgery {
  kind: string;
  blob: Buffer;
  /** The encryption context sent with it: that of the blob it was made from. */
  context: Record<string, string>;
}

const original = fc.constantFrom(...OURS);
const u32 = fc.oneof(fc.constantFrom(0, 1, 2, 0xffffffff, 0x80000000, 0x01000000), fc.integer({ min: 0, max: 0xffffffff }));

const forgeries: fc.Arbitrary<Forgery> = fc.oneof(
  fc.tuple(original, fc.nat(), fc.integer({ min: 0, max: 7 })).map(([o, at, bit]) => {
    const blob = Buffer.from(o.blob);
    const i = at % blob.length;
    blob[i] = (blob[i] as number) ^ (1 << bit);
    return { kind: `bit ${bit} of byte ${i} flipped in ${o.name}`, blob, context: o.context };
  }),
  fc.tuple(original, fc.nat(), fc.integer({ min: 2, max: 255 })).map(([o, at, mask]) => {
    const blob = Buffer.from(o.blob);
    const i = at % blob.length;
    blob[i] = (blob[i] as number) ^ mask;
    return { kind: `byte ${i} xor ${mask} in ${o.name}`, blob, context: o.context };
  }),
  fc
    .tuple(original, fc.oneof(fc.integer({ min: 0, max: ENVELOPE.minimum }), fc.nat()))
    .map(([o, length]) => ({ kind: `${o.name} cut to ${length % o.blob.length} bytes`, blob: o.blob.subarray(0, length % o.blob.length), context: o.context })),
  fc
    .tuple(original, fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b)), fc.integer({ min: 1, max: 7000 }).chain(bytesOfLength)))
    .map(([o, extra]) => ({ kind: `${o.name} + ${extra.length} bytes`, blob: Buffer.concat([o.blob, extra]), context: o.context })),
  fc.tuple(original, fc.constantFrom(...ORIGINALS), fc.nat()).map(([head, tail, at]) => {
    const cut = at % (Math.min(head.blob.length, tail.blob.length) + 1);
    return { kind: `${head.name}[0:${cut}] + ${tail.name}[${cut}:]`, blob: Buffer.concat([head.blob.subarray(0, cut), tail.blob.subarray(cut)]), context: head.context };
  }),
  fc
    .tuple(fc.oneof(fc.constant(1), u32), fc.integer({ min: 0, max: 300 }).chain(bytesOfLength), fc.constantFrom(fx.keyId, otherKeyId, disabledKeyId))
    .map(([version, rest, keyId]) => {
      const header = Buffer.alloc(ENVELOPE.headerEnd);
      header[0] = rest.length % 2 === 0 ? 1 : 2;
      uuidBytes(keyId).copy(header, ENVELOPE.keyIdAt);
      header.writeUInt32BE(version, ENVELOPE.versionAt);
      return { kind: `header (${keyId}, v${version}) + ${rest.length} random bytes`, blob: Buffer.concat([header, rest]), context: {} };
    }),
  fc
    .tuple(original, fc.oneof(fc.constantFrom(otherKeyId, disabledKeyId), fc.uuid()))
    .map(([o, keyId]) => {
      const blob = Buffer.from(o.blob);
      uuidBytes(keyId).copy(blob, ENVELOPE.keyIdAt);
      return { kind: `${o.name} with key id ${keyId}`, blob, context: o.context };
    }),
  fc.tuple(original, u32).map(([o, version]) => {
    const blob = Buffer.from(o.blob);
    blob.writeUInt32BE(version, ENVELOPE.versionAt);
    return { kind: `${o.name} with version ${version}`, blob, context: o.context };
  }),
  fc.tuple(original, fc.integer({ min: 0, max: 255 })).map(([o, format]) => {
    const blob = Buffer.from(o.blob);
    blob[0] = format;
    return { kind: `${o.name} with format byte ${format}`, blob, context: o.context };
  }),
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes) => ({ kind: 'random bytes', blob: Buffer.from(bytes), context: {} })),
);

type Expected = { type: string; message?: string };

/** What Decrypt / ReEncrypt must answer for `blob`, with or without a KeyId naming our key. */
function expected(blob: Buffer, keyIdGiven: boolean): Expected {
  if (blob.length === 0 || blob.length > ENVELOPE.maximum) return { type: 'ValidationException' };
  const minimum = MINIMUM_BY_FORMAT[blob[0] as number];
  if (minimum === undefined || blob.length < minimum) return { type: 'InvalidCiphertextException', message: '' };
  const named = keyIdOf(blob[0] as number, blob.subarray(ENVELOPE.keyIdAt, ENVELOPE.keyIdAt + 16));
  if (keyIdGiven && named !== fx.keyId) return { type: 'IncorrectKeyException', message: INCORRECT_KEY };
  if (!keyIdGiven && named === disabledKeyId) return { type: 'DisabledException', message: `arn:aws:kms:us-east-1:111122223333:key/${disabledKeyId} is disabled.` };
  return { type: 'InvalidCiphertextException', message: '' };
}

describe('fuzz: forged ciphertext blobs', () => {
  it('the originals decrypt (the forgeries start from good blobs)', async () => {
    for (const o of ORIGINALS) {
      const response = await fx.test.call('Decrypt', { CiphertextBlob: o.blob.toString('base64'), EncryptionContext: o.context });
      assert.equal(response.status, 200, `${o.name}: ${JSON.stringify(response.body)}`);
    }
  });

  it('Decrypt and ReEncrypt answer exactly the prescribed error, never 200 or 500', async () => {
    const keyIdForm = fc.constantFrom(undefined, fx.keyId, fx.keyArn, fx.aliasName, fx.aliasArn);
    await fc.assert(
      fc.asyncProperty(forgeries, keyIdForm, fc.constantFrom('Decrypt', 'ReEncrypt'), async (forgery, keyId, operation) => {
        count('forgeries');
        fc.pre(!ORIGINALS.some((o) => o.blob.equals(forgery.blob)));
        const body =
          operation === 'Decrypt'
            ? { CiphertextBlob: forgery.blob.toString('base64'), EncryptionContext: forgery.context, KeyId: keyId }
            : { CiphertextBlob: forgery.blob.toString('base64'), SourceEncryptionContext: forgery.context, SourceKeyId: keyId, DestinationKeyId: otherKeyId };
        const what = `${operation} of ${forgery.kind} (${forgery.blob.length} bytes), KeyId ${String(keyId)}: ${forgery.blob.toString('hex').slice(0, 200)}`;
        const want = expected(forgery.blob, keyId !== undefined);
        awsError(await fx.post(operation, JSON.stringify(body)), what, want.type, want.message);
      }),
      { numRuns: runs(1500) },
    );
  });
});

describe('fuzz: encryption context binding', () => {
  /** Context keys and values, including names every plain object inherits and near misses. */
  const text = fc.oneof(fc.string({ maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 4 }), fc.constantFrom(...PROTOTYPE_NAMES, '', 'a', 'ab', 'b', 'bc'));
  const context = fc.uniqueArray(fc.tuple(text, text), { maxLength: 4, selector: ([k]) => k });

  function same(a: ReadonlyArray<readonly [string, string]>, b: ReadonlyArray<readonly [string, string]>): boolean {
    const sorted = (c: ReadonlyArray<readonly [string, string]>) => JSON.stringify([...c].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
    return sorted(a) === sorted(b);
  }

  /** Another context: a pair added, removed or changed, a character moved from key to value, or any other. */
  const contexts = context.chain((a) =>
    fc.tuple(
      fc.constant(a),
      fc.oneof(
        fc.constant(a.slice(1)),
        fc.tuple(text, text).map((pair) => [...a.filter(([k]) => k !== pair[0]), pair]),
        fc.constant(a.map(([k, v]): [string, string] => (k.length > 0 ? [k.slice(0, -1), k.slice(-1) + v] : [k, `${v}x`]))),
        fc.constant(a.map(([k, v]): [string, string] => [v, k])),
        context,
        fc.constant(a),
      ),
    ),
  );

  it('Decrypt with the same context gives the plaintext back; with any other, InvalidCiphertextException', async () => {
    await fc.assert(
      fc.asyncProperty(contexts, fc.uint8Array({ minLength: 1, maxLength: 32 }), async ([a, b], plaintext) => {
        count('contexts');
        const keysUnique = (c: ReadonlyArray<readonly [string, string]>) => new Set(c.map(([k]) => k)).size === c.length;
        fc.pre(keysUnique(a) && keysUnique(b));
        // A context that is not well-formed Unicode (a lone surrogate, e.g. from splitting a pair)
        // cannot be encoded unambiguously: it is refused, never silently conflated with another.
        const illFormed = (c: ReadonlyArray<readonly [string, string]>) => c.some(([k, v]) => hasLoneSurrogate(k) || hasLoneSurrogate(v));
        const encryptText = JSON.stringify({ KeyId: fx.keyId, Plaintext: Buffer.from(plaintext).toString('base64'), EncryptionContext: objectOf(a) });
        if (illFormed(a)) {
          awsError(await fx.post('Encrypt', encryptText), `Encrypt ${encryptText}`, 'SerializationException');
          return;
        }
        const encrypted = awsAnswer(await fx.post('Encrypt', encryptText), `Encrypt ${encryptText}`);
        assert.equal(encrypted.status, 200, encrypted.text);
        const decryptText = JSON.stringify({ CiphertextBlob: encrypted.body.CiphertextBlob, EncryptionContext: objectOf(b) });
        const what = `encrypted with ${JSON.stringify(objectOf(a))}, decrypted with ${JSON.stringify(objectOf(b))}`;
        const response = await fx.post('Decrypt', decryptText);
        if (illFormed(b)) {
          awsError(response, what, 'SerializationException');
        } else if (same(a, b)) {
          const answer = awsAnswer(response, what);
          assert.equal(answer.status, 200, `${what} -> ${answer.text}`);
          assert.equal(answer.body.Plaintext, Buffer.from(plaintext).toString('base64'), what);
        } else {
          awsError(response, what, 'InvalidCiphertextException', '');
        }
      }),
      { numRuns: runs(600) },
    );
  });
});

describe('fuzz: encryption context bytes', () => {
  /**
   * Context values written as raw bytes inside the JSON text, valid UTF-8 or not (no escapes, so
   * two different byte strings are two different JSON texts). Whether a server refuses invalid
   * UTF-8 or reads it some way, a blob bound to one byte string must not open with another.
   */
  const invalidUtf8 = fc.constantFrom([0x80], [0xbf], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xfe], [0xff], [0xc3], [0xe2, 0x82]);
  const jsonSafeByte = fc.integer({ min: 0x20, max: 0xff }).filter((b) => b !== 0x22 && b !== 0x5c);
  const value = fc
    .array(fc.oneof(jsonSafeByte.map((b) => [b]), invalidUtf8), { maxLength: 4 })
    .map((parts) => Buffer.from(parts.flat()));

  /** The same bytes, other bytes, or one byte changed (0xff for 0xfe, a continuation byte's last bit). */
  const pairs = value.chain((a) =>
    fc.tuple(
      fc.constant(a),
      fc.oneof(
        fc.constant(a),
        value,
        fc.constant(Buffer.from(a.map((x) => (x === 0xff ? 0xfe : x >= 0x80 && x <= 0xbf ? x ^ 1 : x)))),
      ),
    ),
  );

  function body(prefix: string, contextValue: Buffer): Buffer {
    return Buffer.concat([Buffer.from(`${prefix},"EncryptionContext":{"k":"`), contextValue, Buffer.from('"}}')]);
  }

  it('a blob bound to one byte string never decrypts with another', async () => {
    await fc.assert(
      fc.asyncProperty(pairs, async ([a, b]) => {
        count('context bytes');
        const encrypted = await fx.post('Encrypt', body(`{"KeyId":"${fx.keyId}","Plaintext":"AQID"`, a));
        const what = `context value bytes ${a.toString('hex')} then ${b.toString('hex')}`;
        const encryptAnswer = awsAnswer(encrypted, `Encrypt with ${what}`);
        if (encryptAnswer.status !== 200) {
          assert.equal(encryptAnswer.type, 'SerializationException', `${what} -> ${encryptAnswer.text}`);
          return;
        }
        const response = await fx.post('Decrypt', body(`{"CiphertextBlob":"${String(encryptAnswer.body.CiphertextBlob)}"`, b));
        const answer = awsAnswer(response, `Decrypt with ${what}`);
        if (a.equals(b)) assert.equal(answer.status, 200, `${what} -> ${answer.text}`);
        else assert.notEqual(answer.status, 200, `decrypted with a different context: ${what} -> ${answer.text}`);
      }),
      { numRuns: runs(500) },
    );
  });
});
