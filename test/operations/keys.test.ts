/**
 * The key life-cycle operations' errors, in-process: CreateKey's KeySpec and KeyUsage rules,
 * DescribeKey's identifier errors, ListKeys, EnableKey/DisableKey and
 * ScheduleKeyDeletion/CancelKeyDeletion against keys in the wrong state (AWS-BEHAVIOUR.md, "Key
 * identifiers" and "Key states"). The happy paths and one error of each kind run over HTTP with
 * the AWS SDK in test/functional/keys.test.ts; the deletion windows and the sweep are in
 * test/unit/key-lifecycle.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aliasArn, b64, keyArn, type CreatedKey } from '../helpers/in-process.js';
import { errorRows, inProcessFixture, unknownKeyRow, type ErrorRow } from './error-table.js';

const KEY_SPEC_ENUM =
  '[RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SYMMETRIC_DEFAULT, ' +
  'HMAC_224, HMAC_256, HMAC_384, HMAC_512, SM2, ML_DSA_44, ML_DSA_65, ML_DSA_87, ECC_NIST_EDWARDS25519, ML_KEM_512, ' +
  'ML_KEM_768, ML_KEM_1024]';
const MISSING_USAGE = 'You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.';

describe('CreateKey errors', () => {
  const fixture = inProcessFixture(async () => ({}));
  const rows: ErrorRow<object>[] = [
    {
      name: 'SM2 in us-east-1',
      operation: 'CreateKey',
      body: () => ({ KeySpec: 'SM2', KeyUsage: 'SIGN_VERIFY' }),
      error: 'UnsupportedOperationException',
      message: 'The SM2 key spec is available only in China Regions.',
    },
    ...(['RSA_2048', 'ECC_NIST_P256', 'ECC_NIST_EDWARDS25519', 'HMAC_256', 'ML_DSA_44', 'ML_KEM_512'] as const).map(
      (keySpec): ErrorRow<object> => ({
        name: `${keySpec} without KeyUsage`,
        operation: 'CreateKey',
        body: () => ({ KeySpec: keySpec }),
        error: 'ValidationException',
        message: MISSING_USAGE,
      }),
    ),
    ...(
      [
        ['SYMMETRIC_DEFAULT', 'SIGN_VERIFY'],
        ['RSA_2048', 'KEY_AGREEMENT'],
        ['RSA_3072', 'GENERATE_VERIFY_MAC'],
        ['ECC_NIST_P256', 'ENCRYPT_DECRYPT'],
        ['ECC_SECG_P256K1', 'KEY_AGREEMENT'],
        ['ECC_NIST_EDWARDS25519', 'KEY_AGREEMENT'],
        ['HMAC_256', 'ENCRYPT_DECRYPT'],
        ['ML_DSA_65', 'ENCRYPT_DECRYPT'],
        ['ML_KEM_768', 'SIGN_VERIFY'],
      ] as const
    ).map(
      ([keySpec, keyUsage]): ErrorRow<object> => ({
        name: `${keySpec} with ${keyUsage}`,
        operation: 'CreateKey',
        body: () => ({ KeySpec: keySpec, KeyUsage: keyUsage }),
        error: 'ValidationException',
        message: `KeyUsage ${keyUsage} is not compatible with KeySpec ${keySpec}.`,
      }),
    ),
    {
      name: 'KeySpec and CustomerMasterKeySpec together',
      operation: 'CreateKey',
      body: () => ({ KeySpec: 'RSA_2048', CustomerMasterKeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }),
      error: 'ValidationException',
      message: 'You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.',
    },
    {
      name: 'an unknown KeySpec, refused by model validation with the enum listed',
      operation: 'CreateKey',
      body: () => ({ KeySpec: 'RSA_1024', KeyUsage: 'SIGN_VERIFY' }),
      error: 'ValidationException',
      message: `1 validation error detected: Value 'RSA_1024' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: ${KEY_SPEC_ENUM}`,
    },
  ];
  errorRows(fixture, rows);

  it('the refused requests created no key', async () => {
    assert.deepEqual((await fixture.t.ok('ListKeys', {})).Keys, []);
  });
});

describe('DescribeKey: identifier errors', () => {
  const fixture = inProcessFixture(async (t) => ({ key: await t.createKey() }));
  const unknownId = '00000000-1111-2222-3333-444444444444';
  const rows: ErrorRow<{ key: CreatedKey }>[] = [
    { name: 'a malformed key id', keyId: 'fake-key-id', message: "Invalid keyId 'fake-key-id'" },
    { name: 'a UUID without dashes', keyId: '00000000111122223333444444444444', message: "Invalid keyId '00000000111122223333444444444444'" },
    { name: 'an unknown key id', keyId: unknownId, message: `Key '${keyArn(unknownId)}' does not exist` },
    { name: 'an unknown key ARN', keyId: keyArn(unknownId), message: `Key '${keyArn(unknownId)}' does not exist` },
    { name: 'the ARN of another region', keyId: keyArn(unknownId, 'eu-central-1'), message: 'Invalid arn eu-central-1' },
    { name: 'an unknown alias', keyId: 'alias/no-such-alias', message: `Alias ${aliasArn('alias/no-such-alias')} is not found.` },
  ].map((row) => ({ name: row.name, operation: 'DescribeKey', body: () => ({ KeyId: row.keyId }), error: 'NotFoundException', message: row.message }));
  rows.push({
    name: 'a key of us-east-1 asked for from us-west-2',
    operation: 'DescribeKey',
    body: (f) => ({ KeyId: f.key.keyId }),
    options: { region: 'us-west-2' },
    error: 'NotFoundException',
    message: (f) => `Key '${keyArn(f.key.keyId, 'us-west-2')}' does not exist`,
  });
  errorRows(fixture, rows);
});

describe('ListKeys errors', () => {
  errorRows(inProcessFixture(async () => ({})), [
    { name: 'an invalid Marker', operation: 'ListKeys', body: () => ({ Marker: 'not-a-marker' }), error: 'InvalidMarkerException', message: 'Invalid marker' },
    {
      name: 'Limit 0',
      operation: 'ListKeys',
      body: () => ({ Limit: 0 }),
      error: 'ValidationException',
      message: "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    },
  ]);
});

describe('state changes refused by the key state', () => {
  interface Keys {
    external: CreatedKey;
    enabled: CreatedKey;
  }
  const fixture = inProcessFixture<Keys>(async (t) => ({ external: await t.createKey({ Origin: 'EXTERNAL' }), enabled: await t.createKey() }));
  errorRows(fixture, [
    {
      name: 'EnableKey on a key pending import',
      operation: 'EnableKey',
      body: (f) => ({ KeyId: f.external.keyId }),
      error: 'KMSInvalidStateException',
      message: (f) => `${f.external.arn} is pending import.`,
    },
    unknownKeyRow('EnableKey on an unknown key', 'EnableKey', (KeyId) => ({ KeyId })),
    unknownKeyRow('ScheduleKeyDeletion of an unknown key', 'ScheduleKeyDeletion', (KeyId) => ({ KeyId })),
    {
      name: 'CancelKeyDeletion of an enabled key',
      operation: 'CancelKeyDeletion',
      body: (f) => ({ KeyId: f.enabled.keyId }),
      error: 'KMSInvalidStateException',
      message: (f) => `${f.enabled.arn} is not pending deletion.`,
    },
  ]);

  it('the refused calls left each key in its state', async () => {
    const { t, f } = fixture;
    const states = [];
    for (const key of [f.external, f.enabled]) states.push(((await t.ok('DescribeKey', { KeyId: key.keyId })).KeyMetadata as { KeyState: string }).KeyState);
    assert.deepEqual(states, ['PendingImport', 'Enabled']);
  });
});

describe('a key pending deletion', () => {
  const fixture = inProcessFixture(async (t) => {
    const key = await t.createKey();
    const scheduled = await t.ok('ScheduleKeyDeletion', { KeyId: key.keyId, PendingWindowInDays: 7 });
    return { key, deletionDate: scheduled.DeletionDate };
  });
  const pending = (operation: string, body: (keyId: string) => Record<string, unknown>): ErrorRow<{ key: CreatedKey }> => ({
    name: `${operation} of a key pending deletion`,
    operation,
    body: (f) => body(f.key.keyId),
    error: 'KMSInvalidStateException',
    message: (f) => `${f.key.arn} is pending deletion.`,
  });
  errorRows(fixture, [
    pending('ScheduleKeyDeletion', (KeyId) => ({ KeyId, PendingWindowInDays: 20 })),
    pending('EnableKey', (KeyId) => ({ KeyId })),
    pending('DisableKey', (KeyId) => ({ KeyId })),
    pending('Encrypt', (KeyId) => ({ KeyId, Plaintext: b64('x') })),
  ]);

  it('the refused second schedule did not move the deletion date', async () => {
    const { t, f } = fixture;
    const metadata = (await t.ok('DescribeKey', { KeyId: f.key.keyId })).KeyMetadata as { KeyState: string; DeletionDate: number };
    assert.deepEqual([metadata.KeyState, metadata.DeletionDate], ['PendingDeletion', f.deletionDate]);
  });
});
