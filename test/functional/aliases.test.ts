/**
 * Functional tests of aliases through the AWS SDK over HTTP: CreateAlias, UpdateAlias,
 * DeleteAlias and ListAliases (paging, KeyId filter), alias use as a KeyId, AWS's error rows
 * (AWS-BEHAVIOUR.md, "Key identifiers") and the per-region scope of alias names.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ListAliasesCommand,
  ScheduleKeyDeletionCommand,
  UpdateAliasCommand,
  type AliasListEntry,
  type CreateKeyCommandInput,
  type KMSClient,
  type ListAliasesCommandOutput,
} from '@aws-sdk/client-kms';
import { awsError, kmsClient } from '../helpers/clients.js';
import { removeDataDir, spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';

const ACCOUNT = '111122223333';

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

function url(): string {
  return (server as SpawnedServer).url;
}

async function createKey(input: CreateKeyCommandInput = {}, client: KMSClient = kms): Promise<{ KeyId: string; Arn: string }> {
  const { KeyMetadata: metadata } = await client.send(new CreateKeyCommand(input));
  assert.ok(metadata?.KeyId && metadata.Arn);
  return { KeyId: metadata.KeyId, Arn: metadata.Arn };
}

async function describedKeyId(keyId: string, client: KMSClient = kms): Promise<string | undefined> {
  return (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyId;
}

function aliasArn(name: string, region = 'us-east-1'): string {
  return `arn:aws:kms:${region}:${ACCOUNT}:${name}`;
}

async function listAllAliases(client: KMSClient, keyId?: string): Promise<AliasListEntry[]> {
  const { Aliases, Truncated } = await client.send(new ListAliasesCommand({ Limit: 100, ...(keyId !== undefined && { KeyId: keyId }) }));
  assert.equal(Truncated, false);
  return Aliases ?? [];
}

describe('CreateAlias, UpdateAlias, DeleteAlias', () => {
  test('an alias names its key in every KeyId form that accepts aliases', async () => {
    const key = await createKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/orders', TargetKeyId: key.KeyId }));
    assert.equal(await describedKeyId('alias/orders'), key.KeyId);
    assert.equal(await describedKeyId(aliasArn('alias/orders')), key.KeyId);
    const encrypted = await kms.send(new EncryptCommand({ KeyId: 'alias/orders', Plaintext: Buffer.from('x') }));
    assert.equal(encrypted.KeyId, key.Arn);
  });

  test('CreateAlias accepts the target key ARN', async () => {
    const key = await createKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/by-arn', TargetKeyId: key.Arn }));
    assert.equal(await describedKeyId('alias/by-arn'), key.KeyId);
  });

  test('ListAliases shows an alias with its ARN, target and dates', async () => {
    const key = await createKey();
    const before = Date.now();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/listed', TargetKeyId: key.KeyId }));
    const entry = (await listAllAliases(kms)).find((a) => a.AliasName === 'alias/listed');
    assert.ok(entry, 'alias/listed not listed');
    assert.equal(entry.AliasArn, aliasArn('alias/listed'));
    assert.equal(entry.TargetKeyId, key.KeyId);
    assert.ok(entry.CreationDate instanceof Date && Math.abs(entry.CreationDate.getTime() - before) < 60_000);
    assert.equal(entry.LastUpdatedDate?.getTime(), entry.CreationDate.getTime());
  });

  test('UpdateAlias points the alias at another key of the same kind', async () => {
    const first = await createKey();
    const second = await createKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/moving', TargetKeyId: first.KeyId }));
    await kms.send(new UpdateAliasCommand({ AliasName: 'alias/moving', TargetKeyId: second.KeyId }));
    assert.equal(await describedKeyId('alias/moving'), second.KeyId);
    const entry = (await listAllAliases(kms)).find((a) => a.AliasName === 'alias/moving');
    assert.equal(entry?.TargetKeyId, second.KeyId);
    assert.ok((entry?.LastUpdatedDate?.getTime() ?? 0) >= (entry?.CreationDate?.getTime() ?? Infinity));
  });

  test('UpdateAlias between two asymmetric signing keys of different specs', async () => {
    const p256 = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const ed25519 = await createKey({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' });
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/signer', TargetKeyId: p256.KeyId }));
    await kms.send(new UpdateAliasCommand({ AliasName: 'alias/signer', TargetKeyId: ed25519.Arn }));
    assert.equal(await describedKeyId('alias/signer'), ed25519.KeyId);
  });

  test('DeleteAlias removes the alias and leaves the key', async () => {
    const key = await createKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/short-lived', TargetKeyId: key.KeyId }));
    await kms.send(new DeleteAliasCommand({ AliasName: 'alias/short-lived' }));
    const err = await awsError(() => kms.send(new DescribeKeyCommand({ KeyId: 'alias/short-lived' })));
    assert.deepEqual(err, { name: 'NotFoundException', message: `Alias ${aliasArn('alias/short-lived')} is not found.`, status: 400 });
    assert.equal(await describedKeyId(key.KeyId), key.KeyId);
    // The name is free again.
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/short-lived', TargetKeyId: key.KeyId }));
    assert.equal(await describedKeyId('alias/short-lived'), key.KeyId);
  });

  test('a key may have several aliases', async () => {
    const key = await createKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/one-of-two', TargetKeyId: key.KeyId }));
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/two-of-two', TargetKeyId: key.KeyId }));
    assert.equal(await describedKeyId('alias/one-of-two'), key.KeyId);
    assert.equal(await describedKeyId('alias/two-of-two'), key.KeyId);
  });
});

describe('alias errors', () => {
  let symmetric: { KeyId: string; Arn: string };
  let hmac: { KeyId: string; Arn: string };
  let pendingDeletion: { KeyId: string; Arn: string };

  before(async () => {
    symmetric = await createKey();
    hmac = await createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    pendingDeletion = await createKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/x', TargetKeyId: symmetric.KeyId }));
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/going-away', TargetKeyId: pendingDeletion.KeyId }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: pendingDeletion.KeyId, PendingWindowInDays: 7 }));
  });

  const unknownKeyId = '0badc0de-0000-4000-8000-00000000a11a';
  const rows: { name: string; call: () => Promise<unknown>; error: string; message: () => string }[] = [
    {
      name: 'CreateAlias without the alias/ prefix',
      call: () => kms.send(new CreateAliasCommand({ AliasName: 'x', TargetKeyId: symmetric.KeyId })),
      error: 'ValidationException',
      message: () =>
        'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
    },
    {
      name: 'CreateAlias of an existing alias',
      call: () => kms.send(new CreateAliasCommand({ AliasName: 'alias/x', TargetKeyId: hmac.KeyId })),
      error: 'AlreadyExistsException',
      message: () => 'An alias with the name arn:aws:kms:us-east-1:111122223333:alias/x already exists',
    },
    {
      name: 'CreateAlias in the reserved alias/aws/ namespace',
      call: () => kms.send(new CreateAliasCommand({ AliasName: 'alias/aws/mine', TargetKeyId: symmetric.KeyId })),
      error: 'ValidationException',
      message: () => 'Alias names that begin with alias/aws/ are reserved for AWS managed keys.',
    },
    {
      name: 'CreateAlias with characters the model pattern refuses',
      call: () => kms.send(new CreateAliasCommand({ AliasName: 'alias/has space', TargetKeyId: symmetric.KeyId })),
      error: 'ValidationException',
      message: () =>
        "1 validation error detected: Value 'alias/has space' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
    },
    {
      name: 'CreateAlias of an unknown key',
      call: () => kms.send(new CreateAliasCommand({ AliasName: 'alias/orphan', TargetKeyId: unknownKeyId })),
      error: 'NotFoundException',
      message: () => `Key 'arn:aws:kms:us-east-1:${ACCOUNT}:key/${unknownKeyId}' does not exist`,
    },
    {
      name: 'CreateAlias of a key pending deletion',
      call: () => kms.send(new CreateAliasCommand({ AliasName: 'alias/too-late', TargetKeyId: pendingDeletion.KeyId })),
      error: 'KMSInvalidStateException',
      message: () => `${pendingDeletion.Arn} is pending deletion.`,
    },
    {
      name: 'UpdateAlias to a key pending deletion',
      call: () => kms.send(new UpdateAliasCommand({ AliasName: 'alias/x', TargetKeyId: pendingDeletion.KeyId })),
      error: 'KMSInvalidStateException',
      message: () => `${pendingDeletion.Arn} is pending deletion.`,
    },
    {
      name: 'UpdateAlias from a symmetric key to an HMAC key',
      call: () => kms.send(new UpdateAliasCommand({ AliasName: 'alias/x', TargetKeyId: hmac.KeyId })),
      error: 'ValidationException',
      message: () =>
        'The new target key must be of the same type (symmetric, asymmetric or HMAC) and have the same key usage as the current target key.',
    },
    {
      name: 'UpdateAlias of an unknown alias',
      call: () => kms.send(new UpdateAliasCommand({ AliasName: 'alias/never-made', TargetKeyId: symmetric.KeyId })),
      error: 'NotFoundException',
      message: () => `Alias ${aliasArn('alias/never-made')} is not found.`,
    },
    {
      name: 'DeleteAlias of an unknown alias',
      call: () => kms.send(new DeleteAliasCommand({ AliasName: 'alias/never-made' })),
      error: 'NotFoundException',
      message: () => `Alias ${aliasArn('alias/never-made')} is not found.`,
    },
    {
      name: 'DeleteAlias without the alias/ prefix',
      call: () => kms.send(new DeleteAliasCommand({ AliasName: 'x' })),
      error: 'ValidationException',
      message: () =>
        'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
    },
    {
      name: 'ListAliases of an unknown key',
      call: () => kms.send(new ListAliasesCommand({ KeyId: unknownKeyId })),
      error: 'NotFoundException',
      message: () => `Key 'arn:aws:kms:us-east-1:${ACCOUNT}:key/${unknownKeyId}' does not exist`,
    },
    {
      name: 'ListAliases with an invalid Marker',
      call: () => kms.send(new ListAliasesCommand({ Marker: 'not-a-marker' })),
      error: 'InvalidMarkerException',
      message: () => 'Invalid marker',
    },
  ];
  for (const row of rows) {
    test(`${row.name} -> ${row.error}`, async () => {
      assert.deepEqual(await awsError(row.call), { name: row.error, message: row.message(), status: 400 });
    });
  }

  test('the refused calls changed nothing', async () => {
    assert.equal(await describedKeyId('alias/x'), symmetric.KeyId);
    const names = (await listAllAliases(kms)).map((a) => a.AliasName);
    for (const name of ['x', 'alias/aws/mine', 'alias/orphan', 'alias/too-late', 'alias/never-made']) {
      assert.equal(names.includes(name), false, `${name} exists`);
    }
  });

  test('an alias of a key pending deletion still resolves, and using it reports the state', async () => {
    assert.equal(await describedKeyId('alias/going-away'), pendingDeletion.KeyId);
    const err = await awsError(() => kms.send(new EncryptCommand({ KeyId: 'alias/going-away', Plaintext: Buffer.from('x') })));
    assert.deepEqual(err, { name: 'KMSInvalidStateException', message: `${pendingDeletion.Arn} is pending deletion.`, status: 400 });
  });
});

describe('ListAliases paging and KeyId filter', () => {
  // A region of its own, so that the listing holds exactly the aliases made here.
  const region = 'ap-southeast-2';
  let regional: KMSClient;
  let first: string;
  let second: string;
  const firstAliases = ['alias/page-a', 'alias/page-c'];
  const secondAliases = ['alias/page-b', 'alias/page-d', 'alias/page-e'];

  before(async () => {
    regional = kmsClient(url(), region);
    first = (await createKey({}, regional)).KeyId;
    second = (await createKey({}, regional)).KeyId;
    for (const name of firstAliases) await regional.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: first }));
    for (const name of secondAliases) await regional.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: second }));
  });
  after(() => regional.destroy());

  test('Limit 2 pages through all 5 aliases, each once, in name order', async () => {
    const pages: ListAliasesCommandOutput[] = [];
    let marker: string | undefined;
    do {
      const page = await regional.send(new ListAliasesCommand({ Limit: 2, ...(marker !== undefined && { Marker: marker }) }));
      pages.push(page);
      marker = page.NextMarker;
      assert.ok(pages.length <= 5, 'paging does not end');
    } while (marker !== undefined);
    assert.deepEqual(
      pages.map((p) => [p.Aliases?.length, p.Truncated, p.NextMarker !== undefined]),
      [
        [2, true, true],
        [2, true, true],
        [1, false, false],
      ],
    );
    const names = pages.flatMap((p) => (p.Aliases ?? []).map((a) => a.AliasName));
    assert.deepEqual(names, [...firstAliases, ...secondAliases].sort());
    for (const entry of pages.flatMap((p) => p.Aliases ?? [])) {
      assert.equal(entry.AliasArn, aliasArn(entry.AliasName as string, region));
    }
  });

  test('Limit equal to the number of aliases is not truncated', async () => {
    const page = await regional.send(new ListAliasesCommand({ Limit: 5 }));
    assert.equal(page.Aliases?.length, 5);
    assert.equal(page.Truncated, false);
    assert.equal(page.NextMarker, undefined);
  });

  test('KeyId filters the aliases of one key, by key id or key ARN', async () => {
    const byId = await listAllAliases(regional, first);
    assert.deepEqual(
      byId.map((a) => [a.AliasName, a.TargetKeyId]),
      firstAliases.map((name) => [name, first]),
    );
    const byArn = await listAllAliases(regional, `arn:aws:kms:${region}:${ACCOUNT}:key/${second}`);
    assert.deepEqual(
      byArn.map((a) => a.AliasName),
      secondAliases,
    );
  });

  test('KeyId filter with paging', async () => {
    const page1 = await regional.send(new ListAliasesCommand({ KeyId: second, Limit: 2 }));
    assert.deepEqual(page1.Aliases?.map((a) => a.AliasName), secondAliases.slice(0, 2));
    assert.equal(page1.Truncated, true);
    assert.ok(page1.NextMarker);
    const page2 = await regional.send(new ListAliasesCommand({ KeyId: second, Limit: 2, Marker: page1.NextMarker }));
    assert.deepEqual(page2.Aliases?.map((a) => a.AliasName), secondAliases.slice(2));
    assert.equal(page2.Truncated, false);
    assert.equal(page2.NextMarker, undefined);
  });

  test('a key without aliases lists none', async () => {
    const lonely = (await createKey({}, regional)).KeyId;
    assert.deepEqual(await listAllAliases(regional, lonely), []);
  });
});

describe('aliases are per region', () => {
  let west: KMSClient;
  let eastKey: { KeyId: string; Arn: string };

  before(async () => {
    west = kmsClient(url(), 'us-west-2');
    eastKey = await createKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/regional', TargetKeyId: eastKey.KeyId }));
  });
  after(() => west.destroy());

  test('an alias created in us-east-1 is not found from us-west-2', async () => {
    const err = await awsError(() => west.send(new DescribeKeyCommand({ KeyId: 'alias/regional' })));
    assert.deepEqual(err, { name: 'NotFoundException', message: `Alias ${aliasArn('alias/regional', 'us-west-2')} is not found.`, status: 400 });
  });

  test('the us-east-1 alias ARN is refused from us-west-2', async () => {
    const err = await awsError(() => west.send(new DescribeKeyCommand({ KeyId: aliasArn('alias/regional') })));
    assert.deepEqual(err, { name: 'NotFoundException', message: 'Invalid arn us-east-1', status: 400 });
  });

  test('us-west-2 does not list it, and can create its own alias of the same name', async () => {
    assert.equal((await listAllAliases(west)).some((a) => a.AliasName === 'alias/regional'), false);
    const westKey = await createKey({}, west);
    await west.send(new CreateAliasCommand({ AliasName: 'alias/regional', TargetKeyId: westKey.KeyId }));
    assert.equal(await describedKeyId('alias/regional', west), westKey.KeyId);
    assert.equal(await describedKeyId('alias/regional'), eastKey.KeyId);
  });

  test('DeleteAlias in us-west-2 does not touch the us-east-1 alias', async () => {
    const err = await awsError(() => west.send(new DeleteAliasCommand({ AliasName: 'alias/only-east' })));
    assert.deepEqual(err, { name: 'NotFoundException', message: `Alias ${aliasArn('alias/only-east', 'us-west-2')} is not found.`, status: 400 });
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/only-east', TargetKeyId: eastKey.KeyId }));
    assert.equal(
      (await awsError(() => west.send(new DeleteAliasCommand({ AliasName: 'alias/only-east' })))).name,
      'NotFoundException',
    );
    assert.equal(await describedKeyId('alias/only-east'), eastKey.KeyId);
  });

  test('CreateAlias in us-west-2 cannot target a us-east-1 key', async () => {
    const err = await awsError(() => west.send(new CreateAliasCommand({ AliasName: 'alias/cross', TargetKeyId: eastKey.KeyId })));
    assert.deepEqual(err, {
      name: 'NotFoundException',
      message: `Key 'arn:aws:kms:us-west-2:${ACCOUNT}:key/${eastKey.KeyId}' does not exist`,
      status: 400,
    });
  });
});
