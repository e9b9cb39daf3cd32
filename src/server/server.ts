/**
 * Starts a Trent server from a Config: root key, store, services, the app and its HTTP
 * listener, and the timer that deletes keys whose deletion window has passed. Used by
 * `trent serve` and by the tests that need a whole server.
 */
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
import { KeyPairReserve } from '../domain/key-pair-reserve.js';
import { deleteDueKeys } from '../domain/key-state.js';
import { allDataKeyPairSpecs } from '../domain/key-specs.js';
import type { Services } from '../operations/context.js';
import type { Store } from '../storage/types.js';
import { MAX_BODY_BYTES } from '../protocol/json11.js';
import { version } from '../version.js';
import { createKmsApp } from './app.js';
import { openDataDir } from './data-dir.js';
import { databaseStatus, healthReport, processFigures, type ServerFigures } from './health.js';
import { listen } from './node-http.js';
import { ReserveRefiller } from './reserve-refiller.js';

export { version };

export interface RunningServer {
  url: string;
  services: Services;
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  /** The whole server's figures for /health (a cluster worker asks its primary); else this process alone. */
  serverFigures?: () => Promise<ServerFigures>;
  /**
   * Whether this process refills the durable key-pair reserve (default true). A cluster worker
   * does not: its primary refills for the whole server (startReserveRefiller).
   */
  refillReserve?: boolean;
}

/**
 * Checks the data directory, creates the root key of a new database and applies migrations once,
 * before worker processes start: a refusal (server/data-dir.ts) stops the primary with its message.
 */
export async function prepareDataDir(config: Config): Promise<void> {
  await (await openDataDir(config)).store.close();
}

function databasePath(config: Config): string {
  return resolve(config.dataDir, 'trent.db');
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
  const { rootKey, store } = await openDataDir(config);
  const rootKeyFingerprint = rootKey.fingerprint();
  const clock = options.clock ?? systemClock;
  const reserve = keyPairReserve(store, rootKey, clock, logger);
  // On-demand RSA (pool misses, CreateKey) on threads of its own, off libuv's shared pool.
  const generationThreads = config.keyGenerationThreads > 0 ? new GenerationThreads(config.keyGenerationThreads) : undefined;
  const keyPairs = createKeyPairPool(config, logger, reserve, generationThreads ? generatorOn(generationThreads) : generateKeyPair);
  const refill = options.refillReserve === false ? undefined : startReserveRefiller(config, reserve, logger);
  const identities = new Identities(config.accounts);
  const services: Services = {
    store,
    materials: new KeyMaterials(store, rootKey),
    keyPairs,
    grantTokenSigner: GrantTokenSigner.fromRootKey(rootKey),
    access: accessControlFor(store, clock, config.mode === 'authenticated' ? identities : undefined),
    clock,
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
      processes: [processFigures('worker', keyPairs.stats())],
      ...(refill && { keyPairReserve: refill.refiller.figures() }),
    }));
  const rootKeySource = config.rootKey === undefined ? 'file' : 'config';
  const app = createKmsApp(services, {
    identities,
    health: async () => {
      const [server, database] = await Promise.all([serverFigures(), databaseStatus(store, databasePath(config))]);
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
  logger.info({ url, dataDir: config.dataDir, rootKey: rootKeyFingerprint, mode: config.mode, accounts: config.accounts.length }, 'listening');
  return {
    url,
    services,
    async close() {
      clearInterval(sweeper);
      await http.close(); // requests in flight finish before the store closes
      await refill?.close();
      await keyPairs.close(); // pairs claimed from the reserve go back to it
      await generationThreads?.close();
      await store.close();
      logger.info('stopped');
    },
  };
}
