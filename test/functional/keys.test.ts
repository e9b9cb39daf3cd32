/**
 * Functional tests of the key life cycle through the AWS SDK over HTTP: CreateKey for every
 * KeySpec, DescribeKey's metadata, identifier forms, ListKeys paging, EnableKey/DisableKey and
 * ScheduleKeyDeletion/CancelKeyDeletion (AWS-BEHAVIOUR.md, "Key states" and "DescribeKey /
 * CreateKey metadata"), with one error of each kind so that the SDK's parsing of errors is
 * exercised. Every error row runs in-process in test/operations/keys.test.ts.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  CustomerMasterKeySpec,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  ScheduleKeyDeletionCommand,
  type CreateKeyCommandInput,
  type KeyMetadata,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { awsError } from '../helpers/clients.js';
import { ACCOUNT, allPages, createKey as create, keyArn as arnOf, useServer } from '../helpers/functional.js';

const DAY_S = 24 * 60 * 60;

const server = useServer();

function createKey(input: CreateKeyCommandInput = {}, client: KMSClient = server.kms): Promise<KeyMetadata> {
  return create(client, input);
}

async function describeKey(keyId: string, client: KMSClient = server.kms): Promise<KeyMetadata> {
  const { KeyMetadata: metadata } = await client.send(new DescribeKeyCommand({ KeyId: keyId }));
  assert.ok(metadata, 'DescribeKey returned no KeyMetadata');
  return metadata;
}

function assertRecent(date: Date | undefined, what: string): void {
  assert.ok(date instanceof Date, `${what} is not a date`);
  assert.ok(Math.abs(date.getTime() - Date.now()) < 60_000, `${what} ${date.toISOString()} is not close to now`);
}

/** KeyMetadata of a symmetric key, as AWS-BEHAVIOUR.md lists it (sorted). */
const SYMMETRIC_METADATA_FIELDS = [
  'AWSAccountId',
  'Arn',
  'CreationDate',
  'CurrentKeyMaterialId',
  'CustomerMasterKeySpec',
  'Description',
  'Enabled',
  'EncryptionAlgorithms',
  'KeyId',
  'KeyManager',
  'KeySpec',
  'KeyState',
  'KeyUsage',
  'MultiRegion',
  'Origin',
];

const ALGORITHM_LISTS = [
  'EncryptionAlgorithms',
  'SigningAlgorithms',
  'MacAlgorithms',
  'KeyAgreementAlgorithms',
  'EncapsulationAlgorithms',
] as const;
type AlgorithmList = (typeof ALGORITHM_LISTS)[number];

