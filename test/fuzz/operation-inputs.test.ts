/**
 * Fuzzing every operation's input in-process: bodies built from the operation's own members
 * with values of random types and near every constraint (test/fuzz/model-arbitraries.ts),
 * integers out of range, almost-base64 for every blob member, and secrets planted in the
 * sensitive members that must never come back in an answer.
 *
 * Run counts and seed: test/fuzz/settings.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Shape } from '../../src/protocol/shapes.js';
import { createFuzzApp, memberPath } from './fixtures.js';
import { almostBase64, MODEL_OPERATIONS, objectOf, sometimes, structureFor } from './model-arbitraries.js';
import { awsAnswer, inputShapeName, isServedOperation, isStrictBase64, serializationFault, shapeNamed } from './oracle.js';
import { count, runs } from './settings.js';

interface MemberPath {
  operation: string;
  /** Member names from the input structure down to the member. */
  members: string[];
  shape: Shape;
}

/** Every member path of every operation's input, down through nested structures. */
function memberPaths(): MemberPath[] {
  const out: MemberPath[] = [];
  const walk = (operation: string, shapeName: string, members: string[]) => {
    const shape = shapeNamed(shapeName);
    if (shape.type !== 'structure') {
      out.push({ operation, members, shape });
      return;
    }
    if (members.length > 3) return;
    for (const [member, memberShape] of Object.entries(shape.members)) walk(operation, memberShape, [...members, member]);
  };
  for (const operation of MODEL_OPERATIONS) walk(operation, inputShapeName(operation), []);
  return out;
}

const PATHS = memberPaths();

/** `{A: {B: value}}` for members [A, B]. */
function nest(members: readonly string[], value: unknown): Record<string, unknown> {
  let out = value;
  for (const member of [...members].reverse()) out = objectOf([[member, out]]);
  return out as Record<string, unknown>;
}

function pathText(members: readonly string[]): string {
  return members.map(memberPath).join('.');
}

/** The expected protocol answer for a parsed body sent with good headers to `operation`. */
function checkAgainstModel(operation: string, value: unknown, type: string | undefined, what: string): void {
  if (!isServedOperation(operation)) {
    assert.equal(type, 'UnsupportedOperationException', what);
    return;
  }
  const fault = serializationFault(inputShapeName(operation), value);
  if (fault !== undefined) assert.equal(type, 'SerializationException', `${fault}: ${what}`);
  else assert.notEqual(type, 'SerializationException', what);
}

describe('fuzz: every operation, bodies built from its own members', () => {
  for (const operation of MODEL_OPERATIONS) {
    it(operation, async () => {
      const fx = await createFuzzApp();
      const bodies = structureFor(inputShapeName(operation), { fixtures: fx });
      await fc.assert(
        fc.asyncProperty(bodies, async (body) => {
          count('members');
          const text = JSON.stringify(body);
          const what = `${operation} ${text.length > 600 ? `${text.slice(0, 600)}...` : text}`;
          const answer = awsAnswer(await fx.post(operation, text), what);
          checkAgainstModel(operation, JSON.parse(text), answer.type, `${what}\n  -> ${answer.text.slice(0, 400)}`);
        }),
        { numRuns: isServedOperation(operation) ? runs(250) : runs(10) },
      );
    });
  }
});

