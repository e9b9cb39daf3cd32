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

  describe('migration 8: keys per (key_id, region)', () => {
    const WEST = { account: SCOPE.account, region: 'eu-west-1' };
    const OTHER_ID = '0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0';
    const GRANT = {
      granteePrincipal: 'arn:aws:iam::111122223333:role/app',
      operations: ['Decrypt' as const],
      issuingAccount: 'arn:aws:iam::111122223333:root',
    };

    /** A database at migration 7 with two keys in two Regions and everything they own. */
    function version7(): void {
      const old = new Database(path);
      for (const migration of sqliteMigrations.filter((m) => m.version <= 7)) old.exec(migration.sql);
      old.pragma('user_version = 7');
      const insertKey = old.prepare(
        `INSERT INTO keys (key_id, account, region, created_at, description, key_spec, key_usage, origin, state, policy, tags,
           current_material_version, revision, usage_tracked_since, rotation_period_days, next_rotation_date)
         VALUES (?, ?, ?, 1, 'old', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'AWS_KMS', ?, '{}', '[]', ?, ?, 2, ?, ?)`,
      );
      insertKey.run(KEY_ID, SCOPE.account, SCOPE.region, 'Enabled', 2, 3, 365, 5000);
      insertKey.run(OTHER_ID, WEST.account, WEST.region, 'PendingDeletion', 1, 1, null, null);
      old.prepare('UPDATE keys SET deletion_date = 7000, pending_window_days = 7 WHERE key_id = ?').run(OTHER_ID);
      const insertMaterial = old.prepare(
        'INSERT INTO key_materials (key_id, version, material_id, wrapped, created_at, rotation_type) VALUES (?, ?, ?, ?, ?, ?)',
      );
      insertMaterial.run(KEY_ID, 1, 'a'.repeat(64), Buffer.from([1, 1]), 10, null);
      insertMaterial.run(KEY_ID, 2, 'b'.repeat(64), Buffer.from([2, 2]), 20, 'AUTOMATIC');
      insertMaterial.run(OTHER_ID, 1, 'c'.repeat(64), Buffer.from([3, 3]), 30, null);
      const insertAlias = old.prepare('INSERT INTO aliases (account, region, alias_name, target_key_id, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 2)');
      insertAlias.run(SCOPE.account, SCOPE.region, 'alias/east', KEY_ID);
      insertAlias.run(WEST.account, WEST.region, 'alias/west', OTHER_ID);
      const insertGrant = old.prepare(
        `INSERT INTO grants (grant_id, key_id, account, region, name, grantee_principal, operations, issuing_account, created_at, identity)
         VALUES (?, ?, ?, ?, ?, ?, '["Decrypt"]', ?, 4, ?)`,
      );
      insertGrant.run('e'.repeat(64), KEY_ID, SCOPE.account, SCOPE.region, 'named', GRANT.granteePrincipal, GRANT.issuingAccount, 'identity-e');
      insertGrant.run('f'.repeat(64), OTHER_ID, WEST.account, WEST.region, null, GRANT.granteePrincipal, GRANT.issuingAccount, 'identity-f');
      old.prepare("INSERT INTO key_usage (key_id, operation, used_at, request_id) VALUES (?, 'Encrypt', 99, 'r-east')").run(KEY_ID);
      old.prepare("INSERT INTO key_usage (key_id, operation, used_at, request_id) VALUES (?, 'Decrypt', 98, 'r-west')").run(OTHER_ID);
      old.prepare("INSERT INTO settings (name, value) VALUES ('root_key_check', 'check')").run();
      old.close();
    }

    it('keeps every row of a migration 7 database, readable through the store, with each Region taken from its key', async () => {
      version7();
      const s = store();
      assert.equal(inspect().pragma('user_version', { simple: true }), LATEST_MIGRATION);
      assert.deepEqual(await s.getKey(SCOPE, KEY_ID), {
        ...keyRecord({ description: 'old', policy: '{}', tags: [], createdAt: 1, usageTrackedSince: 2 }),
        currentMaterialVersion: 2,
        revision: 3,
        rotationPeriodInDays: 365,
        nextRotationDate: 5000,
      });
      assert.equal((await s.getKey(WEST, OTHER_ID))?.state, 'PendingDeletion');
      assert.equal(await s.getKey(SCOPE, OTHER_ID), undefined);
      assert.deepEqual(await s.listMaterials({ keyId: KEY_ID, region: SCOPE.region }, { limit: 10 }), [
        { keyId: KEY_ID, region: SCOPE.region, version: 1, materialId: 'a'.repeat(64), wrapped: Buffer.from([1, 1]), createdAt: 10 },
        { keyId: KEY_ID, region: SCOPE.region, version: 2, materialId: 'b'.repeat(64), wrapped: Buffer.from([2, 2]), createdAt: 20, rotationType: 'AUTOMATIC' },
      ]);
      assert.equal((await s.getMaterial({ keyId: OTHER_ID, region: WEST.region }, 1))?.wrapped.toString('hex'), '0303');
      assert.equal((await s.getAlias(SCOPE, 'alias/east'))?.targetKeyId, KEY_ID);
      assert.equal((await s.getAlias(WEST, 'alias/west'))?.targetKeyId, OTHER_ID);
      assert.equal((await s.getGrant(SCOPE, KEY_ID, 'e'.repeat(64)))?.name, 'named');
      assert.equal((await s.getGrant(WEST, OTHER_ID, 'f'.repeat(64)))?.keyId, OTHER_ID);
      assert.deepEqual(await s.getKeyUsage({ keyId: KEY_ID, region: SCOPE.region }), {
        keyId: KEY_ID, region: SCOPE.region, operation: 'Encrypt', at: 99, requestId: 'r-east',
      });
      assert.equal((await s.getKeyUsage({ keyId: OTHER_ID, region: WEST.region }))?.requestId, 'r-west');
      assert.equal(await s.rootKeyCheck(), 'check');
      assert.deepEqual((await s.keysDueForDeletion(7000, 10)).map((k) => k.keyId), [OTHER_ID]);
      assert.deepEqual((await s.keysDueForRotation(5000, 10)).map((k) => k.keyId), [KEY_ID]);
      assert.deepEqual(inspect().pragma('foreign_key_check'), []);
    });

    it('recreates every index, and the foreign keys on (key id, Region) with their cascades', () => {
      version7();
      store();
      const indexes = (inspect().prepare("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").all() as {
        name: string;
        tbl_name: string;
      }[]).map((i) => `${i.tbl_name}.${i.name}`);
      assert.deepEqual(indexes, [
        'aliases.aliases_by_target',
        'grants.grants_by_name',
        'grants.grants_of_grantee',
        'grants.grants_of_key',
        'grants.grants_of_retiring_principal',
        'keys.keys_by_scope',
        'keys.keys_due_for_rotation',
        'keys.keys_material_expiry',
        'keys.keys_pending_deletion',
        'reserved_pairs.reserved_pairs_by_spec',
      ]);
      const keyColumns = (table: string) =>
        (inspect().pragma(`foreign_key_list(${table})`) as { table: string; from: string; to: string; on_delete: string }[]).map(
          (fk) => `${fk.from}->${fk.table}.${fk.to} ${fk.on_delete}`,
        );
      assert.deepEqual(keyColumns('key_materials'), ['key_id->keys.key_id CASCADE', 'region->keys.region CASCADE']);
      assert.deepEqual(keyColumns('aliases'), ['target_key_id->keys.key_id CASCADE', 'region->keys.region CASCADE']);
      assert.deepEqual(keyColumns('grants'), ['key_id->keys.key_id CASCADE', 'region->keys.region CASCADE']);
      assert.deepEqual(keyColumns('key_usage'), ['key_id->keys.key_id CASCADE', 'region->keys.region CASCADE']);
    });

    it('enforces the composite foreign keys: rows must name a key in their Region, and go with that regional key only', async () => {
      version7();
      const s = store();
      // The same key id in a second Region (a multi-Region replica) with rows of its own.
      await s.createKey(keyRecord({ ...WEST, description: 'replica' }), {
        keyId: KEY_ID, region: WEST.region, version: 1, materialId: 'a'.repeat(64), wrapped: Buffer.from([1, 1]), createdAt: 10,
      });
      assert.ok(await s.createGrant({ ...WEST, grantId: 'd'.repeat(64), keyId: KEY_ID, ...GRANT, createdAt: 5 }));
      const db = (s as unknown as { connection: { db: Database.Database } }).connection.db;
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are on again after the migration');
      assert.throws(
        () => db.prepare("INSERT INTO key_materials (key_id, region, version, material_id, wrapped, created_at) VALUES (?, 'ap-south-1', 1, 'x', x'00', 1)").run(KEY_ID),
        /FOREIGN KEY constraint failed/,
      );
      assert.throws(
        () => db.prepare("INSERT INTO aliases (account, region, alias_name, target_key_id, created_at, updated_at) VALUES (?, ?, 'alias/x', ?, 1, 1)").run(WEST.account, WEST.region, 'no-such-key'),
        /FOREIGN KEY constraint failed/,
      );

      assert.equal(await s.deleteKey(SCOPE, KEY_ID), true);
      const count = (sql: string) => inspect().prepare(sql).pluck().get(KEY_ID) as number;
      assert.equal(count("SELECT count(*) FROM key_materials WHERE key_id = ? AND region = 'us-east-1'"), 0);
      assert.equal(count("SELECT count(*) FROM key_materials WHERE key_id = ? AND region = 'eu-west-1'"), 1, "the replica's material stays");
      assert.equal(count("SELECT count(*) FROM grants WHERE key_id = ? AND region = 'us-east-1'"), 0);
      assert.equal(count("SELECT count(*) FROM grants WHERE key_id = ? AND region = 'eu-west-1'"), 1, "the replica's grant stays");
      assert.equal(count("SELECT count(*) FROM aliases WHERE target_key_id = ?"), 0);
      assert.equal(count("SELECT count(*) FROM key_usage WHERE key_id = ?"), 0);
      assert.equal((await s.getKey(WEST, KEY_ID))?.description, 'replica');
    });
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
