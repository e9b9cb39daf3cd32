/**
 * GrantTokens, as Trent handles them today: checked against the model's shape only (a list of
 * at most 10 strings of 1..8192 characters), in every operation Trent serves that takes them.
 * Trent has no grants yet (README, "What works"), so a well-formed token is accepted whatever
 * it says. When grants arrive, a token Trent never issued must instead give
 * InvalidGrantTokenException (AWS-BEHAVIOUR.md, "Grants"), and the rows that accept one must
 * change: they pin the current behaviour so that the change is seen.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { b64, type CreatedKey, type TestApp } from '../helpers/in-process.js';
import { errorRows, inProcessFixture, type ErrorRow } from './error-table.js';

interface Keys {
  key: CreatedKey;
  blob: string;
}

/** Each operation that takes GrantTokens, with a request that succeeds without them. */
const OPERATIONS: { operation: string; body: (f: Keys) => Record<string, unknown>; answer: (response: Record<string, unknown>) => unknown }[] = [
  { operation: 'DescribeKey', body: (f) => ({ KeyId: f.key.keyId }), answer: (r) => (r.KeyMetadata as { Arn: string }).Arn },
  { operation: 'Encrypt', body: (f) => ({ KeyId: f.key.keyId, Plaintext: b64('x') }), answer: (r) => r.KeyId },
  { operation: 'Decrypt', body: (f) => ({ CiphertextBlob: f.blob }), answer: (r) => r.KeyId },
  { operation: 'ReEncrypt', body: (f) => ({ CiphertextBlob: f.blob, DestinationKeyId: f.key.keyId }), answer: (r) => r.KeyId },
  { operation: 'GenerateDataKey', body: (f) => ({ KeyId: f.key.keyId, KeySpec: 'AES_256' }), answer: (r) => r.KeyId },
  { operation: 'GenerateDataKeyWithoutPlaintext', body: (f) => ({ KeyId: f.key.keyId, NumberOfBytes: 16 }), answer: (r) => r.KeyId },
  { operation: 'GenerateDataKeyPair', body: (f) => ({ KeyId: f.key.keyId, KeyPairSpec: 'ECC_NIST_P256' }), answer: (r) => r.KeyId },
  {
    operation: 'GenerateDataKeyPairWithoutPlaintext',
    body: (f) => ({ KeyId: f.key.keyId, KeyPairSpec: 'ECC_NIST_EDWARDS25519' }),
    answer: (r) => r.KeyId,
  },
];

const fixture = inProcessFixture<Keys>(async (t: TestApp) => {
  const key = await t.createKey();
  const blob = (await t.ok('Encrypt', { KeyId: key.keyId, Plaintext: b64('granted') })).CiphertextBlob as string;
  return { key, blob };
});

describe('well-formed GrantTokens are accepted (no grants yet: none is checked against one)', () => {
  const accepted: { title: string; tokens: string[] }[] = [
    { title: 'an empty list', tokens: [] },
    // Ten tokens, the last 8192 characters long: both limits reached, neither passed.
    { title: '10 tokens Trent never issued, one of 8192 characters', tokens: Array.from({ length: 10 }, (_, i) => `${i}`.repeat(i === 9 ? 8192 : 1)) },
    { title: 'a token shaped like one AWS issues', tokens: ['AQpAM2RhZTk1MGMyNTk2ZmZmMzEyYWVhOWViN2I1MWM4Mzc0MWFiYjc0ZDE1ODkyNGFlNTIzODZhMzgyZjBlNGY3NiKIAgEBAgB4Pa6VDCWW'] },
  ];
  for (const { operation, body, answer } of OPERATIONS) {
    for (const row of accepted) {
      it(`${operation} with ${row.title}`, async () => {
        const { t, f } = fixture;
        assert.equal(answer(await t.ok(operation, { ...body(f), GrantTokens: row.tokens })), f.key.arn);
      });
    }
  }
});

describe('malformed GrantTokens are refused by model validation', () => {
  const tooLong = 'g'.repeat(8193);
  const refused: { title: string; tokens: string[]; message: string }[] = [
    {
      title: '11 tokens',
      tokens: Array.from({ length: 11 }, (_, i) => `token-${i + 1}`),
      message:
        "1 validation error detected: Value '[token-1, token-2, token-3, token-4, token-5, token-6, token-7, token-8, token-9, " +
        "token-10, token-11]' at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10",
    },
    {
      title: 'an empty token',
      tokens: [''],
      message: "1 validation error detected: Value '' at 'grantTokens.1.member' failed to satisfy constraint: Member must have length greater than or equal to 1",
    },
    {
      title: 'a second token of 8193 characters',
      tokens: ['ok', tooLong],
      message: `1 validation error detected: Value '${tooLong}' at 'grantTokens.2.member' failed to satisfy constraint: Member must have length less than or equal to 8192`,
    },
  ];
  const rows: ErrorRow<Keys>[] = [];
  for (const { operation, body } of OPERATIONS) {
    for (const row of refused) {
      rows.push({ name: `${operation} with ${row.title}`, operation, body: (f) => ({ ...body(f), GrantTokens: row.tokens }), error: 'ValidationException', message: row.message });
    }
  }
  errorRows(fixture, rows);
});
