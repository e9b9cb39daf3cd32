/**
 * The PostgreSQL store against the shared Store contract, in a schema of its own in the database
 * TRENT_TEST_DATABASE_URL names (dropped when the file ends): every `open` empties its tables
 * and opens a store on it, and `sibling` a second store on the same schema, as another server
 * sharing the database opens it. Skipped, saying why, when the variable is unset.
 */
import pg from 'pg';
import { PostgresStore } from '../../src/storage/postgres.js';
import { freshSchemaUrl, postgresSkipReason } from '../helpers/postgres.js';
import { storeContract } from './store.case.js';

let url: string | undefined;

async function emptied(): Promise<string> {
  if (url === undefined) {
    url = await freshSchemaUrl();
    return url;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Every table the migrations made, whatever later ones add.
    const { rows } = await client.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'trent_migrations'",
    );
    await client.query(`TRUNCATE ${rows.map((r) => r.name).join(', ')}`);
  } finally {
    await client.end();
  }
  return url;
}

storeContract('postgres', async () => PostgresStore.open(await emptied(), { maxConnections: 4 }), {
  skip: postgresSkipReason,
  sibling: () => PostgresStore.open(url as string, { maxConnections: 2 }),
});
