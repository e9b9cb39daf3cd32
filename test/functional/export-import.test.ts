/**
 * `trent export` / `trent import` as a user runs them, between a SQLite data directory and
 * PostgreSQL (a schema of its own in TRENT_TEST_DATABASE_URL) and back: keys made on a SQLite
 * server (symmetric with alias, tags, policy and grant; an asymmetric signing key) are exported
 * while that server runs, imported twice into PostgreSQL (the second import adds nothing), and a
 * server on PostgreSQL decrypts the old ciphertexts (from before and after a rotation), verifies the old signature and describes
 * the keys as before; exported again and imported into a new SQLite data directory, they still
 * decrypt. An archive imported under another root key is refused, writing nothing. Skipped,
 * saying why, when TRENT_TEST_DATABASE_URL is unset.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  ListKeyRotationsCommand,
  ListGrantsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  RotateKeyOnDemandCommand,
  SignCommand,
  VerifyCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { kmsClient } from '../helpers/clients.js';
import { needsOwnServer } from '../helpers/functional.js';
import { freshSchemaUrl, postgresSkipReason } from '../helpers/postgres.js';
import { MAIN, removeDataDir, spawnServer, tempDataDir, type SpawnedServer } from '../helpers/spawn-server.js';

const skip = postgresSkipReason || needsOwnServer('exports and imports the stores of servers it starts');

/** Runs `trent <args>`; resolves with its exit code and output. */
function trent(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

interface Before {
  symmetricKeyId: string;
  signingKeyId: string;
  ciphertext: Uint8Array;
  /** Made after a rotation, under the key's second material version. */
  rotatedCiphertext: Uint8Array;
  plaintext: Buffer;
  signature: Uint8Array;
  message: Buffer;
  alias: string;
  policy: string;
  describe: unknown;
}

async function checkKeys(kms: KMSClient, made: Before): Promise<void> {
  const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: made.ciphertext, EncryptionContext: { moved: 'yes' } }));
  assert.deepEqual(Buffer.from(decrypted.Plaintext ?? []), made.plaintext);
  const rotated = await kms.send(new DecryptCommand({ CiphertextBlob: made.rotatedCiphertext }));
  assert.equal(Buffer.from(rotated.Plaintext ?? []).toString(), 'after the rotation');
  assert.equal((await kms.send(new ListKeyRotationsCommand({ KeyId: made.symmetricKeyId }))).Rotations?.length, 1);
  const byAlias = await kms.send(new EncryptCommand({ KeyId: made.alias, Plaintext: Buffer.from('by alias') }));
  assert.match(byAlias.KeyId ?? '', new RegExp(made.symmetricKeyId));
  const verified = await kms.send(
    new VerifyCommand({ KeyId: made.signingKeyId, Message: made.message, Signature: made.signature, SigningAlgorithm: 'ECDSA_SHA_256' }),
  );
  assert.equal(verified.SignatureValid, true);
  assert.deepEqual((await kms.send(new DescribeKeyCommand({ KeyId: made.symmetricKeyId }))).KeyMetadata, made.describe);
  assert.deepEqual((await kms.send(new ListResourceTagsCommand({ KeyId: made.symmetricKeyId }))).Tags, [{ TagKey: 'team', TagValue: 'crypto' }]);
  assert.equal((await kms.send(new GetKeyPolicyCommand({ KeyId: made.symmetricKeyId, PolicyName: 'default' }))).Policy, made.policy);
  const grants = (await kms.send(new ListGrantsCommand({ KeyId: made.symmetricKeyId }))).Grants ?? [];
  assert.deepEqual(grants.map((g) => g.Name), ['moved-grant']);
}

