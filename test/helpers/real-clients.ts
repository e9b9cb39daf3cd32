/**
 * What the tests that drive Trent with real AWS clients share: finding the aws CLI v1 and v2
 * (both install an `aws` command, so each is found by its version), running a client in the
 * environment of a fresh AWS user, and checking data key pairs with implementations Trent does
 * not use (test/checkers/key_pair_check.py: Python's `cryptography`, the openssl CLI for SM2,
 * the `mlkem` package for ML-KEM-512, which `cryptography` 48 lacks).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MlKem512 } from 'mlkem';

export const DATA_KEY_PAIR_SPECS = [
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'SM2',
  'ECC_NIST_EDWARDS25519',
  'ML_KEM_512',
  'ML_KEM_768',
  'ML_KEM_1024',
] as const;
export type DataKeyPairSpecName = (typeof DATA_KEY_PAIR_SPECS)[number];

/** What key_pair_check.py reports a spec's private key to be (openssl names the SM2 curve). */
export const EXPECTED_KIND: Record<DataKeyPairSpecName, string> = {
  RSA_2048: 'rsa-2048',
  RSA_3072: 'rsa-3072',
  RSA_4096: 'rsa-4096',
  ECC_NIST_P256: 'ec-secp256r1',
  ECC_NIST_P384: 'ec-secp384r1',
  ECC_NIST_P521: 'ec-secp521r1',
  ECC_SECG_P256K1: 'ec-secp256k1',
  SM2: 'ec-SM2',
  ECC_NIST_EDWARDS25519: 'ed25519',
  ML_KEM_512: 'ml-kem-512',
  ML_KEM_768: 'ml-kem-768',
  ML_KEM_1024: 'ml-kem-1024',
};

/** AWS serves SM2 data key pairs in China regions only, and so does Trent by default. */
export function regionFor(spec: DataKeyPairSpecName): string {
  return spec === 'SM2' ? 'cn-north-1' : 'us-east-1';
}

const KEY_PAIR_CHECKER = fileURLToPath(new URL('../../../test/checkers/key_pair_check.py', import.meta.url));

export interface Pair {
  name: string;
  publicKey: Buffer;
  privateKey: Buffer;
}

/**
 * The kind of each pair whose private key yields exactly its public key, by name; a pair that
 * does not match fails the calling test.
 */
export async function checkPairs(pairs: Pair[]): Promise<Record<string, string>> {
  const input = JSON.stringify(pairs.map((p) => ({ name: p.name, publicKey: p.publicKey.toString('base64'), privateKey: p.privateKey.toString('base64') })));
  const report = JSON.parse(execFileSync('python3', [KEY_PAIR_CHECKER], { input, encoding: 'utf8' })) as Record<
    string,
    { kind: string; checker: string; matches: boolean; reason?: string }
  >;
  const kinds: Record<string, string> = {};
  for (const pair of pairs) {
    const verdict = report[pair.name];
    assert.ok(verdict, `no verdict for ${pair.name}`);
    if (verdict.kind === 'unsupported' && pair.publicKey.length === 22 + 800) {
      // ML-KEM-512: the PKCS#8 ends with the 64-byte seed d || z; mlkem regenerates the
      // encapsulation key from it, which must be the public key's BIT STRING.
      const [encapsulationKey] = await new MlKem512().deriveKeyPair(pair.privateKey.subarray(-64));
      assert.equal(pair.privateKey.length, 86, `${pair.name}: an ML-KEM PKCS#8 in seed form is 86 bytes`);
      assert.deepEqual(Buffer.from(encapsulationKey), pair.publicKey.subarray(-800), `${pair.name}: the private key does not match the public key`);
      kinds[pair.name] = 'ml-kem-512';
      continue;
    }
    assert.equal(verdict.matches, true, `${pair.name}: the private key does not match the public key (${JSON.stringify(verdict)})`);
    kinds[pair.name] = verdict.kind;
  }
  return kinds;
}

/** The environment of a fresh AWS user: these credentials and region, no profile files. */
export function awsEnvironment(workDir: string, region = 'us-east-1'): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('AWS_')) env[name] = value;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_DEFAULT_REGION: region,
    AWS_CONFIG_FILE: join(workDir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

export interface AwsCli {
  major: 1 | 2;
  path: string;
  /** `aws --version`'s first word, e.g. aws-cli/2.9.19. */
  version: string;
  /** The exit code of a service error: 255 in v1, 254 in v2 (AWS's "Return codes" page). */
  serviceErrorCode: number;
}

function versionOf(path: string): string | undefined {
  try {
    const out = execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    return /aws-cli\/\d+\.\d+\.\d+/.exec(out)?.[0];
  } catch {
    return undefined;
  }
}

function executablesOnPath(name: string): string[] {
  const found: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      if (!found.includes(path)) found.push(path);
    } catch {
      // not there
    }
  }
  return found;
}

/**
 * The `aws` script pip installed beside python3, if any: a version manager's shim on PATH (pyenv)
 * would cost a shell and a version lookup on every call.
 */
function besidePython(): string[] {
  try {
    return [execFileSync('python3', ['-c', 'import os, sys; print(os.path.join(os.path.dirname(sys.executable), "aws"))'], { encoding: 'utf8' }).trim()];
  } catch {
    return [];
  }
}

const VARIABLE = { 1: 'TRENT_TEST_AWS_V1', 2: 'TRENT_TEST_AWS_V2' } as const;

/**
 * The aws CLI of a major version: the path in TRENT_TEST_AWS_V1 / TRENT_TEST_AWS_V2 (which must
 * then be that version), else the first `aws` that reports it: for v1 first the one beside
 * python3, then those on PATH, then /usr/bin (where Debian's awscli puts v2). A string is the reason to skip, for node:test to print.
 */
export function findAwsCli(major: 1 | 2): AwsCli | string {
  const variable = VARIABLE[major];
  const configured = process.env[variable];
  const candidates = configured ? [configured] : [...(major === 1 ? besidePython() : []), ...executablesOnPath('aws'), '/usr/bin/aws', '/usr/local/bin/aws'];
  for (const path of [...new Set(candidates)]) {
    const version = versionOf(path);
    if (version?.startsWith(`aws-cli/${major}.`)) return { major, path, version, serviceErrorCode: major === 1 ? 255 : 254 };
    if (configured) throw new Error(`${variable}=${configured} is not the aws CLI v${major} (it says ${version ?? 'nothing'})`);
  }
  const install = major === 2 ? "Debian's awscli package installs it as /usr/bin/aws" : 'pip install awscli';
  return `no aws CLI v${major} found on PATH (set ${variable} to its path; ${install})`;
}
