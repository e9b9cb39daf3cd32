/**
 * What the audit log costs a request, in-process (no HTTP), side by side in one run: Encrypt
 * through the whole app pipeline (SQLite store, as served) with the audit log off, and with it
 * written to a file and fdatasync'ed before each answer, one request at a time and 32 at once
 * (group commit: requests in flight share one write and one sync), and written without the sync
 * (auditLogSync false). Prints requests per second, the ratio to the audit log off, and records
 * per sync.
 * Usage: npm run bench:audit
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKmsApp, type App } from '../src/server/app.js';
import { AuditFile } from '../src/server/audit-log.js';
import { SqliteStore } from '../src/storage/sqlite.js';
import { benchServices } from './in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'trent-audit-bench-'));
const store = new SqliteStore(join(dir, 'trent.db'));
const services = benchServices(store, { attestationRoots: [] }); // no Recipient in this benchmark

const request = (operation: string, input: object) => ({
  method: 'POST',
  path: '/',
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${operation}` },
  body: Buffer.from(JSON.stringify(input)),
});

/** Requests per second of `app` answering Encrypt, `concurrency` at a time, for `ms`. */
async function rate(app: App, keyId: string, concurrency: number, ms = 1_500): Promise<number> {
  const encrypt = request('Encrypt', { KeyId: keyId, Plaintext: randomBytes(32).toString('base64'), EncryptionContext: { purpose: 'bench' } });
  for (let i = 0; i < 100; i++) await app.handle(encrypt); // warm up
  let done = 0;
  const until = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const response = await app.handle(encrypt);
        if (response.status !== 200) throw new Error(response.body);
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

const off = createKmsApp(services);
let syncs = 0;
const file = new AuditFile(join(dir, 'audit.log'), { onWrite: () => syncs++ });
const audited = createKmsApp(services, { auditLog: file });
const unsynced = new AuditFile(join(dir, 'audit-unsynced.log'), {}, { sync: false });
const pageCache = createKmsApp(services, { auditLog: unsynced });
const created = JSON.parse((await off.handle(request('CreateKey', {}))).body) as { KeyMetadata: { KeyId: string } };
const keyId = created.KeyMetadata.KeyId;

console.log('Encrypt through the app pipeline (SQLite), requests/s; audit log off vs fdatasync before each answer');
for (const concurrency of [1, 32]) {
  const without = await rate(off, keyId, concurrency);
  const [records0, syncs0] = [file.status().records, syncs];
  const withAudit = await rate(audited, keyId, concurrency);
  const perSync = (file.status().records - records0) / Math.max(1, syncs - syncs0);
  const withoutSync = await rate(pageCache, keyId, concurrency);
  console.log(
    `concurrency ${String(concurrency).padStart(2)}: off ${without.toFixed(0).padStart(6)}/s, synced ${withAudit.toFixed(0).padStart(6)}/s ` +
      `(${(withAudit / without).toFixed(2)}x, ${perSync.toFixed(1)} records per sync), auditLogSync false ${withoutSync.toFixed(0).padStart(6)}/s (${(withoutSync / without).toFixed(2)}x)`,
  );
}
await file.close();
await unsynced.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