describe('trent export / trent import between SQLite and PostgreSQL', { skip, timeout: 180_000 }, () => {
  const dirs: string[] = [];
  const servers: SpawnedServer[] = [];
  const clients: KMSClient[] = [];
  let made: Before;
  let sqliteDir: string;
  let url: string;

  async function serve(options: Parameters<typeof spawnServer>[0]): Promise<KMSClient> {
    const server = await spawnServer(options);
    servers.push(server);
    const client = kmsClient(server.url);
    clients.push(client);
    return client;
  }

  const stopAll = async () => {
    for (const client of clients.splice(0)) client.destroy();
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  };

  before(async () => {
    url = await freshSchemaUrl('trent_archive');
    sqliteDir = tempDataDir();
    dirs.push(sqliteDir);
    const kms = await serve({ dataDir: sqliteDir });
    const symmetricKeyId = (await kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'team', TagValue: 'crypto' }] }))).KeyMetadata?.KeyId as string;
    const signingKeyId = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata?.KeyId as string;
    const alias = `alias/moved-${randomBytes(3).toString('hex')}`;
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: symmetricKeyId }));
    await kms.send(
      new CreateGrantCommand({ KeyId: symmetricKeyId, GranteePrincipal: 'arn:aws:iam::111122223333:role/app', Operations: ['Decrypt'], Name: 'moved-grant' }),
    );
    const plaintext = randomBytes(100);
    const message = randomBytes(40);
    const ciphertext = (await kms.send(new EncryptCommand({ KeyId: symmetricKeyId, Plaintext: plaintext, EncryptionContext: { moved: 'yes' } })))
      .CiphertextBlob as Uint8Array;
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: symmetricKeyId }));
    const rotatedCiphertext = (await kms.send(new EncryptCommand({ KeyId: symmetricKeyId, Plaintext: Buffer.from('after the rotation') })))
      .CiphertextBlob as Uint8Array;
    made = {
      symmetricKeyId,
      signingKeyId,
      alias,
      plaintext,
      message,
      ciphertext,
      rotatedCiphertext,
      signature: (await kms.send(new SignCommand({ KeyId: signingKeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' })))
        .Signature as Uint8Array,
      policy: (await kms.send(new GetKeyPolicyCommand({ KeyId: symmetricKeyId, PolicyName: 'default' }))).Policy as string,
      describe: (await kms.send(new DescribeKeyCommand({ KeyId: symmetricKeyId }))).KeyMetadata,
    };
  });

  after(async () => {
    await stopAll();
    for (const dir of dirs) removeDataDir(dir);
  });

  it('exports from SQLite while its server runs, imports into PostgreSQL once (twice adds nothing), and the keys work there', async () => {
    const archive = join(sqliteDir, 'archive.json');
    const exported = await trent(['export', '--out', archive, '--data-dir', sqliteDir]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /^exported 2 keys, 1 aliases and 1 grants to /);
    assert.equal(statSync(archive).mode & 0o777, 0o600);
    const rootKeyText = readFileSync(join(sqliteDir, 'root.key'), 'latin1').trim();
    assert.equal(readFileSync(archive, 'utf8').includes(rootKeyText), false, 'the archive never holds the root key');
    await stopAll();

    // The PostgreSQL servers take the SQLite server's root key from its root.key, in --data-dir.
    const first = await trent(['import', archive, '--data-dir', sqliteDir, '--database-url', url]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /keys 2 added, 0 already present; aliases 1 added, 0 already present; grants 1 added, 0 already present/);
    const second = await trent(['import', archive, '--data-dir', sqliteDir], { TRENT_DATABASE_URL: url });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /keys 0 added, 2 already present; aliases 0 added, 1 already present; grants 0 added, 1 already present/);

    const kms = await serve({ dataDir: sqliteDir, env: { TRENT_DATABASE_URL: url } });
    await checkKeys(kms, made);
    assert.equal((await kms.send(new ListKeysCommand({}))).Keys?.length, 2);
    await stopAll();
  });

  it('exports from PostgreSQL and imports into a new SQLite data directory with the same root key: the old ciphertexts decrypt', async () => {
    const back = tempDataDir();
    dirs.push(back);
    copyFileSync(join(sqliteDir, 'root.key'), join(back, 'root.key'));
    const archive = join(back, 'from-postgres.json');
    const exported = await trent(['export', '--out', archive, '--data-dir', sqliteDir, '--database-url', url]);
    assert.equal(exported.code, 0, exported.stderr);
    const imported = await trent(['import', archive, '--data-dir', back]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /keys 2 added/);
    const kms = await serve({ dataDir: back });
    await checkKeys(kms, made);
    await stopAll();
  });

  it('refuses an archive made under another root key, saying the root key does not match, and writes nothing', async () => {
    const archive = join(sqliteDir, 'archive.json');
    const other = tempDataDir();
    dirs.push(other);
    const refused = await trent(['import', archive, '--data-dir', other]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^trent: the archive's key material is wrapped under another root key .*the root key does not match/);
    const kms = await serve({ dataDir: other });
    assert.deepEqual((await kms.send(new ListKeysCommand({}))).Keys, []);
    await stopAll();
  });

  it('refuses a file that is not an archive, and an export with nothing to export', async () => {
    const notArchive = await trent(['import', join(sqliteDir, 'root.key'), '--data-dir', sqliteDir]);
    assert.equal(notArchive.code, 1);
    assert.match(notArchive.stderr, /^trent: the file is not a Trent archive/);
    const empty = tempDataDir();
    dirs.push(empty);
    const nothing = await trent(['export', '--out', join(empty, 'x.json'), '--data-dir', join(empty, 'absent')]);
    assert.equal(nothing.code, 1);
    assert.match(nothing.stderr, /there is no database to export/);
  });
});
