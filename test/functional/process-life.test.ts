/**
 * A server's life as processes, as a user or a supervisor meets it: a bad setting or a busy
 * port stops `trent serve` at once with one line (no worker restart loop); SIGTERM to `npm
 * start` stops npm, the primary and every worker; a killed worker is replaced, and workers that
 * keep crashing stop the server; GET and HEAD /health describe the whole cluster; the root key
 * leaves every process's environment; and the command line answers --help without loading the
 * server.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CreateKeyCommand, GenerateDataKeyPairCommand } from '@aws-sdk/client-kms';
import { kmsClient } from '../helpers/clients.js';
import { MAIN, removeDataDir, spawnServer, tempDataDir, type SpawnedServer } from '../helpers/spawn-server.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const QUIET = { TRENT_LOG_LEVEL: 'warn', TRENT_KEY_PAIR_POOL: '0' };

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; fails (after killing it) if it runs longer than `limitMs`. */
function runToEnd(command: string, args: string[], env: Record<string, string>, limitMs: number): Promise<Finished> {
  const child = spawn(command, args, { cwd: REPO, env: { ...process.env, ...QUIET, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // its workers follow when the IPC channel closes
      reject(new Error(`still running after ${limitMs} ms; stderr so far:\n${stderr.slice(0, 2000)}`));
    }, limitMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

/**
 * The live Trent processes (primary and workers, replacements included) serving `dataDir`: node
 * running main.js with that directory among its arguments (Linux /proc). A zombie waiting for a
 * parent that does not reap it counts as ended.
 */
function serverProcesses(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!args[1]?.endsWith('main.js') || !args.includes(dataDir)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') pids.push(Number(entry));
    } catch {
      // it ended while we looked
    }
  }
  return pids;
}

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function refused(url: string): Promise<boolean> {
  return fetch(`${url}/health`).then(
    () => false,
    () => true,
  );
}

/** Starts `npm start` from the repository, as a user would, and waits for its ready line. */
async function npmStart(dataDir: string): Promise<{ npm: ChildProcess; url: string; output: () => string }> {
  const npm = spawn('npm', ['start', '--', '--port', '0', '--data-dir', dataDir], {
    cwd: REPO,
    env: { ...process.env, ...QUIET, TRENT_WORKERS: '2' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  npm.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not get ready: ${output}`)), 30_000);
    npm.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    npm.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${output}`)));
  });
  return { npm, url, output: () => output };
}

describe('refusing to start', () => {
  it('a busy port with 2 workers: exit 1 at once with one line naming it, no restart loop', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    const dataDir = tempDataDir();
    try {
      const result = await runToEnd(process.execPath, [MAIN, 'serve', '--port', String(port), '--data-dir', dataDir], { TRENT_WORKERS: '2' }, 10_000);
      assert.equal(result.code, 1);
      assert.deepEqual(lines(result.stderr), [
        `trent: cannot listen on 127.0.0.1:${port}: the address is already in use (EADDRINUSE); stop whatever holds it or choose another --port`,
      ]);
      assert.equal(result.stdout, '');
    } finally {
      holder.close();
      removeDataDir(dataDir);
    }
  });

  it('an unknown key pair spec in TRENT_KEY_PAIR_POOL with 2 workers: exit 1 at once with one line', async () => {
    const dataDir = tempDataDir();
    try {
      const result = await runToEnd(process.execPath, [MAIN, 'serve', '--port', '0', '--data-dir', dataDir], { TRENT_WORKERS: '2', TRENT_KEY_PAIR_POOL: 'RSA_9999=3' }, 10_000);
      assert.equal(result.code, 1);
      const [line, ...more] = lines(result.stderr);
      assert.match(line ?? '', /^trent: TRENT_KEY_PAIR_POOL: unknown key pair spec 'RSA_9999' \(known: RSA_2048, /);
      assert.deepEqual(more, []);
    } finally {
      removeDataDir(dataDir);
    }
  });
});

describe('the command line without the server', () => {
  // Fails any import of the server's native and logging modules.
  const hooks = `export async function resolve(specifier, context, next) {
    if (/^(better-sqlite3|pino)(\\/|$)/.test(specifier)) throw new Error('forbidden import: ' + specifier);
    return next(specifier, context);
  }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  const forbid = ['--import', `data:text/javascript,${encodeURIComponent(register)}`];

  for (const args of [['--help'], ['--version']]) {
    it(`trent ${args.join(' ')} loads neither better-sqlite3 nor pino`, async () => {
      const result = await runToEnd(process.execPath, [...forbid, MAIN, ...args], {}, 10_000);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, args[0] === '--help' ? /Usage: trent/ : /^\d+\.\d+\.\d+/);
    });
  }

  it('trent serve does load them (the check above can fail)', async () => {
    const dataDir = tempDataDir();
    try {
      const result = await runToEnd(process.execPath, [...forbid, MAIN, 'serve', '--port', '0', '--data-dir', dataDir], { TRENT_WORKERS: '1' }, 10_000);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /forbidden import: (better-sqlite3|pino)/);
    } finally {
      removeDataDir(dataDir);
    }
  });
});

describe('npm start', () => {
  it('SIGTERM to npm stops npm, the primary and every worker', async () => {
    const dataDir = tempDataDir();
    try {
      const { npm, url, output } = await npmStart(dataDir);
      assert.equal(serverProcesses(dataDir).length, 3, 'a primary and 2 workers');
      const npmExited = new Promise((resolve) => npm.once('exit', resolve));
      npm.kill('SIGTERM');
      await npmExited;
      await waitUntil(() => serverProcesses(dataDir).length === 0, 'the primary and the workers to exit', 10_000);
      assert.ok(await refused(url), 'the port should refuse connections');
      assert.doesNotMatch(output(), /starting another/);
    } finally {
      removeDataDir(dataDir);
    }
  });

  it('the server stops when npm itself is killed (it watches its parent when launched by npm)', async () => {
    const dataDir = tempDataDir();
    try {
      const { npm, url } = await npmStart(dataDir);
      assert.equal(serverProcesses(dataDir).length, 3, 'a primary and 2 workers');
      npm.kill('SIGKILL');
      await waitUntil(() => serverProcesses(dataDir).length === 0, 'the primary and the workers to exit', 10_000);
      assert.ok(await refused(url), 'the port should refuse connections');
    } finally {
      removeDataDir(dataDir);
    }
  });
});

interface Health {
  status: string;
  pid: number;
  workers: number;
  workerRestarts: number;
  uptimeSeconds: number;
  keyPairPool: Record<string, { ready: number; target: number; hits: number; misses: number }>;
  memory: { residentMiB: number; heapUsedMiB: number };
  processes: Array<{ pid: number; role: string; residentMiB?: number; heapUsedMiB?: number; answered?: false }>;
  database: { engine: string; path: string; reachable: boolean };
  rootKey: { source: string };
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
    assert.deepEqual(h.rootKey, { source: 'config' });
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
      assert.deepEqual(h.rootKey, { source: 'config' });
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
      assert.match(server.logs(), /trent: worker \d+ failed: unable to open database file; starting another in 200 ms/);
      assert.match(server.logs(), /trent: workers crashed 6 times within 60 s \(last: worker \d+ failed: unable to open database file\); stopping/);
      assert.doesNotMatch(server.logs(), /crashed 7 times/);
      assert.deepEqual(serverProcesses(server.dataDir), [], 'every worker stopped');
      assert.ok(await refused(server.url));
    } finally {
      await server.kill();
      removeDataDir(server.dataDir);
    }
  });
});
