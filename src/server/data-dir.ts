/**
 * The data directory, which holds the embedded database and the root key file: checked the way
 * PostgreSQL checks its data directory and OpenSSH a private key, and opened in an order that
 * never gives an existing database a new root key. Every refusal names the path and the command
 * that fixes it.
 *
 * - The directory is created 0700, and every file Trent creates is 0600 (the process umask
 *   becomes 077). An existing directory must belong to the user running Trent and be closed to
 *   group and others: one made beforehand by someone else, with a root.key they know, is refused.
 * - root.key, trent.db and its -wal, -shm and -journal files, where present, must be regular
 *   files (never symbolic links) owned by that user. root.key must be closed to group and others
 *   (as OpenSSH requires of a private key); database files open to them, as Trent before 0.2 left
 *   them under a umask of 022 inside its private directory, are made 0600.
 * - root.key is created only when there is no database yet: a database that exists never gets a
 *   new root key (its keys would answer 500, and keys created meanwhile be lost when the old file
 *   came back). Restore the file, or set TRENT_ROOT_KEY.
 * - The root key must be the database's own: its check value (crypto/root-key.ts) must equal the
 *   one stored at the database's first start. A database from before check values has its root
 *   key proven by unwrapping one stored key material, and then the check value is recorded.
 *
 * The database file is looked at before root.key: a process creating a new data directory makes
 * root.key first, so one starting beside it that sees trent.db is sure to see root.key too.
 */
