/**
 * Starts a Trent server from a Config: root key, store, services, the app and its HTTP
 * listener, and the timer that deletes keys whose deletion window has passed. Used by
 * `trent serve` and by the tests that need a whole server.
 */
import { readFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { ConfigError, type Config } from '../config.js';
import { generateKeyPair } from '../crypto/asymmetric.js';
import { KeyPairPool } from '../crypto/key-pair-pool.js';
import { AccessControl } from '../domain/access.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { KeyMaterials } from '../domain/key-material.js';
import { deleteDueKeys } from '../domain/key-state.js';
import { allDataKeyPairSpecs } from '../domain/key-specs.js';
import type { Services } from '../operations/context.js';
import { MAX_BODY_BYTES } from '../protocol/json11.js';
import { createKmsApp } from './app.js';
import { openDataDir } from './data-dir.js';
import { listen } from './node-http.js';

export const version: string = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface RunningServer {
  url: string;
  services: Services;
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
}

/**
 * Checks the data directory, creates the root key of a new database and applies migrations once,
 * before worker processes start: a refusal (server/data-dir.ts) stops the primary with its message.
 */
export async function prepareDataDir(config: Config): Promise<void> {
  await (await openDataDir(config)).store.close();
}

/** This process's memory in MiB, for /health: resident, and the JavaScript heap in use. */
function memoryFigures(): { residentMiB: number; heapUsedMiB: number } {
  const usage = process.memoryUsage();
  const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
  return { residentMiB: mib(usage.rss), heapUsedMiB: mib(usage.heapUsed) };
}

export function createKeyPairPool(config: Config, logger: Logger): KeyPairPool {
  const specs = allDataKeyPairSpecs().map((spec) => ({
    name: spec.name,
    params: spec.params,
    cost: spec.cost,
    target: config.keyPairPool.perSpec[spec.name] ?? config.keyPairPool.all ?? spec.defaultPoolSize,
  }));
  for (const name of Object.keys(config.keyPairPool.perSpec)) {
    if (!specs.some((s) => s.name === name)) throw new ConfigError(`key pair pool: unknown key pair spec '${name}'`);
  }
  return new KeyPairPool(specs, generateKeyPair, config.keyPairPoolConcurrency, (err, spec) =>
    logger.error({ err, spec }, 'key pair generation for the pool failed'),
  );
}

/**
 * Closes the server gracefully, then exits, on the first of `events` (SIGTERM, SIGINT, and for
 * a cluster worker `disconnect`, which means its primary died); later events are ignored.
 */
export function stopOn(server: RunningServer, events: readonly string[]): void {
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
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'trent' } }, pino.destination(2));
  const { rootKey, store } = await openDataDir(config);
  const rootKeyFingerprint = rootKey.fingerprint();
  const clock = options.clock ?? systemClock;
  const keyPairs = createKeyPairPool(config, logger);
  const services: Services = {
    store,
    materials: new KeyMaterials(store, rootKey),
    keyPairs,
    access: new AccessControl(),
    clock,
    config: { defaultAccount: config.account, defaultRegion: config.region, allowSm2Everywhere: config.allowSm2Everywhere },
    logger,
  };
  const app = createKmsApp(services, {
    health: () => ({ version, pid: process.pid, rootKey: rootKeyFingerprint, memory: memoryFigures(), keyPairPool: keyPairs.stats() }),
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
  logger.info({ url, dataDir: config.dataDir, rootKey: rootKeyFingerprint }, 'listening');
  return {
    url,
    services,
    async close() {
      clearInterval(sweeper);
      await http.close(); // requests in flight finish before the store closes
      keyPairs.close();
      await store.close();
      logger.info('stopped');
    },
  };
}
