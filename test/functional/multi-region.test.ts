/**
 * Multi-Region keys through the AWS SDK over HTTP, with clients of two Regions (issue 21's "a
 * multi-Region key's ciphertext from us-east-1 decrypts in eu-west-1 after ReplicateKey"):
 * CreateKey MultiRegion, Encrypt in us-east-1, ReplicateKey, Decrypt in eu-west-1; a rotation on
 * the primary seen in the replica's ListKeyRotations; UpdatePrimaryRegion; and the deletion
 * sequence of a primary with a replica, in a server started in-process with a manual clock. The
 * refusals run in-process in test/operations/multi-region.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  CancelKeyDeletionCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ListKeyRotationsCommand,
  ReplicateKeyCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  UpdatePrimaryRegionCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { ManualClock } from '../../src/domain/clock.js';
import { startServer } from '../../src/server/server.js';
import { awsError, kmsClient } from '../helpers/clients.js';
import { createKey, keyArn, needsOwnServer, useServer } from '../helpers/functional.js';
import { MAIN, removeDataDir, spawnServer, tempDataDir } from '../helpers/spawn-server.js';

const server = useServer();
const DAY_MS = 86_400_000;

/** Whether DescribeKey answers NotFoundException: the key is deleted in the client's Region. */
async function gone(kms: KMSClient, keyId: string): Promise<boolean> {
  try {
    await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    return false;
  } catch (error) {
    return (error as Error).name === 'NotFoundException';
  }
}

async function describe_(kms: KMSClient, keyId: string) {
  const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
  assert.ok(KeyMetadata);
  return KeyMetadata;
}

