#!/usr/bin/env node
/**
 * The `trent` command. `trent serve` runs the server (in this process with --workers 1, else
 * as a node:cluster primary with one worker per core); `trent kms <operation>` is an
 * aws-kms-compatible client (src/cli/kms/), dispatched before commander parses anything because
 * its options come from the service model, not from a fixed list. The server (SQLite, the logger, the crypto) is imported only when `serve`
 * runs, so `--help`, `--version` and client subcommands start fast and need no native module.
 */
import { Command } from 'commander';
import type { ConfigFlags } from './config.js';
import { version } from './version.js';

const program = new Command('trent').description('A self-hosted key management service that speaks the AWS KMS API').version(version);

program
  .command('serve', { isDefault: true })
  .description('run the Trent server')
  .option('--host <host>', 'address to listen on (TRENT_HOST, default 127.0.0.1)')
  .option('--port <port>', 'port to listen on, 0 for any free port (TRENT_PORT, default 4599)')
  .option('--data-dir <dir>', 'directory of the embedded database and root key (TRENT_DATA_DIR, default ./.trent)')
  .option('--config <file>', 'YAML configuration file (TRENT_CONFIG)')
  .option('--workers <n>', 'server processes sharing the port (TRENT_WORKERS, default: number of cores)')
  .option('--seed <file>', 'YAML or JSON file of keys, aliases and grants to create if missing on every start (TRENT_SEED)')
  .action(async (flags: ConfigFlags) => {
    try {
      const { serve } = await import('./server/serve.js');
      await serve(flags);
    } catch (err) {
      // A bad setting, a port in use, an unreadable data directory: one line, exit code 1.
      process.stderr.write(`trent: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    }
  });

program
  .command('kms')
  .description('call an AWS KMS operation, as `aws kms` does: trent kms <operation> [parameters] (trent kms help)')
  .helpOption(false)
  .allowUnknownOption()
  .allowExcessArguments();

if (process.argv[2] === 'kms') {
  const { processIo, runKms } = await import('./cli/kms/command.js');
  process.exitCode = await runKms(process.argv.slice(3), processIo());
} else {
  await program.parseAsync();
}