describe('fuzz: numbers', () => {
  it('integer members: out of range, fractional, huge, and odd JSON number spellings', async () => {
    const fx = await createFuzzApp();
    const integers = PATHS.filter((p) => p.shape.type === 'integer' || p.shape.type === 'long');
    assert.ok(integers.length > 5);
    const cases = fc.constantFrom(...integers).chain((path) => {
      const shape = path.shape as { min?: number; max?: number };
      const lo = shape.min ?? -(2 ** 31);
      const hi = shape.max ?? 2 ** 31 - 1;
      const number = fc.oneof(
        fc.integer({ min: lo - 3, max: hi + 3 }).map(String),
        fc.constantFrom(lo - 1, hi + 1, 0, -1, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e21, 1e308).map(String),
        fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
        fc.constantFrom('1e400', '-1e400', '-0', '1.0', '1E2', '0.5e1', '1.5', '1e-7', '9007199254740993', `${hi}.0`, `${hi}.5`),
        fc.constantFrom('00', '+1', '0x10', 'NaN', 'Infinity', '-', '1e', '.5', '5.', '1_000', '\u0661'),
      );
      return fc.tuple(fc.constant(path), number);
    });
    await fc.assert(
      fc.asyncProperty(cases, async ([path, number]) => {
        count('integers');
        const leaf = '\u0000LEAF\u0000';
        const text = JSON.stringify(nest(path.members, leaf)).replace(JSON.stringify(leaf), number);
        const what = `${path.operation} ${text}`;
        const answer = awsAnswer(await fx.post(path.operation, text), what);
        const shown = `${what}\n  -> ${answer.text}`;
        if (!isServedOperation(path.operation)) {
          assert.equal(answer.type, 'UnsupportedOperationException', shown);
          return;
        }
        let value: unknown;
        try {
          value = JSON.parse(number);
        } catch {
          assert.equal(answer.type, 'SerializationException', shown);
          assert.equal(answer.message, 'The request body is not valid JSON.', shown);
          return;
        }
        const n = value as number;
        const shape = path.shape as { min?: number; max?: number };
        const at = `at '${pathText(path.members)}' failed to satisfy constraint: Member must have value`;
        if (!Number.isInteger(n)) {
          assert.equal(answer.type, 'SerializationException', shown);
          assert.equal(answer.message, 'NUMBER_VALUE can not be converted to an Integer', shown);
        } else if ((shape.min !== undefined && n < shape.min) || (shape.max !== undefined && n > shape.max)) {
          assert.equal(answer.type, 'ValidationException', shown);
          assert.ok(answer.message?.includes(at), shown);
        } else {
          assert.ok(!(answer.message ?? '').includes(at), shown);
        }
      }),
      { numRuns: runs(1000) },
    );
  });
});

describe('fuzz: base64', () => {
  it('every blob member: almost-base64 is a SerializationException, real base64 is read', async () => {
    const fx = await createFuzzApp();
    const blobs = PATHS.filter((p) => p.shape.type === 'blob');
    assert.ok(blobs.length > 10);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...blobs), almostBase64(), async (path, text) => {
        count('base64');
        const body = JSON.stringify(nest(path.members, text));
        const what = `${path.operation} ${body}`;
        const answer = awsAnswer(await fx.post(path.operation, body), what);
        const shown = `${what}\n  -> ${answer.text}`;
        checkAgainstModel(path.operation, JSON.parse(body), answer.type, shown);
        if (isServedOperation(path.operation) && !isStrictBase64(text)) {
          assert.equal(answer.message, 'Base64 encoded value is invalid.', shown);
        }
      }),
      { numRuns: runs(1000) },
    );
  });
});

