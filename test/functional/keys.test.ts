/**
 * Functional tests of the key life cycle through the AWS SDK over HTTP: CreateKey for every
 * KeySpec and its KeyUsage rules, DescribeKey's metadata, identifier forms, ListKeys paging,
 * EnableKey/DisableKey and ScheduleKeyDeletion/CancelKeyDeletion with AWS's state rules
 * (AWS-BEHAVIOUR.md, "Key states" and "DescribeKey / CreateKey metadata").
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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
  type ListKeysCommandOutput,
} from '@aws-sdk/client-kms';
import { awsError, kmsClient } from '../helpers/clients.js';
import { removeDataDir, spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';

const ACCOUNT = '111122223333';
const DAY_S = 24 * 60 * 60;

let server: SpawnedServer | undefined;
let kms: KMSClient;

before(async () => {
  server = await spawnServer();
  kms = kmsClient(server.url);
});

after(async () => {
  kms?.destroy();
  if (server) {
    await server.stop();
    removeDataDir(server.dataDir);
  }
});

async function createKey(input: CreateKeyCommandInput = {}, client: KMSClient = kms): Promise<KeyMetadata> {
  const { KeyMetadata: metadata } = await client.send(new CreateKeyCommand(input));
  assert.ok(metadata?.KeyId, 'CreateKey returned no KeyMetadata.KeyId');
  return metadata;
}

async function describeKey(keyId: string, client: KMSClient = kms): Promise<KeyMetadata> {
  const { KeyMetadata: metadata } = await client.send(new DescribeKeyCommand({ KeyId: keyId }));
  assert.ok(metadata, 'DescribeKey returned no KeyMetadata');
  return metadata;
}

function arnOf(keyId: string, region = 'us-east-1', partition = 'aws'): string {
  return `arn:${partition}:kms:${region}:${ACCOUNT}:key/${keyId}`;
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
  let cnKms: KMSClient;
  before(() => {
    cnKms = kmsClient((server as SpawnedServer).url, 'cn-north-1');
  });
  after(() => cnKms.destroy());

  const rows: { keyUsage: 'SIGN_VERIFY' | 'ENCRYPT_DECRYPT'; lists: Partial<Record<AlgorithmList, string[]>> }[] = [
    { keyUsage: 'SIGN_VERIFY', lists: { SigningAlgorithms: ['SM2DSA'] } },
    { keyUsage: 'ENCRYPT_DECRYPT', lists: { EncryptionAlgorithms: ['SM2PKE'] } },
  ];
  for (const row of rows) {
    test(`SM2 with ${row.keyUsage} in cn-north-1 has an aws-cn ARN`, async () => {
      const metadata = await createKey({ KeySpec: 'SM2', KeyUsage: row.keyUsage }, cnKms);
      assert.equal(metadata.KeySpec, 'SM2');
      assert.equal(metadata.CustomerMasterKeySpec, 'SM2');
      assert.equal(metadata.KeyUsage, row.keyUsage);
      assert.equal(metadata.Arn, arnOf(metadata.KeyId as string, 'cn-north-1', 'aws-cn'));
      for (const list of ALGORITHM_LISTS) assert.deepEqual(metadata[list], row.lists[list], list);
      assert.equal((await describeKey(metadata.Arn as string, cnKms)).KeyId, metadata.KeyId);
    });
  }

  test('SM2 in us-east-1 is refused', async () => {
    const err = await awsError(() => kms.send(new CreateKeyCommand({ KeySpec: 'SM2', KeyUsage: 'SIGN_VERIFY' })));
    assert.deepEqual(err, {
      name: 'UnsupportedOperationException',
      message: 'The SM2 key spec is available only in China Regions.',
      status: 400,
    });
  });
});

describe('CreateKey: KeyUsage rules', () => {
  const missingUsage = 'You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.';
  for (const keySpec of ['RSA_2048', 'ECC_NIST_P256', 'ECC_NIST_EDWARDS25519', 'HMAC_256', 'ML_DSA_44', 'ML_KEM_512'] as const) {
    test(`${keySpec} without KeyUsage is refused`, async () => {
      const err = await awsError(() => kms.send(new CreateKeyCommand({ KeySpec: keySpec })));
      assert.deepEqual(err, { name: 'ValidationException', message: missingUsage, status: 400 });
    });
  }

  const incompatible = [
    { keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'SIGN_VERIFY' },
    { keySpec: 'RSA_2048', keyUsage: 'KEY_AGREEMENT' },
    { keySpec: 'RSA_3072', keyUsage: 'GENERATE_VERIFY_MAC' },
    { keySpec: 'ECC_NIST_P256', keyUsage: 'ENCRYPT_DECRYPT' },
    { keySpec: 'ECC_SECG_P256K1', keyUsage: 'KEY_AGREEMENT' },
    { keySpec: 'ECC_NIST_EDWARDS25519', keyUsage: 'KEY_AGREEMENT' },
    { keySpec: 'HMAC_256', keyUsage: 'ENCRYPT_DECRYPT' },
    { keySpec: 'ML_DSA_65', keyUsage: 'ENCRYPT_DECRYPT' },
    { keySpec: 'ML_KEM_768', keyUsage: 'SIGN_VERIFY' },
  ] as const;
  for (const { keySpec, keyUsage } of incompatible) {
    test(`${keySpec} with ${keyUsage} is refused`, async () => {
      const err = await awsError(() => kms.send(new CreateKeyCommand({ KeySpec: keySpec, KeyUsage: keyUsage })));
      assert.deepEqual(err, {
        name: 'ValidationException',
        message: `KeyUsage ${keyUsage} is not compatible with KeySpec ${keySpec}.`,
        status: 400,
      });
    });
  }

  test('the deprecated CustomerMasterKeySpec still selects the spec', async () => {
    const metadata = await createKey({ CustomerMasterKeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    assert.equal(metadata.KeySpec, 'ECC_NIST_P256');
    assert.equal(metadata.CustomerMasterKeySpec, 'ECC_NIST_P256');
    assert.deepEqual(metadata.SigningAlgorithms, ['ECDSA_SHA_256']);
  });

  test('KeySpec and CustomerMasterKeySpec together are refused', async () => {
    const err = await awsError(() =>
      kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', CustomerMasterKeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })),
    );
    assert.deepEqual(err, {
      name: 'ValidationException',
      message: 'You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.',
      status: 400,
    });
  });

  test('an unknown KeySpec is refused by model validation with the enum listed', async () => {
    const err = await awsError(() => kms.send(new CreateKeyCommand({ KeySpec: 'RSA_1024' as 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })));
    assert.equal(err.name, 'ValidationException');
    assert.match(
      err.message,
      /^1 validation error detected: Value 'RSA_1024' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: \[.*SYMMETRIC_DEFAULT.*\]$/,
    );
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
    const { Tags } = await kms.send(new ListResourceTagsCommand({ KeyId: metadata.KeyId }));
    assert.deepEqual(Tags, [
      { TagKey: 'env', TagValue: 'test' },
      { TagKey: 'team', TagValue: 'payments' },
    ]);
  });

  test('a key created without tags has none', async () => {
    const metadata = await createKey();
    const { Tags, Truncated } = await kms.send(new ListResourceTagsCommand({ KeyId: metadata.KeyId }));
    assert.deepEqual(Tags, []);
    assert.equal(Truncated, false);
  });
});

describe('DescribeKey: identifier forms and their errors', () => {
  let keyId: string;
  before(async () => {
    keyId = (await createKey()).KeyId as string;
  });

  test('accepts the key id and the key ARN', async () => {
    assert.equal((await describeKey(keyId)).KeyId, keyId);
    assert.equal((await describeKey(arnOf(keyId))).KeyId, keyId);
  });

  const unknownId = '00000000-1111-2222-3333-444444444444';
  const errors = [
    { name: 'malformed key id', keyId: 'fake-key-id', error: 'NotFoundException', message: "Invalid keyId 'fake-key-id'" },
    {
      name: 'UUID without dashes',
      keyId: '00000000111122223333444444444444',
      error: 'NotFoundException',
      message: "Invalid keyId '00000000111122223333444444444444'",
    },
    { name: 'unknown key id', keyId: unknownId, error: 'NotFoundException', message: `Key '${arnOf(unknownId)}' does not exist` },
    { name: 'unknown key ARN', keyId: arnOf(unknownId), error: 'NotFoundException', message: `Key '${arnOf(unknownId)}' does not exist` },
    { name: 'ARN of another region', keyId: arnOf(unknownId, 'eu-central-1'), error: 'NotFoundException', message: 'Invalid arn eu-central-1' },
    {
      name: 'unknown alias',
      keyId: 'alias/no-such-alias',
      error: 'NotFoundException',
      message: `Alias arn:aws:kms:us-east-1:${ACCOUNT}:alias/no-such-alias is not found.`,
    },
  ];
  for (const row of errors) {
    test(`${row.name} -> ${row.error}`, async () => {
      const err = await awsError(() => kms.send(new DescribeKeyCommand({ KeyId: row.keyId })));
      assert.deepEqual(err, { name: row.error, message: row.message, status: 400 });
    });
  }

  test('a key is not visible from another region', async () => {
    const west = kmsClient((server as SpawnedServer).url, 'us-west-2');
    try {
      const err = await awsError(() => west.send(new DescribeKeyCommand({ KeyId: keyId })));
      assert.deepEqual(err, {
        name: 'NotFoundException',
        message: `Key '${arnOf(keyId, 'us-west-2')}' does not exist`,
        status: 400,
      });
    } finally {
      west.destroy();
    }
  });
});

describe('ListKeys', () => {
  // A region of its own, so that the listing holds exactly the keys made here.
  const region = 'eu-west-1';
  let regional: KMSClient;
  const created: string[] = [];

  before(async () => {
    regional = kmsClient((server as SpawnedServer).url, region);
    for (let i = 0; i < 5; i++) created.push((await createKey({}, regional)).KeyId as string);
  });
  after(() => regional.destroy());

  test('without Limit lists every key of the region once, not truncated', async () => {
    const page = await regional.send(new ListKeysCommand({}));
    assert.equal(page.Truncated, false);
    assert.equal(page.NextMarker, undefined);
    const ids = (page.Keys ?? []).map((k) => k.KeyId as string);
    assert.deepEqual([...ids].sort(), [...created].sort());
    for (const entry of page.Keys ?? []) assert.equal(entry.KeyArn, arnOf(entry.KeyId as string, region));
  });

  test('Limit 2 pages through all 5 keys with Truncated and NextMarker', async () => {
    const pages: ListKeysCommandOutput[] = [];
    let marker: string | undefined;
    do {
      const page = await regional.send(new ListKeysCommand({ Limit: 2, ...(marker !== undefined && { Marker: marker }) }));
      pages.push(page);
      marker = page.NextMarker;
      assert.ok(pages.length <= 5, 'paging does not end');
    } while (marker !== undefined);
    assert.deepEqual(
      pages.map((p) => [p.Keys?.length, p.Truncated, p.NextMarker !== undefined]),
      [
        [2, true, true],
        [2, true, true],
        [1, false, false],
      ],
    );
    const seen = pages.flatMap((p) => (p.Keys ?? []).map((k) => k.KeyId as string));
    assert.equal(new Set(seen).size, seen.length, 'a key was listed twice');
    assert.deepEqual([...seen].sort(), [...created].sort());
  });

  test('Limit equal to the number of keys is not truncated', async () => {
    const page = await regional.send(new ListKeysCommand({ Limit: 5 }));
    assert.equal(page.Keys?.length, 5);
    assert.equal(page.Truncated, false);
    assert.equal(page.NextMarker, undefined);
  });

  test('keys of other regions are not listed', async () => {
    const page = await kms.send(new ListKeysCommand({ Limit: 1000 }));
    const ids = new Set((page.Keys ?? []).map((k) => k.KeyId));
    for (const id of created) assert.equal(ids.has(id), false, `${id} of ${region} listed in us-east-1`);
  });

  test('an invalid Marker is refused', async () => {
    const err = await awsError(() => regional.send(new ListKeysCommand({ Marker: 'not-a-marker' })));
    assert.deepEqual(err, { name: 'InvalidMarkerException', message: 'Invalid marker', status: 400 });
  });

  test('Limit 0 is refused by model validation', async () => {
    const err = await awsError(() => regional.send(new ListKeysCommand({ Limit: 0 })));
    assert.deepEqual(err, {
      name: 'ValidationException',
      message: "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
      status: 400,
    });
  });
});

describe('EnableKey and DisableKey', () => {
  test('DisableKey makes the key Disabled and unusable; EnableKey restores it', async () => {
    const { KeyId, Arn } = await createKey();
    await kms.send(new DisableKeyCommand({ KeyId }));
    const disabled = await describeKey(KeyId as string);
    assert.equal(disabled.KeyState, 'Disabled');
    assert.equal(disabled.Enabled, false);
    const err = await awsError(() => kms.send(new EncryptCommand({ KeyId, Plaintext: Buffer.from('x') })));
    assert.deepEqual(err, { name: 'DisabledException', message: `${Arn} is disabled.`, status: 400 });

    await kms.send(new EnableKeyCommand({ KeyId: Arn }));
    const enabled = await describeKey(KeyId as string);
    assert.equal(enabled.KeyState, 'Enabled');
    assert.equal(enabled.Enabled, true);
    await kms.send(new EncryptCommand({ KeyId, Plaintext: Buffer.from('x') }));
  });

  test('enabling an enabled key and disabling a disabled key succeed', async () => {
    const { KeyId } = await createKey();
    await kms.send(new EnableKeyCommand({ KeyId }));
    assert.equal((await describeKey(KeyId as string)).KeyState, 'Enabled');
    await kms.send(new DisableKeyCommand({ KeyId }));
    await kms.send(new DisableKeyCommand({ KeyId }));
    assert.equal((await describeKey(KeyId as string)).KeyState, 'Disabled');
  });

  test('EnableKey on a key pending import is refused', async () => {
    const { KeyId, Arn } = await createKey({ Origin: 'EXTERNAL' });
    const err = await awsError(() => kms.send(new EnableKeyCommand({ KeyId })));
    assert.deepEqual(err, { name: 'KMSInvalidStateException', message: `${Arn} is pending import.`, status: 400 });
  });

  test('EnableKey on an unknown key', async () => {
    const id = '0badc0de-0000-4000-8000-000000000000';
    const err = await awsError(() => kms.send(new EnableKeyCommand({ KeyId: id })));
    assert.deepEqual(err, { name: 'NotFoundException', message: `Key '${arnOf(id)}' does not exist`, status: 400 });
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
      const response = await kms.send(
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

  for (const row of [
    { days: 6, bound: 'greater than or equal to 7' },
    { days: 31, bound: 'less than or equal to 30' },
  ]) {
    test(`a window of ${row.days} days is refused and leaves the key Enabled`, async () => {
      const { KeyId } = await createKey();
      const err = await awsError(() => kms.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: row.days })));
      assert.deepEqual(err, {
        name: 'ValidationException',
        message: `1 validation error detected: Value '${row.days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value ${row.bound}`,
        status: 400,
      });
      assert.equal((await describeKey(KeyId as string)).KeyState, 'Enabled');
    });
  }

  test('scheduling twice, enabling, disabling and using a key pending deletion are refused', async () => {
    const { KeyId, Arn } = await createKey();
    const first = await kms.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 }));
    const pending = { name: 'KMSInvalidStateException', message: `${Arn} is pending deletion.`, status: 400 };
    assert.deepEqual(await awsError(() => kms.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 20 }))), pending);
    assert.deepEqual(await awsError(() => kms.send(new EnableKeyCommand({ KeyId }))), pending);
    assert.deepEqual(await awsError(() => kms.send(new DisableKeyCommand({ KeyId }))), pending);
    assert.deepEqual(await awsError(() => kms.send(new EncryptCommand({ KeyId, Plaintext: Buffer.from('x') }))), pending);
    // The refused second schedule did not move the deletion date.
    assert.equal((await describeKey(KeyId as string)).DeletionDate?.getTime(), first.DeletionDate?.getTime());
  });

  test('CancelKeyDeletion returns the key to Disabled, without DeletionDate', async () => {
    const { KeyId, Arn } = await createKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId }));
    const response = await kms.send(new CancelKeyDeletionCommand({ KeyId }));
    assert.equal(response.KeyId, Arn);
    const described = await describeKey(KeyId as string);
    assert.equal(described.KeyState, 'Disabled');
    assert.equal(described.Enabled, false);
    assert.equal(described.DeletionDate, undefined);
    await kms.send(new EnableKeyCommand({ KeyId }));
    assert.equal((await describeKey(KeyId as string)).KeyState, 'Enabled');
  });

  test('CancelKeyDeletion of a disabled key returns it to Disabled', async () => {
    const { KeyId } = await createKey();
    await kms.send(new DisableKeyCommand({ KeyId }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId }));
    await kms.send(new CancelKeyDeletionCommand({ KeyId: arnOf(KeyId as string) }));
    assert.equal((await describeKey(KeyId as string)).KeyState, 'Disabled');
  });

  test('CancelKeyDeletion of an EXTERNAL key without material returns it to PendingImport', async () => {
    const { KeyId } = await createKey({ Origin: 'EXTERNAL' });
    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 }));
    assert.equal(scheduled.KeyState, 'PendingDeletion');
    await kms.send(new CancelKeyDeletionCommand({ KeyId }));
    const described = await describeKey(KeyId as string);
    assert.equal(described.KeyState, 'PendingImport');
    assert.equal(described.DeletionDate, undefined);
  });

  test('CancelKeyDeletion of an enabled key is refused', async () => {
    const { KeyId, Arn } = await createKey();
    const err = await awsError(() => kms.send(new CancelKeyDeletionCommand({ KeyId })));
    assert.deepEqual(err, { name: 'KMSInvalidStateException', message: `${Arn} is not pending deletion.`, status: 400 });
    assert.equal((await describeKey(KeyId as string)).KeyState, 'Enabled');
  });

  test('ScheduleKeyDeletion of an unknown key', async () => {
    const id = '0badc0de-0000-4000-8000-000000000001';
    const err = await awsError(() => kms.send(new ScheduleKeyDeletionCommand({ KeyId: id })));
    assert.deepEqual(err, { name: 'NotFoundException', message: `Key '${arnOf(id)}' does not exist`, status: 400 });
  });
});