describe('a multi-Region key across two Regions', () => {
  test('a ciphertext from us-east-1 decrypts in eu-west-1 after ReplicateKey', async () => {
    const east = server.client('us-east-1');
    const west = server.client('eu-west-1');
    const key = await createKey(east, { MultiRegion: true, Description: 'primary' });
    assert.match(key.KeyId, /^mrk-[0-9a-f]{32}$/);
    assert.equal(key.MultiRegion, true);
    assert.equal(key.MultiRegionConfiguration?.MultiRegionKeyType, 'PRIMARY');

    const { CiphertextBlob } = await east.send(
      new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('crosses the Atlantic'), EncryptionContext: { trip: 'east to west' } }),
    );
    assert.deepEqual(await awsError(() => west.send(new DescribeKeyCommand({ KeyId: key.KeyId }))), {
      name: 'NotFoundException',
      message: `Key '${keyArn(key.KeyId, 'eu-west-1')}' does not exist`,
      status: 400,
    });

    const replicated = await east.send(
      new ReplicateKeyCommand({ KeyId: key.Arn, ReplicaRegion: 'eu-west-1', Description: 'replica', Tags: [{ TagKey: 'site', TagValue: 'dublin' }] }),
    );
    assert.equal(replicated.ReplicaKeyMetadata?.Arn, keyArn(key.KeyId, 'eu-west-1'));
    assert.equal(replicated.ReplicaKeyMetadata?.KeyState, 'Enabled');
    assert.deepEqual(replicated.ReplicaKeyMetadata?.MultiRegionConfiguration, {
      MultiRegionKeyType: 'REPLICA',
      PrimaryKey: { Arn: key.Arn, Region: 'us-east-1' },
      ReplicaKeys: [{ Arn: keyArn(key.KeyId, 'eu-west-1'), Region: 'eu-west-1' }],
    });
    assert.deepEqual(replicated.ReplicaTags, [{ TagKey: 'site', TagValue: 'dublin' }]);
    assert.ok(replicated.ReplicaPolicy?.includes('kms:*'));

    const decrypted = await west.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { trip: 'east to west' } }));
    assert.equal(Buffer.from(decrypted.Plaintext ?? []).toString(), 'crosses the Atlantic');
    assert.equal(decrypted.KeyId, keyArn(key.KeyId, 'eu-west-1'));
    assert.equal(decrypted.KeyMaterialId, key.CurrentKeyMaterialId);

    const primary = await describe_(east, key.KeyId);
    assert.deepEqual(primary.MultiRegionConfiguration?.ReplicaKeys, [{ Arn: keyArn(key.KeyId, 'eu-west-1'), Region: 'eu-west-1' }]);
    assert.equal(primary.Description, 'primary');
    assert.equal((await describe_(west, key.KeyId)).Description, 'replica');

    assert.deepEqual(await awsError(() => east.send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: 'eu-west-1' }))), {
      name: 'AlreadyExistsException',
      message: `${keyArn(key.KeyId, 'eu-west-1')} already exists.`,
      status: 400,
    });
  });

  test('a rotation on the primary: the replica lists the same KeyMaterialIds and decrypts the new ciphertexts', async () => {
    const east = server.client('us-east-1');
    const west = server.client('eu-west-1');
    const key = await createKey(east, { MultiRegion: true });
    await east.send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: 'eu-west-1' }));
    assert.deepEqual(await awsError(() => west.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }))), {
      name: 'UnsupportedOperationException',
      message: `${keyArn(key.KeyId, 'eu-west-1')} is not a multi-Region primary key.`,
      status: 400,
    });
    await east.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
    const ids = async (kms: KMSClient) =>
      ((await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }))).Rotations ?? []).map((r) => [
        r.KeyMaterialId,
        r.KeyMaterialState,
      ]);
    const listed = await ids(east);
    assert.equal(listed.length, 2);
    assert.deepEqual(await ids(west), listed);
    const current = (await describe_(west, key.KeyId)).CurrentKeyMaterialId;
    assert.notEqual(current, key.CurrentKeyMaterialId);
    assert.equal(current, (await describe_(east, key.KeyId)).CurrentKeyMaterialId);
    const blob = await east.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('after the rotation') }));
    const decrypted = await west.send(new DecryptCommand({ CiphertextBlob: blob.CiphertextBlob }));
    assert.equal(Buffer.from(decrypted.Plaintext ?? []).toString(), 'after the rotation');
    assert.equal(decrypted.KeyMaterialId, current);
  });

  test('UpdatePrimaryRegion makes the eu-west-1 key the primary, in both Regions\' view', async () => {
    const east = server.client('us-east-1');
    const west = server.client('eu-west-1');
    const key = await createKey(east, { MultiRegion: true });
    await east.send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: 'eu-west-1' }));
    await east.send(new UpdatePrimaryRegionCommand({ KeyId: key.KeyId, PrimaryRegion: 'eu-west-1' }));
    for (const kms of [east, west]) {
      const configuration = (await describe_(kms, key.KeyId)).MultiRegionConfiguration;
      assert.deepEqual(configuration?.PrimaryKey, { Arn: keyArn(key.KeyId, 'eu-west-1'), Region: 'eu-west-1' });
      assert.deepEqual(configuration?.ReplicaKeys, [{ Arn: key.Arn, Region: 'us-east-1' }]);
    }
    assert.equal((await describe_(west, key.KeyId)).MultiRegionConfiguration?.MultiRegionKeyType, 'PRIMARY');
    assert.equal((await describe_(east, key.KeyId)).MultiRegionConfiguration?.MultiRegionKeyType, 'REPLICA');
    await west.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
    assert.equal((await awsError(() => east.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId })))).name, 'UnsupportedOperationException');
  });
});

