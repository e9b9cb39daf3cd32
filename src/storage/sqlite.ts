/**
 * The embedded default Store: SQLite through better-sqlite3, in WAL mode with synchronous=FULL,
 * so a write is on disk before its request is answered and survives `kill -9` or power loss.
 * Several server processes may open the same file (busy_timeout makes writers wait their turn).
 *
 * Key records are cached per connection, because every request reads one: the cache is dropped
 * whenever `PRAGMA data_version` shows that another connection (another worker) committed, and
 * entries are dropped on this connection's own writes. Checking data_version costs about a
 * quarter of reading the row (bench/hot-paths.ts), and no read ever sees a stale record.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { sqliteMigrations } from './migrations/sqlite.js';
import { copyKey, sameScope } from './records.js';
import type { AliasRecord, KeyMaterialRecord, KeyRecord, KeyState, PageRequest, Scope, Store, Tag } from './types.js';

interface KeyRow {
  key_id: string;
  account: string;
  region: string;
  created_at: number;
  description: string;
  key_spec: string;
  key_usage: string;
  origin: string;
  state: string;
  deletion_date: number | null;
  pending_window_days: number | null;
  policy: string;
  tags: string;
  current_material_version: number;
  public_key: Buffer | null;
  revision: number;
}

interface AliasRow {
  account: string;
  region: string;
  alias_name: string;
  target_key_id: string;
  created_at: number;
  updated_at: number;
}

function keyFromRow(row: KeyRow): KeyRecord {
  const key: KeyRecord = {
    keyId: row.key_id,
    account: row.account,
    region: row.region,
    createdAt: row.created_at,
    description: row.description,
    keySpec: row.key_spec,
    keyUsage: row.key_usage,
    origin: row.origin as KeyRecord['origin'],
    state: row.state as KeyState,
    policy: row.policy,
    tags: JSON.parse(row.tags) as Tag[],
    currentMaterialVersion: row.current_material_version,
    revision: row.revision,
  };
  if (row.deletion_date !== null) key.deletionDate = row.deletion_date;
  if (row.pending_window_days !== null) key.pendingWindowInDays = row.pending_window_days;
  if (row.public_key !== null) key.publicKey = row.public_key;
  return key;
}

function keyToRow(key: KeyRecord): KeyRow {
  return {
    key_id: key.keyId,
    account: key.account,
    region: key.region,
    created_at: key.createdAt,
    description: key.description,
    key_spec: key.keySpec,
    key_usage: key.keyUsage,
    origin: key.origin,
    state: key.state,
    deletion_date: key.deletionDate ?? null,
    pending_window_days: key.pendingWindowInDays ?? null,
    policy: key.policy,
    tags: JSON.stringify(key.tags),
    current_material_version: key.currentMaterialVersion,
    public_key: key.publicKey ?? null,
    revision: key.revision,
  };
}

interface MaterialRow {
  key_id: string;
  version: number;
  material_id: string;
  wrapped: Buffer;
  created_at: number;
}

function materialFromRow(row: MaterialRow | undefined): KeyMaterialRecord | undefined {
  return row && { keyId: row.key_id, version: row.version, materialId: row.material_id, wrapped: row.wrapped, createdAt: row.created_at };
}

function aliasFromRow(row: AliasRow): AliasRecord {
  return {
    account: row.account,
    region: row.region,
    aliasName: row.alias_name,
    targetKeyId: row.target_key_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const KEY_CACHE_LIMIT = 10_000;
/** The settings row (migration 2) holding the root key check value. */
const ROOT_KEY_CHECK = 'root_key_check';

const KEY_COLUMNS =
  'key_id, account, region, created_at, description, key_spec, key_usage, origin, state, deletion_date, ' +
  'pending_window_days, policy, tags, current_material_version, public_key, revision';
