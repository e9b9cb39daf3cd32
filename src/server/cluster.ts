/**
 * Serving on every core: the primary process prepares the data directory, forks `workers`
 * server processes that share the listening socket (node:cluster), and announces readiness once
 * all of them listen. Each worker has its own in-memory key-pair pools; they share the SQLite
 * database (WAL mode, busy timeout), the root key and the durable key-pair reserve, which the
 * primary alone refills (server/reserve-refiller.ts), so the server spends one generation budget.
 *
 * Start-up: the primary has already loaded and checked the whole config and bound the address
 * once (serve.ts). Workers never parse config: each asks the primary for the resolved Config over
 * the IPC channel, so the root key never sits in a worker's environment. A worker that fails
 * before the server is ready stops the whole server with that worker's error line: its
 * replacement would fail the same way.
 *
 * Running: a worker that dies is replaced after a back-off, and too many crashes stop the server
 * with exit code 1 (restart-policy.ts). A worker stops when its primary dies (the IPC channel
 * closes, even after SIGKILL). GET /health, taken by any worker, is answered for the whole
 * server: the worker asks the primary, which gathers every worker's figures. GET /metrics
 * likewise: the primary gathers every worker's registry (prom-client's AggregatorRegistry).
 * The primary also rotates the audit log, which every worker appends to (audit-log.ts).
 */
import cluster, { type Worker } from 'node:cluster';
import { pino } from 'pino';
import type { Config } from '../config.js';
import { systemClock } from '../domain/clock.js';
import { openDataDir } from './data-dir.js';
import { Metrics } from './metrics.js';
import { processFigures, type ProcessFigures, type ServerFigures, type UnansweredProcess } from './health.js';
import { RestartPolicy } from './restart-policy.js';
import { AggregatorRegistry } from 'prom-client';
import { keyPairReserve, rotateAuditLogPeriodically, startReserveRefiller, startServer, stopOn, type RunningRefiller, type RunningServer } from './server.js';

/** Messages between the primary and its workers. */
type Message =
  | { trent: 'config?' } // worker -> primary, once it listens for the answer
  | { trent: 'config'; config: Config } // primary -> worker
  | { trent: 'ready'; url: string } // worker -> primary
  | { trent: 'failed'; message: string } // worker -> primary, just before it exits
  | { trent: 'health?'; id: number } // worker -> primary: describe the whole server
  | { trent: 'health'; id: number; server: ServerFigures } // primary -> worker
  | { trent: 'figures?'; id: number } // primary -> every worker
  | { trent: 'figures'; id: number; figures: ProcessFigures } // worker -> primary
  | { trent: 'metrics?'; id: number } // worker -> primary: every worker's metrics, aggregated
  | { trent: 'metrics'; id: number; text?: string; error?: string }; // primary -> worker

function isMessage(message: unknown): message is Message {
  return typeof message === 'object' && message !== null && typeof (message as { trent?: unknown }).trent === 'string';
}

/** How long the primary waits for each worker's figures, and a worker for the primary's answer. */
const FIGURES_TIMEOUT_MS = 1_000;
const HEALTH_TIMEOUT_MS = 3_000;
/** prom-client's primary gives up on a worker's metrics after 5 s. */
const METRICS_TIMEOUT_MS = 6_000;

function say(line: string): void {
  process.stderr.write(`trent: ${line}\n`);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Sends without throwing or emitting 'error' if the channel has closed meanwhile. */
function tell(to: Worker | NodeJS.Process, message: Message, then: () => void = () => {}): void {
  const connected = 'isConnected' in to ? to.isConnected() : to.connected;
  if (!connected || !to.send) return then();
  to.send(message, undefined, undefined, () => then());
}

function configFromPrimary(): Promise<Config> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      if (!isMessage(message) || message.trent !== 'config') return;
      process.off('message', onMessage);
      resolve(message.config);
    };
    process.on('message', onMessage);
    tell(process, { trent: 'config?' });
  });
}

