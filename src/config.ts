/**
 * Configuration, from (highest first) command-line flags, environment variables, a YAML config
 * file, and defaults:
 *
 *   flag          env                        file key            default
 *   --host        TRENT_HOST                 host                127.0.0.1
 *   --port        TRENT_PORT                 port                4599
 *   --data-dir    TRENT_DATA_DIR             dataDir             ./.trent
 *   --config      TRENT_CONFIG               (the file itself)
 *   --database-url TRENT_DATABASE_URL        databaseUrl         (embedded SQLite in dataDir)
 *                 TRENT_DATABASE_TIMEOUT_MS  databaseTimeoutMs   5000 (PostgreSQL: connect, and each statement)
 *                 TRENT_ROOT_KEY             rootKey             <dataDir>/root.key
 *                 TRENT_ACCOUNT              account             111122223333
 *                 TRENT_REGION               region              us-east-1
 *                 TRENT_ALLOW_SM2_EVERYWHERE allowSm2Everywhere  false
 *                 TRENT_LOG_LEVEL            logLevel            info
 *   --workers     TRENT_WORKERS              workers             number of cores
 *   --seed        TRENT_SEED                 seed                none (a seed file: keys, aliases, grants; server/seed.ts)
 *                 TRENT_KEY_PAIR_POOL        keyPairPool         per-spec defaults (key-specs.ts)
 *                 TRENT_KEY_PAIR_POOL_CONCURRENCY keyPairPoolConcurrency 1
 *                 TRENT_KEY_GENERATION_THREADS keyGenerationThreads 2 per process (0: libuv's shared pool)
 *                 TRENT_KEY_PAIR_RESERVE     keyPairReserve      RSA_2048=128, RSA_3072=32, RSA_4096=32
 *                 TRENT_KEY_PAIR_RESERVE_FLOOR keyPairReserveFloor a quarter of keyPairReserve
 *                 TRENT_MAX_CONCURRENT_REQUESTS maxConcurrentRequests 256 per worker
 *                 TRENT_HEADERS_TIMEOUT_MS   headersTimeoutMs    10000
 *                 TRENT_REQUEST_TIMEOUT_MS   requestTimeoutMs    30000
 *                 TRENT_MAX_CONNECTIONS      maxConnections      512 per worker
 *                 TRENT_IDLE_TIMEOUT_MS      idleTimeoutMs       65000
 *   --audit-log   TRENT_AUDIT_LOG            auditLog            <dataDir>/audit.log ('-': stdout, 'off')
 *                 TRENT_AUDIT_LOG_REQUIRED   auditLogRequired    false (true: a request whose record cannot be written fails)
 *                 TRENT_AUDIT_LOG_SYNC       auditLogSync        true (fdatasync before answering; false: survives kill -9, not power loss)
 *                 TRENT_AUDIT_LOG_MAX_BYTES  auditLogMaxBytes    104857600 (rotated past this size; 0: never)
 *                 TRENT_AUDIT_LOG_KEEP       auditLogKeep        5 rotated files
 *                 TRENT_ATTESTATION_ROOTS    attestationRoots    the AWS Nitro Enclaves root
 *                                            accounts            none (development mode)
 *
 * The key-pair pool size is one number for every spec (0 turns pooling off), sizes per spec, or
 * both: `0,RSA_4096=32,ECC_NIST_P256=128` in the environment; in the file a number or a mapping
 * of spec to size whose key `default` sets the others.
 *
 * The durable key-pair reserve (domain/key-pair-reserve.ts) takes sizes in the same forms:
 * keyPairReserve is the most pairs kept per spec when demand is high (0 turns it off),
 * keyPairReserveFloor the pairs always kept (at most keyPairReserve).
 *
 * loadConfig checks everything a server process would otherwise fail on later (pool spec names,
 * log level, root key format, the database, the accounts), so that `trent serve` refuses a bad
 * setting with one line before it starts any worker.
 *
 * The mode is decided here. With at least one account under `accounts:` (src/accounts.ts),
 * Trent is in authenticated mode: every request's SigV4 signature is verified against its access
 * key's secret, and it may listen on any address. With none it is in development mode: any
 * well-formed request acts as the root of `account`, so it listens only on loopback addresses.
 */
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { pino } from 'pino';
import { parse as parseYaml, YAMLError } from 'yaml';
import { AccountsError, parseAccounts } from './accounts.js';
import type { AccountConfig } from './domain/identities.js';
import { loadAttestationRoots } from './domain/attestation-roots.js';
import { allDataKeyPairSpecs } from './domain/key-specs.js';

