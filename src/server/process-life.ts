/**
 * The parts of a server process's life that the operating system decides: secrets in its
 * environment, and its parent going away.
 *
 * Secrets: `TRENT_ROOT_KEY`, and the variables access keys name as their secretAccessKeyEnv, are
 * read once by the primary (or the only process) and then removed:
 * from process.env, so no child process and no diagnostic report inherits it, and on Linux from
 * the environment block the kernel keeps from exec time, which `/proc/<pid>/environ` and
 * `ps e` show to the same user for the life of the process (unsetenv only drops libc's pointer
 * to it; the bytes stay). Workers receive the resolved config over the cluster IPC channel, so
 * they never see a secret in their environment.
 *
 * Parents: when `npm start` is the parent, the server lives as long as npm does. npm forwards
 * SIGTERM and SIGINT, but if npm itself is killed (SIGKILL, or a shell between them dies) the
 * server would be re-parented and keep serving; so a server launched by an npm script
 * (npm_lifecycle_event is set) stops when its parent changes. Launched any other way (`trent
 * serve` under nohup, systemd, a container's init), the parent may exit on purpose and the
 * server keeps running; it stops on SIGTERM or SIGINT. Workers follow their primary through the
 * IPC channel (cluster.ts).
 */
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';

/** Removes `name` from this process's environment; returns true if the kernel's copy was wiped too (Linux). */
export function forgetEnvironmentVariable(name: string): boolean {
  if (process.env[name] === undefined) return false;
  delete process.env[name];
  if (process.platform !== 'linux') return false;
  try {
    return wipeFromExecEnvironment(name);
  } catch {
    return false; // no /proc, or not allowed: process.env no longer has it, which is what children see
  }
}

/** Overwrites every `name=value` entry of the exec-time environment block with NUL bytes. */
function wipeFromExecEnvironment(name: string): boolean {
  // proc(5): /proc/<pid>/stat fields 50 and 51 are env_start and env_end; fields after the
  // command name (which may hold spaces and parentheses) start at field 3.
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[50 - 3]);
  const end = Number(fields[51 - 3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start) return false;
  const fd = openSync('/proc/self/mem', 'r+');
  try {
    const block = Buffer.alloc(end - start);
    readSync(fd, block, 0, block.length, start);
    const prefix = Buffer.from(`${name}=`);
    let wiped = false;
    for (let at = 0; at < block.length; ) {
      const next = block.indexOf(0, at);
      const entryEnd = next === -1 ? block.length : next;
      if (block.subarray(at, at + prefix.length).equals(prefix)) {
        writeSync(fd, Buffer.alloc(entryEnd - at), 0, entryEnd - at, start + at);
        wiped = true;
      }
      at = entryEnd + 1;
    }
    return wiped;
  } finally {
    closeSync(fd);
  }
}

/** True when an npm script (npm start, npm run ...) launched this process. */
export function launchedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.npm_lifecycle_event !== undefined;
}

/** The parent's pid now (process.ppid is fixed at start-up in Node 20). */
function currentParent(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Calls `onExit` once when this process's parent goes away (polled; the timer keeps nothing alive). */
export function onParentExit(onExit: () => void, pollMs = 500): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    const now = currentParent();
    if (now !== undefined ? now !== parent : !alive(parent)) {
      clearInterval(timer);
      onExit();
    }
  }, pollMs);
  timer.unref();
}
