/**
 * The grant operations in-process: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant and
 * RevokeGrant, every error with its __type and message (AWS-BEHAVIOUR.md, "Grants"; the
 * wordings AWS has not recorded are in src/errors.ts's `messages`), the key-state rules of the
 * key state table, DryRun, what ListGrants shows, idempotent retries by Name, and who may retire
 * a grant (callers other than the account root through an app with another authenticator).
 * Grant tokens in the other operations are in grant-tokens.test.ts; the SDK's view over HTTP in
 * test/functional/grants.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccessControl, type Caller, type Principal } from '../../src/domain/access.js';
import { principalOf } from '../../src/domain/identities.js';
import { systemClock } from '../../src/domain/clock.js';
import { AccessDeniedException } from '../../src/errors.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { createRegistry } from '../../src/operations/index.js';
import { kmsModel } from '../../src/protocol/kms-model.generated.js';
import { createApp } from '../../src/server/app.js';
import { ACCOUNT, type CreatedKey, type TestApp } from '../helpers/in-process.js';
import { errorRows, inProcessFixture, unknownKeyRow, type ErrorRow } from './error-table.js';

const GRANTEE = `arn:aws:iam::${ACCOUNT}:role/app`;
const RETIREE = `arn:aws:iam::${ACCOUNT}:user/ops`;
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const DRY_RUN = 'The request would have succeeded, but the DryRun option is set.';
const GRANT_ID = /^[0-9a-f]{64}$/;

const invalidPrincipal = (member: string) =>
  `${member} must be the ARN of an AWS principal: an account (root), an IAM user, an IAM role, a federated user or an assumed role user.`;
const notValidFor = (operations: string, key: CreatedKey, spec: string, usage: string) =>
  `The grant operations ${operations} are not valid for ${key.arn}, whose key spec is ${spec} and key usage ${usage}.`;
const constraintsNotValidFor = (key: CreatedKey, spec: string, usage: string) =>
  `Encryption context grant constraints are valid only in grants for symmetric encryption KMS keys; ${key.arn} has key spec ${spec} and key usage ${usage}.`;

const GRANT_OPERATION_ENUM =
  '[Decrypt, Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, ReEncryptFrom, ReEncryptTo, Sign, Verify, GetPublicKey, ' +
  'CreateGrant, RetireGrant, DescribeKey, GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext, GenerateMac, VerifyMac, ' +
  'DeriveSharedSecret, Encapsulate, Decapsulate]';

interface Keys {
  symmetric: CreatedKey;
  rsa: CreatedKey;
  signing: CreatedKey;
  hmac: CreatedKey;
  agreement: CreatedKey;
  mlKem: CreatedKey;
  disabled: CreatedKey;
  doomed: CreatedKey;
  external: CreatedKey;
}

async function keys(t: TestApp): Promise<Keys> {
  const disabled = await t.createKey();
  await t.ok('DisableKey', { KeyId: disabled.keyId });
  const doomed = await t.createKey();
  await t.ok('ScheduleKeyDeletion', { KeyId: doomed.keyId });
  return {
    symmetric: await t.createKey(),
    rsa: await t.createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }),
    signing: await t.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }),
    hmac: await t.createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }),
    agreement: await t.createKey({ KeySpec: 'ECC_NIST_P384', KeyUsage: 'KEY_AGREEMENT' }),
    mlKem: await t.createKey({ KeySpec: 'ML_KEM_768', KeyUsage: 'ENCAPSULATE_DECAPSULATE' }),
    disabled,
    doomed,
    external: await t.createKey({ Origin: 'EXTERNAL' }),
  };
}

/** A CreateGrant request for `keyId` to GRANTEE, with `extra` members. */
const grantOn = (keyId: string, extra: Record<string, unknown> = {}) => ({ KeyId: keyId, GranteePrincipal: GRANTEE, Operations: ['Decrypt'], ...extra });