export type { AccountConfig } from './domain/identities.js';

/** Development: no accounts, nothing verified, loopback only. Authenticated: every request verified. */
export type ServerMode = 'development' | 'authenticated';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  /**
   * PostgreSQL: the longest wait for a connection, and for a statement's answer; past it the
   * request fails with DependencyTimeoutException.
   */
  databaseTimeoutMs: number;
  /** Base64 of 32 bytes. Secret. */
  rootKey?: string;
  account: string;
  region: string;
  allowSm2Everywhere: boolean;
  logLevel: string;
  /** How often keys whose deletion window has passed are deleted (and due keys rotated). */
  deletionSweepMs: number;
  /** How often each process writes the last use of keys (GetKeyLastUsage) to the store. */
  keyUsageFlushMs: number;
  /** Server processes sharing the port (node:cluster); 1 serves in this process. */
  workers: number;
  /** Pool size per data key pair spec; a spec not listed uses its default. */
  keyPairPool: { all?: number; perSpec: Record<string, number> };
  /** Background generations at once per process. */
  keyPairPoolConcurrency: number;
  /**
   * Threads of its own per process for on-demand RSA generation (crypto/generation-threads.ts);
   * 0 generates on libuv's shared thread pool, as before they existed.
   */
  keyGenerationThreads: number;
  /** The durable reserve's ceiling per spec; a spec not listed uses its default (key-specs.ts). */
  keyPairReserve: { all?: number; perSpec: Record<string, number> };
  /** The durable reserve's floor per spec; a spec not listed: a quarter of its ceiling. */
  keyPairReserveFloor: { all?: number; perSpec: Record<string, number> };
  /** Requests handled at once per process; more are answered ThrottlingException. */
  maxConcurrentRequests: number;
  /** Slow clients: all headers within headersTimeoutMs, the whole request within requestTimeoutMs. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Open connections per process; at the cap the longest-idle one is closed for a newcomer. */
  maxConnections: number;
  /** A connection idle this long (between requests, or before its first) is closed. */
  idleTimeoutMs: number;
  /** The audit log: a file path, '-' for standard output, or 'off'. */
  auditLog: string;
  /** When true, a request whose audit record cannot be written fails with KMSInternalException. */
  auditLogRequired: boolean;
  /** fdatasync the audit log before answering (false: the page cache only, which survives kill -9 but not a power loss). */
  auditLogSync: boolean;
  /** The audit log file is rotated once it reaches this size (0: never). */
  auditLogMaxBytes: number;
  /** Rotated audit log files kept (audit.log.1 ... audit.log.<keep>). */
  auditLogKeep: number;
  /**
   * PEM files of the roots a Recipient's attestation document must chain to (absolute paths);
   * absent, the AWS Nitro Enclaves root shipped with Trent. A list replaces that default.
   */
  attestationRoots?: string[];
  /** The configured accounts, their principals and access keys (secrets resolved). Secret. */
  accounts: AccountConfig[];
  /** 'authenticated' when `accounts` has at least one account. */
  mode: ServerMode;
  /**
   * The seed (server/seed.ts): a file's path (`relativeTo` the config file's directory when it
   * was written there), or in the config file, the seed itself as a mapping.
   */
  seed?: { value: unknown; source: string; relativeTo?: string };
}

export interface ConfigFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  config?: string;
  workers?: string;
  databaseUrl?: string;
  auditLog?: string;
  seed?: string;
}

export class ConfigError extends Error {}

type FileConfig = Partial<Record<keyof Config, unknown>>;

function readFile(path: string): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    // yaml's own message quotes the offending lines, which may hold a secret: say where, not what.
    if (!(err instanceof YAMLError)) throw err;
    const [line, column] = [err.linePos?.[0].line, err.linePos?.[0].col];
    const position = line !== undefined ? ` at line ${line}, column ${column}` : '';
    throw new ConfigError(`config file ${path} is not valid YAML (${err.code})${position}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${path} must be a YAML mapping`);
  return parsed as FileConfig;
}

/**
 * `attestationRoots`: a YAML list of PEM paths (relative to the config file) or, in the
 * environment, comma-separated paths (relative to the working directory). Each is read and
 * parsed now, so a missing or bad file stops start-up with one line.
 */
