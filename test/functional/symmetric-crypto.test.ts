/**
 * Functional tests of the symmetric cryptographic operations through the AWS SDK over HTTP:
 * Encrypt, Decrypt, ReEncrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext and
 * GenerateRandom, with the encryption context and every KeyId form (AWS-BEHAVIOUR.md, "Encrypt /
 * Decrypt / ReEncrypt"), and one error of each kind so that the SDK's parsing of errors is
 * exercised. Every error row (contexts, tampering, sizes, DryRun, key states and usage) runs
 * in-process in test/operations/symmetric-crypto.test.ts.
 *
 * InvalidCiphertextException carries an empty message on the wire; the SDK reports an empty
 * message as "UnknownError", so that is what these tests expect to see.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CreateAliasCommand,
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateRandomCommand,
  ReEncryptCommand,
  type CreateKeyCommandInput,
} from '@aws-sdk/client-kms';
import { awsError } from '../helpers/clients.js';
import { aliasArn, createKey as create, uniqueAlias, useServer } from '../helpers/functional.js';

const EMPTY_MESSAGE_AS_SEEN_BY_SDK = 'UnknownError';
const INVALID_CIPHERTEXT = { name: 'InvalidCiphertextException', message: EMPTY_MESSAGE_AS_SEEN_BY_SDK, status: 400 };

const alias = uniqueAlias('crypto-main');
let key: TestKey;
let otherKey: TestKey;

const server = useServer({
  async setUp() {
    key = await createKey({ Description: 'main test key' });
    otherKey = await createKey();
    await server.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyId }));
  },
});

interface TestKey {
  KeyId: string;
  Arn: string;
  materialId: string | undefined;
}

async function createKey(input: CreateKeyCommandInput = {}): Promise<TestKey> {
  const metadata = await create(server.kms, input);
  return { KeyId: metadata.KeyId, Arn: metadata.Arn, materialId: metadata.CurrentKeyMaterialId };
}

async function encrypt(plaintext: Buffer, context?: Record<string, string>, keyId = key.KeyId): Promise<Uint8Array> {
  const { CiphertextBlob } = await server.kms.send(
    new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, ...(context && { EncryptionContext: context }) }),
  );
  assert.ok(CiphertextBlob);
  return CiphertextBlob;
}

async function decrypt(blob: Uint8Array, context?: Record<string, string>): Promise<Buffer> {
  const { Plaintext } = await server.kms.send(new DecryptCommand({ CiphertextBlob: blob, ...(context && { EncryptionContext: context }) }));
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
      const encrypted = await server.kms.send(
        new EncryptCommand({ KeyId: key.KeyId, Plaintext: row.plaintext, ...(row.context && { EncryptionContext: row.context }) }),
      );
      assert.equal(encrypted.KeyId, key.Arn);
      assert.equal(encrypted.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
      const blob = encrypted.CiphertextBlob as Uint8Array;
      assert.ok(blob.length > row.plaintext.length && blob.length <= 6144, `blob of ${blob.length} bytes`);
      if (row.plaintext.length >= 8) assert.equal(Buffer.from(blob).includes(row.plaintext), false, 'the plaintext appears in the blob');

      const decrypted = await server.kms.send(
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
    ['alias name', () => alias],
    ['alias ARN', () => aliasArn(alias)],
  ] as const) {
    test(`Encrypt and Decrypt accept the ${name} as KeyId and answer with the key ARN`, async () => {
      const encrypted = await server.kms.send(new EncryptCommand({ KeyId: keyId(), Plaintext: Buffer.from('by name') }));
      assert.equal(encrypted.KeyId, key.Arn);
      const decrypted = await server.kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: keyId() }));
      assert.equal(Buffer.from(decrypted.Plaintext as Uint8Array).toString(), 'by name');
      assert.equal(decrypted.KeyId, key.Arn);
    });
  }

  // One error of each kind runs here through the SDK; every error row is in
  // test/operations/symmetric-crypto.test.ts.
  test('Decrypt with the KeyId of another key -> IncorrectKeyException', async () => {
    const blob = await encrypt(Buffer.from('mine'));
    const err = await awsError(() => server.kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: otherKey.Arn })));
    assert.deepEqual(err, {
      name: 'IncorrectKeyException',
      message: 'The key ID in the request does not identify a CMK that can perform this operation.',
      status: 400,
    });
  });

  test('a wrong encryption context -> InvalidCiphertextException, with an empty message', async () => {
    const blob = await encrypt(Buffer.from('bound'), { purpose: 'test' });
    assert.deepEqual(await awsError(() => decrypt(blob, { purpose: 'prod' })), INVALID_CIPHERTEXT);
  });

  test('plaintext of 4097 bytes -> ValidationException that does not echo the value', async () => {
    const err = await awsError(() => server.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.alloc(4097, 0x41) })));
    assert.deepEqual(err, {
      name: 'ValidationException',
      message:
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
      status: 400,
    });
    assert.equal(/AAAA|QUFB/.test(err.message), false);
  });

  test('Encrypt with a signing key -> InvalidKeyUsageException', async () => {
    const signing = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const err = await awsError(() => server.kms.send(new EncryptCommand({ KeyId: signing.KeyId, Plaintext: Buffer.from('x') })));
    assert.deepEqual(err, { name: 'InvalidKeyUsageException', message: `${signing.Arn} key usage is SIGN_VERIFY which is not valid for Encrypt.`, status: 400 });
  });
});

describe('ReEncrypt', () => {
  test('to another key with a new context: every response field, and the new blob decrypts', async () => {
    const blob = await encrypt(Buffer.from('moving'), { stage: 'one' });
    const response = await server.kms.send(
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
    const decrypted = await server.kms.send(new DecryptCommand({ CiphertextBlob: reencrypted, EncryptionContext: { stage: 'two' } }));
    assert.equal(Buffer.from(decrypted.Plaintext as Uint8Array).toString(), 'moving');
    assert.equal(decrypted.KeyId, otherKey.Arn);
    assert.deepEqual(await awsError(() => decrypt(reencrypted, { stage: 'one' })), INVALID_CIPHERTEXT);
  });

  test('to the same key, changing only the context, via alias and SourceKeyId', async () => {
    const blob = await encrypt(Buffer.from('same key'), { v: '1' });
    const response = await server.kms.send(
      new ReEncryptCommand({
        CiphertextBlob: blob,
        SourceKeyId: key.Arn,
        SourceEncryptionContext: { v: '1' },
        DestinationKeyId: alias,
        DestinationEncryptionContext: { v: '2' },
      }),
    );
    assert.equal(response.SourceKeyId, key.Arn);
    assert.equal(response.KeyId, key.Arn);
    assert.equal(response.SourceKeyMaterialId, key.materialId);
    assert.equal(response.DestinationKeyMaterialId, key.materialId);
    assert.equal((await decrypt(response.CiphertextBlob as Uint8Array, { v: '2' })).toString(), 'same key');
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
      const response = await server.kms.send(new GenerateDataKeyCommand({ KeyId: alias, EncryptionContext: context, ...row.input }));
      assert.equal(response.KeyId, key.Arn);
      assert.equal(response.KeyMaterialId, key.materialId);
      const plaintext = Buffer.from(response.Plaintext as Uint8Array);
      assert.equal(plaintext.length, row.bytes);
      assert.deepEqual(await decrypt(response.CiphertextBlob as Uint8Array, context), plaintext);
      assert.deepEqual(await awsError(() => decrypt(response.CiphertextBlob as Uint8Array)), INVALID_CIPHERTEXT);
    });
  }

  test('two data keys differ', async () => {
    const a = await server.kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_256' }));
    const b = await server.kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_256' }));
    assert.notDeepEqual(Buffer.from(a.Plaintext as Uint8Array), Buffer.from(b.Plaintext as Uint8Array));
  });

  for (const row of sizes.slice(0, 3)) {
    test(`GenerateDataKeyWithoutPlaintext ${row.name}: no plaintext, and the blob decrypts to ${row.bytes} bytes`, async () => {
      const response = await server.kms.send(
        new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.Arn, EncryptionContext: { w: 'o' }, ...row.input }),
      );
      assert.deepEqual(Object.keys(response).filter((k) => k !== '$metadata').sort(), ['CiphertextBlob', 'KeyId', 'KeyMaterialId']);
      assert.equal(response.KeyId, key.Arn);
      assert.equal(response.KeyMaterialId, key.materialId);
      assert.equal((await decrypt(response.CiphertextBlob as Uint8Array, { w: 'o' })).length, row.bytes);
    });
  }

});

describe('GenerateRandom', () => {
  for (const bytes of [1, 32, 1024]) {
    test(`${bytes} bytes`, async () => {
      const { Plaintext } = await server.kms.send(new GenerateRandomCommand({ NumberOfBytes: bytes }));
      assert.equal(Plaintext?.length, bytes);
    });
  }

  test('two results differ', async () => {
    const a = await server.kms.send(new GenerateRandomCommand({ NumberOfBytes: 32 }));
    const b = await server.kms.send(new GenerateRandomCommand({ NumberOfBytes: 32 }));
    assert.notDeepEqual(Buffer.from(a.Plaintext as Uint8Array), Buffer.from(b.Plaintext as Uint8Array));
  });

});

describe('DryRun', () => {
  test('Encrypt with DryRun -> DryRunOperationException', async () => {
    const err = await awsError(() => server.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x'), DryRun: true })));
    assert.deepEqual(err, { name: 'DryRunOperationException', message: 'The request would have succeeded, but the DryRun option is set.', status: 400 });
  });

  test('DryRun false performs the call', async () => {
    const response = await server.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x'), DryRun: false }));
    assert.ok(response.CiphertextBlob);
  });
});
