/**
 * SQLite schema migrations, applied in order at start-up inside one transaction each. The
 * database's `PRAGMA user_version` records the last one applied. Never edit a migration that
 * has shipped: add the next one.
 */

export interface Migration {
  version: number;
  description: string;
  sql: string;
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
];
