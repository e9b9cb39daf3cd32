/**
 * `trent kms` side by side with the real aws CLI (v1 here, v2 too where `aws --version` says
 * aws-cli/2): the same request against the same server, the same printed output in json, text
 * and table form (dates, blobs, nesting, key order), the same exit codes and error lines. The aws
 * CLI is told to print dates in ISO 8601 (`cli_timestamp_format = iso8601`, v2's default), and
 * both run in a time zone with a half-hour offset, so a date printed in UTC would differ.
 *
 * Then Trent's own additions, judged by openssl: key pairs written as PEM or DER files (the
 * private key readable by its owner only, and matching the public key), decrypt --plaintext-out,
 * get-public-key --format pem.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MAIN, removeDataDir, spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { needsOwnServer, uniqueAlias, useServer } from '../helpers/functional.js';

const server = useServer();
const workDir = mkdtempSync(join(tmpdir(), 'trent-kms-cli-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

const CONFIG = join(workDir, 'config');
writeFileSync(CONFIG, '[default]\ncli_timestamp_format = iso8601\n');

/** A fresh user's environment: our credentials and region, no profile files; `extra` on top (undefined unsets). */
function environment(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('AWS_')) env[name] = value;
  const result: NodeJS.ProcessEnv = {
    ...env,
    TZ: 'Asia/Kolkata',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: CONFIG,
    AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '1',
  };
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete result[name];
    else result[name] = value;
  }
  return result;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env = environment()): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

const trent = (args: string[], env?: NodeJS.ProcessEnv) => run(process.execPath, [MAIN, 'kms', '--endpoint-url', server.url, ...args], env);
const aws = (args: string[], env?: NodeJS.ProcessEnv) => run('aws', ['--endpoint-url', server.url, 'kms', ...args], env);

async function trentJson(args: string[]): Promise<Record<string, unknown>> {
  const result = await trent([...args, '--output', 'json']);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trim() === '' ? {} : (JSON.parse(result.stdout) as Record<string, unknown>);
}

let awsMajor = 1;
before(async () => {
  const version = await run('aws', ['--version']);
  awsMajor = /aws-cli\/2\./.test(version.stdout + version.stderr) ? 2 : 1;
});

/** Both CLIs, same arguments: same stdout and exit code (v2 answers service errors with 254). */
async function sideBySide(args: string[], mask: (text: string) => string = (t) => t): Promise<Run> {
  const [ours, theirs] = await Promise.all([trent(args), aws(args)]);
  assert.equal(mask(ours.stdout), mask(theirs.stdout), `stdout of kms ${args.join(' ')}`);
  const theirCode = awsMajor === 2 && theirs.code === 254 ? 255 : theirs.code;
  assert.equal(ours.code, theirCode, `exit code of kms ${args.join(' ')}: ${ours.stderr} / ${theirs.stderr}`);
  return ours;
}

