/**
 * The embedded default Store: SQLite through better-sqlite3, in WAL mode with synchronous=FULL,
 * so a write is on disk before its request is answered and survives `kill -9` or power loss.
 * Several server processes may open the same file (busy_timeout makes writers wait their turn).
 *
 * Key records are cached per connection, because every request reads one: the cache is dropped
 * whenever `PRAGMA data_version` shows that another connection (another worker) committed, and
 * entries are dropped on this connection's own writes. Checking data_version costs about a
 * quarter of reading the row (bench/hot-paths.ts), and no read ever sees a stale record. The same
 * check, and this connection's own writes, drive the store's change signal (onChange).
 *
 * Keys are stored per (key_id, region) since migration 8: a multi-Region key has a row per
 * Region, and its material, aliases, grants and usage rows name the Region of the record they
 * belong to (composite foreign keys, so deleting one Region's row cascades to its own only).
 *
 * One connection serves the whole process, so a transaction (BEGIN IMMEDIATE ... COMMIT) holds
 * it: other callers wait until it ends, or their statements would join it.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { sqliteMigrations } from './migrations/sqlite.js';
import { copyKey, grantIdentity, sameScope } from './records.js';
import { aliasFromRow, grantFromRow, keyFromRow, materialFromRow, usageFromRow, usageRow, type AliasRow, type GrantRow, type KeyRow, type MaterialRow, type UsageRow } from './rows.js';
import type {
  AliasRecord,
  ChangeListener,
  GrantRecord,
  KeyLocation,
  KeyMaterialRecord,
  KeyRecord,
  KeyUsageRecord,
  PageRequest,
  ReservedPairRecord,
  Scope,
  Store,
} from './types.js';

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
    rotation_period_days: key.rotationPeriodInDays ?? null,
    next_rotation_date: key.nextRotationDate ?? null,
    usage_tracked_since: key.usageTrackedSince ?? null,
    expiration_model: key.expirationModel ?? null,
    valid_to: key.validTo ?? null,
    primary_region: key.primaryRegion ?? null,
    revision: key.revision,
  };
}

/** insertMaterial's parameters, in its column order. */
function materialParams(m: KeyMaterialRecord): unknown[] {
  return [m.keyId, m.region, m.version, m.materialId, m.wrapped, m.createdAt, m.rotationType ?? null, m.importState ?? null, m.description ?? null];
}

interface ReservedPairRow {
  seq: number;
  id: string;
  spec: string;
  public_key: Buffer;
  wrapped: Buffer;
  created_at: number;
}

function reservedPairFromRow(row: ReservedPairRow): ReservedPairRecord {
  return { id: row.id, spec: row.spec, publicKey: row.public_key, wrapped: row.wrapped, createdAt: row.created_at };
}

function grantToRow(grant: GrantRecord): GrantRow {
  return {
    grant_id: grant.grantId,
    key_id: grant.keyId,
    account: grant.account,
    region: grant.region,
    name: grant.name ?? null,
    grantee_principal: grant.granteePrincipal,
    retiring_principal: grant.retiringPrincipal ?? null,
    grantee_service_principal: grant.granteeServicePrincipal ?? null,
    retiring_service_principal: grant.retiringServicePrincipal ?? null,
    operations: JSON.stringify(grant.operations),
    constraints: grant.constraints === undefined ? null : JSON.stringify(grant.constraints),
    issuing_account: grant.issuingAccount,
    created_at: grant.createdAt,
    identity: grantIdentity(grant),
  };
}

const GRANT_COLUMNS =
  'grant_id, key_id, account, region, name, grantee_principal, retiring_principal, grantee_service_principal, ' +
  'retiring_service_principal, operations, constraints, issuing_account, created_at, identity';
const GRANT_PARAMS = GRANT_COLUMNS.split(', ').map((c) => `@${c}`).join(', ');

const KEY_CACHE_LIMIT = 10_000;
/** The settings row (migration 2) holding the root key check value. */
const ROOT_KEY_CHECK = 'root_key_check';

