/**
 * `trent serve`: load and check the whole config, take the root key and the access keys' secrets
 * (secretAccessKeyEnv) out of the environment, bind the address once to prove it is free, then
 * serve, in this process (--workers 1) or as a
 * node:cluster primary with its workers (cluster.ts). Anything wrong before serving (a bad
 * setting, a port in use) rejects with one line for the command line to print, before any
 * worker starts. A seed (seed.ts) is applied once, after the checks and before serving. Loaded only by the `serve` command, so client commands never load the server.
 */
import cluster from 'node:cluster';
import { createServer } from 'node:net';
import { secretEnvironmentVariables } from '../accounts.js';
import { pino } from 'pino';
import { loadConfig, type ConfigFlags } from '../config.js';
import { version } from '../version.js';
import { runPrimary, runWorker } from './cluster.js';
import { forgetEnvironmentVariable, launchedByNpm, onParentExit } from './process-life.js';
import { applySeed, seedFromConfig } from './seed.js';
import { startServer, stopOn } from './server.js';

function announce(url: string): void {
  process.stdout.write(`Trent ${version} listening on ${url}\n`);
}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (EADDRINUSE); stop whatever holds it or choose another --port',
  EADDRNOTAVAIL: 'the address is not available on this machine (EADDRNOTAVAIL)',
  EACCES: 'permission denied (EACCES)',
};

/** Listens on host:port and closes at once, so a taken or foreign address fails here with one line. */
export async function probeListen(host: string, port: number): Promise<void> {
  const probe = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ host, port }, resolve);
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new Error(`cannot listen on ${host}:${port}: ${LISTEN_ERRORS[code] ?? (err as Error).message}`);
  }
  await new Promise((resolve) => probe.close(resolve));
}

export async function serve(flags: ConfigFlags): Promise<void> {
  if (cluster.isWorker) return runWorker();
  const config = loadConfig(flags);
  // Secrets are read once, here: workers get them over IPC, never from their environment.
  for (const name of ['TRENT_ROOT_KEY', ...secretEnvironmentVariables(config.accounts)]) forgetEnvironmentVariable(name);
  await probeListen(config.host, config.port);
  const seed = seedFromConfig(config);
  if (seed) {
    // Once, here, before any worker starts: workers never race to create the same key.
    // Written synchronously: what seeding reports is in the log before the ready line.
    const logger = pino({ level: config.logLevel, base: { service: 'trent' } }, pino.destination({ fd: 2, sync: true }));
    await applySeed(config, seed, logger);
  }
  let stop: () => void;
  if (config.workers > 1) {
    stop = (await runPrimary(config, announce)).stop;
  } else {
    const server = await startServer(config);
    announce(server.url);
    stop = stopOn(server, ['SIGTERM', 'SIGINT', 'SIGHUP']);
  }
  if (launchedByNpm()) onParentExit(stop);
}