describe('deleting a primary with a replica, with the server clock moved', { skip: needsOwnServer('moves the server clock') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'trent-multi-region-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('PendingReplicaDeletion until the replica is deleted, then PendingDeletion with the window from then, then gone', async () => {
    const clock = new ManualClock(Date.now());
    const config = { ...loadConfig({ dataDir: dir, port: '0' }, { TRENT_KEY_PAIR_POOL: '0' }), deletionSweepMs: 10 };
    const running = await startServer(config, { clock, logger: pino({ level: 'silent' }) });
    const east = kmsClient(running.url, 'us-east-1');
    const west = kmsClient(running.url, 'eu-west-1');
    const until = async (what: string, done: () => Promise<boolean>) => {
      const deadline = Date.now() + 10_000;
      while (!(await done())) {
        assert.ok(Date.now() < deadline, what);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    try {
      const key = await createKey(east, { MultiRegion: true });
      await east.send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: 'eu-west-1' }));
      const scheduled = await east.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      assert.equal(scheduled.KeyState, 'PendingReplicaDeletion');
      assert.equal(scheduled.DeletionDate, undefined);
      assert.equal(scheduled.PendingWindowInDays, 7);
      assert.deepEqual(await awsError(() => east.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') }))), {
        name: 'KMSInvalidStateException',
        message: `${key.Arn} is pending replica deletion.`,
        status: 400,
      });
      await east.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
      assert.equal((await describe_(east, key.KeyId)).KeyState, 'Disabled');
      await east.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      assert.equal((await describe_(east, key.KeyId)).PendingDeletionWindowInDays, 7);

      const replicaScheduled = await west.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 10 }));
      assert.equal(replicaScheduled.KeyState, 'PendingDeletion');
      clock.advance(10 * DAY_MS);
      const replicaGone = clock.now();
      await until('the sweep did not delete the replica', () => gone(west, key.KeyId));
      const waiting = await describe_(east, key.KeyId);
      assert.equal(waiting.KeyState, 'PendingDeletion');
      assert.equal(waiting.DeletionDate?.getTime(), replicaGone + 7 * DAY_MS);
      assert.deepEqual(waiting.MultiRegionConfiguration?.ReplicaKeys, []);

      clock.advance(7 * DAY_MS);
      await until('the sweep did not delete the primary', () => gone(east, key.KeyId));
    } finally {
      east.destroy();
      west.destroy();
      await running.close();
    }
  });
});

describe('trent export and import keep a multi-Region key\'s Regions', { skip: needsOwnServer('exports the store of a server it starts') }, () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeDataDir));
  const trent = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [MAIN, ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });

  test('a primary and its replica, exported from one SQLite data directory and imported into another, decrypt in both Regions', async () => {
    const from = tempDataDir();
    const to = tempDataDir();
    dirs.push(from, to);
    const first = await spawnServer({ dataDir: from });
    const east = kmsClient(first.url, 'us-east-1');
    let keyId: string;
    let blob: Uint8Array;
    try {
      keyId = (await createKey(east, { MultiRegion: true })).KeyId;
      await east.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
      blob = (await east.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('moved with its Regions') }))).CiphertextBlob as Uint8Array;
      await east.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'eu-west-1' }));
    } finally {
      east.destroy();
      await first.stop();
    }
    const archive = join(from, 'archive.json');
    const exported = await trent(['export', '--out', archive, '--data-dir', from]);
    assert.equal(exported.code, 0, exported.stderr);
    copyFileSync(join(from, 'root.key'), join(to, 'root.key'));
    const imported = await trent(['import', archive, '--data-dir', to]);
    assert.equal(imported.code, 0, imported.stderr);

    const second = await spawnServer({ dataDir: to });
    const clients = [kmsClient(second.url, 'us-east-1'), kmsClient(second.url, 'eu-west-1')];
    try {
      for (const kms of clients) {
        const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: blob }));
        assert.equal(Buffer.from(decrypted.Plaintext ?? []).toString(), 'moved with its Regions');
        const configuration = (await describe_(kms, keyId)).MultiRegionConfiguration;
        assert.deepEqual(configuration?.PrimaryKey, { Arn: keyArn(keyId), Region: 'us-east-1' });
        assert.deepEqual(configuration?.ReplicaKeys, [{ Arn: keyArn(keyId, 'eu-west-1'), Region: 'eu-west-1' }]);
      }
      const [east2, west2] = clients as [KMSClient, KMSClient];
      const ids = async (kms: KMSClient) => ((await kms.send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations ?? []).map((r) => r.KeyMaterialId);
      assert.deepEqual(await ids(west2), await ids(east2));
      await east2.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
      assert.equal((await ids(west2)).length, 2, 'the shared rotation still reaches the imported replica');
    } finally {
      clients.forEach((c) => c.destroy());
      await second.stop();
    }
  });
});
