/**
 * Two Trent servers on different ports sharing one PostgreSQL database (a schema of its own in
 * TRENT_TEST_DATABASE_URL), driven alternately with @aws-sdk/client-kms: a key created on one is
 * used on the other, a key disabled through one is refused by the other on the very next
 * request (the key record cache is invalidated across servers), an alias raced on both is
 * created once, and a server started with another root key refuses to start. Skipped, saying
 * why, when TRENT_TEST_DATABASE_URL is unset.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyPairCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { awsError, kmsClient } from '../helpers/clients.js';
import { needsOwnServer } from '../helpers/functional.js';
import { freshSchemaUrl, postgresSkipReason } from '../helpers/postgres.js';
import { removeDataDir, spawnServer, tempDataDir, type SpawnedServer } from '../helpers/spawn-server.js';

const skip = postgresSkipReason || needsOwnServer('starts two servers on one PostgreSQL database');

describe('several servers on one PostgreSQL database', { skip, timeout: 120_000 }, () => {
  const rootKey = randomBytes(32).toString('base64');
  const servers: SpawnedServer[] = [];
  const clients: KMSClient[] = [];
  let url: string;
  let a: KMSClient;
  let b: KMSClient;

  before(async () => {
    url = await freshSchemaUrl('trent_servers');
    // Started together: the migrations run once under the advisory lock, whoever comes first.
    servers.push(
      ...(await Promise.all([0, 1].map(() => spawnServer({ env: { TRENT_DATABASE_URL: url, TRENT_ROOT_KEY: rootKey } })))),
    );
    clients.push(...servers.map((s) => kmsClient(s.url)));
    [a, b] = clients as [KMSClient, KMSClient];
  });

  after(async () => {
    for (const client of clients) client.destroy();
    await Promise.all(servers.map((s) => s.stop()));
    for (const s of servers) removeDataDir(s.dataDir);
  });

  it('listens on two ports', () => {
    assert.notEqual(servers[0]?.url, servers[1]?.url);
  });

  it('a key created on one server encrypts on the other, and its ciphertext decrypts on the first', async () => {
    const keyId = (await a.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    assert.ok(keyId);
    const plaintext = randomBytes(64);
    const encrypted = await b.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: { app: 'two' } }));
    const decrypted = await a.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { app: 'two' } }));
    assert.deepEqual(Buffer.from(decrypted.Plaintext ?? []), plaintext);
    assert.equal(decrypted.KeyId, encrypted.KeyId);
  });

  it('a data key pair made on one server is decrypted by the other', async () => {
    const keyId = (await b.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    const pair = await b.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256' }));
    const decrypted = await a.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob }));
    assert.deepEqual(Buffer.from(decrypted.Plaintext ?? []), Buffer.from(pair.PrivateKeyPlaintext ?? []));
  });

  it('a key disabled through one server is refused by the other on its next request, and enabled again likewise', async () => {
    const created = (await a.send(new CreateKeyCommand({}))).KeyMetadata;
    const keyId = created?.KeyId as string;
    const arn = created?.Arn as string;
    for (let round = 0; round < 10; round++) {
      // Alternate which server changes the key and which one, having it cached, must notice.
      const [changer, user] = round % 2 === 0 ? [a, b] : [b, a];
      await user.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('warm the cache') }));
      await changer.send(new DisableKeyCommand({ KeyId: keyId }));
      assert.deepEqual(
        await awsError(() => user.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('refused') }))),
        { name: 'DisabledException', message: `${arn} is disabled.`, status: 400 },
        `round ${round}`,
      );
      assert.equal((await user.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState, 'Disabled');
      await changer.send(new EnableKeyCommand({ KeyId: keyId }));
      await user.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('accepted again') }));
    }
  });

  it('two servers racing to create one alias: exactly one succeeds, the other gets AlreadyExistsException', async () => {
    const keyId = (await a.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
    for (let round = 0; round < 10; round++) {
      const aliasName = `alias/race-${round}-${randomBytes(4).toString('hex')}`;
      const outcomes = await Promise.allSettled([a, b].map((client) => client.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: keyId }))));
      const succeeded = outcomes.filter((o) => o.status === 'fulfilled');
      const failed = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as { name: string; message: string }] : []));
      assert.equal(succeeded.length, 1, `round ${round}: one CreateAlias succeeds`);
      assert.equal(failed.length, 1);
      assert.equal(failed[0]?.name, 'AlreadyExistsException');
      assert.equal(failed[0]?.message, `An alias with the name arn:aws:kms:us-east-1:111122223333:${aliasName} already exists`);
    }
  });

  it('GET /health names the database engine and its URL without a password, and says it answers', async () => {
    const health = (await (await fetch(`${servers[1]?.url}/health`)).json()) as { database: Record<string, unknown>; status: string };
    assert.equal(health.status, 'ok');
    assert.deepEqual(health.database, { engine: 'postgres', url, reachable: true });
  });

  it('a server started with another root key refuses to start, saying the root key does not match', async () => {
    const dataDir = tempDataDir();
    try {
      const wrongKey = randomBytes(32).toString('base64');
      await assert.rejects(
        spawnServer({ dataDir, env: { TRENT_DATABASE_URL: url, TRENT_ROOT_KEY: wrongKey } }),
        /trent: refusing to start: the root key does not match the database/,
      );
    } finally {
      removeDataDir(dataDir);
    }
  });

  it('a server without TRENT_ROOT_KEY and without root.key refuses the database that has one, making no key file', async () => {
    const dataDir = tempDataDir();
    try {
      const env = { ...process.env, TRENT_DATABASE_URL: url } as Record<string, string>;
      delete env.TRENT_ROOT_KEY;
      await assert.rejects(spawnServer({ dataDir, env }), /root\.key is missing, but the database .* already has a root key/);
    } finally {
      removeDataDir(dataDir);
    }
  });
});
