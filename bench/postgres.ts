/**
 * Section 7 of `npm run bench` (bench/run.ts): PostgreSQL against SQLite, and two servers on one
 * PostgreSQL database against one. Needs a database it may write to, from TRENT_BENCH_DATABASE_URL
 * or else TRENT_TEST_DATABASE_URL; it works in a schema of its own and drops it.
 *
 *   a. Decrypt and GenerateDataKeyPair ECC_NIST_P256 on one server (one worker each, no key-pair
 *      pool) on PostgreSQL, as a ratio of the same on SQLite: short runs alternating between the
 *      two, the ratio the median of adjacent pairs', so drift on a shared machine falls on both.
 *   b. Decrypt on two servers sharing that database (the load split between them), as a ratio of
 *      one server taking the whole load, alternating likewise.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { call, prepare, runLoad, type LoadResult, type PreparedRequest } from './load.js';
import type { Started } from './processes.js';

export interface PostgresBenchOptions {
  databaseUrl: string;
  /** Starts a one-worker Trent server with its own data dir under `name` and extra environment. */
  trent: (name: string, env: Record<string, string>) => Promise<Started>;
  concurrency: number;
  quick: boolean;
  say: (line: string) => void;
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function medianRatio(over: LoadResult[], under: LoadResult[]): { median: number; ratios: number[] } {
  const ratios = over.map((r, i) => r.perSecond / (under[i] as LoadResult).perSecond).sort((a, b) => a - b);
  return { median: ((ratios[(ratios.length - 1) >> 1] as number) + (ratios[ratios.length >> 1] as number)) / 2, ratios };
}

async function inSchema<T>(databaseUrl: string, body: (url: string) => Promise<T>): Promise<T> {
  const schema = `trent_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    const url = new URL(databaseUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return await body(url.toString());
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

/** A Decrypt and a GenerateDataKeyPair ECC_NIST_P256 request under a new key of `url`. */
async function requestsOf(url: string): Promise<Record<'Decrypt' | 'GenerateDataKeyPair ECC_NIST_P256', PreparedRequest>> {
  const keyId = ((await call(url, 'CreateKey', {})) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
  const { CiphertextBlob } = (await call(url, 'Encrypt', { KeyId: keyId, Plaintext: Buffer.alloc(32, 7).toString('base64') })) as { CiphertextBlob: string };
  return {
    Decrypt: await prepare(url, 'Decrypt', { CiphertextBlob }),
    'GenerateDataKeyPair ECC_NIST_P256': await prepare(url, 'GenerateDataKeyPair', { KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256' }),
  };
}

export async function postgresSection(options: PostgresBenchOptions): Promise<Record<string, unknown>> {
  const { say, concurrency } = options;
  const runSeconds = options.quick ? 1 : 2;
  const rounds = options.quick ? 4 : 8;
  const load = (url: string, request: PreparedRequest, share = concurrency) =>
    runLoad({ url, next: () => request, concurrency: share, durationMs: runSeconds * 1000 });
  say(`\n7. PostgreSQL against SQLite, and two servers on one PostgreSQL against one (one worker each, alternating ${runSeconds} s runs)`);
  return inSchema(options.databaseUrl, async (url) => {
    const rootKey = randomBytes(32).toString('base64');
    const quiet = { TRENT_KEY_PAIR_POOL: '0', TRENT_ROOT_KEY: rootKey };
    const sqlite = await options.trent('pg-bench-sqlite', quiet);
    const first = await options.trent('pg-bench-postgres-1', { ...quiet, TRENT_DATABASE_URL: url });
    const second = await options.trent('pg-bench-postgres-2', { ...quiet, TRENT_DATABASE_URL: url });
    try {
      const results: Record<string, unknown> = {};
      const onSqlite = await requestsOf(sqlite.url);
      const onPostgres = await requestsOf(first.url);
      say(`   ${'operation'.padEnd(36)} ${'SQLite/s'.padStart(9)} ${'PG/s'.padStart(9)} ${'errors'.padStart(7)} ${'PG/SQLite'.padStart(10)}`);
      for (const name of ['Decrypt', 'GenerateDataKeyPair ECC_NIST_P256'] as const) {
        const runs: Record<'sqlite' | 'postgres', LoadResult[]> = { sqlite: [], postgres: [] };
        for (let round = 0; round < rounds; round++) {
          const sqliteFirst = round % 2 === 0;
          if (sqliteFirst) runs.sqlite.push(await load(sqlite.url, onSqlite[name]));
          runs.postgres.push(await load(first.url, onPostgres[name]));
          if (!sqliteFirst) runs.sqlite.push(await load(sqlite.url, onSqlite[name]));
        }
        const mean = (rs: LoadResult[]) => rs.reduce((s, r) => s + r.perSecond, 0) / rs.length;
        const errors = [...runs.sqlite, ...runs.postgres].reduce((s, r) => s + r.errors, 0);
        const { median, ratios } = medianRatio(runs.postgres, runs.sqlite);
        say(`   ${name.padEnd(36)} ${fmt(mean(runs.sqlite), 0).padStart(9)} ${fmt(mean(runs.postgres), 0).padStart(9)} ${String(errors).padStart(7)} ${(fmt(median * 100, 0) + '%').padStart(10)}`);
        results[name] = { sqlitePerSecond: mean(runs.sqlite), postgresPerSecond: mean(runs.postgres), ratio: median, pairRatios: ratios, errors };
      }
      // Two servers: the same ciphertext decrypted on either (each request signed for its server).
      const decryptOnSecond = await prepare(second.url, 'Decrypt', JSON.parse(onPostgres.Decrypt.body) as object);
      const runs: Record<'one' | 'two', LoadResult[]> = { one: [], two: [] };
      const both = async (): Promise<LoadResult> => {
        const half = Math.max(1, concurrency >> 1);
        const [a, b] = await Promise.all([load(first.url, onPostgres.Decrypt, half), load(second.url, decryptOnSecond, half)]);
        return { requests: a.requests + b.requests, errors: a.errors + b.errors, seconds: a.seconds, perSecond: a.perSecond + b.perSecond, latencies: [] };
      };
      for (let round = 0; round < rounds; round++) {
        const oneFirst = round % 2 === 0;
        if (oneFirst) runs.one.push(await load(first.url, onPostgres.Decrypt));
        runs.two.push(await both());
        if (!oneFirst) runs.one.push(await load(first.url, onPostgres.Decrypt));
      }
      const mean = (rs: LoadResult[]) => rs.reduce((s, r) => s + r.perSecond, 0) / rs.length;
      const { median, ratios } = medianRatio(runs.two, runs.one);
      const errors = [...runs.one, ...runs.two].reduce((s, r) => s + r.errors, 0);
      say(`   Decrypt on two servers ${fmt(mean(runs.two), 0)}/s against one ${fmt(mean(runs.one), 0)}/s: ${fmt(median * 100, 0)}% (median of ${ratios.length} pairs; ${errors} errors)`);
      results.twoServersDecrypt = { onePerSecond: mean(runs.one), twoPerSecond: mean(runs.two), ratio: median, pairRatios: ratios, errors };
      return results;
    } finally {
      await Promise.all([sqlite.stop(), first.stop(), second.stop()]);
    }
  });
}
