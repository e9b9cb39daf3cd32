/**
 * Functional tests of the symmetric cryptographic operations through the AWS SDK over HTTP:
 * Encrypt, Decrypt, ReEncrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext and
 * GenerateRandom, with the encryption context, DryRun, key-state and key-usage rules of
 * AWS-BEHAVIOUR.md ("Encrypt / Decrypt / ReEncrypt", "Key states", "DryRun").
 *
 * InvalidCiphertextException carries an empty message on the wire; the SDK reports an empty
 * message as "UnknownError", so that is what these tests expect to see.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateRandomCommand,
  ReEncryptCommand,
  ScheduleKeyDeletionCommand,
  type CreateKeyCommandInput,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { awsError, kmsClient } from '../helpers/clients.js';
import { removeDataDir, spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';

const ACCOUNT = '111122223333';
const EMPTY_MESSAGE_AS_SEEN_BY_SDK = 'UnknownError';
const INVALID_CIPHERTEXT = { name: 'InvalidCiphertextException', message: EMPTY_MESSAGE_AS_SEEN_BY_SDK, status: 400 };
const DRY_RUN = {
  name: 'DryRunOperationException',
  message: 'The request would have succeeded, but the DryRun option is set.',
  status: 400,
};

let server: SpawnedServer | undefined;
let kms: KMSClient;

interface TestKey {
  KeyId: string;
  Arn: string;
  materialId: string | undefined;
}

async function createKey(input: CreateKeyCommandInput = {}): Promise<TestKey> {
  const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand(input));
  assert.ok(metadata?.KeyId && metadata.Arn);
  return { KeyId: metadata.KeyId, Arn: metadata.Arn, materialId: metadata.CurrentKeyMaterialId };
}

let key: TestKey;
let otherKey: TestKey;

before(async () => {
  server = await spawnServer();
  kms = kmsClient(server.url);
  key = await createKey({ Description: 'main test key' });
  otherKey = await createKey();
  await kms.send(new CreateAliasCommand({ AliasName: 'alias/crypto-main', TargetKeyId: key.KeyId }));
});

after(async () => {
  kms?.destroy();
  if (server) {
    await server.stop();
    removeDataDir(server.dataDir);
  }
});

async function encrypt(plaintext: Buffer, context?: Record<string, string>, keyId = key.KeyId): Promise<Uint8Array> {
  const { CiphertextBlob } = await kms.send(
    new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, ...(context && { EncryptionContext: context }) }),
  );
  assert.ok(CiphertextBlob);
  return CiphertextBlob;
}

async function decrypt(blob: Uint8Array, context?: Record<string, string>): Promise<Buffer> {
  const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob: blob, ...(context && { EncryptionContext: context }) }));
  assert.ok(Plaintext);
  return Buffer.from(Plaintext);
}

describe('Encrypt and Decrypt', () => {
  const roundTrips: { name: string; plaintext: Buffer; context?: Record<string, string> }[] = [
    { name: 'one byte, no context', plaintext: Buffer.from([0]) },
    { name: 'text, no context', plaintext: Buffer.from('attack at dawn') },
    { name: '4096 bytes, the maximum', plaintext: Buffer.alloc(4096, 0xa5) },
    { name: 'with a one-pair context', plaintext: Buffer.from('secret'), context: { purpose: 'test' } },
    {
      name: 'with a several-pair, non-ASCII context',
      plaintext: Buffer.from('secret'),
      context: { zeta: 'last', alpha: 'first', 'clé': 'valeur ✓', empty: '' },
    },
  ];
  for (const row of roundTrips) {
    test(`round trip: ${row.name}`, async () => {
      const encrypted = await kms.send(
        new EncryptCommand({ KeyId: key.KeyId, Plaintext: row.plaintext, ...(row.context && { EncryptionContext: row.context }) }),
      );
      assert.equal(encrypted.KeyId, key.Arn);
      assert.equal(encrypted.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
      const blob = encrypted.CiphertextBlob as Uint8Array;
      assert.ok(blob.length > row.plaintext.length && blob.length <= 6144, `blob of ${blob.length} bytes`);
      if (row.plaintext.length >= 8) assert.equal(Buffer.from(blob).includes(row.plaintext), false, 'the plaintext appears in the blob');

      const decrypted = await kms.send(
        new DecryptCommand({ CiphertextBlob: blob, ...(row.context && { EncryptionContext: row.context }) }),
      );
      assert.deepEqual(Buffer.from(decrypted.Plaintext as Uint8Array), row.plaintext);
      assert.equal(decrypted.KeyId, key.Arn);
      assert.equal(decrypted.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
      assert.equal(decrypted.KeyMaterialId, key.materialId);
    });
  }

  test('the same plaintext encrypts to different blobs', async () => {
    const a = await encrypt(Buffer.from('same'));
    const b = await encrypt(Buffer.from('same'));
    assert.notDeepEqual(Buffer.from(a), Buffer.from(b));
  });

  test('an empty context is the same as no context', async () => {
    assert.equal((await decrypt(await encrypt(Buffer.from('e1'), {}))).toString(), 'e1');
    assert.equal((await decrypt(await encrypt(Buffer.from('e2')), {})).toString(), 'e2');
  });

  test('a context given in another order still decrypts', async () => {
    const blob = await encrypt(Buffer.from('ordered'), { a: '1', b: '2', c: '3' });
    assert.equal((await decrypt(blob, { c: '3', a: '1', b: '2' })).toString(), 'ordered');
  });

  for (const [name, keyId] of [
    ['key id', () => key.KeyId],
    ['key ARN', () => key.Arn],
    ['alias name', () => 'alias/crypto-main'],
    ['alias ARN', () => `arn:aws:kms:us-east-1:${ACCOUNT}:alias/crypto-main`],
  ] as const) {
    test(`Encrypt and Decrypt accept the ${name} as KeyId and answer with the key ARN`, async () => {
      const encrypted = await kms.send(new EncryptCommand({ KeyId: keyId(), Plaintext: Buffer.from('by name') }));
      assert.equal(encrypted.KeyId, key.Arn);
      const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: keyId() }));
      assert.equal(Buffer.from(decrypted.Plaintext as Uint8Array).toString(), 'by name');
      assert.equal(decrypted.KeyId, key.Arn);
    });
  }

  test('Decrypt with the KeyId of another key -> IncorrectKeyException', async () => {
    const blob = await encrypt(Buffer.from('mine'));
    for (const keyId of [otherKey.KeyId, otherKey.Arn]) {
      const err = await awsError(() => kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: keyId })));
      assert.deepEqual(err, {
        name: 'IncorrectKeyException',
        message: 'The key ID in the request does not identify a CMK that can perform this operation.',
        status: 400,
      });
    }
  });

  test('Decrypt with the KeyId of an unknown key -> NotFoundException', async () => {
    const blob = await encrypt(Buffer.from('mine'));
    const unknown = '0badc0de-0000-4000-8000-00000000c0de';
    const err = await awsError(() => kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: unknown })));
    assert.deepEqual(err, {
      name: 'NotFoundException',
      message: `Key 'arn:aws:kms:us-east-1:${ACCOUNT}:key/${unknown}' does not exist`,
      status: 400,
    });
  });

  const wrongContexts: { name: string; used?: Record<string, string>; given?: Record<string, string> }[] = [
    { name: 'context missing at Decrypt', used: { purpose: 'test' } },
    { name: 'context given at Decrypt but none at Encrypt', given: { purpose: 'test' } },
    { name: 'another value', used: { purpose: 'test' }, given: { purpose: 'prod' } },
    { name: 'another key', used: { purpose: 'test' }, given: { Purpose: 'test' } },
    { name: 'an extra pair', used: { purpose: 'test' }, given: { purpose: 'test', extra: 'x' } },
    { name: 'a missing pair', used: { purpose: 'test', extra: 'x' }, given: { purpose: 'test' } },
    { name: 'same concatenation, other split', used: { ab: 'c' }, given: { a: 'bc' } },
  ];
  for (const row of wrongContexts) {
    test(`wrong encryption context (${row.name}) -> InvalidCiphertextException`, async () => {
      const blob = await encrypt(Buffer.from('bound'), row.used);
      assert.deepEqual(await awsError(() => decrypt(blob, row.given)), INVALID_CIPHERTEXT);
    });
  }

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
  for (const row of tamperings) {
    test(`tampered blob (${row.name}) -> InvalidCiphertextException`, async () => {
      const blob = Buffer.from(await encrypt(Buffer.from('tamper-evident payload'), { ctx: 'v' }));
      assert.deepEqual(await awsError(() => decrypt(row.change(blob), { ctx: 'v' })), INVALID_CIPHERTEXT);
    });
  }

  test('a blob over the 6144-byte maximum -> ValidationException', async () => {
    const err = await awsError(() => kms.send(new DecryptCommand({ CiphertextBlob: Buffer.alloc(6145, 1) })));
    assert.deepEqual(err, {
      name: 'ValidationException',
      message:
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=6145 cap=6145]' at 'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to 6144",
      status: 400,
    });
  });

  test('plaintext of 4097 bytes -> ValidationException that does not echo the value', async () => {
    const err = await awsError(() => kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.alloc(4097, 0x41) })));
    assert.deepEqual(err, {
      name: 'ValidationException',
      message:
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
      status: 400,
    });
    assert.equal(/AAAA|QUFB/.test(err.message), false);
  });

  test('empty plaintext -> ValidationException', async () => {
    const err = await awsError(() => kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: new Uint8Array(0) })));
    assert.deepEqual(err, {
      name: 'ValidationException',
      message:
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1",
      status: 400,
    });
  });

  test('Encrypt with an asymmetric EncryptionAlgorithm on a symmetric key -> InvalidKeyUsageException', async () => {
    const err = await awsError(() =>
      kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })),
    );
    assert.deepEqual(err, {
      name: 'InvalidKeyUsageException',
      message: `The encryption algorithm RSAES_OAEP_SHA_256 is not valid for ${key.Arn}, whose key spec is SYMMETRIC_DEFAULT.`,
      status: 400,
    });
  });
});

function flip(blob: Buffer, offset: number): Buffer {
  const copy = Buffer.from(blob);
  copy[offset] = (copy[offset] as number) ^ 0x01;
  return copy;
}

describe('ReEncrypt', () => {
  test('to another key with a new context: every response field, and the new blob decrypts', async () => {
    const blob = await encrypt(Buffer.from('moving'), { stage: 'one' });
    const response = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob: blob,
        SourceEncryptionContext: { stage: 'one' },
        DestinationKeyId: otherKey.KeyId,
        DestinationEncryptionContext: { stage: 'two' },
      }),
    );
    assert.equal(response.SourceKeyId, key.Arn);
    assert.equal(response.KeyId, otherKey.Arn);
    assert.equal(response.SourceEncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
    assert.equal(response.DestinationEncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
    assert.equal(response.SourceKeyMaterialId, key.materialId);
    assert.equal(response.DestinationKeyMaterialId, otherKey.materialId);
    assert.notEqual(response.SourceKeyMaterialId, response.DestinationKeyMaterialId);

    const reencrypted = response.CiphertextBlob as Uint8Array;
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: reencrypted, EncryptionContext: { stage: 'two' } }));
    assert.equal(Buffer.from(decrypted.Plaintext as Uint8Array).toString(), 'moving');
    assert.equal(decrypted.KeyId, otherKey.Arn);
    assert.deepEqual(await awsError(() => decrypt(reencrypted, { stage: 'one' })), INVALID_CIPHERTEXT);
  });

  test('to the same key, changing only the context, via alias and SourceKeyId', async () => {
    const blob = await encrypt(Buffer.from('same key'), { v: '1' });
    const response = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob: blob,
        SourceKeyId: key.Arn,
        SourceEncryptionContext: { v: '1' },
        DestinationKeyId: 'alias/crypto-main',
        DestinationEncryptionContext: { v: '2' },
      }),
    );
    assert.equal(response.SourceKeyId, key.Arn);
    assert.equal(response.KeyId, key.Arn);
    assert.equal(response.SourceKeyMaterialId, key.materialId);
    assert.equal(response.DestinationKeyMaterialId, key.materialId);
    assert.equal((await decrypt(response.CiphertextBlob as Uint8Array, { v: '2' })).toString(), 'same key');
  });

  test('with the wrong source context -> InvalidCiphertextException', async () => {
    const blob = await encrypt(Buffer.from('x'), { v: '1' });
    const err = await awsError(() =>
      kms.send(new ReEncryptCommand({ CiphertextBlob: blob, SourceEncryptionContext: { v: '2' }, DestinationKeyId: otherKey.KeyId })),
    );
    assert.deepEqual(err, INVALID_CIPHERTEXT);
  });

  test('with a tampered blob -> InvalidCiphertextException', async () => {
    const blob = Buffer.from(await encrypt(Buffer.from('x')));
    const err = await awsError(() => kms.send(new ReEncryptCommand({ CiphertextBlob: flip(blob, blob.length - 1), DestinationKeyId: otherKey.KeyId })));
    assert.deepEqual(err, INVALID_CIPHERTEXT);
  });

  test('with a SourceKeyId that is not the blob key -> IncorrectKeyException', async () => {
    const blob = await encrypt(Buffer.from('x'));
    const err = await awsError(() =>
      kms.send(new ReEncryptCommand({ CiphertextBlob: blob, SourceKeyId: otherKey.KeyId, DestinationKeyId: otherKey.KeyId })),
    );
    assert.deepEqual(err, {
      name: 'IncorrectKeyException',
      message: 'The key ID in the request does not identify a CMK that can perform this operation.',
      status: 400,
    });
  });
});

describe('GenerateDataKey and GenerateDataKeyWithoutPlaintext', () => {
  const sizes: { name: string; input: { KeySpec: 'AES_128' | 'AES_256' } | { NumberOfBytes: number }; bytes: number }[] = [
    { name: 'KeySpec AES_256', input: { KeySpec: 'AES_256' }, bytes: 32 },
    { name: 'KeySpec AES_128', input: { KeySpec: 'AES_128' }, bytes: 16 },
    { name: 'NumberOfBytes 1', input: { NumberOfBytes: 1 }, bytes: 1 },
    { name: 'NumberOfBytes 64', input: { NumberOfBytes: 64 }, bytes: 64 },
    { name: 'NumberOfBytes 1024', input: { NumberOfBytes: 1024 }, bytes: 1024 },
  ];
  for (const row of sizes) {
    test(`GenerateDataKey ${row.name}: ${row.bytes} bytes, and the blob decrypts to them`, async () => {
      const context = { dataKey: row.name };
      const response = await kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/crypto-main', EncryptionContext: context, ...row.input }));
      assert.equal(response.KeyId, key.Arn);
      assert.equal(response.KeyMaterialId, key.materialId);
      const plaintext = Buffer.from(response.Plaintext as Uint8Array);
      assert.equal(plaintext.length, row.bytes);
      assert.deepEqual(await decrypt(response.CiphertextBlob as Uint8Array, context), plaintext);
      assert.deepEqual(await awsError(() => decrypt(response.CiphertextBlob as Uint8Array)), INVALID_CIPHERTEXT);
    });
  }

  test('two data keys differ', async () => {
    const a = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_256' }));
    const b = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_256' }));
    assert.notDeepEqual(Buffer.from(a.Plaintext as Uint8Array), Buffer.from(b.Plaintext as Uint8Array));
  });

  for (const row of sizes.slice(0, 3)) {
    test(`GenerateDataKeyWithoutPlaintext ${row.name}: no plaintext, and the blob decrypts to ${row.bytes} bytes`, async () => {
      const response = await kms.send(
        new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.Arn, EncryptionContext: { w: 'o' }, ...row.input }),
      );
      assert.deepEqual(Object.keys(response).filter((k) => k !== '$metadata').sort(), ['CiphertextBlob', 'KeyId', 'KeyMaterialId']);
      assert.equal(response.KeyId, key.Arn);
      assert.equal(response.KeyMaterialId, key.materialId);
      assert.equal((await decrypt(response.CiphertextBlob as Uint8Array, { w: 'o' })).length, row.bytes);
    });
  }

  const invalid: { name: string; input: Record<string, unknown>; message: string }[] = [
    {
      name: 'both KeySpec and NumberOfBytes',
      input: { KeySpec: 'AES_256', NumberOfBytes: 32 },
      message: 'Please specify either number of bytes or key spec.',
    },
    { name: 'neither KeySpec nor NumberOfBytes', input: {}, message: 'Please specify either number of bytes or key spec.' },
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
  for (const row of invalid) {
    for (const [operation, send] of [
      ['GenerateDataKey', (input: Record<string, unknown>) => kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, ...input }))],
      [
        'GenerateDataKeyWithoutPlaintext',
        (input: Record<string, unknown>) => kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.KeyId, ...input })),
      ],
    ] as const) {
      test(`${operation} with ${row.name} -> ValidationException`, async () => {
        assert.deepEqual(await awsError(() => send(row.input)), { name: 'ValidationException', message: row.message, status: 400 });
      });
    }
  }
});

describe('GenerateRandom', () => {
  for (const bytes of [1, 32, 1024]) {
    test(`${bytes} bytes`, async () => {
      const { Plaintext } = await kms.send(new GenerateRandomCommand({ NumberOfBytes: bytes }));
      assert.equal(Plaintext?.length, bytes);
    });
  }

  test('two results differ', async () => {
    const a = await kms.send(new GenerateRandomCommand({ NumberOfBytes: 32 }));
    const b = await kms.send(new GenerateRandomCommand({ NumberOfBytes: 32 }));
    assert.notDeepEqual(Buffer.from(a.Plaintext as Uint8Array), Buffer.from(b.Plaintext as Uint8Array));
  });

  for (const row of [
    { bytes: 0, bound: 'greater than or equal to 1' },
    { bytes: 1025, bound: 'less than or equal to 1024' },
  ]) {
    test(`${row.bytes} bytes -> ValidationException`, async () => {
      const err = await awsError(() => kms.send(new GenerateRandomCommand({ NumberOfBytes: row.bytes })));
      assert.deepEqual(err, {
        name: 'ValidationException',
        message: `1 validation error detected: Value '${row.bytes}' at 'numberOfBytes' failed to satisfy constraint: Member must have value ${row.bound}`,
        status: 400,
      });
    });
  }
});

describe('DryRun', () => {
  let blob: Uint8Array;
  before(async () => {
    blob = await encrypt(Buffer.from('dry'), { d: 'r' });
  });

  const calls: { operation: string; call: () => Promise<unknown> }[] = [
    { operation: 'Encrypt', call: () => kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x'), DryRun: true })) },
    { operation: 'Decrypt', call: () => kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { d: 'r' }, DryRun: true })) },
    {
      operation: 'ReEncrypt',
      call: () =>
        kms.send(new ReEncryptCommand({ CiphertextBlob: blob, SourceEncryptionContext: { d: 'r' }, DestinationKeyId: otherKey.KeyId, DryRun: true })),
    },
    { operation: 'GenerateDataKey', call: () => kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_256', DryRun: true })) },
    {
      operation: 'GenerateDataKeyWithoutPlaintext',
      call: () => kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.KeyId, NumberOfBytes: 16, DryRun: true })),
    },
  ];
  for (const row of calls) {
    test(`${row.operation} with DryRun -> DryRunOperationException`, async () => {
      assert.deepEqual(await awsError(row.call), DRY_RUN);
    });
  }

  test('DryRun false performs the call', async () => {
    const response = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x'), DryRun: false }));
    assert.ok(response.CiphertextBlob);
  });

  test('a failing check wins over the DryRun answer', async () => {
    const disabled = await createKey();
    await kms.send(new DisableKeyCommand({ KeyId: disabled.KeyId }));
    const hmac = await createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const rows: { name: string; call: () => Promise<unknown>; expected: { name: string; message: string; status: number } }[] = [
      {
        name: 'Encrypt, disabled key',
        call: () => kms.send(new EncryptCommand({ KeyId: disabled.KeyId, Plaintext: Buffer.from('x'), DryRun: true })),
        expected: { name: 'DisabledException', message: `${disabled.Arn} is disabled.`, status: 400 },
      },
      {
        name: 'Decrypt, wrong context',
        call: () => kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { d: 'x' }, DryRun: true })),
        expected: INVALID_CIPHERTEXT,
      },
      {
        name: 'Decrypt, wrong KeyId',
        call: () => kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: otherKey.KeyId, EncryptionContext: { d: 'r' }, DryRun: true })),
        expected: {
          name: 'IncorrectKeyException',
          message: 'The key ID in the request does not identify a CMK that can perform this operation.',
          status: 400,
        },
      },
      {
        name: 'GenerateDataKey, HMAC key',
        call: () => kms.send(new GenerateDataKeyCommand({ KeyId: hmac.KeyId, KeySpec: 'AES_256', DryRun: true })),
        expected: {
          name: 'InvalidKeyUsageException',
          message: `${hmac.Arn} key usage is GENERATE_VERIFY_MAC which is not valid for GenerateDataKey.`,
          status: 400,
        },
      },
      {
        name: 'GenerateDataKeyWithoutPlaintext, no size',
        call: () => kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.KeyId, DryRun: true })),
        expected: { name: 'ValidationException', message: 'Please specify either number of bytes or key spec.', status: 400 },
      },
      {
        name: 'ReEncrypt, disabled destination',
        call: () =>
          kms.send(new ReEncryptCommand({ CiphertextBlob: blob, SourceEncryptionContext: { d: 'r' }, DestinationKeyId: disabled.KeyId, DryRun: true })),
        expected: { name: 'DisabledException', message: `${disabled.Arn} is disabled.`, status: 400 },
      },
    ];
    for (const row of rows) assert.deepEqual(await awsError(row.call), row.expected, row.name);
  });
});

describe('key states and key usage', () => {
  interface StateCase {
    state: string;
    key: TestKey;
    /** A blob made under the key before it left the Enabled state, if it ever had material. */
    blob?: Uint8Array;
    error: { name: string; message: string; status: number };
  }
  const cases: StateCase[] = [];

  before(async () => {
    const disabled = await createKey();
    const disabledBlob = await encrypt(Buffer.from('before'), undefined, disabled.KeyId);
    await kms.send(new DisableKeyCommand({ KeyId: disabled.KeyId }));
    cases.push({
      state: 'Disabled',
      key: disabled,
      blob: disabledBlob,
      error: { name: 'DisabledException', message: `${disabled.Arn} is disabled.`, status: 400 },
    });

    const pending = await createKey();
    const pendingBlob = await encrypt(Buffer.from('before'), undefined, pending.KeyId);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: pending.KeyId, PendingWindowInDays: 7 }));
    cases.push({
      state: 'PendingDeletion',
      key: pending,
      blob: pendingBlob,
      error: { name: 'KMSInvalidStateException', message: `${pending.Arn} is pending deletion.`, status: 400 },
    });

    const external = await createKey({ Origin: 'EXTERNAL' });
    cases.push({
      state: 'PendingImport',
      key: external,
      error: { name: 'KMSInvalidStateException', message: `${external.Arn} is pending import.`, status: 400 },
    });
  });

  const operations: { name: string; needsBlob?: boolean; call: (c: StateCase) => Promise<unknown> }[] = [
    { name: 'Encrypt', call: (c) => kms.send(new EncryptCommand({ KeyId: c.key.KeyId, Plaintext: Buffer.from('x') })) },
    { name: 'GenerateDataKey', call: (c) => kms.send(new GenerateDataKeyCommand({ KeyId: c.key.KeyId, KeySpec: 'AES_256' })) },
    {
      name: 'GenerateDataKeyWithoutPlaintext',
      call: (c) => kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: c.key.KeyId, NumberOfBytes: 8 })),
    },
    {
      name: 'ReEncrypt to the key',
      call: async (c) => kms.send(new ReEncryptCommand({ CiphertextBlob: await encrypt(Buffer.from('x')), DestinationKeyId: c.key.KeyId })),
    },
    { name: 'Decrypt', needsBlob: true, call: (c) => kms.send(new DecryptCommand({ CiphertextBlob: c.blob })) },
    {
      name: 'ReEncrypt from the key',
      needsBlob: true,
      call: (c) => kms.send(new ReEncryptCommand({ CiphertextBlob: c.blob, DestinationKeyId: otherKey.KeyId })),
    },
  ];
  for (const state of ['Disabled', 'PendingDeletion', 'PendingImport']) {
    for (const operation of operations) {
      if (operation.needsBlob && state === 'PendingImport') continue;
      test(`${operation.name} with a ${state} key`, async () => {
        const c = cases.find((x) => x.state === state) as StateCase;
        assert.deepEqual(await awsError(() => operation.call(c)), c.error);
      });
    }
  }

  test('a non-encryption key cannot encrypt or generate data keys', async () => {
    const signing = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const hmac = await createKey({ KeySpec: 'HMAC_384', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const rows: { name: string; call: () => Promise<unknown>; message: string }[] = [
      {
        name: 'Encrypt, signing key',
        call: () => kms.send(new EncryptCommand({ KeyId: signing.KeyId, Plaintext: Buffer.from('x') })),
        message: `${signing.Arn} key usage is SIGN_VERIFY which is not valid for Encrypt.`,
      },
      {
        name: 'GenerateDataKey, HMAC key',
        call: () => kms.send(new GenerateDataKeyCommand({ KeyId: hmac.KeyId, KeySpec: 'AES_128' })),
        message: `${hmac.Arn} key usage is GENERATE_VERIFY_MAC which is not valid for GenerateDataKey.`,
      },
      {
        name: 'GenerateDataKeyWithoutPlaintext, signing key',
        call: () => kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: signing.Arn, KeySpec: 'AES_128' })),
        message: `${signing.Arn} key usage is SIGN_VERIFY which is not valid for GenerateDataKeyWithoutPlaintext.`,
      },
      {
        name: 'ReEncrypt to an HMAC key',
        call: async () => kms.send(new ReEncryptCommand({ CiphertextBlob: await encrypt(Buffer.from('x')), DestinationKeyId: hmac.KeyId })),
        message: `${hmac.Arn} key usage is GENERATE_VERIFY_MAC which is not valid for ReEncrypt.`,
      },
    ];
    for (const row of rows) {
      assert.deepEqual(await awsError(row.call), { name: 'InvalidKeyUsageException', message: row.message, status: 400 }, row.name);
    }
  });

  test('the refused calls left the keys where they were', async () => {
    for (const c of cases) {
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: c.key.KeyId }));
      assert.equal(KeyMetadata?.KeyState, c.state);
    }
  });
});
