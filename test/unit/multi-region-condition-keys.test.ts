/**
 * The multi-Region condition keys as domain/condition-keys.ts fills them (the KMS Developer
 * Guide's "AWS KMS condition keys"): kms:MultiRegion "true"/"false" for every key, and
 * kms:MultiRegionKeyType PRIMARY or REPLICA only for multi-Region keys (absent otherwise, which
 * the Null operator tests); for CreateKey, from the request; kms:ReplicaRegion and
 * kms:PrimaryRegion only from the requests that carry them. Policies using them, end to end, are
 * in test/operations/multi-region-access.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accountRoot, type AccessFacts, type Resource } from '../../src/domain/access.js';
import { conditionContext } from '../../src/domain/condition-keys.js';
import type { KeyRecord } from '../../src/storage/types.js';
import { testKeyRecord } from '../helpers/records.js';

const caller = { principal: accountRoot('111122223333'), scope: { account: '111122223333', region: 'us-east-1' }, secureTransport: false };

function key(region: string, primaryRegion?: string): KeyRecord {
  const keyId = primaryRegion ? 'mrk-1234abcd12ab34cd56ef1234567890ab' : '1234abcd-12ab-34cd-56ef-1234567890ab';
  return testKeyRecord(keyId, { region, ...(primaryRegion !== undefined && { primaryRegion }) });
}

function keysOf(resource: Resource, facts: AccessFacts = {}): Record<string, readonly string[] | undefined> {
  const context = conditionContext({ caller, resource, facts, now: 0 });
  const pick = (name: string) => context.get(name.toLowerCase());
  return {
    'kms:MultiRegion': pick('kms:MultiRegion'),
    'kms:MultiRegionKeyType': pick('kms:MultiRegionKeyType'),
    'kms:ReplicaRegion': pick('kms:ReplicaRegion'),
    'kms:PrimaryRegion': pick('kms:PrimaryRegion'),
  };
}

const onKey = (record: KeyRecord): Resource => ({ type: 'key', arn: `arn:aws:kms:${record.region}:111122223333:key/${record.keyId}`, account: record.account, region: record.region, key: record });
const onAccount: Resource = { type: 'account', arn: '*', account: '111122223333', region: 'us-east-1' };

describe('multi-Region condition keys', () => {
  it('a single-Region key: kms:MultiRegion false, no kms:MultiRegionKeyType', () => {
    assert.deepEqual(keysOf(onKey(key('us-east-1'))), { 'kms:MultiRegion': ['false'], 'kms:MultiRegionKeyType': undefined, 'kms:ReplicaRegion': undefined, 'kms:PrimaryRegion': undefined });
  });

  it('a primary key and its replica: kms:MultiRegion true, PRIMARY and REPLICA', () => {
    assert.deepEqual(keysOf(onKey(key('us-east-1', 'us-east-1')))['kms:MultiRegionKeyType'], ['PRIMARY']);
    assert.deepEqual(keysOf(onKey(key('eu-west-1', 'us-east-1'))), { 'kms:MultiRegion': ['true'], 'kms:MultiRegionKeyType': ['REPLICA'], 'kms:ReplicaRegion': undefined, 'kms:PrimaryRegion': undefined });
  });

  it('ReplicateKey and UpdatePrimaryRegion: the Region the request names', () => {
    const primary = onKey(key('us-east-1', 'us-east-1'));
    assert.deepEqual(keysOf(primary, { replicaRegion: 'ap-southeast-2' })['kms:ReplicaRegion'], ['ap-southeast-2']);
    assert.deepEqual(keysOf(primary, { primaryRegion: 'eu-west-3' })['kms:PrimaryRegion'], ['eu-west-3']);
  });

  it('CreateKey: from the request, false when MultiRegion is not asked for', () => {
    assert.deepEqual(keysOf(onAccount, { multiRegion: false })['kms:MultiRegion'], ['false']);
    assert.deepEqual(keysOf(onAccount, { multiRegion: true, multiRegionKeyType: 'PRIMARY' }), {
      'kms:MultiRegion': ['true'],
      'kms:MultiRegionKeyType': ['PRIMARY'],
      'kms:ReplicaRegion': undefined,
      'kms:PrimaryRegion': undefined,
    });
    assert.deepEqual(keysOf(onAccount), { 'kms:MultiRegion': undefined, 'kms:MultiRegionKeyType': undefined, 'kms:ReplicaRegion': undefined, 'kms:PrimaryRegion': undefined });
  });
});
