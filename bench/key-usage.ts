/**
 * What GetKeyLastUsage's bookkeeping costs Decrypt (issue 21: at most 5% of its throughput).
 * Two apps over one SQLite store, as served: one with the real tracker (a map write per request,
 * a batch written every second), one whose tracker notes nothing. They take turns in short
 * slices (250 ms; ROUND_MS, ROUNDS change it), so drift on a shared machine hits both alike; the
 * ratio of their Decrypt rates is the median over the rounds, and the ratio of the totals. In-process, without HTTP: the worst case, since HTTP adds
 * the same fixed cost to both. Usage: npm run bench:key-usage
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/domain/clock.js';
import { KeyUsageTracker } from '../src/domain/key-usage.js';
import { createKmsApp } from '../src/server/app.js';
import { SqliteStore } from '../src/storage/sqlite.js';
import { benchServices } from './in-process.js';

/** The baseline: a tracker that notes nothing (so never writes). */
class NoTracking extends KeyUsageTracker {
  override record(): void {}
}

const dir = mkdtempSync(join(tmpdir(), 'trent-usage-bench-'));
const store = new SqliteStore(join(dir, 'trent.db'));
const base = benchServices(store);
const tracker = new KeyUsageTracker(store, systemClock);
tracker.start();
const tracked = createKmsApp({ ...base, keyUsage: tracker });
const untracked = createKmsApp({ ...base, keyUsage: new NoTracking(store, systemClock) });

function request(operation: string, input: object) {
  return {
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${operation}` },
    body: Buffer.from(JSON.stringify(input)),
  };
}

const created = JSON.parse((await tracked.handle(request('CreateKey', {}))).body) as { KeyMetadata: { KeyId: string } };
const keyId = created.KeyMetadata.KeyId;
const encrypted = await tracked.handle(request('Encrypt', { KeyId: keyId, Plaintext: randomBytes(32).toString('base64'), EncryptionContext: { app: 'bench' } }));
const { CiphertextBlob } = JSON.parse(encrypted.body) as { CiphertextBlob: string };
const decrypt = request('Decrypt', { CiphertextBlob, EncryptionContext: { app: 'bench' } });

/** Decrypts per second through `app` for `ms`. */
async function rate(app: typeof tracked, ms: number): Promise<number> {
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < ms) {
    const response = await app.handle(decrypt);
    if (response.status !== 200) throw new Error(response.body);
    n++;
  }
  return (n * 1000) / (performance.now() - started);
}

await rate(tracked, 500);
await rate(untracked, 500);
const rounds = Number(process.env.ROUNDS ?? 40);
const slice = Number(process.env.ROUND_MS ?? 250);
const ratios: number[] = [];
let totalWith = 0;
let totalWithout = 0;
for (let round = 1; round <= rounds; round++) {
  // Alternate which goes first, so neither always runs right after the other.
  let withTracking: number;
  let without: number;
  if (round % 2 === 0) {
    withTracking = await rate(tracked, slice);
    without = await rate(untracked, slice);
  } else {
    without = await rate(untracked, slice);
    withTracking = await rate(tracked, slice);
  }
  totalWith += withTracking;
  totalWithout += without;
  ratios.push(withTracking / without);
}
const median = [...ratios].sort((x, y) => x - y)[Math.floor(ratios.length / 2)] as number;
process.stdout.write(`Decrypt, in-process, ${rounds} rounds of ${slice} ms each:\n`);
process.stdout.write(`  with tracking    ${(totalWith / rounds).toFixed(0).padStart(7)} /s\n  without tracking ${(totalWithout / rounds).toFixed(0).padStart(7)} /s\n`);
process.stdout.write(`  ratio of the means ${(totalWith / totalWithout).toFixed(3)}, median ratio of the rounds ${median.toFixed(3)}\n`);
await tracker.stop();
await store.close();
rmSync(dir, { recursive: true, force: true });
