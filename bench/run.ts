/**
 * `npm run bench`: starts Trent and a trivial Node HTTP server, drives both over HTTP with the
 * same load generator (signed, concurrent, keep-alive requests), and prints every figure as a
 * ratio measured side by side in this one run, because absolute times drift on a shared machine.
 * Writes the figures to bench/results/latest.json.
 *
 *   1. start-up time and resident memory of Trent with its defaults (one worker per core, pools)
 *   2. throughput of ECC_NIST_P256 GenerateDataKeyPair, Encrypt, Decrypt and GenerateDataKey,
 *      each against the trivial server's ceiling
 *   3. sustained RSA_2048 GenerateDataKeyPair throughput against raw node:crypto generation
 *   4. per key pair spec, GenerateDataKeyPair latency from a warm memory pool and on demand (no
 *      durable reserve on either server: bench/reserve.ts measures the reserve)
 *   5. the cost of authentication: Decrypt throughput of a server that verifies every SigV4
 *      signature (accounts configured) against the same server in development mode
 *   6. throughput of Sign (ECC_NIST_P256, RSA_2048, ML_DSA_65) and GenerateMac, each against the
 *      trivial server's ceiling
 *   7. Decrypt and GenerateDataKeyPair ECC_NIST_P256 on PostgreSQL as a ratio of SQLite, and two
 *      servers on one PostgreSQL against one (bench/postgres.ts; needs TRENT_BENCH_DATABASE_URL
 *      or TRENT_TEST_DATABASE_URL, else it says it is skipped)
 *
 * Options: --quick (shorter runs), --concurrency N (default 16),
 * --only startup,throughput,rsa,latency,auth,keyops,postgres.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allDataKeyPairSpecs } from '../src/domain/key-specs.js';
import { call, percentile, prepare, runLoad, type Credentials, type LoadResult, type PreparedRequest } from './load.js';
import { postgresSection } from './postgres.js';
import { health, residentBytes, startProcess, waitForFullPools, type Started } from './processes.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const TRIVIAL = fileURLToPath(new URL('./trivial-server.js', import.meta.url));
const RAW_RSA = fileURLToPath(new URL('./raw-rsa.js', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));

const quick = process.argv.includes('--quick');
const concurrencyIndex = process.argv.indexOf('--concurrency');
const concurrency = concurrencyIndex > 0 ? Number(process.argv[concurrencyIndex + 1]) : 16;
const seconds = quick ? 2 : 5;
const onlyIndex = process.argv.indexOf('--only');
const sections = new Set((onlyIndex > 0 ? (process.argv[onlyIndex + 1] ?? '') : 'startup,throughput,rsa,latency,auth,keyops,postgres').split(','));
const workers = availableParallelism();

const say = (line: string) => process.stdout.write(line + '\n');
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function trent(dataDir: string, env: Record<string, string>, extraArgs: string[] = []): Promise<Started> {
  return startProcess([MAIN, 'serve', '--port', '0', '--data-dir', dataDir, ...extraArgs], {
    TRENT_LOG_LEVEL: 'warn',
    TRENT_ALLOW_SM2_EVERYWHERE: 'true',
    ...env,
  });
}

async function load(url: string, requests: PreparedRequest[], durationSeconds = seconds): Promise<LoadResult> {
  return runLoad({ url, next: (i) => requests[i % requests.length] as PreparedRequest, concurrency, durationMs: durationSeconds * 1000 });
}

/** Section 2: each operation against the trivial server, which is measured before and after. */
async function throughputSection(server: Started): Promise<void> {
  const keyId = ((await call(server.url, 'CreateKey', {})) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
  const plaintext = Buffer.alloc(32, 7).toString('base64');
  const { CiphertextBlob } = (await call(server.url, 'Encrypt', { KeyId: keyId, Plaintext: plaintext })) as { CiphertextBlob: string };
  const trivial = await startProcess([TRIVIAL, String(workers)]);
  const trivialRequest = [await prepare(trivial.url, 'Encrypt', { KeyId: keyId, Plaintext: plaintext })];
  const operations: Array<[string, PreparedRequest[]]> = [
    ['GenerateDataKeyPair ECC_NIST_P256', [await prepare(server.url, 'GenerateDataKeyPair', { KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256' })]],
    ['Encrypt (32 bytes)', [await prepare(server.url, 'Encrypt', { KeyId: keyId, Plaintext: plaintext })]],
    ['Decrypt', [await prepare(server.url, 'Decrypt', { CiphertextBlob })]],
    ['GenerateDataKey AES_256', [await prepare(server.url, 'GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' })]],
  ];
  say(`\n2. throughput against a trivial Node HTTP server (${workers} workers each, ${seconds} s per run)`);
  const ceilingBefore = await load(trivial.url, trivialRequest);
  const measured: Array<[string, LoadResult]> = [];
  for (const [name, requests] of operations) measured.push([name, await load(server.url, requests)]);
  const ceilingAfter = await load(trivial.url, trivialRequest);
  await trivial.stop();
  const ceiling = (ceilingBefore.perSecond + ceilingAfter.perSecond) / 2;
  const row = (name: string, perSecond: number, r: LoadResult, ratio: string) =>
    say(`   ${name.padEnd(36)} ${fmt(perSecond, 0).padStart(9)} ${fmt(percentile(r.latencies, 50), 2).padStart(8)} ${fmt(percentile(r.latencies, 99), 2).padStart(8)} ${String(r.errors).padStart(7)} ${ratio.padStart(11)}`);
  say(`   ${'operation'.padEnd(36)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)} ${'of ceiling'.padStart(11)}`);
  row('trivial server (ceiling)', ceiling, ceilingBefore, '');
  const rows: Record<string, unknown>[] = [];
  for (const [name, r] of measured) {
    const ratio = r.perSecond / ceiling;
    rows.push({ operation: name, perSecond: r.perSecond, p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99), errors: r.errors, ratioToCeiling: ratio });
    row(name, r.perSecond, r, fmt(ratio * 100, 0) + '%');
  }
  results.throughput = { ceilingPerSecond: ceiling, operations: rows };
}

/** Section 3: RSA_2048 once the pools are drained, against raw generation (run after Trent stops). */
async function rsaSection(server: Started): Promise<void> {
  say(`\n3. sustained RSA_2048 GenerateDataKeyPair against raw node:crypto generation on all cores`);
  const keyId = ((await call(server.url, 'CreateKey', {})) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
  const rsaRequest = [await prepare(server.url, 'GenerateDataKeyPair', { KeyId: keyId, KeyPairSpec: 'RSA_2048' })];
  await load(server.url, rsaRequest, quick ? 2 : 4); // drain the pools first: sustained means on demand
  const rsa = await load(server.url, rsaRequest, quick ? 4 : 10);
  await server.stop();
  const raw = JSON.parse(execFileSync(process.execPath, [RAW_RSA, String(quick ? 4 : 10)], { encoding: 'utf8' })) as { pairs: number; seconds: number };
  const rawPerSecond = raw.pairs / raw.seconds;
  results.rsa2048 = { trentPerSecond: rsa.perSecond, rawPerSecond, ratio: rsa.perSecond / rawPerSecond, errors: rsa.errors };
  say(`   Trent ${fmt(rsa.perSecond)} pairs/s, raw ${fmt(rawPerSecond)} pairs/s: ${fmt((rsa.perSecond / rawPerSecond) * 100, 0)}%`);
}

/** Section 4: per spec, sequential requests to a warm-pool server and to a pool-less one. */
async function latencySection(): Promise<void> {
  say(`\n4. GenerateDataKeyPair latency per spec: warm pool against on demand (sequential, one worker)`);
  const specs = allDataKeyPairSpecs();
  const samples = (name: string, warm: boolean) =>
    name === 'RSA_4096' || name === 'RSA_3072' ? (warm ? 10 : quick ? 2 : 4) : name === 'RSA_2048' ? (warm ? 20 : 10) : 40;
  const poolSizes = specs.map((s) => `${s.name}=${samples(s.name, true) + 4}`).join(',');
  const warmServer = await trent(join(root, 'warm'), { TRENT_KEY_PAIR_POOL: poolSizes, TRENT_KEY_PAIR_POOL_CONCURRENCY: '2', TRENT_KEY_PAIR_RESERVE: '0' }, ['--workers', '1']);
  await waitForFullPools(warmServer.url, 1);
  const coldServer = await trent(join(root, 'cold'), { TRENT_KEY_PAIR_POOL: '0', TRENT_KEY_PAIR_RESERVE: '0' }, ['--workers', '1']);
  const warmKey = ((await call(warmServer.url, 'CreateKey', {})) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
  const coldKey = ((await call(coldServer.url, 'CreateKey', {})) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
  say(`   ${'spec'.padEnd(22)} ${'warm p50'.padStart(9)} ${'warm p99'.padStart(9)} ${'cold p50'.padStart(9)} ${'cold p99'.padStart(9)} ${'cold/warm'.padStart(10)}  (ms; misses)`);
  const rows: Record<string, unknown>[] = [];
  for (const spec of specs) {
    const warmRequest = await prepare(warmServer.url, 'GenerateDataKeyPair', { KeyId: warmKey, KeyPairSpec: spec.name });
    const coldRequest = await prepare(coldServer.url, 'GenerateDataKeyPair', { KeyId: coldKey, KeyPairSpec: spec.name });
    const warm = await runLoad({ url: warmServer.url, next: () => warmRequest, concurrency: 1, maxRequests: samples(spec.name, true) });
    const misses = (await health(warmServer.url)).keyPairPool[spec.name]?.misses ?? 0;
    const cold = await runLoad({ url: coldServer.url, next: () => coldRequest, concurrency: 1, maxRequests: samples(spec.name, false) });
    const w50 = percentile(warm.latencies, 50);
    const c50 = percentile(cold.latencies, 50);
    rows.push({
      spec: spec.name,
      warm: { n: warm.requests, p50: w50, p99: percentile(warm.latencies, 99), misses, errors: warm.errors },
      onDemand: { n: cold.requests, p50: c50, p99: percentile(cold.latencies, 99), errors: cold.errors },
      ratio: c50 / w50,
    });
    say(`   ${spec.name.padEnd(22)} ${fmt(w50, 2).padStart(9)} ${fmt(percentile(warm.latencies, 99), 2).padStart(9)} ${fmt(c50, 1).padStart(9)} ${fmt(percentile(cold.latencies, 99), 1).padStart(9)} ${(fmt(c50 / w50, 1) + 'x').padStart(10)}  (${misses} misses)`);
  }
  results.latency = rows;
  await warmServer.stop();
  await coldServer.stop();
}

/** The accounts of section 5: the root sets up, a user with an identity policy decrypts. */
const AUTH_ROOT: Credentials = { accessKeyId: 'AKIABENCHROOT0000001', secretAccessKey: 'bench/root+secret/0000000000000000000000' };
const AUTH_USER: Credentials = { accessKeyId: 'AKIABENCHUSER0000001', secretAccessKey: 'bench/user+secret/0000000000000000000000' };
const AUTH_CONFIG = `accounts:
  "111122223333":
    principals:
      "arn:aws:iam::111122223333:root":
        accessKeys:
          - { accessKeyId: ${AUTH_ROOT.accessKeyId}, secretAccessKey: "${AUTH_ROOT.secretAccessKey}" }
      "arn:aws:iam::111122223333:user/bench":
        accessKeys:
          - { accessKeyId: ${AUTH_USER.accessKeyId}, secretAccessKeyEnv: TRENT_BENCH_USER_SECRET }
        policies:
          - Version: "2012-10-17"
            Statement:
              - { Effect: Allow, Action: "kms:Decrypt", Resource: "*" }
`;

/**
 * Section 5: Decrypt by a configured user (the default key policy and an identity policy let it)
 * on a server verifying SigV4, against Decrypt on the same server in development mode. Short runs
 * alternate between the two (in both orders), and the ratio is the median of each adjacent
 * pair's, so drift on a shared machine falls on both alike.
 */
async function authSection(): Promise<void> {
  say(`\n5. the cost of authentication: Decrypt, SigV4 verified against development mode (${workers} workers each, alternating short runs)`);
  const configFile = join(root, 'accounts.yaml');
  writeFileSync(configFile, AUTH_CONFIG);
  const quiet = { TRENT_KEY_PAIR_POOL: '0', TRENT_KEY_PAIR_RESERVE: '0' };
  const development = await trent(join(root, 'auth-dev'), quiet);
  const authenticated = await trent(join(root, 'auth-verified'), { ...quiet, TRENT_CONFIG: configFile, TRENT_BENCH_USER_SECRET: AUTH_USER.secretAccessKey });
  const plaintext = Buffer.alloc(32, 7).toString('base64');
  const decryptOn = async (url: string, setUp: Credentials | undefined, caller: Credentials | undefined): Promise<PreparedRequest[]> => {
    const keyId = ((await call(url, 'CreateKey', {}, setUp)) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
    const { CiphertextBlob } = (await call(url, 'Encrypt', { KeyId: keyId, Plaintext: plaintext }, setUp)) as { CiphertextBlob: string };
    return [await prepare(url, 'Decrypt', { CiphertextBlob }, caller)];
  };
  const devRequests = await decryptOn(development.url, undefined, undefined);
  const authRequests = await decryptOn(authenticated.url, AUTH_ROOT, AUTH_USER);
  const runs: Record<'development' | 'authenticated', LoadResult[]> = { development: [], authenticated: [] };
  const runSeconds = quick ? 1 : 2;
  for (let round = 0; round < (quick ? 4 : 10); round++) {
    const devFirst = round % 2 === 0;
    if (devFirst) runs.development.push(await load(development.url, devRequests, runSeconds));
    runs.authenticated.push(await load(authenticated.url, authRequests, runSeconds));
    if (!devFirst) runs.development.push(await load(development.url, devRequests, runSeconds));
  }
  await development.stop();
  await authenticated.stop();
  const mean = (results: LoadResult[]) => results.reduce((sum, r) => sum + r.perSecond, 0) / results.length;
  const errors = (results: LoadResult[]) => results.reduce((sum, r) => sum + r.errors, 0);
  const [dev, auth] = [mean(runs.development), mean(runs.authenticated)];
  const ratios = runs.authenticated.map((r, i) => r.perSecond / (runs.development[i] as LoadResult).perSecond).sort((a, b) => a - b);
  const median = ((ratios[(ratios.length - 1) >> 1] as number) + (ratios[ratios.length >> 1] as number)) / 2;
  say(`   ${'server'.padEnd(36)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)}`);
  for (const [name, results, perSecond] of [['development mode', runs.development, dev], ['authenticated (SigV4 verified)', runs.authenticated, auth]] as const) {
    const last = results[results.length - 1] as LoadResult;
    say(`   ${name.padEnd(36)} ${fmt(perSecond, 0).padStart(9)} ${fmt(percentile(last.latencies, 50), 2).padStart(8)} ${fmt(percentile(last.latencies, 99), 2).padStart(8)} ${String(errors(results)).padStart(7)}`);
  }
  say(`   authenticated / development: ${fmt(median * 100, 0)}% (median of ${ratios.length} adjacent pairs, ${ratios.map((r) => fmt(r * 100, 0)).join(' ')}; of the means ${fmt((auth / dev) * 100, 0)}%)`);
  results.authentication = {
    developmentPerSecond: dev,
    authenticatedPerSecond: auth,
    ratio: median,
    ratioOfMeans: auth / dev,
    pairRatios: ratios,
    errors: { development: errors(runs.development), authenticated: errors(runs.authenticated) },
  };
}

/**
 * Section 6: Sign and GenerateMac, with keys of the operations' own server (no key-pair pools,
 * which these operations do not use), against the trivial server measured before and after.
 */
async function keyOperationsSection(): Promise<void> {
  const server = await trent(join(root, 'keyops'), { TRENT_KEY_PAIR_POOL: '0', TRENT_KEY_PAIR_RESERVE: '0' });
  try {
    const createKey = async (input: object) => ((await call(server.url, 'CreateKey', input)) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
    const message = Buffer.from('a 32-byte message to be signed..').toString('base64');
    const signing = async (KeySpec: string, SigningAlgorithm: string): Promise<PreparedRequest[]> => {
      const KeyId = await createKey({ KeySpec, KeyUsage: 'SIGN_VERIFY' });
      return [await prepare(server.url, 'Sign', { KeyId, Message: message, MessageType: 'RAW', SigningAlgorithm })];
    };
    const macKeyId = await createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const operations: Array<[string, PreparedRequest[]]> = [
      ['Sign ECC_NIST_P256 ECDSA_SHA_256', await signing('ECC_NIST_P256', 'ECDSA_SHA_256')],
      ['Sign RSA_2048 RSASSA_PSS_SHA_256', await signing('RSA_2048', 'RSASSA_PSS_SHA_256')],
      ['Sign ML_DSA_65 ML_DSA_SHAKE_256', await signing('ML_DSA_65', 'ML_DSA_SHAKE_256')],
      ['GenerateMac HMAC_256 (32 bytes)', [await prepare(server.url, 'GenerateMac', { KeyId: macKeyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' })]],
    ];
    const trivial = await startProcess([TRIVIAL, String(workers)]);
    const trivialRequest = [await prepare(trivial.url, 'Sign', { KeyId: macKeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' })];
    say(`\n6. Sign and GenerateMac throughput against the trivial server (${workers} workers each, ${seconds} s per run)`);
    const ceilingBefore = await load(trivial.url, trivialRequest);
    const measured: Array<[string, LoadResult]> = [];
    for (const [name, requests] of operations) measured.push([name, await load(server.url, requests)]);
    const ceilingAfter = await load(trivial.url, trivialRequest);
    await trivial.stop();
    const ceiling = (ceilingBefore.perSecond + ceilingAfter.perSecond) / 2;
    say(`   ${'operation'.padEnd(36)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)} ${'of ceiling'.padStart(11)}`);
    say(`   ${'trivial server (ceiling)'.padEnd(36)} ${fmt(ceiling, 0).padStart(9)}`);
    const rows: Record<string, unknown>[] = [];
    for (const [name, r] of measured) {
      const ratio = r.perSecond / ceiling;
      rows.push({ operation: name, perSecond: r.perSecond, p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99), errors: r.errors, ratioToCeiling: ratio });
      say(
        `   ${name.padEnd(36)} ${fmt(r.perSecond, 0).padStart(9)} ${fmt(percentile(r.latencies, 50), 2).padStart(8)} ${fmt(percentile(r.latencies, 99), 2).padStart(8)} ${String(r.errors).padStart(7)} ${(fmt(ratio * 100, 0) + '%').padStart(11)}`,
      );
    }
    results.keyOperations = { ceilingPerSecond: ceiling, operations: rows };
  } finally {
    await server.stop();
  }
}

const root = mkdtempSync(join(tmpdir(), 'trent-bench-'));
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  concurrency,
  workers,
};

try {
  say(`Trent benchmark: ${workers} workers, concurrency ${concurrency}, ${cpus()[0]?.model ?? ''}, node ${process.version}`);
  if (sections.has('startup') || sections.has('throughput') || sections.has('rsa')) {
    // Section 1: start-up and memory with the defaults; the same server serves sections 2 and 3.
    const server = await trent(join(root, 'default'), {});
    say(`\n1. start-up: ready in ${fmt(server.readyMs, 0)} ms; filling default pools...`);
    await waitForFullPools(server.url, workers);
    const rss = residentBytes(server.child.pid as number);
    results.startup = { readyMs: server.readyMs, residentMiB: rss / 2 ** 20 };
    say(`   resident memory with full default pools: ${fmt(rss / 2 ** 20)} MiB (all ${workers + 1} processes)`);
    if (sections.has('throughput')) await throughputSection(server);
    if (sections.has('rsa')) await rsaSection(server);
    else await server.stop();
  }
  if (sections.has('latency')) await latencySection();
  if (sections.has('auth')) await authSection();
  if (sections.has('keyops')) await keyOperationsSection();
  if (sections.has('postgres')) {
    const databaseUrl = process.env.TRENT_BENCH_DATABASE_URL ?? process.env.TRENT_TEST_DATABASE_URL;
    if (databaseUrl === undefined) say('\n7. PostgreSQL: skipped (set TRENT_BENCH_DATABASE_URL or TRENT_TEST_DATABASE_URL to a database it may write to)');
    else {
      results.postgres = await postgresSection({
        databaseUrl,
        trent: (name, env) => trent(join(root, name), env, ['--workers', '1']),
        concurrency,
        quick,
        say,
      });
    }
  }
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
  say(`\nwrote bench/results/latest.json`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
