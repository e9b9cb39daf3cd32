/**
 * `npm run bench:start-up`: time from launch to the ready line, `npm start` against `node
 * dist/src/main.js serve` directly, alternating, each on a fresh data directory with the default
 * settings (one worker per core, default pools). The gap between the two is what npm and the
 * pre-start build check add. Run it with dist/ already built, as a user would start a second time.
 *
 * Each launch gets its own process group, which is signalled as a whole, so the figures do not
 * depend on how the server reacts to npm's signals.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const roundsIndex = process.argv.indexOf('--rounds');
const rounds = roundsIndex > 0 ? Number(process.argv[roundsIndex + 1]) : 5;

async function readyMs(command: string, args: string[]): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'trent-start-up-'));
  const t0 = performance.now();
  const child = spawn(command, [...args, '--port', '0', '--data-dir', dataDir], {
    cwd: ROOT,
    env: { ...process.env, TRENT_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    return await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/listening on http:\/\/\S+/.test(out)) resolve(performance.now() - t0);
      });
      child.once('exit', (code) => reject(new Error(`${command} ${args.join(' ')} exited with ${code}`)));
    });
  } finally {
    process.kill(-(child.pid as number), 'SIGTERM');
    await exited;
    // The group may outlive its leader: wait until nothing in it is left.
    for (let i = 0; i < 100 && groupAlive(child.pid as number); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

const npm: number[] = [];
const node: number[] = [];
for (let i = 0; i < rounds; i++) {
  npm.push(await readyMs('npm', ['start', '--']));
  node.push(await readyMs(process.execPath, ['dist/src/main.js', 'serve']));
}
const show = (values: number[]) => values.map((v) => v.toFixed(0)).join(', ');
process.stdout.write(`npm start:                      median ${median(npm).toFixed(0)} ms to ready (${show(npm)})\n`);
process.stdout.write(`node dist/src/main.js serve:    median ${median(node).toFixed(0)} ms to ready (${show(node)})\n`);
process.stdout.write(`npm start / node directly:      ${(median(npm) / median(node)).toFixed(1)}x\n`);
