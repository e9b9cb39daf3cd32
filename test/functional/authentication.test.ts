/**
 * Authenticated mode over HTTP: a server spawned with accounts in its config file verifies every
 * request's SigV4 signature. Real clients (@aws-sdk/client-kms, the aws CLI, boto3) with the right
 * credentials are served as the access key's principal, in its account; with wrong ones they get
 * AWS's errors. Raw requests, signed with @smithy/signature-v4 and then tampered with, draw each
 * SigV4 error. The secret read from secretAccessKeyEnv reaches both workers and leaves every
 * process's environment. An authenticated server may listen on 0.0.0.0; a development-mode one
 * refuses, saying how to configure accounts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CreateKeyCommand, DecryptCommand, EncryptCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { awsError } from '../helpers/clients.js';
import { needsOwnServer, useOwnServer } from '../helpers/functional.js';
import { serverProcesses } from '../helpers/processes.js';
import { removeDataDir, spawnServer, tempDataDir } from '../helpers/spawn-server.js';
import { sendRaw, signedRequest, withParameter, type Credentials } from '../helpers/sigv4.js';

const workDir = mkdtempSync(join(tmpdir(), 'trent-auth-test-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

const ROOT: Credentials = { accessKeyId: 'AKIAFUNCROOT00000001', secretAccessKey: 'functional/root+secret/0000000000000000' };
const ALICE: Credentials = { accessKeyId: 'AKIAFUNCALICE0000001', secretAccessKey: 'functional/alice+secret/from/the/environment' };
const BOB: Credentials = { accessKeyId: 'ASIAFUNCBOB000000001', secretAccessKey: 'functional/bob+secret', sessionToken: 'bob//session+token==' };
const CAROL: Credentials = { accessKeyId: 'AKIAFUNCCAROL0000001', secretAccessKey: 'functional/carol+secret' };
const SECRETS = [ROOT, ALICE, BOB, CAROL].flatMap((c) => [c.secretAccessKey, ...(c.sessionToken !== undefined ? [c.sessionToken] : [])]);

const CONFIG = join(workDir, 'trent.yaml');
writeFileSync(
  CONFIG,
  `accounts:
  "111122223333":
    principals:
      "arn:aws:iam::111122223333:root":
        accessKeys:
          - accessKeyId: ${ROOT.accessKeyId}
            secretAccessKey: "${ROOT.secretAccessKey}"
      "arn:aws:iam::111122223333:user/alice":
        accessKeys:
          - accessKeyId: ${ALICE.accessKeyId}
            secretAccessKeyEnv: TRENT_TEST_ALICE_SECRET
        policies:
          - { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "kms:*", Resource: "*" }] }
      "arn:aws:iam::111122223333:role/bob":
        accessKeys:
          - accessKeyId: ${BOB.accessKeyId}
            secretAccessKey: "${BOB.secretAccessKey}"
            sessionToken: "${BOB.sessionToken}"
        policies:
          - { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "kms:*", Resource: "*" }] }
  "444455556666":
    principals:
      "arn:aws:iam::444455556666:user/carol":
        accessKeys:
          - { accessKeyId: ${CAROL.accessKeyId}, secretAccessKey: "${CAROL.secretAccessKey}" }
        policies:
          - { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "kms:*", Resource: "*" }] }
`,
);
const SERVER_ENV = { TRENT_CONFIG: CONFIG, TRENT_TEST_ALICE_SECRET: ALICE.secretAccessKey };

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';

describe('authenticated mode', { skip: needsOwnServer('a server configured with accounts') }, () => {
  // Two workers: the secret read from TRENT_TEST_ALICE_SECRET must reach both over IPC.
  const server = useOwnServer({ env: { ...SERVER_ENV, TRENT_WORKERS: '2' } });
  const clients: KMSClient[] = [];
  after(() => clients.forEach((client) => client.destroy()));
  const client = (credentials: Credentials, region = 'us-east-1'): KMSClient => {
    const kms = new KMSClient({ endpoint: server.url, region, credentials, maxAttempts: 1 });
    clients.push(kms);
    return kms;
  };
  const host = () => new URL(server.url).host;
  const raw = async (credentials: Credentials, options: { date?: number; body?: unknown; operation?: string } = {}) =>
    signedRequest({ operation: options.operation ?? 'ListKeys', credentials, host: host(), body: options.body ?? {}, ...(options.date !== undefined && { date: options.date }) });

  describe('the AWS SDK for JavaScript', () => {
    it('with the root user’s key: CreateKey, Encrypt, Decrypt in its account', async () => {
      const kms = client(ROOT);
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'authenticated' }));
      assert.match(KeyMetadata?.Arn ?? '', /^arn:aws:kms:us-east-1:111122223333:key\//);
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from('hello') }));
      const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob }));
      assert.equal(Buffer.from(Plaintext as Uint8Array).toString(), 'hello');
    });

    it('with an IAM user’s key whose secret came from the environment, on both workers', async () => {
      // Enough requests, on fresh connections, that both workers answer some.
      for (let i = 0; i < 8; i++) {
        const kms = client(ALICE);
        assert.ok(Array.isArray((await kms.send(new ListKeysCommand({}))).Keys));
        kms.destroy();
      }
    });

    it('with a role’s temporary credentials (session token)', async () => {
      assert.ok(Array.isArray((await client(BOB).send(new ListKeysCommand({}))).Keys));
    });

    it('with another account’s key: its keys are in its own account, in any region', async () => {
      const { KeyMetadata } = await client(CAROL, 'eu-west-1').send(new CreateKeyCommand({}));
      assert.match(KeyMetadata?.Arn ?? '', /^arn:aws:kms:eu-west-1:444455556666:key\//);
      assert.equal(KeyMetadata?.AWSAccountId, '444455556666');
    });

    const refusals: Array<[string, Credentials, string, string]> = [
      ['the wrong secret', { ...ROOT, secretAccessKey: 'wrong' }, 'InvalidSignatureException', MISMATCH],
      ['an unknown access key', { accessKeyId: 'AKIAUNKNOWN000000001', secretAccessKey: 'x' }, 'UnrecognizedClientException', INVALID_TOKEN],
      ['a role key without its session token', { accessKeyId: BOB.accessKeyId, secretAccessKey: BOB.secretAccessKey }, 'UnrecognizedClientException', INVALID_TOKEN],
      ['a wrong session token', { ...BOB, sessionToken: 'not-the-token' }, 'UnrecognizedClientException', INVALID_TOKEN],
      ['a session token for a key that has none', { ...ROOT, sessionToken: 'unexpected' }, 'UnrecognizedClientException', INVALID_TOKEN],
    ];
    for (const [name, credentials, type, message] of refusals) {
      it(`refuses ${name}: ${type}`, async () => {
        const err = await awsError(() => client(credentials).send(new ListKeysCommand({})));
        assert.deepEqual(err, { name: type, message, status: 400 });
      });
    }
  });

  describe('raw signed requests, tampered with', () => {
    const expectError = async (request: Awaited<ReturnType<typeof raw>>, type: string, message: string | RegExp) => {
      const { status, body } = await sendRaw(server.url, request);
      assert.equal(status, 400, JSON.stringify(body));
      assert.deepEqual(Object.keys(body).sort(), ['__type', 'message']);
      assert.equal(body.__type, type);
      if (typeof message === 'string') assert.equal(body.message, message);
      else assert.match(body.message as string, message);
      for (const secret of SECRETS) assert.ok(!JSON.stringify(body).includes(secret), 'a secret in the answer');
    };

    it('the untouched request is served', async () => {
      const { status } = await sendRaw(server.url, await raw(ALICE));
      assert.equal(status, 200);
    });
    it('no Authorization header: MissingAuthenticationTokenException', async () => {
      const request = await raw(ALICE);
      delete request.headers['authorization'];
      await expectError(request, 'MissingAuthenticationTokenException', 'Request is missing Authentication Token');
    });
    it('no Signature parameter: IncompleteSignatureException', async () => {
      const request = await raw(ALICE);
      request.headers['authorization'] = (request.headers['authorization'] as string).replace(/, Signature=\w+/, '');
      await expectError(request, 'IncompleteSignatureException', "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256");
    });
    it('the body changed: InvalidSignatureException', async () => {
      const request = await raw(ALICE, { operation: 'DescribeKey', body: { KeyId: 'alias/a' } });
      await expectError({ ...request, body: Buffer.from('{"KeyId":"alias/b"}') }, 'InvalidSignatureException', MISMATCH);
    });
    it('the region of the scope changed: InvalidSignatureException', async () => {
      const request = await raw(ALICE);
      request.headers['authorization'] = (request.headers['authorization'] as string).replace('/us-east-1/', '/us-west-2/');
      await expectError(request, 'InvalidSignatureException', MISMATCH);
    });
    it('the signed host changed: InvalidSignatureException', async () => {
      const request = await raw(ALICE);
      request.headers['host'] = `localhost:${new URL(server.url).port}`;
      await expectError(request, 'InvalidSignatureException', MISMATCH);
    });
    it('host left out of SignedHeaders: InvalidSignatureException', async () => {
      const request = await raw(ALICE);
      request.headers['authorization'] = withParameter(request.headers['authorization'] as string, 'SignedHeaders', 'content-type;x-amz-date;x-amz-target');
      await expectError(request, 'InvalidSignatureException', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    });
    it('signed 6 minutes ago: InvalidSignatureException, Signature expired', async () => {
      const request = await raw(ALICE, { date: Date.now() - 6 * 60_000 });
      const sent = request.headers['x-amz-date'] as string;
      await expectError(request, 'InvalidSignatureException', new RegExp(`^Signature expired: ${sent} is now earlier than \\d{8}T\\d{6}Z \\(\\d{8}T\\d{6}Z - 5 min\\.\\)$`));
    });
    it('signed 6 minutes ahead: InvalidSignatureException, Signature not yet current', async () => {
      const request = await raw(ALICE, { date: Date.now() + 6 * 60_000 });
      const sent = request.headers['x-amz-date'] as string;
      await expectError(request, 'InvalidSignatureException', new RegExp(`^Signature not yet current: ${sent} is still later than \\d{8}T\\d{6}Z \\(\\d{8}T\\d{6}Z \\+ 5 min\\.\\)$`));
    });
    it('an unknown access key: UnrecognizedClientException', async () => {
      await expectError(await raw({ accessKeyId: 'AKIANOSUCHKEY0000001', secretAccessKey: ALICE.secretAccessKey }), 'UnrecognizedClientException', INVALID_TOKEN);
    });
    it('the session token changed: UnrecognizedClientException', async () => {
      const request = await raw(BOB);
      request.headers['x-amz-security-token'] = 'forged';
      await expectError(request, 'UnrecognizedClientException', INVALID_TOKEN);
    });
    it('presigned query-string authentication: IncompleteSignatureException', async () => {
      const request = await raw(ALICE);
      await expectError(
        { ...request, path: '/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x&X-Amz-Signature=00' },
        'IncompleteSignatureException',
        'Query-string authentication (presigned URLs) is not supported by this Trent server; sign the request in its Authorization header, as AWS SDKs do.',
      );
    });
    it('a browser-like request (foreign Host, Origin) is judged by its signature alone', async () => {
      const request = await signedRequest({ operation: 'ListKeys', credentials: ALICE, host: 'kms.example.com', headers: { origin: 'https://app.example.com' } });
      const { status } = await sendRaw(server.url, request);
      assert.equal(status, 200);
    });
  });

  it('keeps the secret read from secretAccessKeyEnv out of every process’s environment', () => {
    const pids = serverProcesses(server.spawned.dataDir);
    assert.equal(pids.length, 3, 'a primary and two workers');
    for (const pid of pids) {
      const environ = readFileSync(`/proc/${pid}/environ`);
      assert.equal(environ.includes('TRENT_TEST_ALICE_SECRET'), false, `TRENT_TEST_ALICE_SECRET in /proc/${pid}/environ`);
      assert.equal(environ.includes(ALICE.secretAccessKey), false, `the secret in /proc/${pid}/environ`);
    }
  });

  it('logs no secret', () => {
    for (const secret of SECRETS) assert.ok(!server.spawned.logs().includes(secret), 'a secret in the server log');
  });

  describe('other clients', () => {
    /** The environment of a fresh AWS user with these credentials, no profile files. */
    const awsEnvironment = (credentials: Credentials): NodeJS.ProcessEnv => {
      const env: NodeJS.ProcessEnv = {};
      for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('AWS_')) env[name] = value;
      return {
        ...env,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        ...(credentials.sessionToken !== undefined && { AWS_SESSION_TOKEN: credentials.sessionToken }),
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CONFIG_FILE: join(workDir, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_MAX_ATTEMPTS: '1',
      };
    };
    const run = (command: string, args: string[], credentials: Credentials) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
        execFile(command, args, { env: awsEnvironment(credentials), timeout: 60_000 }, (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') reject(error);
          else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
        });
      });

    it('the aws CLI: list-keys with the session credentials of a role; a wrong secret fails', async () => {
      const ok = await run('aws', ['--endpoint-url', server.url, '--output', 'json', 'kms', 'list-keys'], BOB);
      assert.equal(ok.code, 0, ok.stderr);
      assert.ok(Array.isArray((JSON.parse(ok.stdout) as { Keys: unknown }).Keys));
      const bad = await run('aws', ['--endpoint-url', server.url, '--output', 'json', 'kms', 'list-keys'], { ...ALICE, secretAccessKey: 'wrong' });
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /\(InvalidSignatureException\)/);
      assert.ok(bad.stderr.includes(MISMATCH), bad.stderr);
    });

    it('boto3: create_key and encrypt as an IAM user; an unknown key is UnrecognizedClientException', async () => {
      const script = `
import json, sys, boto3
kms = boto3.client('kms', endpoint_url=sys.argv[1])
key = kms.create_key()['KeyMetadata']
blob = kms.encrypt(KeyId=key['KeyId'], Plaintext=b'boto3')['CiphertextBlob']
plain = kms.decrypt(CiphertextBlob=blob)['Plaintext']
other = boto3.client('kms', endpoint_url=sys.argv[1], aws_access_key_id='AKIANOSUCHKEY0000001', aws_secret_access_key='x')
try:
    other.list_keys()
    refused = None
except Exception as e:
    refused = e.response['Error']
print(json.dumps({'arn': key['Arn'], 'plain': plain.decode(), 'refused': refused}))
`;
      const result = await run('python3', ['-c', script, server.url], ALICE);
      assert.equal(result.code, 0, result.stderr);
      const out = JSON.parse(result.stdout) as { arn: string; plain: string; refused: { Code: string; Message: string } };
      assert.match(out.arn, /^arn:aws:kms:us-east-1:111122223333:key\//);
      assert.equal(out.plain, 'boto3');
      assert.deepEqual(out.refused, { Code: 'UnrecognizedClientException', Message: INVALID_TOKEN });
    });
  });
});

