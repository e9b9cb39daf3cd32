/**
 * PostgreSQL migration 4 (keys per (key_id, region), for multi-Region keys) on a schema that
 * migrations 1 to 3 made and that holds data, as a server upgraded in place finds it: every row
 * reads back through the store, material and usage rows with their key's Region; the primary and
 * foreign keys are on (key id, Region), enforced, and cascade to one regional key's rows only;
 * the change triggers are still there, so another server still hears of a commit. Skipped,
 * saying why, when TRENT_TEST_DATABASE_URL is unset.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { postgresMigrations } from '../../src/storage/migrations/postgres.js';
import { PostgresStore } from '../../src/storage/postgres.js';
import type { Scope } from '../../src/storage/types.js';
import { freshSchemaUrl, postgresSkipReason } from '../helpers/postgres.js';
import { testKeyRecord } from '../helpers/records.js';

const EAST: Scope = { account: '111122223333', region: 'us-east-1' };
const WEST: Scope = { account: '111122223333', region: 'eu-west-1' };
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const OTHER_ID = '0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0';
const GRANTEE = 'arn:aws:iam::111122223333:role/app';
const ISSUER = 'arn:aws:iam::111122223333:root';

/** A schema at migration 3 with two keys in two Regions and everything they own; its URL. */
async function version3(): Promise<string> {
  const url = await freshSchemaUrl('trent_migration');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `CREATE TABLE trent_migrations (
         version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    for (const migration of postgresMigrations.filter((m) => m.version <= 3)) {
      await client.query(migration.sql);
      await client.query('INSERT INTO trent_migrations (version, description) VALUES ($1, $2)', [migration.version, migration.description]);
    }
    const key = (keyId: string, scope: Scope, state: string, current: number) =>
      client.query(
        `INSERT INTO keys (key_id, account, region, created_at, description, key_spec, key_usage, origin, state, policy, tags,
           current_material_version, revision, usage_tracked_since)
         VALUES ($1, $2, $3, 1, 'old', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'AWS_KMS', $4, '{}', '[]', $5, 3, 2)`,
        [keyId, scope.account, scope.region, state, current],
      );
    await key(KEY_ID, EAST, 'Enabled', 2);
    await key(OTHER_ID, WEST, 'Disabled', 1);
    const material = (keyId: string, version: number, bytes: number[]) =>
      client.query('INSERT INTO key_materials (key_id, version, material_id, wrapped, created_at) VALUES ($1, $2, $3, $4, $5)', [
        keyId, version, String(version).repeat(64), Buffer.from(bytes), version * 10,
      ]);
    await material(KEY_ID, 1, [1, 1]);
    await material(KEY_ID, 2, [2, 2]);
    await material(OTHER_ID, 1, [3, 3]);
    for (const [scope, name, keyId] of [[EAST, 'alias/east', KEY_ID], [WEST, 'alias/west', OTHER_ID]] as const) {
      await client.query('INSERT INTO aliases (account, region, alias_name, target_key_id, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, 2)', [
        scope.account, scope.region, name, keyId,
      ]);
    }
    for (const [scope, grantId, keyId, name] of [[EAST, 'e', KEY_ID, 'named'], [WEST, 'f', OTHER_ID, null]] as const) {
      await client.query(
        `INSERT INTO grants (grant_id, key_id, account, region, name, grantee_principal, operations, issuing_account, created_at, identity)
         VALUES ($1, $2, $3, $4, $5, $6, '["Decrypt"]', $7, 4, $8)`,
        [grantId.repeat(64), keyId, scope.account, scope.region, name, GRANTEE, ISSUER, `identity-${grantId}`],
      );
    }
    await client.query("INSERT INTO key_usage (key_id, operation, used_at, request_id) VALUES ($1, 'Encrypt', 99, 'r-east'), ($2, 'Decrypt', 98, 'r-west')", [
      KEY_ID, OTHER_ID,
    ]);
  } finally {
    await client.end();
  }
  return url;
}

describe('PostgreSQL migration 4: keys per (key_id, region)', { skip: postgresSkipReason, timeout: 60_000 }, () => {
  const stores: PostgresStore[] = [];
  const clients: pg.Client[] = [];
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await Promise.all(clients.map((c) => c.end()));
  });

  async function open(url: string): Promise<PostgresStore> {
    const store = await PostgresStore.open(url, { maxConnections: 3 });
    stores.push(store);
    return store;
  }

  async function connect(url: string): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    clients.push(client);
    return client;
  }

  it('keeps every row of a migration 3 schema, readable through the store, each Region taken from its key', async () => {
    const url = await version3();
    const store = await open(url);
    const sql = await connect(url);
    const { rows } = await sql.query<{ version: number }>('SELECT version FROM trent_migrations ORDER BY version');
    assert.deepEqual(rows.map((r) => r.version), postgresMigrations.map((m) => m.version));

    assert.deepEqual(await store.getKey(EAST, KEY_ID), {
      ...testKeyRecord(KEY_ID, { ...EAST, description: 'old', policy: '{}', createdAt: 1, usageTrackedSince: 2 }),
      currentMaterialVersion: 2,
      revision: 3,
    });
    assert.equal((await store.getKey(WEST, OTHER_ID))?.state, 'Disabled');
    assert.deepEqual(
      (await store.listMaterials({ keyId: KEY_ID, region: EAST.region }, { limit: 10 })).map((m) => [m.region, m.version, m.wrapped.toString('hex')]),
      [[EAST.region, 1, '0101'], [EAST.region, 2, '0202']],
    );
    assert.equal((await store.getMaterial({ keyId: OTHER_ID, region: WEST.region }, 1))?.wrapped.toString('hex'), '0303');
    assert.equal((await store.getAlias(EAST, 'alias/east'))?.targetKeyId, KEY_ID);
    assert.equal((await store.getAlias(WEST, 'alias/west'))?.targetKeyId, OTHER_ID);
    assert.equal((await store.getGrant(EAST, KEY_ID, 'e'.repeat(64)))?.name, 'named');
    assert.equal((await store.getGrant(WEST, OTHER_ID, 'f'.repeat(64)))?.keyId, OTHER_ID);
    assert.deepEqual(await store.getKeyUsage({ keyId: KEY_ID, region: EAST.region }), {
      keyId: KEY_ID, region: EAST.region, operation: 'Encrypt', at: 99, requestId: 'r-east',
    });
    assert.equal((await store.getKeyUsage({ keyId: OTHER_ID, region: WEST.region }))?.requestId, 'r-west');
  });

  it('keys the tables on (key id, Region), enforces it, and cascades to one regional key only', async () => {
    const url = await version3();
    const store = await open(url);
    const sql = await connect(url);
    const constraints = await sql.query<{ table: string; definition: string }>(
      `SELECT conrelid::regclass::text AS table, pg_get_constraintdef(oid) AS definition FROM pg_constraint
       WHERE connamespace = current_schema()::regnamespace AND contype IN ('p', 'f')
         AND conrelid::regclass::text IN ('keys', 'key_materials', 'aliases', 'grants', 'key_usage')
       ORDER BY 1, 2`,
    );
    assert.deepEqual(constraints.rows.map((c) => `${c.table}: ${c.definition}`), [
      'aliases: FOREIGN KEY (target_key_id, region) REFERENCES keys(key_id, region) ON DELETE CASCADE',
      'aliases: PRIMARY KEY (account, region, alias_name)',
      'grants: FOREIGN KEY (key_id, region) REFERENCES keys(key_id, region) ON DELETE CASCADE',
      'grants: PRIMARY KEY (grant_id)',
      'key_materials: FOREIGN KEY (key_id, region) REFERENCES keys(key_id, region) ON DELETE CASCADE',
      'key_materials: PRIMARY KEY (key_id, region, version)',
      'key_usage: FOREIGN KEY (key_id, region) REFERENCES keys(key_id, region) ON DELETE CASCADE',
      'key_usage: PRIMARY KEY (key_id, region)',
      'keys: PRIMARY KEY (key_id, region)',
    ]);
    await assert.rejects(
      sql.query("INSERT INTO key_materials (key_id, region, version, material_id, wrapped, created_at) VALUES ($1, 'ap-south-1', 1, 'x', '\\x00', 1)", [KEY_ID]),
      /violates foreign key constraint/,
    );

    // A replica of KEY_ID in WEST, with material and a grant of its own.
    await store.createKey(testKeyRecord(KEY_ID, { ...WEST, description: 'replica' }), {
      keyId: KEY_ID, region: WEST.region, version: 1, materialId: 'a'.repeat(64), wrapped: Buffer.from([1, 1]), createdAt: 10,
    });
    assert.ok(await store.createGrant({ ...WEST, grantId: 'd'.repeat(64), keyId: KEY_ID, granteePrincipal: GRANTEE, operations: ['Decrypt'], issuingAccount: ISSUER, createdAt: 5 }));
    assert.equal(await store.deleteKey(EAST, KEY_ID), true);
    const count = async (text: string) => Number((await sql.query<{ n: string }>(text, [KEY_ID])).rows[0]?.n);
    assert.equal(await count("SELECT count(*) AS n FROM key_materials WHERE key_id = $1 AND region = 'us-east-1'"), 0);
    assert.equal(await count("SELECT count(*) AS n FROM key_materials WHERE key_id = $1 AND region = 'eu-west-1'"), 1, "the replica's material stays");
    assert.equal(await count("SELECT count(*) AS n FROM grants WHERE key_id = $1 AND region = 'eu-west-1'"), 1, "the replica's grant stays");
    assert.equal(await count("SELECT count(*) AS n FROM grants WHERE key_id = $1 AND region = 'us-east-1'"), 0);
    assert.equal(await count('SELECT count(*) AS n FROM aliases WHERE target_key_id = $1'), 0);
    assert.equal(await count('SELECT count(*) AS n FROM key_usage WHERE key_id = $1'), 0);
    assert.equal((await store.getKey(WEST, KEY_ID))?.description, 'replica');
  });

  it('keeps the change triggers: another server hears a commit to a migrated table', async () => {
    const url = await version3();
    const first = await open(url);
    const second = await open(url);
    const sql = await connect(url);
    const triggers = await sql.query<{ name: string }>(
      `SELECT tgname AS name FROM pg_trigger WHERE NOT tgisinternal AND tgrelid::regclass::text IN ('keys', 'key_materials', 'aliases', 'grants')
       ORDER BY 1`,
    );
    assert.deepEqual(triggers.rows.map((t) => t.name), ['aliases_changed', 'grants_changed', 'key_materials_changed', 'keys_changed']);
    assert.equal((await second.getKey(WEST, OTHER_ID))?.state, 'Disabled'); // cached by the second server
    const read = (await first.getKey(WEST, OTHER_ID)) as NonNullable<Awaited<ReturnType<PostgresStore['getKey']>>>;
    assert.equal(await first.updateKey({ ...read, state: 'Enabled' }, read.revision), true);
    assert.equal((await second.getKey(WEST, OTHER_ID))?.state, 'Enabled', 'the second server dropped its cached record');
  });
});
