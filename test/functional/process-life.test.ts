/**
 * Starting and stopping `trent serve` as a user or a supervisor meets it: a bad setting or a
 * busy port stops it at once with one line (no worker restart loop); the command line answers
 * --help without loading the server; SIGTERM to `npm start` stops npm, the primary and every
 * worker, and killing npm stops the server too. The cluster's life once serving is in
 * cluster-life.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { refused, serverProcesses, waitUntil } from '../helpers/processes.js';
import { MAIN, removeDataDir, spawnServer, tempDataDir } from '../helpers/spawn-server.js';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const QUIET = { TRENT_LOG_LEVEL: 'warn', TRENT_KEY_PAIR_POOL: '0', TRENT_KEY_PAIR_RESERVE: '0' };

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

  it('trent --help loads neither better-sqlite3 nor pino', async () => {
    const result = await runToEnd(process.execPath, [...forbid, MAIN, '--help'], {}, 10_000);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Usage: trent/);
  });

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

describe('a SQLite server and the PostgreSQL driver', () => {
  // Fails any import of `pg`, in every process (NODE_OPTIONS reaches the workers too).
  const hooks = `export async function resolve(specifier, context, next) {
    if (/^pg(\\/|$)/.test(specifier)) throw new Error('forbidden import: ' + specifier);
    return next(specifier, context);
  }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  const NODE_OPTIONS = `--import=data:text/javascript,${encodeURIComponent(register)}`;

  it('never loads it: a server on SQLite starts and serves without pg', async () => {
    const server = await spawnServer({ env: { NODE_OPTIONS } });
    try {
      const response = await fetch(`${server.url}/health`);
      assert.equal(response.status, 200);
      assert.doesNotMatch(server.logs(), /forbidden import/);
    } finally {
      await server.stop();
    }
  });

  it('a PostgreSQL store does load it (the check above can fail)', async () => {
    const dataDir = tempDataDir();
    try {
      const args = [MAIN, 'export', '--data-dir', dataDir, '--database-url', 'postgres://postgres@127.0.0.1:1/none', '--out', `${dataDir}/archive.json`];
      const result = await runToEnd(process.execPath, args, { NODE_OPTIONS }, 10_000);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /forbidden import: pg/);
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
