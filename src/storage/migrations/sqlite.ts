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
];
