/**
 * Where a `trent kms` call gets its credentials, region, endpoint and retry count: the places
 * the aws CLI looks, in its order (botocore's credential chain and config resolution).
 *
 * Credentials: with `--profile P`, that profile only; otherwise AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN), then the profile named by AWS_PROFILE (or
 * `default`) in the shared credentials file (~/.aws/credentials, AWS_SHARED_CREDENTIALS_FILE)
 * and then in the config file (~/.aws/config, AWS_CONFIG_FILE, as `[profile P]` or `[default]`).
 * Region: --region, AWS_REGION, AWS_DEFAULT_REGION, then the profile's `region`.
 * Endpoint: --endpoint-url, AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL, the profile's `endpoint_url`,
 * then Trent's own address. Output: --output, AWS_DEFAULT_OUTPUT, the profile's `output`, json. SSO, credential_process and assumed roles are not followed.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4599';

/** The environment or configuration is unusable: exit code 253, as aws CLI v2. */
export class ConfigurationError extends Error {}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface ResolvedSettings {
  credentials: Credentials;
  region: string;
  endpoint: string;
  maxAttempts: number;
  /** The profile's `output` setting, if any. */
  output?: string;
}

type Ini = Map<string, Map<string, string>>;

/** The INI dialect of the AWS files: `[section]`, `key = value`, `#` and `;` comments. */
export function parseIni(text: string): Ini {
  const sections: Ini = new Map();
  let current: Map<string, string> | undefined;
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(trimmed);
    if (header?.[1] !== undefined) {
      current = sections.get(header[1]) ?? new Map<string, string>();
      sections.set(header[1], current);
      continue;
    }
    const eq = trimmed.indexOf('=');
    // An indented line continues a nested setting (s3 = ...); Trent reads none of those.
    if (current === undefined || eq < 0 || /^\s/.test(line)) continue;
    current.set(trimmed.slice(0, eq).trim(), trimmed.slice(eq + 1).trim());
  }
  return sections;
}

export interface Environment {
  env: NodeJS.ProcessEnv;
  readFile(path: string): Buffer;
}

function readIni(path: string, environment: Environment): Ini {
  try {
    return parseIni(environment.readFile(path).toString('utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new ConfigurationError(`Unable to read ${path}: ${(err as Error).message}`);
  }
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

export function resolveSettings(flags: { profile?: string; region?: string; endpointUrl?: string }, environment: Environment): ResolvedSettings {
  const { env } = environment;
  const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);
  const profileName = flags.profile ?? nonEmpty(env.AWS_PROFILE) ?? nonEmpty(env.AWS_DEFAULT_PROFILE) ?? 'default';
  const explicitProfile = flags.profile !== undefined || nonEmpty(env.AWS_PROFILE) !== undefined;
  const credentialsFile = readIni(expandHome(nonEmpty(env.AWS_SHARED_CREDENTIALS_FILE) ?? join(homedir(), '.aws', 'credentials')), environment);
  const configFile = readIni(expandHome(nonEmpty(env.AWS_CONFIG_FILE) ?? join(homedir(), '.aws', 'config')), environment);
  const configSection = configFile.get(profileName === 'default' ? 'default' : `profile ${profileName}`) ?? (profileName === 'default' ? configFile.get('profile default') : undefined);
  const credentialsSection = credentialsFile.get(profileName);
  if (explicitProfile && !configSection && !credentialsSection) throw new ConfigurationError(`The config profile (${profileName}) could not be found`);

  const fromSection = (section: Map<string, string> | undefined): Credentials | undefined => {
    const accessKeyId = section?.get('aws_access_key_id');
    const secretAccessKey = section?.get('aws_secret_access_key');
    if (!accessKeyId || !secretAccessKey) return undefined;
    const sessionToken = section?.get('aws_session_token') ?? section?.get('aws_security_token');
    return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
  };
  let credentials: Credentials | undefined;
  // An explicit --profile outranks the environment's keys (botocore drops the env provider then).
  if (flags.profile === undefined && nonEmpty(env.AWS_ACCESS_KEY_ID) && nonEmpty(env.AWS_SECRET_ACCESS_KEY)) {
    const token = nonEmpty(env.AWS_SESSION_TOKEN) ?? nonEmpty(env.AWS_SECURITY_TOKEN);
    credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID as string, secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string, ...(token ? { sessionToken: token } : {}) };
  }
  credentials ??= fromSection(credentialsSection) ?? fromSection(configSection);
  if (!credentials) throw new ConfigurationError('Unable to locate credentials. You can configure credentials by running "aws configure".');

  const region = flags.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? configSection?.get('region');
  if (!region) throw new ConfigurationError('You must specify a region. You can also configure your region by running "aws configure".');

  const endpoint = flags.endpointUrl ?? nonEmpty(env.AWS_ENDPOINT_URL_KMS) ?? nonEmpty(env.AWS_ENDPOINT_URL) ?? configSection?.get('endpoint_url') ?? DEFAULT_ENDPOINT;
  const attempts = nonEmpty(env.AWS_MAX_ATTEMPTS) ?? configSection?.get('max_attempts');
  const maxAttempts = attempts === undefined ? 3 : Number(attempts);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new ConfigurationError(`max_attempts must be a positive integer, not '${attempts}'`);
  const output = configSection?.get('output');
  return { credentials, region, endpoint, maxAttempts, ...(output !== undefined && { output }) };
}
