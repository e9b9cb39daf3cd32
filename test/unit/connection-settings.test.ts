/** The connection settings of src/config.ts: maxConnections and idleTimeoutMs. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('connection settings', () => {
  it('default to 512 connections per worker and a 65 s idle timeout', () => {
    const config = loadConfig({}, {});
    assert.deepEqual([config.maxConnections, config.idleTimeoutMs], [512, 65_000]);
  });

  it('are read from the environment', () => {
    const config = loadConfig({}, { TRENT_MAX_CONNECTIONS: '8', TRENT_IDLE_TIMEOUT_MS: '300' });
    assert.deepEqual([config.maxConnections, config.idleTimeoutMs], [8, 300]);
  });

  it('are read from the config file, below the environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trent-config-'));
    try {
      const file = join(dir, 'trent.yaml');
      writeFileSync(file, 'maxConnections: 64\nidleTimeoutMs: 5000\n');
      assert.deepEqual(
        [loadConfig({ config: file }, {}).maxConnections, loadConfig({ config: file }, {}).idleTimeoutMs],
        [64, 5000],
      );
      assert.equal(loadConfig({ config: file }, { TRENT_MAX_CONNECTIONS: '16' }).maxConnections, 16);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [name, env, message] of [
    ['a cap of zero', { TRENT_MAX_CONNECTIONS: '0' }, "TRENT_MAX_CONNECTIONS must be an integer >= 1, not '0'"],
    ['a cap that is not a number', { TRENT_MAX_CONNECTIONS: 'many' }, "TRENT_MAX_CONNECTIONS must be an integer >= 1, not 'many'"],
    ['an idle timeout of zero', { TRENT_IDLE_TIMEOUT_MS: '0' }, "TRENT_IDLE_TIMEOUT_MS must be an integer >= 1, not '0'"],
    ['an idle timeout in seconds notation', { TRENT_IDLE_TIMEOUT_MS: '5s' }, "TRENT_IDLE_TIMEOUT_MS must be an integer >= 1, not '5s'"],
  ] as const) {
    it(`refuses ${name}`, () => {
      assert.throws(() => loadConfig({}, env), (err: unknown) => err instanceof ConfigError && err.message === message);
    });
  }
});
