/** How /health sums a server's processes (health.ts); the functional suite drives a real cluster. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthReport, sumPools, type ServerFigures } from '../../src/server/health.js';

const database = { engine: 'sqlite' as const, path: '/data/trent.db', reachable: true };
const pool = (ready: number, target: number, hits: number, misses: number) => ({ ready, target, hits, misses });

const server: ServerFigures = {
  uptimeSeconds: 12.345,
  workers: 2,
  workersConfigured: 2,
  workerRestarts: 1,
  processes: [
    { pid: 10, role: 'primary', residentMiB: 50, heapUsedMiB: 8 },
    { pid: 11, role: 'worker', residentMiB: 60.2, heapUsedMiB: 10.1, keyPairPool: { ECC_NIST_P256: pool(3, 4, 5, 1), RSA_2048: pool(0, 0, 0, 2) } },
    { pid: 12, role: 'worker', residentMiB: 61, heapUsedMiB: 9.9, keyPairPool: { ECC_NIST_P256: pool(4, 4, 2, 0), RSA_2048: pool(0, 0, 0, 1) } },
  ],
};

describe('/health report', () => {
  it('sums the pools of every worker per spec', () => {
    assert.deepEqual(sumPools([{ A: pool(1, 2, 3, 4) }, { A: pool(10, 20, 30, 40), B: pool(1, 1, 1, 1) }]), {
      A: pool(11, 22, 33, 44),
      B: pool(1, 1, 1, 1),
    });
  });

  it('sums reserve hits only for pools in front of a reserve', () => {
    assert.deepEqual(sumPools([{ A: { ...pool(1, 4, 2, 0), reserveHits: 3 }, B: pool(1, 1, 1, 1) }, { A: { ...pool(2, 4, 1, 1), reserveHits: 4 } }]), {
      A: { ...pool(3, 8, 3, 1), reserveHits: 7 },
      B: pool(1, 1, 1, 1),
    });
  });

  it("shows the reserve as the refilling process reports it, and null when there is none", () => {
    const keyPairReserve = {
      paused: false,
      cpuBusy: 0.42,
      specs: { RSA_4096: { ready: 7, floor: 8, ceiling: 32, target: 12, demandPerMinute: 5.5, claimed: 9, generated: 16 } },
    };
    const rootKey = { source: 'file' as const, fingerprint: '0894c155b07061e8' };
    assert.deepEqual(healthReport({ version: '9.9.9', server: { ...server, keyPairReserve }, database, rootKey }).keyPairReserve, keyPairReserve);
    assert.equal(healthReport({ version: '9.9.9', server, database, rootKey }).keyPairReserve, null);
  });

  it('describes the whole server: workers, pools summed, memory per process and in total', () => {
    const report = healthReport({ version: '9.9.9', server, database, rootKey: { source: 'file', fingerprint: '0894c155b07061e8' } });
    assert.equal(report.status, 'ok');
    assert.equal(report.workers, 2);
    assert.equal(report.workerRestarts, 1);
    assert.equal(report.uptimeSeconds, 12.3);
    assert.deepEqual(report.keyPairPool, { ECC_NIST_P256: pool(7, 8, 7, 1), RSA_2048: pool(0, 0, 0, 3) });
    assert.deepEqual(report.memory, { residentMiB: 171.2, heapUsedMiB: 28 });
    assert.deepEqual(report.processes, [
      { pid: 10, role: 'primary', residentMiB: 50, heapUsedMiB: 8 },
      { pid: 11, role: 'worker', residentMiB: 60.2, heapUsedMiB: 10.1 },
      { pid: 12, role: 'worker', residentMiB: 61, heapUsedMiB: 9.9 },
    ]);
    assert.deepEqual(report.database, database);
    assert.deepEqual(report.rootKey, { source: 'file', fingerprint: '0894c155b07061e8' });
  });

  it('lists a worker that did not answer, and says degraded', () => {
    const silent = { ...server, processes: [server.processes[0], server.processes[1], { pid: 12, role: 'worker' as const, answered: false as const }] } as ServerFigures;
    const report = healthReport({ version: '9.9.9', server: silent, database, rootKey: { source: 'config', fingerprint: '0894c155b07061e8' } });
    assert.equal(report.status, 'degraded');
    assert.deepEqual(report.processes[2], { pid: 12, role: 'worker', answered: false });
    assert.deepEqual(report.keyPairPool.ECC_NIST_P256, pool(3, 4, 5, 1));
    assert.deepEqual(report.memory, { residentMiB: 110.2, heapUsedMiB: 18.1 });
  });

  it('says degraded while a worker is being replaced', () => {
    const report = healthReport({ version: '9.9.9', server: { ...server, workers: 1, processes: server.processes.slice(0, 2) }, database, rootKey: { source: 'file', fingerprint: '0894c155b07061e8' } });
    assert.equal(report.status, 'degraded');
    assert.deepEqual([report.workers, report.workersConfigured], [1, 2]);
  });

  it('says degraded when the database does not answer', () => {
    const report = healthReport({ version: '9.9.9', server, database: { ...database, reachable: false, error: 'disk I/O error' }, rootKey: { source: 'file', fingerprint: '0894c155b07061e8' } });
    assert.equal(report.status, 'degraded');
    assert.equal(report.database.error, 'disk I/O error');
  });

  it('sums the workers\' audit logs, and says degraded while one\'s last write failed', () => {
    const log = (ok: boolean, failures: number, records: number) => ({ destination: '/data/audit.log', ok, failures, records, ...(!ok && { lastError: 'ENOSPC' }) });
    const withLogs = (a: ReturnType<typeof log>, b: ReturnType<typeof log>): ServerFigures => ({
      ...server,
      processes: [server.processes[0] as ServerFigures['processes'][number], { ...(server.processes[1] as object), auditLog: a } as ServerFigures['processes'][number], { ...(server.processes[2] as object), auditLog: b } as ServerFigures['processes'][number]],
    });
    const rootKey = { source: 'file' as const, fingerprint: '0894c155b07061e8' };
    const healthy = healthReport({ version: '9.9.9', server: withLogs(log(true, 0, 5), log(true, 1, 7)), database, rootKey });
    assert.equal(healthy.status, 'ok');
    assert.deepEqual(healthy.auditLog, { destination: '/data/audit.log', ok: true, failures: 1, records: 12 });
    const failing = healthReport({ version: '9.9.9', server: withLogs(log(true, 0, 5), log(false, 2, 7)), database, rootKey });
    assert.equal(failing.status, 'degraded');
    assert.deepEqual(failing.auditLog, { destination: '/data/audit.log', ok: false, failures: 2, records: 12, lastError: 'ENOSPC' });
    assert.deepEqual(healthReport({ version: '9.9.9', server, database, rootKey }).auditLog, { destination: 'off', ok: true, failures: 0, records: 0 });
  });
});
