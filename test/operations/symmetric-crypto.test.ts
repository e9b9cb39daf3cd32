/**
 * The symmetric cryptographic operations' errors, in-process: Encrypt, Decrypt, ReEncrypt,
 * GenerateDataKey, GenerateDataKeyWithoutPlaintext and GenerateRandom with a wrong encryption
 * context, tampered blobs, bad sizes, DryRun, key states and key usage (AWS-BEHAVIOUR.md,
 * "Encrypt / Decrypt / ReEncrypt", "Key states", "DryRun"). InvalidCiphertextException carries
 * an empty message and nothing else. The happy paths and one error of each kind run over HTTP
 * with the AWS SDK in test/functional/symmetric-crypto.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { b64, keyArn, type CreatedKey, type TestApp } from '../helpers/in-process.js';
import { errorRows, inProcessFixture, type ErrorRow } from './error-table.js';

const INCORRECT_KEY = 'The key ID in the request does not identify a CMK that can perform this operation.';
const DRY_RUN = 'The request would have succeeded, but the DryRun option is set.';
const NO_SIZE = 'Please specify either number of bytes or key spec.';

/** Encrypt under `keyId`; the blob in base64, as the next request sends it. */
async function encrypt(t: TestApp, keyId: string, plaintext: string, context?: Record<string, string>): Promise<string> {
  const response = await t.ok('Encrypt', { KeyId: keyId, Plaintext: b64(plaintext), ...(context && { EncryptionContext: context }) });
  return response.CiphertextBlob as string;
}

function flip(blob: Buffer, offset: number): Buffer {
  const copy = Buffer.from(blob);
  copy[offset] = (copy[offset] as number) ^ 0x01;
  return copy;
}

/** An InvalidCiphertextException row: the message is empty, whatever the cause. */
function invalidCiphertext<F>(name: string, operation: string, body: ErrorRow<F>['body']): ErrorRow<F> {
  return { name, operation, body, error: 'InvalidCiphertextException', message: '' };
}

