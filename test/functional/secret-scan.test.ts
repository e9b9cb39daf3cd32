/**
 * No secret is ever logged: a spawned server in authenticated mode at log level debug handles
 * requests that carry or produce known secrets (access keys' secrets and a session token from
 * the accounts config, the root key, data keys, private keys of data key pairs, plaintexts,
 * random bytes, a shared secret), including refused ones (a wrong signature, a plaintext over
 * the limit, a ciphertext under the wrong context). Then its logs (stderr and stdout), its audit
 * log and its database files are scanned for every secret in base64, base64url, hex and raw form.
 * Every log line written for a request carries that request's id.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeriveSharedSecretCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateRandomCommand,
  KMSClient,
  ListKeysCommand,
} from '@aws-sdk/client-kms';
import { needsOwnServer } from '../helpers/functional.js';
import { ALICE, BOB, ROOT, type Credentials } from '../helpers/sigv4.js';
import { removeDataDir, spawnServer, tempDataDir, type SpawnedServer } from '../helpers/spawn-server.js';

const ROOT_KEY = randomBytes(32);

function configFile(dir: string): string {
  const path = join(dir, 'trent.yaml');
  writeFileSync(
    path,
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
`,
  );
  return path;
}

/**
 * A secret as it could be written in text: base64, base64url, hex, and as JSON writes a Buffer
 * (`{"type":"Buffer","data":[1,2,...]}`, what a logged object holding the bytes would show).
 */
function forms(secret: Buffer): string[] {
  return [secret.toString('base64'), secret.toString('base64url'), secret.toString('hex'), secret.toString('hex').toUpperCase(), [...secret].join(',')];
}