const KEY_PARAMS = KEY_COLUMNS.split(', ').map((c) => `@${c}`).join(', ');

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly statements;
  private readonly rootKeyStatements;
  private readonly keyCache = new Map<string, KeyRecord>();
  private cachedDataVersion = -1;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // Deleted rows are overwritten with zeros rather than left in free space, so a deleted key's
    // wrapped material is gone from the database pages (AWS: deleted key material is gone).
    this.db.pragma('secure_delete = ON');
    this.migrate();
    const db = this.db;
    this.statements = {
      insertKey: db.prepare(`INSERT INTO keys (${KEY_COLUMNS}) VALUES (${KEY_PARAMS})`),
      insertMaterial: db.prepare(
        'INSERT INTO key_materials (key_id, version, material_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      getKey: db.prepare('SELECT * FROM keys WHERE key_id = ? AND account = ? AND region = ?'),
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
      updateKey: db.prepare(
        `UPDATE keys SET description = @description, key_spec = @key_spec, key_usage = @key_usage, origin = @origin,
           state = @state, deletion_date = @deletion_date, pending_window_days = @pending_window_days, policy = @policy,
           tags = @tags, current_material_version = @current_material_version, public_key = @public_key,
           revision = @expected + 1
         WHERE key_id = @key_id AND account = @account AND region = @region AND revision = @expected`,
      ),
      deleteKey: db.prepare('DELETE FROM keys WHERE key_id = ? AND account = ? AND region = ?'),
      deleteKeyAtRevision: db.prepare('DELETE FROM keys WHERE key_id = ? AND account = ? AND region = ? AND revision = ?'),
      listKeys: db.prepare('SELECT * FROM keys WHERE account = ? AND region = ? AND key_id > ? ORDER BY key_id LIMIT ?'),
      dueForDeletion: db.prepare(
        "SELECT * FROM keys WHERE state = 'PendingDeletion' AND deletion_date <= ? ORDER BY deletion_date LIMIT ?",
      ),
      getMaterial: db.prepare('SELECT * FROM key_materials WHERE key_id = ? AND version = ?'),
      insertAlias: db.prepare(
        `INSERT INTO aliases (account, region, alias_name, target_key_id, created_at, updated_at)
         VALUES (@account, @region, @alias_name, @target_key_id, @created_at, @updated_at)
         ON CONFLICT DO NOTHING`,
      ),
      getAlias: db.prepare('SELECT * FROM aliases WHERE account = ? AND region = ? AND alias_name = ?'),
      updateAlias: db.prepare(
        'UPDATE aliases SET target_key_id = ?, updated_at = ? WHERE account = ? AND region = ? AND alias_name = ?',
      ),
      deleteAlias: db.prepare('DELETE FROM aliases WHERE account = ? AND region = ? AND alias_name = ?'),
      listAliases: db.prepare(
        'SELECT * FROM aliases WHERE account = ? AND region = ? AND alias_name > ? ORDER BY alias_name LIMIT ?',
      ),
      listAliasesOfKey: db.prepare(
        `SELECT * FROM aliases WHERE account = ? AND region = ? AND target_key_id = ? AND alias_name > ?
         ORDER BY alias_name LIMIT ?`,
      ),
    };
    this.rootKeyStatements = {
      anyMaterial: db.prepare('SELECT * FROM key_materials LIMIT 1'),
      getSetting: db.prepare('SELECT value FROM settings WHERE name = ?').pluck(),
      insertSettingIfAbsent: db.prepare('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING'),
    };
  }

  /** Applies pending migrations; the version is re-read inside each write transaction so
   * that several processes opening one new database cannot apply a migration twice. */
  private migrate(): void {
    for (const migration of sqliteMigrations) {
      this.db.transaction(() => {
        if ((this.db.pragma('user_version', { simple: true }) as number) >= migration.version) return;
        this.db.exec(migration.sql);
        this.db.pragma(`user_version = ${migration.version}`);
      }).immediate();
    }
  }

  /** The cache, emptied first if another connection has committed since it was filled. */
  private freshKeyCache(): Map<string, KeyRecord> {
    const version = this.statements.dataVersion.get() as number;
    if (version !== this.cachedDataVersion || this.keyCache.size >= KEY_CACHE_LIMIT) {
      this.keyCache.clear();
      this.cachedDataVersion = version;
    }
    return this.keyCache;
  }

  async createKey(key: KeyRecord, material?: KeyMaterialRecord): Promise<void> {
    this.keyCache.delete(key.keyId);
    this.db.transaction(() => {
      this.statements.insertKey.run(keyToRow(key));
      if (material) {
        this.statements.insertMaterial.run(material.keyId, material.version, material.materialId, material.wrapped, material.createdAt);
      }
    }).immediate();
  }

  async getKey(scope: Scope, keyId: string): Promise<KeyRecord | undefined> {
    const cache = this.freshKeyCache();
    let key = cache.get(keyId);
    if (!key) {
      const row = this.statements.getKey.get(keyId, scope.account, scope.region) as KeyRow | undefined;
      if (!row) return undefined;
      key = keyFromRow(row);
      cache.set(keyId, key);
    }
    return sameScope(key, scope) ? copyKey(key) : undefined;
  }

  async updateKey(key: KeyRecord, expectedRevision: number): Promise<boolean> {
    this.keyCache.delete(key.keyId);
    return this.statements.updateKey.run({ ...keyToRow(key), expected: expectedRevision }).changes === 1;
  }

  async deleteKey(scope: Scope, keyId: string, expectedRevision?: number): Promise<boolean> {
    this.keyCache.delete(keyId);
    const result =
      expectedRevision === undefined
        ? this.statements.deleteKey.run(keyId, scope.account, scope.region)
        : this.statements.deleteKeyAtRevision.run(keyId, scope.account, scope.region, expectedRevision);
    return result.changes === 1;
  }

  async listKeys(scope: Scope, page: PageRequest): Promise<KeyRecord[]> {
    const rows = this.statements.listKeys.all(scope.account, scope.region, page.after ?? '', page.limit) as KeyRow[];
    return rows.map(keyFromRow);
  }

  async keysDueForDeletion(now: number, limit: number): Promise<KeyRecord[]> {
    return (this.statements.dueForDeletion.all(now, limit) as KeyRow[]).map(keyFromRow);
  }

  async getMaterial(keyId: string, version: number): Promise<KeyMaterialRecord | undefined> {
    const row = this.statements.getMaterial.get(keyId, version) as
      | { key_id: string; version: number; material_id: string; wrapped: Buffer; created_at: number }
      | undefined;
    return row && { keyId: row.key_id, version: row.version, materialId: row.material_id, wrapped: row.wrapped, createdAt: row.created_at };
  }

  async createAlias(alias: AliasRecord): Promise<boolean> {
    const result = this.statements.insertAlias.run({
      account: alias.account,
      region: alias.region,
      alias_name: alias.aliasName,
      target_key_id: alias.targetKeyId,
      created_at: alias.createdAt,
      updated_at: alias.updatedAt,
    });
    return result.changes === 1;
  }

  async getAlias(scope: Scope, aliasName: string): Promise<AliasRecord | undefined> {
    const row = this.statements.getAlias.get(scope.account, scope.region, aliasName) as AliasRow | undefined;
    return row && aliasFromRow(row);
  }

  async updateAlias(alias: AliasRecord): Promise<boolean> {
    return this.statements.updateAlias.run(alias.targetKeyId, alias.updatedAt, alias.account, alias.region, alias.aliasName).changes === 1;
  }

  async deleteAlias(scope: Scope, aliasName: string): Promise<boolean> {
    return this.statements.deleteAlias.run(scope.account, scope.region, aliasName).changes === 1;
  }

  async listAliases(scope: Scope, page: PageRequest & { keyId?: string }): Promise<AliasRecord[]> {
    const rows = (
      page.keyId === undefined
        ? this.statements.listAliases.all(scope.account, scope.region, page.after ?? '', page.limit)
        : this.statements.listAliasesOfKey.all(scope.account, scope.region, page.keyId, page.after ?? '', page.limit)
    ) as AliasRow[];
    return rows.map(aliasFromRow);
  }

  async anyMaterial(): Promise<KeyMaterialRecord | undefined> {
    return materialFromRow(this.rootKeyStatements.anyMaterial.get() as MaterialRow | undefined);
  }

  async rootKeyCheck(): Promise<string | undefined> {
    return this.rootKeyStatements.getSetting.get(ROOT_KEY_CHECK) as string | undefined;
  }

  async setRootKeyCheckIfAbsent(value: string): Promise<string> {
    return this.db.transaction(() => {
      this.rootKeyStatements.insertSettingIfAbsent.run(ROOT_KEY_CHECK, value);
      return this.rootKeyStatements.getSetting.get(ROOT_KEY_CHECK) as string;
    }).immediate();
  }

  /**
   * secure_delete zeroes deleted rows in the pages a deletion writes, but the write-ahead log
   * still holds earlier images of those pages (the frames written when the key was created or
   * changed) until the log is reused. A TRUNCATE checkpoint copies the latest pages into the
   * database file and cuts the log to zero bytes; it reports busy, and cuts nothing, if another
   * connection still reads an older snapshot after busy_timeout.
   */
  async scrubDeleted(): Promise<boolean> {
    const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
    return result?.busy === 0;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
