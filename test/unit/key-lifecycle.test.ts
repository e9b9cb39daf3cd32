/**
 * The life of a key, in-process with a manual clock: ScheduleKeyDeletion, the deletion sweep
 * (deleteDueKeys) before and after the window, the server's own sweep dropping the deleted key's
 * cached material, CancelKeyDeletion; how a KeyId names a key (parseKeyReference / resolveKey);
 * and how configuration is loaded (loadConfig).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CreateKeyCommand, EncryptCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { pino } from 'pino';
import { ConfigError, loadConfig, type ConfigFlags } from '../../src/config.js';
import { accessControlFor, accountRoot } from '../../src/domain/access.js';
import { ManualClock } from '../../src/domain/clock.js';
import { parseKeyReference, resolveKey, type KeyReference } from '../../src/domain/key-ref.js';
import { deleteDueKeys } from '../../src/domain/key-state.js';
import { KmsError } from '../../src/errors.js';
import { startServer } from '../../src/server/server.js';
import { MemoryStore } from '../../src/storage/memory.js';
import type { KeyRecord, Scope } from '../../src/storage/types.js';
import { kmsClient } from '../helpers/clients.js';
import { testKeyRecord } from '../helpers/records.js';
import { createTestApp, type TestApp } from '../helpers/in-process.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const ACCOUNT = '111122223333';
const arnOf = (keyId: string, region = 'us-east-1', account = ACCOUNT) => `arn:aws:kms:${region}:${account}:key/${keyId}`;

async function createKey(t: TestApp, body: Record<string, unknown> = {}, region?: string): Promise<string> {
  const response = await t.call('CreateKey', body, region === undefined ? {} : { region });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return (response.body.KeyMetadata as { KeyId: string }).KeyId;
}

async function ok(t: TestApp, operation: string, body: unknown, region?: string): Promise<Record<string, unknown>> {
  const response = await t.call(operation, body, region === undefined ? {} : { region });
  assert.equal(response.status, 200, `${operation}: ${JSON.stringify(response.body)}`);
  return response.body;
}

async function fails(t: TestApp, operation: string, body: unknown, expected: { __type: string; message: string }): Promise<void> {
  const response = await t.call(operation, body);
  assert.deepEqual({ status: response.status, ...response.body }, { status: 400, ...expected }, operation);
}

async function keyState(t: TestApp, keyId: string): Promise<Record<string, unknown>> {
  return (await ok(t, 'DescribeKey', { KeyId: keyId })).KeyMetadata as Record<string, unknown>;
}

describe('ScheduleKeyDeletion and the deletion sweep', () => {
  it('deletes the key and its aliases once the window has passed, and not a millisecond before', async () => {
    const t = createTestApp();
    const doomed = await createKey(t);
    const bystander = await createKey(t);
    await ok(t, 'CreateAlias', { AliasName: 'alias/doomed', TargetKeyId: doomed });
    await ok(t, 'CreateAlias', { AliasName: 'alias/doomed-too', TargetKeyId: doomed });
    await ok(t, 'CreateAlias', { AliasName: 'alias/bystander', TargetKeyId: bystander });
    const scheduledAt = t.clock.now();

    const scheduled = await ok(t, 'ScheduleKeyDeletion', { KeyId: doomed, PendingWindowInDays: 7 });
    assert.deepEqual(scheduled, {
      KeyId: arnOf(doomed),
      DeletionDate: (scheduledAt + 7 * DAY_MS) / 1000,
      KeyState: 'PendingDeletion',
      PendingWindowInDays: 7,
    });
    const pending = await keyState(t, doomed);
    assert.equal(pending.KeyState, 'PendingDeletion');
    assert.equal(pending.Enabled, false);
    assert.equal(pending.DeletionDate, (scheduledAt + 7 * DAY_MS) / 1000);

    t.clock.advance(7 * DAY_MS - 1);
    assert.equal(await deleteDueKeys(t.services.store, t.clock.now()), 0);
    assert.equal((await keyState(t, doomed)).KeyState, 'PendingDeletion');
    assert.equal((await keyState(t, 'alias/doomed')).KeyId, doomed);

    t.clock.advance(1);
    assert.equal(await deleteDueKeys(t.services.store, t.clock.now()), 1);
    await fails(t, 'DescribeKey', { KeyId: doomed }, { __type: 'NotFoundException', message: `Key '${arnOf(doomed)}' does not exist` });
    await fails(t, 'DescribeKey', { KeyId: 'alias/doomed' }, {
      __type: 'NotFoundException',
      message: `Alias arn:aws:kms:us-east-1:${ACCOUNT}:alias/doomed is not found.`,
    });
    const aliases = (await ok(t, 'ListAliases', {})).Aliases as { AliasName: string }[];
    assert.deepEqual(aliases.map((a) => a.AliasName), ['alias/bystander']);
    const keys = (await ok(t, 'ListKeys', {})).Keys as { KeyId: string }[];
    assert.deepEqual(keys.map((k) => k.KeyId), [bystander]);
    assert.equal((await keyState(t, bystander)).KeyState, 'Enabled');

    assert.equal(await deleteDueKeys(t.services.store, t.clock.now()), 0, 'a second sweep finds nothing');
  });

  it('defaults to a 30-day window', async () => {
    const t = createTestApp();
    const keyId = await createKey(t);
    const scheduled = await ok(t, 'ScheduleKeyDeletion', { KeyId: keyId });
    assert.equal(scheduled.PendingWindowInDays, 30);
    assert.equal(scheduled.DeletionDate, (t.clock.now() + 30 * DAY_MS) / 1000);
    t.clock.advance(30 * DAY_MS - 1);
    assert.equal(await deleteDueKeys(t.services.store, t.clock.now()), 0);
    t.clock.advance(1);
    assert.equal(await deleteDueKeys(t.services.store, t.clock.now()), 1);
  });

  it('sweeps due keys of every region, each with its own window', async () => {
    const t = createTestApp();
    const east = await createKey(t);
    const west = await createKey(t, {}, 'eu-west-1');
    await ok(t, 'ScheduleKeyDeletion', { KeyId: east, PendingWindowInDays: 7 });
    await ok(t, 'ScheduleKeyDeletion', { KeyId: west, PendingWindowInDays: 8 }, 'eu-west-1');
    t.clock.advance(8 * DAY_MS);
    assert.equal(await deleteDueKeys(t.services.store, t.clock.now()), 2);
    assert.equal(await t.services.store.getKey({ account: ACCOUNT, region: 'eu-west-1' }, west), undefined);
  });

  it('sweeps more keys than fit in one batch', async () => {
    const t = createTestApp();
    for (let i = 0; i < 205; i++) {
      const keyId = await createKey(t);
      await ok(t, 'ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
    }
    t.clock.advance(7 * DAY_MS);
    assert.equal(await deleteDueKeys(t.services.store, t.clock.now()), 205);
    assert.deepEqual((await ok(t, 'ListKeys', {})).Keys, []);
  });

  it('a key pending deletion cannot be used, and cannot be scheduled again', async () => {
    const t = createTestApp();
    const keyId = await createKey(t);
    await ok(t, 'ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
    const pending = { __type: 'KMSInvalidStateException', message: `${arnOf(keyId)} is pending deletion.` };
    await fails(t, 'Encrypt', { KeyId: keyId, Plaintext: Buffer.from('x').toString('base64') }, pending);
    await fails(t, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }, pending);
    await fails(t, 'ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 }, pending);
    await fails(t, 'CreateAlias', { AliasName: 'alias/late', TargetKeyId: keyId }, pending);
  });

  const windows: { name: string; days: number; message: string }[] = [
    {
      name: '6 days (below AWS minimum of 7)',
      days: 6,
      message: "1 validation error detected: Value '6' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7",
    },
    {
      name: '31 days (above AWS maximum of 30)',
      days: 31,
      message: "1 validation error detected: Value '31' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 30",
    },
    {
      name: '0 days (below the model minimum)',
      days: 0,
      message: "1 validation error detected: Value '0' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 1",
    },
  ];
  for (const row of windows) {
    it(`refuses a window of ${row.name} and leaves the key Enabled`, async () => {
      const t = createTestApp();
      const keyId = await createKey(t);
      await fails(t, 'ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: row.days }, { __type: 'ValidationException', message: row.message });
      assert.equal((await keyState(t, keyId)).KeyState, 'Enabled');
    });
  }

  it('takes a key id or key ARN, not an alias', async () => {
    const t = createTestApp();
    const keyId = await createKey(t);
    await ok(t, 'CreateAlias', { AliasName: 'alias/app', TargetKeyId: keyId });
    await fails(t, 'ScheduleKeyDeletion', { KeyId: 'alias/app' }, { __type: 'NotFoundException', message: "Invalid keyId 'alias/app'" });
    assert.equal((await ok(t, 'ScheduleKeyDeletion', { KeyId: arnOf(keyId), PendingWindowInDays: 7 })).KeyId, arnOf(keyId));
  });

  it('reports each key it deletes, and only those, to onDeleted', async () => {
    const t = createTestApp();
    const doomed = [await createKey(t), await createKey(t)];
    const kept = await createKey(t);
    for (const keyId of [...doomed, kept]) await ok(t, 'ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: keyId === kept ? 8 : 7 });
    t.clock.advance(7 * DAY_MS);
    const reported: string[] = [];
    assert.equal(await deleteDueKeys(t.services.store, t.clock.now(), (id) => reported.push(id)), 2);
    assert.deepEqual(reported.sort(), [...doomed].sort());
  });
});

describe("the server's deletion sweep", () => {
  // The sweep runs only in a whole server (src/server/server.ts), so this test starts one
  // in-process, on a temporary data dir, with a manual clock and a short sweep interval.
  const dir = mkdtempSync(join(tmpdir(), 'trent-sweep-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("drops a deleted key's unwrapped material from the server's cache", async () => {
    const clock = new ManualClock();
    const config = { ...loadConfig({ dataDir: dir, port: '0' }, { TRENT_KEY_PAIR_POOL: '0', TRENT_KEY_PAIR_RESERVE: '0' }), deletionSweepMs: 10 };
    const server = await startServer(config, { clock, logger: pino({ level: 'silent' }) });
    const kms = kmsClient(server.url);
    try {
      const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
      await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('warm the cache') }));
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
      const { store, materials } = server.services;
      const scope: Scope = { account: ACCOUNT, region: 'us-east-1' };

      clock.advance(7 * DAY_MS);
      const deadline = Date.now() + 10_000;
      while ((await store.getKey(scope, keyId)) !== undefined) {
        assert.ok(Date.now() < deadline, 'the sweep did not delete the key');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(await store.getMaterial({ keyId, region: scope.region }, 1), undefined);
      // The store no longer has the material, so only a cached copy could still answer.
      await assert.rejects(materials.symmetric({ keyId, region: scope.region }, 1), 'the unwrapped material of a deleted key is still cached');
    } finally {
      kms.destroy();
      await server.close();
    }
  });
});

/** A store that lets a test run a request between the sweep's read and its delete. */
class InterleavingStore extends MemoryStore {
  betweenReadAndDelete: (() => Promise<void>) | undefined;
  override async keysDueForDeletion(now: number, limit: number): Promise<KeyRecord[]> {
    const due = await super.keysDueForDeletion(now, limit);
    const hook = this.betweenReadAndDelete;
    this.betweenReadAndDelete = undefined;
    if (hook) await hook();
    return due;
  }
}