describe('Encrypt and Decrypt errors', () => {
  const fixture = inProcessFixture(async (t) => ({ key: await t.createKey(), other: await t.createKey() }));
  type Keys = typeof fixture.f;

  const wrongContexts: { name: string; used?: Record<string, string>; given?: Record<string, string> }[] = [
    { name: 'context missing at Decrypt', used: { purpose: 'test' } },
    { name: 'context given at Decrypt but none at Encrypt', given: { purpose: 'test' } },
    { name: 'another value', used: { purpose: 'test' }, given: { purpose: 'prod' } },
    { name: 'another key', used: { purpose: 'test' }, given: { Purpose: 'test' } },
    { name: 'an extra pair', used: { purpose: 'test' }, given: { purpose: 'test', extra: 'x' } },
    { name: 'a missing pair', used: { purpose: 'test', extra: 'x' }, given: { purpose: 'test' } },
    { name: 'same concatenation, other split', used: { ab: 'c' }, given: { a: 'bc' } },
  ];
  // Offsets follow the blob layout documented in src/crypto/envelope.ts; whatever the layout,
  // a changed or cut blob must never decrypt.
  const tamperings: { name: string; change: (blob: Buffer) => Buffer }[] = [
    { name: 'first byte flipped', change: (b) => flip(b, 0) },
    { name: 'a key id byte flipped', change: (b) => flip(b, 5) },
    { name: 'a key material version byte flipped', change: (b) => flip(b, 20) },
    { name: 'a nonce byte flipped', change: (b) => flip(b, 25) },
    { name: 'a tag byte flipped', change: (b) => flip(b, 40) },
    { name: 'last byte flipped', change: (b) => flip(b, b.length - 1) },
    { name: 'one byte cut off the end', change: (b) => b.subarray(0, b.length - 1) },
    { name: 'cut to half', change: (b) => b.subarray(0, Math.floor(b.length / 2)) },
    { name: 'one byte appended', change: (b) => Buffer.concat([b, Buffer.from([0])]) },
    { name: 'a single byte', change: (b) => b.subarray(0, 1) },
    { name: 'random bytes', change: () => Buffer.from('d2hhdGV2ZXIgdGhpcyBpcyBpdCBpcyBub3QgYSBibG9iIGZyb20gVHJlbnQ=', 'base64') },
  ];
  const unknown = '0badc0de-0000-4000-8000-00000000c0de';

  const rows: ErrorRow<Keys>[] = [
    ...(['key id', 'key ARN'] as const).map(
      (form): ErrorRow<Keys> => ({
        name: `Decrypt naming another key by its ${form}`,
        operation: 'Decrypt',
        body: async (f, t) => ({ CiphertextBlob: await encrypt(t, f.key.keyId, 'mine'), KeyId: form === 'key id' ? f.other.keyId : f.other.arn }),
        error: 'IncorrectKeyException',
        message: INCORRECT_KEY,
      }),
    ),
    {
      name: 'Decrypt naming an unknown key',
      operation: 'Decrypt',
      body: async (f, t) => ({ CiphertextBlob: await encrypt(t, f.key.keyId, 'mine'), KeyId: unknown }),
      error: 'NotFoundException',
      message: `Key '${keyArn(unknown)}' does not exist`,
    },
    ...wrongContexts.map((row) =>
      invalidCiphertext<Keys>(`Decrypt with a wrong encryption context (${row.name})`, 'Decrypt', async (f, t) => ({
        CiphertextBlob: await encrypt(t, f.key.keyId, 'bound', row.used),
        ...(row.given && { EncryptionContext: row.given }),
      })),
    ),
    ...tamperings.map((row) =>
      invalidCiphertext<Keys>(`Decrypt of a tampered blob (${row.name})`, 'Decrypt', async (f, t) => ({
        CiphertextBlob: b64(row.change(Buffer.from(await encrypt(t, f.key.keyId, 'tamper-evident payload', { ctx: 'v' }), 'base64'))),
        EncryptionContext: { ctx: 'v' },
      })),
    ),
    {
      name: 'Decrypt of a blob over the 6144-byte maximum',
      operation: 'Decrypt',
      body: () => ({ CiphertextBlob: b64(Buffer.alloc(6145, 1)) }),
      error: 'ValidationException',
      message:
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=6145 cap=6145]' at 'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to 6144",
    },
    {
      // The message names the member but never echoes a sensitive value.
      name: 'Encrypt of 4097 bytes',
      operation: 'Encrypt',
      body: (f) => ({ KeyId: f.key.keyId, Plaintext: b64(Buffer.alloc(4097, 0x41)) }),
      error: 'ValidationException',
      message: "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
    },
    {
      name: 'Encrypt of an empty plaintext',
      operation: 'Encrypt',
      body: (f) => ({ KeyId: f.key.keyId, Plaintext: '' }),
      error: 'ValidationException',
      message: "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1",
    },
    {
      name: 'Encrypt with an asymmetric EncryptionAlgorithm on a symmetric key',
      operation: 'Encrypt',
      body: (f) => ({ KeyId: f.key.keyId, Plaintext: b64('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
      error: 'InvalidKeyUsageException',
      message: (f) => `The encryption algorithm RSAES_OAEP_SHA_256 is not valid for ${f.key.arn}, whose key spec is SYMMETRIC_DEFAULT.`,
    },
    invalidCiphertext<Keys>('ReEncrypt with the wrong source context', 'ReEncrypt', async (f, t) => ({
      CiphertextBlob: await encrypt(t, f.key.keyId, 'x', { v: '1' }),
      SourceEncryptionContext: { v: '2' },
      DestinationKeyId: f.other.keyId,
    })),
    invalidCiphertext<Keys>('ReEncrypt of a tampered blob', 'ReEncrypt', async (f, t) => {
      const blob = Buffer.from(await encrypt(t, f.key.keyId, 'x'), 'base64');
      return { CiphertextBlob: b64(flip(blob, blob.length - 1)), DestinationKeyId: f.other.keyId };
    }),
    {
      name: 'ReEncrypt with a SourceKeyId that is not the blob key',
      operation: 'ReEncrypt',
      body: async (f, t) => ({ CiphertextBlob: await encrypt(t, f.key.keyId, 'x'), SourceKeyId: f.other.keyId, DestinationKeyId: f.other.keyId }),
      error: 'IncorrectKeyException',
      message: INCORRECT_KEY,
    },
  ];
  errorRows(fixture, rows);
});

describe('GenerateDataKey, GenerateDataKeyWithoutPlaintext and GenerateRandom sizes', () => {
  const fixture = inProcessFixture(async (t) => ({ key: await t.createKey() }));
  const invalid: { name: string; input: Record<string, unknown>; message: string }[] = [
    { name: 'both KeySpec and NumberOfBytes', input: { KeySpec: 'AES_256', NumberOfBytes: 32 }, message: NO_SIZE },
    { name: 'neither KeySpec nor NumberOfBytes', input: {}, message: NO_SIZE },
    {
      name: 'NumberOfBytes 0',
      input: { NumberOfBytes: 0 },
      message: "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
    },
    {
      name: 'NumberOfBytes 1025',
      input: { NumberOfBytes: 1025 },
      message: "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
    },
  ];
  const rows: ErrorRow<typeof fixture.f>[] = [];
  for (const operation of ['GenerateDataKey', 'GenerateDataKeyWithoutPlaintext']) {
    for (const row of invalid) {
      rows.push({ name: `${operation} with ${row.name}`, operation, body: (f) => ({ KeyId: f.key.keyId, ...row.input }), error: 'ValidationException', message: row.message });
    }
  }
  for (const row of [
    { bytes: 0, bound: 'greater than or equal to 1' },
    { bytes: 1025, bound: 'less than or equal to 1024' },
  ]) {
    rows.push({
      name: `GenerateRandom of ${row.bytes} bytes`,
      operation: 'GenerateRandom',
      body: () => ({ NumberOfBytes: row.bytes }),
      error: 'ValidationException',
      message: `1 validation error detected: Value '${row.bytes}' at 'numberOfBytes' failed to satisfy constraint: Member must have value ${row.bound}`,
    });
  }
  errorRows(fixture, rows);
});

describe('DryRun', () => {
  const fixture = inProcessFixture(async (t) => {
    const key = await t.createKey();
    const other = await t.createKey();
    const disabled = await t.createKey();
    await t.ok('DisableKey', { KeyId: disabled.keyId });
    const hmac = await t.createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    return { key, other, disabled, hmac, blob: await encrypt(t, key.keyId, 'dry', { d: 'r' }) };
  });
  type Keys = typeof fixture.f;
  const dryRun = (operation: string, body: (f: Keys) => Record<string, unknown>): ErrorRow<Keys> => ({
    name: `${operation} with DryRun`,
    operation,
    body: (f) => ({ ...body(f), DryRun: true }),
    error: 'DryRunOperationException',
    message: DRY_RUN,
  });
  /** A check that fails wins over the DryRun answer (AWS-BEHAVIOUR.md, "DryRun"). */
  const failingCheck = (name: string, operation: string, body: (f: Keys) => Record<string, unknown>, error: string, message: ErrorRow<Keys>['message']): ErrorRow<Keys> => ({
    name: `${operation} with DryRun and ${name}`,
    operation,
    body: (f) => ({ ...body(f), DryRun: true }),
    error,
    message,
  });
  errorRows(fixture, [
    dryRun('Encrypt', (f) => ({ KeyId: f.key.keyId, Plaintext: b64('x') })),
    dryRun('Decrypt', (f) => ({ CiphertextBlob: f.blob, EncryptionContext: { d: 'r' } })),
    dryRun('ReEncrypt', (f) => ({ CiphertextBlob: f.blob, SourceEncryptionContext: { d: 'r' }, DestinationKeyId: f.other.keyId })),
    dryRun('GenerateDataKey', (f) => ({ KeyId: f.key.keyId, KeySpec: 'AES_256' })),
    dryRun('GenerateDataKeyWithoutPlaintext', (f) => ({ KeyId: f.key.keyId, NumberOfBytes: 16 })),
    failingCheck('a disabled key', 'Encrypt', (f) => ({ KeyId: f.disabled.keyId, Plaintext: b64('x') }), 'DisabledException', (f) => `${f.disabled.arn} is disabled.`),
    failingCheck('a wrong context', 'Decrypt', (f) => ({ CiphertextBlob: f.blob, EncryptionContext: { d: 'x' } }), 'InvalidCiphertextException', ''),
    failingCheck('a wrong KeyId', 'Decrypt', (f) => ({ CiphertextBlob: f.blob, KeyId: f.other.keyId, EncryptionContext: { d: 'r' } }), 'IncorrectKeyException', INCORRECT_KEY),
    failingCheck(
      'an HMAC key',
      'GenerateDataKey',
      (f) => ({ KeyId: f.hmac.keyId, KeySpec: 'AES_256' }),
      'InvalidKeyUsageException',
      (f) => `${f.hmac.arn} key usage is GENERATE_VERIFY_MAC which is not valid for GenerateDataKey.`,
    ),
    failingCheck('no size', 'GenerateDataKeyWithoutPlaintext', (f) => ({ KeyId: f.key.keyId }), 'ValidationException', NO_SIZE),
    failingCheck(
      'a disabled destination',
      'ReEncrypt',
      (f) => ({ CiphertextBlob: f.blob, SourceEncryptionContext: { d: 'r' }, DestinationKeyId: f.disabled.keyId }),
      'DisabledException',
      (f) => `${f.disabled.arn} is disabled.`,
    ),
  ]);
});

describe('key states and key usage', () => {
  interface StateCase {
    state: string;
    key: CreatedKey;
    /** A blob made under the key before it left the Enabled state, if it ever had material. */
    blob?: string;
    message: string;
  }
  const fixture = inProcessFixture(async (t) => {
    const other = await t.createKey();
    const disabled = await t.createKey();
    const disabledBlob = await encrypt(t, disabled.keyId, 'before');
    await t.ok('DisableKey', { KeyId: disabled.keyId });
    const pending = await t.createKey();
    const pendingBlob = await encrypt(t, pending.keyId, 'before');
    await t.ok('ScheduleKeyDeletion', { KeyId: pending.keyId, PendingWindowInDays: 7 });
    const external = await t.createKey({ Origin: 'EXTERNAL' });
    const cases: StateCase[] = [
      { state: 'Disabled', key: disabled, blob: disabledBlob, message: `${disabled.arn} is disabled.` },
      { state: 'PendingDeletion', key: pending, blob: pendingBlob, message: `${pending.arn} is pending deletion.` },
      { state: 'PendingImport', key: external, message: `${external.arn} is pending import.` },
    ];
    return {
      other,
      cases,
      signing: await t.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }),
      hmac: await t.createKey({ KeySpec: 'HMAC_384', KeyUsage: 'GENERATE_VERIFY_MAC' }),
    };
  });
  type Keys = typeof fixture.f;

  const operations: { name: string; operation: string; needsBlob?: boolean; body: (c: StateCase, f: Keys, t: TestApp) => Promise<unknown> | unknown }[] = [
    { name: 'Encrypt', operation: 'Encrypt', body: (c) => ({ KeyId: c.key.keyId, Plaintext: b64('x') }) },
    { name: 'GenerateDataKey', operation: 'GenerateDataKey', body: (c) => ({ KeyId: c.key.keyId, KeySpec: 'AES_256' }) },
    { name: 'GenerateDataKeyWithoutPlaintext', operation: 'GenerateDataKeyWithoutPlaintext', body: (c) => ({ KeyId: c.key.keyId, NumberOfBytes: 8 }) },
    {
      name: 'ReEncrypt to the key',
      operation: 'ReEncrypt',
      body: async (c, f, t) => ({ CiphertextBlob: await encrypt(t, f.other.keyId, 'x'), DestinationKeyId: c.key.keyId }),
    },
    { name: 'Decrypt', operation: 'Decrypt', needsBlob: true, body: (c) => ({ CiphertextBlob: c.blob }) },
    { name: 'ReEncrypt from the key', operation: 'ReEncrypt', needsBlob: true, body: (c, f) => ({ CiphertextBlob: c.blob, DestinationKeyId: f.other.keyId }) },
  ];
  const caseOf = (f: Keys, state: string) => f.cases.find((c) => c.state === state) as StateCase;
  const rows: ErrorRow<Keys>[] = [];
  for (const state of ['Disabled', 'PendingDeletion', 'PendingImport']) {
    for (const op of operations) {
      if (op.needsBlob && state === 'PendingImport') continue;
      rows.push({
        name: `${op.name} with a ${state} key`,
        operation: op.operation,
        body: (f, t) => op.body(caseOf(f, state), f, t),
        error: state === 'Disabled' ? 'DisabledException' : 'KMSInvalidStateException',
        message: (f) => caseOf(f, state).message,
      });
    }
  }
  const usage = (name: string, operation: string, body: (f: Keys, t: TestApp) => unknown, message: (f: Keys) => string): ErrorRow<Keys> => ({
    name,
    operation,
    body,
    error: 'InvalidKeyUsageException',
    message,
  });
  rows.push(
    usage('Encrypt with a signing key', 'Encrypt', (f) => ({ KeyId: f.signing.keyId, Plaintext: b64('x') }), (f) => `${f.signing.arn} key usage is SIGN_VERIFY which is not valid for Encrypt.`),
    usage(
      'GenerateDataKey with an HMAC key',
      'GenerateDataKey',
      (f) => ({ KeyId: f.hmac.keyId, KeySpec: 'AES_128' }),
      (f) => `${f.hmac.arn} key usage is GENERATE_VERIFY_MAC which is not valid for GenerateDataKey.`,
    ),
    usage(
      'GenerateDataKeyWithoutPlaintext with a signing key',
      'GenerateDataKeyWithoutPlaintext',
      (f) => ({ KeyId: f.signing.arn, KeySpec: 'AES_128' }),
      (f) => `${f.signing.arn} key usage is SIGN_VERIFY which is not valid for GenerateDataKeyWithoutPlaintext.`,
    ),
    usage(
      'ReEncrypt to an HMAC key',
      'ReEncrypt',
      async (f, t) => ({ CiphertextBlob: await encrypt(t, f.other.keyId, 'x'), DestinationKeyId: f.hmac.keyId }),
      (f) => `${f.hmac.arn} key usage is GENERATE_VERIFY_MAC which is not valid for ReEncrypt.`,
    ),
  );
  errorRows(fixture, rows);

  it('the refused calls left the keys where they were', async () => {
    const { t, f } = fixture;
    for (const c of f.cases) {
      const metadata = (await t.ok('DescribeKey', { KeyId: c.key.keyId })).KeyMetadata as { KeyState: string };
      assert.equal(metadata.KeyState, c.state);
    }
  });
});
