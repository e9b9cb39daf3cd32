/**
 * `npm run soak`: a bounded soak run. Starts Trent with its defaults, drives a mixed workload
 * (Encrypt, Decrypt, GenerateDataKey, GenerateDataKeyPair of several specs, DescribeKey,
 * ListAliases, CreateKey) with concurrent signed requests for a few minutes, and reports per
 * interval the request rate, errors and latency percentiles, and the server's resident memory.
 * Exits non-zero if any request failed. Writes bench/results/soak.json.
 *
 * Options: --minutes N (default 3), --interval S (default 15), --concurrency N (default 8).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { call, percentile, prepare, runLoad, type PreparedRequest } from './load.js';
import { heapUsedMiB, residentBytes, startProcess, waitForFullPools } from './processes.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const minutes = option('--minutes', 3);
const intervalSeconds = option('--interval', 15);
const concurrency = option('--concurrency', 8);
const say = (line: string) => process.stdout.write(line + '\n');

/** A small seeded generator (mulberry32) so every run sends the same mix. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const root = mkdtempSync(join(tmpdir(), 'trent-soak-'));
try {
  const server = await startProcess([MAIN, 'serve', '--port', '0', '--data-dir', root], { TRENT_LOG_LEVEL: 'warn' });
  say(`soak: ${minutes} min, ${concurrency} concurrent, ${cpus().length} cores; Trent ready in ${server.readyMs.toFixed(0)} ms`);
  await waitForFullPools(server.url, cpus().length);

  const keys: string[] = [];
  for (let i = 0; i < 4; i++) {
    const keyId = ((await call(server.url, 'CreateKey', { Description: `soak ${i}` })) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
    await call(server.url, 'CreateAlias', { AliasName: `alias/soak-${i}`, TargetKeyId: keyId });
    keys.push(keyId);
  }
  const context = { purpose: 'soak' };
  const blobs: string[] = [];
  for (const keyId of keys) {
    const { CiphertextBlob } = (await call(server.url, 'Encrypt', { KeyId: keyId, Plaintext: Buffer.alloc(64, 1).toString('base64'), EncryptionContext: context })) as { CiphertextBlob: string };
    blobs.push(CiphertextBlob);
  }
  const mix: Array<[number, PreparedRequest[]]> = [];
  const add = async (weight: number, operation: string, inputs: object[]) =>
    mix.push([weight, await Promise.all(inputs.map((input) => prepare(server.url, operation, input)))]);
  await add(30, 'Encrypt', keys.map((k) => ({ KeyId: k, Plaintext: Buffer.alloc(200, 2).toString('base64'), EncryptionContext: context })));
  await add(25, 'Decrypt', blobs.map((b) => ({ CiphertextBlob: b, EncryptionContext: context })));
  await add(12, 'GenerateDataKey', keys.map((_, i) => ({ KeyId: `alias/soak-${i}`, KeySpec: 'AES_256', EncryptionContext: context })));
  await add(10, 'GenerateDataKeyPair', keys.map((k) => ({ KeyId: k, KeyPairSpec: 'ECC_NIST_P256', EncryptionContext: context })));
  await add(4, 'GenerateDataKeyPairWithoutPlaintext', keys.map((k) => ({ KeyId: k, KeyPairSpec: 'ML_KEM_768' })));
  await add(1, 'GenerateDataKeyPair', keys.map((k) => ({ KeyId: k, KeyPairSpec: 'RSA_2048' })));
  await add(10, 'DescribeKey', keys.map((k) => ({ KeyId: k })));
  await add(6, 'ListAliases', [{ Limit: 10 }]);
  await add(2, 'CreateKey', [{ Description: 'soak-created' }]);
  const total = mix.reduce((sum, [w]) => sum + w, 0);
  const pick = random(20261123);
  const next = (): PreparedRequest => {
    let r = pick() * total;
    for (const [weight, requests] of mix) {
      if ((r -= weight) < 0) return requests[Math.floor(pick() * requests.length)] as PreparedRequest;
    }
    return mix[0]?.[1][0] as PreparedRequest;
  };

  const pid = server.child.pid as number;
  const startMiB = residentBytes(pid) / 2 ** 20;
  say(`resident memory before load: ${startMiB.toFixed(1)} MiB\n`);
  say(`${'t (s)'.padStart(6)} ${'req/s'.padStart(8)} ${'errors'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'RSS MiB'.padStart(8)} ${'heap MiB'.padStart(9)}`);
  const intervals: Record<string, unknown>[] = [];
  let requests = 0;
  let errors = 0;
  let elapsed = 0;
  while (elapsed < minutes * 60) {
    const r = await runLoad({ url: server.url, next, concurrency, durationMs: intervalSeconds * 1000 });
    elapsed += r.seconds;
    requests += r.requests;
    errors += r.errors;
    const rss = residentBytes(pid) / 2 ** 20;
    const heap = await heapUsedMiB(server.url);
    const row = { t: elapsed, perSecond: r.perSecond, errors: r.errors, p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99), max: r.latencies[r.latencies.length - 1] ?? NaN, rssMiB: rss, heapUsedMiB: heap };
    intervals.push(row);
    say(`${elapsed.toFixed(0).padStart(6)} ${r.perSecond.toFixed(0).padStart(8)} ${String(r.errors).padStart(7)} ${row.p50.toFixed(2).padStart(8)} ${row.p99.toFixed(2).padStart(8)} ${row.max.toFixed(1).padStart(8)} ${rss.toFixed(1).padStart(8)} ${heap.toFixed(1).padStart(9)}`);
  }
  await server.stop();
  const firstRss = (intervals[0]?.rssMiB as number) ?? startMiB;
  const lastRss = (intervals[intervals.length - 1]?.rssMiB as number) ?? startMiB;
  const summary = { minutes, concurrency, requests, errors, startMiB, firstIntervalMiB: firstRss, lastIntervalMiB: lastRss, growthAfterFirstIntervalPercent: ((lastRss - firstRss) / firstRss) * 100, intervals };
  say(`\n${requests} requests, ${errors} errors; resident memory ${startMiB.toFixed(1)} MiB before load, ${firstRss.toFixed(1)} after the first interval, ${lastRss.toFixed(1)} at the end (${summary.growthAfterFirstIntervalPercent.toFixed(1)}% growth after the first interval)`);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'soak.json'), JSON.stringify(summary, null, 2) + '\n');
  if (errors > 0) process.exitCode = 1;
} finally {
  rmSync(root, { recursive: true, force: true });
}
