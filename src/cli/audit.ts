/**
 * `trent audit tail` and `trent audit search`: read the audit log a server writes (JSON lines,
 * `<dataDir>/audit.log` and its rotated files `audit.log.1` ... , newest last). Client code: it
 * loads nothing of the server.
 *
 *   trent audit tail [-n N] [--follow]                  the last N records (10), then new ones as they come
 *   trent audit search [--key-id ID|ARN] [--event-name NAME] [--since TIME] [--until TIME]
 *
 * The file is `--audit-log FILE`, else TRENT_AUDIT_LOG, else `audit.log` in `--data-dir` /
 * TRENT_DATA_DIR / ./.trent. TIME is ISO 8601 (`2026-12-03`, `2026-12-03T10:00:00Z`) or an age
 * (`30s`, `15m`, `2h`, `7d`). Records are printed as stored, one JSON object per line.
 */
import { closeSync, createReadStream, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

export interface AuditFileOptions {
  auditLog?: string;
  dataDir?: string;
}

export interface SearchOptions extends AuditFileOptions {
  keyId?: string;
  eventName?: string;
  since?: string;
  until?: string;
}

export class AuditCliError extends Error {}

/** The audit log file the options, or the environment, name. */
export function auditLogPath(options: AuditFileOptions, env: NodeJS.ProcessEnv = process.env): string {
  const named = options.auditLog ?? env.TRENT_AUDIT_LOG;
  if (named === '-' || named === 'off') throw new AuditCliError(`the audit log is '${named}': there is no file to read; name it with --audit-log FILE`);
  return named ?? join(options.dataDir ?? env.TRENT_DATA_DIR ?? './.trent', 'audit.log');
}

/** The files of an audit log, oldest first: `path.<n>` ... `path.1`, `path`. */
export function auditLogFiles(path: string): string[] {
  const rotated: string[] = [];
  for (let i = 1; existsSync(`${path}.${i}`); i++) rotated.unshift(`${path}.${i}`);
  if (existsSync(path)) rotated.push(path);
  if (rotated.length === 0) throw new AuditCliError(`no audit log at ${path}`);
  return rotated;
}

/** A time bound: ISO 8601, or an age before `now` (`30s`, `15m`, `2h`, `7d`). Milliseconds since the epoch. */
export function parseTime(text: string, now: number): number {
  const age = /^(\d+)([smhd])$/.exec(text.trim());
  if (age) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 's' | 'm' | 'h' | 'd'];
    return now - Number(age[1]) * unit;
  }
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw new AuditCliError(`'${text}' is not a time: use ISO 8601 (2026-12-03T10:00:00Z) or an age (30s, 15m, 2h, 7d)`);
  return ms;
}

interface AuditLine {
  text: string;
  record: Record<string, unknown>;
}

/** The records of `files` in order, read as streams (a log may be hundreds of MiB). */
async function* linesOf(files: readonly string[], warn: (line: string) => void): AsyncGenerator<AuditLine> {
  for (const file of files) {
    let number = 0;
    for await (const text of createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity })) {
      number++;
      if (text === '') continue;
      try {
        yield { text, record: JSON.parse(text) as Record<string, unknown> };
      } catch {
        warn(`trent audit: ${file}:${number} is not a JSON record; skipped`);
      }
    }
  }
}

/** Whether a record concerns the key `keyId` (an id or a key ARN): in its resources or its request. */
function concernsKey(record: Record<string, unknown>, keyId: string): boolean {
  const resources = Array.isArray(record.resources) ? (record.resources as { ARN?: unknown }[]) : [];
  const matches = (arn: unknown) => typeof arn === 'string' && (arn === keyId || arn.endsWith(`:key/${keyId}`));
  if (resources.some((resource) => matches(resource.ARN))) return true;
  const parameters = (record.requestParameters ?? {}) as Record<string, unknown>;
  return ['keyId', 'sourceKeyId', 'destinationKeyId', 'targetKeyId'].some((member) => parameters[member] === keyId);
}