/** In a worker: get the config from the primary, serve, report ready, answer the primary's questions. */
export async function runWorker(): Promise<void> {
  // A worker's life follows its primary's: it stops when the IPC channel closes (the primary
  // died, even by SIGKILL), and leaves a terminal hang-up (sent to the whole process group) to
  // the primary, which stops every worker gracefully.
  process.on('SIGHUP', () => {});
  let server: RunningServer | undefined;
  process.once('disconnect', () => {
    if (!server) process.exit(1); // the primary went away before this worker served; after, stopOn below
  });

  const config = await configFromPrimary();
  const ownFigures = () => processFigures('worker', server?.services.keyPairs.stats(), server?.auditLog?.status());
  const answers = new Map<number, (server: ServerFigures) => void>();
  let nextId = 0;
  const askPrimary = (): Promise<ServerFigures> =>
    new Promise((resolve) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        answers.delete(id);
        const primary: UnansweredProcess = { pid: process.ppid, role: 'primary', answered: false };
        const server = { uptimeSeconds: process.uptime(), workers: config.workers, workersConfigured: config.workers, workerRestarts: 0 };
        resolve({ ...server, processes: [primary, ownFigures()] });
      }, HEALTH_TIMEOUT_MS);
      answers.set(id, (figures) => {
        clearTimeout(timer);
        answers.delete(id);
        resolve(figures);
      });
      tell(process, { trent: 'health?', id });
    });
  // The primary gathers every worker's registry with prom-client's AggregatorRegistry, whose
  // worker side answers from the registries set here.
  const metrics = new Metrics();
  AggregatorRegistry.setRegistries(metrics.registry);
  new AggregatorRegistry();
  const metricsAnswers = new Map<number, (answer: { text?: string; error?: string }) => void>();
  const askPrimaryForMetrics = (): Promise<{ contentType: string; body: string }> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        metricsAnswers.delete(id);
        reject(new Error('the primary did not send the metrics in time'));
      }, METRICS_TIMEOUT_MS);
      metricsAnswers.set(id, (answer) => {
        clearTimeout(timer);
        metricsAnswers.delete(id);
        if (answer.text === undefined) reject(new Error(`gathering the workers' metrics failed: ${answer.error ?? 'no answer'}`));
        else resolve({ contentType: metrics.contentType, body: answer.text });
      });
      tell(process, { trent: 'metrics?', id });
    });
  process.on('message', (message: unknown) => {
    if (!isMessage(message)) return;
    if (message.trent === 'figures?') tell(process, { trent: 'figures', id: message.id, figures: ownFigures() });
    else if (message.trent === 'health') answers.get(message.id)?.(message.server);
    else if (message.trent === 'metrics') metricsAnswers.get(message.id)?.(message);
  });

  try {
    server = await startServer(config, { serverFigures: askPrimary, rotatesAuditLog: false, metrics, metricsText: askPrimaryForMetrics, refillReserve: false });
  } catch (err) {
    tell(process, { trent: 'failed', message: messageOf(err) }, () => process.exit(1));
    return;
  }
  stopOn(server, ['SIGTERM', 'SIGINT', 'disconnect']);
  tell(process, { trent: 'ready', url: server.url });
}

interface RunningWorker {
  worker: Worker;
  /** Which of the `workers` places it fills; a replacement takes the same slot. */
  slot: number;
  forkedAt: number;
  ready: boolean;
  /** The error it reported before exiting, if any. */
  failure?: string;
}

/**
 * In the primary: forks the workers and calls onReady with the URL once every one listens.
 * Stops (SIGTERM to every worker, then exit) on SIGTERM, SIGINT, SIGHUP or the returned stop().
 */
