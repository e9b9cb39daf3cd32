/**
 * SQLite schema migrations, applied in order at start-up inside one transaction each. The
 * database's `PRAGMA user_version` records the last one applied. Never edit a migration that
 * has shipped: add the next one.
 */

export interface Migration {
  version: number;
  description: string;
  sql: string;
  /**
   * SQLite only: the migration rebuilds tables that others reference (SQLite's documented
   * procedure for changes ALTER TABLE cannot make: create the new table, copy the rows, drop the
   * old one, rename the new one). It runs with foreign keys off, since dropping a referenced
   * table would otherwise delete the rows that reference it (ON DELETE CASCADE), and
   * `PRAGMA foreign_key_check` must find nothing before it commits.
   */
  rebuildsTables?: boolean;
}

export const sqliteMigrations: readonly Migration[] = [
  {
    version: 1,
    description: 'keys, key material and aliases',
    sql: `
      CREATE TABLE keys (
        key_id TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        description TEXT NOT NULL,
        key_spec TEXT NOT NULL,
        key_usage TEXT NOT NULL,
        origin TEXT NOT NULL,
        state TEXT NOT NULL,
        deletion_date INTEGER,
        pending_window_days INTEGER,
        policy TEXT NOT NULL,
        tags TEXT NOT NULL,
        current_material_version INTEGER NOT NULL,
        public_key BLOB,
        revision INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX keys_by_scope ON keys (account, region, key_id);
      CREATE INDEX keys_pending_deletion ON keys (deletion_date) WHERE state = 'PendingDeletion';

      CREATE TABLE key_materials (
        key_id TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        material_id TEXT NOT NULL,
        wrapped BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (key_id, version)
      ) STRICT;

      CREATE TABLE aliases (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        alias_name TEXT NOT NULL,
        target_key_id TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (account, region, alias_name)
      ) STRICT;
      CREATE INDEX aliases_by_target ON aliases (target_key_id);
    `,
  },
  {
    version: 2,
    description: 'settings: the root key check value',
    sql: `
      CREATE TABLE settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 3,
    description: 'grants, deleted with their key',
    // `identity` is what makes a CreateGrant with a Name a retry of an earlier one (storage/
    // records.ts, grantIdentity): unique per key and name, so a retry never adds a second grant.
    sql: `
      CREATE TABLE grants (
        grant_id TEXT PRIMARY KEY,
        key_id TEXT NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT,
        grantee_principal TEXT NOT NULL,
        retiring_principal TEXT,
        grantee_service_principal TEXT,
        retiring_service_principal TEXT,
        operations TEXT NOT NULL,
        constraints TEXT,
        issuing_account TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        identity TEXT NOT NULL
      ) STRICT;
      CREATE INDEX grants_of_key ON grants (key_id, grant_id);
      CREATE INDEX grants_of_grantee ON grants (key_id, grantee_principal, grant_id);
      CREATE INDEX grants_of_retiring_principal ON grants (retiring_principal, region, grant_id) WHERE retiring_principal IS NOT NULL;
      CREATE UNIQUE INDEX grants_by_name ON grants (key_id, name, identity) WHERE name IS NOT NULL;
    `,
  },
  {
    version: 4,
    description: 'key rotation: the automatic schedule on keys, the rotation type of each material version',
    sql: `
      ALTER TABLE keys ADD COLUMN rotation_period_days INTEGER;
      ALTER TABLE keys ADD COLUMN next_rotation_date INTEGER;
      CREATE INDEX keys_due_for_rotation ON keys (next_rotation_date) WHERE state = 'Enabled' AND next_rotation_date IS NOT NULL;
      ALTER TABLE key_materials ADD COLUMN rotation_type TEXT;
    `,
  },
  {
    version: 5,
    description: 'the last use of each key (GetKeyLastUsage), and since when it is tracked',
    // Keys that exist already were used before tracking began: their TrackingStartDate is now.
    sql: `
      ALTER TABLE keys ADD COLUMN usage_tracked_since INTEGER;
      UPDATE keys SET usage_tracked_since = CAST(strftime('%s', 'now') AS INTEGER) * 1000;
      CREATE TABLE key_usage (
        key_id TEXT PRIMARY KEY REFERENCES keys (key_id) ON DELETE CASCADE,
        operation TEXT NOT NULL,
        used_at INTEGER NOT NULL,
        request_id TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 6,
    description: 'imported key material: expiry on keys, import state and description per material version',
    sql: `
      ALTER TABLE keys ADD COLUMN expiration_model TEXT;
      ALTER TABLE keys ADD COLUMN valid_to INTEGER;
      CREATE INDEX keys_material_expiry ON keys (valid_to) WHERE valid_to IS NOT NULL;
      ALTER TABLE key_materials ADD COLUMN import_state TEXT;
      ALTER TABLE key_materials ADD COLUMN description TEXT;
    `,
  },
  {
    version: 7,
    description: 'the durable key-pair reserve',
    // seq orders claims oldest first; private keys are stored only wrapped by the root key.
    sql: `
      CREATE TABLE reserved_pairs (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        spec TEXT NOT NULL,
        public_key BLOB NOT NULL,
        wrapped BLOB NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX reserved_pairs_by_spec ON reserved_pairs (spec, seq);
    `,
  },
  {
    version: 8,
    description: 'multi-Region keys: a key is (key_id, region); material, aliases, grants and usage belong to one regional key',
    // Primary and foreign keys cannot be changed by ALTER TABLE: each table is rebuilt (new
    // table, rows copied, old table dropped, new one renamed, its indexes made again), the parent
    // first. Material and usage rows take the Region of their key's row; aliases and grants have
    // theirs already. A Region of its own per record means deleting one Region's row of a
    // multi-Region key cascades to that record's rows only.
    rebuildsTables: true,
    sql: `
      CREATE TABLE keys_new (
        key_id TEXT NOT NULL,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        description TEXT NOT NULL,
        key_spec TEXT NOT NULL,
        key_usage TEXT NOT NULL,
        origin TEXT NOT NULL,
        state TEXT NOT NULL,
        deletion_date INTEGER,
        pending_window_days INTEGER,
        policy TEXT NOT NULL,
        tags TEXT NOT NULL,
        current_material_version INTEGER NOT NULL,
        public_key BLOB,
        revision INTEGER NOT NULL,
        rotation_period_days INTEGER,
        next_rotation_date INTEGER,
        usage_tracked_since INTEGER,
        expiration_model TEXT,
        valid_to INTEGER,
        primary_region TEXT,
        PRIMARY KEY (key_id, region)
      ) STRICT;
      INSERT INTO keys_new (key_id, account, region, created_at, description, key_spec, key_usage, origin, state,
          deletion_date, pending_window_days, policy, tags, current_material_version, public_key, revision,
          rotation_period_days, next_rotation_date, usage_tracked_since, expiration_model, valid_to)
        SELECT key_id, account, region, created_at, description, key_spec, key_usage, origin, state,
          deletion_date, pending_window_days, policy, tags, current_material_version, public_key, revision,
          rotation_period_days, next_rotation_date, usage_tracked_since, expiration_model, valid_to
        FROM keys;
      DROP TABLE keys;
      ALTER TABLE keys_new RENAME TO keys;
      CREATE INDEX keys_by_scope ON keys (account, region, key_id);
      CREATE INDEX keys_pending_deletion ON keys (deletion_date) WHERE state = 'PendingDeletion';
      CREATE INDEX keys_due_for_rotation ON keys (next_rotation_date) WHERE state = 'Enabled' AND next_rotation_date IS NOT NULL;
      CREATE INDEX keys_material_expiry ON keys (valid_to) WHERE valid_to IS NOT NULL;

      CREATE TABLE key_materials_new (
        key_id TEXT NOT NULL,
        region TEXT NOT NULL,
        version INTEGER NOT NULL,
        material_id TEXT NOT NULL,
        wrapped BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        rotation_type TEXT,
        import_state TEXT,
        description TEXT,
        PRIMARY KEY (key_id, region, version),
        FOREIGN KEY (key_id, region) REFERENCES keys (key_id, region) ON DELETE CASCADE
      ) STRICT;
      INSERT INTO key_materials_new (key_id, region, version, material_id, wrapped, created_at, rotation_type, import_state, description)
        SELECT m.key_id, k.region, m.version, m.material_id, m.wrapped, m.created_at, m.rotation_type, m.import_state, m.description
        FROM key_materials m JOIN keys k ON k.key_id = m.key_id;
      DROP TABLE key_materials;
      ALTER TABLE key_materials_new RENAME TO key_materials;

      CREATE TABLE aliases_new (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        alias_name TEXT NOT NULL,
        target_key_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (account, region, alias_name),
        FOREIGN KEY (target_key_id, region) REFERENCES keys (key_id, region) ON DELETE CASCADE
      ) STRICT;
      INSERT INTO aliases_new (account, region, alias_name, target_key_id, created_at, updated_at)
        SELECT account, region, alias_name, target_key_id, created_at, updated_at FROM aliases;
      DROP TABLE aliases;
      ALTER TABLE aliases_new RENAME TO aliases;
      CREATE INDEX aliases_by_target ON aliases (target_key_id, region);

      CREATE TABLE grants_new (
        grant_id TEXT PRIMARY KEY,
        key_id TEXT NOT NULL,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT,
        grantee_principal TEXT NOT NULL,
        retiring_principal TEXT,
        grantee_service_principal TEXT,
        retiring_service_principal TEXT,
        operations TEXT NOT NULL,
        constraints TEXT,
        issuing_account TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        identity TEXT NOT NULL,
        FOREIGN KEY (key_id, region) REFERENCES keys (key_id, region) ON DELETE CASCADE
      ) STRICT;
      INSERT INTO grants_new (grant_id, key_id, account, region, name, grantee_principal, retiring_principal,
          grantee_service_principal, retiring_service_principal, operations, constraints, issuing_account, created_at, identity)
        SELECT grant_id, key_id, account, region, name, grantee_principal, retiring_principal,
          grantee_service_principal, retiring_service_principal, operations, constraints, issuing_account, created_at, identity
        FROM grants;
      DROP TABLE grants;
      ALTER TABLE grants_new RENAME TO grants;
      CREATE INDEX grants_of_key ON grants (key_id, region, grant_id);
      CREATE INDEX grants_of_grantee ON grants (key_id, region, grantee_principal, grant_id);
      CREATE INDEX grants_of_retiring_principal ON grants (retiring_principal, region, grant_id) WHERE retiring_principal IS NOT NULL;
      CREATE UNIQUE INDEX grants_by_name ON grants (key_id, region, name, identity) WHERE name IS NOT NULL;

      CREATE TABLE key_usage_new (
        key_id TEXT NOT NULL,
        region TEXT NOT NULL,
        operation TEXT NOT NULL,
        used_at INTEGER NOT NULL,
        request_id TEXT NOT NULL,
        PRIMARY KEY (key_id, region),
        FOREIGN KEY (key_id, region) REFERENCES keys (key_id, region) ON DELETE CASCADE
      ) STRICT;
      INSERT INTO key_usage_new (key_id, region, operation, used_at, request_id)
        SELECT u.key_id, k.region, u.operation, u.used_at, u.request_id FROM key_usage u JOIN keys k ON k.key_id = u.key_id;
      DROP TABLE key_usage;
      ALTER TABLE key_usage_new RENAME TO key_usage;
    `,
  },
  {
    version: 9,
    description: "key usage: the eventID of the last use's audit record (GetKeyLastUsage's CloudTrailEventId)",
    sql: `ALTER TABLE key_usage ADD COLUMN event_id TEXT;`,
  },
];
