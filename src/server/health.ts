/**
 * What `GET /health` says about the whole server, whichever worker takes the request: the
 * worker count and uptime, every worker's key-pair pools summed per spec, memory per process
 * and in total, whether the database answers a query, and where the root key came from.
 *
 * In a cluster the worker that takes the request asks its primary, which gathers every
 * worker's figures over IPC (cluster.ts); a process that does not answer in time is listed as
 * such, and the status is `degraded` while it, the database or a worker being replaced is
 * missing. In one process the same shape describes one worker.
 * The HTTP status stays 200 either way: the body says what is wrong.
 */
import type { PoolStats } from '../crypto/key-pair-pool.js';
import type { ReserveFigures } from './reserve-refiller.js';
import type { Store } from '../storage/types.js';
import type { AuditLogStatus } from './audit-log.js';

/** One process's own figures, sent to the primary when it asks. */
export interface ProcessFigures {
  pid: number;
  role: 'primary' | 'worker';
  residentMiB: number;
  heapUsedMiB: number;
  /** A worker's pools (the primary has none). */
  keyPairPool?: Record<string, PoolStats>;
  /** A worker's audit log writer (none when the audit log is off). */
  auditLog?: AuditLogStatus;
}

export interface UnansweredProcess {
  pid: number;
  role: 'primary' | 'worker';
  answered: false;
}

/** The server as one process (the primary, or the only process) sees it. */
export interface ServerFigures {
  uptimeSeconds: number;
  /** Worker processes running, including any starting or not answering. */
  workers: number;
  /** Worker processes the server is configured to run; fewer are running while one restarts. */
  workersConfigured: number;
  /** Workers replaced since the server started. */
  workerRestarts: number;
  processes: Array<ProcessFigures | UnansweredProcess>;
  /** The durable key-pair reserve, from the process that refills it; absent when off. */
  keyPairReserve?: ReserveFigures;
}

export type DatabaseStatus = ({ engine: 'sqlite'; path: string } | { engine: 'postgres'; url: string }) & {
  reachable: boolean;
  error?: string;
};

export interface RootKeyStatus {
  source: 'file' | 'config';
  /** 16 hex digits of the root key's check value (crypto/root-key.ts), never of the key itself. */
  fingerprint: string;
}

export interface HealthReport extends Record<string, unknown> {
  status: 'ok' | 'degraded';
  version: string;
  /** The process that answered this request. */
  pid: number;
  uptimeSeconds: number;
  workers: number;
  workersConfigured: number;
  workerRestarts: number;
  keyPairPool: Record<string, PoolStats>;
  /** The durable reserve's levels, demand, and whether refilling is paused; null when off. */
  keyPairReserve: ReserveFigures | null;
  memory: { residentMiB: number; heapUsedMiB: number };
  processes: Array<Omit<ProcessFigures, 'keyPairPool'> | UnansweredProcess>;
  database: DatabaseStatus;
  rootKey: RootKeyStatus;
  /** The audit log: `ok` false (and the status degraded) while a worker's last write failed. */
  auditLog: AuditLogStatus;
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

export function processFigures(role: ProcessFigures['role'], keyPairPool?: Record<string, PoolStats>, auditLog?: AuditLogStatus): ProcessFigures {
  const usage = process.memoryUsage();
  return { pid: process.pid, role, residentMiB: mib(usage.rss), heapUsedMiB: mib(usage.heapUsed), ...(keyPairPool && { keyPairPool }), ...(auditLog && { auditLog }) };
}

/** Every writer's audit log status in one: ok only while every one's last write succeeded. */
export function sumAuditLogs(statuses: readonly AuditLogStatus[]): HealthReport['auditLog'] {
  const first = statuses[0];
  if (first === undefined) return { destination: 'off', ok: true, failures: 0, records: 0 };
  const failing = statuses.filter((s) => !s.ok);
  return {
    destination: first.destination,
    ok: failing.length === 0,
    failures: statuses.reduce((total, s) => total + s.failures, 0),
    records: statuses.reduce((total, s) => total + s.records, 0),
    ...(failing[0]?.lastError !== undefined && { lastError: failing[0].lastError }),
  };
}

/**
 * A trivial query through the store (the one the deletion sweep runs; nothing is ever due at
 * time 0). `where` is the SQLite file, or the PostgreSQL URL without its password.
 */
export async function databaseStatus(store: Store, where: { engine: 'sqlite'; path: string } | { engine: 'postgres'; url: string }): Promise<DatabaseStatus> {
  try {
    await store.keysDueForDeletion(0, 1);
    return { ...where, reachable: true };
  } catch (err) {
    return { ...where, reachable: false, error: err instanceof Error ? err.message : String(err) };
  }
}

function answered(entry: ProcessFigures | UnansweredProcess): entry is ProcessFigures {
  return !('answered' in entry);
}

export function sumPools(pools: ReadonlyArray<Record<string, PoolStats>>): Record<string, PoolStats> {
  const sum: Record<string, PoolStats> = {};
  for (const pool of pools) {
    for (const [spec, stats] of Object.entries(pool)) {
      const total = (sum[spec] ??= { ready: 0, target: 0, hits: 0, misses: 0 });
      total.ready += stats.ready;
      total.target += stats.target;
      total.hits += stats.hits;
      total.misses += stats.misses;
      if (stats.reserveHits !== undefined) total.reserveHits = (total.reserveHits ?? 0) + stats.reserveHits;
    }
  }
  return sum;
}

export function healthReport(parts: {
  version: string;
  server: ServerFigures;
  database: DatabaseStatus;
  rootKey: RootKeyStatus;
}): HealthReport {
  const { server, database } = parts;
  const figures = server.processes.filter(answered);
  const round = (n: number) => Math.round(n * 10) / 10;
  const everyoneAnswered = figures.length === server.processes.length;
  const allWorkersUp = server.workers >= server.workersConfigured;
  const auditLog = sumAuditLogs(figures.flatMap((p) => (p.auditLog ? [p.auditLog] : [])));
  return {
    status: database.reachable && everyoneAnswered && allWorkersUp && auditLog.ok ? 'ok' : 'degraded',
    version: parts.version,
    pid: process.pid,
    uptimeSeconds: round(server.uptimeSeconds),
    workers: server.workers,
    workersConfigured: server.workersConfigured,
    workerRestarts: server.workerRestarts,
    keyPairPool: sumPools(figures.flatMap((p) => (p.keyPairPool ? [p.keyPairPool] : []))),
    keyPairReserve: server.keyPairReserve ?? null,
    memory: {
      residentMiB: round(figures.reduce((total, p) => total + p.residentMiB, 0)),
      heapUsedMiB: round(figures.reduce((total, p) => total + p.heapUsedMiB, 0)),
    },
    processes: server.processes.map((p) =>
      answered(p) ? { pid: p.pid, role: p.role, residentMiB: p.residentMiB, heapUsedMiB: p.heapUsedMiB } : p,
    ),
    database,
    rootKey: parts.rootKey,
    auditLog,
  };
}