const KEY_COLUMNS =
  'key_id, account, region, created_at, description, key_spec, key_usage, origin, state, deletion_date, ' +
  'pending_window_days, policy, tags, current_material_version, public_key, rotation_period_days, next_rotation_date, usage_tracked_since, ' +
  'expiration_model, valid_to, primary_region, revision';
const KEY_PARAMS = KEY_COLUMNS.split(', ').map((c) => `@${c}`).join(', ');

/** What a store and the transaction views over it share: one connection and its caches. */
interface Connection {
  db: Database.Database;
  statements: ReturnType<typeof prepare>;
  /** By key id, then Region. */
  keyCache: Map<string, Map<string, KeyRecord>>;
  cachedDataVersion: number;
  /** Change-signal listeners: told of own writes, and of others' commits data_version shows. */
  listeners: Set<ChangeListener>;
  /** Resolves when the open transaction ends; undefined when none is open. */
  held?: Promise<void>;
}

function prepare(db: Database.Database) {
  return {
    insertKey: db.prepare(`INSERT INTO keys (${KEY_COLUMNS}) VALUES (${KEY_PARAMS})`),
    insertMaterial: db.prepare(
      `INSERT INTO key_materials (key_id, region, version, material_id, wrapped, created_at, rotation_type, import_state, description)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ),
    putMaterial: db.prepare(
      `INSERT INTO key_materials (key_id, region, version, material_id, wrapped, created_at, rotation_type, import_state, description)
       SELECT @key_id, @region, @version, @material_id, @wrapped, @created_at, @rotation_type, @import_state, @description
       WHERE EXISTS (SELECT 1 FROM keys WHERE key_id = @key_id AND region = @region)
       ON CONFLICT (key_id, region, version) DO UPDATE SET material_id = excluded.material_id, wrapped = excluded.wrapped,
         created_at = excluded.created_at, rotation_type = excluded.rotation_type, import_state = excluded.import_state,
         description = excluded.description`,
    ),
    getKey: db.prepare('SELECT * FROM keys WHERE key_id = ? AND account = ? AND region = ?'),
    dataVersion: db.prepare('PRAGMA data_version').pluck(),
    updateKey: db.prepare(
      `UPDATE keys SET description = @description, key_spec = @key_spec, key_usage = @key_usage, origin = @origin,
         state = @state, deletion_date = @deletion_date, pending_window_days = @pending_window_days, policy = @policy,
         tags = @tags, current_material_version = @current_material_version, public_key = @public_key,
         rotation_period_days = @rotation_period_days, next_rotation_date = @next_rotation_date,
         usage_tracked_since = @usage_tracked_since, expiration_model = @expiration_model, valid_to = @valid_to,
         primary_region = @primary_region, revision = @expected + 1
       WHERE key_id = @key_id AND account = @account AND region = @region AND revision = @expected`,
    ),
    moveCurrentMaterial: db.prepare(
      `UPDATE keys SET current_material_version = ?, revision = revision + 1
       WHERE key_id = ? AND account = ? AND region = ? AND revision = ?`,
    ),
    deleteKey: db.prepare('DELETE FROM keys WHERE key_id = ? AND account = ? AND region = ?'),
    deleteKeyAtRevision: db.prepare('DELETE FROM keys WHERE key_id = ? AND account = ? AND region = ? AND revision = ?'),
    listKeys: db.prepare('SELECT * FROM keys WHERE account = ? AND region = ? AND key_id > ? ORDER BY key_id LIMIT ?'),
    listAllKeys: db.prepare('SELECT * FROM keys WHERE (key_id, region) > (?, ?) ORDER BY key_id, region LIMIT ?'),
    keyRegions: db.prepare('SELECT * FROM keys WHERE key_id = ? AND account = ? ORDER BY region'),
    dueForDeletion: db.prepare(
      "SELECT * FROM keys WHERE state = 'PendingDeletion' AND deletion_date <= ? ORDER BY deletion_date LIMIT ?",
    ),
    countKeysByState: db.prepare('SELECT state, COUNT(*) AS count FROM keys GROUP BY state'),
    getMaterial: db.prepare('SELECT * FROM key_materials WHERE key_id = ? AND region = ? AND version = ?'),
    listMaterials: db.prepare('SELECT * FROM key_materials WHERE key_id = ? AND region = ? AND version > ? ORDER BY version LIMIT ?'),
    dueForRotation: db.prepare(
      "SELECT * FROM keys WHERE state = 'Enabled' AND next_rotation_date <= ? ORDER BY next_rotation_date LIMIT ?",
    ),
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
    keyInScope: db.prepare('SELECT 1 FROM keys WHERE key_id = ? AND account = ? AND region = ?').pluck(),
    insertGrant: db.prepare(`INSERT INTO grants (${GRANT_COLUMNS}) VALUES (${GRANT_PARAMS}) ON CONFLICT (key_id, region, name, identity) WHERE name IS NOT NULL DO NOTHING`),
    sameNamedGrant: db.prepare('SELECT * FROM grants WHERE key_id = ? AND region = ? AND name = ? AND identity = ?'),
    getGrant: db.prepare('SELECT * FROM grants WHERE grant_id = ? AND key_id = ? AND account = ? AND region = ?'),
    listGrants: db.prepare(
      'SELECT * FROM grants WHERE key_id = ? AND account = ? AND region = ? AND grant_id > ? ORDER BY grant_id LIMIT ?',
    ),
    listGrantsOfGrantee: db.prepare(
      `SELECT * FROM grants WHERE key_id = ? AND account = ? AND region = ? AND grantee_principal = ? AND grant_id > ?
       ORDER BY grant_id LIMIT ?`,
    ),
    listRetirableGrants: db.prepare(
      'SELECT * FROM grants WHERE retiring_principal = ? AND region = ? AND grant_id > ? ORDER BY grant_id LIMIT ?',
    ),
    deleteGrant: db.prepare('DELETE FROM grants WHERE grant_id = ? AND key_id = ? AND account = ? AND region = ?'),
    anyMaterial: db.prepare('SELECT * FROM key_materials LIMIT 1'),
    // A use of a deleted key is dropped (WHERE EXISTS); an older use never replaces a newer one.
    recordUsage: db.prepare(
      `INSERT INTO key_usage (key_id, region, operation, used_at, request_id, event_id)
       SELECT @key_id, @region, @operation, @used_at, @request_id, @event_id
       WHERE EXISTS (SELECT 1 FROM keys WHERE key_id = @key_id AND region = @region)
       ON CONFLICT (key_id, region) DO UPDATE SET operation = excluded.operation, used_at = excluded.used_at, request_id = excluded.request_id, event_id = excluded.event_id
       WHERE excluded.used_at >= key_usage.used_at`,
    ),
    getUsage: db.prepare('SELECT * FROM key_usage WHERE key_id = ? AND region = ?'),
    expiredMaterial: db.prepare('SELECT * FROM keys WHERE valid_to <= ? ORDER BY valid_to LIMIT ?'),
    getSetting: db.prepare('SELECT value FROM settings WHERE name = ?').pluck(),
    insertSettingIfAbsent: db.prepare('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING'),
    insertReservedPair: db.prepare(
      'INSERT INTO reserved_pairs (id, spec, public_key, wrapped, created_at) VALUES (@id, @spec, @publicKey, @wrapped, @createdAt)',
    ),
    // One statement: the rows it deletes are the rows it returns, so no two claims share one.
    claimReservedPairs: db.prepare(
      `DELETE FROM reserved_pairs WHERE seq IN (SELECT seq FROM reserved_pairs WHERE spec = ? ORDER BY seq LIMIT ?)
       RETURNING *`,
    ),
    reservedPairCounts: db.prepare('SELECT spec, count(*) AS n FROM reserved_pairs GROUP BY spec'),
  };
}

/** Applies pending migrations; the version is re-read inside each write transaction so that
 * several processes opening one new database cannot apply a migration twice. */
function migrate(db: Database.Database): void {
  for (const migration of sqliteMigrations) {
    // SQLite's procedure for rebuilding tables: foreign keys off outside the transaction (the
    // pragma does nothing inside one), checked before the commit, on again after it.
    if (migration.rebuildsTables) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        if ((db.pragma('user_version', { simple: true }) as number) >= migration.version) return;
        db.exec(migration.sql);
        if (migration.rebuildsTables) {
          const violations = db.pragma('foreign_key_check') as unknown[];
          if (violations.length > 0) {
            throw new Error(`migration ${migration.version} left ${violations.length} rows whose key is missing: ${JSON.stringify(violations.slice(0, 5))}`);
          }
        }
        db.pragma(`user_version = ${migration.version}`);
      }).immediate();
    } finally {
      if (migration.rebuildsTables) db.pragma('foreign_keys = ON');
    }
  }
}

function open(path: string): Connection {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Deleted rows are overwritten with zeros rather than left in free space, so a deleted key's
  // wrapped material is gone from the database pages (AWS: deleted key material is gone).
  db.pragma('secure_delete = ON');
  migrate(db);
  return { db, statements: prepare(db), keyCache: new Map(), cachedDataVersion: -1, listeners: new Set() };
}

class SqliteAccess implements Store {
  constructor(
    protected readonly connection: Connection,
    /** True for the view a transaction's function gets: it never waits for itself. */
    private readonly insideTransaction: boolean,
  ) {}

  /**
   * Runs `body` once no other caller's transaction holds the connection. The last check and
   * `body` run in one synchronous step, so no transaction can begin in between.
   */
  private run<T>(body: (c: Connection) => T): Promise<T> {
    if (!this.insideTransaction && this.connection.held) return this.afterTransaction(body);
    try {
      return Promise.resolve(body(this.connection));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  private async afterTransaction<T>(body: (c: Connection) => T): Promise<T> {
    while (this.connection.held) await this.connection.held;
    return body(this.connection);
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.insideTransaction) return fn(this); // nested: part of the enclosing transaction
    const c = this.connection;
    while (c.held) await c.held;
    let release = () => {};
    c.held = new Promise<void>((resolve) => (release = resolve));
    try {
      c.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(new SqliteAccess(c, true));
        c.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (c.db.inTransaction) c.db.exec('ROLLBACK');
        // What was read or written inside the transaction may never have been committed.
        c.keyCache.clear();
        SqliteAccess.changed(c);
        throw err;
      }
    } finally {
      delete c.held;
      release();
    }
  }

  onChange(listener: ChangeListener): () => void {
    this.connection.listeners.add(listener);
    return () => this.connection.listeners.delete(listener);
  }

  private static changed(c: Connection, keyId?: string): void {
    for (const listener of c.listeners) listener(keyId);
  }

  /**
   * The cache, emptied first if another connection has committed since it was filled; such a
   * commit is also announced to the change-signal listeners.
   */
  private static freshKeyCache(c: Connection): Map<string, Map<string, KeyRecord>> {
    const version = c.statements.dataVersion.get() as number;
    if (version !== c.cachedDataVersion) {
      c.keyCache.clear();
      if (c.cachedDataVersion !== -1) SqliteAccess.changed(c);
      c.cachedDataVersion = version;
    } else if (c.keyCache.size >= KEY_CACHE_LIMIT) {
      c.keyCache.clear();
    }
    return c.keyCache;
  }

  /** Forgets a key id (in every Region) this connection is about to change, and announces the write. */
  private static written(c: Connection, keyId?: string): void {
    if (keyId !== undefined) c.keyCache.delete(keyId);
    SqliteAccess.changed(c, keyId);
  }

  createKey(key: KeyRecord, material?: KeyMaterialRecord): Promise<void> {
    return this.run((c) => {
      SqliteAccess.written(c, key.keyId);
      c.db.transaction(() => {
        c.statements.insertKey.run(keyToRow(key));
        if (material) {
          c.statements.insertMaterial.run(...materialParams({ ...material, region: key.region })); // the new record's, in its Region
        }
      }).immediate();
    });
  }

  getKey(scope: Scope, keyId: string): Promise<KeyRecord | undefined> {
    return this.run((c) => {
      const cache = SqliteAccess.freshKeyCache(c);
      let key = cache.get(keyId)?.get(scope.region);
      if (!key) {
        const row = c.statements.getKey.get(keyId, scope.account, scope.region) as KeyRow | undefined;
        if (!row) return undefined;
        key = keyFromRow(row);
        const regions = cache.get(keyId) ?? new Map<string, KeyRecord>();
        regions.set(key.region, key);
        cache.set(keyId, regions);
      }
      return sameScope(key, scope) ? copyKey(key) : undefined;
    });
  }

  updateKey(key: KeyRecord, expectedRevision: number): Promise<boolean> {
    return this.run((c) => {
      SqliteAccess.written(c, key.keyId);
      return c.statements.updateKey.run({ ...keyToRow(key), expected: expectedRevision }).changes === 1;
    });
  }

  deleteKey(scope: Scope, keyId: string, expectedRevision?: number): Promise<boolean> {
    return this.run((c) => {
      SqliteAccess.written(c, keyId);
      const result =
        expectedRevision === undefined
          ? c.statements.deleteKey.run(keyId, scope.account, scope.region)
          : c.statements.deleteKeyAtRevision.run(keyId, scope.account, scope.region, expectedRevision);
      return result.changes === 1;
    });
  }

  listKeys(scope: Scope, page: PageRequest): Promise<KeyRecord[]> {
    return this.run((c) => {
      const rows = c.statements.listKeys.all(scope.account, scope.region, page.after ?? '', page.limit) as KeyRow[];
      return rows.map(keyFromRow);
    });
  }

  listAllKeys(page: { limit: number; after?: KeyLocation }): Promise<KeyRecord[]> {
    return this.run((c) =>
      (c.statements.listAllKeys.all(page.after?.keyId ?? '', page.after?.region ?? '', page.limit) as KeyRow[]).map(keyFromRow),
    );
  }

  keyRegions(account: string, keyId: string): Promise<KeyRecord[]> {
    return this.run((c) => (c.statements.keyRegions.all(keyId, account) as KeyRow[]).map(keyFromRow));
  }

  keysDueForDeletion(now: number, limit: number): Promise<KeyRecord[]> {
    return this.run((c) => (c.statements.dueForDeletion.all(now, limit) as KeyRow[]).map(keyFromRow));
  }

  countKeysByState(): Promise<Record<string, number>> {
    return this.run((c) => {
      const rows = c.statements.countKeysByState.all() as { state: string; count: number }[];
      return Object.fromEntries(rows.map((row) => [row.state, row.count]));
    });
  }

  getMaterial(key: KeyLocation, version: number): Promise<KeyMaterialRecord | undefined> {
    return this.run((c) => materialFromRow(c.statements.getMaterial.get(key.keyId, key.region, version) as MaterialRow | undefined));
  }

  addMaterial(scope: Scope, material: KeyMaterialRecord, expectedRevision: number): Promise<boolean> {
    return this.run((c) => {
      SqliteAccess.written(c, material.keyId);
      return c.db.transaction(() => {
        const moved = c.statements.moveCurrentMaterial.run(material.version, material.keyId, scope.account, scope.region, expectedRevision);
        if (moved.changes !== 1) return false;
        const inserted = c.statements.insertMaterial.run(...materialParams({ ...material, region: scope.region }));
        // An existing version: undo the move (throwing rolls the savepoint back).
        if (inserted.changes !== 1) throw new VersionExists();
        return true;
      }).immediate();
    }).catch((err: unknown) => {
      if (err instanceof VersionExists) return false;
      throw err;
    });
  }

  listMaterials(key: KeyLocation, page: { limit: number; after?: number }): Promise<KeyMaterialRecord[]> {
    return this.run((c) =>
      (c.statements.listMaterials.all(key.keyId, key.region, page.after ?? 0, page.limit) as MaterialRow[]).map((row) => materialFromRow(row) as KeyMaterialRecord),
    );
  }

  keysDueForRotation(now: number, limit: number): Promise<KeyRecord[]> {
    return this.run((c) => (c.statements.dueForRotation.all(now, limit) as KeyRow[]).map(keyFromRow));
  }

  putMaterial(material: KeyMaterialRecord): Promise<boolean> {
    return this.run((c) => {
      SqliteAccess.written(c, material.keyId);
      const [key_id, region, version, material_id, wrapped, created_at, rotation_type, import_state, description] = materialParams(material);
      const row = { key_id, region, version, material_id, wrapped, created_at, rotation_type, import_state, description };
      return c.statements.putMaterial.run(row).changes === 1;
    });
  }

  keysWithExpiredMaterial(now: number, limit: number): Promise<KeyRecord[]> {
    return this.run((c) => (c.statements.expiredMaterial.all(now, limit) as KeyRow[]).map(keyFromRow));
  }

  /** One transaction for the batch; no change is announced (no key changed). */
  recordKeyUsage(usages: readonly KeyUsageRecord[]): Promise<void> {
    return this.run((c) => {
      if (usages.length === 0) return;
      c.db.transaction(() => {
        for (const u of usages) {
          c.statements.recordUsage.run(usageRow(u));
        }
      }).immediate();
    });
  }

  getKeyUsage(key: KeyLocation): Promise<KeyUsageRecord | undefined> {
    return this.run((c) => {
      const row = c.statements.getUsage.get(key.keyId, key.region) as UsageRow | undefined;
      return row && usageFromRow(row);
    });
  }

  createAlias(alias: AliasRecord): Promise<boolean> {
    return this.run((c) => {
      SqliteAccess.written(c);
      const result = c.statements.insertAlias.run({
        account: alias.account,
        region: alias.region,
        alias_name: alias.aliasName,
        target_key_id: alias.targetKeyId,
        created_at: alias.createdAt,
        updated_at: alias.updatedAt,
      });
      return result.changes === 1;
    });
  }

  getAlias(scope: Scope, aliasName: string): Promise<AliasRecord | undefined> {
    return this.run((c) => {
      const row = c.statements.getAlias.get(scope.account, scope.region, aliasName) as AliasRow | undefined;
      return row && aliasFromRow(row);
    });
  }

  updateAlias(alias: AliasRecord): Promise<boolean> {
    return this.run((c) => {
      SqliteAccess.written(c);
      return c.statements.updateAlias.run(alias.targetKeyId, alias.updatedAt, alias.account, alias.region, alias.aliasName).changes === 1;
    });
  }

  deleteAlias(scope: Scope, aliasName: string): Promise<boolean> {
    return this.run((c) => {
      SqliteAccess.written(c);
      return c.statements.deleteAlias.run(scope.account, scope.region, aliasName).changes === 1;
    });
  }

  listAliases(scope: Scope, page: PageRequest & { keyId?: string }): Promise<AliasRecord[]> {
    return this.run((c) => {
      const rows = (
        page.keyId === undefined
          ? c.statements.listAliases.all(scope.account, scope.region, page.after ?? '', page.limit)
          : c.statements.listAliasesOfKey.all(scope.account, scope.region, page.keyId, page.after ?? '', page.limit)
      ) as AliasRow[];
      return rows.map(aliasFromRow);
    });
  }

  createGrant(grant: GrantRecord): Promise<GrantRecord | undefined> {
    return this.run((c) => {
      const row = grantToRow(grant);
      return c.db.transaction(() => {
        if (c.statements.keyInScope.get(grant.keyId, grant.account, grant.region) === undefined) return undefined;
        if (c.statements.insertGrant.run(row).changes === 1) {
          SqliteAccess.written(c, grant.keyId);
          return grantFromRow(row);
        }
        // The same named grant exists already (the unique index on key, name and identity).
        return grantFromRow(c.statements.sameNamedGrant.get(grant.keyId, grant.region, row.name, row.identity) as GrantRow);
      }).immediate();
    });
  }

  getGrant(scope: Scope, keyId: string, grantId: string): Promise<GrantRecord | undefined> {
    return this.run((c) => {
      const row = c.statements.getGrant.get(grantId, keyId, scope.account, scope.region) as GrantRow | undefined;
      return row && grantFromRow(row);
    });
  }

  listGrants(scope: Scope, keyId: string, page: PageRequest & { grantId?: string; granteePrincipal?: string }): Promise<GrantRecord[]> {
    return this.run((c) => {
      if (page.grantId !== undefined) {
        const row = c.statements.getGrant.get(page.grantId, keyId, scope.account, scope.region) as GrantRow | undefined;
        const matches =
          row !== undefined &&
          (page.granteePrincipal === undefined || row.grantee_principal === page.granteePrincipal) &&
          (page.after === undefined || row.grant_id > page.after) &&
          page.limit > 0;
        return matches ? [grantFromRow(row)] : [];
      }
      const rows = (
        page.granteePrincipal === undefined
          ? c.statements.listGrants.all(keyId, scope.account, scope.region, page.after ?? '', page.limit)
          : c.statements.listGrantsOfGrantee.all(keyId, scope.account, scope.region, page.granteePrincipal, page.after ?? '', page.limit)
      ) as GrantRow[];
      return rows.map(grantFromRow);
    });
  }

  listRetirableGrants(region: string, retiringPrincipal: string, page: PageRequest): Promise<GrantRecord[]> {
    return this.run((c) =>
      (c.statements.listRetirableGrants.all(retiringPrincipal, region, page.after ?? '', page.limit) as GrantRow[]).map(grantFromRow),
    );
  }

  grantsForGrantee(scope: Scope, keyId: string, granteePrincipal: string): Promise<GrantRecord[]> {
    return this.run((c) =>
      (c.statements.listGrantsOfGrantee.all(keyId, scope.account, scope.region, granteePrincipal, '', -1) as GrantRow[]).map(grantFromRow),
    );
  }

  deleteGrant(scope: Scope, keyId: string, grantId: string): Promise<boolean> {
    return this.run((c) => {
      const deleted = c.statements.deleteGrant.run(grantId, keyId, scope.account, scope.region).changes === 1;
      if (deleted) SqliteAccess.written(c, keyId);
      return deleted;
    });
  }

  anyMaterial(): Promise<KeyMaterialRecord | undefined> {
    return this.run((c) => materialFromRow(c.statements.anyMaterial.get() as MaterialRow | undefined));
  }

  rootKeyCheck(): Promise<string | undefined> {
    return this.run((c) => c.statements.getSetting.get(ROOT_KEY_CHECK) as string | undefined);
  }

  setRootKeyCheckIfAbsent(value: string): Promise<string> {
    return this.run((c) =>
      c.db.transaction(() => {
        c.statements.insertSettingIfAbsent.run(ROOT_KEY_CHECK, value);
        return c.statements.getSetting.get(ROOT_KEY_CHECK) as string;
      }).immediate(),
    );
  }

  addReservedPairs(pairs: readonly ReservedPairRecord[]): Promise<void> {
    return this.run((c) => {
      c.db.transaction(() => {
        for (const pair of pairs) c.statements.insertReservedPair.run(pair);
      }).immediate();
    });
  }

  claimReservedPairs(spec: string, limit: number): Promise<ReservedPairRecord[]> {
    return this.run((c) => {
      if (limit <= 0) return [];
      // BEGIN IMMEDIATE ... COMMIT: with synchronous=FULL the deletion is on disk before the
      // pairs are returned, so a pair handed out is never in the database after a crash.
      const rows = c.db.transaction(() => c.statements.claimReservedPairs.all(spec, limit) as ReservedPairRow[]).immediate();
      return rows.sort((a, b) => a.seq - b.seq).map(reservedPairFromRow);
    });
  }

  reservedPairCounts(): Promise<Record<string, number>> {
    return this.run((c) => {
      const rows = c.statements.reservedPairCounts.all() as { spec: string; n: number }[];
      return Object.fromEntries(rows.map((row) => [row.spec, row.n]));
    });
  }

  /**
   * secure_delete zeroes deleted rows in the pages a deletion writes, but the write-ahead log
   * still holds earlier images of those pages (the frames written when the key was created or
   * changed) until the log is reused. A TRUNCATE checkpoint copies the latest pages into the
   * database file and cuts the log to zero bytes; it reports busy, and cuts nothing, if another
   * connection still reads an older snapshot after busy_timeout.
   */
  scrubDeleted(): Promise<boolean> {
    return this.run((c) => {
      const [result] = c.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
      return result?.busy === 0;
    });
  }

  async close(): Promise<void> {
    while (this.connection.held) await this.connection.held;
    if (this.connection.db.open) this.connection.db.close();
  }
}

/** Thrown inside addMaterial's savepoint to undo it when the version already exists. */
class VersionExists extends Error {}

export class SqliteStore extends SqliteAccess {
  constructor(path: string) {
    super(open(path), false);
  }
}
