/**
 * The SQLite store: the shared Store contract (a fresh database in a fresh temp directory per
 * test), then what only SQLite has: WAL with synchronous=FULL, schema migrations recorded in
 * user_version, reopening and sharing a database file, and key material that is only ever on
 * disk wrapped by the root key.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { RootKey } from '../../src/crypto/root-key.js';
import { sqliteMigrations } from '../../src/storage/migrations/sqlite.js';
import { SqliteStore } from '../../src/storage/sqlite.js';
import type { KeyRecord, Store } from '../../src/storage/types.js';
import { testKeyRecord } from '../helpers/records.js';
import { storeContract } from './store.case.js';

const tempDirs: string[] = [];

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trent-sqlite-test-'));
  tempDirs.push(dir);
  return dir;
}

after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const paths = new WeakMap<Store, string>();
storeContract(
  'sqlite',
  () => {
    const path = join(freshDir(), 'trent.db');
    const store = new SqliteStore(path);
    paths.set(store, path);
    return store;
  },
  // A second connection to the same file, as another worker or server process opens it.
  { sibling: (store) => new SqliteStore(paths.get(store) as string) },
);

const SCOPE = { account: '111122223333', region: 'us-east-1' };
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';

function keyRecord(overrides: Partial<KeyRecord> = {}): KeyRecord {
  return testKeyRecord(KEY_ID, { ...SCOPE, createdAt: Date.UTC(2026, 0, 1), description: 'sqlite test key', ...overrides });
}

const LATEST_MIGRATION = Math.max(...sqliteMigrations.map((m) => m.version));

describe('SqliteStore specifics', () => {
  let dir: string;
  let path: string;
  const open: Database.Database[] = [];
  const stores: SqliteStore[] = [];

  function store(): SqliteStore {
    const s = new SqliteStore(path);
    stores.push(s);
    return s;
  }

  /** A second, independent connection to the same file, as another process would have. */
  function inspect(): Database.Database {
    const db = new Database(path, { readonly: true });
    open.push(db);
    return db;
  }

  beforeEach(() => {
    dir = freshDir();
    path = join(dir, 'trent.db');
  });
  afterEach(async () => {
    for (const db of open.splice(0)) db.close();
    for (const s of stores.splice(0)) await s.close();
  });

  it('puts the database file in WAL mode (seen from a second connection)', () => {
    store();
    assert.equal(inspect().pragma('journal_mode', { simple: true }), 'wal');
  });

  it("runs its own connection with synchronous=FULL (2)", () => {
    // synchronous is a per-connection setting, not stored in the file: a second connection
    // reports its own default (better-sqlite3 builds default WAL connections to NORMAL = 1), so
    // the store's own connection is the only place the setting can be observed.
    const s = store();
    const db = (s as unknown as { connection: { db: Database.Database } }).connection.db;
    assert.equal(db.pragma('synchronous', { simple: true }), 2);
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  });

  it('records the last migration in user_version and creates the schema', () => {
    store();
    const db = inspect();
    assert.ok(LATEST_MIGRATION >= 1);
    assert.equal(db.pragma('user_version', { simple: true }), LATEST_MIGRATION);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
      (t) => t.name,
    );
    assert.deepEqual(tables, ['aliases', 'grants', 'key_materials', 'key_usage', 'keys', 'reserved_pairs', 'settings']);
  });

  it('answers grantsForGrantee, which every access decision will read, from one index', () => {
    // The statement grantsForGrantee runs, explained on the store's own connection.
    const connection = (store() as unknown as { connection: { db: Database.Database; statements: Record<string, Database.Statement> } }).connection;
    const source = connection.statements.listGrantsOfGrantee?.source;
    assert.ok(source);
    const plan = connection.db.prepare(`EXPLAIN QUERY PLAN ${source}`).all('k', 'a', 'r', 'p', '', -1) as { detail: string }[];
    assert.deepEqual(plan.map((step) => step.detail), ['SEARCH grants USING INDEX grants_of_grantee (key_id=? AND region=? AND grantee_principal=? AND grant_id>?)']);
  });

  it('reopens an existing database without re-running migrations, keeping its data', async () => {
    const first = store();
    await first.createKey(keyRecord(), { keyId: KEY_ID, region: SCOPE.region, version: 1, materialId: 'a'.repeat(64), wrapped: Buffer.from([1, 2, 3]), createdAt: 5 });
    await first.createAlias({ ...SCOPE, aliasName: 'alias/kept', targetKeyId: KEY_ID, createdAt: 6, updatedAt: 7 });
    await first.close();

    const second = store(); // would throw "table keys already exists" if migration 1 ran again
    assert.deepEqual(await second.getKey(SCOPE, KEY_ID), keyRecord());
    assert.deepEqual((await second.getMaterial({ keyId: KEY_ID, region: SCOPE.region }, 1))?.wrapped, Buffer.from([1, 2, 3]));
    assert.equal((await second.getAlias(SCOPE, 'alias/kept'))?.targetKeyId, KEY_ID);
    assert.equal(inspect().pragma('user_version', { simple: true }), LATEST_MIGRATION);
  });

  it('upgrades a database of migration 2 to grants, keeping its keys, and deletes grants with their key', async () => {
    const old = new Database(path);
    for (const migration of sqliteMigrations.filter((m) => m.version <= 2)) old.exec(migration.sql);
    old.pragma('user_version = 2');
    // Keys of a database older than migration 5 are tracked from the upgrade on.
    const key = keyRecord();
    old.prepare(
      `INSERT INTO keys (key_id, account, region, created_at, description, key_spec, key_usage, origin, state, policy, tags,
         current_material_version, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(key.keyId, key.account, key.region, key.createdAt, key.description, key.keySpec, key.keyUsage, key.origin, key.state,
      key.policy, JSON.stringify(key.tags), key.currentMaterialVersion, key.revision);
    old.close();
    const before = store();
    assert.equal(inspect().pragma('user_version', { simple: true }), LATEST_MIGRATION);
    const { usageTrackedSince, ...asBefore } = (await before.getKey(SCOPE, KEY_ID)) as KeyRecord;
    assert.deepEqual(asBefore, key);
    assert.equal(typeof usageTrackedSince, 'number');
    const grant = { ...SCOPE, grantId: 'f'.repeat(64), keyId: KEY_ID, granteePrincipal: 'arn:aws:iam::111122223333:role/app',
      operations: ['Decrypt' as const], issuingAccount: 'arn:aws:iam::111122223333:root', createdAt: 1 };
    assert.deepEqual(await before.createGrant(grant), grant);
    assert.equal(await before.deleteKey(SCOPE, KEY_ID), true);
    assert.equal((inspect().prepare('SELECT count(*) FROM grants').pluck().get() as number), 0, 'ON DELETE CASCADE');
  });

  it('upgrades a database of migration 3 to rotation (migration 4): its keys and material read as before, and rotate', async () => {
    const old = new Database(path);
    for (const migration of sqliteMigrations.filter((m) => m.version <= 3)) old.exec(migration.sql);
    old.pragma('user_version = 3');
    const key = keyRecord();
    old.prepare(
      `INSERT INTO keys (key_id, account, region, created_at, description, key_spec, key_usage, origin, state, policy, tags,
         current_material_version, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(key.keyId, key.account, key.region, key.createdAt, key.description, key.keySpec, key.keyUsage, key.origin, key.state,
      key.policy, JSON.stringify(key.tags), key.currentMaterialVersion, key.revision);
    old.prepare('INSERT INTO key_materials (key_id, version, material_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?)').run(
      KEY_ID, 1, 'c'.repeat(64), Buffer.from([9, 8, 7]), 11,
    );
    old.close();
    const beforeUpgrade = Date.now();
    const upgraded = store();
    assert.equal(inspect().pragma('user_version', { simple: true }), LATEST_MIGRATION);
    const read = await upgraded.getKey(SCOPE, KEY_ID);
    // Migration 5: a key that existed before usage tracking is tracked from the upgrade on.
    const since = read?.usageTrackedSince ?? 0;
    assert.ok(since >= Math.floor(beforeUpgrade / 1000) * 1000 && since <= Date.now(), String(since));
    assert.deepEqual(read, { ...key, usageTrackedSince: since });
    assert.deepEqual(await upgraded.getMaterial(keyRecord(), 1), { keyId: KEY_ID, region: SCOPE.region, version: 1, materialId: 'c'.repeat(64), wrapped: Buffer.from([9, 8, 7]), createdAt: 11 });
    assert.equal(await upgraded.updateKey({ ...key, usageTrackedSince: since, rotationPeriodInDays: 365, nextRotationDate: 1000 }, 1), true);
    assert.deepEqual((await upgraded.keysDueForRotation(1000, 10)).map((k) => k.keyId), [KEY_ID]);
    const rotated = { keyId: KEY_ID, region: SCOPE.region, version: 2, materialId: 'd'.repeat(64), wrapped: Buffer.from([1]), createdAt: 1000, rotationType: 'AUTOMATIC' as const };
    assert.equal(await upgraded.addMaterial(SCOPE, rotated, 2), true);
    assert.deepEqual(await upgraded.listMaterials(keyRecord(), { limit: 10, after: 1 }), [rotated]);
  });

  it('creates missing parent directories of the database file', async () => {
    path = join(dir, 'nested', 'deeper', 'trent.db');
    const s = store();
    await s.createKey(keyRecord());
    assert.ok(existsSync(path));
  });

  it('lets two connections share one file: writes are seen, and revisions serialise their updates', async () => {
    const a = store();
    const b = store();
    await a.createKey(keyRecord());
    const seenByB = await b.getKey(SCOPE, KEY_ID);
    assert.deepEqual(seenByB, keyRecord());
    assert.equal(await a.updateKey({ ...keyRecord(), state: 'Disabled' }, 1), true);
    assert.equal(await b.updateKey({ ...keyRecord(), description: 'lost update' }, 1), false);
    assert.deepEqual(await b.getKey(SCOPE, KEY_ID), { ...keyRecord(), state: 'Disabled', revision: 2 });
  });

  it("sees another connection's commits at once, though it caches key records", async () => {
    const a = store();
    const b = store();
    await a.createKey(keyRecord());
    assert.equal((await b.getKey(SCOPE, KEY_ID))?.state, 'Enabled'); // now cached by b
    assert.equal((await b.getKey(SCOPE, KEY_ID))?.state, 'Enabled');
    assert.equal(await a.updateKey({ ...keyRecord(), state: 'Disabled' }, 1), true);
    assert.equal((await b.getKey(SCOPE, KEY_ID))?.state, 'Disabled');
    assert.equal(await a.deleteKey(SCOPE, KEY_ID), true);
    assert.equal(await b.getKey(SCOPE, KEY_ID), undefined);
  });

  it('never writes key material in plaintext: the db and WAL files hold only the root-key-wrapped form', async () => {
    const rootKeyBytes = randomBytes(32);
    const rootKey = RootKey.fromBytes(rootKeyBytes);
    const plaintext = randomBytes(32);
    const wrapped = rootKey.wrap(plaintext, KEY_ID, 1);
    const s = store();
    await s.createKey(keyRecord(), { keyId: KEY_ID, region: SCOPE.region, version: 1, materialId: 'b'.repeat(64), wrapped, createdAt: 1 });

    const onDisk = (): Buffer =>
      Buffer.concat(['', '-wal', '-journal'].map((suffix) => path + suffix).filter(existsSync).map((p) => readFileSync(p)));

    // Positive control: the wrapped bytes are found, so the search below could find the plaintext.
    assert.notEqual(onDisk().indexOf(wrapped), -1, 'the wrapped material should be on disk');
    assert.equal(onDisk().indexOf(plaintext), -1, 'plaintext key material found on disk');
    assert.equal(onDisk().indexOf(rootKeyBytes), -1, 'the root key found on disk');

    const stored = await s.getMaterial(keyRecord(), 1);
    assert.ok(stored);
    assert.deepEqual(rootKey.unwrap(stored.wrapped, KEY_ID, 1), plaintext);

    await s.close(); // checkpoints the WAL into the main file
    assert.notEqual(onDisk().indexOf(wrapped), -1);
    assert.equal(onDisk().indexOf(plaintext), -1, 'plaintext key material found on disk after checkpoint');
  });
});