describe('secret scan', { timeout: 60_000, skip: needsOwnServer('reads its logs, audit log and database') }, () => {
  let server: SpawnedServer | undefined;
  let stdout = '';
  const clients: KMSClient[] = [];
  const dataDir = tempDataDir();
  after(async () => {
    for (const client of clients) client.destroy();
    await server?.kill();
    removeDataDir(dataDir);
  });
  const client = (credentials: Credentials) => {
    const kms = new KMSClient({ endpoint: server?.url ?? '', region: 'us-east-1', credentials, maxAttempts: 1 });
    clients.push(kms);
    return kms;
  };

  it('secrets handled at debug level appear in no log, audit record or database file; every request line has its id', async () => {
    server = await spawnServer({
      dataDir,
      env: {
        TRENT_LOG_LEVEL: 'debug',
        TRENT_CONFIG: configFile(dataDir),
        TRENT_TEST_ALICE_SECRET: ALICE.secretAccessKey,
        TRENT_ROOT_KEY: ROOT_KEY.toString('base64'),
      },
    });
    server.process.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const secrets: { what: string; bytes: Buffer }[] = [
      { what: 'root key', bytes: ROOT_KEY },
      ...[ROOT, ALICE, BOB].map((c) => ({ what: `secret of ${c.accessKeyId}`, bytes: Buffer.from(c.secretAccessKey) })),
      { what: 'session token', bytes: Buffer.from(BOB.sessionToken as string) },
    ];
    const requestIds: string[] = [];
    const note = <T extends { $metadata: { requestId?: string } }>(answer: T): T => {
      requestIds.push(answer.$metadata.requestId as string);
      return answer;
    };
    const refused = async (call: Promise<unknown>, name: string) => {
      const err = (await call.then(
        () => assert.fail(`expected ${name}`),
        (e: unknown) => e,
      )) as { name: string; $metadata: { requestId?: string } };
      assert.equal(err.name, name);
      requestIds.push(err.$metadata.requestId as string);
    };

    const [root, alice, bob] = [client(ROOT), client(ALICE), client(BOB)];
    const keyId = note(await alice.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
    for (const KeyPairSpec of ['ECC_NIST_P256', 'ECC_NIST_EDWARDS25519', 'RSA_2048', 'ML_KEM_768'] as const) {
      const pair = note(await alice.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec, EncryptionContext: { purpose: 'scan' } })));
      secrets.push({ what: `${KeyPairSpec} private key`, bytes: Buffer.from(pair.PrivateKeyPlaintext as Uint8Array) });
      const decrypted = note(await bob.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: { purpose: 'scan' } })));
      assert.deepEqual(Buffer.from(decrypted.Plaintext as Uint8Array), Buffer.from(pair.PrivateKeyPlaintext as Uint8Array));
    }
    const dataKey = note(await root.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' })));
    secrets.push({ what: 'data key', bytes: Buffer.from(dataKey.Plaintext as Uint8Array) });
    const plaintext = Buffer.from('a known plaintext: the vault combination is 31-41-59');
    secrets.push({ what: 'plaintext', bytes: plaintext });
    const sealed = note(await alice.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: { a: 'b' } })));
    note(await alice.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { a: 'b' } })));
    await refused(alice.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { a: 'c' } })), 'InvalidCiphertextException');
    const tooLong = randomBytes(4097);
    secrets.push({ what: 'refused plaintext', bytes: tooLong });
    await refused(alice.send(new EncryptCommand({ KeyId: keyId, Plaintext: tooLong })), 'ValidationException');
    const random = note(await alice.send(new GenerateRandomCommand({ NumberOfBytes: 64 })));
    secrets.push({ what: 'random bytes', bytes: Buffer.from(random.Plaintext as Uint8Array) });

    const agreement = note(await alice.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' }))).KeyMetadata?.KeyId;
    const local = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const shared = note(
      await alice.send(new DeriveSharedSecretCommand({ KeyId: agreement, KeyAgreementAlgorithm: 'ECDH', PublicKey: local.publicKey.export({ type: 'spki', format: 'der' }) })),
    );
    secrets.push({ what: 'shared secret', bytes: Buffer.from(shared.SharedSecret as Uint8Array) });
    const grant = note(await alice.send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: 'arn:aws:iam::111122223333:role/bob', Operations: ['Decrypt'] })));
    secrets.push({ what: 'grant token', bytes: Buffer.from(grant.GrantToken as string) });

    // Signed with a wrong secret: the server must log neither the expected signature's key nor the secret.
    const wrong = client({ accessKeyId: ALICE.accessKeyId, secretAccessKey: 'not-alices-secret-at-all' });
    await refused(wrong.send(new ListKeysCommand({})), 'InvalidSignatureException');

    await server.stop(); // flushes every log line
    const logs = server.logs() + stdout;
    const audit = readFileSync(join(dataDir, 'audit.log'), 'utf8');
    const database = ['trent.db', 'trent.db-wal']
      .map((name) => join(dataDir, name))
      .filter((path) => existsSync(path))
      .map((path) => readFileSync(path));
    for (const { what, bytes } of secrets) {
      const text = [bytes.toString('utf8'), ...forms(bytes)];
      for (const form of text) {
        assert.ok(!logs.includes(form), `${what} is in the server's log`);
        assert.ok(!audit.includes(form), `${what} is in the audit log`);
      }
      for (const file of database) assert.equal(file.indexOf(bytes), -1, `${what} is in the database in plaintext`);
    }

    // Every line written while handling a request names it; each answered request has its line.
    const lines = logs
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; requestId?: string });
    const requestLines = lines.filter((line) => line.msg === 'request' || line.msg === 'ciphertext refused');
    assert.ok(requestLines.length >= requestIds.length);
    for (const line of requestLines) assert.match(line.requestId ?? '', /^[0-9a-f-]{36}$/, JSON.stringify(line));
    const logged = new Set(lines.map((line) => line.requestId));
    for (const id of requestIds) assert.ok(logged.has(id), `no log line for request ${id}`);
    assert.ok(lines.some((line) => line.msg === 'ciphertext refused' && requestIds.includes(line.requestId ?? '')));
  });
});
