/**
 * The `accounts:` section of the config file: accounts, their principals, access keys and
 * identity policies, checked whole when the config is loaded so that `trent serve` refuses a bad
 * one with one line before any worker starts.
 *
 *   accounts:
 *     "111122223333":                                  # 12 digits, quoted so YAML keeps it text
 *       principals:
 *         "arn:aws:iam::111122223333:root":            # the root user may have keys too
 *           accessKeys:
 *             - accessKeyId: AKIAROOT000000000001
 *               secretAccessKey: "..."                 # or secretAccessKeyEnv: NAME_OF_ENV_VAR
 *         "arn:aws:iam::111122223333:user/alice":
 *           accessKeys:
 *             - accessKeyId: AKIAALICE00000000001
 *               secretAccessKeyEnv: ALICE_SECRET
 *               sessionToken: "..."                    # optional: x-amz-security-token must match
 *           policies:                                  # identity policy documents
 *             - { Version: "2012-10-17", Statement: [...] }
 *
 * Rules: account ids are 12 digits; principal ARNs are `arn:aws:iam::<account>:root`,
 * `...:user/<path/>name` or `...:role/<path/>name` of the account they are listed under; access
 * key ids follow IAM's pattern (16 to 128 word characters) and are unique across all accounts;
 * each key has exactly one of secretAccessKey and secretAccessKeyEnv, and an environment variable
 * named there must be set and non-empty; policies are mappings (policies.ts reads them). Unknown
 * keys are refused, so a misspelt one does not silently drop a key or a policy.
 *
 * No message ever contains a secret access key or a session token: values are echoed only where
 * they cannot be one (account ids, ARNs, access key ids, conventional environment variable names).
 * The result is plain data (secrets resolved), so the primary can send it to workers over IPC.
 */
import type { AccessKeyConfig, AccountConfig, PrincipalConfig } from './domain/identities.js';
import { parsePrincipalArn } from './domain/identities.js';

export class AccountsError extends Error {}

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `value` as a mapping with only `known` keys; null (a key with nothing after it) is an empty one. */
function mapping(value: unknown, where: string, known: readonly string[], what: string): Mapping {
  if (value === null || value === undefined) return {};
  if (!isMapping(value)) throw new AccountsError(`${where} must be ${what}`);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new AccountsError(`${where}: unknown key '${key}' (known: ${known.join(', ')})`);
  }
  return value;
}

/** IAM's AccessKeyIdType: `[\w]+`, 16 to 128 characters. */
const ACCESS_KEY_ID = /^\w{16,128}$/;
/**
 * Environment variable names as conventionally written. Only such a name is echoed in messages:
 * a secret pasted here by mistake almost surely has a lower-case letter, `/` or `+`.
 */
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** A secret: a non-empty string. A YAML number or boolean is refused rather than converted. */
function secretText(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '') throw new AccountsError(`${where} must be a non-empty string (quote it in YAML)`);
  return value;
}

function accessKey(value: unknown, where: string, env: NodeJS.ProcessEnv, seen: Map<string, string>, owner: string): AccessKeyConfig {
  const entry = mapping(value, where, ['accessKeyId', 'secretAccessKey', 'secretAccessKeyEnv', 'sessionToken'], 'a mapping with accessKeyId and secretAccessKey or secretAccessKeyEnv');
  const id = entry.accessKeyId;
  if (typeof id !== 'string') throw new AccountsError(`${where}.accessKeyId must be a string such as AKIAIOSFODNN7EXAMPLE`);
  if (!ACCESS_KEY_ID.test(id)) {
    throw new AccountsError(`${where}.accessKeyId must be 16 to 128 letters, digits or underscores (IAM's access key id pattern), not '${id}'`);
  }
  const other = seen.get(id);
  if (other !== undefined) throw new AccountsError(`${where}.accessKeyId: access key id '${id}' is already configured for ${other}`);
  seen.set(id, owner);

  const hasSecret = entry.secretAccessKey !== undefined;
  const hasEnv = entry.secretAccessKeyEnv !== undefined;
  if (hasSecret === hasEnv) {
    throw new AccountsError(`${where} (access key ${id}) must have exactly one of secretAccessKey and secretAccessKeyEnv${hasSecret ? ', not both' : ''}`);
  }
  const key: AccessKeyConfig = { accessKeyId: id, secretAccessKey: '' };
  if (hasSecret) {
    key.secretAccessKey = secretText(entry.secretAccessKey, `${where}.secretAccessKey`);
  } else {
    const name = entry.secretAccessKeyEnv;
    if (typeof name !== 'string' || !ENV_NAME.test(name)) {
      throw new AccountsError(`${where}.secretAccessKeyEnv must name an environment variable (upper-case letters, digits and underscores)`);
    }
    const secret = env[name];
    if (secret === undefined) throw new AccountsError(`${where}.secretAccessKeyEnv: the environment variable ${name} is not set`);
    if (secret === '') throw new AccountsError(`${where}.secretAccessKeyEnv: the environment variable ${name} is empty`);
    key.secretAccessKey = secret;
    key.secretAccessKeyEnv = name;
  }
  if (entry.sessionToken !== undefined) key.sessionToken = secretText(entry.sessionToken, `${where}.sessionToken`);
  return key;
}

