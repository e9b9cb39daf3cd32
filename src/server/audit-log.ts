/**
 * Where audit records go: JSON lines appended to a file (`<dataDir>/audit.log` by default), or
 * standard output (`-`), or nowhere (`off`).
 *
 * Durability (group commit): `append` resolves only once its line is written and the file
 * fdatasync'ed, and the audit stage awaits it before the response leaves, so a request that was
 * answered has its record on disk even if the server is killed with SIGKILL right after. Lines
 * that arrive while a batch is being synced wait and go together in the next batch: one write
 * and one fdatasync per batch, however many requests are in flight.
 *
 * Several workers, one file: each worker process opens the file itself with O_APPEND and writes
 * each batch with a single write() call, then syncs its own descriptor. On a local file system
 * an O_APPEND write of a regular file is placed at the end of the file as a whole (the kernel
 * holds the inode lock for the write), so batches of different workers never interleave inside
 * a line, and no process waits on another's IPC.
 *
 * Rotation by size: one process (the primary, or the only process) checks the size every few
 * seconds and renames `audit.log` -> `audit.log.1` -> ... -> `audit.log.<keep>`, dropping the
 * oldest. Every writer compares the path's inode with its descriptor's before each batch and
 * reopens when they differ, so a batch in flight during a rotation lands, durably, in
 * `audit.log.1`. `trent audit` reads the rotated files too.
 *
 * A failure to write or sync is loud: the error is logged, counted (`failures`, the metric
 * trent_audit_log_write_failures_total) and shown by GET /health as `degraded`; the records of
 * that batch reject, which fails their requests when `auditLogRequired` is set.
 */
import { closeSync, constants, existsSync, fstatSync, openSync, renameSync, statSync, fdatasync as fdatasyncCallback, fsync, writev } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const syncData = promisify(fdatasyncCallback);
const syncAll = promisify(fsync);
const writeVector = promisify(writev);

export interface AuditLogStatus {
  /** Where the records go: a file path, `-` (standard output). */
  destination: string;
  /** False after a failed write, until a write succeeds again. */
  ok: boolean;
  /** Failed batches since the server started. */
  failures: number;
  /** The last failure's error code or message. */
  lastError?: string;
  /** Records written. */
  records: number;
}

export interface AuditLog {
  /** Resolves once `line` (one JSON record, no newline) is durably written; rejects if it could not be. */
  append(line: string): Promise<void>;
  status(): AuditLogStatus;
  close(): Promise<void>;
}

interface Pending {
  line: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface AuditFileOptions {
  /**
   * fdatasync each batch before its lines count as written (the default). Without it a record
   * is still in the kernel's page cache before the answer, so it survives kill -9 of Trent, but
   * not a power loss or a kernel crash.
   */
  sync?: boolean;
}

export interface AuditLogEvents {
  /** A batch failed (the logger and the failure metric hear of it). */
  onFailure?: (err: unknown) => void;
  /** A batch of `records` lines was written. */
  onWrite?: (records: number) => void;
}

/** The batching shared by both destinations: one `writeBatch` at a time, lines queued meanwhile. */
abstract class BatchingLog implements AuditLog {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  protected readonly state: AuditLogStatus;

  constructor(
    destination: string,
    private readonly events: AuditLogEvents,
  ) {
    this.state = { destination, ok: true, failures: 0, records: 0 };
  }

  protected abstract writeBatch(data: Buffer): Promise<void>;

  append(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    // Let every request that finishes in this turn of the event loop join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.writeBatch(Buffer.from(batch.map((p) => `${p.line}\n`).join(''), 'utf8'));
        this.state.ok = true;
        this.state.records += batch.length;
        this.events.onWrite?.(batch.length);
        for (const p of batch) p.resolve();
      } catch (err) {
        this.state.ok = false;
        this.state.failures++;
        this.state.lastError = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
        this.events.onFailure?.(err);
        for (const p of batch) p.reject(err);
      }
    }
    this.flushing = undefined;
  }

  status(): AuditLogStatus {
    return { ...this.state };
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
  }
}

/** JSON lines appended to a file, fdatasync'ed per batch. */
export class AuditFile extends BatchingLog {
  private fd: number | undefined;

  private readonly sync: boolean;

  constructor(
    private readonly path: string,
    events: AuditLogEvents = {},
    options: AuditFileOptions = {},
  ) {
    super(path, events);
    this.sync = options.sync ?? true;
  }

  /** The descriptor of the file now at `path`: opened (created 0600) on first use and after a rotation. */
  private async descriptor(): Promise<number> {
    if (this.fd !== undefined) {
      let current: number | undefined;
      try {
        current = statSync(this.path).ino;
      } catch {
        current = undefined; // rotated away and not yet recreated
      }
      if (current === fstatSync(this.fd).ino) return this.fd;
      closeSync(this.fd);
      this.fd = undefined;
    }
    const fd = openSync(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
    // On every (rare) open, so a file just created, here or by a rotation, keeps its name after a crash.
    await syncDirectory(dirname(this.path));
    this.fd = fd;
    return fd;
  }

  protected async writeBatch(data: Buffer): Promise<void> {
    const fd = await this.descriptor();
    // One write() per batch keeps it whole among other workers' appends; a short write (a
    // full disk) is an error rather than a second write that could interleave.
    const { bytesWritten: written } = await writeVector(fd, [data]);
    if (written !== data.length) throw Object.assign(new Error(`short write to the audit log (${written} of ${data.length} bytes)`), { code: 'ESHORTWRITE' });
    if (this.sync) await syncData(fd);
  }

  override async close(): Promise<void> {
    await super.close();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** JSON lines on standard output (`--audit-log -`), for a log collector reading it. */
export class AuditStdout extends BatchingLog {
  constructor(events: AuditLogEvents = {}) {
    super('-', events);
  }

  protected writeBatch(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      process.stdout.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    await syncAll(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Rotates `path` when it has reached `maxBytes`: `path.<keep-1>` -> `path.<keep>` (the oldest
 * is overwritten), ..., `path` -> `path.1`. Run by one process only (the primary), so two
 * rotations never race; writers reopen `path` at their next batch. Returns whether it rotated.
 */
export async function rotateIfLarge(path: string, maxBytes: number, keep: number): Promise<boolean> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return false;
  }
  if (size < maxBytes || keep < 1) return false;
  for (let i = keep - 1; i >= 1; i--) {
    if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
  }
  renameSync(path, `${path}.1`);
  await syncDirectory(dirname(path));
  return true;
}
