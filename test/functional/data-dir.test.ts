/**
 * The data directory and the root key, against a spawned server: what it creates (a 0700
 * directory, 0600 files), what it refuses to start with (a directory or root.key owned by
 * another user or open to group/others, symlinks for root.key or trent.db, a database whose
 * root.key is missing, a root key that is not the database's), and that a deleted key's wrapped
 * material is gone from trent.db, -wal and -shm (PRAGMA secure_delete, then a WAL truncation).
 *
 * A refusal is seen as it is for an operator: the server exits with status 1 before it listens,
 * and its message names the file and the command that fixes it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import Database from 'better-sqlite3';
import { awsError, kmsClient } from '../helpers/clients.js';
import { needsOwnServer } from '../helpers/functional.js';
import { removeDataDir, spawnServer, tempDataDir, type SpawnedServer } from '../helpers/spawn-server.js';

const NOBODY = 65534;
const notRoot = process.getuid?.() === 0 ? false : 'needs root to chown a file to another user (uid 65534)';
const DB_FILES = ['trent.db', 'trent.db-wal', 'trent.db-shm'];

// Files must come out 0600 whatever umask the server inherits, so give it the usual, lax one.
process.umask(0o022);

const dataDirs: string[] = [];
function freshDataDir(): string {
  const dir = tempDataDir(); // mkdtemp: 0700, ours
  dataDirs.push(dir);
  return dir;
}

function writeRootKeyFile(path: string, mode = 0o600): Buffer {
  const key = randomBytes(32);
  writeFileSync(path, key.toString('base64') + '\n', { mode });
  chmodSync(path, mode);
  return key;
}

function modeOf(path: string): string {
  return (statSync(path).mode & 0o777).toString(8);
}

/** Starts a server that must refuse: it exits 1 before listening, with a message matching every pattern. */
async function expectRefusal(options: Parameters<typeof spawnServer>[0], ...patterns: RegExp[]): Promise<string> {
  const outcome = await spawnServer(options).then(
    (server) => server,
    (err: Error) => err,
  );
  if (!(outcome instanceof Error)) {
    await outcome.kill();
    assert.fail('the server started; it should have refused');
  }
  assert.match(outcome.message, /server exited with 1/);
  for (const pattern of patterns) assert.match(outcome.message, pattern);
  assert.doesNotMatch(outcome.message, /\n\s+at /, 'a refusal is a message, not a stack trace');
  return outcome.message;
}

/** Runs a server on `dataDir`, creates a symmetric key and encrypts with it, then stops. */
async function initialise(dataDir: string, env: Record<string, string> = {}): Promise<{ keyId: string; blob: Uint8Array }> {
  const server = await spawnServer({ dataDir, env });
  const client = kmsClient(server.url);
  try {
    const keyId = (await client.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    assert.ok(keyId);
    const blob = (await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('kept across restarts') }))).CiphertextBlob;
    assert.ok(blob);
    return { keyId, blob };
  } finally {
    client.destroy();
    await server.stop();
  }
}

