/**
 * Serving on every core: the primary process prepares the data directory, forks `workers`
 * server processes that share the listening socket (node:cluster), replaces any that die, and
 * announces readiness once all of them listen. Each worker has its own key-pair pool; they
 * share the SQLite database (WAL mode, busy timeout) and the root key.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../config.js';
import { prepareDataDir, startServer, stopOn } from './server.js';

interface ReadyMessage {
  trent: 'ready';
  url: string;
}

function isReady(message: unknown): message is ReadyMessage {
  return typeof message === 'object' && message !== null && (message as ReadyMessage).trent === 'ready';
}

/** In a worker: serve, tell the primary, and close on SIGTERM. */
export async function runWorker(config: Config): Promise<void> {
  const server = await startServer(config);
  process.send?.({ trent: 'ready', url: server.url } satisfies ReadyMessage);
  // If the primary dies (even by SIGKILL), the IPC channel closes: stop serving and release the
  // database rather than linger as an orphan.
  stopOn(server, ['SIGTERM', 'SIGINT', 'disconnect']);
}

/** In the primary: resolves with the URL once every worker listens. */
export async function runPrimary(config: Config, onReady: (url: string) => void): Promise<void> {
  await prepareDataDir(config);
  let stopping = false;
  let announced = false;
  const ready = new Set<number>();

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.on('message', (message: unknown) => {
      if (!isReady(message)) return;
      ready.add(worker.id);
      if (!announced && ready.size >= config.workers) {
        announced = true;
        onReady(message.url);
      }
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    ready.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    process.stderr.write(`trent: worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
    fork();
  });

  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  for (let i = 0; i < config.workers; i++) fork();
}
