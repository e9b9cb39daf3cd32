/**
 * `npm run bench:reserve`: what the durable key-pair reserve and the generation threads buy, and
 * what Trent costs as the number of keys grows, each figure a ratio measured in this one run.
 *
 *   restart  RSA_4096 GenerateDataKeyPair right after a restart of a server whose reserve was
 *            filled before, against on-demand generation on a server without one
 *   burst    100 concurrent RSA_2048 GenerateDataKeyPair served from the reserve, against the
 *            same burst on a server without one
 *   starve   ECC_NIST_P384 GenerateDataKeyPair latency while four CreateKey RSA_4096 run, with
 *            RSA generated on libuv's shared pool (TRENT_KEY_GENERATION_THREADS=0, as before)
 *            and on threads of its own (the default)
 *   refill   ECC_NIST_P256 GenerateDataKeyPair throughput while the reserve refills, against a
 *            server with nothing to refill, and the share of the server's CPU the refill took
 *   scale    Decrypt and GenerateDataKeyPair throughput with 10 keys and with 100,000, ListKeys
 *            over 100,000 keys, start time, database size per key, memory
 *
 * Throughput comes from wrk when it is installed (bench/wrk.ts), else from one loader process
 * per core. Options: --quick (shorter runs), --only restart,burst,starve,refill,scale. Writes
 * bench/results/reserve.json.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { KeyMaterials } from '../src/domain/key-material.js';
import { openDataDir } from '../src/server/data-dir.js';
import { call, percentile, prepare, runLoad, type PreparedRequest } from './load.js';
import { health, residentBytes, startProcess, type Started } from './processes.js';
import { drive, generatorNote, type Throughput } from './wrk.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));

const quick = process.argv.includes('--quick');
const onlyIndex = process.argv.indexOf('--only');
const sections = new Set((onlyIndex > 0 ? (process.argv[onlyIndex + 1] ?? '') : 'restart,burst,starve,refill,scale').split(','));
const workers = availableParallelism();
const seconds = quick ? 2 : 5;

const say = (line: string) => process.stdout.write(line + '\n');
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  workers,
  loadAverageAtStart: loadavg()[0],
};
const root = mkdtempSync(join(tmpdir(), 'trent-bench-reserve-'));

/** Nothing in the background unless a section asks: no RSA pools, no reserve. */
const QUIET = { TRENT_KEY_PAIR_POOL: 'RSA_2048=0,RSA_3072=0,RSA_4096=0', TRENT_KEY_PAIR_RESERVE: '0' };

function trent(dir: string, env: Record<string, string>, args: string[] = []): Promise<Started> {
  return startProcess([MAIN, 'serve', '--port', '0', '--data-dir', join(root, dir), ...args], { TRENT_LOG_LEVEL: 'warn', ...env });
}

