/**
 * What only SQLite needs for the root key check value and for deleted key material: two
 * connections racing to record a check value agree, a database at schema version 1 (before
 * check values) upgrades keeping its data, and a deleted key's wrapped bytes are gone from the
 * database file, its WAL and its index once scrubDeleted has run (secure_delete zeroes the row;
 * the TRUNCATE checkpoint drops the WAL frames that still held older images of its page).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { sqliteMigrations } from '../../src/storage/migrations/sqlite.js';
import { SqliteStore } from '../../src/storage/sqlite.js';
import type { KeyMaterialRecord, KeyRecord } from '../../src/storage/types.js';
import { testKeyRecord } from '../helpers/records.js';

const SCOPE = { account: '111122223333', region: 'us-east-1' };
const DAY_MS = 24 * 60 * 60 * 1000;

const keyRecord = (keyId: string): KeyRecord => testKeyRecord(keyId, { ...SCOPE, createdAt: Date.UTC(2026, 0, 1), description: 'deletion test key' });

function material(keyId: string): KeyMaterialRecord {
  return { keyId, region: SCOPE.region, version: 1, materialId: 'e'.repeat(64), wrapped: randomBytes(60), createdAt: 1 };
}

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('SQLite: root key check value, schema upgrade, deleted material', () => {
  let path: string;
  const stores: SqliteStore[] = [];
  function store(): SqliteStore {
    const s = new SqliteStore(path);
    stores.push(s);
    return s;
  }
  const files = () => ['', '-wal', '-shm'].map((suffix) => path + suffix).filter(existsSync);
  const onDisk = (): Buffer => Buffer.concat(files().map((p) => readFileSync(p)));

  beforeEach(() => {
    const dir = mkdtempSync(join(tmpdir(), 'trent-sqlite-deletion-test-'));
    tempDirs.push(dir);
    path = join(dir, 'trent.db');
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it('two connections recording different check values get the same stored one', async () => {
    const a = store();
    const b = store();
    const answers = await Promise.all([a.setRootKeyCheckIfAbsent('a'.repeat(64)), b.setRootKeyCheckIfAbsent('b'.repeat(64))]);
    assert.equal(answers[0], answers[1]);
    assert.equal(await a.rootKeyCheck(), answers[0]);
    assert.equal(await b.rootKeyCheck(), answers[0]);
  });

  it('upgrades a database at schema version 1, keeping its keys, with no check value yet', async () => {
    const first = sqliteMigrations.find((m) => m.version === 1);
    assert.ok(first);
    const db = new Database(path);
    db.exec(first.sql);
    db.pragma('user_version = 1');
    const wrapped = randomBytes(60);
    db.prepare(
      `INSERT INTO keys (key_id, account, region, created_at, description, key_spec, key_usage, origin, state, policy, tags,
         current_material_version, revision) VALUES ('k1', ?, ?, 0, '', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'AWS_KMS', 'Enabled', '{}', '[]', 1, 1)`,
    ).run(SCOPE.account, SCOPE.region);
    db.prepare("INSERT INTO key_materials (key_id, version, material_id, wrapped, created_at) VALUES ('k1', 1, 'm', ?, 0)").run(wrapped);
    db.close();

    const s = store();
    assert.equal(await s.rootKeyCheck(), undefined);
    assert.deepEqual((await s.anyMaterial())?.wrapped, wrapped);
    assert.equal(await s.setRootKeyCheckIfAbsent('c'.repeat(64)), 'c'.repeat(64));
  });

  it('runs its connection with secure_delete on', () => {
    const db = (store() as unknown as { connection: { db: Database.Database } }).connection.db;
    assert.equal(db.pragma('secure_delete', { simple: true }), 1);
  });

  it("leaves no byte of a deleted key's wrapped material in trent.db, -wal or -shm after scrubDeleted", async () => {
    const s = store();
    const doomed = material('doomed');
    const kept = material('kept');
    await s.createKey(keyRecord('doomed'), doomed);
    await s.createKey(keyRecord('kept'), kept);
    await s.updateKey({ ...keyRecord('doomed'), state: 'PendingDeletion', deletionDate: DAY_MS, pendingWindowInDays: 7 }, 1);
    assert.equal(await s.deleteKey(SCOPE, 'doomed', 2), true);
    // Control: the deletion alone leaves the bytes in the WAL's older page images.
    assert.notEqual(onDisk().indexOf(doomed.wrapped), -1, 'the WAL should still hold the deleted material before the scrub');

    assert.equal(await s.scrubDeleted(), true);
    for (const file of files()) assert.equal(readFileSync(file).indexOf(doomed.wrapped), -1, `deleted material found in ${file}`);
    assert.equal(statSync(`${path}-wal`).size, 0, 'the WAL is cut to zero bytes');
    assert.notEqual(onDisk().indexOf(kept.wrapped), -1, "the kept key's material is still there");
    assert.deepEqual((await s.getMaterial({ keyId: 'kept', region: SCOPE.region }, 1))?.wrapped, kept.wrapped);

    await s.close();
    assert.equal(onDisk().indexOf(doomed.wrapped), -1, 'deleted material found after closing');
  });
});
