/** Configuration rules beyond precedence (which key-lifecycle.test.ts covers). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, isLoopbackHost, loadConfig } from '../../src/config.js';

describe('listening address', () => {
  for (const host of ['127.0.0.1', '127.5.6.7', '::1', 'localhost']) {
    it(`accepts loopback ${host}`, () => {
      assert.equal(isLoopbackHost(host), true);
      assert.equal(loadConfig({ host }, {}).host, host);
    });
  }
  for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.10', 'example.com', '128.0.0.1']) {
    it(`refuses ${host} while no accounts are configured`, () => {
      assert.throws(() => loadConfig({ host }, {}), (err: unknown) => err instanceof ConfigError && /refusing to listen on/.test(err.message));
    });
  }
});

describe('key-pair pool sizes', () => {
  const rows = [
    { name: 'one size for every spec', env: '8', expected: { all: 8, perSpec: {} } },
    { name: 'per spec', env: 'RSA_4096=32, ECC_NIST_P256=128', expected: { perSpec: { RSA_4096: 32, ECC_NIST_P256: 128 } } },
    { name: 'both', env: '0,RSA_2048=4', expected: { all: 0, perSpec: { RSA_2048: 4 } } },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(loadConfig({}, { TRENT_KEY_PAIR_POOL: row.env }).keyPairPool, row.expected);
    });
  }
  for (const bad of ['-1', 'RSA_2048=x', '=4', 'RSA_2048=1.5']) {
    it(`refuses '${bad}'`, () => {
      assert.throws(() => loadConfig({}, { TRENT_KEY_PAIR_POOL: bad }), ConfigError);
    });
  }
});

describe('limits', () => {
  it('has defaults', () => {
    const config = loadConfig({}, {});
    assert.equal(config.maxConcurrentRequests, 256);
    assert.equal(config.headersTimeoutMs, 10_000);
    assert.equal(config.requestTimeoutMs, 30_000);
  });
  it('reads them from the environment', () => {
    const config = loadConfig({}, { TRENT_MAX_CONCURRENT_REQUESTS: '4', TRENT_HEADERS_TIMEOUT_MS: '100', TRENT_REQUEST_TIMEOUT_MS: '200' });
    assert.deepEqual([config.maxConcurrentRequests, config.headersTimeoutMs, config.requestTimeoutMs], [4, 100, 200]);
  });
  it('refuses a headers timeout longer than the request timeout', () => {
    assert.throws(() => loadConfig({}, { TRENT_HEADERS_TIMEOUT_MS: '500', TRENT_REQUEST_TIMEOUT_MS: '200' }), ConfigError);
  });
  it('refuses a concurrency cap of zero', () => {
    assert.throws(() => loadConfig({}, { TRENT_MAX_CONCURRENT_REQUESTS: '0' }), ConfigError);
  });
});
