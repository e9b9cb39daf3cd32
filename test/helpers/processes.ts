/**
 * Watching a spawned server's processes from a test (Linux /proc): which are alive, waiting
 * for a condition, and whether its port still answers.
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * The live Trent processes (primary and workers, replacements included) serving `dataDir`: node
 * running main.js with that directory among its arguments (Linux /proc). A zombie waiting for a
 * parent that does not reap it counts as ended.
 */
export function serverProcesses(dataDir: string): number[] {
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

export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** True when nothing answers at `url` any more. */
export async function refused(url: string): Promise<boolean> {
  return fetch(`${url}/health`).then(
    () => false,
    () => true,
  );
}
