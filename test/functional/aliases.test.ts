/**
 * Functional tests of aliases through the AWS SDK over HTTP: CreateAlias, UpdateAlias,
 * DeleteAlias and ListAliases (paging, KeyId filter), alias use as a KeyId, and the per-region
 * scope of alias names, with one error so that the SDK's parsing of errors is exercised. Every
 * error row (AWS-BEHAVIOUR.md, "Key identifiers") runs in-process in
 * test/operations/aliases.test.ts.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  CreateAliasCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ListAliasesCommand,
  UpdateAliasCommand,
  type AliasListEntry,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { awsError } from '../helpers/clients.js';
import { aliasArn, allPages, createKey, keyArn, uniqueAlias, useServer } from '../helpers/functional.js';

const server = useServer();

async function describedKeyId(keyId: string, client: KMSClient = server.kms): Promise<string | undefined> {
  return (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyId;
}

/** Every alias of the region (or of one key), paging with `limit`. */
async function listAliases(client: KMSClient, options: { keyId?: string; limit?: number } = {}): Promise<AliasListEntry[]> {
  const limit = options.limit ?? 100;
  const request = (marker: string | undefined) =>
    client.send(
      new ListAliasesCommand({ Limit: limit, ...(options.keyId !== undefined && { KeyId: options.keyId }), ...(marker !== undefined && { Marker: marker }) }),
    );
  return (await allPages(request, (page) => page.Aliases, limit)).entries;
}

describe('CreateAlias, UpdateAlias, DeleteAlias', () => {
  test('an alias names its key in every KeyId form that accepts aliases', async () => {
    const key = await createKey(server.kms);
    const alias = uniqueAlias('orders');
    await server.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyId }));
    assert.equal(await describedKeyId(alias), key.KeyId);
    assert.equal(await describedKeyId(aliasArn(alias)), key.KeyId);
    const encrypted = await server.kms.send(new EncryptCommand({ KeyId: alias, Plaintext: Buffer.from('x') }));
    assert.equal(encrypted.KeyId, key.Arn);
  });

  test('CreateAlias accepts the target key ARN', async () => {
    const key = await createKey(server.kms);
    const alias = uniqueAlias('by-arn');
    await server.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.Arn }));
    assert.equal(await describedKeyId(alias), key.KeyId);
  });

  test('ListAliases shows an alias with its ARN, target and dates', async () => {
    const key = await createKey(server.kms);
    const alias = uniqueAlias('listed');
    const before = Date.now();
    await server.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyId }));
    const entry = (await listAliases(server.kms)).find((a) => a.AliasName === alias);
    assert.ok(entry, `${alias} not listed`);
    assert.equal(entry.AliasArn, aliasArn(alias));
    assert.equal(entry.TargetKeyId, key.KeyId);
    assert.ok(entry.CreationDate instanceof Date && Math.abs(entry.CreationDate.getTime() - before) < 60_000);
    assert.equal(entry.LastUpdatedDate?.getTime(), entry.CreationDate.getTime());
  });

  test('UpdateAlias points the alias at another key of the same kind', async () => {
    const first = await createKey(server.kms);
    const second = await createKey(server.kms);
    const alias = uniqueAlias('moving');
    await server.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: first.KeyId }));
    await server.kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: second.KeyId }));
    assert.equal(await describedKeyId(alias), second.KeyId);
    const entry = (await listAliases(server.kms, { keyId: second.KeyId })).find((a) => a.AliasName === alias);
    assert.equal(entry?.TargetKeyId, second.KeyId);
    assert.ok((entry?.LastUpdatedDate?.getTime() ?? 0) >= (entry?.CreationDate?.getTime() ?? Infinity));
  });

  test('UpdateAlias between two asymmetric signing keys of different specs', async () => {
    const p256 = await createKey(server.kms, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const ed25519 = await createKey(server.kms, { KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' });
    const alias = uniqueAlias('signer');
    await server.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: p256.KeyId }));
    await server.kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: ed25519.Arn }));
    assert.equal(await describedKeyId(alias), ed25519.KeyId);
  });

  test('DeleteAlias removes the alias and leaves the key', async () => {
    const key = await createKey(server.kms);
    const alias = uniqueAlias('short-lived');
    await server.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyId }));
    await server.kms.send(new DeleteAliasCommand({ AliasName: alias }));
    const err = await awsError(() => server.kms.send(new DescribeKeyCommand({ KeyId: alias })));
    assert.deepEqual(err, { name: 'NotFoundException', message: `Alias ${aliasArn(alias)} is not found.`, status: 400 });
    assert.equal(await describedKeyId(key.KeyId), key.KeyId);
    // The name is free again.
    await server.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyId }));
    assert.equal(await describedKeyId(alias), key.KeyId);
  });

  test('a key may have several aliases', async () => {
    const key = await createKey(server.kms);
    const [one, two] = [uniqueAlias('one-of-two'), uniqueAlias('two-of-two')];
    await server.kms.send(new CreateAliasCommand({ AliasName: one, TargetKeyId: key.KeyId }));
    await server.kms.send(new CreateAliasCommand({ AliasName: two, TargetKeyId: key.KeyId }));
    assert.equal(await describedKeyId(one), key.KeyId);
    assert.equal(await describedKeyId(two), key.KeyId);
  });

  // One error runs here through the SDK; every error row is in test/operations/aliases.test.ts.
  test('CreateAlias of an existing alias -> AlreadyExistsException, and the alias keeps its key', async () => {
    const [key, other] = [await createKey(server.kms), await createKey(server.kms)];
    const alias = uniqueAlias('taken');
    await server.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyId }));
    const err = await awsError(() => server.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: other.KeyId })));
    assert.deepEqual(err, { name: 'AlreadyExistsException', message: `An alias with the name ${aliasArn(alias)} already exists`, status: 400 });
    assert.equal(await describedKeyId(alias), key.KeyId);
  });
});

