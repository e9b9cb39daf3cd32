/**
 * A PostgreSQL URL holds a password: logs, /health and refusals show it hidden. A server whose
 * database does not answer at start-up refuses to start with one line naming the database (its
 * password hidden) and the driver's reason. Needs no database: the port refuses connections.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { openDataDir } from '../../src/server/data-dir.js';
import { redactedDatabaseUrl } from '../../src/storage/database-url.js';

describe('PostgreSQL URLs and refusals', () => {
  it('hides the password and keeps the rest of the URL', () => {
    assert.equal(redactedDatabaseUrl('postgres://trent:hunter2@db.example:5432/kms?sslmode=verify-full'), 'postgres://trent:***@db.example:5432/kms?sslmode=verify-full');
    assert.equal(redactedDatabaseUrl('postgres://trent@db.example/kms'), 'postgres://trent@db.example/kms');
    assert.equal(redactedDatabaseUrl('not a url hunter2'), 'postgres://(unparsable URL)');
  });

  it('refuses to start when the database does not answer, naming it without its password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trent-pg-url-'));
    try {
      const config = loadConfig({ dataDir: dir }, { TRENT_DATABASE_URL: 'postgres://trent:hunter2@127.0.0.1:1/kms', TRENT_DATABASE_TIMEOUT_MS: '1000' });
      await assert.rejects(openDataDir(config), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /^cannot open the PostgreSQL database postgres:\/\/trent:\*\*\*@127\.0\.0\.1:1\/kms: .*ECONNREFUSED/);
        assert.doesNotMatch(err.message, /hunter2/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
