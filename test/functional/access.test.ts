/**
 * Access control over HTTP with @aws-sdk/client-kms, against a server whose YAML config declares
 * two accounts, users and a role with identity policies: the headline operations allowed and
 * refused by kms:DataKeyPairSpec and kms:EncryptionContext: conditions, an explicit deny, a key
 * policy that does not delegate to IAM, a grant token used in the very next call, cross-account
 * use by key ARN, DryRun with and without permission, and the policy lock-out check. The same
 * decisions are tabled in-process in test/operations/access-policies.test.ts; this file checks
 * that real clients see them, AWS's wording included.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  GetKeyPolicyCommand,
  KMSClient,
  PutKeyPolicyCommand,
  RevokeGrantCommand,
} from '@aws-sdk/client-kms';
import { awsError } from '../helpers/clients.js';
import { needsOwnServer, useOwnServer } from '../helpers/functional.js';
import type { Credentials } from '../helpers/sigv4.js';

const HOME = '111122223333';
const OTHER = '444455556666';
const creds = (name: string): Credentials => ({ accessKeyId: `AKIAACCESS${name.toUpperCase().padEnd(10, '0')}`, secretAccessKey: `access/${name}/secret` });
const ROOT = creds('root');
const ALICE = creds('alice');
const BOB = creds('bob');
const DAVE = creds('dave');
const CAROL = creds('carol');
const ARN = {
  root: `arn:aws:iam::${HOME}:root`,
  alice: `arn:aws:iam::${HOME}:user/alice`,
  bob: `arn:aws:iam::${HOME}:role/bob`,
  dave: `arn:aws:iam::${HOME}:user/dave`,
  carol: `arn:aws:iam::${OTHER}:user/carol`,
};

const workDir = mkdtempSync(join(tmpdir(), 'trent-access-test-'));
after(() => rmSync(workDir, { recursive: true, force: true }));
const CONFIG = join(workDir, 'trent.yaml');
const key = (c: Credentials) => `          - { accessKeyId: ${c.accessKeyId}, secretAccessKey: "${c.secretAccessKey}" }`;
writeFileSync(
  CONFIG,
  [
    'accounts:',
    `  "${HOME}":`,
    '    principals:',
    `      "${ARN.root}":`,
    '        accessKeys:',
    key(ROOT),
    `      "${ARN.alice}":`,
    '        accessKeys:',
    key(ALICE),
    '        policies:',
    '          - Version: "2012-10-17"',
    '            Statement:',
    '              - Effect: Allow',
    '                Action: [kms:GenerateDataKeyPair, kms:GenerateDataKeyPairWithoutPlaintext]',
    '                Resource: "*"',
    '                Condition: { StringEquals: { "kms:DataKeyPairSpec": RSA_2048 } }',
    '              - Effect: Allow',
    '                Action: kms:Decrypt',
    '                Resource: "*"',
    '                Condition: { StringEquals: { "kms:EncryptionContext:app": demo } }',
    '              - { Effect: Allow, Action: [kms:PutKeyPolicy, kms:GetKeyPolicy], Resource: "*" }',
    `      "${ARN.bob}":`,
    '        accessKeys:',
    key(BOB),
    `      "${ARN.dave}":`,
    '        accessKeys:',
    key(DAVE),
    '        policies:',
    '          - { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "kms:*", Resource: "*" }, { Effect: Deny, Action: kms:Decrypt, Resource: "*" }] }',
    `  "${OTHER}":`,
    '    principals:',
    `      "${ARN.carol}":`,
    '        accessKeys:',
    key(CAROL),
    '        policies:',
    `          - { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: [kms:Encrypt, kms:Decrypt], Resource: "arn:aws:kms:*:${HOME}:key/*" }] }`,
    '',
  ].join('\n'),
);

const deniedMessage = (who: string, action: string, keyArn: string, why: string) =>
  `User: ${who} is not authorized to perform: ${action} on resource: ${keyArn} ${why}`;
const noIdentity = (action: string) => `because no identity-based policy allows the ${action} action`;
const noResource = (action: string) => `because no resource-based policy allows the ${action} action`;

describe('access control through the AWS SDK', { skip: needsOwnServer('a server configured with accounts and policies') }, () => {
  const server = useOwnServer({ env: { TRENT_CONFIG: CONFIG } });
  const clients: KMSClient[] = [];
  after(() => clients.forEach((client) => client.destroy()));
  const as = (credentials: Credentials): KMSClient => {
    const client = new KMSClient({ endpoint: server.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    clients.push(client);
    return client;
  };
  let shared: string; // the default key policy: delegates to the account
  let bobsOwn: string; // names bob, does not delegate to the account
  let crossAccount: string; // delegates to the account and allows account 444455556666 Encrypt
  const arnOf = (keyId: string) => `arn:aws:kms:us-east-1:${HOME}:key/${keyId}`;

  before(async () => {
    const root = as(ROOT);
    const create = async (Policy?: string) => (await root.send(new CreateKeyCommand(Policy === undefined ? {} : { Policy }))).KeyMetadata?.KeyId as string;
    const statement = (AWS: string, Action: string[]) => ({ Effect: 'Allow', Principal: { AWS }, Action, Resource: '*' });
    const policy = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
    shared = await create();
    bobsOwn = await create(policy(statement(ARN.root, ['kms:PutKeyPolicy', 'kms:DescribeKey']), statement(ARN.bob, ['kms:GenerateDataKeyPair'])));
    crossAccount = await create(policy(statement(ARN.root, ['kms:*']), statement(OTHER, ['kms:Encrypt'])));
  });

  for (const [name, command] of [
    ['GenerateDataKeyPair', (spec: 'RSA_2048' | 'ECC_NIST_P256') => new GenerateDataKeyPairCommand({ KeyId: shared, KeyPairSpec: spec })],
    [
      'GenerateDataKeyPairWithoutPlaintext',
      (spec: 'RSA_2048' | 'ECC_NIST_P256') => new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: shared, KeyPairSpec: spec }),
    ],
  ] as const) {
    it(`${name}: alice gets RSA_2048 pairs, and is refused ECC_NIST_P256 ones (kms:DataKeyPairSpec)`, async () => {
      const pair = await as(ALICE).send(command('RSA_2048'));
      assert.equal(pair.KeyPairSpec, 'RSA_2048');
      const refused = await awsError(() => as(ALICE).send(command('ECC_NIST_P256')));
      assert.deepEqual(refused, {
        name: 'AccessDeniedException',
        message: deniedMessage(ARN.alice, `kms:${name}`, arnOf(shared), noIdentity(`kms:${name}`)),
        status: 400,
      });
    });
  }

  it('Decrypt by kms:EncryptionContext:app, and an explicit deny beating an allow', async () => {
    const sealed = await as(ROOT).send(new EncryptCommand({ KeyId: shared, Plaintext: Buffer.from('hi'), EncryptionContext: { app: 'demo' } }));
    const plain = await as(ALICE).send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { app: 'demo' } }));
    assert.equal(Buffer.from(plain.Plaintext ?? []).toString(), 'hi');
    const other = await as(ROOT).send(new EncryptCommand({ KeyId: shared, Plaintext: Buffer.from('hi'), EncryptionContext: { app: 'other' } }));
    assert.equal((await awsError(() => as(ALICE).send(new DecryptCommand({ CiphertextBlob: other.CiphertextBlob, EncryptionContext: { app: 'other' } })))).name, 'AccessDeniedException');
    assert.deepEqual(await awsError(() => as(DAVE).send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { app: 'demo' } }))), {
      name: 'AccessDeniedException',
      message: deniedMessage(ARN.dave, 'kms:Decrypt', arnOf(shared), 'with an explicit deny in an identity-based policy'),
      status: 400,
    });
  });

  it('a key policy that does not delegate to IAM: bob, named in it, is allowed; alice, allowed by IAM, is not', async () => {
    assert.equal((await as(BOB).send(new GenerateDataKeyPairCommand({ KeyId: bobsOwn, KeyPairSpec: 'ECC_NIST_P256' }))).KeyPairSpec, 'ECC_NIST_P256');
    assert.deepEqual(await awsError(() => as(ALICE).send(new GenerateDataKeyPairCommand({ KeyId: bobsOwn, KeyPairSpec: 'RSA_2048' }))), {
      name: 'AccessDeniedException',
      message: deniedMessage(ARN.alice, 'kms:GenerateDataKeyPair', arnOf(bobsOwn), noResource('kms:GenerateDataKeyPair')),
      status: 400,
    });
  });

  it('a grant token works in the very next call; revoked, the grant allows nothing', async () => {
    const grant = await as(ROOT).send(new CreateGrantCommand({ KeyId: shared, GranteePrincipal: ARN.bob, Operations: ['GenerateDataKeyPair'] }));
    const pair = await as(BOB).send(new GenerateDataKeyPairCommand({ KeyId: shared, KeyPairSpec: 'ECC_NIST_P256', GrantTokens: [grant.GrantToken as string] }));
    assert.ok(pair.PrivateKeyCiphertextBlob);
    await as(ROOT).send(new RevokeGrantCommand({ KeyId: shared, GrantId: grant.GrantId }));
    assert.equal((await awsError(() => as(BOB).send(new GenerateDataKeyPairCommand({ KeyId: shared, KeyPairSpec: 'ECC_NIST_P256' })))).name, 'AccessDeniedException');
  });

  it('across accounts: carol encrypts under a key whose policy allows her account, and is refused another', async () => {
    const sealed = await as(CAROL).send(new EncryptCommand({ KeyId: arnOf(crossAccount), Plaintext: Buffer.from('x') }));
    assert.ok(sealed.CiphertextBlob);
    assert.deepEqual(await awsError(() => as(CAROL).send(new EncryptCommand({ KeyId: arnOf(shared), Plaintext: Buffer.from('x') }))), {
      name: 'AccessDeniedException',
      message: deniedMessage(ARN.carol, 'kms:Encrypt', arnOf(shared), noResource('kms:Encrypt')),
      status: 400,
    });
  });

  it('DryRun: DryRunOperationException with permission, AccessDeniedException without', async () => {
    const dryRun = (KeyPairSpec: 'RSA_2048' | 'RSA_4096') => as(ALICE).send(new GenerateDataKeyPairCommand({ KeyId: shared, KeyPairSpec, DryRun: true }));
    assert.equal((await awsError(() => dryRun('RSA_2048'))).name, 'DryRunOperationException');
    assert.equal((await awsError(() => dryRun('RSA_4096'))).name, 'AccessDeniedException');
  });

  it('the lock-out check refuses a policy that would shut alice out of PutKeyPolicy', async () => {
    const root = as(ROOT);
    const keyId = (await root.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
    const lockout = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ARN.bob }, Action: 'kms:*', Resource: '*' }] });
    assert.deepEqual(await awsError(() => as(ALICE).send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: lockout }))), {
      name: 'MalformedPolicyDocumentException',
      message: 'The new key policy will not allow you to update the key policy in the future.',
      status: 400,
    });
    const policy = await as(ALICE).send(new GetKeyPolicyCommand({ KeyId: keyId }));
    assert.match(policy.Policy ?? '', /"Id" : "key-default-1"/);
  });
});
