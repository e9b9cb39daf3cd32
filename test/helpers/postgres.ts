/**
 * PostgreSQL for tests: TRENT_TEST_DATABASE_URL names a database the tests may write to (CI and
 * the development machines set postgres://postgres@127.0.0.1:5432/test). Each test database is a
 * fresh schema with a unique name, reached through a URL whose `options` set its search_path,
 * and dropped when the test file ends. Without the variable, `postgresSkipReason` says why the
 * PostgreSQL tests are skipped, and they say so aloud.
 */
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';

export const TEST_DATABASE_URL = process.env.TRENT_TEST_DATABASE_URL;

export const postgresSkipReason: string | false = TEST_DATABASE_URL
  ? false
  : 'TRENT_TEST_DATABASE_URL is not set: PostgreSQL tests skipped (set it to a database they may write to, ' +
    'e.g. postgres://postgres@127.0.0.1:5432/test)';

if (postgresSkipReason) process.stdout.write(`# ${postgresSkipReason}\n`);

/** `url` reaching `schema` first: libpq's options parameter, as any libpq client takes it. */
export function urlWithSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

const created: string[] = [];
// Registered when a test file imports this module, so it runs when that file's tests end.
after(dropTestSchemas);

/** A new empty schema in the test database; returns its URL. Dropped after the test file. */
export async function freshSchemaUrl(prefix = 'trent_test'): Promise<string> {
  if (!TEST_DATABASE_URL) throw new Error('TRENT_TEST_DATABASE_URL is not set');
  const schema = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
  created.push(schema);
  return urlWithSchema(TEST_DATABASE_URL, schema);
}

export async function dropTestSchemas(): Promise<void> {
  if (!TEST_DATABASE_URL || created.length === 0) return;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    for (const schema of created.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