async function createKey(url: string, input: object = {}): Promise<string> {
  return ((await call(url, 'CreateKey', input)) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
}

interface ReserveHealth {
  keyPairReserve: { paused: boolean; specs: Record<string, { ready: number; floor: number; generated: number }> } | null;
  keyPairPool: Record<string, { hits: number; misses: number; reserveHits?: number; ready: number; target: number }>;
}

async function reserveHealth(url: string): Promise<ReserveHealth> {
  return (await health(url)) as unknown as ReserveHealth;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 600_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const reserveFull = (url: string) => async () => {
  const specs = (await reserveHealth(url)).keyPairReserve?.specs ?? {};
  return Object.values(specs).every((s) => s.ready >= s.floor);
};

/** The median of the ratios of adjacent runs (a[i] / b[i]), so drift on a shared machine falls on both alike. */
function medianRatio(a: Throughput[], b: Throughput[]): number {
  const ratios = a.map((r, i) => r.perSecond / (b[i] as Throughput).perSecond).sort((x, y) => x - y);
  return ((ratios[(ratios.length - 1) >> 1] as number) + (ratios[ratios.length >> 1] as number)) / 2;
}

const ROUNDS = quick ? 1 : 3;

/** Sequential requests; latencies in ms, sorted. */
async function sequential(url: string, request: PreparedRequest, n: number): Promise<number[]> {
  return (await runLoad({ url, next: () => request, concurrency: 1, maxRequests: n })).latencies;
}

// ---- restart and burst ------------------------------------------------------------------------

async function restartAndBurst(): Promise<void> {
  const rsa4096 = quick ? 8 : 16;
  const burst = 100;
  const env = {
    TRENT_KEY_PAIR_RESERVE: `0,RSA_2048=${burst + 28},RSA_4096=${rsa4096}`,
    TRENT_KEY_PAIR_RESERVE_FLOOR: `RSA_2048=${burst + 28},RSA_4096=${rsa4096}`,
    TRENT_KEY_PAIR_POOL: 'RSA_3072=0',
  };
  say(`\nrestart / burst: filling a reserve of ${burst + 28} RSA_2048 and ${rsa4096} RSA_4096 pairs (${workers} workers)...`);
  const filling = await trent('reserve', env);
  const fillStart = performance.now();
  await waitFor(reserveFull(filling.url), 'the reserve to fill');
  const fillSeconds = (performance.now() - fillStart) / 1000;
  await filling.stop();
  say(`   filled in ${fmt(fillSeconds, 0)} s (one nice-19 thread, on a machine shared with other work); restarting`);

  const server = await trent('reserve', env);
  const keyId = await createKey(server.url);
  const warm = await sequential(server.url, await prepare(server.url, 'GenerateDataKeyPair', { KeyId: keyId, KeyPairSpec: 'RSA_4096' }), rsa4096 - 2);
  const afterRestart = await reserveHealth(server.url);
  const request2048 = await prepare(server.url, 'GenerateDataKeyPair', { KeyId: keyId, KeyPairSpec: 'RSA_2048' });
  const burstResult = await runLoad({ url: server.url, next: () => request2048, concurrency: burst, maxRequests: burst });
  const afterBurst = await reserveHealth(server.url);
  const rss = residentBytes(server.child.pid as number);
  await server.stop();

  const raw = await trent('raw', { TRENT_KEY_PAIR_POOL: '0', TRENT_KEY_PAIR_RESERVE: '0' });
  const rawKey = await createKey(raw.url);
  const onDemand = await sequential(raw.url, await prepare(raw.url, 'GenerateDataKeyPair', { KeyId: rawKey, KeyPairSpec: 'RSA_4096' }), quick ? 2 : 4);
  const raw2048 = await prepare(raw.url, 'GenerateDataKeyPair', { KeyId: rawKey, KeyPairSpec: 'RSA_2048' });
  const rawBurst = await runLoad({ url: raw.url, next: () => raw2048, concurrency: burst, maxRequests: burst });
  await raw.stop();

  const [w50, o50] = [percentile(warm, 50), percentile(onDemand, 50)];
  const pool4096 = afterRestart.keyPairPool.RSA_4096;
  say(`   server restarted in ${fmt(server.readyMs, 0)} ms; RSA_4096 GenerateDataKeyPair, ${warm.length} sequential requests right after:`);
  say(`     from the reserve p50 ${fmt(w50, 2)} ms, p99 ${fmt(percentile(warm, 99), 2)} ms (${pool4096?.misses ?? 0} misses); on demand p50 ${fmt(o50, 0)} ms: ${fmt(o50 / w50, 0)}x`);
  const pool2048 = afterBurst.keyPairPool.RSA_2048;
  say(`   burst of ${burst} concurrent RSA_2048: all answered in ${fmt(burstResult.seconds, 2)} s (p50 ${fmt(percentile(burstResult.latencies, 50), 1)} ms, p99 ${fmt(percentile(burstResult.latencies, 99), 1)} ms; ${pool2048?.hits ?? 0} memory hits, ${pool2048?.reserveHits ?? 0} claimed from the reserve, ${pool2048?.misses ?? 0} generated, ${burstResult.errors} errors)`);
  say(`     without a reserve: ${fmt(rawBurst.seconds, 2)} s (p50 ${fmt(percentile(rawBurst.latencies, 50), 0)} ms): ${fmt(rawBurst.seconds / burstResult.seconds, 0)}x longer`);
  say(`   resident memory of the reserve server after the burst: ${fmt(rss / 2 ** 20)} MiB (all ${workers + 1} processes)`);
  results.restart = { readyMs: server.readyMs, fillSeconds, reserve: { n: warm.length, p50: w50, p99: percentile(warm, 99), misses: pool4096?.misses }, onDemand: { n: onDemand.length, p50: o50 }, ratio: o50 / w50 };
  results.burst = {
    n: burst,
    reserve: { seconds: burstResult.seconds, p50: percentile(burstResult.latencies, 50), p99: percentile(burstResult.latencies, 99), errors: burstResult.errors, pool: pool2048 },
    withoutReserve: { seconds: rawBurst.seconds, p50: percentile(rawBurst.latencies, 50), errors: rawBurst.errors },
    ratio: rawBurst.seconds / burstResult.seconds,
    residentMiB: rss / 2 ** 20,
  };
}

// ---- starve -----------------------------------------------------------------------------------

async function starveOnce(threads: string): Promise<{ idle: number[]; during: number[]; createKeySeconds: number }> {
  const server = await trent(`starve-${threads}`, { ...QUIET, TRENT_KEY_GENERATION_THREADS: threads }, ['--workers', '1']);
  try {
    const keyId = await createKey(server.url);
    const p384 = await prepare(server.url, 'GenerateDataKeyPair', { KeyId: keyId, KeyPairSpec: 'ECC_NIST_P384' });
    const idle = await sequential(server.url, p384, 40);
    const t0 = performance.now();
    let done = 0;
    const creates = Array.from({ length: 4 }, () => createKey(server.url, { KeySpec: 'RSA_4096', KeyUsage: 'SIGN_VERIFY' }).finally(() => done++));
    const during: number[] = [];
    while (done < 4) during.push(...(await sequential(server.url, p384, 1)));
    await Promise.all(creates);
    return { idle, during: during.sort((a, b) => a - b), createKeySeconds: (performance.now() - t0) / 1000 };
  } finally {
    await server.stop();
  }
}

async function starve(): Promise<void> {
  say(`\nstarve: ECC_NIST_P384 GenerateDataKeyPair latency while four CreateKey RSA_4096 run (one worker)`);
  const before = await starveOnce('0');
  const after = await starveOnce('2');
  const row = (name: string, r: typeof before) =>
    say(`   ${name.padEnd(32)} idle p50 ${fmt(percentile(r.idle, 50), 2).padStart(6)} ms; during p50 ${fmt(percentile(r.during, 50), 2).padStart(7)}, p99 ${fmt(percentile(r.during, 99), 0).padStart(5)}, max ${fmt(r.during.at(-1) ?? NaN, 0).padStart(5)} ms; ${String(r.during.length).padStart(5)} served in the ${fmt(r.createKeySeconds, 1)} s the 4 CreateKey took`);
  row("RSA on libuv's pool (before)", before);
  row('RSA on generation threads (now)', after);
  const ratio = (before.during.at(-1) ?? NaN) / (after.during.at(-1) ?? NaN);
  const served = after.during.length / after.createKeySeconds / (before.during.length / before.createKeySeconds);
  say(`   with the threads: the slowest P-384 request ${fmt(ratio, 0)}x faster, ${fmt(served, 1)}x as many served per second meanwhile`);
  const summary = (r: typeof before) => ({
    idleP50: percentile(r.idle, 50),
    duringP50: percentile(r.during, 50),
    duringP99: percentile(r.during, 99),
    duringMax: r.during.at(-1),
    requests: r.during.length,
    createKeySeconds: r.createKeySeconds,
  });
  results.starve = { libuvPool: summary(before), generationThreads: summary(after), maxLatencyRatio: ratio, servedPerSecondRatio: served };
}

// ---- refill -----------------------------------------------------------------------------------

/** CPU seconds (user + system) of every thread at nice 19 in `pid`'s tasks, and of all of them. */
function threadCpuSeconds(pids: number[]): { niced: number; all: number } {
  const tick = 100; // USER_HZ on Linux
  let niced = 0;
  let all = 0;
  for (const pid of pids) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const cpu = (Number(f[11]) + Number(f[12])) / tick;
        all += cpu;
        if (Number(f[16]) === 19) niced += cpu;
      } catch {
        // the thread ended
      }
    }
  }
  return { niced, all };
}

