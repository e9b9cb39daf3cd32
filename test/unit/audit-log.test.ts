/**
 * The audit log file: group commit (lines appended together arrive whole and in order), two
 * writers on one file (as two workers), rotation by size with the writers following the new
 * file, and a failed write reported, not swallowed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AuditFile, rotateIfLarge } from '../../src/server/audit-log.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trent-audit-'));
  dirs.push(dir);
  return dir;
}

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').slice(0, -1);

describe('AuditFile', () => {
  it('appends concurrent lines whole, each once, in one file created 0600', async () => {
    const path = join(tempDir(), 'audit.log');
    const writes: string[] = [];
    const log = new AuditFile(path, { onWrite: (n) => writes.push(String(n)) });
    const sent = Array.from({ length: 500 }, (_, i) => JSON.stringify({ n: i, pad: 'x'.repeat(i % 97) }));
    await Promise.all(sent.map((line) => log.append(line)));
    assert.deepEqual(lines(path), sent);
    assert.ok(writes.length < sent.length, 'lines arriving together share a write and a sync');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(log.status(), { destination: path, ok: true, failures: 0, records: 500 });
    await log.close();
  });

  it('two writers (two workers) on one file: no line torn or lost', async () => {
    const path = join(tempDir(), 'audit.log');
    const [a, b] = [new AuditFile(path), new AuditFile(path)];
    const big = 'y'.repeat(6000); // past PIPE_BUF: a regular file's O_APPEND write stays whole anyway
    const sent = Array.from({ length: 200 }, (_, i) => JSON.stringify({ i, big }));
    await Promise.all(sent.map((line, i) => (i % 2 === 0 ? a : b).append(line)));
    assert.deepEqual(lines(path).sort(), [...sent].sort());
    await Promise.all([a.close(), b.close()]);
  });

  it('rotation by size: audit.log -> .1 -> .2, the oldest dropped; writers reopen the new file', async () => {
    const dir = tempDir();
    const path = join(dir, 'audit.log');
    const log = new AuditFile(path);
    await log.append('first');
    assert.equal(await rotateIfLarge(path, 1_000, 2), false, 'under the size: left alone');
    await log.append('x'.repeat(1_000));
    assert.equal(await rotateIfLarge(path, 1_000, 2), true);
    await log.append('second');
    assert.deepEqual(lines(`${path}.1`), ['first', 'x'.repeat(1_000)]);
    assert.deepEqual(lines(path), ['second']);
    await log.append('y'.repeat(1_000));
    assert.equal(await rotateIfLarge(path, 1_000, 2), true);
    await log.append('third');
    assert.equal(await rotateIfLarge(path, 1, 2), true);
    assert.deepEqual(lines(`${path}.1`), ['third']);
    assert.deepEqual(lines(`${path}.2`), ['second', 'y'.repeat(1_000)]);
    assert.equal(existsSync(`${path}.3`), false, 'keep = 2');
    assert.equal(existsSync(path), false);
    await log.append('fourth');
    assert.deepEqual(lines(path), ['fourth']);
    await log.close();
  });

  it('a write that fails rejects its lines and is reported; the next one that works clears it', async () => {
    const dir = tempDir();
    const failures: unknown[] = [];
    const log = new AuditFile(join(dir, 'missing', 'audit.log'), { onFailure: (err) => failures.push(err) });
    await assert.rejects(log.append('lost'), { code: 'ENOENT' });
    assert.equal(failures.length, 1);
    assert.deepEqual(log.status(), { destination: join(dir, 'missing', 'audit.log'), ok: false, failures: 1, lastError: 'ENOENT', records: 0 });
    await log.close();
  });
});