async function decrypts(server: SpawnedServer, blob: Uint8Array): Promise<string> {
  const client = kmsClient(server.url);
  try {
    return Buffer.from((await client.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext ?? []).toString();
  } finally {
    client.destroy();
  }
}

describe('the data directory and the root key', { timeout: 60_000, skip: needsOwnServer('starts it on data directories it prepares') }, () => {
  after(() => {
    for (const dir of dataDirs) removeDataDir(dir);
  });

  it('creates the data directory 0700 and root.key, trent.db, -wal and -shm 0600 (under umask 022)', async () => {
    const dataDir = join(freshDataDir(), 'created', 'here');
    const server = await spawnServer({ dataDir });
    try {
      const client = kmsClient(server.url);
      await client.send(new CreateKeyCommand({})); // the WAL and its index exist while the server runs
      client.destroy();
      assert.equal(modeOf(dataDir), '700');
      for (const file of ['root.key', ...DB_FILES]) {
        assert.ok(existsSync(join(dataDir, file)), `${file} should exist`);
        assert.equal(modeOf(join(dataDir, file)), '600', `mode of ${file}`);
      }
    } finally {
      await server.stop();
    }
  });

  it('refuses a data directory that group or others can read, saying chmod 700', async () => {
    const dataDir = freshDataDir();
    chmodSync(dataDir, 0o755);
    await expectRefusal({ dataDir }, new RegExp(`chmod 700 ${dataDir}`));
    assert.equal(existsSync(join(dataDir, 'root.key')), false, 'nothing is created in a refused directory');
  });

  it('refuses a data directory owned by another user', { skip: notRoot }, async () => {
    const dataDir = freshDataDir();
    chownSync(dataDir, NOBODY, NOBODY);
    await expectRefusal({ dataDir }, /owned by uid 65534/, new RegExp(`chown 0 ${dataDir}`));
    assert.equal(existsSync(join(dataDir, 'root.key')), false, 'nothing is created in a refused directory');
  });

  it('refuses a root.key that group or others can read (0644), saying chmod 600', async () => {
    const dataDir = freshDataDir();
    writeRootKeyFile(join(dataDir, 'root.key'), 0o644);
    await expectRefusal({ dataDir }, new RegExp(`chmod 600 ${join(dataDir, 'root.key')}`));
  });

  it('refuses a root.key owned by another user', { skip: notRoot }, async () => {
    const dataDir = freshDataDir();
    const path = join(dataDir, 'root.key');
    writeRootKeyFile(path);
    chownSync(path, NOBODY, NOBODY);
    await expectRefusal({ dataDir }, /root\.key is owned by uid 65534/);
  });

  it('refuses a root.key that is a symbolic link', async () => {
    const dataDir = freshDataDir();
    const elsewhere = join(freshDataDir(), 'somebody-elses.key');
    writeRootKeyFile(elsewhere);
    symlinkSync(elsewhere, join(dataDir, 'root.key'));
    await expectRefusal({ dataDir }, /root\.key is a symbolic link/);
  });

  it('refuses a trent.db that is a symbolic link', async () => {
    const dataDir = freshDataDir();
    writeRootKeyFile(join(dataDir, 'root.key'));
    const elsewhere = join(freshDataDir(), 'other.db');
    writeFileSync(elsewhere, '', { mode: 0o600 }); // an empty file is an empty SQLite database
    symlinkSync(elsewhere, join(dataDir, 'trent.db'));
    await expectRefusal({ dataDir }, /trent\.db is a symbolic link/);
    assert.equal(readFileSync(elsewhere).length, 0, 'the link target was not written');
  });

  it('makes its own trent.db 0600 when an earlier Trent left it open to group and others', async () => {
    const dataDir = freshDataDir();
    await initialise(dataDir);
    chmodSync(join(dataDir, 'trent.db'), 0o644); // as Trent before 0.2 left it under umask 022
    const server = await spawnServer({ dataDir });
    try {
      assert.equal(modeOf(join(dataDir, 'trent.db')), '600');
    } finally {
      await server.stop();
    }
  });

  it('refuses a trent.db owned by another user', { skip: notRoot }, async () => {
    const dataDir = freshDataDir();
    await initialise(dataDir);
    chownSync(join(dataDir, 'trent.db'), NOBODY, NOBODY);
    await expectRefusal({ dataDir }, new RegExp(`${join(dataDir, 'trent.db')} is owned by uid ${NOBODY}`));
  });

  it('refuses to start when root.key is missing beside an existing database, and creates no new one', async () => {
    const dataDir = freshDataDir();
    await initialise(dataDir);
    rmSync(join(dataDir, 'root.key'));
    await expectRefusal({ dataDir }, /root\.key is missing/, /Restore root\.key/, /TRENT_ROOT_KEY/);
    assert.equal(existsSync(join(dataDir, 'root.key')), false, 'a database that exists never gets a new root key');
  });

  it('refuses a wrong TRENT_ROOT_KEY for an existing database; the right one starts and its data decrypts', async () => {
    const dataDir = freshDataDir();
    const right = randomBytes(32).toString('base64');
    const { blob } = await initialise(dataDir, { TRENT_ROOT_KEY: right });
    await expectRefusal({ dataDir, env: { TRENT_ROOT_KEY: randomBytes(32).toString('base64') } }, /not the root key of this database/);
    const server = await spawnServer({ dataDir, env: { TRENT_ROOT_KEY: right } });
    try {
      assert.equal(await decrypts(server, blob), 'kept across restarts');
    } finally {
      await server.stop();
    }
  });

  describe('a database from before root key check values', () => {
    const dataDir = freshDataDir();
    const right = randomBytes(32).toString('base64');
    let blob: Uint8Array;

    before(async () => {
      ({ blob } = await initialise(dataDir, { TRENT_ROOT_KEY: right }));
      // Back to schema version 1, as an earlier Trent left it: no stored check value (and no
      // table of the later migrations).
      const db = new Database(join(dataDir, 'trent.db'));
      db.exec(
        'DROP TABLE IF EXISTS reserved_pairs; DROP TABLE IF EXISTS grants; DROP TABLE IF EXISTS settings; DROP TABLE IF EXISTS key_usage; ' +
          'DROP INDEX IF EXISTS keys_due_for_rotation; ALTER TABLE keys DROP COLUMN rotation_period_days; ' +
          'ALTER TABLE keys DROP COLUMN next_rotation_date; ALTER TABLE keys DROP COLUMN usage_tracked_since; ' +
          'ALTER TABLE key_materials DROP COLUMN rotation_type; DROP INDEX IF EXISTS keys_material_expiry; ' +
          'ALTER TABLE keys DROP COLUMN expiration_model; ALTER TABLE keys DROP COLUMN valid_to; ' +
          'ALTER TABLE key_materials DROP COLUMN import_state; ALTER TABLE key_materials DROP COLUMN description; PRAGMA user_version = 1',
      );
      db.close();
    });

    it('refuses a root key that does not unwrap its stored key material, recording nothing', async () => {
      await expectRefusal({ dataDir, env: { TRENT_ROOT_KEY: randomBytes(32).toString('base64') } }, /does not unwrap/);
    });

    it('accepts the right root key, decrypts, and records its check value', async () => {
      const server = await spawnServer({ dataDir, env: { TRENT_ROOT_KEY: right } });
      try {
        assert.equal(await decrypts(server, blob), 'kept across restarts');
      } finally {
        await server.stop();
      }
      const db = new Database(join(dataDir, 'trent.db'), { readonly: true });
      try {
        const row = db.prepare("SELECT value FROM settings WHERE name = 'root_key_check'").get() as { value: string } | undefined;
        assert.match(row?.value ?? '', /^[0-9a-f]{64}$/);
      } finally {
        db.close();
      }
    });
  });

  it("removes a deleted key's wrapped material from trent.db, -wal and -shm", async () => {
    const dataDir = freshDataDir();
    const dbPath = join(dataDir, 'trent.db');
    let server = await spawnServer({ dataDir });
    let client = kmsClient(server.url);
    const doomed = (await client.send(new CreateKeyCommand({ Description: 'doomed' }))).KeyMetadata?.KeyId;
    const kept = (await client.send(new CreateKeyCommand({ Description: 'kept' }))).KeyMetadata?.KeyId;
    assert.ok(doomed && kept);
    await client.send(new ScheduleKeyDeletionCommand({ KeyId: doomed, PendingWindowInDays: 7 }));
    client.destroy();
    await server.stop();

    // Past its deletion window without waiting a week: the restarted server's first sweep deletes it.
    const db = new Database(dbPath);
    const wrappedOf = (keyId: string) =>
      (db.prepare('SELECT wrapped FROM key_materials WHERE key_id = ?').get(keyId) as { wrapped: Buffer }).wrapped;
    const doomedWrapped = wrappedOf(doomed);
    const keptWrapped = wrappedOf(kept);
    db.prepare('UPDATE keys SET deletion_date = 1 WHERE key_id = ?').run(doomed);
    db.close();

    const onDisk = (): Buffer => Buffer.concat(DB_FILES.map((f) => join(dataDir, f)).filter(existsSync).map((p) => readFileSync(p)));
    server = await spawnServer({ dataDir });
    try {
      client = kmsClient(server.url);
      assert.equal((await awsError(() => client.send(new DescribeKeyCommand({ KeyId: doomed })))).name, 'NotFoundException');
      await client.send(new CreateKeyCommand({ Description: 'written after the deletion' }));
      client.destroy();
      // Positive control: the kept key's wrapped material is found, so the search could find the other.
      assert.notEqual(onDisk().indexOf(keptWrapped), -1, "the kept key's wrapped material should be on disk");
      for (const file of DB_FILES.filter((f) => existsSync(join(dataDir, f)))) {
        assert.equal(readFileSync(join(dataDir, file)).indexOf(doomedWrapped), -1, `deleted key material found in ${file}`);
      }
    } finally {
      await server.stop();
    }
    assert.equal(onDisk().indexOf(doomedWrapped), -1, 'deleted key material found after a clean stop');
  });
});
