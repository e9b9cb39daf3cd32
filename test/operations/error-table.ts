/**
 * Table-driven error tests of the operations, in-process (STYLE.md habit 10): each row is one
 * request that must fail, named, and asserts the HTTP status, `__type` and the exact message.
 * The rows of one table share an app and fixtures made once, as a functional suite would share
 * a server: a row must not change what the others rely on.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { createTestApp, keyArn, type CallOptions, type TestApp } from '../helpers/in-process.js';

export interface Fixture<F> {
  readonly t: TestApp;
  readonly f: F;
}

/** One app for the calling suite, and the fixtures `setUp` makes in it, ready in `before`. */
export function inProcessFixture<F>(setUp: (t: TestApp) => Promise<F>, options: Parameters<typeof createTestApp>[0] = {}): Fixture<F> {
  let t: TestApp | undefined;
  let f: F | undefined;
  before(async () => {
    t = createTestApp(options);
    f = await setUp(t);
  });
  return {
    get t() {
      assert.ok(t, 'the fixture is made in before()');
      return t;
    },
    get f() {
      assert.ok(t, 'the fixture is made in before()');
      return f as F;
    },
  };
}

export interface ErrorRow<F> {
  name: string;
  operation: string;
  /** The request body; may make what it needs first (a ciphertext to tamper with, say). */
  body: (f: F, t: TestApp) => unknown;
  options?: CallOptions;
  error: string;
  message: string | ((f: F) => string);
  /** 400 unless said (every client fault is 400, AWS-BEHAVIOUR.md). */
  status?: number;
}

/** One test per row: `<name> -> <error>`. */
export function errorRows<F>(fixture: Fixture<F>, rows: readonly ErrorRow<F>[]): void {
  for (const row of rows) {
    it(`${row.name} -> ${row.error}`, async () => {
      const { t, f } = fixture;
      const body = await row.body(f, t);
      const message = typeof row.message === 'string' ? row.message : row.message(f);
      assert.deepEqual(await t.error(row.operation, body, row.options), { status: row.status ?? 400, __type: row.error, message });
    });
  }
}

/** A row naming a well-formed key id that no key has: NotFoundException with the key's ARN. */
export function unknownKeyRow<F>(name: string, operation: string, body: (keyId: string) => Record<string, unknown>): ErrorRow<F> {
  const keyId = '0badc0de-0000-4000-8000-00000000dead';
  return { name, operation, body: () => body(keyId), error: 'NotFoundException', message: `Key '${keyArn(keyId)}' does not exist` };
}