function familyOf(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [pid, ...children];
}

async function refill(): Promise<void> {
  say(`\nrefill: ECC_NIST_P256 GenerateDataKeyPair throughput while the reserve refills (${generatorNote()}, 32 connections)`);
  // A reserve far larger than the run can fill, so the refiller works throughout.
  const refilling = await trent('refilling', { TRENT_KEY_PAIR_RESERVE: '0,RSA_4096=200', TRENT_KEY_PAIR_RESERVE_FLOOR: 'RSA_4096=200', TRENT_KEY_PAIR_POOL: 'RSA_2048=0,RSA_3072=0' });
  const idle = await trent('idle', QUIET);
  const requests = async (server: Started) => [await prepare(server.url, 'GenerateDataKeyPair', { KeyId: await createKey(server.url), KeyPairSpec: 'ECC_NIST_P256' })];
  const [withRefill, without] = [await requests(refilling), await requests(idle)];
  await new Promise((resolve) => setTimeout(resolve, 2000)); // let the cheap pools fill
  const runs = { refilling: [] as Throughput[], idle: [] as Throughput[] };
  let niced = 0;
  let all = 0;
  const generatedBefore = (await reserveHealth(refilling.url)).keyPairReserve?.specs.RSA_4096?.generated ?? 0;
  for (let round = 0; round < ROUNDS; round++) {
    const before = threadCpuSeconds(familyOf(refilling.child.pid as number));
    runs.refilling.push(await drive(refilling.url, withRefill, seconds));
    const after = threadCpuSeconds(familyOf(refilling.child.pid as number));
    niced += after.niced - before.niced;
    all += after.all - before.all;
    runs.idle.push(await drive(idle.url, without, seconds));
  }
  const report = await reserveHealth(refilling.url);
  const generated = (report.keyPairReserve?.specs.RSA_4096?.generated ?? 0) - generatedBefore;
  await refilling.stop();
  await idle.stop();
  const mean = (rs: Throughput[]) => rs.reduce((s, r) => s + r.perSecond, 0) / rs.length;
  const [a, b] = [mean(runs.refilling), mean(runs.idle)];
  const ratio = medianRatio(runs.refilling, runs.idle);
  say(`   while refilling ${fmt(a, 0)} req/s, with nothing to refill ${fmt(b, 0)} req/s: ${fmt(ratio * 100, 0)}% (median of ${ROUNDS} adjacent pairs)`);
  say(`   the refill thread (nice 19) took ${fmt(niced, 2)} of the server's ${fmt(all, 1)} CPU seconds under load (${fmt((niced / all) * 100, 1)}%), ${generated} RSA_4096 pairs`);
  results.refill = { refillingPerSecond: a, idlePerSecond: b, ratio, refillCpuSeconds: niced, serverCpuSeconds: all, refillShare: niced / all, pairsGenerated: generated, generator: runs.idle[0]?.generator };
}

