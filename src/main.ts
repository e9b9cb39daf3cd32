#!/usr/bin/env node
/**
 * The `trent` command. `trent serve` runs the server (in this process with --workers 1, else
 * as a node:cluster primary with one worker per core); `trent kms <operation>` is an
 * aws-kms-compatible client (src/cli/kms/), dispatched before commander parses anything because
 * its options come from the service model, not from a fixed list; `trent attestation
 * init-root|create|verify` is the attestation test kit (cli/attestation-command.ts); `trent audit
 * tail|search` read the audit log (cli/audit.ts); `trent export` / `trent import` move a store's
 * contents through an archive (cli/archive.ts). The server (SQLite, the logger, the crypto) is
 * imported only when `serve`
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
  .option('--audit-log <file>', "audit log: a file, '-' for standard output, or 'off' (TRENT_AUDIT_LOG, default <data-dir>/audit.log)")
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

const audit = program.command('audit').description('read the audit log (JSON lines in CloudTrail\'s record shape)');
const auditFileOptions = (command: Command) =>
  command
    .option('--audit-log <file>', 'the audit log file (TRENT_AUDIT_LOG, default <data-dir>/audit.log)')
    .option('--data-dir <dir>', "the server's data directory (TRENT_DATA_DIR, default ./.trent)");

/** Runs a client command: its AuditCliError (no log, a bad time) is one line and exit code 1. */
async function auditCommand(run: (cli: typeof import('./cli/audit.js')) => void | Promise<void>): Promise<void> {
  const cli = await import('./cli/audit.js');
  try {
    await run(cli);
  } catch (err) {
    if (!(err instanceof cli.AuditCliError) && (err as NodeJS.ErrnoException).code === undefined) throw err;
    process.stderr.write(`trent: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
const warn = (line: string) => process.stderr.write(`${line}\n`);

auditFileOptions(audit.command('tail').description('print the last records, and with --follow the new ones as they are written'))
  .option('-n, --lines <n>', 'how many records', '10')
  .option('-f, --follow', 'keep printing records as they are appended (across rotations)')
  .action((flags: { auditLog?: string; dataDir?: string; lines: string; follow?: boolean }) =>
    auditCommand((cli) => {
      const count = Number(flags.lines);
      if (!Number.isInteger(count) || count < 0) throw new cli.AuditCliError(`--lines must be a whole number, not '${flags.lines}'`);
      const { lines, position } = cli.tailAuditLog({ ...flags, count }, warn);
      for (const line of lines) process.stdout.write(`${line}\n`);
      if (flags.follow === true) cli.followAuditLog(flags, position, (line) => process.stdout.write(`${line}\n`));
    }),
  );

auditFileOptions(audit.command('search').description('print the records that match every filter given, oldest first'))
  .option('--key-id <id>', 'records naming this key (key id or key ARN) as a resource or in their request')
  .option('--event-name <name>', 'records of this operation (CreateKey, Decrypt, ...)')
  .option('--since <time>', 'records at or after TIME: ISO 8601 or an age (30s, 15m, 2h, 7d)')
  .option('--until <time>', 'records at or before TIME')
  .action((flags: import('./cli/audit.js').SearchOptions) =>
    auditCommand((cli) => cli.searchAuditLog(flags, (line) => process.stdout.write(`${line}\n`), Date.now(), warn)),
  );

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
