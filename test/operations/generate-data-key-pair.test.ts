/**
 * GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext errors, in-process: every way to
 * name a wrong key (AWS-BEHAVIOUR.md, "Key identifiers", "Key states"), wrapping keys of the
 * wrong kind, model validation, SM2 outside China Regions, Recipient, DryRun, and Decrypt of a
 * PrivateKeyCiphertextBlob with the wrong context or key. The pairs themselves, checked by
 * node:crypto and openssl, and one error of each kind run over HTTP with the AWS SDK in
 * test/functional/generate-data-key-pair.test.ts; GrantTokens are in grant-tokens.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { describe } from 'node:test';
import { aliasArn, b64, keyArn, type CreatedKey, type TestApp } from '../helpers/in-process.js';
import { errorRows, inProcessFixture, type ErrorRow } from './error-table.js';

const OPERATIONS = ['GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext'] as const;
const KEY_PAIR_SPEC_ENUM =
  '[RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SM2, ' +
  'ECC_NIST_EDWARDS25519, ML_KEM_512, ML_KEM_768, ML_KEM_1024]';
const enumMessage = (value: string) =>
  `1 validation error detected: Value '${value}' at 'keyPairSpec' failed to satisfy constraint: Member must satisfy enum value set: ${KEY_PAIR_SPEC_ENUM}`;

async function fixtures(t: TestApp) {
  const key = await t.createKey();
  const disabled = await t.createKey();
  await t.ok('DisableKey', { KeyId: disabled.keyId });
  const pendingDeletion = await t.createKey();
  await t.ok('ScheduleKeyDeletion', { KeyId: pendingDeletion.keyId, PendingWindowInDays: 7 });
  return {
    key,
    other: await t.createKey(),
    disabled,
    pendingDeletion,
    external: await t.createKey({ Origin: 'EXTERNAL' }),
    rsaSigning: await t.createKey({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }),
    eccSigning: await t.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }),
    rsaEncryption: await t.createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }),
    hmac: await t.createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }),
    mlKem: await t.createKey({ KeySpec: 'ML_KEM_768', KeyUsage: 'ENCAPSULATE_DECAPSULATE' }),
    mlDsa: await t.createKey({ KeySpec: 'ML_DSA_65', KeyUsage: 'SIGN_VERIFY' }),
  };
}
type Keys = Awaited<ReturnType<typeof fixtures>>;

// One app and one set of keys for every table below: no row changes a key's state.
const fixture = inProcessFixture(fixtures);

describe('GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext errors', () => {
  const unknownId = randomUUID();

  interface Row {
    title: string;
    keyId: (f: Keys) => string;
    keyPairSpec?: string;
    error: string;
    message: (f: Keys, operation: string) => string;
  }
  const notFound = (title: string, keyId: string, message: string): Row => ({ title, keyId: () => keyId, error: 'NotFoundException', message: () => message });
  const inState = (title: string, pick: (f: Keys) => CreatedKey, error: string, state: string): Row => ({
    title,
    keyId: (f) => pick(f).keyId,
    error,
    message: (f) => `${pick(f).arn} is ${state}.`,
  });
  const usage = (title: string, pick: (f: Keys) => CreatedKey, what: string): Row => ({
    title,
    keyId: (f) => pick(f).keyId,
    error: 'InvalidKeyUsageException',
    message: (f, operation) => `${pick(f).arn} ${what} which is not valid for ${operation}.`,
  });
  const rows: Row[] = [
    notFound('a malformed key id', 'fake-key-id', "Invalid keyId 'fake-key-id'"),
    notFound('a UUID without dashes', unknownId.replaceAll('-', ''), `Invalid keyId '${unknownId.replaceAll('-', '')}'`),
    notFound('an unknown key id', unknownId, `Key '${keyArn(unknownId)}' does not exist`),
    notFound('an unknown key ARN', keyArn(unknownId), `Key '${keyArn(unknownId)}' does not exist`),
    { title: 'the ARN of an existing key id in another region', keyId: (f) => keyArn(f.key.keyId, 'us-west-2'), error: 'NotFoundException', message: () => 'Invalid arn us-west-2' },
    notFound('an unknown alias name', 'alias/nope', `Alias ${aliasArn('alias/nope')} is not found.`),
    notFound('an unknown alias ARN', aliasArn('alias/nope'), `Alias ${aliasArn('alias/nope')} is not found.`),
    inState('a disabled key', (f) => f.disabled, 'DisabledException', 'disabled'),
    { ...inState('a disabled key named by its ARN', (f) => f.disabled, 'DisabledException', 'disabled'), keyId: (f) => f.disabled.arn },
    inState('a key pending deletion', (f) => f.pendingDeletion, 'KMSInvalidStateException', 'pending deletion'),
    inState('an Origin EXTERNAL key without material', (f) => f.external, 'KMSInvalidStateException', 'pending import'),
    usage('an RSA_2048 SIGN_VERIFY key', (f) => f.rsaSigning, 'key usage is SIGN_VERIFY'),
    usage('an ECC_NIST_P256 SIGN_VERIFY key', (f) => f.eccSigning, 'key usage is SIGN_VERIFY'),
    usage('an RSA_2048 ENCRYPT_DECRYPT key', (f) => f.rsaEncryption, 'key spec is RSA_2048'),
    usage('an HMAC_256 key', (f) => f.hmac, 'key usage is GENERATE_VERIFY_MAC'),
    usage('an ML_KEM_768 KMS key', (f) => f.mlKem, 'key usage is ENCAPSULATE_DECAPSULATE'),
    usage('an ML_DSA_65 KMS key', (f) => f.mlDsa, 'key usage is SIGN_VERIFY'),
    { title: 'an unknown KeyPairSpec', keyId: (f) => f.key.keyId, keyPairSpec: 'RSA_1024', error: 'ValidationException', message: () => enumMessage('RSA_1024') },
    {
      title: 'a KeyPairSpec in the wrong case',
      keyId: (f) => f.key.keyId,
      keyPairSpec: 'ecc_nist_p256',
      error: 'ValidationException',
      message: () => enumMessage('ecc_nist_p256'),
    },
    {
      title: 'SM2 in us-east-1',
      keyId: (f) => f.key.keyId,
      keyPairSpec: 'SM2',
      error: 'UnsupportedOperationException',
      message: () => 'The SM2 key spec is available only in China Regions.',
    },
  ];
  const table: ErrorRow<Keys>[] = [];
  for (const operation of OPERATIONS) {
    for (const row of rows) {
      table.push({
        name: `${operation} with ${row.title}`,
        operation,
        body: (f) => ({ KeyId: row.keyId(f), KeyPairSpec: row.keyPairSpec ?? 'ECC_NIST_P256' }),
        error: row.error,
        message: (f) => row.message(f, operation),
      });
    }
    table.push({
      name: `${operation} in cn-north-1 naming a us-east-1 key ARN`,
      operation,
      body: (f) => ({ KeyId: f.key.arn, KeyPairSpec: 'SM2' }),
      options: { region: 'cn-north-1' },
      error: 'NotFoundException',
      message: 'Invalid arn us-east-1',
    });
  }
  table.push({
    name: 'GenerateDataKeyPair with a Recipient whose document is not CBOR',
    operation: 'GenerateDataKeyPair',
    body: (f) => ({
      KeyId: f.key.keyId,
      KeyPairSpec: 'ECC_NIST_P256',
      Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: b64(Buffer.alloc(64, 7)) },
    }),
    error: 'ValidationException',
    message: 'The attestation document in Recipient is not valid: the document is not well-formed CBOR.',
  });
  errorRows(fixture, table);
});

describe('GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext with DryRun', () => {
  const table: ErrorRow<Keys>[] = [];
  for (const operation of OPERATIONS) {
    const dryRun = (title: string, body: (f: Keys) => Record<string, unknown>, error: string, message: ErrorRow<Keys>['message']): ErrorRow<Keys> => ({
      name: `${operation} with DryRun${title}`,
      operation,
      body: (f) => ({ KeyPairSpec: 'ECC_NIST_P256', ...body(f), DryRun: true }),
      error,
      message,
    });
    table.push(
      dryRun('', (f) => ({ KeyId: f.key.keyId }), 'DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.'),
      dryRun(' on a disabled key: the state wins', (f) => ({ KeyId: f.disabled.keyId }), 'DisabledException', (f) => `${f.disabled.arn} is disabled.`),
      dryRun(' on an unknown alias: NotFoundException wins', () => ({ KeyId: 'alias/dry-run-nope' }), 'NotFoundException', `Alias ${aliasArn('alias/dry-run-nope')} is not found.`),
      dryRun(' and an invalid KeyPairSpec: validation wins', (f) => ({ KeyId: f.key.keyId, KeyPairSpec: 'RSA_1024' }), 'ValidationException', enumMessage('RSA_1024')),
    );
  }
  errorRows(fixture, table);
});

describe('Decrypt of a PrivateKeyCiphertextBlob', () => {

  /** A pair's blob, after checking that it does decrypt with the context it was made with. */
  async function privateKeyBlob(t: TestApp, operation: string, keyId: string, context?: Record<string, string>): Promise<string> {
    const pair = await t.ok(operation, { KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256', ...(context && { EncryptionContext: context }) });
    const blob = pair.PrivateKeyCiphertextBlob as string;
    await t.ok('Decrypt', { CiphertextBlob: blob, ...(context && { EncryptionContext: context }) });
    return blob;
  }

  const contexts: { title: string; generatedWith?: Record<string, string>; decryptWith?: Record<string, string> }[] = [
    { title: 'a different value', generatedWith: { tenant: 'a' }, decryptWith: { tenant: 'b' } },
    { title: 'a context key differing only in case', generatedWith: { tenant: 'a' }, decryptWith: { Tenant: 'a' } },
    { title: 'no context for a blob made with one', generatedWith: { tenant: 'a' } },
    { title: 'a context for a blob made without one', decryptWith: { tenant: 'a' } },
    { title: 'one pair of two', generatedWith: { tenant: 'a', stage: 'prod' }, decryptWith: { tenant: 'a' } },
    { title: 'an extra pair', generatedWith: { tenant: 'a' }, decryptWith: { tenant: 'a', stage: 'prod' } },
    { title: '{"a":"bc"} for a blob made with {"ab":"c"}', generatedWith: { ab: 'c' }, decryptWith: { a: 'bc' } },
    { title: '{"ab":"c"} for a blob made with {"a":"bc"}', generatedWith: { a: 'bc' }, decryptWith: { ab: 'c' } },
  ];
  const table: ErrorRow<Keys>[] = [];
  for (const operation of OPERATIONS) {
    for (const row of contexts) {
      // AWS sends an empty message; nothing about the cause may leave the server.
      table.push({
        name: `of ${operation}, with ${row.title}`,
        operation: 'Decrypt',
        body: async (f, t) => ({
          CiphertextBlob: await privateKeyBlob(t, operation, f.key.keyId, row.generatedWith),
          ...(row.decryptWith && { EncryptionContext: row.decryptWith }),
        }),
        error: 'InvalidCiphertextException',
        message: '',
      });
    }
  }
  table.push(
    {
      name: 'of GenerateDataKeyPair, with one byte changed',
      operation: 'Decrypt',
      body: async (f, t) => {
        const blob = Buffer.from(await privateKeyBlob(t, 'GenerateDataKeyPair', f.key.keyId, { tenant: 'a' }), 'base64');
        blob[blob.length - 1] = (blob[blob.length - 1] as number) ^ 0x01;
        return { CiphertextBlob: b64(blob), EncryptionContext: { tenant: 'a' } };
      },
      error: 'InvalidCiphertextException',
      message: '',
    },
    {
      name: 'of GenerateDataKeyPairWithoutPlaintext, naming another key',
      operation: 'Decrypt',
      body: async (f, t) => ({ CiphertextBlob: await privateKeyBlob(t, 'GenerateDataKeyPairWithoutPlaintext', f.key.keyId), KeyId: f.other.keyId }),
      error: 'IncorrectKeyException',
      message: 'The key ID in the request does not identify a CMK that can perform this operation.',
    },
  );
  errorRows(fixture, table);
});
