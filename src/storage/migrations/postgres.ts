/**
 * PostgreSQL schema migrations, applied in order at start-up, each in its own transaction, while
 * the starting server holds an advisory lock (storage/postgres.ts): several servers starting
 * together apply each migration once. Table `trent_migrations` records what was applied. Never
 * edit a migration that has shipped: add the next one.
 *
 * The tables mirror SQLite's (migrations/sqlite.ts) so an export from one imports into the other.
 * Times are milliseconds since the epoch in BIGINT. Names that pages are ordered by (key id, alias
 * name, grant id) compare byte by byte (COLLATE "C"), as in SQLite, whatever the database's locale.
 * A trigger on every table that holds per-key state sends `NOTIFY trent_changes` with the schema, the writer's application_name and the key
 * id, in the writer's transaction: every server LISTENs and drops what it cached of that key
 * when another one commits a change (the change signal of storage/types.ts).
 */
import type { Migration } from './sqlite.js';

export const CHANGE_CHANNEL = 'trent_changes';

export const postgresMigrations: readonly Migration[] = [
  {
    version: 1,
    description: 'keys, key material, aliases, grants, settings and the change trigger',
    sql: `
      CREATE TABLE keys (
        key_id TEXT COLLATE "C" PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        description TEXT NOT NULL,
        key_spec TEXT NOT NULL,
        key_usage TEXT NOT NULL,
        origin TEXT NOT NULL,
        state TEXT NOT NULL,
        deletion_date BIGINT,
        pending_window_days INTEGER,
        policy TEXT NOT NULL,
        tags TEXT NOT NULL,
        current_material_version INTEGER NOT NULL,
        public_key BYTEA,
        revision INTEGER NOT NULL
      );
      CREATE INDEX keys_by_scope ON keys (account, region, key_id);
      CREATE INDEX keys_pending_deletion ON keys (deletion_date) WHERE state = 'PendingDeletion';

      CREATE TABLE key_materials (
        key_id TEXT COLLATE "C" NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        material_id TEXT NOT NULL,
        wrapped BYTEA NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (key_id, version)
      );

      CREATE TABLE aliases (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        alias_name TEXT COLLATE "C" NOT NULL,
        target_key_id TEXT COLLATE "C" NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (account, region, alias_name)
      );
      CREATE INDEX aliases_by_target ON aliases (target_key_id);

      CREATE TABLE grants (
        grant_id TEXT COLLATE "C" PRIMARY KEY,
        key_id TEXT COLLATE "C" NOT NULL REFERENCES keys (key_id) ON DELETE CASCADE,
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
        created_at BIGINT NOT NULL,
        identity TEXT NOT NULL
      );
      CREATE INDEX grants_of_key ON grants (key_id, grant_id);
      CREATE INDEX grants_of_grantee ON grants (key_id, grantee_principal, grant_id);
      CREATE INDEX grants_of_retiring_principal ON grants (retiring_principal, region, grant_id) WHERE retiring_principal IS NOT NULL;
      CREATE UNIQUE INDEX grants_by_name ON grants (key_id, name, identity) WHERE name IS NOT NULL;

      CREATE TABLE settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );

      CREATE FUNCTION trent_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        changed JSONB;
      BEGIN
        IF TG_OP = 'DELETE' THEN changed := to_jsonb(OLD); ELSE changed := to_jsonb(NEW); END IF;
        PERFORM pg_notify('${CHANGE_CHANNEL}',
          TG_TABLE_SCHEMA || ' ' || current_setting('application_name') || ' ' ||
          coalesce(changed ->> 'key_id', changed ->> 'target_key_id'));
        RETURN NULL;
      END;
      $$;
      CREATE TRIGGER keys_changed AFTER INSERT OR UPDATE OR DELETE ON keys
        FOR EACH ROW EXECUTE FUNCTION trent_announce_change();
      CREATE TRIGGER key_materials_changed AFTER INSERT OR UPDATE OR DELETE ON key_materials
        FOR EACH ROW EXECUTE FUNCTION trent_announce_change();
      CREATE TRIGGER aliases_changed AFTER INSERT OR UPDATE OR DELETE ON aliases
        FOR EACH ROW EXECUTE FUNCTION trent_announce_change();
      CREATE TRIGGER grants_changed AFTER INSERT OR UPDATE OR DELETE ON grants
        FOR EACH ROW EXECUTE FUNCTION trent_announce_change();
    `,
  },
  {
    version: 2,
    description: 'rotation, imported material and last usage (SQLite migrations 4 to 6)',
    // Keys that exist already were used before tracking began: their TrackingStartDate is now.
    // key_usage has no change trigger: a use changes no key, and is written in batches.
    sql: `
      ALTER TABLE keys ADD COLUMN rotation_period_days INTEGER;
      ALTER TABLE keys ADD COLUMN next_rotation_date BIGINT;
      CREATE INDEX keys_due_for_rotation ON keys (next_rotation_date) WHERE state = 'Enabled' AND next_rotation_date IS NOT NULL;
      ALTER TABLE key_materials ADD COLUMN rotation_type TEXT;
      ALTER TABLE keys ADD COLUMN usage_tracked_since BIGINT;
      UPDATE keys SET usage_tracked_since = (extract(epoch FROM now()) * 1000)::BIGINT;
      CREATE TABLE key_usage (
        key_id TEXT COLLATE "C" PRIMARY KEY REFERENCES keys (key_id) ON DELETE CASCADE,
        operation TEXT NOT NULL,
        used_at BIGINT NOT NULL,
        request_id TEXT NOT NULL
      );
      ALTER TABLE keys ADD COLUMN expiration_model TEXT;
      ALTER TABLE keys ADD COLUMN valid_to BIGINT;
      CREATE INDEX keys_material_expiry ON keys (valid_to) WHERE valid_to IS NOT NULL;
      ALTER TABLE key_materials ADD COLUMN import_state TEXT;
      ALTER TABLE key_materials ADD COLUMN description TEXT;
    `,
  },
  {
    version: 3,
    description: 'the durable key-pair reserve',
    // seq orders claims oldest first; private keys are stored only wrapped by the root key. No
    // change trigger: a reserved pair is no key's state.
    sql: `
      CREATE TABLE reserved_pairs (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        spec TEXT NOT NULL,
        public_key BYTEA NOT NULL,
        wrapped BYTEA NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX reserved_pairs_by_spec ON reserved_pairs (spec, seq);
    `,
  },
  {
    version: 4,
    description: 'multi-Region keys: a key is (key_id, region); material, aliases, grants and usage belong to one regional key (SQLite migration 8)',
    // In place, by ALTER TABLE (the tables, their rows and their NOTIFY triggers stay): the
    // foreign keys on key_id alone go, Regions compare byte by byte like key ids (so listAllKeys
    // pages by (key_id, region) in SQLite's order), material and usage rows take the Region of
    // their key's row, the primary keys widen to the Region and the foreign keys come back on
    // (key id, Region), so deleting one Region's row of a multi-Region key cascades to that
    // record's rows only. Indexes that lead with the key id now lead with (key id, Region).
    sql: `
      ALTER TABLE key_materials DROP CONSTRAINT key_materials_key_id_fkey;
      ALTER TABLE aliases DROP CONSTRAINT aliases_target_key_id_fkey;
      ALTER TABLE grants DROP CONSTRAINT grants_key_id_fkey;
      ALTER TABLE key_usage DROP CONSTRAINT key_usage_key_id_fkey;

      ALTER TABLE keys ALTER COLUMN region TYPE TEXT COLLATE "C";
      ALTER TABLE aliases ALTER COLUMN region TYPE TEXT COLLATE "C";
      ALTER TABLE grants ALTER COLUMN region TYPE TEXT COLLATE "C";
      ALTER TABLE keys ADD COLUMN primary_region TEXT;

      ALTER TABLE key_materials ADD COLUMN region TEXT COLLATE "C";
      UPDATE key_materials m SET region = k.region FROM keys k WHERE k.key_id = m.key_id;
      ALTER TABLE key_materials ALTER COLUMN region SET NOT NULL;
      ALTER TABLE key_usage ADD COLUMN region TEXT COLLATE "C";
      UPDATE key_usage u SET region = k.region FROM keys k WHERE k.key_id = u.key_id;
      ALTER TABLE key_usage ALTER COLUMN region SET NOT NULL;

      ALTER TABLE keys DROP CONSTRAINT keys_pkey;
      ALTER TABLE keys ADD CONSTRAINT keys_pkey PRIMARY KEY (key_id, region);
      ALTER TABLE key_materials DROP CONSTRAINT key_materials_pkey;
      ALTER TABLE key_materials ADD CONSTRAINT key_materials_pkey PRIMARY KEY (key_id, region, version);
      ALTER TABLE key_usage DROP CONSTRAINT key_usage_pkey;
      ALTER TABLE key_usage ADD CONSTRAINT key_usage_pkey PRIMARY KEY (key_id, region);

      ALTER TABLE key_materials ADD CONSTRAINT key_materials_key_fkey
        FOREIGN KEY (key_id, region) REFERENCES keys (key_id, region) ON DELETE CASCADE;
      ALTER TABLE aliases ADD CONSTRAINT aliases_target_key_fkey
        FOREIGN KEY (target_key_id, region) REFERENCES keys (key_id, region) ON DELETE CASCADE;
      ALTER TABLE grants ADD CONSTRAINT grants_key_fkey
        FOREIGN KEY (key_id, region) REFERENCES keys (key_id, region) ON DELETE CASCADE;
      ALTER TABLE key_usage ADD CONSTRAINT key_usage_key_fkey
        FOREIGN KEY (key_id, region) REFERENCES keys (key_id, region) ON DELETE CASCADE;

      DROP INDEX aliases_by_target;
      CREATE INDEX aliases_by_target ON aliases (target_key_id, region);
      DROP INDEX grants_of_key;
      CREATE INDEX grants_of_key ON grants (key_id, region, grant_id);
      DROP INDEX grants_of_grantee;
      CREATE INDEX grants_of_grantee ON grants (key_id, region, grantee_principal, grant_id);
      DROP INDEX grants_by_name;
      CREATE UNIQUE INDEX grants_by_name ON grants (key_id, region, name, identity) WHERE name IS NOT NULL;
    `,
  },
  {
    version: 5,
    description: "key usage: the eventID of the last use's audit record (GetKeyLastUsage's CloudTrailEventId; SQLite migration 9)",
    sql: `ALTER TABLE key_usage ADD COLUMN event_id TEXT;`,
  },
];