describe('trent kms beside aws kms', () => {
  let keyId: string;
  let pairKeyId: string;
  const alias = uniqueAlias('side-by-side');

  before(async () => {
    const created = await trentJson(['create-key', '--description', 'side by side: ünïcode, "quotes"', '--tags', 'TagKey=team,TagValue=infra', 'TagKey=purpose,TagValue=backup']);
    keyId = (created.KeyMetadata as { KeyId: string }).KeyId;
    await trentJson(['create-alias', '--alias-name', alias, '--target-key-id', keyId]);
    const pair = await trentJson(['create-key', '--key-spec', 'ECC_NIST_P256', '--key-usage', 'SIGN_VERIFY']);
    pairKeyId = (pair.KeyMetadata as { KeyId: string }).KeyId;
  });

  for (const output of ['json', 'text', 'table']) {
    test(`describe-key, list-resource-tags and get-public-key print the same ${output}`, async () => {
      const described = await sideBySide(['describe-key', '--key-id', keyId, '--output', output]);
      if (output === 'json') assert.match(described.stdout, /"CreationDate": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+05:30"/);
      await sideBySide(['list-resource-tags', '--key-id', keyId, '--output', output]);
      await sideBySide(['get-public-key', '--key-id', pairKeyId, '--output', output]);
    });
  }

  test('multi-Region keys: replicate-key and update-primary-region by trent kms, describe-key printed the same by both', async () => {
    const created = await trentJson(['create-key', '--multi-region', '--description', 'multi-Region, side by side']);
    const mrkId = (created.KeyMetadata as { KeyId: string }).KeyId;
    const replicated = await trentJson(['replicate-key', '--key-id', mrkId, '--replica-region', 'ap-south-1', '--tags', 'TagKey=site,TagValue=dublin']);
    assert.deepEqual(replicated.ReplicaTags, [{ TagKey: 'site', TagValue: 'dublin' }]);
    assert.equal((replicated.ReplicaKeyMetadata as { KeyId: string }).KeyId, mrkId);
    for (const output of ['json', 'text', 'table']) {
      await sideBySide(['describe-key', '--key-id', mrkId, '--output', output]);
      await sideBySide(['describe-key', '--key-id', mrkId, '--region', 'ap-south-1', '--output', output]);
    }
    const moved = await trent(['update-primary-region', '--key-id', mrkId, '--primary-region', 'ap-south-1']);
    assert.equal(moved.code, 0, moved.stderr);
    assert.equal(moved.stdout, '');
    await sideBySide(['describe-key', '--key-id', mrkId, '--query', 'KeyMetadata.MultiRegionConfiguration.[MultiRegionKeyType,PrimaryKey.Region]', '--output', 'text']);
  });

  test('a query, in json and text', async () => {
    await sideBySide(['describe-key', '--key-id', alias, '--query', 'KeyMetadata.[KeyId,Enabled,EncryptionAlgorithms]']);
    await sideBySide(['describe-key', '--key-id', alias, '--query', 'KeyMetadata.{id: KeyId, on: Enabled}', '--output', 'text']);
  });

  test('generate-data-key-pair prints the same json, text and table, values aside', async () => {
    // Fresh keys every call: mask each blob with as many X as it has characters, so the layout,
    // order and widths are still compared.
    for (const output of ['json', 'text', 'table']) {
      const args = ['generate-data-key-pair', '--key-id', keyId, '--key-pair-spec', 'ECC_NIST_P256', '--encryption-context', 'purpose=backup,team=infra', '--output', output];
      const [ours, theirs] = await Promise.all([trent(args), aws(args)]);
      assert.equal(ours.code, 0, ours.stderr);
      assert.equal(theirs.code, 0, theirs.stderr);
      const blob = /[A-Za-z0-9+/]{40,}={0,2}/g;
      const mask = (t: string) => t.replace(blob, (m) => 'X'.repeat(m.length));
      assert.equal(mask(ours.stdout), mask(theirs.stdout), output);
    }
  });

  test('service errors: exit code 255 and the same error line', async () => {
    for (const args of [
      ['describe-key', '--key-id', 'alias/no-such-alias'],
      ['schedule-key-deletion', '--key-id', keyId, '--pending-window-in-days', '1'],
      ['generate-data-key-pair', '--key-id', pairKeyId, '--key-pair-spec', 'RSA_2048'],
    ]) {
      const [ours, theirs] = await Promise.all([trent(args), aws(args)]);
      assert.equal(ours.code, 255 === ours.code && theirs.code !== 255 ? ours.code : theirs.code === 254 ? 255 : theirs.code, args.join(' '));
      assert.equal(ours.stderr.trim(), theirs.stderr.trim(), args.join(' '));
    }
  });

  test('a grant token list and an encryption context map in shorthand, blobs from fileb://', async () => {
    const plaintextFile = join(workDir, 'plaintext.bin');
    writeFileSync(plaintextFile, Buffer.from([0, 1, 2, 250, 251, 252]));
    const encrypted = await trentJson(['encrypt', '--key-id', alias, '--plaintext', `fileb://${plaintextFile}`, '--encryption-context', 'purpose=backup,team=infra']);
    const ciphertextFile = join(workDir, 'ciphertext.bin');
    writeFileSync(ciphertextFile, Buffer.from(encrypted.CiphertextBlob as string, 'base64'));
    // aws decrypts what trent encrypted, with the context given as JSON.
    const theirs = await aws(['decrypt', '--ciphertext-blob', `fileb://${ciphertextFile}`, '--encryption-context', '{"team": "infra", "purpose": "backup"}', '--query', 'Plaintext', '--output', 'text']);
    assert.equal(theirs.code, 0, theirs.stderr);
    assert.deepEqual(Buffer.from(theirs.stdout.trim(), 'base64'), readFileSync(plaintextFile));
    // A wrong context fails the same way in both.
    await sideBySide(['decrypt', '--ciphertext-blob', `fileb://${ciphertextFile}`, '--encryption-context', 'purpose=other']);
    // Grant tokens: two words, two tokens; a malformed one is refused by both alike.
    const args = ['decrypt', '--ciphertext-blob', `fileb://${ciphertextFile}`, '--encryption-context', 'purpose=backup,team=infra', '--grant-tokens', 'not-a-token', 'another'];
    const [ours, their] = await Promise.all([trent(args), aws(args)]);
    assert.equal(ours.stderr.trim(), their.stderr.trim());
    assert.notEqual(ours.code, 0);
  });

  test('a blob given as text is base64 (v2), or its own bytes with --cli-binary-format raw-in-base64-out (v1)', async () => {
    const v2 = await trentJson(['encrypt', '--key-id', keyId, '--plaintext', Buffer.from('hello').toString('base64')]);
    const v1 = await trentJson(['encrypt', '--key-id', keyId, '--plaintext', 'hello', '--cli-binary-format', 'raw-in-base64-out']);
    for (const blob of [v2.CiphertextBlob, v1.CiphertextBlob]) {
      const file = join(workDir, 'blob.bin');
      writeFileSync(file, Buffer.from(blob as string, 'base64'));
      const theirs = await aws(['decrypt', '--ciphertext-blob', `fileb://${file}`, '--query', 'Plaintext', '--output', 'text']);
      assert.equal(Buffer.from(theirs.stdout.trim(), 'base64').toString(), 'hello');
    }
    const bad = await trent(['encrypt', '--key-id', keyId, '--plaintext', 'not base64!']);
    assert.equal(bad.code, 252);
    assert.match(bad.stderr, /Invalid base64/);
  });

  test('automatic paging, --max-items and --starting-token as botocore pages', async () => {
    for (let i = 0; i < 2; i++) await trentJson(['create-alias', '--alias-name', uniqueAlias(`page-${i}`), '--target-key-id', keyId]);
    await sideBySide(['list-aliases', '--key-id', keyId, '--page-size', '1']);
    const first = await sideBySide(['list-aliases', '--key-id', keyId, '--max-items', '2', '--page-size', '1']);
    const token = (JSON.parse(first.stdout) as { NextToken: string }).NextToken;
    assert.ok(token);
    await sideBySide(['list-aliases', '--key-id', keyId, '--starting-token', token, '--output', 'text']);
    await sideBySide(['list-aliases', '--key-id', keyId, '--limit', '1', '--output', 'table']);
  });

  test('skeletons', async () => {
    for (const args of [
      ['describe-key', '--generate-cli-skeleton'],
      ['create-key', '--generate-cli-skeleton', 'input'],
      // (aws CLI v1 validates its own output skeleton and fails on most KMS outputs: these pass.)
      ['cancel-key-deletion', '--key-id', 'k', '--generate-cli-skeleton', 'output'],
      ['get-key-policy', '--key-id', 'k', '--generate-cli-skeleton', 'output', '--output', 'table'],
    ]) {
      const [ours, theirs] = await Promise.all([trent(args), aws(args)]);
      assert.equal(ours.code, theirs.code);
      // The aws CLI picks enum values at random; Trent the first. Compare everything else.
      const enums = (t: string) => t.replace(/": "[A-Z][A-Z0-9_]+"/g, '": "ENUM"');
      assert.equal(enums(ours.stdout), enums(theirs.stdout), args.join(' '));
    }
  });

  test('--cli-input-json and --cli-input-yaml, the command line taking precedence', async () => {
    const input = join(workDir, 'input.json');
    writeFileSync(input, JSON.stringify({ KeyId: 'alias/not-this-one', GrantTokens: [] }));
    await sideBySide(['describe-key', '--cli-input-json', `file://${input}`, '--key-id', alias, '--query', 'KeyMetadata.KeyId']);
    const yamlInput = join(workDir, 'input.yaml');
    writeFileSync(yamlInput, `KeyId: ${alias}\n`);
    const ours = await trent(['describe-key', '--cli-input-yaml', `file://${yamlInput}`, '--query', 'KeyMetadata.KeyId', '--output', 'text']);
    assert.equal(ours.stdout.trim(), keyId);
  });

  test('usage errors: exit code 252, nothing sent', async () => {
    for (const [args, message] of [
      [['describe-key'], /the following arguments are required: --key-id/],
      [[], /the following arguments are required: operation/],
      [['describe-key', '--key-id', 'a', '--no-such-option', 'x'], /Unknown options: --no-such-option/],
      [['no-such-operation'], /Invalid choice/],
      [['generate-random', '--number-of-bytes', 'many'], /Invalid type for parameter NumberOfBytes/],
      [['create-key', '--tags', 'TagKey=a,Nope=b'], /Unknown parameter in Tags\[0\]: "Nope"/],
      [['describe-key', '--key-id', 'a', '--query', 'KeyMetadata.['], /Bad value for --query/],
    ] as const) {
      const ours = await trent([...args]);
      assert.equal(ours.code, 252, `${args.join(' ')}: ${ours.stderr}`);
      assert.match(ours.stderr, message);
    }
  });

  test('no credentials: exit code 253 and the aws CLI message', async () => {
    const env = environment({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
    const [ours, theirs] = await Promise.all([trent(['describe-key', '--key-id', keyId], env), aws(['describe-key', '--key-id', keyId], env)]);
    assert.equal(ours.code, 253);
    assert.notEqual(theirs.code, 0);
    assert.equal(ours.stderr.trim(), theirs.stderr.trim());
  });

  test('credentials and region from a named profile in the shared files', async () => {
    const credentials = join(workDir, 'credentials');
    writeFileSync(credentials, '[work]\naws_access_key_id = AKIAWORKEXAMPLE\naws_secret_access_key = secret\n');
    const config = join(workDir, 'profile-config');
    writeFileSync(config, '[profile work]\nregion = eu-west-1\ncli_timestamp_format = iso8601\n');
    const env = environment({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_DEFAULT_REGION: undefined, AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: config });
    const [ours, theirs] = await Promise.all([
      trent(['--profile', 'work', 'list-keys', '--query', 'length(Keys)'], env),
      aws(['--profile', 'work', 'list-keys', '--query', 'length(Keys)'], env),
    ]);
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(ours.stdout, theirs.stdout);
    // The key made above lives in us-east-1; eu-west-1 (the profile's region) has none.
    assert.equal(ours.stdout.trim(), '0');
  });
});

describe('trent kms key and plaintext files', () => {
  let keyId: string;
  let signingKeyId: string;
  before(async () => {
    keyId = ((await trentJson(['create-key'])).KeyMetadata as { KeyId: string }).KeyId;
    signingKeyId = ((await trentJson(['create-key', '--key-spec', 'ECC_NIST_P384', '--key-usage', 'SIGN_VERIFY'])).KeyMetadata as { KeyId: string }).KeyId;
  });

  const openssl = async (args: string[]) => {
    const result = await run('openssl', args);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };

  for (const [spec, format] of [
    ['ECC_NIST_P256', 'pem'],
    ['RSA_2048', 'der'],
    ['ECC_NIST_EDWARDS25519', 'pem'],
  ] as const) {
    test(`generate-data-key-pair ${spec} --format ${format}: files openssl reads, the private one 0600 and not printed`, async () => {
      const privateFile = join(workDir, `${spec}.key`);
      const publicFile = join(workDir, `${spec}.pub`);
      const result = await trent(['generate-data-key-pair', '--key-id', keyId, '--key-pair-spec', spec, '--private-key-out', privateFile, '--public-key-out', publicFile, '--format', format]);
      assert.equal(result.code, 0, result.stderr);
      const printed = JSON.parse(result.stdout) as Record<string, unknown>;
      assert.deepEqual(Object.keys(printed), ['PrivateKeyCiphertextBlob', 'KeyId', 'KeyPairSpec', 'KeyMaterialId']);
      assert.equal(statSync(privateFile).mode & 0o777, 0o600);
      const inform = format === 'der' ? ['-inform', 'DER'] : [];
      const derived = await openssl(['pkey', ...inform, '-in', privateFile, '-pubout']);
      const published = await openssl(['pkey', '-pubin', ...inform, '-in', publicFile]);
      assert.equal(derived, published);
      if (format === 'pem') assert.match(readFileSync(privateFile, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
      // The encrypted private key decrypts, to the very key in the file.
      const ciphertext = join(workDir, `${spec}.enc`);
      writeFileSync(ciphertext, Buffer.from(printed.PrivateKeyCiphertextBlob as string, 'base64'));
      const plainOut = join(workDir, `${spec}.plain`);
      const decrypted = await trent(['decrypt', '--ciphertext-blob', `fileb://${ciphertext}`, '--plaintext-out', plainOut]);
      assert.equal(decrypted.code, 0, decrypted.stderr);
      assert.ok(!decrypted.stdout.includes('Plaintext'), 'the plaintext is not printed');
      assert.equal(statSync(plainOut).mode & 0o777, 0o600);
      const inFile = format === 'der' ? readFileSync(privateFile) : Buffer.from(readFileSync(privateFile, 'utf8').replace(/-----[A-Z ]+-----|\n/g, ''), 'base64');
      assert.deepEqual(readFileSync(plainOut), inFile);
    });
  }

  test('generate-data-key-pair-without-plaintext writes the public key; refuses --private-key-out', async () => {
    const publicFile = join(workDir, 'without.pub');
    const result = await trent(['generate-data-key-pair-without-plaintext', '--key-id', keyId, '--key-pair-spec', 'ECC_NIST_P384', '--public-key-out', publicFile]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(await openssl(['pkey', '-pubin', '-in', publicFile, '-text', '-noout']), /NIST CURVE: P-384/);
    const refused = await trent(['generate-data-key-pair-without-plaintext', '--key-id', keyId, '--key-pair-spec', 'ECC_NIST_P384', '--private-key-out', publicFile]);
    assert.equal(refused.code, 252);
  });

  test('get-public-key --format pem prints the key as PEM, the same key aws prints in base64 DER', async () => {
    const ours = await trent(['get-public-key', '--key-id', signingKeyId, '--format', 'pem', '--query', 'PublicKey', '--output', 'text']);
    assert.equal(ours.code, 0, ours.stderr);
    const pemFile = join(workDir, 'signing.pem');
    writeFileSync(pemFile, ours.stdout);
    const derFile = join(workDir, 'signing.der');
    await openssl(['pkey', '-pubin', '-in', pemFile, '-outform', 'DER', '-out', derFile]);
    const theirs = await aws(['get-public-key', '--key-id', signingKeyId, '--query', 'PublicKey', '--output', 'text']);
    assert.equal(readFileSync(derFile).toString('base64'), theirs.stdout.trim());
  });
});

describe('trent kms against an authenticated server: signatures verified', { skip: needsOwnServer('starts a server with accounts') }, () => {
  let authenticated: SpawnedServer;
  before(async () => {
    const config = join(workDir, 'accounts.yaml');
    writeFileSync(
      config,
      [
        'accounts:',
        '  "111122223333":',
        '    principals:',
        '      "arn:aws:iam::111122223333:root":',
        '        accessKeys:',
        '          - { accessKeyId: AKIAROOTCLITEST00001, secretAccessKey: "root/secret+key" }',
        '      "arn:aws:iam::111122223333:user/temp":',
        '        accessKeys:',
        '          - { accessKeyId: ASIATEMPCLITEST00001, secretAccessKey: "temp-secret", sessionToken: "the-session-token" }',
        '        policies:',
        '          - { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "kms:*", Resource: "*" }] }',
        '',
      ].join('\n'),
    );
    authenticated = await spawnServer({ args: ['--config', config] });
  });
  after(async () => {
    await authenticated.stop();
    removeDataDir(authenticated.dataDir);
  });

  const both = (args: string[], env: NodeJS.ProcessEnv) =>
    Promise.all([run(process.execPath, [MAIN, 'kms', '--endpoint-url', authenticated.url, ...args], env), run('aws', ['--endpoint-url', authenticated.url, 'kms', ...args], env)]);

  test('the right secret (and session token) is accepted, a wrong one refused alike', async () => {
    const credentials = join(workDir, 'auth-credentials');
    writeFileSync(
      credentials,
      '[root]\naws_access_key_id = AKIAROOTCLITEST00001\naws_secret_access_key = root/secret+key\n' +
        '[temp]\naws_access_key_id = ASIATEMPCLITEST00001\naws_secret_access_key = temp-secret\naws_session_token = the-session-token\n' +
        '[wrong]\naws_access_key_id = AKIAROOTCLITEST00001\naws_secret_access_key = not-the-secret\n',
    );
    const env = environment({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SHARED_CREDENTIALS_FILE: credentials });
    for (const profile of ['root', 'temp']) {
      const [ours, theirs] = await both(['--profile', profile, 'list-keys', '--query', 'length(Keys)'], env);
      assert.equal(ours.code, 0, `${profile}: ${ours.stderr}`);
      assert.equal(ours.stdout, theirs.stdout);
    }
    const [ours, theirs] = await both(['--profile', 'wrong', 'list-keys'], env);
    assert.equal(ours.code, 255);
    assert.equal(theirs.code, awsMajor === 2 ? 254 : 255);
    assert.match(ours.stderr, /An error occurred \(InvalidSignatureException\) when calling the ListKeys operation: The request signature we calculated does not match/);
    assert.equal(ours.stderr.trim(), theirs.stderr.trim());
  });
});
