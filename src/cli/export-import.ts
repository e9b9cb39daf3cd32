/**
 * The `trent export` and `trent import` commands: the settings of `trent serve` choose the store
 * (SQLite in --data-dir, or --database-url) and its root key, checked as at start-up; the work
 * is cli/archive.ts. Each prints one line saying what it did.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, type ConfigFlags } from '../config.js';
import { DATABASE_FILE, openDataDir } from '../server/data-dir.js';
import { exportArchive, importArchive, readArchive, writeArchive } from './archive.js';

export async function runExport(out: string, flags: ConfigFlags): Promise<string> {
  const config = loadConfig(flags);
  if (config.databaseUrl === undefined && !existsSync(join(config.dataDir, DATABASE_FILE))) {
    throw new ConfigError(`there is no database to export in ${config.dataDir} (no ${DATABASE_FILE}); name it with --data-dir or --database-url`);
  }
  const { rootKey, store } = await openDataDir(config);
  try {
    const archive = await exportArchive(store, rootKey);
    writeArchive(out, archive);
    return `exported ${archive.keys.length} keys, ${archive.aliases.length} aliases and ${archive.grants.length} grants to ${out}`;
  } finally {
    await store.close();
  }
}

export async function runImport(file: string, flags: ConfigFlags): Promise<string> {
  const archive = readArchive(file); // before the store: a bad file changes nothing
  const config = loadConfig(flags);
  const { rootKey, store } = await openDataDir(config);
  try {
    const r = await importArchive(store, rootKey, archive);
    return (
      `imported from ${file}: keys ${r.keys.added} added, ${r.keys.present} already present; ` +
      `aliases ${r.aliases.added} added, ${r.aliases.present} already present; ` +
      `grants ${r.grants.added} added, ${r.grants.present} already present`
    );
  } finally {
    await store.close();
  }
}
