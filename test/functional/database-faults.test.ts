/**
 * A Trent server whose PostgreSQL goes away: it reaches the database (TRENT_TEST_DATABASE_URL,
 * a schema of its own) through a TCP proxy the test cuts, never by stopping the shared
 * database. While the database is cut off, requests that need it fail with AWS's
 * DependencyTimeoutException (HTTP 500, which AWS clients retry) within the configured
 * database timeout, /health says the database does not answer, and the server keeps running;
 * once the proxy forwards again the server recovers by itself, and the keys and ciphertexts
 * from before the outage still work. Both outages are run: connections reset and refused (a
 * database stopped or restarted), and a black hole (a dead network path or a hung database).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { CreateKeyCommand, DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { awsError, kmsClient } from '../helpers/clients.js';
import { needsOwnServer } from '../helpers/functional.js';
import { freshSchemaUrl, postgresSkipReason } from '../helpers/postgres.js';
import { removeDataDir, spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { TcpProxy, type CutMode } from '../helpers/tcp-proxy.js';

const skip = postgresSkipReason || needsOwnServer('points its own server at a database behind a proxy');

interface Health {
  status: string;
  database: { engine: string; reachable: boolean; error?: string };
}

describe('PostgreSQL unreachable, then back', { skip, timeout: 120_000 }, () => {
  let proxy: TcpProxy;
  let server: SpawnedServer;
  let kms: KMSClient;

  const health = async () => (await (await fetch(`${server.url}/health`)).json()) as Health;

  /** Retries `fn` until it succeeds: the server must come back by itself, with no restart. */
  async function eventually<T>(fn: () => Promise<T>): Promise<T> {
    let last: unknown;
    for (let attempt = 0; attempt < 60; attempt++) {
      try {
        return await fn();
      } catch (err) {
        last = err;
        await sleep(250);
      }
    }
    throw last;
  }

  before(async () => {
    const url = new URL(await freshSchemaUrl('trent_faults'));
    proxy = new TcpProxy(url.hostname, Number(url.port || 5432));
    url.port = String(await proxy.start());
    server = await spawnServer({
      env: { TRENT_DATABASE_URL: url.toString(), TRENT_ROOT_KEY: randomBytes(32).toString('base64'), TRENT_DATABASE_TIMEOUT_MS: '1000' },
    });
    kms = kmsClient(server.url);
  });

  after(async () => {
    kms.destroy();
    await server.stop();
    removeDataDir(server.dataDir);
    await proxy.close();
  });

  for (const mode of ['reset', 'blackhole'] as CutMode[]) {
    it(`${mode}: requests fail with DependencyTimeoutException, /health says so, and all recovers by itself`, async () => {
      const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
      const before = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(`before the ${mode}`) }));
      assert.equal((await health()).database.reachable, true);

      await proxy.cut(mode);
      const refused = await awsError(() => kms.send(new CreateKeyCommand({})));
      assert.deepEqual(refused, {
        name: 'DependencyTimeoutException',
        message: 'The key store database did not answer in time. Retry the request.',
        status: 500,
      });
      const report = await health();
      assert.equal(report.status, 'degraded');
      assert.equal(report.database.engine, 'postgres');
      assert.equal(report.database.reachable, false);
      assert.equal(server.process.exitCode, null, 'the server keeps running');

      await proxy.restore();
      const after = await eventually(() => kms.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob })));
      assert.equal(Buffer.from(after.Plaintext ?? []).toString(), `before the ${mode}`);
      const created = await eventually(() => kms.send(new CreateKeyCommand({})));
      assert.equal(created.KeyMetadata?.KeyState, 'Enabled');
      assert.equal((await eventually(health)).database.reachable, true);
      assert.doesNotMatch(server.logs(), /password|secret/i);
    });
  }
});