function attestationRootPaths(value: unknown, source: string, base: string): string[] {
  const list = typeof value === 'string' ? value.split(',').map((p) => p.trim()) : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === 'string' && p.length > 0)) {
    throw new ConfigError(`${source} must be a non-empty list of PEM file paths`);
  }
  const paths = (list as string[]).map((p) => resolve(base, p));
  try {
    loadAttestationRoots(paths);
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`);
  }
  return paths;
}

/** A whole number: a YAML number, or text of decimal digits only (no '', '0x1f', '1e3'); else NaN. */
function wholeNumber(value: unknown): number {
  return typeof value === 'number' ? value : /^\d+$/.test(String(value).trim()) ? Number(value) : NaN;
}

function port(value: unknown, source: string): number {
  const n = wholeNumber(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${source}: port must be an integer 0..65535, not '${String(value)}'`);
  return n;
}

function count(value: unknown, source: string, min: number): number {
  const n = wholeNumber(value);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${source} must be an integer >= ${min}, not '${String(value)}'`);
  return n;
}

function poolSizes(value: unknown, source: string): Config['keyPairPool'] {
  if (typeof value === 'number') return { all: count(value, source, 0), perSpec: {} };
  const sizes: Config['keyPairPool'] = { perSpec: {} };
  if (typeof value === 'string') {
    // "16" (every spec), "RSA_4096=32,ECC_NIST_P256=128" (those specs), or both: "0,RSA_2048=8".
    for (const entry of value.split(',').map((e) => e.trim()).filter((e) => e !== '')) {
      const [spec, size] = entry.split('=');
      if (size === undefined) sizes.all = count(entry, source, 0);
      else if (spec !== undefined && spec.trim() !== '') sizes.perSpec[spec.trim()] = count(size.trim(), `${source} ${spec}`, 0);
      else throw new ConfigError(`${source}: expected N or SPEC=N, not '${entry}'`);
    }
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    // In YAML: a mapping of spec to size; the key `default` sets every other spec.
    for (const [spec, size] of Object.entries(value)) {
      if (spec === 'default') sizes.all = count(size, `${source} default`, 0);
      else sizes.perSpec[spec] = count(size, `${source} ${spec}`, 0);
    }
  } else {
    throw new ConfigError(`${source} must be a number or a mapping of key pair spec to size`);
  }
  return sizes;
}

function checkPoolSpecs(sizes: Config['keyPairPool'], source: string): void {
  const known: readonly string[] = allDataKeyPairSpecs().map((spec) => spec.name);
  for (const name of Object.keys(sizes.perSpec)) {
    if (!known.includes(name)) throw new ConfigError(`${source}: unknown key pair spec '${name}' (known: ${known.join(', ')})`);
  }
}

/** pino's level names, and 'silent' (no logs). */
function logLevel(value: unknown, source: string): string {
  const level = text(value, source);
  const known = [...Object.keys(pino.levels.values), 'silent'];
  if (!known.includes(level)) throw new ConfigError(`${source} must be one of ${known.join(', ')}, not '${level}'`);
  return level;
}

/** Base64 of exactly 32 bytes, as `openssl rand -base64 32` prints it. The value is never echoed. */
function rootKey(value: unknown, source: string): string {
  const key = text(value, source).trim();
  const bytes = Buffer.from(key, 'base64');
  if (bytes.length !== 32 || bytes.toString('base64') !== key) {
    throw new ConfigError(`${source}: the root key must be base64 of exactly 32 bytes (openssl rand -base64 32)`);
  }
  return key;
}

/**
 * A libpq-style PostgreSQL URL (`postgres://user:pass@host:5432/db?sslmode=verify-full&sslrootcert=ca.pem`).
 * It may hold a password, so a refusal never echoes it.
 */
function databaseUrl(value: unknown, source: string): string {
  const url = text(value, source).trim();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${source} must be a PostgreSQL URL: postgres://user:password@host:5432/database`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(`${source} must be a PostgreSQL URL starting postgres:// or postgresql://`);
  }
  return url;
}

function bool(value: unknown, source: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0' || value === '') return false;
  throw new ConfigError(`${source} must be true or false`);
}

function text(value: unknown, source: string): string {
  if (typeof value !== 'string' && typeof value !== 'number') throw new ConfigError(`${source} must be a string`);
  return String(value);
}

/** Loopback only: 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIPv4(host)) return host.startsWith('127.');
  if (isIPv6(host)) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/** A spec's durable reserve: `ceiling` 0 means none. */
