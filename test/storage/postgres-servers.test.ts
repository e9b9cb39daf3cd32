/**
 * What only PostgreSQL needs, as several servers see one database (each a PostgresStore on one
 * schema of TRENT_TEST_DATABASE_URL): servers starting together apply each migration once; the
 * deletion sweeps of two servers delete each due key exactly once between them; a root key
 * check value raced by four servers is one value. Skipped, saying why, when the variable is unset.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { deleteDueKeys } from '../../src/domain/key-state.js';
import { postgresMigrations } from '../../src/storage/migrations/postgres.js';
import { PostgresStore } from '../../src/storage/postgres.js';
import type { KeyMaterialRecord } from '../../src/storage/types.js';
import { freshSchemaUrl, postgresSkipReason } from '../helpers/postgres.js';
import { testKeyRecord } from '../helpers/records.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const keyIdOf = (n: number) => `${n.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
const material = (keyId: string): KeyMaterialRecord => ({ keyId, region: 'us-east-1', version: 1, materialId: 'c'.repeat(64), wrapped: Buffer.from('wrapped'), createdAt: 1 });

describe('PostgreSQL shared by several servers', { skip: postgresSkipReason, timeout: 60_000 }, () => {
  const stores: PostgresStore[] = [];
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  async function servers(url: string, count: number): Promise<PostgresStore[]> {
    const opened = await Promise.all(Array.from({ length: count }, () => PostgresStore.open(url, { maxConnections: 3 })));
    stores.push(...opened);
    return opened;
  }

  it('applies each migration once when five servers start together on a new schema', async () => {
    const url = await freshSchemaUrl();
    await servers(url, 5);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number }>('SELECT version FROM trent_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => r.version), postgresMigrations.map((m) => m.version));
    } finally {
      await client.end();
    }
  });

  it('deletes each due key once between two servers sweeping at the same time', async () => {
    const url = await freshSchemaUrl();
    const [one, two] = (await servers(url, 2)) as [PostgresStore, PostgresStore];
    const now = Date.UTC(2026, 5, 1);
    const due = 40;
    for (let n = 0; n < due; n++) {
      await one.createKey(
        testKeyRecord(keyIdOf(n), { state: 'PendingDeletion', deletionDate: now - DAY_MS, pendingWindowInDays: 7 }),
        material(keyIdOf(n)),
      );
    }
    await one.createKey(testKeyRecord(keyIdOf(99), { state: 'PendingDeletion', deletionDate: now + DAY_MS, pendingWindowInDays: 7 }));
    const forgotten: string[] = [];
    const counts = await Promise.all([one, two].map((store) => deleteDueKeys(store, now, (keyId) => forgotten.push(keyId))));
    assert.equal(counts[0]! + counts[1]!, due, `each key deleted once (${counts.join(' + ')})`);
    assert.equal(new Set(forgotten).size, due);
    assert.equal(forgotten.length, due);
    assert.deepEqual(await two.keysDueForDeletion(now, 100), []);
    assert.ok(await one.getKey(testKeyRecord(keyIdOf(99)), keyIdOf(99)), 'a key not yet due stays');
  });

  it('gives four servers racing to record the root key check value one answer', async () => {
    const url = await freshSchemaUrl();
    const racing = await servers(url, 4);
    const answers = await Promise.all(racing.map((store, i) => store.setRootKeyCheckIfAbsent(`check-${i}`)));
    assert.equal(new Set(answers).size, 1);
    assert.equal(await racing[0]?.rootKeyCheck(), answers[0]);
  });
});
