/** Configuration rules beyond precedence (which key-lifecycle.test.ts covers). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, isLoopbackHost, loadConfig, reserveSizes } from '../../src/config.js';
import { allDataKeyPairSpecs } from '../../src/domain/key-specs.js';

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

describe('key-pair reserve sizes', () => {
  const sizesOf = (env: Record<string, string>) =>
    Object.fromEntries(allDataKeyPairSpecs().map((spec) => [spec.name, reserveSizes(loadConfig({}, env), spec)]).filter(([, s]) => (s as { ceiling: number }).ceiling > 0));

  it('keeps a reserve for every RSA spec by default, its floor a quarter of its ceiling', () => {
    assert.deepEqual(sizesOf({}), {
      RSA_2048: { floor: 32, ceiling: 128 },
      RSA_3072: { floor: 8, ceiling: 32 },
      RSA_4096: { floor: 8, ceiling: 32 },
    });
  });
  it('turns every reserve off with 0, and one on for any spec', () => {
    assert.deepEqual(sizesOf({ TRENT_KEY_PAIR_RESERVE: '0' }), {});
    assert.deepEqual(sizesOf({ TRENT_KEY_PAIR_RESERVE: '0,ECC_NIST_P521=10' }), { ECC_NIST_P521: { floor: 3, ceiling: 10 } });
  });
  it('takes floors per spec, never above the ceiling', () => {
    assert.deepEqual(sizesOf({ TRENT_KEY_PAIR_RESERVE: '0,RSA_4096=20,RSA_2048=4', TRENT_KEY_PAIR_RESERVE_FLOOR: 'RSA_4096=20,RSA_2048=9' }), {
      RSA_2048: { floor: 4, ceiling: 4 },
      RSA_4096: { floor: 20, ceiling: 20 },
    });
  });
  it('reads both from the config file, as mappings with a default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trent-config-'));
    try {
      const file = join(dir, 'trent.yaml');
      writeFileSync(file, 'keyPairReserve: { default: 0, RSA_3072: 12 }\nkeyPairReserveFloor: 2\n');
      assert.deepEqual(sizesOf({ TRENT_CONFIG: file }), { RSA_3072: { floor: 2, ceiling: 12 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('refuses an unknown spec or a bad size, naming the setting', () => {
    assert.throws(() => loadConfig({}, { TRENT_KEY_PAIR_RESERVE: 'RSA_1024=3' }), /^Error: TRENT_KEY_PAIR_RESERVE: unknown key pair spec 'RSA_1024'/);
    assert.throws(() => loadConfig({}, { TRENT_KEY_PAIR_RESERVE_FLOOR: '-2' }), ConfigError);
  });
  it('has 2 generation threads per process by default; 0 means libuv\'s pool', () => {
    assert.equal(loadConfig({}, {}).keyGenerationThreads, 2);
    assert.equal(loadConfig({}, { TRENT_KEY_GENERATION_THREADS: '0' }).keyGenerationThreads, 0);
    assert.throws(() => loadConfig({}, { TRENT_KEY_GENERATION_THREADS: 'many' }), ConfigError);
  });
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

// Everything a worker would otherwise fail on is refused by loadConfig, once, before any starts.
describe('settings checked before serving', () => {
  const refused = (env: Record<string, string>, message: string | RegExp) => () =>
    assert.throws(
      () => loadConfig({}, env),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        if (typeof message === 'string') assert.equal(err.message, message);
        else assert.match(err.message, message);
        return true;
      },
    );

  it('accepts every known key pair spec in the pool sizes', () => {
    const config = loadConfig({}, { TRENT_KEY_PAIR_POOL: 'ML_KEM_768=2,ECC_NIST_EDWARDS25519=3,SM2=1' });
    assert.deepEqual(config.keyPairPool.perSpec, { ML_KEM_768: 2, ECC_NIST_EDWARDS25519: 3, SM2: 1 });
  });
  it('refuses an unknown key pair spec, listing the known ones', refused({ TRENT_KEY_PAIR_POOL: 'RSA_9999=3' }, /^TRENT_KEY_PAIR_POOL: unknown key pair spec 'RSA_9999' \(known: RSA_2048, RSA_3072, .*ML_KEM_1024\)$/));
  it('refuses a spec name in another case', refused({ TRENT_KEY_PAIR_POOL: 'rsa_2048=3' }, /unknown key pair spec 'rsa_2048'/));

  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']) {
    it(`accepts log level ${level}`, () => assert.equal(loadConfig({}, { TRENT_LOG_LEVEL: level }).logLevel, level));
  }
  it('refuses an unknown log level', refused({ TRENT_LOG_LEVEL: 'loud' }, "TRENT_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, not 'loud'"));

  it('takes the PostgreSQL URL from --database-url over TRENT_DATABASE_URL over the file', () => {
    const env = { TRENT_DATABASE_URL: 'postgres://env@127.0.0.1:5432/a' };
    assert.equal(loadConfig({}, env).databaseUrl, 'postgres://env@127.0.0.1:5432/a');
    assert.equal(loadConfig({ databaseUrl: 'postgresql://flag@db/b?sslmode=require' }, env).databaseUrl, 'postgresql://flag@db/b?sslmode=require');
  });
  it(
    'refuses a database URL that is not PostgreSQL, without echoing it (it may hold a password)',
    refused({ TRENT_DATABASE_URL: 'mysql://u:hunter2@db/x' }, 'TRENT_DATABASE_URL must be a PostgreSQL URL starting postgres:// or postgresql://'),
  );
  it(
    'refuses a database URL that does not parse, without echoing it',
    refused({ TRENT_DATABASE_URL: 'hunter2 at db' }, 'TRENT_DATABASE_URL must be a PostgreSQL URL: postgres://user:password@host:5432/database'),
  );

  const key = Buffer.alloc(32, 7).toString('base64');
  it('accepts a root key of base64 of 32 bytes, with surrounding white space', () => {
    assert.equal(loadConfig({}, { TRENT_ROOT_KEY: key }).rootKey, key);
    assert.equal(loadConfig({}, { TRENT_ROOT_KEY: ` ${key}\n` }).rootKey, key);
  });
  const badKeys = [
    { name: '31 bytes', value: Buffer.alloc(31, 7).toString('base64') },
    { name: '33 bytes', value: Buffer.alloc(33, 7).toString('base64') },
    { name: 'hex of 32 bytes', value: Buffer.alloc(32, 7).toString('hex') },
    { name: 'base64 with a stray character', value: `${key.slice(0, 20)}!${key.slice(20)}` },
    { name: 'base64url', value: Buffer.alloc(32, 0xfb).toString('base64url') },
    { name: 'empty', value: '' },
  ];
  for (const row of badKeys) {
    it(`refuses a root key that is ${row.name}, without echoing it`, () => {
      assert.throws(
        () => loadConfig({}, { TRENT_ROOT_KEY: row.value }),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.message === 'TRENT_ROOT_KEY: the root key must be base64 of exactly 32 bytes (openssl rand -base64 32)' &&
          (row.value === '' || !err.message.includes(row.value)),
      );
    });
  }
});

describe('audit log settings', () => {
  it('defaults to audit.log in the data directory, not required, rotated at 100 MiB keeping 5', () => {
    const config = loadConfig({ dataDir: '/srv/trent' }, {});
    assert.equal(config.auditLog, '/srv/trent/audit.log');
    assert.equal(config.auditLogRequired, false);
    assert.equal(config.auditLogMaxBytes, 100 * 2 ** 20);
    assert.equal(config.auditLogKeep, 5);
  });
  it('--audit-log wins over TRENT_AUDIT_LOG', () => {
    assert.equal(loadConfig({ auditLog: '-' }, { TRENT_AUDIT_LOG: '/var/log/trent.log' }).auditLog, '-');
    assert.equal(loadConfig({}, { TRENT_AUDIT_LOG: 'off' }).auditLog, 'off');
  });
  it('reads the rest from the environment', () => {
    assert.equal(loadConfig({}, {}).auditLogSync, true);
    const config = loadConfig({}, { TRENT_AUDIT_LOG_REQUIRED: 'true', TRENT_AUDIT_LOG_SYNC: 'false', TRENT_AUDIT_LOG_MAX_BYTES: '0', TRENT_AUDIT_LOG_KEEP: '2' });
    assert.deepEqual([config.auditLogRequired, config.auditLogSync, config.auditLogMaxBytes, config.auditLogKeep], [true, false, 0, 2]);
  });
  it('refuses a required audit log that is off', () => {
    assert.throws(() => loadConfig({}, { TRENT_AUDIT_LOG: 'off', TRENT_AUDIT_LOG_REQUIRED: 'true' }), /auditLogRequired is true but the audit log is off/);
  });
  it('refuses an empty audit log name and keeping no rotated file', () => {
    assert.throws(() => loadConfig({}, { TRENT_AUDIT_LOG: ' ' }), ConfigError);
    assert.throws(() => loadConfig({}, { TRENT_AUDIT_LOG_KEEP: '0' }), ConfigError);
  });
});
