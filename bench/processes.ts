/** Starting and measuring the processes a benchmark compares. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface Started {
  url: string;
  child: ChildProcess;
  /** Milliseconds from spawn to the ready line. */
  readyMs: number;
  stop(): Promise<void>;
}

export async function startProcess(args: string[], env: Record<string, string> = {}): Promise<Started> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${stderr}`)));
  });
  const readyMs = performance.now() - t0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    child,
    readyMs,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resident memory in bytes of a process and all its descendants (Linux /proc). */
export function residentBytes(rootPid: number): number {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // the process ended while we looked
    }
  }
  const family = new Set([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!family.has(pid) && family.has(ppid)) {
        family.add(pid);
        grew = true;
      }
    }
  }
  let total = 0;
  for (const pid of family) {
    try {
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      total += Number(rss ?? 0) * 1024;
    } catch {
      // ended
    }
  }
  return total;
}

export interface PoolLevel {
  ready: number;
  target: number;
  hits: number;
  misses: number;
}

export interface Health {
  status: 'ok' | 'degraded';
  pid: number;
  workers: number;
  processes: Array<{ pid: number; role: 'primary' | 'worker'; heapUsedMiB?: number }>;
  keyPairPool: Record<string, PoolLevel>;
}

export async function health(url: string): Promise<Health> {
  const res = await fetch(`${url}/health`);
  return (await res.json()) as Health;
}

/** The JavaScript heap in use, summed over the workers (/health describes every process). */
export async function heapUsedMiB(url: string): Promise<number> {
  const h = await health(url);
  return h.processes.filter((p) => p.role === 'worker').reduce((total, p) => total + (p.heapUsedMiB ?? 0), 0);
}

/** Waits until all `workers` serve and their pools (summed in /health) are full. */
export async function waitForFullPools(url: string, workers: number, timeoutMs = 180_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const h = await health(url);
    if (h.status === 'ok' && h.workers >= workers && Object.values(h.keyPairPool).every((p) => p.ready >= p.target)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('key-pair pools did not fill in time');
}