/** An app over `t`'s services whose every request comes from `principal` (development mode has only the account root). */
function actingAs(t: TestApp, who: { arn: string; account: string }) {
  const principal: Principal = principalOf(who.arn);
  const app = createApp({
    services: t.services,
    model: kmsModel,
    registry: createRegistry(kmsModel),
    authenticator: { authenticate: async (): Promise<Caller> => ({ principal, scope: { account: principal.account, region: 'us-east-1' }, secureTransport: false }) },
    developmentMode: true,
  });
  return async (operation: string, body: unknown) => {
    const response = await app.handle({
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${operation}` },
      body: Buffer.from(JSON.stringify(body)),
    });
    return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown> };
  };
}

/** Refuses every policy decision: what is then allowed is allowed by a grant alone. */
class DenyAll extends AccessControl {
  constructor() {
    super({ clock: systemClock, store: new MemoryStore() });
  }

  override async authorize(): Promise<void> {
    throw new AccessDeniedException('denied by policy');
  }
}

describe('CreateGrant errors', () => {
  const fixture = inProcessFixture(keys);
  const rows: ErrorRow<Keys>[] = [
    {
      name: 'no grantee at all',
      operation: 'CreateGrant',
      body: (f) => ({ KeyId: f.symmetric.keyId, Operations: ['Decrypt'] }),
      error: 'ValidationException',
      message: 'You must specify either GranteePrincipal or GranteeServicePrincipal, but not both.',
    },
    {
      name: 'a grantee principal and a grantee service principal',
      operation: 'CreateGrant',
      body: (f) => grantOn(f.symmetric.keyId, { GranteeServicePrincipal: 'rds.amazonaws.com' }),
      error: 'ValidationException',
      message: 'You must specify either GranteePrincipal or GranteeServicePrincipal, but not both.',
    },
    {
      name: 'a retiring principal and a retiring service principal',
      operation: 'CreateGrant',
      body: (f) => grantOn(f.symmetric.keyId, { RetiringPrincipal: RETIREE, RetiringServicePrincipal: 'rds.amazonaws.com' }),
      error: 'ValidationException',
      message: 'You can specify either RetiringPrincipal or RetiringServicePrincipal, but not both.',
    },
    ...[
      ['a bare name', 'bob'],
      ['an account id', ACCOUNT],
      ['an IAM group', `arn:aws:iam::${ACCOUNT}:group/admins`],
      ['a KMS key ARN', `arn:aws:kms:us-east-1:${ACCOUNT}:key/0badc0de-0000-4000-8000-00000000dead`],
      ['an account of 11 digits', 'arn:aws:iam::11112222333:root'],
      ['a service principal', 'rds.amazonaws.com'],
      ['an unknown partition', `arn:aws-mars:iam::${ACCOUNT}:root`],
    ].map(
      ([what, principal]): ErrorRow<Keys> => ({
        name: `a GranteePrincipal that is ${what}`,
        operation: 'CreateGrant',
        body: (f) => ({ ...grantOn(f.symmetric.keyId), GranteePrincipal: principal }),
        error: 'InvalidArnException',
        message: invalidPrincipal('GranteePrincipal'),
      }),
    ),
    {
      name: 'a RetiringPrincipal that is no principal ARN',
      operation: 'CreateGrant',
      body: (f) => grantOn(f.symmetric.keyId, { RetiringPrincipal: `arn:aws:iam::${ACCOUNT}:policy/p` }),
      error: 'InvalidArnException',
      message: invalidPrincipal('RetiringPrincipal'),
    },
    {
      name: 'a GranteeServicePrincipal that is an IAM ARN',
      operation: 'CreateGrant',
      body: (f) => ({ KeyId: f.symmetric.keyId, GranteeServicePrincipal: ROOT, Operations: ['Decrypt'] }),
      error: 'ValidationException',
      message: 'GranteeServicePrincipal must be an AWS service principal, such as rds.amazonaws.com.',
    },
    {
      name: 'a grantee service principal without a SourceArn constraint',
      operation: 'CreateGrant',
      body: (f) => ({ KeyId: f.symmetric.keyId, GranteeServicePrincipal: 'rds.amazonaws.com', RetiringPrincipal: RETIREE, Operations: ['Decrypt'] }),
      error: 'ValidationException',
      message: 'When you specify a GranteeServicePrincipal, you must also specify a SourceArn grant constraint.',
    },
    {
      name: 'a grantee service principal without a retiring principal',
      operation: 'CreateGrant',
      body: (f) => ({
        KeyId: f.symmetric.keyId,
        GranteeServicePrincipal: 'rds.amazonaws.com',
        Operations: ['Decrypt'],
        Constraints: { SourceArn: `arn:aws:rds:us-east-1:${ACCOUNT}:db:orders` },
      }),
      error: 'ValidationException',
      message: 'When you specify a GranteeServicePrincipal, you must also specify a RetiringPrincipal or a RetiringServicePrincipal.',
    },
    {
      name: 'a SourceArn that is no ARN',
      operation: 'CreateGrant',
      body: (f) => grantOn(f.symmetric.keyId, { Constraints: { SourceArn: 'database-orders-production' } }),
      error: 'InvalidArnException',
      message: 'The SourceArn grant constraint must be an ARN.',
    },
    {
      name: 'no operations',
      operation: 'CreateGrant',
      body: (f) => grantOn(f.symmetric.keyId, { Operations: [] }),
      error: 'ValidationException',
      message: "1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1",
    },
    {
      name: 'only CreateGrant (AWS wording recorded through boto3)',
      operation: 'CreateGrant',
      body: (f) => grantOn(f.symmetric.keyId, { Operations: ['CreateGrant', 'CreateGrant'] }),
      error: 'ValidationException',
      message: 'Grants must not contain only the CreateGrant operation.',
    },
    {
      name: 'an operation that is no grant operation, refused by model validation with the enum listed',
      operation: 'CreateGrant',
      body: (f) => grantOn(f.symmetric.keyId, { Operations: ['ScheduleKeyDeletion'] }),
      error: 'ValidationException',
      message:
        "1 validation error detected: Value 'ScheduleKeyDeletion' at 'operations.1.member' failed to satisfy constraint: " +
        `Member must satisfy enum value set: ${GRANT_OPERATION_ENUM}`,
    },
    {
      name: 'EncryptionContextEquals and EncryptionContextSubset (AWS wording recorded by terraform-provider-aws)',
      operation: 'CreateGrant',
      body: (f) => grantOn(f.symmetric.keyId, { Constraints: { EncryptionContextEquals: { a: '1' }, EncryptionContextSubset: { b: '2' } } }),
      error: 'ValidationException',
      message: 'More than one constraint supplied',
    },
    {
      name: 'Sign and Verify on a symmetric encryption key',
      operation: 'CreateGrant',
      body: (f) => grantOn(f.symmetric.keyId, { Operations: ['Decrypt', 'Sign', 'Verify'] }),
      error: 'ValidationException',
      message: (f) => notValidFor('Sign, Verify', f.symmetric, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'),
    },
    ...(
      [
        ['GenerateMac on a symmetric encryption key', 'symmetric', 'GenerateMac', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'],
        ['GetPublicKey on a symmetric encryption key', 'symmetric', 'GetPublicKey', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'],
        ['GenerateDataKey on an RSA encryption key', 'rsa', 'GenerateDataKey', 'RSA_2048', 'ENCRYPT_DECRYPT'],
        ['GenerateDataKeyPair on an RSA encryption key', 'rsa', 'GenerateDataKeyPair', 'RSA_2048', 'ENCRYPT_DECRYPT'],
        ['Decrypt on a signing key', 'signing', 'Decrypt', 'ECC_NIST_P256', 'SIGN_VERIFY'],
        ['GetPublicKey on an HMAC key', 'hmac', 'GetPublicKey', 'HMAC_256', 'GENERATE_VERIFY_MAC'],
        ['Sign on a key agreement key', 'agreement', 'Sign', 'ECC_NIST_P384', 'KEY_AGREEMENT'],
        ['Decrypt on an ML-KEM key', 'mlKem', 'Decrypt', 'ML_KEM_768', 'ENCAPSULATE_DECAPSULATE'],
        ['Decapsulate on a symmetric encryption key', 'symmetric', 'Decapsulate', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'],
      ] as const
    ).map(
      ([name, key, operation, spec, usage]): ErrorRow<Keys> => ({
        name,
        operation: 'CreateGrant',
        body: (f) => grantOn(f[key].keyId, { Operations: ['DescribeKey', operation] }),
        error: 'ValidationException',
        message: (f) => notValidFor(operation, f[key], spec, usage),
      }),
    ),
    {
      name: 'an encryption context constraint on an RSA encryption key',
      operation: 'CreateGrant',
      body: (f) => grantOn(f.rsa.keyId, { Constraints: { EncryptionContextSubset: { a: '1' } } }),
      error: 'ValidationException',
      message: (f) => constraintsNotValidFor(f.rsa, 'RSA_2048', 'ENCRYPT_DECRYPT'),
    },
    {
      name: 'an encryption context constraint on a signing key, even for DescribeKey only',
      operation: 'CreateGrant',
      body: (f) => grantOn(f.signing.keyId, { Operations: ['DescribeKey'], Constraints: { EncryptionContextEquals: { a: '1' } } }),
      error: 'ValidationException',
      message: (f) => constraintsNotValidFor(f.signing, 'ECC_NIST_P256', 'SIGN_VERIFY'),
    },
    {
      name: 'a disabled key',
      operation: 'CreateGrant',
      body: (f) => grantOn(f.disabled.keyId),
      error: 'DisabledException',
      message: (f) => `${f.disabled.arn} is disabled.`,
    },
    {
      name: 'a key pending deletion',
      operation: 'CreateGrant',
      body: (f) => grantOn(f.doomed.keyId),
      error: 'KMSInvalidStateException',
      message: (f) => `${f.doomed.arn} is pending deletion.`,
    },
    {
      name: 'a key pending import',
      operation: 'CreateGrant',
      body: (f) => grantOn(f.external.keyId),
      error: 'KMSInvalidStateException',
      message: (f) => `${f.external.arn} is pending import.`,
    },
    {
      name: 'a disabled key, with DryRun: the state wins',
      operation: 'CreateGrant',
      body: (f) => grantOn(f.disabled.keyId, { DryRun: true }),
      error: 'DisabledException',
      message: (f) => `${f.disabled.arn} is disabled.`,
    },
    {
      name: 'an alias (CreateGrant takes a key id or key ARN)',
      operation: 'CreateGrant',
      body: () => grantOn('alias/anything'),
      error: 'NotFoundException',
      message: "Invalid keyId 'alias/anything'",
    },
    unknownKeyRow('an unknown key', 'CreateGrant', (keyId) => grantOn(keyId)),
    {
      name: 'DryRun',
      operation: 'CreateGrant',
      body: (f) => grantOn(f.symmetric.keyId, { DryRun: true }),
      error: 'DryRunOperationException',
      message: DRY_RUN,
    },
  ];
  errorRows(fixture, rows);

  it('the refused requests created no grant', async () => {
    const { t, f } = fixture;
    for (const key of Object.values(f)) assert.deepEqual((await t.ok('ListGrants', { KeyId: key.keyId })).Grants, [], key.arn);
  });
});

describe('CreateGrant and ListGrants', () => {
  const fixture = inProcessFixture(keys);

  it('answers with a 64-hex GrantId and a token, and ListGrants shows the grant as AWS does', async () => {
    const { t, f } = fixture;
    const created = await t.ok('CreateGrant', {
      KeyId: f.symmetric.arn,
      GranteePrincipal: GRANTEE,
      RetiringPrincipal: RETIREE,
      Operations: ['Decrypt', 'GenerateDataKeyPair', 'Decrypt', 'RetireGrant'],
      Constraints: { EncryptionContextSubset: { Department: 'IT' } },
      Name: 'app-decrypt',
    });
    assert.deepEqual(Object.keys(created).sort(), ['GrantId', 'GrantToken']);
    assert.match(created.GrantId as string, GRANT_ID);
    assert.equal(typeof created.GrantToken, 'string');
    const listed = await t.ok('ListGrants', { KeyId: f.symmetric.keyId, GrantId: created.GrantId });
    assert.deepEqual(listed, {
      Grants: [
        {
          KeyId: f.symmetric.arn,
          GrantId: created.GrantId,
          Name: 'app-decrypt',
          CreationDate: t.clock.now() / 1000,
          GranteePrincipal: GRANTEE,
          RetiringPrincipal: RETIREE,
          IssuingAccount: ROOT,
          Operations: ['Decrypt', 'GenerateDataKeyPair', 'RetireGrant'],
          Constraints: { EncryptionContextSubset: { Department: 'IT' } },
        },
      ],
      Truncated: false,
    });
  });

  it('a retry with the same Name and terms returns the same grant with a new token; other terms make a new grant', async () => {
    const { t, f } = fixture;
    const request = grantOn(f.rsa.keyId, { Name: 'retry', Operations: ['Encrypt', 'Decrypt'], RetiringPrincipal: RETIREE });
    const first = await t.ok('CreateGrant', request);
    t.clock.advance(1000);
    const again = await t.ok('CreateGrant', { ...request, KeyId: f.rsa.arn, Operations: ['Decrypt', 'Encrypt'] });
    assert.equal(again.GrantId, first.GrantId);
    assert.notEqual(again.GrantToken, first.GrantToken, 'AWS: the returned grant token is unique with every CreateGrant request');
    const other = await t.ok('CreateGrant', { ...request, Operations: ['Encrypt'] });
    assert.notEqual(other.GrantId, first.GrantId);
    const unnamed = await t.ok('CreateGrant', grantOn(f.rsa.keyId, { Operations: ['Encrypt', 'Decrypt'], RetiringPrincipal: RETIREE }));
    assert.notEqual(unnamed.GrantId, first.GrantId);
    const listed = (await t.ok('ListGrants', { KeyId: f.rsa.keyId })).Grants as { GrantId: string; CreationDate: number }[];
    assert.equal(listed.length, 3);
    assert.equal(listed.find((g) => g.GrantId === first.GrantId)?.CreationDate, (t.clock.now() - 1000) / 1000, 'the first one, unchanged');
    // Both tokens of the one grant work.
    for (const token of [first.GrantToken, again.GrantToken]) await t.ok('DescribeKey', { KeyId: f.rsa.keyId, GrantTokens: [token] });
  });

  const grantable: [keyof Keys, string[]][] = [
    ['symmetric', ['Decrypt', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'ReEncryptFrom', 'ReEncryptTo', 'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext', 'CreateGrant', 'RetireGrant', 'DescribeKey']],
    ['rsa', ['Decrypt', 'Encrypt', 'ReEncryptFrom', 'ReEncryptTo', 'GetPublicKey', 'CreateGrant', 'RetireGrant', 'DescribeKey']],
    ['signing', ['Sign', 'Verify', 'GetPublicKey', 'CreateGrant', 'RetireGrant', 'DescribeKey']],
    ['hmac', ['GenerateMac', 'VerifyMac', 'CreateGrant', 'RetireGrant', 'DescribeKey']],
    ['agreement', ['DeriveSharedSecret', 'GetPublicKey', 'CreateGrant', 'RetireGrant', 'DescribeKey']],
    ['mlKem', ['Encapsulate', 'Decapsulate', 'GetPublicKey', 'CreateGrant', 'RetireGrant', 'DescribeKey']],
  ];
  for (const [key, operations] of grantable) {
    it(`takes every operation a ${key} key supports in one grant: ${operations.join(', ')}`, async () => {
      const { t, f } = fixture;
      const { GrantId } = await t.ok('CreateGrant', grantOn(f[key].keyId, { Operations: operations }));
      const [grant] = (await t.ok('ListGrants', { KeyId: f[key].keyId, GrantId })).Grants as { Operations: string[] }[];
      assert.deepEqual(grant?.Operations, operations);
    });
  }

  it('a grant to a service principal is stored with its SourceArn; ListGrants names the service as grantee too', async () => {
    const { t, f } = fixture;
    const sourceArn = `arn:aws:rds:us-east-1:${ACCOUNT}:db:orders`;
    const { GrantId } = await t.ok('CreateGrant', {
      KeyId: f.signing.keyId,
      GranteeServicePrincipal: 'rds.amazonaws.com',
      RetiringServicePrincipal: 'rds.amazonaws.com',
      Operations: ['Sign'],
      Constraints: { SourceArn: sourceArn },
    });
    const expected = {
      KeyId: f.signing.arn,
      GrantId,
      CreationDate: t.clock.now() / 1000,
      GranteePrincipal: 'rds.amazonaws.com',
      RetiringPrincipal: 'rds.amazonaws.com',
      IssuingAccount: ROOT,
      Operations: ['Sign'],
      Constraints: { SourceArn: sourceArn },
      GranteeServicePrincipal: 'rds.amazonaws.com',
      RetiringServicePrincipal: 'rds.amazonaws.com',
    };
    assert.deepEqual((await t.ok('ListGrants', { KeyId: f.signing.keyId, GrantId })).Grants, [expected]);
    assert.deepEqual((await t.ok('ListGrants', { KeyId: f.signing.keyId, GranteeServicePrincipal: 'rds.amazonaws.com' })).Grants, [expected]);
  });

  it('takes a grant on a key whose custom key store is disconnected (Unavailable), as the key state table says', async () => {
    const { t, f } = fixture;
    const scope = { account: ACCOUNT, region: 'us-east-1' };
    const key = await t.services.store.getKey(scope, f.symmetric.keyId);
    assert.ok(key);
    assert.equal(await t.services.store.updateKey({ ...key, state: 'Unavailable' }, key.revision), true);
    try {
      assert.match((await t.ok('CreateGrant', grantOn(f.symmetric.keyId))).GrantId as string, GRANT_ID);
    } finally {
      const now = await t.services.store.getKey(scope, f.symmetric.keyId);
      assert.ok(now);
      await t.services.store.updateKey({ ...now, state: 'Enabled' }, now.revision);
    }
  });

  it('names the issuing account in the partition of the region (aws-cn in a China region)', async () => {
    const { t } = fixture;
    const key = await t.createKey({}, { region: 'cn-north-1' });
    const { GrantId } = await t.ok('CreateGrant', grantOn(key.keyId), { region: 'cn-north-1' });
    const [grant] = (await t.ok('ListGrants', { KeyId: key.keyId, GrantId }, { region: 'cn-north-1' })).Grants as { IssuingAccount: string; KeyId: string }[];
    assert.equal(grant?.IssuingAccount, `arn:aws-cn:iam::${ACCOUNT}:root`);
    assert.equal(grant?.KeyId, key.arn);
  });
});

describe('ListGrants', () => {
  const fixture = inProcessFixture(async (t) => {
    const key = await t.createKey();
    const other = await t.createKey();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await t.ok('CreateGrant', grantOn(key.keyId, i === 2 ? { GranteePrincipal: RETIREE } : { Name: `g${i}` }))).GrantId as string);
    }
    await t.ok('CreateGrant', grantOn(other.keyId));
    await t.ok('ScheduleKeyDeletion', { KeyId: key.keyId });
    return { key, other, ids: ids.sort() };
  });
  type F = typeof fixture.f;

  it('pages a key pending deletion’s grants by grant id, with Limit and Marker', async () => {
    const { t, f } = fixture;
    const seen: string[] = [];
    let marker: string | undefined;
    for (let page = 0; page < 3; page++) {
      const response = await t.ok('ListGrants', { KeyId: f.key.keyId, Limit: 2, ...(marker && { Marker: marker }) });
      seen.push(...(response.Grants as { GrantId: string }[]).map((g) => g.GrantId));
      assert.equal(response.Truncated, page < 2);
      marker = response.NextMarker as string | undefined;
      assert.equal(marker !== undefined, page < 2);
    }
    assert.deepEqual(seen, f.ids);
  });

  it('answers at most 100 grants a page, and 50 when no Limit is given', async () => {
    const { t, f } = fixture;
    assert.equal(((await t.ok('ListGrants', { KeyId: f.key.keyId, Limit: 1000 })).Grants as unknown[]).length, 5);
    assert.equal(((await t.ok('ListGrants', { KeyId: f.key.keyId })).Grants as unknown[]).length, 5);
  });

  it('filters by grantee, by grant id, and finds nothing for a well-formed grant id the key does not have', async () => {
    const { t, f } = fixture;
    const byGrantee = (await t.ok('ListGrants', { KeyId: f.key.keyId, GranteePrincipal: RETIREE })).Grants as { GrantId: string }[];
    assert.equal(byGrantee.length, 1);
    assert.deepEqual(((await t.ok('ListGrants', { KeyId: f.key.arn, GrantId: f.ids[3] })).Grants as { GrantId: string }[]).map((g) => g.GrantId), [f.ids[3]]);
    assert.deepEqual((await t.ok('ListGrants', { KeyId: f.key.keyId, GrantId: 'e'.repeat(64) })).Grants, []);
    assert.deepEqual((await t.ok('ListGrants', { KeyId: f.other.keyId, GrantId: f.ids[0] })).Grants, [], "another key's grant id");
  });

  const rows: ErrorRow<F>[] = [
    unknownKeyRow('an unknown key', 'ListGrants', (keyId) => ({ KeyId: keyId })),
    { name: 'an alias', operation: 'ListGrants', body: () => ({ KeyId: 'alias/x' }), error: 'NotFoundException', message: "Invalid keyId 'alias/x'" },
    {
      name: 'a GrantId that is not 64 hex digits',
      operation: 'ListGrants',
      body: (f) => ({ KeyId: f.key.keyId, GrantId: 'not-a-grant' }),
      error: 'InvalidGrantIdException',
      message: "Invalid grantId 'not-a-grant'",
    },
    {
      name: 'an upper-case GrantId',
      operation: 'ListGrants',
      body: (f) => ({ KeyId: f.key.keyId, GrantId: (f.ids[0] as string).toUpperCase() }),
      error: 'InvalidGrantIdException',
      message: (f) => `Invalid grantId '${(f.ids[0] as string).toUpperCase()}'`,
    },
    { name: 'a Marker ListGrants did not make', operation: 'ListGrants', body: (f) => ({ KeyId: f.key.keyId, Marker: 'bm90LWEtZ3JhbnQ' }), error: 'InvalidMarkerException', message: 'Invalid marker' },
    {
      name: 'a grantee principal and a grantee service principal',
      operation: 'ListGrants',
      body: (f) => ({ KeyId: f.key.keyId, GranteePrincipal: GRANTEE, GranteeServicePrincipal: 'rds.amazonaws.com' }),
      error: 'ValidationException',
      message: 'You must specify either GranteePrincipal or GranteeServicePrincipal, but not both.',
    },
  ];
  errorRows(fixture, rows);
});

describe('ListRetirableGrants', () => {
  const fixture = inProcessFixture(async (t) => {
    const a = await t.createKey();
    const b = await t.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const ids = [
      (await t.ok('CreateGrant', grantOn(a.keyId, { RetiringPrincipal: RETIREE }))).GrantId,
      (await t.ok('CreateGrant', grantOn(b.keyId, { RetiringPrincipal: RETIREE, Operations: ['Sign'] }))).GrantId,
      (await t.ok('CreateGrant', grantOn(a.keyId, { RetiringPrincipal: RETIREE, Operations: ['Encrypt'] }))).GrantId,
    ] as string[];
    await t.ok('CreateGrant', grantOn(a.keyId, { RetiringPrincipal: ROOT }));
    await t.ok('CreateGrant', grantOn(a.keyId));
    const eu = await t.createKey({}, { region: 'eu-west-1' });
    await t.ok('CreateGrant', grantOn(eu.keyId, { RetiringPrincipal: RETIREE }), { region: 'eu-west-1' });
    return { a, b, ids: ids.sort() };
  });
  type F = typeof fixture.f;

  it('lists the grants of every key of the region that name the retiring principal, paged', async () => {
    const { t, f } = fixture;
    const first = await t.ok('ListRetirableGrants', { RetiringPrincipal: RETIREE, Limit: 2 });
    assert.equal(first.Truncated, true);
    const second = await t.ok('ListRetirableGrants', { RetiringPrincipal: RETIREE, Limit: 2, Marker: first.NextMarker });
    assert.equal(second.Truncated, false);
    const grants = [...(first.Grants as { GrantId: string; RetiringPrincipal: string }[]), ...(second.Grants as { GrantId: string; RetiringPrincipal: string }[])];
    assert.deepEqual(grants.map((g) => g.GrantId), f.ids);
    for (const g of grants) assert.equal(g.RetiringPrincipal, RETIREE);
    assert.equal(((await t.ok('ListRetirableGrants', { RetiringPrincipal: ROOT })).Grants as unknown[]).length, 1);
    assert.equal(((await t.ok('ListRetirableGrants', { RetiringPrincipal: RETIREE }, { region: 'eu-west-1' })).Grants as unknown[]).length, 1);
  });

  const rows: ErrorRow<F>[] = [
    {
      name: 'no retiring principal',
      operation: 'ListRetirableGrants',
      body: () => ({}),
      error: 'ValidationException',
      message: 'You must specify either RetiringPrincipal or RetiringServicePrincipal, but not both.',
    },
    {
      name: 'a retiring principal and a retiring service principal',
      operation: 'ListRetirableGrants',
      body: () => ({ RetiringPrincipal: RETIREE, RetiringServicePrincipal: 'rds.amazonaws.com' }),
      error: 'ValidationException',
      message: 'You must specify either RetiringPrincipal or RetiringServicePrincipal, but not both.',
    },
    {
      name: 'a retiring principal that is no principal ARN',
      operation: 'ListRetirableGrants',
      body: () => ({ RetiringPrincipal: 'ops' }),
      error: 'InvalidArnException',
      message: invalidPrincipal('RetiringPrincipal'),
    },
    {
      name: 'a retiring service principal that is no service principal',
      operation: 'ListRetirableGrants',
      body: () => ({ RetiringServicePrincipal: RETIREE }),
      error: 'ValidationException',
      message: 'RetiringServicePrincipal must be an AWS service principal, such as rds.amazonaws.com.',
    },
    {
      name: "a principal of another account (the account rule: listing that account's grants)",
      operation: 'ListRetirableGrants',
      body: () => ({ RetiringPrincipal: 'arn:aws:iam::444455556666:user/ops' }),
      error: 'AccessDeniedException',
      message: `User: ${ROOT} is not authorized to perform: kms:ListRetirableGrants on resource: * because no resource-based policy allows the kms:ListRetirableGrants action`,
    },
    { name: 'a Marker ListRetirableGrants did not make', operation: 'ListRetirableGrants', body: () => ({ RetiringPrincipal: RETIREE, Marker: 'eA' }), error: 'InvalidMarkerException', message: 'Invalid marker' },
  ];
  errorRows(fixture, rows);
});

describe('RevokeGrant', () => {
  const fixture = inProcessFixture(async (t) => {
    const key = await t.createKey();
    const other = await t.createKey();
    const grant = (await t.ok('CreateGrant', grantOn(key.keyId))).GrantId as string;
    return { key, other, grant };
  });
  type F = typeof fixture.f;

  const rows: ErrorRow<F>[] = [
    unknownKeyRow('an unknown key', 'RevokeGrant', (keyId) => ({ KeyId: keyId, GrantId: 'a'.repeat(64) })),
    { name: 'an alias', operation: 'RevokeGrant', body: (f) => ({ KeyId: 'alias/x', GrantId: f.grant }), error: 'NotFoundException', message: "Invalid keyId 'alias/x'" },
    { name: 'a malformed GrantId', operation: 'RevokeGrant', body: (f) => ({ KeyId: f.key.keyId, GrantId: 'g-1' }), error: 'InvalidGrantIdException', message: "Invalid grantId 'g-1'" },
    {
      name: 'a grant id the key does not have',
      operation: 'RevokeGrant',
      body: (f) => ({ KeyId: f.key.keyId, GrantId: 'a'.repeat(64) }),
      error: 'NotFoundException',
      message: (f) => `Grant ${'a'.repeat(64)} does not exist for ${f.key.arn}.`,
    },
    {
      name: "another key's grant",
      operation: 'RevokeGrant',
      body: (f) => ({ KeyId: f.other.keyId, GrantId: f.grant }),
      error: 'NotFoundException',
      message: (f) => `Grant ${f.grant} does not exist for ${f.other.arn}.`,
    },
    { name: 'DryRun', operation: 'RevokeGrant', body: (f) => ({ KeyId: f.key.keyId, GrantId: f.grant, DryRun: true }), error: 'DryRunOperationException', message: DRY_RUN },
  ];
  errorRows(fixture, rows);

  it('after the refusals the grant is still there; revoked, it is gone, and a second revocation is NotFoundException', async () => {
    const { t, f } = fixture;
    assert.equal(((await t.ok('ListGrants', { KeyId: f.key.keyId })).Grants as unknown[]).length, 1);
    await t.ok('ScheduleKeyDeletion', { KeyId: f.key.keyId }); // any key state will do
    assert.deepEqual(await t.ok('RevokeGrant', { KeyId: f.key.arn, GrantId: f.grant }), {});
    assert.deepEqual((await t.ok('ListGrants', { KeyId: f.key.keyId })).Grants, []);
    assert.deepEqual(await t.error('RevokeGrant', { KeyId: f.key.keyId, GrantId: f.grant }), {
      status: 400,
      __type: 'NotFoundException',
      message: `Grant ${f.grant} does not exist for ${f.key.arn}.`,
    });
  });
});

describe('RetireGrant', () => {
  const fixture = inProcessFixture(async (t) => {
    const key = await t.createKey();
    const other = await t.createKey();
    const created = await t.ok('CreateGrant', grantOn(key.keyId));
    return { key, other, grant: created.GrantId as string, token: created.GrantToken as string };
  });
  type F = typeof fixture.f;

  const rows: ErrorRow<F>[] = [
    { name: 'nothing to name the grant', operation: 'RetireGrant', body: () => ({}), error: 'ValidationException', message: 'Specify the grant to retire: a GrantToken, or a GrantId and a KeyId.' },
    { name: 'a GrantId without a KeyId', operation: 'RetireGrant', body: (f) => ({ GrantId: f.grant }), error: 'ValidationException', message: 'Specify the grant to retire: a GrantToken, or a GrantId and a KeyId.' },
    { name: 'a KeyId without a GrantId', operation: 'RetireGrant', body: (f) => ({ KeyId: f.key.keyId }), error: 'ValidationException', message: 'Specify the grant to retire: a GrantToken, or a GrantId and a KeyId.' },
    { name: 'a token Trent never issued', operation: 'RetireGrant', body: () => ({ GrantToken: 'AQpAM2RhZTk1MGMyNTk2ZmZmMzEy' }), error: 'InvalidGrantTokenException', message: 'Invalid grant token.' },
    {
      name: 'a token with a GrantId of another grant',
      operation: 'RetireGrant',
      body: (f) => ({ GrantToken: f.token, GrantId: 'b'.repeat(64) }),
      error: 'ValidationException',
      message: 'The GrantToken and the GrantId or KeyId name different grants.',
    },
    {
      name: 'a token with the KeyId of another key',
      operation: 'RetireGrant',
      body: (f) => ({ GrantToken: f.token, KeyId: f.other.keyId }),
      error: 'ValidationException',
      message: 'The GrantToken and the GrantId or KeyId name different grants.',
    },
    { name: 'a malformed GrantId', operation: 'RetireGrant', body: (f) => ({ KeyId: f.key.keyId, GrantId: 'G'.repeat(64) }), error: 'InvalidGrantIdException', message: `Invalid grantId '${'G'.repeat(64)}'` },
    unknownKeyRow('an unknown key', 'RetireGrant', (keyId) => ({ KeyId: keyId, GrantId: 'a'.repeat(64) })),
    {
      name: "another key's grant",
      operation: 'RetireGrant',
      body: (f) => ({ KeyId: f.other.keyId, GrantId: f.grant }),
      error: 'NotFoundException',
      message: (f) => `Grant ${f.grant} does not exist for ${f.other.arn}.`,
    },
    { name: 'DryRun, by token', operation: 'RetireGrant', body: (f) => ({ GrantToken: f.token, DryRun: true }), error: 'DryRunOperationException', message: DRY_RUN },
    { name: 'DryRun, by id', operation: 'RetireGrant', body: (f) => ({ KeyId: f.key.keyId, GrantId: f.grant, DryRun: true }), error: 'DryRunOperationException', message: DRY_RUN },
  ];
  errorRows(fixture, rows);

  it('retires by token (with its own GrantId and KeyId too), in any key state, after which the token names nothing', async () => {
    const { t, f } = fixture;
    await t.ok('DisableKey', { KeyId: f.key.keyId });
    assert.deepEqual(await t.ok('RetireGrant', { GrantToken: f.token, GrantId: f.grant, KeyId: f.key.arn }), {});
    assert.deepEqual((await t.ok('ListGrants', { KeyId: f.key.keyId })).Grants, []);
    assert.deepEqual(await t.error('RetireGrant', { GrantToken: f.token }), { status: 400, __type: 'InvalidGrantTokenException', message: 'Invalid grant token.' });
    assert.deepEqual(await t.error('RetireGrant', { KeyId: f.key.keyId, GrantId: f.grant }), {
      status: 400,
      __type: 'NotFoundException',
      message: `Grant ${f.grant} does not exist for ${f.key.arn}.`,
    });
  });
});

describe('who may retire a grant (AWS: "Retiring and revoking grants")', () => {
  const OTHER = '444455556666';
  const retiree = { arn: `arn:aws:iam::${OTHER}:user/retiree`, account: OTHER };
  const grantee = { arn: `arn:aws:iam::${OTHER}:role/grantee`, account: OTHER };
  const stranger = { arn: `arn:aws:iam::${OTHER}:user/stranger`, account: OTHER };
  const fixture = inProcessFixture(async (t) => ({ key: await t.createKey() }));

  async function grant(operations: string[]): Promise<{ GrantId: string; GrantToken: string }> {
    const { t, f } = fixture;
    return (await t.ok('CreateGrant', { KeyId: f.key.keyId, GranteePrincipal: grantee.arn, RetiringPrincipal: retiree.arn, Operations: operations })) as {
      GrantId: string;
      GrantToken: string;
    };
  }

  const denied = (who: { arn: string }) => ({
    status: 400,
    body: {
      __type: 'AccessDeniedException',
      message: `User: ${who.arn} is not authorized to perform: kms:RetireGrant on resource: ${fixture.f.key.arn} because no resource-based policy allows the kms:RetireGrant action`,
    },
  });

  it('its retiring principal, of another account, by token and by key ARN and grant id, with no policy allowing it', async () => {
    const { t, f } = fixture;
    const byToken = await grant(['Decrypt']);
    const byId = await grant(['Encrypt']);
    const saved = t.services.access;
    t.services.access = new DenyAll();
    try {
      const call = actingAs(t, retiree);
      assert.deepEqual(await call('RetireGrant', { GrantToken: byToken.GrantToken }), { status: 200, body: {} });
      assert.deepEqual(await call('RetireGrant', { KeyId: f.key.arn, GrantId: byId.GrantId }), { status: 200, body: {} });
    } finally {
      t.services.access = saved;
    }
    for (const id of [byToken.GrantId, byId.GrantId]) assert.deepEqual((await t.ok('ListGrants', { KeyId: f.key.keyId, GrantId: id })).Grants, []);
  });

  it('its grantee when the grant allows RetireGrant; not when it does not', async () => {
    const { t, f } = fixture;
    const retirable = await grant(['Decrypt', 'RetireGrant']);
    const kept = await grant(['Decrypt']);
    const call = actingAs(t, grantee);
    assert.deepEqual(await call('RetireGrant', { GrantToken: retirable.GrantToken }), { status: 200, body: {} });
    assert.deepEqual(await call('RetireGrant', { GrantToken: kept.GrantToken }), denied(grantee));
    assert.equal(((await t.ok('ListGrants', { KeyId: f.key.keyId, GrantId: kept.GrantId })).Grants as unknown[]).length, 1);
  });

  it('anyone else only with kms:RetireGrant: a principal of another account is refused by the account rule, the account root allowed', async () => {
    const { t, f } = fixture;
    const { GrantId, GrantToken } = await grant(['Decrypt']);
    assert.deepEqual(await actingAs(t, stranger)('RetireGrant', { GrantToken }), denied(stranger));
    assert.deepEqual(await actingAs(t, stranger)('RetireGrant', { KeyId: f.key.arn, GrantId }), denied(stranger));
    assert.deepEqual(await t.ok('RetireGrant', { GrantToken }), {});
  });
});