describe('listening on every address', { skip: needsOwnServer('servers started with --host 0.0.0.0') }, () => {
  it('an authenticated server starts on 0.0.0.0 and verifies requests', async () => {
    const server = await spawnServer({ env: SERVER_ENV, args: ['--host', '0.0.0.0'] });
    try {
      assert.match(server.url, /^http:\/\/0\.0\.0\.0:\d+$/);
      const url = `http://127.0.0.1:${new URL(server.url).port}`;
      const request = await signedRequest({ operation: 'ListKeys', credentials: ROOT, host: new URL(url).host, body: {} });
      assert.equal((await sendRaw(url, request)).status, 200);
      delete request.headers['authorization'];
      assert.equal((await sendRaw(url, request)).body.__type, 'MissingAuthenticationTokenException');
    } finally {
      await server.stop();
      removeDataDir(server.dataDir);
    }
  });

  it('a development-mode server refuses to start on 0.0.0.0, saying how to configure accounts', async () => {
    const dataDir = tempDataDir();
    const refused = await spawnServer({ dataDir, args: ['--host', '0.0.0.0'] })
      .then(
        async (server) => {
          await server.stop();
          return undefined;
        },
        (err: Error) => err.message,
      )
      .finally(() => removeDataDir(dataDir));
    assert.ok(refused !== undefined, 'the server started');
    assert.match(refused, /server exited with 1: trent: refusing to listen on 0\.0\.0\.0: without configured accounts Trent authenticates nobody/);
    assert.match(refused, /configure accounts and their access keys under `accounts:` in the --config file/);
  });
});
