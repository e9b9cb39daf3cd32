#!/usr/bin/env node
/**
 * The `trent` command. `trent serve` runs the server; client subcommands arrive with the
 * command-line issue.
 */
import { Command } from 'commander';
import { ConfigError, loadConfig, type ConfigFlags } from './config.js';
import { startServer, version } from './server/server.js';

const program = new Command('trent').description('A self-hosted key management service that speaks the AWS KMS API').version(version);

program
  .command('serve', { isDefault: true })
  .description('run the Trent server')
  .option('--host <host>', 'address to listen on (TRENT_HOST, default 127.0.0.1)')
  .option('--port <port>', 'port to listen on, 0 for any free port (TRENT_PORT, default 4599)')
  .option('--data-dir <dir>', 'directory of the embedded database and root key (TRENT_DATA_DIR, default ./.trent)')
  .option('--config <file>', 'YAML configuration file (TRENT_CONFIG)')
  .action(async (flags: ConfigFlags) => {
    try {
      const server = await startServer(loadConfig(flags));
      process.stdout.write(`Trent ${version} listening on ${server.url}\n`);
      let closing = false;
      const shutdown = () => {
        if (closing) return;
        closing = true;
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
    } catch (err) {
      const message = err instanceof ConfigError ? err.message : (err as Error).message;
      process.stderr.write(`trent: ${message}\n`);
      process.exit(1);
    }
  });

await program.parseAsync();