function principal(arn: string, value: unknown, where: string, account: string, env: NodeJS.ProcessEnv, seen: Map<string, string>): PrincipalConfig {
  const parsed = parsePrincipalArn(arn);
  if (!parsed) {
    const base = `arn:aws:iam::${account}`;
    throw new AccountsError(
      `${where}: '${arn}' is not a principal ARN: expected ${base}:root, ${base}:user/<path/>name or ${base}:role/<path/>name ` +
        '(names of 1 to 64 letters, digits and +=,.@_-)',
    );
  }
  if (parsed.account !== account) throw new AccountsError(`${where}: principal '${arn}' belongs to account ${parsed.account}, not ${account}`);
  const entry = mapping(value, where, ['accessKeys', 'policies'], 'a mapping with accessKeys and policies');

  const keys = entry.accessKeys ?? [];
  if (!Array.isArray(keys)) throw new AccountsError(`${where}.accessKeys must be a list of access keys`);
  const accessKeys = keys.map((key: unknown, i) => accessKey(key, `${where}.accessKeys[${i}]`, env, seen, arn));

  const documents = entry.policies ?? [];
  if (!Array.isArray(documents)) throw new AccountsError(`${where}.policies must be a list of policy documents`);
  const policies = documents.map((document: unknown, i) => {
    if (!isMapping(document)) throw new AccountsError(`${where}.policies[${i}] must be a policy document: a mapping with Version and Statement, in YAML or JSON`);
    return document;
  });
  return { arn, accessKeys, policies };
}

/**
 * The checked accounts of a config file's `accounts:` value (`where` names it in messages, e.g.
 * `trent.yaml: accounts`); secrets named by secretAccessKeyEnv are read from `env`. An absent or
 * empty section is no accounts: development mode.
 */
export function parseAccounts(value: unknown, where: string, env: NodeJS.ProcessEnv): AccountConfig[] {
  if (value === null || value === undefined) return [];
  if (!isMapping(value)) throw new AccountsError(`${where} must be a mapping of 12-digit account ids (quoted: "111122223333") to accounts`);
  const seen = new Map<string, string>();
  return Object.entries(value).map(([id, account]) => {
    const at = `${where}."${id}"`;
    if (!/^\d{12}$/.test(id)) {
      throw new AccountsError(`${where}: account id '${id}' must be 12 digits; quote it ("012345678901") so YAML keeps it as written`);
    }
    const entry = mapping(account, at, ['principals'], 'a mapping with principals');
    const principals = entry.principals;
    if (principals !== undefined && principals !== null && !isMapping(principals)) {
      throw new AccountsError(`${at}.principals must be a mapping of principal ARNs to principals`);
    }
    return {
      id,
      principals: Object.entries(principals ?? {}).map(([arn, body]) => principal(arn, body, `${at}.principals."${arn}"`, id, env, seen)),
    };
  });
}

/** The environment variables the secrets of `accounts` were read from, to remove once loaded. */
export function secretEnvironmentVariables(accounts: readonly AccountConfig[]): string[] {
  return accounts.flatMap((account) =>
    account.principals.flatMap((p) => p.accessKeys.flatMap((key) => (key.secretAccessKeyEnv !== undefined ? [key.secretAccessKeyEnv] : []))),
  );
}
