/**
 * `trent audit tail` and `trent audit search`, run as the command line runs them (the built
 * main.js in a child process) on an audit log written by the app through a real AuditFile, with
 * a rotation in the middle so that the rotated file is read too.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { tailAuditLog } from '../../src/cli/audit.js';
import { AuditFile, rotateIfLarge } from '../../src/server/audit-log.js';
import { createTestApp, type TestApp } from '../helpers/in-process.js';
import { waitUntil } from '../helpers/processes.js';
import { MAIN } from '../helpers/spawn-server.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'trent-audit-cli-'));
const path = join(dir, 'audit.log');
after(() => rmSync(dir, { recursive: true, force: true }));

async function trent(...args: string[]): Promise<Record<string, unknown>[]> {
  const { stdout } = await run(process.execPath, [MAIN, 'audit', ...args, '--audit-log', path]);
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const names = (records: Record<string, unknown>[]) => records.map((r) => r.eventName);

describe('trent audit', () => {
  let t: TestApp;
  let log: AuditFile;
  let first: { keyId: string; arn: string };
  let second: { keyId: string; arn: string };
  const start = Date.UTC(2026, 0, 1);

  before(async () => {
    log = new AuditFile(path);
    t = createTestApp({ auditLog: log });
    first = await t.createKey(); // 2026-01-01T00:00:00Z
    await t.ok('Encrypt', { KeyId: first.keyId, Plaintext: 'aGk=' });
    t.clock.advance(3_600_000);
    assert.equal(await rotateIfLarge(path, 1, 5), true);
    second = await t.createKey(); // 01:00
    await t.ok('ReEncrypt', { CiphertextBlob: (await t.ok('Encrypt', { KeyId: first.keyId, Plaintext: 'aGk=' })).CiphertextBlob, DestinationKeyId: second.keyId });
    t.clock.advance(3_600_000);
    await t.call('DescribeKey', { KeyId: 'alias/none' }); // 02:00
  });
  after(() => log.close());

  it('search: every record, oldest first, across the rotated file', async () => {
    assert.deepEqual(names(await trent('search')), ['CreateKey', 'Encrypt', 'CreateKey', 'Encrypt', 'ReEncrypt', 'DescribeKey']);
  });

  it('search --key-id: by key id or key ARN, as a resource or in the request', async () => {
    assert.deepEqual(names(await trent('search', '--key-id', first.keyId)), ['CreateKey', 'Encrypt', 'Encrypt', 'ReEncrypt']);
    assert.deepEqual(names(await trent('search', '--key-id', second.arn)), ['CreateKey', 'ReEncrypt']);
    assert.deepEqual(names(await trent('search', '--key-id', 'alias/none')), ['DescribeKey']);
  });

  it('search --event-name and --since / --until (ISO 8601), combined', async () => {
    assert.deepEqual(names(await trent('search', '--event-name', 'Encrypt')), ['Encrypt', 'Encrypt']);
    assert.deepEqual(names(await trent('search', '--since', new Date(start + 3_600_000).toISOString())), ['CreateKey', 'Encrypt', 'ReEncrypt', 'DescribeKey']);
    assert.deepEqual(names(await trent('search', '--until', '2026-01-01T00:59:59Z')), ['CreateKey', 'Encrypt']);
    assert.deepEqual(names(await trent('search', '--event-name', 'Encrypt', '--since', '2026-01-01T01:00:00Z')), ['Encrypt']);
    assert.deepEqual(await trent('search', '--since', '1h'), [], 'an age counts back from now, after these records');
  });

  it('tail -n: the last records, across the rotated file', async () => {
    assert.deepEqual(names(await trent('tail', '-n', '5')), ['Encrypt', 'CreateKey', 'Encrypt', 'ReEncrypt', 'DescribeKey']);
    assert.equal((await trent('tail')).length, 6);
  });

  it('tail of a large log: read backwards across blocks, exactly the last lines, and where they end', () => {
    const big = join(dir, 'big.log');
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ eventName: `E${i}`, pad: 'z'.repeat(i % 150) }));
    writeFileSync(big, `${lines.join('\n')}\n{"eventName":"half-writ`);
    for (const count of [0, 1, 7, 1500, 2999, 3000, 5000]) {
      const tail = tailAuditLog({ auditLog: big, count });
      assert.deepEqual(tail.lines, count === 0 ? [] : lines.slice(-count), `-n ${count}`);
      assert.equal(tail.position.offset, Buffer.byteLength(`${lines.join('\n')}\n`), 'the line being written is left for --follow');
    }
  });

  it('tail: a line cut by a block boundary is never printed as a record', () => {
    // Lines of exactly 1,000 bytes: the last 64 KiB block holds 66 whole lines and the end of a 67th.
    const cut = join(dir, 'cut.log');
    const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({ eventName: `E${String(i).padStart(3, '0')}`, pad: '' }).padEnd(999, ' '));
    writeFileSync(cut, `${lines.join('\n')}\n`);
    for (const count of [65, 66, 67]) assert.deepEqual(tailAuditLog({ auditLog: cut, count }).lines, lines.slice(-count), `-n ${count}`);
  });

  it('a bad time or a missing log: one line on stderr, exit code 1', async () => {
    await assert.rejects(run(process.execPath, [MAIN, 'audit', 'search', '--since', 'yesterday', '--audit-log', path]), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr, /^trent: 'yesterday' is not a time/);
      return true;
    });
    await assert.rejects(run(process.execPath, [MAIN, 'audit', 'tail', '--audit-log', join(dir, 'none.log')]), (err: { code: number; stderr: string }) => {
      assert.equal(err.stderr, `trent: no audit log at ${join(dir, 'none.log')}\n`);
      return true;
    });
  });

  it('tail --follow: new records as they are written, across a rotation', async () => {
    const child = spawn(process.execPath, [MAIN, 'audit', 'tail', '-n', '1', '--follow', '--audit-log', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      // The last record printed: it has read the log, and follows from just after that record.
      await waitUntil(() => out.includes('"DescribeKey"'), 'the last record');
      await t.ok('ListKeys', {});
      await waitUntil(() => out.includes('"ListKeys"'), 'the ListKeys record');
      await t.ok('ListAliases', {});
      assert.equal(await rotateIfLarge(path, 1, 5), true);
      await t.ok('GenerateRandom', { NumberOfBytes: 8 });
      await waitUntil(() => out.includes('"GenerateRandom"'), 'the record written after the rotation');
      const followed = out.split('\n').filter((line) => line !== '').map((line) => (JSON.parse(line) as { eventName: string }).eventName);
      assert.deepEqual(followed, ['DescribeKey', 'ListKeys', 'ListAliases', 'GenerateRandom']);
    } finally {
      child.kill();
    }
  });
});
