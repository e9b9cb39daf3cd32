#!/usr/bin/env node
/**
 * The `trent` command. `trent serve` runs the server (in this process with --workers 1, else
 * as a node:cluster primary with one worker per core); `trent attestation init-root|create|verify`
 * is the attestation test kit (cli/attestation-command.ts); `trent export` / `trent import` move a
 * store's contents through an archive (cli/archive.ts); other client subcommands arrive with
 * the command-line issue. The server (SQLite, the logger, the crypto) is imported only when `serve`
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
  .option('--database-url <url>', 'PostgreSQL database shared by several servers, postgres://user:pass@host:5432/db (TRENT_DATABASE_URL; default: SQLite in the data directory)')
  .option('--workers <n>', 'server processes sharing the port (TRENT_WORKERS, default: number of cores)')
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

/** The settings `trent serve` takes that choose the store and its root key. */
function storeOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'directory of the embedded database and root key (TRENT_DATA_DIR, default ./.trent)')
    .option('--config <file>', 'YAML configuration file (TRENT_CONFIG)')
    .option('--database-url <url>', 'PostgreSQL database instead of SQLite (TRENT_DATABASE_URL)');
}

/** Runs a command's work, printing its one-line result, or `trent: <why>` and exit code 1. */
async function oneLine(work: () => Promise<string>): Promise<void> {
  try {
    process.stdout.write(`${await work()}\n`);
  } catch (err) {
    process.stderr.write(`trent: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

storeOptions(
  program
    .command('export')
    .description('write every key (material still wrapped by the root key), alias, tag, policy and grant to an archive')
    .requiredOption('--out <file>', 'archive to write (replaced if it exists)'),
).action(async (flags: ConfigFlags & { out: string }) => {
  await oneLine(async () => (await import('./cli/export-import.js')).runExport(flags.out, flags));
});

storeOptions(
  program
    .command('import')
    .description('add what an archive from `trent export` holds to the store (idempotent; refuses another root key)')
    .argument('<file>', 'archive written by trent export'),
).action(async (file: string, flags: ConfigFlags) => {
  await oneLine(async () => (await import('./cli/export-import.js')).runImport(file, flags));
});

// The attestation test kit's modules (pkijs, cbor2) load only when it runs; otherwise `trent
// --help` still lists the command.
if (process.argv[2] === 'attestation') {
  const { attestationCommand } = await import('./cli/attestation-command.js');
  attestationCommand(program);
} else {
  program.command('attestation').description('test kit for Nitro Enclaves attestation documents: init-root, create, verify');
}

await program.parseAsync();