export function reserveSizes(config: Pick<Config, 'keyPairReserve' | 'keyPairReserveFloor'>, spec: { name: string; defaultReserve?: number }): { floor: number; ceiling: number } {
  const ceiling = config.keyPairReserve.perSpec[spec.name] ?? config.keyPairReserve.all ?? spec.defaultReserve ?? 0;
  const floor = config.keyPairReserveFloor.perSpec[spec.name] ?? config.keyPairReserveFloor.all ?? Math.ceil(ceiling / 4);
  return { floor: Math.min(floor, ceiling), ceiling };
}

export function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): Config {
  const configPath = flags.config ?? env.TRENT_CONFIG;
  const file = configPath !== undefined ? readFile(configPath) : {};
  const pick = (flag: unknown, envName: string, key: keyof Config): { value: unknown; source: string } | undefined => {
    if (flag !== undefined) return { value: flag, source: `--${key}` };
    if (env[envName] !== undefined) return { value: env[envName], source: envName };
    if (file[key] !== undefined) return { value: file[key], source: `${configPath ?? 'config'}: ${key}` };
    return undefined;
  };
  const str = (flag: unknown, envName: string, key: keyof Config, fallback: string): string => {
    const p = pick(flag, envName, key);
    return p ? text(p.value, p.source) : fallback;
  };

  const integer = (flag: unknown, envName: string, key: keyof Config, min: number, fallback: number): number => {
    const p = pick(flag, envName, key);
    return p ? count(p.value, p.source, min) : fallback;
  };

  const portPick = pick(flags.port, 'TRENT_PORT', 'port');
  const sm2Pick = pick(undefined, 'TRENT_ALLOW_SM2_EVERYWHERE', 'allowSm2Everywhere');
  const logLevelPick = pick(undefined, 'TRENT_LOG_LEVEL', 'logLevel');
  const dataDir = str(flags.dataDir, 'TRENT_DATA_DIR', 'dataDir', './.trent');
  const auditRequiredPick = pick(undefined, 'TRENT_AUDIT_LOG_REQUIRED', 'auditLogRequired');
  const auditSyncPick = pick(undefined, 'TRENT_AUDIT_LOG_SYNC', 'auditLogSync');
  const config: Config = {
    host: str(flags.host, 'TRENT_HOST', 'host', '127.0.0.1'),
    port: portPick ? port(portPick.value, portPick.source) : 4599,
    dataDir,
    account: str(undefined, 'TRENT_ACCOUNT', 'account', '111122223333'),
    region: str(undefined, 'TRENT_REGION', 'region', 'us-east-1'),
    allowSm2Everywhere: sm2Pick ? bool(sm2Pick.value, sm2Pick.source) : false,
    logLevel: logLevelPick ? logLevel(logLevelPick.value, logLevelPick.source) : 'info',
    deletionSweepMs: 60_000,
    keyUsageFlushMs: 1000,
    workers: integer(flags.workers, 'TRENT_WORKERS', 'workers', 1, availableParallelism()),
    keyPairPool: { perSpec: {} },
    keyPairPoolConcurrency: integer(undefined, 'TRENT_KEY_PAIR_POOL_CONCURRENCY', 'keyPairPoolConcurrency', 1, 1),
    keyGenerationThreads: integer(undefined, 'TRENT_KEY_GENERATION_THREADS', 'keyGenerationThreads', 0, 2),
    keyPairReserve: { perSpec: {} },
    keyPairReserveFloor: { perSpec: {} },
    maxConcurrentRequests: integer(undefined, 'TRENT_MAX_CONCURRENT_REQUESTS', 'maxConcurrentRequests', 1, 256),
    headersTimeoutMs: integer(undefined, 'TRENT_HEADERS_TIMEOUT_MS', 'headersTimeoutMs', 1, 10_000),
    requestTimeoutMs: integer(undefined, 'TRENT_REQUEST_TIMEOUT_MS', 'requestTimeoutMs', 1, 30_000),
    // Twice the request cap, so every request slot can be busy with room left for idle
    // keep-alive pools; under half of 1024, the smallest common file-descriptor limit, so a flood
    // of connections meets this cap rather than EMFILE.
    maxConnections: integer(undefined, 'TRENT_MAX_CONNECTIONS', 'maxConnections', 1, 512),
    // Longer than the 60 s idle timeout of AWS load balancers, so one in front never reuses a
    // connection Trent has just closed (Node's own keep-alive default of 5 s is shorter).
    idleTimeoutMs: integer(undefined, 'TRENT_IDLE_TIMEOUT_MS', 'idleTimeoutMs', 1, 65_000),
    databaseTimeoutMs: integer(undefined, 'TRENT_DATABASE_TIMEOUT_MS', 'databaseTimeoutMs', 100, 5000),
    auditLog: str(flags.auditLog, 'TRENT_AUDIT_LOG', 'auditLog', join(dataDir, 'audit.log')),
    auditLogRequired: auditRequiredPick ? bool(auditRequiredPick.value, auditRequiredPick.source) : false,
    auditLogSync: auditSyncPick ? bool(auditSyncPick.value, auditSyncPick.source) : true,
    auditLogMaxBytes: integer(undefined, 'TRENT_AUDIT_LOG_MAX_BYTES', 'auditLogMaxBytes', 0, 100 * 2 ** 20),
    auditLogKeep: integer(undefined, 'TRENT_AUDIT_LOG_KEEP', 'auditLogKeep', 1, 5),
    accounts: [],
    mode: 'development',
  };
  if (config.auditLog.trim() === '') throw new ConfigError("auditLog must be a file path, '-' (standard output) or 'off'");
  if (config.auditLog === 'off' && config.auditLogRequired) {
    throw new ConfigError('auditLogRequired is true but the audit log is off: requests could never be audited');
  }
  const pool = pick(undefined, 'TRENT_KEY_PAIR_POOL', 'keyPairPool');
  if (pool) {
    config.keyPairPool = poolSizes(pool.value, pool.source);
    checkPoolSpecs(config.keyPairPool, pool.source);
  }
  for (const [envName, key] of [
    ['TRENT_KEY_PAIR_RESERVE', 'keyPairReserve'],
    ['TRENT_KEY_PAIR_RESERVE_FLOOR', 'keyPairReserveFloor'],
  ] as const) {
    const sizes = pick(undefined, envName, key);
    if (!sizes) continue;
    config[key] = poolSizes(sizes.value, sizes.source);
    checkPoolSpecs(config[key], sizes.source);
  }
  const databaseUrlPick = pick(flags.databaseUrl, 'TRENT_DATABASE_URL', 'databaseUrl');
  if (databaseUrlPick) config.databaseUrl = databaseUrl(databaseUrlPick.value, databaseUrlPick.source);
  const rootsPick = pick(undefined, 'TRENT_ATTESTATION_ROOTS', 'attestationRoots');
  if (rootsPick) {
    const base = rootsPick.source === 'TRENT_ATTESTATION_ROOTS' || configPath === undefined ? process.cwd() : dirname(resolve(configPath));
    config.attestationRoots = attestationRootPaths(rootsPick.value, rootsPick.source, base);
  }
  const rootKeyPick = pick(undefined, 'TRENT_ROOT_KEY', 'rootKey');
  if (rootKeyPick) config.rootKey = rootKey(rootKeyPick.value, rootKeyPick.source);
  try {
    config.accounts = parseAccounts(file.accounts, `${configPath ?? 'config'}: accounts`, env);
  } catch (err) {
    if (err instanceof AccountsError) throw new ConfigError(err.message);
    throw err;
  }
  config.mode = config.accounts.length > 0 ? 'authenticated' : 'development';
  const seedPick = pick(flags.seed, 'TRENT_SEED', 'seed');
  if (seedPick) {
    const fromFile = flags.seed === undefined && env.TRENT_SEED === undefined;
    const mapping = typeof seedPick.value === 'object' && seedPick.value !== null && !Array.isArray(seedPick.value);
    if (typeof seedPick.value !== 'string' && !(fromFile && mapping)) {
      throw new ConfigError(`${seedPick.source} must be the path of a seed file${fromFile ? ', or the seed itself as a mapping' : ''}`);
    }
    config.seed = { value: seedPick.value, source: seedPick.source };
    if (fromFile && configPath !== undefined) config.seed.relativeTo = dirname(resolve(configPath));
  }
  // DESIGN: with no accounts configured (development mode), Trent accepts any well-formed
  // request, so it may only listen where nothing but this machine can reach it.
  if (config.mode === 'development' && !isLoopbackHost(config.host)) {
    throw new ConfigError(
      `refusing to listen on ${config.host}: without configured accounts Trent authenticates nobody, ` +
        'so it serves only loopback addresses (127.0.0.1, ::1, localhost). To listen elsewhere, configure ' +
        'accounts and their access keys under `accounts:` in the --config file (see the README), and every ' +
        "request's signature will be verified",
    );
  }
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    throw new ConfigError('headersTimeoutMs must not exceed requestTimeoutMs');
  }
  if (!/^\d{12}$/.test(config.account)) throw new ConfigError(`account must be 12 digits, not '${config.account}'`);
  return config;
}