/** Prints (`print`) the stored line of every record matching `options`, oldest first. */
export async function searchAuditLog(options: SearchOptions, print: (line: string) => void, now: number = Date.now(), warn: (line: string) => void = () => {}): Promise<void> {
  const since = options.since === undefined ? undefined : parseTime(options.since, now);
  const until = options.until === undefined ? undefined : parseTime(options.until, now);
  for await (const { text, record } of linesOf(auditLogFiles(auditLogPath(options)), warn)) {
    if (options.eventName !== undefined && record.eventName !== options.eventName) continue;
    if (options.keyId !== undefined && !concernsKey(record, options.keyId)) continue;
    const time = typeof record.eventTime === 'string' ? Date.parse(record.eventTime) : NaN;
    if (since !== undefined && !(time >= since)) continue;
    if (until !== undefined && !(time <= until)) continue;
    print(text);
  }
}

/** Where a reader of the log stopped: the file (its inode) and the byte offset after its last whole line. */
export interface LogPosition {
  inode: number;
  offset: number;
}

/**
 * The last `count` records of the log, across its rotated files, and the position just after
 * them in the current file, where `followAuditLog` goes on without missing or repeating a line.
 */
export function tailAuditLog(options: AuditFileOptions & { count: number }, warn: (line: string) => void = () => {}): { lines: string[]; position: LogPosition } {
  const path = auditLogPath(options);
  const files = auditLogFiles(path);
  let position: LogPosition = { inode: -1, offset: 0 };
  const last: string[] = [];
  // Newest file first, until enough lines are found.
  for (let i = files.length - 1; i >= 0 && (last.length < options.count || position.inode === -1); i--) {
    const file = files[i] as string;
    const fd = openSync(file, 'r');
    try {
      const { ino, size } = fstatSync(fd);
      const { lines, end } = lastLines(fd, size, options.count - last.length);
      if (file === path) position = { inode: ino, offset: end };
      const records = lines.filter((line, index) => {
        try {
          JSON.parse(line);
          return true;
        } catch {
          warn(`trent audit: ${file}: line ${index + 1} of the last ${lines.length} is not a JSON record; skipped`);
          return false;
        }
      });
      last.unshift(...records);
    } finally {
      closeSync(fd);
    }
  }
  return { lines: last, position };
}

const BLOCK = 64 * 1024;

/**
 * The last `count` whole lines of an open file, read backwards a block at a time (a log may be
 * hundreds of MiB), and the offset just after the last whole line (a line still being written,
 * with no line feed yet, is left for the follower).
 */
function lastLines(fd: number, size: number, count: number): { lines: string[]; end: number } {
  const chunks: Buffer[] = [];
  let start = size;
  let end = -1;
  let newlines = 0;
  while (start > 0) {
    const from = Math.max(0, start - BLOCK);
    const block = Buffer.alloc(start - from);
    readSync(fd, block, 0, block.length, from);
    chunks.unshift(block);
    if (end === -1) {
      const last = block.lastIndexOf(0x0a);
      if (last !== -1) end = from + last + 1;
    }
    for (const byte of block) if (byte === 0x0a) newlines++;
    start = from;
    if (end !== -1 && newlines > count) break; // one more than needed: the first may be cut
  }
  if (end === -1) return { lines: [], end: 0 };
  const text = Buffer.concat(chunks).subarray(0, end - start).toString('utf8');
  const lines = text.split('\n').slice(0, -1);
  if (start > 0) lines.shift(); // cut by the block boundary
  return { lines: count === 0 ? [] : lines.slice(-count).filter((line) => line !== ''), end };
}

/**
 * Prints lines appended to the log after `from` (where tailAuditLog stopped), following it
 * across rotations, until the returned function is called.
 */
export function followAuditLog(options: AuditFileOptions, from: LogPosition, print: (line: string) => void, intervalMs = 250): () => void {
  const path = auditLogPath(options);
  let { inode, offset } = from;
  let partial = '';
  const readFrom = (file: string, start: number): number => {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= start) return start;
      const chunk = Buffer.alloc(size - start);
      readSync(fd, chunk, 0, chunk.length, start);
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line !== '') print(line);
      return size;
    } finally {
      closeSync(fd);
    }
  };
  const timer = setInterval(() => {
    if (!existsSync(path)) return;
    const current = statSync(path).ino;
    if (current !== inode) {
      // Rotated: finish the old file (now path.1), then start the new one from its beginning.
      if (inode !== -1 && existsSync(`${path}.1`) && statSync(`${path}.1`).ino === inode) readFrom(`${path}.1`, offset);
      inode = current;
      offset = 0;
      partial = '';
    }
    offset = readFrom(path, offset);
  }, intervalMs);
  return () => clearInterval(timer);
}
