/**
 * The alias operations' errors, in-process: CreateAlias, UpdateAlias, DeleteAlias and
 * ListAliases with AWS's wording (AWS-BEHAVIOUR.md, "Key identifiers"), keys in the wrong state,
 * and alias names scoped to one region. The happy paths and one error run over HTTP with the AWS
 * SDK in test/functional/aliases.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aliasArn, b64, clientError, keyArn, type CreatedKey, type TestApp } from '../helpers/in-process.js';
import { errorRows, inProcessFixture, unknownKeyRow, type ErrorRow } from './error-table.js';

const ALIAS_PREFIX_MESSAGE =
  'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html';

interface Keys {
  symmetric: CreatedKey;
  hmac: CreatedKey;
  pendingDeletion: CreatedKey;
}

async function aliasNames(t: TestApp, region?: string): Promise<string[]> {
  const listed = await t.ok('ListAliases', {}, region === undefined ? {} : { region });
  return (listed.Aliases as { AliasName: string }[]).map((a) => a.AliasName);
}

describe('alias errors', () => {
  const fixture = inProcessFixture<Keys>(async (t) => {
    const keys = {
      symmetric: await t.createKey(),
      hmac: await t.createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }),
      pendingDeletion: await t.createKey(),
    };
    await t.ok('CreateAlias', { AliasName: 'alias/x', TargetKeyId: keys.symmetric.keyId });
    await t.ok('CreateAlias', { AliasName: 'alias/going-away', TargetKeyId: keys.pendingDeletion.keyId });
    await t.ok('ScheduleKeyDeletion', { KeyId: keys.pendingDeletion.keyId, PendingWindowInDays: 7 });
    return keys;
  });

  const rows: ErrorRow<Keys>[] = [
    {
      name: 'CreateAlias without the alias/ prefix',
      operation: 'CreateAlias',
      body: (f) => ({ AliasName: 'x', TargetKeyId: f.symmetric.keyId }),
      error: 'ValidationException',
      message: ALIAS_PREFIX_MESSAGE,
    },
    {
      name: 'CreateAlias of an existing alias',
      operation: 'CreateAlias',
      body: (f) => ({ AliasName: 'alias/x', TargetKeyId: f.hmac.keyId }),
      error: 'AlreadyExistsException',
      message: `An alias with the name ${aliasArn('alias/x')} already exists`,
    },
    {
      name: 'CreateAlias in the reserved alias/aws/ namespace',
      operation: 'CreateAlias',
      body: (f) => ({ AliasName: 'alias/aws/mine', TargetKeyId: f.symmetric.keyId }),
      error: 'ValidationException',
      message: 'Alias names that begin with alias/aws/ are reserved for AWS managed keys.',
    },
    {
      name: 'CreateAlias with characters the model pattern refuses',
      operation: 'CreateAlias',
      body: (f) => ({ AliasName: 'alias/has space', TargetKeyId: f.symmetric.keyId }),
      error: 'ValidationException',
      message:
        "1 validation error detected: Value 'alias/has space' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
    },
    unknownKeyRow('CreateAlias of an unknown key', 'CreateAlias', (TargetKeyId) => ({ AliasName: 'alias/orphan', TargetKeyId })),
    {
      name: 'CreateAlias of a key pending deletion',
      operation: 'CreateAlias',
      body: (f) => ({ AliasName: 'alias/too-late', TargetKeyId: f.pendingDeletion.keyId }),
      error: 'KMSInvalidStateException',
      message: (f) => `${f.pendingDeletion.arn} is pending deletion.`,
    },
    {
      name: 'UpdateAlias to a key pending deletion',
      operation: 'UpdateAlias',
      body: (f) => ({ AliasName: 'alias/x', TargetKeyId: f.pendingDeletion.keyId }),
      error: 'KMSInvalidStateException',
      message: (f) => `${f.pendingDeletion.arn} is pending deletion.`,
    },
    {
      name: 'UpdateAlias from a symmetric key to an HMAC key',
      operation: 'UpdateAlias',
      body: (f) => ({ AliasName: 'alias/x', TargetKeyId: f.hmac.keyId }),
      error: 'ValidationException',
      message:
        'The new target key must be of the same type (symmetric, asymmetric or HMAC) and have the same key usage as the current target key.',
    },
    {
      name: 'UpdateAlias of an unknown alias',
      operation: 'UpdateAlias',
      body: (f) => ({ AliasName: 'alias/never-made', TargetKeyId: f.symmetric.keyId }),
      error: 'NotFoundException',
      message: `Alias ${aliasArn('alias/never-made')} is not found.`,
    },
    {
      name: 'DeleteAlias of an unknown alias',
      operation: 'DeleteAlias',
      body: () => ({ AliasName: 'alias/never-made' }),
      error: 'NotFoundException',
      message: `Alias ${aliasArn('alias/never-made')} is not found.`,
    },
    { name: 'DeleteAlias without the alias/ prefix', operation: 'DeleteAlias', body: () => ({ AliasName: 'x' }), error: 'ValidationException', message: ALIAS_PREFIX_MESSAGE },
    unknownKeyRow('ListAliases of an unknown key', 'ListAliases', (KeyId) => ({ KeyId })),
    { name: 'ListAliases with an invalid Marker', operation: 'ListAliases', body: () => ({ Marker: 'not-a-marker' }), error: 'InvalidMarkerException', message: 'Invalid marker' },
    {
      name: 'Encrypt through the alias of a key pending deletion',
      operation: 'Encrypt',
      body: () => ({ KeyId: 'alias/going-away', Plaintext: b64('x') }),
      error: 'KMSInvalidStateException',
      message: (f) => `${f.pendingDeletion.arn} is pending deletion.`,
    },
  ];
  errorRows(fixture, rows);

  it('the refused calls changed nothing', async () => {
    const { t, f } = fixture;
    assert.equal(((await t.ok('DescribeKey', { KeyId: 'alias/x' })).KeyMetadata as { KeyId: string }).KeyId, f.symmetric.keyId);
    assert.deepEqual(await aliasNames(t), ['alias/going-away', 'alias/x']);
  });

  it('an alias of a key pending deletion still resolves', async () => {
    const { t, f } = fixture;
    assert.equal(((await t.ok('DescribeKey', { KeyId: 'alias/going-away' })).KeyMetadata as { KeyId: string }).KeyId, f.pendingDeletion.keyId);
  });
});

describe('aliases are per region', () => {
  const fixture = inProcessFixture(async (t) => {
    const eastKey = await t.createKey();
    await t.ok('CreateAlias', { AliasName: 'alias/regional', TargetKeyId: eastKey.keyId });
    await t.ok('CreateAlias', { AliasName: 'alias/only-east', TargetKeyId: eastKey.keyId });
    return { eastKey };
  });
  const west = { region: 'us-west-2' };
  errorRows(fixture, [
    {
      name: 'an alias created in us-east-1, looked up from us-west-2',
      operation: 'DescribeKey',
      body: () => ({ KeyId: 'alias/regional' }),
      options: west,
      error: 'NotFoundException',
      message: `Alias ${aliasArn('alias/regional', 'us-west-2')} is not found.`,
    },
    {
      name: 'the us-east-1 alias ARN, from us-west-2',
      operation: 'DescribeKey',
      body: () => ({ KeyId: aliasArn('alias/regional') }),
      options: west,
      error: 'NotFoundException',
      message: 'Invalid arn us-east-1',
    },
    {
      name: 'DeleteAlias in us-west-2 of an alias that only us-east-1 has',
      operation: 'DeleteAlias',
      body: () => ({ AliasName: 'alias/only-east' }),
      options: west,
      error: 'NotFoundException',
      message: `Alias ${aliasArn('alias/only-east', 'us-west-2')} is not found.`,
    },
    {
      name: 'CreateAlias in us-west-2 targeting a us-east-1 key',
      operation: 'CreateAlias',
      body: (f) => ({ AliasName: 'alias/cross', TargetKeyId: f.eastKey.keyId }),
      options: west,
      error: 'NotFoundException',
      message: (f) => `Key '${keyArn(f.eastKey.keyId, 'us-west-2')}' does not exist`,
    },
  ]);

  it('us-west-2 lists none of them; us-east-1 keeps both', async () => {
    const { t } = fixture;
    assert.deepEqual(await aliasNames(t, 'us-west-2'), []);
    assert.deepEqual(await aliasNames(t), ['alias/only-east', 'alias/regional']);
    assert.deepEqual(await t.error('DescribeKey', { KeyId: 'alias/cross' }, west), clientError('NotFoundException', `Alias ${aliasArn('alias/cross', 'us-west-2')} is not found.`));
  });
});