// ---- scale ------------------------------------------------------------------------------------

function bytesOf(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

/** Adds `n` keys to a stopped server's database, each with its own wrapped material, as CreateKey stores them. */
async function seedKeys(dir: string, template: string, n: number): Promise<void> {
  const config = loadConfig({ dataDir: join(root, dir) }, {});
  const { store, rootKey } = await openDataDir(config);
  const scope = { account: config.account, region: config.region };
  const model = await store.getKey(scope, template);
  if (!model) throw new Error('template key missing');
  const materials = new KeyMaterials(store, rootKey);
  const batch = 5_000;
  for (let done = 0; done < n; done += batch) {
    await store.transaction(async (tx) => {
      for (let i = done; i < Math.min(n, done + batch); i++) {
        const keyId = randomUUID();
        const secret = randomBytes(32);
        const now = Date.now();
        await tx.createKey({ ...model, keyId, createdAt: now, tags: [], revision: 1 }, materials.wrap({ keyId, region: model.region }, 1, secret, now));
        secret.fill(0);
      }
    });
  }
  await store.close();
}

async function listAll(url: string): Promise<{ keys: number; pages: number; seconds: number }> {
  const t0 = performance.now();
  let marker: string | undefined;
  let keys = 0;
  let pages = 0;
  do {
    const page = (await call(url, 'ListKeys', { Limit: 1000, ...(marker && { Marker: marker }) })) as { Keys: unknown[]; NextMarker?: string; Truncated: boolean };
    keys += page.Keys.length;
    pages++;
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return { keys, pages, seconds: (performance.now() - t0) / 1000 };
}

async function scale(): Promise<void> {
  const many = quick ? 20_000 : 100_000;
  say(`\nscale: 10 keys against ${many.toLocaleString('en')} (${generatorNote()}, 32 connections, ${workers} workers)`);
  const setUp = async (dir: string, extra: number) => {
    let server = await trent(dir, QUIET);
    const keys = [];
    for (let i = 0; i < 10; i++) keys.push(await createKey(server.url));
    await server.stop();
    if (extra > 0) await seedKeys(dir, keys[0] as string, extra);
    server = await trent(dir, QUIET);
    return { server, keys, startMs: server.readyMs };
  };
  const small = await setUp('ten', 0);
  const large = await setUp('many', many - 10);
  // Requests spread over 1,000 keys of the large store (read from ListKeys), over the 10 of the small.
  const spreadKeys = async (url: string, own: string[]) => {
    if (own.length >= 1000) return own;
    const ids: string[] = [];
    let marker: string | undefined;
    while (ids.length < 1000) {
      const page = (await call(url, 'ListKeys', { Limit: 1000, ...(marker && { Marker: marker }) })) as { Keys: { KeyId: string }[]; NextMarker?: string; Truncated: boolean };
      ids.push(...page.Keys.map((k) => k.KeyId));
      if (!page.Truncated) break;
      marker = page.NextMarker;
    }
    return ids.length > 10 ? ids.filter((_, i) => i % Math.floor(ids.length / 1000) === 0).slice(0, 1000) : ids;
  };
  const plaintext = Buffer.alloc(32, 7).toString('base64');
  const requestsFor = async (url: string, keyIds: string[]) => {
    const decrypt: PreparedRequest[] = [];
    const pairs: PreparedRequest[] = [];
    for (let i = 0; i < 1000; i++) {
      const KeyId = keyIds[i % keyIds.length] as string;
      if (i < 200 || keyIds.length > 10) {
        const { CiphertextBlob } = (await call(url, 'Encrypt', { KeyId, Plaintext: plaintext })) as { CiphertextBlob: string };
        decrypt.push(await prepare(url, 'Decrypt', { CiphertextBlob }));
      }
      pairs.push(await prepare(url, 'GenerateDataKeyPair', { KeyId, KeyPairSpec: 'ECC_NIST_P256' }));
    }
    return { decrypt, pairs };
  };
  // The same 10 keys in use on both servers isolates the size of the store; requests spread over
  // 1,000 of the 100,000 add what touching many keys costs (caches hold 10,000 per process).
  const smallRequests = await requestsFor(small.server.url, small.keys);
  const largeRequests = await requestsFor(large.server.url, large.keys);
  const spreadRequests = await requestsFor(large.server.url, await spreadKeys(large.server.url, []));
  type Runs = { small: Throughput[]; large: Throughput[]; spread: Throughput[] };
  const measured: Record<string, Runs> = {
    Decrypt: { small: [], large: [], spread: [] },
    'GenerateDataKeyPair ECC_NIST_P256': { small: [], large: [], spread: [] },
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [operation, runs] of Object.entries(measured)) {
      const pick = (r: { decrypt: PreparedRequest[]; pairs: PreparedRequest[] }) => (operation === 'Decrypt' ? r.decrypt : r.pairs);
      const order: Array<[keyof Runs, string, PreparedRequest[]]> = [
        ['small', small.server.url, pick(smallRequests)],
        ['large', large.server.url, pick(largeRequests)],
        ['spread', large.server.url, pick(spreadRequests)],
      ];
      if (round % 2 === 1) order.reverse();
      for (const [which, url, requests] of order) runs[which].push(await drive(url, requests, seconds));
    }
  }
  const listSmall = await listAll(small.server.url);
  const listLarge = await listAll(large.server.url);
  const firstPage = await sequential(large.server.url, await prepare(large.server.url, 'ListKeys', { Limit: 100 }), 50);
  const rss = { small: residentBytes(small.server.child.pid as number), large: residentBytes(large.server.child.pid as number) };
  await small.server.stop();
  await large.server.stop();
  const size = { small: bytesOf(join(root, 'ten')), large: bytesOf(join(root, 'many')) };
  const mean = (rs: Throughput[]) => rs.reduce((s, r) => s + r.perSecond, 0) / rs.length;
  const rows: Record<string, unknown> = {};
  for (const [operation, runs] of Object.entries(measured)) {
    const [a, b, c] = [mean(runs.small), mean(runs.large), mean(runs.spread)];
    const [ratio, spreadRatio] = [medianRatio(runs.large, runs.small), medianRatio(runs.spread, runs.small)];
    rows[operation] = { tenKeys: a, manyKeys: b, ratio, manyKeysSpread: c, spreadRatio };
    say(`   ${operation.padEnd(34)} 10 keys ${fmt(a, 0).padStart(6)} req/s; ${many.toLocaleString('en')} keys, the same 10 used ${fmt(b, 0).padStart(6)} req/s: ${fmt(ratio * 100, 0)}%; 1,000 used ${fmt(c, 0).padStart(6)} req/s: ${fmt(spreadRatio * 100, 0)}%`);
  }
  say(`   (ratios: medians of ${ROUNDS} adjacent runs)`);
  say(`   ListKeys, every page of 1,000: ${fmt(listLarge.seconds, 2)} s for ${listLarge.keys.toLocaleString('en')} keys (${listLarge.pages} pages, ${fmt((listLarge.seconds / listLarge.pages) * 1000, 1)} ms a page); first page of 100: p50 ${fmt(percentile(firstPage, 50), 2)} ms`);
  say(`   start (ready line): ${fmt(small.startMs, 0)} ms with 10 keys, ${fmt(large.startMs, 0)} ms with ${many.toLocaleString('en')}`);
  const perKey = (size.large - size.small) / (many - 10);
  say(`   database: ${fmt(size.small / 1024, 0)} KiB with 10 keys, ${fmt(size.large / 2 ** 20, 1)} MiB with ${many.toLocaleString('en')}: ${fmt(perKey, 0)} bytes a key`);
  say(`   resident memory after the loads: ${fmt(rss.small / 2 ** 20)} MiB (10 keys), ${fmt(rss.large / 2 ** 20)} MiB (${many.toLocaleString('en')} keys)`);
  results.scale = {
    keys: many,
    throughput: rows,
    listKeys: { ...listLarge, tenKeys: listSmall, firstPageP50: percentile(firstPage, 50) },
    startMs: { tenKeys: small.startMs, manyKeys: large.startMs },
    databaseBytes: size,
    bytesPerKey: perKey,
    residentMiB: { tenKeys: rss.small / 2 ** 20, manyKeys: rss.large / 2 ** 20 },
    generator: measured.Decrypt?.small[0]?.generator,
  };
}

try {
  say(`Trent reserve and scale benchmark: ${workers} workers, ${cpus()[0]?.model ?? ''}, node ${process.version}, load average ${fmt(loadavg()[0] ?? NaN)}`);
  if (sections.has('restart') || sections.has('burst')) await restartAndBurst();
  if (sections.has('starve')) await starve();
  if (sections.has('refill')) await refill();
  if (sections.has('scale')) await scale();
  results.loadAverage = { start: results.loadAverageAtStart, end: loadavg()[0] };
  say(`\nload average at the end: ${fmt(loadavg()[0] ?? NaN)} (other work on the machine moves absolute figures; the ratios are side by side)`);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'reserve.json'), JSON.stringify(results, null, 2) + '\n');
  say(`\nwrote bench/results/reserve.json`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
