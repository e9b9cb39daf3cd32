/**
 * Drives a server with wrk (Debian package `wrk`: `sudo apt-get install -y wrk`) when it is
 * installed, so the load generator never caps the server measured: a single Node loop held the
 * trivial server near 6k req/s where wrk drove it to 18-20k. Without wrk the same load comes from
 * several loader processes (bench/loader.ts, one per core), each running the keep-alive loop of
 * bench/load.ts. The bench installs nothing itself.
 *
 * The requests are prepared (signed) beforehand and rotated by a Lua script; wrk's own Host and
 * Content-Length are used, so the signed ones are passed under those exact names.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PreparedRequest } from './load.js';

const LOADER = fileURLToPath(new URL('./loader.js', import.meta.url));

export interface Throughput {
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  generator: 'wrk' | 'loader processes';
}

let checked: boolean | undefined;
export function wrkInstalled(): boolean {
  checked ??= spawnSync('wrk', ['--version'], { encoding: 'utf8' }).error === undefined;
  return checked;
}

export function generatorNote(): string {
  return wrkInstalled()
    ? 'load from wrk'
    : 'wrk is not installed (Debian/Ubuntu: sudo apt-get install -y wrk); load from one Node loader process per core instead';
}

const lua = (text: string) => JSON.stringify(text); // ASCII only: JSON's escapes are Lua's

function script(requests: PreparedRequest[]): string {
  const rows = requests.map((r) => {
    const headers = Object.entries(r.headers).map(([name, value]) => {
      const wrkName = name === 'host' ? 'Host' : name === 'content-length' ? 'Content-Length' : name;
      return `[${lua(wrkName)}] = ${lua(value)}`;
    });
    return `{ body = ${lua(r.body)}, headers = { ${headers.join(', ')} } }`;
  });
  return [
    `local requests = { ${rows.join(',\n')} }`,
    'local i = 0',
    'request = function()',
    '  i = i % #requests + 1',
    '  local r = requests[i]',
    '  return wrk.format("POST", "/", r.headers, r.body)',
    'end',
    '',
  ].join('\n');
}

function milliseconds(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 64 * 2 ** 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

/** Runs a loader process, giving it the job on stdin (too large for an argument). */
function load(job: object): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOADER], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`loader exited with ${code}`))));
    child.stdin.end(JSON.stringify(job));
  });
}

/** `connections` concurrent keep-alive connections for `seconds`, rotating `requests`. */
export async function drive(url: string, requests: PreparedRequest[], seconds: number, connections = 32): Promise<Throughput> {
  if (wrkInstalled()) {
    const file = join(tmpdir(), `trent-bench-${process.pid}-${Date.now()}.lua`);
    writeFileSync(file, script(requests));
    const out = await run('wrk', ['-t', String(Math.min(2, connections)), '-c', String(connections), '-d', `${seconds}s`, '--latency', '-s', file, url]);
    const perSecond = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
    const at = (p: string) => {
      const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
      return m ? milliseconds(m[1] as string, m[2] as string) : NaN;
    };
    const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + Number(/Socket errors: .*?(\d+)/.exec(out)?.[1] ?? 0);
    return { perSecond, p50: at('50'), p99: at('99'), errors, generator: 'wrk' };
  }
  const processes = availableParallelism();
  const each = Math.max(1, Math.round(connections / processes));
  const outputs = await Promise.all(
    Array.from({ length: processes }, () => load({ url, requests, concurrency: each, durationMs: seconds * 1000 })),
  );
  const results = outputs.map((o) => JSON.parse(o) as { perSecond: number; errors: number; latencies: number[] });
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? NaN;
  return {
    perSecond: results.reduce((sum, r) => sum + r.perSecond, 0),
    p50: at(50),
    p99: at(99),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    generator: 'loader processes',
  };
}
