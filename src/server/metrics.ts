/**
 * Prometheus metrics (prom-client), served as text at `GET /metrics`:
 *
 *   trent_requests_total{operation,error_code}                 counter; error_code "none" on success
 *   trent_request_duration_seconds{operation,error_code}       histogram
 *   trent_key_pair_pool_ready{spec} / _target{spec}            gauges: pairs waiting, pool size
 *   trent_key_pair_pool_hits_total{spec} / _misses_total{spec} counters: taken from the pool / generated on demand
 *   trent_keys{state}                                          gauge: keys of every account and region by key state
 *   trent_store_operation_duration_seconds{method}             histogram: each Store call
 *   trent_audit_log_records_total, trent_audit_log_write_failures_total, trent_audit_log_ok
 *   process_* and nodejs_*                                     prom-client's default process metrics
 *
 * Each process keeps its own registry. In a cluster, the worker that takes a scrape asks its
 * primary (cluster.ts), which gathers every worker's registry with prom-client's
 * AggregatorRegistry: counters and histograms are summed over the workers, and so are pool
 * levels; `trent_keys` (every worker reads the same database) takes the maximum and
 * `trent_audit_log_ok` the minimum. So one scrape sees the whole server.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PoolStats } from '../crypto/key-pair-pool.js';
import type { Store } from '../storage/types.js';
import type { AuditLogStatus } from './audit-log.js';

const KEY_STATES = ['Creating', 'Enabled', 'Disabled', 'PendingDeletion', 'PendingImport', 'PendingReplicaDeletion', 'Unavailable', 'Updating'];

export interface MetricSources {
  keyPairPool?: () => Record<string, PoolStats>;
  keysByState?: () => Promise<Record<string, number>>;
  auditLog?: () => AuditLogStatus | undefined;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'operation' | 'error_code'>;
  private readonly requestSeconds: Histogram<'operation' | 'error_code'>;
  private readonly storeSeconds: Histogram<'method'>;
  private sources: MetricSources = {};

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({ name: 'trent_requests_total', help: 'AWS KMS requests answered, by operation and error code', labelNames: ['operation', 'error_code'], registers });
    this.requestSeconds = new Histogram({
      name: 'trent_request_duration_seconds',
      help: 'Time from a request arriving to its answer, by operation and error code',
      labelNames: ['operation', 'error_code'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.storeSeconds = new Histogram({
      name: 'trent_store_operation_duration_seconds',
      help: 'Time taken by each call to the store, by method',
      labelNames: ['method'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    const pool = () => Object.entries(this.sources.keyPairPool?.() ?? {});
    const sources = () => this.sources;
    new Gauge({
      name: 'trent_key_pair_pool_ready',
      help: 'Pre-generated data key pairs waiting in the pool, by key pair spec',
      labelNames: ['spec'],
      registers,
      collect() {
        for (const [spec, stats] of pool()) this.set({ spec }, stats.ready);
      },
    });
    new Gauge({
      name: 'trent_key_pair_pool_target',
      help: 'Data key pairs the pool keeps ready, by key pair spec',
      labelNames: ['spec'],
      registers,
      collect() {
        for (const [spec, stats] of pool()) this.set({ spec }, stats.target);
      },
    });
    for (const [name, field, help] of [
      ['trent_key_pair_pool_hits_total', 'hits', 'Data key pairs handed out from the pool, by key pair spec'],
      ['trent_key_pair_pool_misses_total', 'misses', 'Data key pairs generated on demand because the pool was empty, by key pair spec'],
    ] as const) {
      new Counter({
        name,
        help,
        labelNames: ['spec'],
        registers,
        collect() {
          this.reset();
          for (const [spec, stats] of pool()) this.inc({ spec }, stats[field]);
        },
      });
    }
    new Gauge({
      name: 'trent_keys',
      help: 'KMS keys of every account and region, by key state',
      labelNames: ['state'],
      aggregator: 'max',
      registers,
      async collect() {
        const counts = (await sources().keysByState?.()) ?? {};
        for (const state of new Set([...KEY_STATES, ...Object.keys(counts)])) this.set({ state }, counts[state] ?? 0);
      },
    });
    new Counter({
      name: 'trent_audit_log_records_total',
      help: 'Audit records written',
      registers,
      collect() {
        this.reset();
        this.inc(sources().auditLog?.()?.records ?? 0);
      },
    });
    new Counter({
      name: 'trent_audit_log_write_failures_total',
      help: 'Batches of audit records that could not be written',
      registers,
      collect() {
        this.reset();
        this.inc(sources().auditLog?.()?.failures ?? 0);
      },
    });
    new Gauge({
      name: 'trent_audit_log_ok',
      help: '1 while every audit log write succeeds (or the audit log is off), 0 after a failed one',
      aggregator: 'min',
      registers,
      collect() {
        this.set(sources().auditLog?.()?.ok === false ? 0 : 1);
      },
    });
  }

  /** Where the gauges read their figures (known once the server's parts exist). */
  observe(sources: MetricSources): void {
    this.sources = sources;
  }

  request(operation: string, errorCode: string, seconds: number): void {
    const labels = { operation, error_code: errorCode };
    this.requests.inc(labels);
    this.requestSeconds.observe(labels, seconds);
  }

  /** `store` with every call timed (the transaction as a whole; the calls inside it are not). */
  timedStore(store: Store): Store {
    const histogram = this.storeSeconds;
    return new Proxy(store, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        return (...args: unknown[]) => {
          const started = process.hrtime.bigint();
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (!(result instanceof Promise)) return result;
          const done = () => histogram.observe({ method: property }, Number(process.hrtime.bigint() - started) / 1e9);
          result.then(done, done);
          return result;
        };
      },
    });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
