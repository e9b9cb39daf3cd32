/**
 * A cluster's life once it serves: GET and HEAD /health describe the whole server whichever
 * worker answers; TRENT_ROOT_KEY is in no process's environment; a killed worker is replaced,
 * and workers that keep crashing stop the server with exit code 1.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateKeyCommand, GenerateDataKeyPairCommand } from '@aws-sdk/client-kms';
import { RootKey } from '../../src/crypto/root-key.js';
import { kmsClient } from '../helpers/clients.js';
import { refused, serverProcesses, waitUntil } from '../helpers/processes.js';
import { removeDataDir, spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';

interface Health {
  status: string;
  pid: number;
  workers: number;
  workersConfigured: number;
  workerRestarts: number;
  uptimeSeconds: number;
  keyPairPool: Record<string, { ready: number; target: number; hits: number; misses: number }>;
  memory: { residentMiB: number; heapUsedMiB: number };
  processes: Array<{ pid: number; role: string; residentMiB?: number; heapUsedMiB?: number; answered?: false }>;
  database: { engine: string; path: string; reachable: boolean };
  rootKey: { source: string; fingerprint: string };
}

async function health(url: string): Promise<Health> {
  const res = await fetch(`${url}/health`);
  assert.equal(res.status, 200);
  return (await res.json()) as Health;
}

describe('a cluster of 2 workers, given TRENT_ROOT_KEY', () => {
  const rootKey = randomBytes(32).toString('base64');
  let server: SpawnedServer;
  const workers = () => serverProcesses(server.dataDir).filter((pid) => pid !== server.process.pid);

  before(async () => {
    server = await spawnServer({ env: { TRENT_WORKERS: '2', TRENT_KEY_PAIR_POOL: '0,ECC_NIST_P256=2', TRENT_ROOT_KEY: rootKey } });
  });

  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  it('GET /health describes the whole server: both workers, their pools summed, every process', async () => {
    await waitUntil(async () => (await health(server.url)).keyPairPool.ECC_NIST_P256?.ready === 4, 'both pools to fill');
    const kms = kmsClient(server.url);
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    for (let i = 0; i < 4; i++) await kms.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256' }));

    const h = await health(server.url);
    assert.equal(h.status, 'ok');
    assert.equal(h.workers, 2);
    assert.equal(h.workersConfigured, 2);
    assert.equal(h.workerRestarts, 0);
    assert.equal(h.keyPairPool.ECC_NIST_P256?.target, 4);
    const p256 = h.keyPairPool.ECC_NIST_P256;
    assert.equal((p256?.hits ?? 0) + (p256?.misses ?? 0), 4, 'every request counted, whichever worker took it');
    assert.deepEqual(h.keyPairPool.RSA_4096, { ready: 0, target: 0, hits: 0, misses: 0 });
    assert.deepEqual(
      h.processes.map((p) => [p.role, p.pid]).sort(),
      [['primary', server.process.pid], ...workers().map((pid) => ['worker', pid])].sort(),
    );
    assert.ok(workers().includes(h.pid), 'answered by a worker');
    const sum = (key: 'residentMiB' | 'heapUsedMiB') => h.processes.reduce((total, p) => total + (p[key] ?? 0), 0);
    assert.ok(Math.abs(h.memory.residentMiB - sum('residentMiB')) < 0.5, 'resident memory totalled over the processes');
    assert.ok(Math.abs(h.memory.heapUsedMiB - sum('heapUsedMiB')) < 0.5, 'heap totalled over the processes');
    assert.ok(h.uptimeSeconds > 0);
    assert.deepEqual(h.database, { engine: 'sqlite', path: join(server.dataDir, 'trent.db'), reachable: true });
    assert.deepEqual(h.rootKey, { source: 'config', fingerprint: RootKey.fromBytes(Buffer.from(rootKey, 'base64')).fingerprint() });
  });

  it('HEAD /health answers 200 with the same headers and no body', async () => {
    const get = await fetch(`${server.url}/health`);
    await get.arrayBuffer();
    const head = await fetch(`${server.url}/health`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'application/json');
    assert.ok(head.headers.get('x-amzn-requestid'));
    assert.ok(Number(head.headers.get('content-length')) > 0);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    // Connection management headers (connection, keep-alive) and date vary with the exchange.
    const names = (res: Response) => [...res.headers.keys()].filter((name) => !['connection', 'keep-alive', 'date'].includes(name)).sort();
    assert.deepEqual(names(head), names(get));
  });

  it('keeps TRENT_ROOT_KEY out of the primary and every worker environment', () => {
    const pids = [server.process.pid as number, ...workers()];
    assert.equal(pids.length, 3);
    for (const pid of pids) {
      const environ = readFileSync(`/proc/${pid}/environ`);
      assert.equal(environ.includes('TRENT_ROOT_KEY'), false, `TRENT_ROOT_KEY in /proc/${pid}/environ`);
      assert.equal(environ.includes(rootKey), false, `the root key in /proc/${pid}/environ`);
    }
  });

  it('replaces a worker that was killed', async () => {
    const [victim] = workers();
    process.kill(victim as number, 'SIGKILL');
    await waitUntil(async () => {
      // A kept-alive connection to the killed worker fails once: try again.
      const h = await health(server.url).catch(() => undefined);
      return h?.status === 'ok' && h.workerRestarts === 1 && h.workers === 2 && !h.processes.some((p) => p.pid === victim);
    }, 'a replacement worker');
    assert.match(server.logs(), new RegExp(`trent: worker ${victim} was killed by SIGKILL; starting another in 100 ms`));
  });
});

describe('one process, given TRENT_ROOT_KEY', () => {
  it('keeps it out of its environment', async () => {
    const rootKey = randomBytes(32).toString('base64');
    const server = await spawnServer({ env: { TRENT_ROOT_KEY: rootKey } });
    try {
      const environ = readFileSync(`/proc/${server.process.pid}/environ`);
      assert.equal(environ.includes('TRENT_ROOT_KEY'), false);
      assert.equal(environ.includes(rootKey), false);
      const h = await health(server.url);
      assert.equal(h.workers, 1);
      assert.deepEqual(h.rootKey, { source: 'config', fingerprint: RootKey.fromBytes(Buffer.from(rootKey, 'base64')).fingerprint() });
      assert.deepEqual(h.processes.map((p) => [p.role, p.pid]), [['worker', server.process.pid]]);
    } finally {
      await server.stop();
      removeDataDir(server.dataDir);
    }
  });
});

describe('workers that keep crashing', () => {
  it('are restarted with back-off, then the server stops with exit code 1', async () => {
    const server = await spawnServer({ env: { TRENT_WORKERS: '2' } });
    try {
      const workers = serverProcesses(server.dataDir).filter((pid) => pid !== server.process.pid);
      assert.equal(workers.length, 2);
      // A real fault: the database path becomes a directory, so every new worker fails to open it.
      renameSync(join(server.dataDir, 'trent.db'), join(server.dataDir, 'trent.db.moved'));
      mkdirSync(join(server.dataDir, 'trent.db'));
      for (const pid of workers) process.kill(pid, 'SIGKILL');
      await waitUntil(() => server.process.exitCode !== null, 'the primary to give up', 20_000);
      assert.equal(server.process.exitCode, 1, server.logs());
      // A worker that starts on the broken data dir refuses it (server/data-dir.ts) and exits.
      const failed = 'failed: refusing to start: \\S+trent\\.db is not a regular file: move it away';
      assert.match(server.logs(), new RegExp(`trent: worker \\d+ ${failed}; starting another in 200 ms`));
      assert.match(server.logs(), new RegExp(`trent: workers crashed 6 times within 60 s \\(last: worker \\d+ ${failed}\\); stopping`));
      assert.doesNotMatch(server.logs(), /crashed 7 times/);
      assert.deepEqual(serverProcesses(server.dataDir), [], 'every worker stopped');
      assert.ok(await refused(server.url));
    } finally {
      await server.kill();
      removeDataDir(server.dataDir);
    }
  });
});
