/**
 * The multi-Region condition keys (kms:MultiRegion, kms:MultiRegionKeyType, kms:ReplicaRegion,
 * kms:PrimaryRegion) and ReplicateKey's and UpdatePrimaryRegion's permissions, through signed
 * requests in authenticated mode, in-process. The policies are the KMS Developer Guide's own
 * examples ("AWS KMS condition keys"), read from test/vectors/policy-examples.json, so the test
 * checks that the condition values Trent fills in make those policies decide as AWS says: the
 * unit tests of the policy evaluator read the same examples with hand-written contexts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import type { AccountConfig } from '../../src/domain/identities.js';
import { createTestApp, type TestApp } from '../helpers/in-process.js';
import type { Credentials } from '../helpers/sigv4.js';

const HOME = '111122223333';
const credentials = (name: string): Credentials => ({ accessKeyId: `AKIA${name.toUpperCase().padEnd(16, '0')}`, secretAccessKey: `${name}/secret` });
const ROOT = credentials('root');
const ADMIN = credentials('admin');
const DEVELOPER = credentials('developer');
const SINGLE = credentials('single');
const CLEANER = credentials('cleaner');
const ARN = {
  root: `arn:aws:iam::${HOME}:root`,
  admin: `arn:aws:iam::${HOME}:role/Administrator`,
  developer: `arn:aws:iam::${HOME}:role/Developer`,
  single: `arn:aws:iam::${HOME}:user/single`,
  cleaner: `arn:aws:iam::${HOME}:user/cleaner`,
};

interface Example {
  name: string;
  policy: { Version: string; Statement: Record<string, unknown>[] };
}
const examples = (JSON.parse(readFileSync(new URL('../../../test/vectors/policy-examples.json', import.meta.url), 'utf8')) as { examples: Example[] }).examples;
function example(prefix: string): Example['policy'] {
  const found = examples.find((e) => e.name.startsWith(prefix));
  assert.ok(found, `policy-examples.json has "${prefix}"`);
  return found.policy;
}
const REPLICA_REGION = example('kms:ReplicaRegion, three Regions');
const PRIMARY_REGION = example('kms:PrimaryRegion, four destination Regions');
const SINGLE_REGION_ONLY = example('kms:MultiRegion, IAM policy creating single-Region keys only');
const REPLICAS_ONLY = example('kms:MultiRegionKeyType, IAM policy for replica keys of any Region');

const allowCreateKey: Record<string, unknown> = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:CreateKey', Resource: '*' }] };
const principal = (arn: string, creds: Credentials, policies: Record<string, unknown>[]) => ({
  arn,
  accessKeys: [{ accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey }],
  policies,
});
const ACCOUNTS: AccountConfig[] = [
  {
    id: HOME,
    principals: [
      principal(ARN.root, ROOT, []),
      // ReplicateKey needs kms:CreateKey in the replica Region from an identity policy.
      principal(ARN.admin, ADMIN, [allowCreateKey]),
      principal(ARN.developer, DEVELOPER, []),
      principal(ARN.single, SINGLE, [SINGLE_REGION_ONLY]),
      principal(ARN.cleaner, CLEANER, [REPLICAS_ONLY]),
    ],
  },
];

const denied = (who: string, action: string, resource: string, why: 'identity' | 'resource') => ({
  status: 400,
  __type: 'AccessDeniedException',
  message: `User: ${who} is not authorized to perform: ${action} on resource: ${resource} because no ${why === 'identity' ? 'identity' : 'resource'}-based policy allows the ${action} action`,
});
const arnIn = (keyId: string, region: string) => `arn:aws:kms:${region}:${HOME}:key/${keyId}`;
const withRoot = (policy: Example['policy']) =>
  JSON.stringify({ ...policy, Statement: [{ Effect: 'Allow', Principal: { AWS: ARN.root }, Action: 'kms:*', Resource: '*' }, ...policy.Statement] });

describe('multi-Region condition keys, with the KMS Developer Guide\'s example policies', () => {
  let t: TestApp;
  before(() => {
    t = createTestApp({ accounts: ACCOUNTS });
  });
  const as = (creds: Credentials, region = 'us-east-1') => ({ as: creds, region });

  it('kms:ReplicaRegion: Administrator replicates into the three Regions the key policy names, not a fourth', async () => {
    const created = await t.ok('CreateKey', { MultiRegion: true, Policy: withRoot(REPLICA_REGION) }, as(ROOT));
    const keyId = (created.KeyMetadata as { KeyId: string }).KeyId;
    await t.ok('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'ap-southeast-2' }, as(ADMIN));
    assert.deepEqual(
      await t.error('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'us-west-1' }, as(ADMIN)),
      denied(ARN.admin, 'kms:ReplicateKey', arnIn(keyId, 'us-east-1'), 'identity'),
    );
  });

  it('ReplicateKey needs kms:CreateKey in the replica Region: Developer, allowed ReplicateKey by the key policy, has none', async () => {
    const policy = withRoot({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: ARN.developer }, Action: 'kms:ReplicateKey', Resource: '*' }] });
    const keyId = ((await t.ok('CreateKey', { MultiRegion: true, Policy: policy }, as(ROOT))).KeyMetadata as { KeyId: string }).KeyId;
    assert.deepEqual(await t.error('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'eu-west-1' }, as(DEVELOPER)), denied(ARN.developer, 'kms:CreateKey', '*', 'identity'));
    assert.equal((await t.error('DescribeKey', { KeyId: keyId }, as(ROOT, 'eu-west-1'))).__type, 'NotFoundException', 'nothing was made');
  });

  it('kms:PrimaryRegion: Developer moves the primary to a Region the policies of both keys name, not elsewhere', async () => {
    const policy = withRoot(PRIMARY_REGION);
    const keyId = ((await t.ok('CreateKey', { MultiRegion: true, Policy: policy }, as(ROOT))).KeyMetadata as { KeyId: string }).KeyId;
    await t.ok('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'eu-west-3', Policy: policy }, as(ROOT));
    await t.ok('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'eu-west-1', Policy: policy }, as(ROOT));
    assert.deepEqual(
      await t.error('UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: 'eu-west-1' }, as(DEVELOPER)),
      denied(ARN.developer, 'kms:UpdatePrimaryRegion', arnIn(keyId, 'us-east-1'), 'identity'),
    );
    await t.ok('UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: 'eu-west-3' }, as(DEVELOPER));
  });

  it('UpdatePrimaryRegion needs kms:UpdatePrimaryRegion on the replica too', async () => {
    const policy = withRoot(PRIMARY_REGION);
    const keyId = ((await t.ok('CreateKey', { MultiRegion: true, Policy: policy }, as(ROOT))).KeyMetadata as { KeyId: string }).KeyId;
    await t.ok('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'us-west-2' }, as(ROOT));
    assert.deepEqual(
      await t.error('UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: 'us-west-2' }, as(DEVELOPER)),
      denied(ARN.developer, 'kms:UpdatePrimaryRegion', arnIn(keyId, 'us-west-2'), 'identity'),
    );
  });

  it('kms:MultiRegion: a user allowed single-Region keys only cannot create a multi-Region key', async () => {
    await t.ok('CreateKey', {}, as(SINGLE));
    await t.ok('CreateKey', { MultiRegion: false }, as(SINGLE));
    assert.deepEqual(await t.error('CreateKey', { MultiRegion: true }, as(SINGLE)), denied(ARN.single, 'kms:CreateKey', '*', 'identity'));
  });

  it('kms:MultiRegionKeyType: a user allowed replica keys only schedules a replica\'s deletion, not the primary\'s', async () => {
    const keyId = ((await t.ok('CreateKey', { MultiRegion: true }, as(ROOT))).KeyMetadata as { KeyId: string }).KeyId;
    await t.ok('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'eu-west-3' }, as(ROOT));
    await t.ok('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 }, as(CLEANER, 'eu-west-3'));
    await t.ok('CancelKeyDeletion', { KeyId: keyId }, as(CLEANER, 'eu-west-3'));
    assert.deepEqual(
      await t.error('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 }, as(CLEANER)),
      denied(ARN.cleaner, 'kms:ScheduleKeyDeletion', arnIn(keyId, 'us-east-1'), 'identity'),
    );
    const single = ((await t.ok('CreateKey', {}, as(ROOT))).KeyMetadata as { KeyId: string }).KeyId;
    assert.equal((await t.error('ScheduleKeyDeletion', { KeyId: single, PendingWindowInDays: 7 }, as(CLEANER))).__type, 'AccessDeniedException');
  });
});