describe('fuzz: secrets are never echoed', () => {
  /** A recognisable secret: 16 random bytes, repeated to the length wanted. */
  const marker = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => Buffer.from(bytes));

  /** The texts an answer must never contain once `secret` was sent. */
  function forbidden(secret: Buffer, sent: string): string[] {
    const texts = [secret.toString('hex'), secret.toString('base64').slice(0, 20), secret.toString('base64url').slice(0, 20)];
    if (sent.length >= 12) texts.push(sent.slice(0, 24));
    return texts;
  }

  function assertNotEchoed(answerText: string, secret: Buffer, sent: string, what: string): void {
    for (const text of forbidden(secret, sent)) {
      assert.ok(!answerText.includes(text), `the answer echoes the secret (${text}): ${what}\n  -> ${answerText.slice(0, 600)}`);
    }
  }

  it('planted in every sensitive member (and as a stray Plaintext member elsewhere)', async () => {
    const fx = await createFuzzApp();
    const sensitive = PATHS.filter((p) => (p.shape.type === 'string' || p.shape.type === 'blob') && p.shape.sensitive === true);
    assert.ok(sensitive.some((p) => p.operation === 'Encrypt' && p.members.join('.') === 'Plaintext'));
    // Operations that take no secret get one anyway, as a member they do not have.
    const stray = ['GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext', 'Decrypt', 'ReEncrypt', 'GenerateRandom'].map(
      (operation): MemberPath => ({ operation, members: ['Plaintext'], shape: { type: 'blob', sensitive: true } }),
    );
    const bodies = new Map(
      [...sensitive, ...stray].map((p) => [
        p.operation,
        // Keys such as __proto__ get a 500 of their own (the member property); here they would hide echoes.
        structureFor(inputShapeName(p.operation), { fixtures: fx, wrongTypeWeight: 1, avoidPrototypeNames: true }),
      ]),
    );
    const cases = fc.constantFrom(...sensitive, ...stray).chain((path) =>
      fc.record({
        path: fc.constant(path),
        body: bodies.get(path.operation) as fc.Arbitrary<Record<string, unknown>>,
        secret: marker,
        length: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.constantFrom(4095, 4096, 4097, 6145), fc.integer({ min: 6, max: 40 })),
        defect: fc.constantFrom('', '', '', '!', ' ', '='),
      }),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ path, body, secret, length, defect }) => {
        count('secrets');
        let sent: string;
        if (path.shape.type === 'blob') {
          const bytes = Buffer.alloc(Math.max(length, 1));
          for (let i = 0; i < bytes.length; i += 16) secret.copy(bytes, i);
          sent = bytes.toString('base64') + defect;
        } else {
          const unit = `SECRET-${secret.toString('hex')}`;
          sent = unit.repeat(Math.ceil(length / unit.length)).slice(0, Math.max(length, 8)) + defect;
        }
        // The secret replaces whatever the member had, at its place in the structure.
        let planted: Record<string, unknown> = body;
        if (path.members.length === 1) {
          planted = objectOf([...Object.entries(body).filter(([k]) => k !== path.members[0]), [path.members[0] as string, sent]]);
        } else {
          planted = objectOf([...Object.entries(body).filter(([k]) => k !== path.members[0]), ...Object.entries(nest(path.members, sent))]);
        }
        const text = JSON.stringify(planted);
        const what = `${path.operation} ${text.slice(0, 500)}`;
        const answer = awsAnswer(await fx.post(path.operation, text), what);
        assertNotEchoed(answer.text, secret, sent, what);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('Decrypt and ReEncrypt of a real ciphertext: the plaintext leaves only in a successful Decrypt', async () => {
    const fx = await createFuzzApp();
    const otherKey = await fx.createKey();
    const references = fc.constantFrom(undefined, fx.keyId, fx.keyArn, fx.aliasName, fx.aliasArn, otherKey, 'fake-key-id', 'alias/none');
    const cases = fc.record({
      operation: fc.constantFrom('Decrypt', 'ReEncrypt'),
      secret: marker,
      repeat: fc.integer({ min: 1, max: 8 }),
      context: fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
      wrongContext: fc.boolean(),
      keyId: references,
      destinationKeyId: references,
      algorithm: fc.constantFrom(undefined, 'SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE', 'symmetric_default'),
      recipient: sometimes(fc.record({ KeyEncryptionAlgorithm: fc.constant('RSAES_OAEP_SHA_256'), AttestationDocument: fc.constantFrom('AAAA', 'AQID') }), 4),
      dryRun: sometimes(fc.boolean(), 3),
      grantTokens: sometimes(fc.array(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 11 }), 3),
    });
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        count('decrypt secrets');
        const plaintext = Buffer.concat(Array.from({ length: c.repeat }, () => c.secret));
        const encrypted = await fx.test.call('Encrypt', { KeyId: fx.keyId, Plaintext: plaintext.toString('base64'), EncryptionContext: c.context });
        assert.equal(encrypted.status, 200, JSON.stringify(encrypted.body));
        const context = c.wrongContext ? { ...c.context, extra: 'x' } : c.context;
        const body: Record<string, unknown> =
          c.operation === 'Decrypt'
            ? { CiphertextBlob: encrypted.body.CiphertextBlob, EncryptionContext: context, KeyId: c.keyId, EncryptionAlgorithm: c.algorithm, Recipient: c.recipient, DryRun: c.dryRun, GrantTokens: c.grantTokens }
            : { CiphertextBlob: encrypted.body.CiphertextBlob, SourceEncryptionContext: context, SourceKeyId: c.keyId, DestinationKeyId: c.destinationKeyId ?? fx.keyId, SourceEncryptionAlgorithm: c.algorithm, DryRun: c.dryRun, GrantTokens: c.grantTokens };
        const text = JSON.stringify(body);
        const what = `${c.operation} ${text}`;
        const answer = awsAnswer(await fx.post(c.operation, text), what);
        if (c.operation === 'Decrypt' && answer.status === 200) {
          assert.equal(answer.body.Plaintext, plaintext.toString('base64'), what);
          assert.ok(!c.wrongContext && c.dryRun !== true && c.recipient === null, `Decrypt succeeded where it must fail: ${what}`);
          return;
        }
        assertNotEchoed(answer.text, c.secret, plaintext.toString('base64'), what);
      }),
      { numRuns: runs(500) },
    );
  });
});