export async function runPrimary(config: Config, onReady: (url: string) => void): Promise<{ stop(): void }> {
  // Checks the data directory, creates the root key of a new database and applies migrations
  // once, before any worker starts: a refusal (server/data-dir.ts) stops the primary with its
  // message. The primary keeps its connection to refill the durable reserve for every worker.
  const dataDir = await openDataDir(config);
  const logger = pino({ level: config.logLevel, base: { service: 'trent', role: 'primary' } }, pino.destination(2));
  rotateAuditLogPeriodically(config, logger);
  const aggregator = new AggregatorRegistry();
  const refill: RunningRefiller | undefined = startReserveRefiller(config, keyPairReserve(dataDir.store, dataDir.rootKey, systemClock, logger), logger);
  if (!refill) await dataDir.store.close();
  let released = false;
  /** Stops refilling and closes the primary's connection, once, then exits. */
  const exit = (code: number) => {
    if (released) return;
    released = true;
    void (async () => {
      try {
        await refill?.close();
        await dataDir.store.close();
      } finally {
        process.exit(code);
      }
    })();
  };
  const policy = new RestartPolicy();
  const running = new Map<number, RunningWorker>();
  const restartTimers = new Set<NodeJS.Timeout>();
  const collectors = new Map<number, (workerId: number, figures: ProcessFigures) => void>();
  let nextId = 0;
  let announced = false;
  let stopping = false;
  let exitCode = 0;
  let restarts = 0;

  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    for (const timer of restartTimers) clearTimeout(timer);
    restartTimers.clear();
    if (running.size === 0) exit(code);
    for (const { worker } of running.values()) worker.process.kill('SIGTERM');
  };

  /** Every worker's figures, each within FIGURES_TIMEOUT_MS; the rest are listed as unanswered. */
  const describe = async (): Promise<ServerFigures> => {
    const id = ++nextId;
    const asked = [...running.values()].filter((r) => r.ready && r.worker.isConnected());
    const figures = new Map<number, ProcessFigures>();
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        collectors.delete(id);
        resolve();
      };
      const timer = setTimeout(finish, FIGURES_TIMEOUT_MS);
      collectors.set(id, (workerId, answer) => {
        figures.set(workerId, answer);
        if (figures.size >= asked.length) finish();
      });
      if (asked.length === 0) finish();
      for (const r of asked) tell(r.worker, { trent: 'figures?', id });
    });
    const workers = [...running.values()].map(
      (r): ProcessFigures | UnansweredProcess => figures.get(r.worker.id) ?? { pid: r.worker.process.pid ?? 0, role: 'worker', answered: false },
    );
    return {
      uptimeSeconds: process.uptime(),
      workers: running.size,
      workersConfigured: config.workers,
      workerRestarts: restarts,
      processes: [processFigures('primary'), ...workers],
      ...(refill && { keyPairReserve: refill.refiller.figures() }),
    };
  };

  const exited = (entry: RunningWorker, code: number | null, signal: string | null) => {
    running.delete(entry.worker.id);
    if (stopping) {
      if (running.size === 0) exit(exitCode);
      return;
    }
    const pid = entry.worker.process.pid;
    const reason = entry.failure !== undefined ? `failed: ${entry.failure}` : signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
    if (!announced) {
      // Its replacement would fail the same way: stop with its own line, as --workers 1 would.
      say(entry.failure ?? `worker ${pid} ${reason} before it was ready`);
      stop(1);
      return;
    }
    const decision = policy.crashed(entry.slot, Date.now(), Date.now() - entry.forkedAt);
    if (!decision.restart) {
      say(`workers crashed ${decision.crashes} times within ${decision.windowMs / 1000} s (last: worker ${pid} ${reason}); stopping`);
      stop(1);
      return;
    }
    say(`worker ${pid} ${reason}; starting another in ${decision.delayMs} ms`);
    const timer = setTimeout(() => {
      restartTimers.delete(timer);
      restarts++;
      fork(entry.slot);
    }, decision.delayMs);
    restartTimers.add(timer);
  };

  const fork = (slot: number): void => {
    const entry: RunningWorker = { worker: cluster.fork(), slot, forkedAt: Date.now(), ready: false };
    const { worker } = entry;
    running.set(worker.id, entry);
    worker.on('message', (message: unknown) => {
      if (!isMessage(message)) return;
      switch (message.trent) {
        case 'config?':
          tell(worker, { trent: 'config', config });
          break;
        case 'failed':
          entry.failure = message.message;
          break;
        case 'ready':
          entry.ready = true;
          if (!announced && [...running.values()].filter((r) => r.ready).length >= config.workers) {
            announced = true;
            onReady(message.url);
          }
          break;
        case 'health?':
          void describe().then((server) => tell(worker, { trent: 'health', id: message.id, server }));
          break;
        case 'figures':
          collectors.get(message.id)?.(worker.id, message.figures);
          break;
        case 'metrics?':
          aggregator.clusterMetrics().then(
            (text) => tell(worker, { trent: 'metrics', id: message.id, text }),
            (err: unknown) => tell(worker, { trent: 'metrics', id: message.id, error: messageOf(err) }),
          );
          break;
      }
    });
    worker.on('exit', (code: number | null, signal: string | null) => {
      // Messages still in the channel (a 'failed' line) arrive before it disconnects.
      if (worker.isConnected()) worker.once('disconnect', () => exited(entry, code, signal));
      else exited(entry, code, signal);
    });
  };

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => stop(0));
  for (let slot = 0; slot < config.workers; slot++) fork(slot);
  return { stop: () => stop(0) };
}
