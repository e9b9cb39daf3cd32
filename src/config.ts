/**
 * Configuration, from (highest first) command-line flags, environment variables, a YAML config
 * file, and defaults:
 *
 *   flag          env                        file key            default
 *   --host        TRENT_HOST                 host                127.0.0.1
 *   --port        TRENT_PORT                 port                4599
 *   --data-dir    TRENT_DATA_DIR             dataDir             ./.trent
 *   --config      TRENT_CONFIG               (the file itself)
 *                 TRENT_DATABASE_URL         databaseUrl         (embedded SQLite)
 *                 TRENT_ROOT_KEY             rootKey             <dataDir>/root.key
 *                 TRENT_ACCOUNT              account             111122223333
 *                 TRENT_REGION               region              us-east-1
 *                 TRENT_ALLOW_SM2_EVERYWHERE allowSm2Everywhere  false
 *                 TRENT_LOG_LEVEL            logLevel            info
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  /** Base64 of 32 bytes. Secret. */
  rootKey?: string;
  account: string;
  region: string;
  allowSm2Everywhere: boolean;
  logLevel: string;
  maxBodyBytes: number;
  /** How often keys whose deletion window has passed are deleted. */
  deletionSweepMs: number;
}

export interface ConfigFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  config?: string;
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
  const parsed: unknown = parseYaml(text);
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${path} must be a YAML mapping`);
  return parsed as FileConfig;
}

function port(value: unknown, source: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${source}: port must be an integer 0..65535, not '${String(value)}'`);
  return n;
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

  const portPick = pick(flags.port, 'TRENT_PORT', 'port');
  const sm2Pick = pick(undefined, 'TRENT_ALLOW_SM2_EVERYWHERE', 'allowSm2Everywhere');
  const config: Config = {
    host: str(flags.host, 'TRENT_HOST', 'host', '127.0.0.1'),
    port: portPick ? port(portPick.value, portPick.source) : 4599,
    dataDir: str(flags.dataDir, 'TRENT_DATA_DIR', 'dataDir', './.trent'),
    account: str(undefined, 'TRENT_ACCOUNT', 'account', '111122223333'),
    region: str(undefined, 'TRENT_REGION', 'region', 'us-east-1'),
    allowSm2Everywhere: sm2Pick ? bool(sm2Pick.value, sm2Pick.source) : false,
    logLevel: str(undefined, 'TRENT_LOG_LEVEL', 'logLevel', 'info'),
    maxBodyBytes: 1024 * 1024,
    deletionSweepMs: 60_000,
  };
  const databaseUrl = pick(undefined, 'TRENT_DATABASE_URL', 'databaseUrl');
  if (databaseUrl) config.databaseUrl = text(databaseUrl.value, databaseUrl.source);
  const rootKey = pick(undefined, 'TRENT_ROOT_KEY', 'rootKey');
  if (rootKey) config.rootKey = text(rootKey.value, rootKey.source);
  if (!/^\d{12}$/.test(config.account)) throw new ConfigError(`account must be 12 digits, not '${config.account}'`);
  return config;
}
