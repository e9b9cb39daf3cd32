#!/usr/bin/env node
/**
 * The `trent` command. `trent serve` runs the server (in this process with --workers 1, else
 * as a node:cluster primary with one worker per core); client subcommands arrive with the
 * command-line issue.
 */
import cluster from 'node:cluster';
import { Command } from 'commander';
import { ConfigError, loadConfig, type ConfigFlags } from './config.js';
import { runPrimary, runWorker } from './server/cluster.js';
import { startServer, stopOn, version } from './server/server.js';

function announce(url: string): void {
  process.stdout.write(`Trent ${version} listening on ${url}\n`);
}

async function serve(flags: ConfigFlags): Promise<void> {
  const config = loadConfig(flags);
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config, announce);
  if (cluster.isWorker) return runWorker(config);
  const server = await startServer(config);
  announce(server.url);
  stopOn(server, ['SIGTERM', 'SIGINT']);
}

const program = new Command('trent').description('A self-hosted key management service that speaks the AWS KMS API').version(version);

program
  .command('serve', { isDefault: true })
  .description('run the Trent server')
  .option('--host <host>', 'address to listen on (TRENT_HOST, default 127.0.0.1)')
  .option('--port <port>', 'port to listen on, 0 for any free port (TRENT_PORT, default 4599)')
  .option('--data-dir <dir>', 'directory of the embedded database and root key (TRENT_DATA_DIR, default ./.trent)')
  .option('--config <file>', 'YAML configuration file (TRENT_CONFIG)')
  .option('--workers <n>', 'server processes sharing the port (TRENT_WORKERS, default: number of cores)')
  .action(async (flags: ConfigFlags) => {
    try {
      await serve(flags);
    } catch (err) {
      process.stderr.write(`trent: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
      process.exit(1);
    }
  });

await program.parseAsync();