describe('CreateKey: symmetric key metadata', () => {
  test('a key created with no parameters has exactly the fields AWS lists for a symmetric key', async () => {
    const metadata = await createKey();
    assert.deepEqual(Object.keys(metadata).sort(), SYMMETRIC_METADATA_FIELDS);
    const keyId = metadata.KeyId as string;
    assert.match(keyId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(metadata.AWSAccountId, ACCOUNT);
    assert.equal(metadata.Arn, arnOf(keyId));
    assertRecent(metadata.CreationDate, 'CreationDate');
    assert.match(metadata.CurrentKeyMaterialId ?? '', /^[0-9a-f]{64}$/);
    assert.equal(metadata.CustomerMasterKeySpec, 'SYMMETRIC_DEFAULT');
    assert.equal(metadata.Description, '');
    assert.equal(metadata.Enabled, true);
    assert.deepEqual(metadata.EncryptionAlgorithms, ['SYMMETRIC_DEFAULT']);
    assert.equal(metadata.KeyManager, 'CUSTOMER');
    assert.equal(metadata.KeySpec, 'SYMMETRIC_DEFAULT');
    assert.equal(metadata.KeyState, 'Enabled');
    assert.equal(metadata.KeyUsage, 'ENCRYPT_DECRYPT');
    assert.equal(metadata.MultiRegion, false);
    assert.equal(metadata.Origin, 'AWS_KMS');
  });

  test('DescribeKey returns the same metadata as CreateKey', async () => {
    const created = await createKey({ Description: 'described' });
    const described = await describeKey(created.KeyId as string);
    assert.deepEqual(described, created);
    assert.equal(described.Description, 'described');
  });

  test('explicit KeySpec SYMMETRIC_DEFAULT and KeyUsage ENCRYPT_DECRYPT give the same kind of key', async () => {
    const metadata = await createKey({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' });
    assert.equal(metadata.KeySpec, 'SYMMETRIC_DEFAULT');
    assert.equal(metadata.KeyUsage, 'ENCRYPT_DECRYPT');
    assert.deepEqual(metadata.EncryptionAlgorithms, ['SYMMETRIC_DEFAULT']);
  });

  test('two keys get different ids and different key material ids', async () => {
    const [a, b] = await Promise.all([createKey(), createKey()]);
    assert.notEqual(a.KeyId, b.KeyId);
    assert.notEqual(a.CurrentKeyMaterialId, b.CurrentKeyMaterialId);
  });
});

describe('CreateKey: every non-symmetric KeySpec', () => {
  const RSA_ENCRYPTION = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'];
  const RSA_SIGNING = [
    'RSASSA_PSS_SHA_256',
    'RSASSA_PSS_SHA_384',
    'RSASSA_PSS_SHA_512',
    'RSASSA_PKCS1_V1_5_SHA_256',
    'RSASSA_PKCS1_V1_5_SHA_384',
    'RSASSA_PKCS1_V1_5_SHA_512',
  ];
  const rows: { keySpec: NonNullable<CreateKeyCommandInput['KeySpec']>; keyUsage: NonNullable<CreateKeyCommandInput['KeyUsage']>; lists: Partial<Record<AlgorithmList, string[]>> }[] = [
    { keySpec: 'RSA_2048', keyUsage: 'ENCRYPT_DECRYPT', lists: { EncryptionAlgorithms: RSA_ENCRYPTION } },
    { keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY', lists: { SigningAlgorithms: RSA_SIGNING } },
    { keySpec: 'RSA_3072', keyUsage: 'SIGN_VERIFY', lists: { SigningAlgorithms: RSA_SIGNING } },
    // RSA_4096 generation takes seconds: one key only.
    { keySpec: 'RSA_4096', keyUsage: 'ENCRYPT_DECRYPT', lists: { EncryptionAlgorithms: RSA_ENCRYPTION } },
    { keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY', lists: { SigningAlgorithms: ['ECDSA_SHA_256'] } },
    { keySpec: 'ECC_NIST_P256', keyUsage: 'KEY_AGREEMENT', lists: { KeyAgreementAlgorithms: ['ECDH'] } },
    { keySpec: 'ECC_NIST_P384', keyUsage: 'SIGN_VERIFY', lists: { SigningAlgorithms: ['ECDSA_SHA_384'] } },
    { keySpec: 'ECC_NIST_P521', keyUsage: 'SIGN_VERIFY', lists: { SigningAlgorithms: ['ECDSA_SHA_512'] } },
    { keySpec: 'ECC_SECG_P256K1', keyUsage: 'SIGN_VERIFY', lists: { SigningAlgorithms: ['ECDSA_SHA_256'] } },
    { keySpec: 'ECC_NIST_EDWARDS25519', keyUsage: 'SIGN_VERIFY', lists: { SigningAlgorithms: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'] } },
    { keySpec: 'HMAC_224', keyUsage: 'GENERATE_VERIFY_MAC', lists: { MacAlgorithms: ['HMAC_SHA_224'] } },
    { keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC', lists: { MacAlgorithms: ['HMAC_SHA_256'] } },
    { keySpec: 'HMAC_384', keyUsage: 'GENERATE_VERIFY_MAC', lists: { MacAlgorithms: ['HMAC_SHA_384'] } },
    { keySpec: 'HMAC_512', keyUsage: 'GENERATE_VERIFY_MAC', lists: { MacAlgorithms: ['HMAC_SHA_512'] } },
    { keySpec: 'ML_DSA_44', keyUsage: 'SIGN_VERIFY', lists: { SigningAlgorithms: ['ML_DSA_SHAKE_256'] } },
    { keySpec: 'ML_DSA_65', keyUsage: 'SIGN_VERIFY', lists: { SigningAlgorithms: ['ML_DSA_SHAKE_256'] } },
    { keySpec: 'ML_DSA_87', keyUsage: 'SIGN_VERIFY', lists: { SigningAlgorithms: ['ML_DSA_SHAKE_256'] } },
    { keySpec: 'ML_KEM_512', keyUsage: 'ENCAPSULATE_DECAPSULATE', lists: { EncapsulationAlgorithms: ['ML_KEM'] } },
    { keySpec: 'ML_KEM_768', keyUsage: 'ENCAPSULATE_DECAPSULATE', lists: { EncapsulationAlgorithms: ['ML_KEM'] } },
    { keySpec: 'ML_KEM_1024', keyUsage: 'ENCAPSULATE_DECAPSULATE', lists: { EncapsulationAlgorithms: ['ML_KEM'] } },
  ];
  const legacySpecs: readonly string[] = Object.values(CustomerMasterKeySpec);

  for (const row of rows) {
    test(`${row.keySpec} with ${row.keyUsage}`, async () => {
      const metadata = await createKey({ KeySpec: row.keySpec, KeyUsage: row.keyUsage });
      assert.equal(metadata.KeySpec, row.keySpec);
      assert.equal(metadata.KeyUsage, row.keyUsage);
      assert.equal(metadata.KeyState, 'Enabled');
      assert.equal(metadata.Enabled, true);
      assert.equal(metadata.Origin, 'AWS_KMS');
      assert.equal(metadata.Arn, arnOf(metadata.KeyId as string));
      for (const list of ALGORITHM_LISTS) assert.deepEqual(metadata[list], row.lists[list], list);
      // The deprecated field only mirrors specs that its own enum (in the SDK's model) knows.
      assert.equal(metadata.CustomerMasterKeySpec, legacySpecs.includes(row.keySpec) ? row.keySpec : undefined);
      // Only symmetric encryption keys report a key material id (API reference, KeyMetadata).
      assert.equal(metadata.CurrentKeyMaterialId, undefined);
      assert.deepEqual(await describeKey(metadata.KeyId as string), metadata);
    });
  }
});

describe('CreateKey: SM2 is served in China Regions only', () => {
  const rows: { keyUsage: 'SIGN_VERIFY' | 'ENCRYPT_DECRYPT'; lists: Partial<Record<AlgorithmList, string[]>> }[] = [
    { keyUsage: 'SIGN_VERIFY', lists: { SigningAlgorithms: ['SM2DSA'] } },
    { keyUsage: 'ENCRYPT_DECRYPT', lists: { EncryptionAlgorithms: ['SM2PKE'] } },
  ];
  for (const row of rows) {
    test(`SM2 with ${row.keyUsage} in cn-north-1 has an aws-cn ARN`, async () => {
      const cnKms = server.client('cn-north-1');
      const metadata = await createKey({ KeySpec: 'SM2', KeyUsage: row.keyUsage }, cnKms);
      assert.equal(metadata.KeySpec, 'SM2');
      assert.equal(metadata.CustomerMasterKeySpec, 'SM2');
      assert.equal(metadata.KeyUsage, row.keyUsage);
      assert.equal(metadata.Arn, arnOf(metadata.KeyId as string, 'cn-north-1', 'aws-cn'));
      for (const list of ALGORITHM_LISTS) assert.deepEqual(metadata[list], row.lists[list], list);
      assert.equal((await describeKey(metadata.Arn as string, cnKms)).KeyId, metadata.KeyId);
    });
  }

  // One error of each kind runs here through the SDK; every error row is in test/operations/.
  test('SM2 in us-east-1 is refused', async () => {
    const err = await awsError(() => server.kms.send(new CreateKeyCommand({ KeySpec: 'SM2', KeyUsage: 'SIGN_VERIFY' })));
    assert.deepEqual(err, {
      name: 'UnsupportedOperationException',
      message: 'The SM2 key spec is available only in China Regions.',
      status: 400,
    });
  });
});

describe('CreateKey: KeyUsage rules', () => {
  test('a non-symmetric KeySpec without KeyUsage is refused', async () => {
    const err = await awsError(() => server.kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048' })));
    assert.deepEqual(err, {
      name: 'ValidationException',
      message: 'You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.',
      status: 400,
    });
  });

  test('the deprecated CustomerMasterKeySpec still selects the spec', async () => {
    const metadata = await createKey({ CustomerMasterKeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    assert.equal(metadata.KeySpec, 'ECC_NIST_P256');
    assert.equal(metadata.CustomerMasterKeySpec, 'ECC_NIST_P256');
    assert.deepEqual(metadata.SigningAlgorithms, ['ECDSA_SHA_256']);
  });
});

describe('CreateKey: Origin, Description and Tags', () => {
  test('Origin EXTERNAL creates a key pending import, without key material', async () => {
    const metadata = await createKey({ Origin: 'EXTERNAL' });
    assert.equal(metadata.Origin, 'EXTERNAL');
    assert.equal(metadata.KeyState, 'PendingImport');
    assert.equal(metadata.Enabled, false);
    assert.equal(metadata.KeySpec, 'SYMMETRIC_DEFAULT');
    assert.equal(metadata.CurrentKeyMaterialId, undefined);
    assert.equal((await describeKey(metadata.KeyId as string)).KeyState, 'PendingImport');
  });

  test('Tags given at creation are listed by ListResourceTags', async () => {
    const metadata = await createKey({
      Tags: [
        { TagKey: 'team', TagValue: 'payments' },
        { TagKey: 'env', TagValue: 'test' },
      ],
    });
    const { Tags } = await server.kms.send(new ListResourceTagsCommand({ KeyId: metadata.KeyId }));
    assert.deepEqual(Tags, [
      { TagKey: 'env', TagValue: 'test' },
      { TagKey: 'team', TagValue: 'payments' },
    ]);
  });

  test('a key created without tags has none', async () => {
    const metadata = await createKey();
    const { Tags, Truncated } = await server.kms.send(new ListResourceTagsCommand({ KeyId: metadata.KeyId }));
    assert.deepEqual(Tags, []);
    assert.equal(Truncated, false);
  });
});

describe('DescribeKey: identifier forms', () => {
  let keyId: string;
  before(async () => {
    keyId = (await createKey()).KeyId as string;
  });

  test('accepts the key id and the key ARN', async () => {
    assert.equal((await describeKey(keyId)).KeyId, keyId);
    assert.equal((await describeKey(arnOf(keyId))).KeyId, keyId);
  });

  test('an unknown alias -> NotFoundException', async () => {
    const err = await awsError(() => server.kms.send(new DescribeKeyCommand({ KeyId: 'alias/no-such-alias' })));
    assert.deepEqual(err, { name: 'NotFoundException', message: `Alias arn:aws:kms:us-east-1:${ACCOUNT}:alias/no-such-alias is not found.`, status: 400 });
  });
});

describe('ListKeys', () => {
  // A region no other file uses, so that nothing else adds keys to it while these tests run.
  // An endpoint may hold keys of earlier runs there: the tests count what is listed.
  const region = 'eu-west-1';
  const regional = () => server.client(region);
  const created: string[] = [];

  before(async () => {
    for (let i = 0; i < 5; i++) created.push((await createKey({}, regional())).KeyId as string);
  });

  const listAll = async (client: KMSClient, limit: number) =>
    (await allPages((marker) => client.send(new ListKeysCommand({ Limit: limit, ...(marker !== undefined && { Marker: marker }) })), (p) => p.Keys, limit))
      .entries;

  test('Limit 2 pages through every key of the region, each once, with Truncated and NextMarker', async () => {
    const listed = await listAll(regional(), 2);
    const ids = listed.map((k) => k.KeyId as string);
    assert.equal(new Set(ids).size, ids.length, 'a key was listed twice');
    for (const id of created) assert.ok(ids.includes(id), `${id} not listed`);
    for (const entry of listed) assert.equal(entry.KeyArn, arnOf(entry.KeyId as string, region));
  });

  test('without Limit, up to 100 keys, truncated only past 100', async () => {
    const total = (await listAll(regional(), 1000)).length;
    const page = await regional().send(new ListKeysCommand({}));
    assert.equal(page.Keys?.length, Math.min(total, 100));
    assert.equal(page.Truncated, total > 100);
    assert.equal(page.NextMarker !== undefined, total > 100);
  });

  test('Limit equal to the number of keys is not truncated', async () => {
    const total = (await listAll(regional(), 1000)).length;
    const page = await regional().send(new ListKeysCommand({ Limit: total }));
    assert.equal(page.Keys?.length, total);
    assert.equal(page.Truncated, false);
    assert.equal(page.NextMarker, undefined);
  });

  test('keys of other regions are not listed', async () => {
    const ids = new Set((await listAll(server.kms, 1000)).map((k) => k.KeyId));
    for (const id of created) assert.equal(ids.has(id), false, `${id} of ${region} listed in us-east-1`);
  });

  test('an invalid Marker is refused', async () => {
    const err = await awsError(() => regional().send(new ListKeysCommand({ Marker: 'not-a-marker' })));
    assert.deepEqual(err, { name: 'InvalidMarkerException', message: 'Invalid marker', status: 400 });
  });
});

describe('EnableKey and DisableKey', () => {
  test('DisableKey makes the key Disabled and unusable; EnableKey restores it', async () => {
    const { KeyId, Arn } = await createKey();
    await server.kms.send(new DisableKeyCommand({ KeyId }));
    const disabled = await describeKey(KeyId as string);
    assert.equal(disabled.KeyState, 'Disabled');
    assert.equal(disabled.Enabled, false);
    const err = await awsError(() => server.kms.send(new EncryptCommand({ KeyId, Plaintext: Buffer.from('x') })));
    assert.deepEqual(err, { name: 'DisabledException', message: `${Arn} is disabled.`, status: 400 });

    await server.kms.send(new EnableKeyCommand({ KeyId: Arn }));
    const enabled = await describeKey(KeyId as string);
    assert.equal(enabled.KeyState, 'Enabled');
    assert.equal(enabled.Enabled, true);
    await server.kms.send(new EncryptCommand({ KeyId, Plaintext: Buffer.from('x') }));
  });

  test('enabling an enabled key and disabling a disabled key succeed', async () => {
    const { KeyId } = await createKey();
    await server.kms.send(new EnableKeyCommand({ KeyId }));
    assert.equal((await describeKey(KeyId as string)).KeyState, 'Enabled');
    await server.kms.send(new DisableKeyCommand({ KeyId }));
    await server.kms.send(new DisableKeyCommand({ KeyId }));
    assert.equal((await describeKey(KeyId as string)).KeyState, 'Disabled');
  });

  test('EnableKey on a key pending import is refused', async () => {
    const { KeyId, Arn } = await createKey({ Origin: 'EXTERNAL' });
    const err = await awsError(() => server.kms.send(new EnableKeyCommand({ KeyId })));
    assert.deepEqual(err, { name: 'KMSInvalidStateException', message: `${Arn} is pending import.`, status: 400 });
  });
});

describe('ScheduleKeyDeletion and CancelKeyDeletion', () => {
  const windows = [
    { name: 'default window', days: undefined, expected: 30 },
    { name: 'minimum window', days: 7, expected: 7 },
    { name: 'a middle window', days: 15, expected: 15 },
    { name: 'maximum window', days: 30, expected: 30 },
  ];
  for (const row of windows) {
    test(`${row.name}: ${row.expected} days`, async () => {
      const { KeyId, Arn } = await createKey();
      const response = await server.kms.send(
        new ScheduleKeyDeletionCommand({ KeyId, ...(row.days !== undefined && { PendingWindowInDays: row.days }) }),
      );
      assert.equal(response.KeyId, Arn);
      assert.equal(response.KeyState, 'PendingDeletion');
      assert.equal(response.PendingWindowInDays, row.expected);
      assert.ok(response.DeletionDate instanceof Date);
      const expectedMs = Date.now() + row.expected * DAY_S * 1000;
      assert.ok(Math.abs(response.DeletionDate.getTime() - expectedMs) < 60_000, `DeletionDate ${response.DeletionDate.toISOString()}`);

      const described = await describeKey(KeyId as string);
      assert.deepEqual(Object.keys(described).sort(), [...SYMMETRIC_METADATA_FIELDS, 'DeletionDate'].sort());
      assert.equal(described.KeyState, 'PendingDeletion');
      assert.equal(described.Enabled, false);
      assert.equal(described.DeletionDate?.getTime(), response.DeletionDate.getTime());
    });
  }

  test('CancelKeyDeletion returns the key to Disabled, without DeletionDate', async () => {
    const { KeyId, Arn } = await createKey();
    await server.kms.send(new ScheduleKeyDeletionCommand({ KeyId }));
    const response = await server.kms.send(new CancelKeyDeletionCommand({ KeyId }));
    assert.equal(response.KeyId, Arn);
    const described = await describeKey(KeyId as string);
    assert.equal(described.KeyState, 'Disabled');
    assert.equal(described.Enabled, false);
    assert.equal(described.DeletionDate, undefined);
    await server.kms.send(new EnableKeyCommand({ KeyId }));
    assert.equal((await describeKey(KeyId as string)).KeyState, 'Enabled');
  });

  test('CancelKeyDeletion of a disabled key returns it to Disabled', async () => {
    const { KeyId } = await createKey();
    await server.kms.send(new DisableKeyCommand({ KeyId }));
    await server.kms.send(new ScheduleKeyDeletionCommand({ KeyId }));
    await server.kms.send(new CancelKeyDeletionCommand({ KeyId: arnOf(KeyId as string) }));
    assert.equal((await describeKey(KeyId as string)).KeyState, 'Disabled');
  });

  test('CancelKeyDeletion of an EXTERNAL key without material returns it to PendingImport', async () => {
    const { KeyId } = await createKey({ Origin: 'EXTERNAL' });
    const scheduled = await server.kms.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 }));
    assert.equal(scheduled.KeyState, 'PendingDeletion');
    await server.kms.send(new CancelKeyDeletionCommand({ KeyId }));
    const described = await describeKey(KeyId as string);
    assert.equal(described.KeyState, 'PendingImport');
    assert.equal(described.DeletionDate, undefined);
  });
});