import { chmodSync, closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { ConfigError, type Config } from '../config.js';
import { fingerprintOf, ROOT_KEY_FILE, RootKey } from '../crypto/root-key.js';
import { redactedDatabaseUrl } from '../storage/database-url.js';
import type { PostgresStoreOptions } from '../storage/postgres.js';
import { SqliteStore } from '../storage/sqlite.js';
import type { Store } from '../storage/types.js';

export const DATABASE_FILE = 'trent.db';
const DATABASE_FILES = [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`, `${DATABASE_FILE}-journal`];

/** A data directory or root key Trent must not use; the message says what to fix. */
export class DataDirError extends ConfigError {
  constructor(problems: readonly string[]) {
    super(problems.length === 1 ? `refusing to start: ${problems[0]}` : `refusing to start:\n  ${problems.join('\n  ')}`);
  }
}

export interface OpenedDataDir {
  rootKey: RootKey;
  store: Store;
}

export interface DataDirOptions {
  /** Told of the database's faults that no request sees (a pooled connection lost while idle). */
  onStoreError?: (err: Error) => void;
}

/** Where the store is, for messages and /health: the SQLite file, or the PostgreSQL URL without its password. */
export function databaseLocation(config: Config): string {
  return config.databaseUrl !== undefined ? redactedDatabaseUrl(config.databaseUrl) : join(config.dataDir, DATABASE_FILE);
}

/** Checks the data directory itself (created 0700 if absent): it holds root.key. */
function checkDirectory(dir: string, uid: number | undefined): void {
  if (isMainThread) process.umask(0o077);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const problems = directoryProblems(dir, statSync(dir), uid);
  if (problems.length > 0) throw new DataDirError(problems);
}

/**
 * Several servers on one PostgreSQL database share its root key: TRENT_ROOT_KEY (or rootKey),
 * or the same root.key file in each one's data directory. A root.key is made only for a
 * database that has never recorded one, and every server's key is checked against the
 * database's check value, so a server with another key refuses to start.
 */
async function openPostgres(config: Config, url: string, options: DataDirOptions): Promise<OpenedDataDir> {
  const database = redactedDatabaseUrl(url);
  const storeOptions: PostgresStoreOptions = { connectTimeoutMs: config.databaseTimeoutMs, statementTimeoutMs: config.databaseTimeoutMs };
  if (options.onStoreError) storeOptions.onError = options.onStoreError;
  // Loaded only for a PostgreSQL store: a SQLite server's processes never load the driver.
  const { PostgresStore } = await import('../storage/postgres.js');
  const store = await PostgresStore.open(url, storeOptions).catch((err: unknown) => {
    // The driver's own words (connection refused, authentication failed), never the URL's password.
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    throw new ConfigError(`cannot open the PostgreSQL database ${database}: ${cause instanceof Error ? cause.message : String(cause)}`);
  });
  try {
    let rootKey: RootKey;
    let rootKeySource: string;
    if (config.rootKey !== undefined) {
      rootKey = rootKeyFromConfig(config.rootKey);
      rootKeySource = 'TRENT_ROOT_KEY / rootKey';
    } else {
      const uid = runningUid();
      checkDirectory(config.dataDir, uid);
      rootKeySource = join(config.dataDir, ROOT_KEY_FILE);
      if (lstatIfPresent(rootKeySource) === undefined) {
        if ((await store.rootKeyCheck()) !== undefined || (await store.anyMaterial()) !== undefined) {
          throw new DataDirError([
            `${rootKeySource} is missing, but the database ${database} already has a root key: every server sharing it ` +
              `must use that one. Set TRENT_ROOT_KEY to it, or copy root.key from a server that uses it`,
          ]);
        }
        RootKey.createFile(rootKeySource);
      }
      rootKey = readRootKeyFile(rootKeySource, uid);
    }
    await checkRootKey(store, rootKey, { rootKeySource, database });
    return { rootKey, store };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** The user whose files these must be, or undefined where POSIX ownership does not apply (Windows). */
function runningUid(): number | undefined {
  return process.geteuid?.();
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

function directoryProblems(dir: string, stats: Stats, uid: number | undefined): string[] {
  if (!stats.isDirectory()) return [`${dir} is not a directory; choose another data directory (--data-dir, TRENT_DATA_DIR)`];
  if (uid === undefined) return [];
  const problems: string[] = [];
  if (stats.uid !== uid) {
    problems.push(
      `${dir} is owned by uid ${stats.uid}, not by uid ${uid} that runs Trent; if the directory is yours and holds nothing ` +
        `you did not put there: chown ${uid} ${dir}, else choose another data directory (--data-dir, TRENT_DATA_DIR)`,
    );
  }
  if ((stats.mode & 0o077) !== 0) {
    problems.push(`${dir} is open to group or others (mode ${octal(stats.mode)}); make it private: chmod 700 ${dir}`);
  }
  return problems;
}

/** What is wrong with a file in the data directory; `stats` from lstat (or fstat of an fd opened O_NOFOLLOW). */
function fileProblems(path: string, stats: Stats, uid: number | undefined): string[] {
  if (stats.isSymbolicLink()) {
    return [`${path} is a symbolic link, and Trent follows no links in its data directory: put the file itself there`];
  }
  if (!stats.isFile()) return [`${path} is not a regular file: move it away`];
  if (uid === undefined) return [];
  const problems: string[] = [];
  if (stats.uid !== uid) {
    problems.push(`${path} is owned by uid ${stats.uid}, not by uid ${uid} that runs Trent; if you trust it: chown ${uid} ${path}`);
  }
  if ((stats.mode & 0o077) !== 0) {
    problems.push(`${path} is open to group or others (mode ${octal(stats.mode)}); make it private: chmod 600 ${path}`);
  }
  return problems;
}

function lstatIfPresent(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Reads root.key through a descriptor that cannot follow a link, checking what it opened. */
function readRootKeyFile(path: string, uid: number | undefined): RootKey {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new DataDirError(fileProblems(path, lstatSync(path), uid));
    throw err;
  }
  try {
    const problems = fileProblems(path, fstatSync(fd), uid);
    if (problems.length > 0) throw new DataDirError(problems);
    const contents = readFileSync(fd);
    try {
      return RootKey.fromFileContents(contents, path);
    } catch (err) {
      throw new DataDirError([(err as Error).message]);
    } finally {
      contents.fill(0);
    }
  } finally {
    closeSync(fd);
  }
}

function rootKeyFromConfig(base64: string): RootKey {
  const bytes = Buffer.from(base64, 'base64');
  try {
    if (bytes.length !== 32) throw new ConfigError('the root key (TRENT_ROOT_KEY / rootKey) must be base64 of exactly 32 bytes');
    return RootKey.fromBytes(bytes);
  } finally {
    bytes.fill(0);
  }
}

/**
 * Refuses a root key that is not the database's. The stored check value decides; a database
 * without one (made before check values) must have its stored material unwrap under this key,
 * then gets the check value. The insert keeps a value another server stored first, and the
 * comparison is with what is stored, so servers starting together agree or refuse.
 */
export async function checkRootKey(store: Store, rootKey: RootKey, where: { rootKeySource: string; database: string }): Promise<void> {
  const mine = rootKey.checkValue();
  let stored = await store.rootKeyCheck();
  if (stored === undefined) {
    const sample = await store.anyMaterial();
    if (sample !== undefined) {
      try {
        rootKey.unwrap(sample.wrapped, sample.keyId, sample.version).fill(0);
      } catch {
        throw new DataDirError([
          `the root key from ${where.rootKeySource} (fingerprint ${rootKey.fingerprint()}) does not unwrap the key material ` +
            `stored in ${where.database}: it is not the root key that database was made with. Start with that one: ` +
            `restore its root.key or set TRENT_ROOT_KEY to it`,
        ]);
      }
    }
    stored = await store.setRootKeyCheckIfAbsent(mine);
  }
  if (stored !== mine) {
    throw new DataDirError([
      `the root key does not match the database: ` +
        `the root key from ${where.rootKeySource} (fingerprint ${rootKey.fingerprint()}) is not the root key of this database, ` +
        `${where.database}, which was made with the root key of fingerprint ${fingerprintOf(stored)}. Start with that one: ` +
        `restore its root.key or set TRENT_ROOT_KEY to it`,
    ]);
  }
}

/**
 * Checks (creating if needed) the data directory, then opens the root key and the store, in that
 * order, and checks that the root key is the store's. The caller owns the store and closes it.
 */
export async function openDataDir(config: Config, options: DataDirOptions = {}): Promise<OpenedDataDir> {
  if (config.databaseUrl !== undefined) return openPostgres(config, config.databaseUrl, options);
  const dir = config.dataDir;
  const uid = runningUid();
  // Every file from here on (database, its log and index, root.key) is private to its owner.
  if (isMainThread) process.umask(0o077);
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const problems = directoryProblems(dir, statSync(dir), uid);
  const present = new Set<string>();
  const names = config.rootKey === undefined ? [...DATABASE_FILES, ROOT_KEY_FILE] : DATABASE_FILES; // database first: see above
  for (const name of names) {
    const stats = lstatIfPresent(join(dir, name));
    if (stats === undefined) continue;
    present.add(name);
    const path = join(dir, name);
    if (name !== ROOT_KEY_FILE && stats.isFile() && stats.uid === uid && (stats.mode & 0o077) !== 0) {
      chmodSync(path, 0o600); // our own database file in our private directory: tighten it
      continue;
    }
    problems.push(...fileProblems(path, stats, uid));
  }
  if (problems.length > 0) throw new DataDirError(problems);

  const database = join(dir, DATABASE_FILE);
  let rootKey: RootKey;
  let rootKeySource: string;
  if (config.rootKey !== undefined) {
    rootKey = rootKeyFromConfig(config.rootKey);
    rootKeySource = 'TRENT_ROOT_KEY / rootKey';
  } else {
    rootKeySource = join(dir, ROOT_KEY_FILE);
    if (!present.has(ROOT_KEY_FILE)) {
      if (present.has(DATABASE_FILE)) {
        throw new DataDirError([
          `${rootKeySource} is missing, but the database ${database} exists, and its keys are wrapped by the root key it was ` +
            `made with. Restore root.key from your backup, or set TRENT_ROOT_KEY to that key; Trent never makes a new root ` +
            `key for an existing database`,
        ]);
      }
      RootKey.createFile(rootKeySource); // false if another process starting now made it first: read theirs
    }
    rootKey = readRootKeyFile(rootKeySource, uid);
  }

  const store = new SqliteStore(database);
  try {
    await checkRootKey(store, rootKey, { rootKeySource, database });
  } catch (err) {
    await store.close();
    throw err;
  }
  return { rootKey, store };
}
