/**
 * Spawns a real Trent server process (the built `dist/src/main.js serve`) on a free port with
 * its own data directory, and waits for its ready line. Used by the functional tests, which
 * talk to it over HTTP with real AWS clients.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

export interface SpawnedServer {
  url: string;
  dataDir: string;
  process: ChildProcess;
  /** Output the server wrote to stderr (its logs). */
  logs(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit: nothing gets to flush. */
  kill(): Promise<void>;
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'trent-test-'));
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export async function spawnServer(options: { dataDir?: string; env?: Record<string, string>; args?: string[] } = {}): Promise<SpawnedServer> {
  const dataDir = options.dataDir ?? tempDataDir();
  const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0', '--data-dir', dataDir, ...(options.args ?? [])], {
    // One process and no key-pair pool or reserve unless a test asks: test servers must not compete for
    // the machine's two cores by filling pools in the background.
    env: { ...process.env, TRENT_LOG_LEVEL: 'warn', TRENT_WORKERS: '1', TRENT_KEY_PAIR_POOL: '0', TRENT_KEY_PAIR_RESERVE: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never leave a hung server behind
      reject(new Error(`server did not start: ${stderr}`));
    }, 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    dataDir,
    process: child,
    logs: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