describe('ListAliases paging and KeyId filter', () => {
  // A region no other file uses, so that nothing else adds aliases to it while these tests run.
  // An endpoint may hold aliases of earlier runs there: the tests count what is listed.
  const region = 'ap-southeast-2';
  const regional = () => server.client(region);
  let first: string;
  let second: string;
  const firstAliases = [uniqueAlias('page-a'), uniqueAlias('page-c')];
  const secondAliases = [uniqueAlias('page-b'), uniqueAlias('page-d'), uniqueAlias('page-e')];

  before(async () => {
    first = (await createKey(regional())).KeyId;
    second = (await createKey(regional())).KeyId;
    for (const name of firstAliases) await regional().send(new CreateAliasCommand({ AliasName: name, TargetKeyId: first }));
    for (const name of secondAliases) await regional().send(new CreateAliasCommand({ AliasName: name, TargetKeyId: second }));
  });

  test('Limit 2 pages through every alias of the region, each once, in name order', async () => {
    const listed = await listAliases(regional(), { limit: 2 });
    const names = listed.map((a) => a.AliasName as string);
    assert.deepEqual(names, [...names].sort(), 'in name order');
    assert.equal(new Set(names).size, names.length, 'an alias was listed twice');
    assert.deepEqual(
      names.filter((name) => firstAliases.includes(name) || secondAliases.includes(name)),
      [...firstAliases, ...secondAliases].sort(),
    );
    for (const entry of listed) assert.equal(entry.AliasArn, aliasArn(entry.AliasName as string, region));
  });

  test('Limit equal to the number of aliases is not truncated', async () => {
    const total = (await listAliases(regional())).length;
    const page = await regional().send(new ListAliasesCommand({ Limit: total }));
    assert.equal(page.Aliases?.length, total);
    assert.equal(page.Truncated, false);
    assert.equal(page.NextMarker, undefined);
  });

  test('KeyId filters the aliases of one key, by key id or key ARN', async () => {
    const byId = await listAliases(regional(), { keyId: first });
    assert.deepEqual(
      byId.map((a) => [a.AliasName, a.TargetKeyId]),
      firstAliases.map((name) => [name, first]),
    );
    const byArn = await listAliases(regional(), { keyId: keyArn(second, region) });
    assert.deepEqual(
      byArn.map((a) => a.AliasName),
      secondAliases,
    );
  });

  test('KeyId filter with paging', async () => {
    const page1 = await regional().send(new ListAliasesCommand({ KeyId: second, Limit: 2 }));
    assert.deepEqual(page1.Aliases?.map((a) => a.AliasName), secondAliases.slice(0, 2));
    assert.equal(page1.Truncated, true);
    assert.ok(page1.NextMarker);
    const page2 = await regional().send(new ListAliasesCommand({ KeyId: second, Limit: 2, Marker: page1.NextMarker }));
    assert.deepEqual(page2.Aliases?.map((a) => a.AliasName), secondAliases.slice(2));
    assert.equal(page2.Truncated, false);
    assert.equal(page2.NextMarker, undefined);
  });

  test('a key without aliases lists none', async () => {
    const lonely = (await createKey(regional())).KeyId;
    assert.deepEqual(await listAliases(regional(), { keyId: lonely }), []);
  });
});

describe('aliases are per region', () => {
  test('us-west-2 does not see a us-east-1 alias, and can create its own of the same name', async () => {
    const west = server.client('us-west-2');
    const eastKey = await createKey(server.kms);
    const alias = uniqueAlias('regional');
    await server.kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: eastKey.KeyId }));
    assert.equal((await listAliases(west)).some((a) => a.AliasName === alias), false);
    const westKey = await createKey(west);
    await west.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: westKey.KeyId }));
    assert.equal(await describedKeyId(alias, west), westKey.KeyId);
    assert.equal(await describedKeyId(alias), eastKey.KeyId);
  });
});