describe('CancelKeyDeletion', () => {
  it('returns the key to Disabled without a deletion date, and the sweep then leaves it alone', async () => {
    const t = createTestApp();
    const keyId = await createKey(t);
    await ok(t, 'CreateAlias', { AliasName: 'alias/saved', TargetKeyId: keyId });
    await ok(t, 'ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
    assert.deepEqual(await ok(t, 'CancelKeyDeletion', { KeyId: keyId }), { KeyId: arnOf(keyId) });
    const metadata = await keyState(t, keyId);
    assert.equal(metadata.KeyState, 'Disabled');
    assert.equal(metadata.Enabled, false);
    assert.equal(Object.hasOwn(metadata, 'DeletionDate'), false);

    t.clock.advance(31 * DAY_MS);
    assert.equal(await deleteDueKeys(t.services.store, t.clock.now()), 0);
    assert.equal((await keyState(t, 'alias/saved')).KeyId, keyId);
    await fails(t, 'Encrypt', { KeyId: keyId, Plaintext: 'eA==' }, { __type: 'DisabledException', message: `${arnOf(keyId)} is disabled.` });
    await ok(t, 'EnableKey', { KeyId: keyId });
    await ok(t, 'Encrypt', { KeyId: keyId, Plaintext: 'eA==' });
  });

  it('returns a key without material (Origin EXTERNAL) to PendingImport', async () => {
    const t = createTestApp();
    const keyId = await createKey(t, { Origin: 'EXTERNAL' });
    assert.equal((await keyState(t, keyId)).KeyState, 'PendingImport');
    await ok(t, 'ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
    await ok(t, 'CancelKeyDeletion', { KeyId: keyId });
    assert.equal((await keyState(t, keyId)).KeyState, 'PendingImport');
  });

  it('refuses an unknown key', async () => {
    const t = createTestApp();
    const keyId = '00000000-0000-4000-8000-000000000000';
    await fails(t, 'CancelKeyDeletion', { KeyId: keyId }, { __type: 'NotFoundException', message: `Key '${arnOf(keyId)}' does not exist` });
  });

  it('a cancellation acknowledged between the sweep reading a key and deleting it is not lost', async () => {
    const store = new InterleavingStore();
    const t = createTestApp({ store });
    const keyId = await createKey(t);
    await ok(t, 'ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
    t.clock.advance(7 * DAY_MS);
    store.betweenReadAndDelete = async () => {
      await ok(t, 'CancelKeyDeletion', { KeyId: keyId });
    };
    await deleteDueKeys(store, t.clock.now());
    assert.equal((await keyState(t, keyId)).KeyState, 'Disabled');
  });
});

describe('parseKeyReference', () => {
  const scope: Scope = { account: ACCOUNT, region: 'us-east-1' };
  const id = '1234abcd-12ab-34cd-56ef-1234567890ab';
  const rows: { name: string; text: string; allowAlias: boolean; expected: KeyReference | { __type: string; message: string } }[] = [
    { name: 'a key id', text: id, allowAlias: false, expected: { kind: 'key', scope, keyId: id } },
    { name: 'a multi-Region key id', text: 'mrk-0123456789abcdef0123456789abcdef', allowAlias: false, expected: { kind: 'key', scope, keyId: 'mrk-0123456789abcdef0123456789abcdef' } },
    { name: 'a key ARN', text: arnOf(id), allowAlias: false, expected: { kind: 'key', scope, keyId: id } },
    {
      name: 'a key ARN of another account keeps that account',
      text: arnOf(id, 'us-east-1', '444455556666'),
      allowAlias: false,
      expected: { kind: 'key', scope: { account: '444455556666', region: 'us-east-1' }, keyId: id },
    },
    { name: 'an alias name', text: 'alias/app', allowAlias: true, expected: { kind: 'alias', scope, aliasName: 'alias/app' } },
    {
      name: 'an alias ARN',
      text: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/app/nested`,
      allowAlias: true,
      expected: { kind: 'alias', scope, aliasName: 'alias/app/nested' },
    },
    { name: 'an alias where only keys are allowed', text: 'alias/app', allowAlias: false, expected: { __type: 'NotFoundException', message: "Invalid keyId 'alias/app'" } },
    {
      name: 'an alias ARN where only keys are allowed',
      text: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/app`,
      allowAlias: false,
      expected: { __type: 'NotFoundException', message: `Invalid keyId 'arn:aws:kms:us-east-1:${ACCOUNT}:alias/app'` },
    },
    { name: 'a malformed id', text: 'fake-key-id', allowAlias: true, expected: { __type: 'NotFoundException', message: "Invalid keyId 'fake-key-id'" } },
    {
      name: 'a UUID without dashes',
      text: id.replaceAll('-', ''),
      allowAlias: true,
      expected: { __type: 'NotFoundException', message: `Invalid keyId '${id.replaceAll('-', '')}'` },
    },
    { name: 'a UUID one digit short', text: id.slice(0, -1), allowAlias: true, expected: { __type: 'NotFoundException', message: `Invalid keyId '${id.slice(0, -1)}'` } },
    {
      name: 'an ARN of another region',
      text: arnOf(id, 'eu-west-1'),
      allowAlias: true,
      expected: { __type: 'NotFoundException', message: 'Invalid arn eu-west-1' },
    },
    {
      name: 'a key ARN with a malformed id',
      text: arnOf('nope'),
      allowAlias: true,
      expected: { __type: 'NotFoundException', message: `Invalid keyId '${arnOf('nope')}'` },
    },
    {
      name: 'an ARN of another service',
      text: `arn:aws:s3:us-east-1:${ACCOUNT}:key/${id}`,
      allowAlias: true,
      expected: { __type: 'NotFoundException', message: `Invalid keyId 'arn:aws:s3:us-east-1:${ACCOUNT}:key/${id}'` },
    },
    {
      name: 'a KMS ARN naming neither key nor alias',
      text: `arn:aws:kms:us-east-1:${ACCOUNT}:grant/${id}`,
      allowAlias: true,
      expected: { __type: 'NotFoundException', message: `Invalid keyId 'arn:aws:kms:us-east-1:${ACCOUNT}:grant/${id}'` },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      if ('kind' in row.expected) {
        assert.deepEqual(parseKeyReference(row.text, scope, row.allowAlias), row.expected);
      } else {
        assert.throws(
          () => parseKeyReference(row.text, scope, row.allowAlias),
          (err: unknown) => err instanceof KmsError && err.type === (row.expected as { __type: string }).__type && err.message === (row.expected as { message: string }).message,
        );
      }
    });
  }
});

describe('resolveKey', () => {
  const caller: Scope = { account: ACCOUNT, region: 'us-east-1' };
  const keyId = '1234abcd-12ab-34cd-56ef-1234567890ab';
  const westKeyId = '0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0';
  const unknown = '00000000-0000-4000-8000-000000000000';

  async function seeded(): Promise<MemoryStore> {
    const store = new MemoryStore();
    const key = (id: string, scope: Scope): KeyRecord => testKeyRecord(id, scope);
    await store.createKey(key(keyId, caller));
    await store.createKey(key(westKeyId, { account: ACCOUNT, region: 'eu-west-1' }));
    await store.createAlias({ ...caller, aliasName: 'alias/app', targetKeyId: keyId, createdAt: 0, updatedAt: 0 });
    return store;
  }

  const rows: { name: string; text: string; allowAlias?: boolean; keyId?: string; error?: { __type: string; message: string } }[] = [
    { name: 'by key id', text: keyId, keyId },
    { name: 'by key ARN', text: arnOf(keyId), keyId },
    { name: 'by alias name', text: 'alias/app', keyId },
    { name: 'by alias ARN', text: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/app`, keyId },
    { name: 'an unknown key id', text: unknown, error: { __type: 'NotFoundException', message: `Key '${arnOf(unknown)}' does not exist` } },
    { name: 'an unknown key ARN', text: arnOf(unknown), error: { __type: 'NotFoundException', message: `Key '${arnOf(unknown)}' does not exist` } },
    {
      name: 'a key of another region, by bare id',
      text: westKeyId,
      error: { __type: 'NotFoundException', message: `Key '${arnOf(westKeyId)}' does not exist` },
    },
    { name: 'a key of another region, by its ARN', text: arnOf(westKeyId, 'eu-west-1'), error: { __type: 'NotFoundException', message: 'Invalid arn eu-west-1' } },
    {
      name: 'an unknown alias',
      text: 'alias/nope',
      error: { __type: 'NotFoundException', message: `Alias arn:aws:kms:us-east-1:${ACCOUNT}:alias/nope is not found.` },
    },
    {
      name: 'an alias where only keys are allowed',
      text: 'alias/app',
      allowAlias: false,
      error: { __type: 'NotFoundException', message: "Invalid keyId 'alias/app'" },
    },
    {
      name: 'a cross-account key ARN',
      text: arnOf(keyId, 'us-east-1', '444455556666'),
      error: {
        __type: 'AccessDeniedException',
        message:
          `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: kms:Encrypt on resource: ` +
          `${arnOf(keyId, 'us-east-1', '444455556666')} because no resource-based policy allows the kms:Encrypt action`,
      },
    },
    {
      name: 'a cross-account alias ARN',
      text: 'arn:aws:kms:us-east-1:444455556666:alias/app',
      error: {
        __type: 'AccessDeniedException',
        message:
          `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: kms:Encrypt on resource: ` +
          'arn:aws:kms:us-east-1:444455556666:alias/app because no resource-based policy allows the kms:Encrypt action',
      },
    },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const store = await seeded();
      const resolving = resolveKey(store, accessControlFor(store, new ManualClock()), { principal: accountRoot(ACCOUNT), scope: caller, secureTransport: false }, row.text, {
        allowAlias: row.allowAlias ?? true,
        action: 'kms:Encrypt',
      });
      if (row.error === undefined) {
        assert.equal((await resolving).keyId, row.keyId);
      } else {
        const expected = row.error;
        await assert.rejects(resolving, (err: unknown) => {
          assert.ok(err instanceof KmsError, String(err));
          assert.deepEqual({ __type: err.type, message: err.message }, expected);
          return true;
        });
      }
    });
  }
});

describe('loadConfig precedence: flags > environment > YAML file > defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trent-config-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  function yamlFile(text: string): string {
    const path = join(dir, `config-${files++}.yaml`);
    writeFileSync(path, text);
    return path;
  }

  // Root keys must be base64 of 32 bytes; without databaseUrl the store is SQLite in dataDir.
  const fileRootKey = Buffer.alloc(32, 'f').toString('base64');
  const envRootKey = Buffer.alloc(32, 'e').toString('base64');
  const fullFile = () =>
    yamlFile(
      [
        'host: 127.0.0.11',
        'port: 5001',
        'dataDir: /file/data',
        'account: "444455556666"',
        'region: eu-west-1',
        'allowSm2Everywhere: true',
        'logLevel: debug',
        `rootKey: ${fileRootKey}`,
      ].join('\n'),
    );

  it('uses the defaults when nothing is given', () => {
    const config = loadConfig({}, {});
    assert.deepEqual(
      {
        host: config.host,
        port: config.port,
        dataDir: config.dataDir,
        account: config.account,
        region: config.region,
        allowSm2Everywhere: config.allowSm2Everywhere,
        logLevel: config.logLevel,
      },
      {
        host: '127.0.0.1',
        port: 4599,
        dataDir: './.trent',
        account: '111122223333',
        region: 'us-east-1',
        allowSm2Everywhere: false,
        logLevel: 'info',
      },
    );
    assert.equal(Object.hasOwn(config, 'databaseUrl'), false);
    assert.equal(Object.hasOwn(config, 'rootKey'), false);
  });

  it('reads every setting from the YAML file', () => {
    const config = loadConfig({ config: fullFile() }, {});
    assert.equal(config.host, '127.0.0.11');
    assert.equal(config.port, 5001);
    assert.equal(config.dataDir, '/file/data');
    assert.equal(config.account, '444455556666');
    assert.equal(config.region, 'eu-west-1');
    assert.equal(config.allowSm2Everywhere, true);
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.rootKey, fileRootKey);
  });

  it('lets the environment override the file', () => {
    const env = {
      TRENT_CONFIG: fullFile(),
      TRENT_HOST: '127.0.0.12',
      TRENT_PORT: '5002',
      TRENT_DATA_DIR: '/env/data',
      TRENT_ACCOUNT: '777788889999',
      TRENT_REGION: 'ap-south-1',
      TRENT_ALLOW_SM2_EVERYWHERE: 'false',
      TRENT_LOG_LEVEL: 'warn',
      TRENT_ROOT_KEY: envRootKey,
    };
    const config = loadConfig({}, env);
    assert.equal(config.host, '127.0.0.12');
    assert.equal(config.port, 5002);
    assert.equal(config.dataDir, '/env/data');
    assert.equal(config.account, '777788889999');
    assert.equal(config.region, 'ap-south-1');
    assert.equal(config.allowSm2Everywhere, false);
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.rootKey, envRootKey);
  });

  it('lets flags override the environment and the file', () => {
    const env = { TRENT_HOST: '127.0.0.12', TRENT_PORT: '5002', TRENT_DATA_DIR: '/env/data' };
    const config = loadConfig({ config: fullFile(), host: '127.0.0.13', port: '5003', dataDir: '/flag/data' }, env);
    assert.deepEqual([config.host, config.port, config.dataDir], ['127.0.0.13', 5003, '/flag/data']);
  });

  it('mixes sources setting by setting', () => {
    const config = loadConfig({ config: fullFile(), host: '127.0.0.13' }, { TRENT_PORT: '5002' });
    assert.deepEqual([config.host, config.port, config.dataDir], ['127.0.0.13', 5002, '/file/data']);
  });

  it('--config wins over TRENT_CONFIG', () => {
    const fromFlag = yamlFile('port: 6001');
    const fromEnv = yamlFile('port: 6002');
    assert.equal(loadConfig({ config: fromFlag }, { TRENT_CONFIG: fromEnv }).port, 6001);
    assert.equal(loadConfig({}, { TRENT_CONFIG: fromEnv }).port, 6002);
  });

  it('an empty YAML file means defaults', () => {
    assert.equal(loadConfig({ config: yamlFile('') }, {}).port, 4599);
  });

  const good: { name: string; flags: ConfigFlags; env: Record<string, string>; port: number }[] = [
    { name: 'port 0 (any free port) from a flag', flags: { port: '0' }, env: {}, port: 0 },
    { name: 'port 65535 from the environment', flags: {}, env: { TRENT_PORT: '65535' }, port: 65535 },
  ];
  for (const row of good) {
    it(`accepts ${row.name}`, () => {
      assert.equal(loadConfig(row.flags, row.env).port, row.port);
    });
  }

  const bad: { name: string; flags?: ConfigFlags; env?: Record<string, string>; file?: string; message: string | RegExp }[] = [
    { name: 'a port that is not a number (flag)', flags: { port: 'http' }, message: "--port: port must be an integer 0..65535, not 'http'" },
    { name: 'a negative port (flag)', flags: { port: '-1' }, message: "--port: port must be an integer 0..65535, not '-1'" },
    { name: 'a fractional port (flag)', flags: { port: '80.5' }, message: "--port: port must be an integer 0..65535, not '80.5'" },
    { name: 'a port above 65535 (environment)', env: { TRENT_PORT: '70000' }, message: "TRENT_PORT: port must be an integer 0..65535, not '70000'" },
    { name: 'an empty TRENT_PORT (would silently mean port 0)', env: { TRENT_PORT: '' }, message: "TRENT_PORT: port must be an integer 0..65535, not ''" },
    { name: 'a hexadecimal port', env: { TRENT_PORT: '0x1f90' }, message: "TRENT_PORT: port must be an integer 0..65535, not '0x1f90'" },
    { name: 'a port in exponent notation', flags: { port: '1e3' }, message: "--port: port must be an integer 0..65535, not '1e3'" },
    { name: 'a port that is not a number (file)', file: 'port: eighty', message: /: port: port must be an integer 0\.\.65535, not 'eighty'$/ },
    { name: 'a host that is a mapping (file)', file: 'host:\n  name: x', message: /: host must be a string$/ },
    { name: 'an account that is not 12 digits', env: { TRENT_ACCOUNT: '1234' }, message: "account must be 12 digits, not '1234'" },
    { name: 'a boolean that is not one', env: { TRENT_ALLOW_SM2_EVERYWHERE: 'yes' }, message: 'TRENT_ALLOW_SM2_EVERYWHERE must be true or false' },
    { name: 'a file that is a YAML list', file: '- a\n- b', message: /^config file .*config-\d+\.yaml must be a YAML mapping$/ },
  ];
  for (const row of bad) {
    it(`refuses ${row.name} with ConfigError`, () => {
      const flags: ConfigFlags = { ...row.flags, ...(row.file !== undefined && { config: yamlFile(row.file) }) };
      assert.throws(
        () => loadConfig(flags, row.env ?? {}),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, String(err));
          if (typeof row.message === 'string') assert.equal(err.message, row.message);
          else assert.match(err.message, row.message);
          return true;
        },
      );
    });
  }

  it('refuses a config file that cannot be read, naming it', () => {
    const missing = join(dir, 'missing.yaml');
    assert.throws(
      () => loadConfig({ config: missing }, {}),
      (err: unknown) => err instanceof ConfigError && err.message.startsWith(`cannot read config file ${missing}: ENOENT`),
    );
  });
});
