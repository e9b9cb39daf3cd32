/**
 * Starts a Trent server from a Config: root key, store, services, the app and its HTTP
 * listener, and the timer that deletes keys whose deletion window has passed and rotates keys
 * whose rotation date has. Used by
 * `trent serve` and by the tests that need a whole server.
 */
import { closeSync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { reserveSizes, type Config } from '../config.js';
import { generateKeyPair, type DerKeyPair, type KeyPairParams } from '../crypto/asymmetric.js';
import { GenerationThreads, generatorOn } from '../crypto/generation-threads.js';
import { GrantTokenSigner } from '../crypto/grant-token.js';
import { KeyPairPool, type PoolSpec } from '../crypto/key-pair-pool.js';
import type { RootKey } from '../crypto/root-key.js';
import { accessControlFor } from '../domain/access.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { Identities } from '../domain/identities.js';
import { KeyMaterials } from '../domain/key-material.js';
import { loadAttestationRoots } from '../domain/attestation-roots.js';
import { KeyUsageTracker } from '../domain/key-usage.js';
import { KeyPairReserve } from '../domain/key-pair-reserve.js';
import { deleteDueKeys } from '../domain/key-state.js';
import { rotateDueKeys } from '../domain/rotation.js';
import { expireDueMaterial } from '../domain/key-import.js';
import { allDataKeyPairSpecs } from '../domain/key-specs.js';
import type { Services } from '../operations/context.js';
import type { Store } from '../storage/types.js';
import { MAX_BODY_BYTES } from '../protocol/json11.js';
import { version } from '../version.js';
import { createKmsApp } from './app.js';
import { AuditFile, AuditStdout, rotateIfLarge, type AuditLog } from './audit-log.js';
import { databaseLocation, openDataDir } from './data-dir.js';
import { Metrics } from './metrics.js';
import type { MetricsText } from './stages.js';
import { databaseStatus, healthReport, processFigures, type ServerFigures } from './health.js';
import { listen } from './node-http.js';
import { ReserveRefiller } from './reserve-refiller.js';

export { version };

export interface RunningServer {
  url: string;
  services: Services;
  auditLog?: AuditLog;
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  /** The whole server's figures for /health (a cluster worker asks its primary); else this process alone. */
  serverFigures?: () => Promise<ServerFigures>;
  /** This process's metrics (a cluster worker makes them so the primary can gather them). */
  metrics?: Metrics;
  /** The text of GET /metrics (a cluster worker asks its primary for the whole server's); else this process's. */
  metricsText?: MetricsText;
  /** Whether this process rotates the audit log (the only process does; a cluster's primary does for its workers). */
  rotatesAuditLog?: boolean;
  /**
   * Whether this process refills the durable key-pair reserve (default true). A cluster worker
   * does not: its primary refills for the whole server (startReserveRefiller).
   */
  refillReserve?: boolean;
}

/** How often the audit log's size is checked for rotation. */
export const AUDIT_ROTATION_CHECK_MS = 2_000;

/** The audit log `config` names: a file, standard output, or none ('off'). */
export function openAuditLog(config: Config, logger: Logger): AuditLog | undefined {
  if (config.auditLog === 'off') return undefined;
  const events = {
    onFailure: (err: unknown) => logger.error({ err, auditLog: config.auditLog }, 'writing the audit log failed'),
  };
  if (config.auditLog === '-') return new AuditStdout(events);
  const path = resolve(config.auditLog);
  try {
    closeSync(openSync(path, 'a', 0o600)); // refuse to start on a log that cannot be written
  } catch (err) {
    throw new Error(`cannot open the audit log ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return new AuditFile(path, events, { sync: config.auditLogSync });
}

/** Rotates the audit log file by size every AUDIT_ROTATION_CHECK_MS; returns the timer's stop. */
export function rotateAuditLogPeriodically(config: Config, logger: Logger): () => void {
  if (config.auditLog === 'off' || config.auditLog === '-' || config.auditLogMaxBytes === 0) return () => {};
  const path = resolve(config.auditLog);
  const timer = setInterval(() => {
    rotateIfLarge(path, config.auditLogMaxBytes, config.auditLogKeep).then(
      (rotated) => {
        if (rotated) logger.info({ auditLog: path }, 'audit log rotated');
      },
      (err: unknown) => logger.error({ err, auditLog: path }, 'rotating the audit log failed'),
    );
  }, AUDIT_ROTATION_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

function databaseWhere(config: Config): { engine: 'sqlite'; path: string } | { engine: 'postgres'; url: string } {
  return config.databaseUrl !== undefined
    ? { engine: 'postgres', url: databaseLocation(config) }
    : { engine: 'sqlite', path: resolve(config.dataDir, 'trent.db') };
}

/** The memory pool in front of a spec's durable reserve, unless a pool size is configured. */
const FRONT_POOL_SIZE = 4;

/**
 * This process's memory pools. A spec with a durable reserve gets a small pool in front of it,
 * filled by claiming from the reserve; the others generate their own pairs, as before.
 */
export function createKeyPairPool(
  config: Config,
  logger: Logger,
  reserve?: KeyPairReserve,
  generate: (params: KeyPairParams) => Promise<DerKeyPair> = generateKeyPair,
): KeyPairPool {
  const specs = allDataKeyPairSpecs().map((spec): PoolSpec => {
    const configured = config.keyPairPool.perSpec[spec.name] ?? config.keyPairPool.all;
    const reserved = reserve !== undefined && reserveSizes(config, spec).ceiling > 0;
    const poolSpec: PoolSpec = {
      name: spec.name,
      params: spec.params,
      cost: spec.cost,
      target: configured ?? (reserved ? Math.min(FRONT_POOL_SIZE, spec.defaultPoolSize) : spec.defaultPoolSize),
    };
    if (reserve && reserved) {
      poolSpec.reserve = { claim: (limit) => reserve.claim(spec.name, limit), restore: (pairs) => reserve.put(spec.name, pairs) };
    }
    return poolSpec;
  });
  return new KeyPairPool(specs, generate, config.keyPairPoolConcurrency, (err, spec) =>
    logger.error({ err, spec }, 'key pair generation for the pool failed'),
  );
}

/** The durable reserve over a store, logging (by id, never content) a pair that does not unwrap. */
export function keyPairReserve(store: Store, rootKey: RootKey, clock: Clock, logger: Logger): KeyPairReserve {
  return new KeyPairReserve(store, rootKey, clock, (spec, id) =>
    logger.error({ spec, id }, 'a reserved key pair did not unwrap under the root key; dropped'),
  );
}

export interface RunningRefiller {
  refiller: ReserveRefiller;
  close(): Promise<void>;
}

/**
 * Starts refilling the durable reserve for the whole server, one low-priority generation at a
 * time (server/reserve-refiller.ts). Returns undefined when no spec has a reserve.
 */
export function startReserveRefiller(config: Config, reserve: KeyPairReserve, logger: Logger): RunningRefiller | undefined {
  const specs = allDataKeyPairSpecs().map((spec) => ({ name: spec.name, params: spec.params, cost: spec.cost, ...reserveSizes(config, spec) }));
  if (!specs.some((spec) => spec.ceiling > 0)) return undefined;
  const threads = new GenerationThreads(1, { lowPriority: true });
  const refiller = new ReserveRefiller(specs, reserve, (params) => threads.generate(params), {
    onError: (err, spec) => logger.error({ err, spec }, 'refilling the key pair reserve failed'),
  });
  refiller.start();
  return {
    refiller,
    async close() {
      const closed = refiller.close();
      await threads.close(); // a generation under way is abandoned, not awaited
      await closed;
    },
  };
}

/**
 * Closes the server gracefully, then exits, on the first of `events` (signals, and for a cluster
 * worker `disconnect`, which means its primary died) or call of the returned function; later
 * ones are ignored.
 */
export function stopOn(server: RunningServer, events: readonly string[]): () => void {
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  for (const event of events) process.on(event, stop);
  return stop;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'trent' } }, pino.destination(2));
  const metrics = options.metrics ?? new Metrics();
  const opened = await openDataDir(config, {
    onStoreError: (err) => logger.warn({ err: { message: err.message } }, 'database connection lost; reconnecting'),
  });
  const rootKey = opened.rootKey;
  const store = metrics.timedStore(opened.store);
  const rootKeyFingerprint = rootKey.fingerprint();
  const clock = options.clock ?? systemClock;
  const auditLog = openAuditLog(config, logger);
  const stopRotation = options.rotatesAuditLog === false ? () => {} : rotateAuditLogPeriodically(config, logger);
  const reserve = keyPairReserve(store, rootKey, clock, logger);
  // On-demand RSA (pool misses, CreateKey) on threads of its own, off libuv's shared pool.
  const generationThreads = config.keyGenerationThreads > 0 ? new GenerationThreads(config.keyGenerationThreads) : undefined;
  const keyPairs = createKeyPairPool(config, logger, reserve, generationThreads ? generatorOn(generationThreads) : generateKeyPair);
  const refill = options.refillReserve === false ? undefined : startReserveRefiller(config, reserve, logger);
  const identities = new Identities(config.accounts);
  const services: Services = {
    store,
    materials: new KeyMaterials(store, rootKey),
    keyUsage: new KeyUsageTracker(store, clock, (err) => logger.error({ err }, 'writing the last use of keys failed')),
    keyPairs,
    grantTokenSigner: GrantTokenSigner.fromRootKey(rootKey),
    access: accessControlFor(store, clock, config.mode === 'authenticated' ? identities : undefined),
    clock,
    attestationRoots: loadAttestationRoots(config.attestationRoots),
    config: { defaultAccount: config.account, defaultRegion: config.region, allowSm2Everywhere: config.allowSm2Everywhere },
    logger,
  };
  const serverFigures =
    options.serverFigures ??
    (async (): Promise<ServerFigures> => ({
      uptimeSeconds: process.uptime(),
      workers: 1,
      workersConfigured: 1,
      workerRestarts: 0,
      processes: [processFigures('worker', keyPairs.stats(), auditLog?.status())],
      ...(refill && { keyPairReserve: refill.refiller.figures() }),
    }));
  metrics.observe({ keyPairPool: () => keyPairs.stats(), keysByState: () => store.countKeysByState(), auditLog: () => auditLog?.status() });
  const rootKeySource = config.rootKey === undefined ? 'file' : 'config';
  const app = createKmsApp(services, {
    identities,
    ...(auditLog && { auditLog }),
    auditLogRequired: config.auditLogRequired,
    metrics,
    metricsText: options.metricsText ?? (async () => ({ contentType: metrics.contentType, body: await metrics.text() })),
    health: async () => {
      const [server, database] = await Promise.all([serverFigures(), databaseStatus(store, databaseWhere(config))]);
      return healthReport({ version, server, database, rootKey: { source: rootKeySource, fingerprint: rootKeyFingerprint } });
    },
  });

  // After keys are deleted, the store scrubs what they left in its files; if another
  // connection is in the way, the next sweep tries again.
  let scrubPending = false;
  const sweep = async () => {
    try {
      const deleted = await deleteDueKeys(store, clock.now(), (keyId) => services.materials.forget(keyId));
      if (deleted > 0) logger.info({ deleted }, 'deleted keys whose deletion window passed');
      if (deleted > 0 || scrubPending) {
        scrubPending = !(await store.scrubDeleted());
        if (scrubPending) logger.warn('deleted key material is still in the database log; scrubbing again at the next sweep');
      }
    } catch (err) {
      logger.error({ err }, 'deleting keys whose deletion window passed failed');
    }
    // Automatic rotation, on the same timer and clock: each key once per due date, whichever
    // server's sweep gets to it first (domain/rotation.ts).
    try {
      const rotated = await rotateDueKeys(store, services.materials, clock.now());
      if (rotated.length > 0) logger.info({ rotated: rotated.length }, 'rotated keys whose rotation date passed');
    } catch (err) {
      logger.error({ err }, 'rotating keys whose rotation date passed failed');
    }
    // Imported key material whose ValidTo has passed is deleted; its key becomes PendingImport.
    try {
      const expired = await expireDueMaterial(store, clock.now());
      if (expired.length > 0) logger.info({ expired: expired.length }, 'deleted imported key material whose ValidTo passed');
    } catch (err) {
      logger.error({ err }, 'deleting expired imported key material failed');
    }
  };
  await sweep();
  const sweeper = setInterval(() => void sweep(), config.deletionSweepMs);
  sweeper.unref();

  const http = await listen(app, {
    host: config.host,
    port: config.port,
    maxBodyBytes: MAX_BODY_BYTES,
    maxConcurrentRequests: config.maxConcurrentRequests,
    headersTimeoutMs: config.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    maxConnections: config.maxConnections,
    idleTimeoutMs: config.idleTimeoutMs,
  });
  const url = http.url;
  keyPairs.start();
  services.keyUsage.start(config.keyUsageFlushMs);
  logger.info({ url, dataDir: config.dataDir, database: databaseLocation(config), rootKey: rootKeyFingerprint, mode: config.mode, accounts: config.accounts.length }, 'listening');
  return {
    url,
    services,
    ...(auditLog && { auditLog }),
    async close() {
      clearInterval(sweeper);
      stopRotation();
      await http.close(); // requests in flight finish before the store closes
      await auditLog?.close();
      await refill?.close();
      await keyPairs.close(); // pairs claimed from the reserve go back to it
      await generationThreads?.close();
      await services.keyUsage.stop(); // the last uses are written before the store closes
      await store.close();
      logger.info('stopped');
    },
  };
}
