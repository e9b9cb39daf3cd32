/**
 * The development-mode browser guard (src/server/browser-guard.ts): which Host and Origin
 * headers pass and which are refused, as a table, and its place in the app's pipeline (every
 * request, /health included; off when the app is not in development mode).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccessDeniedException, messages } from '../../src/errors.js';
import type { AppRequest } from '../../src/server/app.js';
import { checkBrowserGuard, isLoopbackHostHeader } from '../../src/server/browser-guard.js';
import { createTestApp } from '../helpers/in-process.js';
import { ROOT, signedRequest, TEST_ACCOUNTS } from '../helpers/sigv4.js';

const HOST_MESSAGE =
  'This Trent server has no accounts configured, so it answers only requests addressed to a loopback host ' +
  '(localhost, 127.0.0.1 or [::1]); the Host header names another.';
const ORIGIN_MESSAGE =
  'This Trent server has no accounts configured, so it does not answer requests from web browsers ' +
  '(requests with an Origin header).';

const loopbackHosts = [
  '127.0.0.1',
  '127.0.0.1:4599',
  '127.255.255.254:1',
  '127.0.0.2:65535',
  'localhost',
  'localhost:4599',
  'LOCALHOST:4599',
  'LocalHost',
  '[::1]',
  '[::1]:4599',
  '[0:0:0:0:0:0:0:1]:4599',
];

const foreignHosts: Array<[string, string]> = [
  ['a rebound DNS name with the port', 'evil.example:4599'],
  ['a rebound DNS name', 'evil.example'],
  ['a name that starts like loopback', '127.0.0.1.evil.example:4599'],
  ['a subdomain of localhost', 'evil.localhost:4599'],
  ['a name ending in localhost', 'notlocalhost:4599'],
  ['localhost with a trailing dot', 'localhost.'],
  ['an address outside 127.0.0.0/8', '128.0.0.1:4599'],
  ['the IPv4 wildcard', '0.0.0.0:4599'],
  ['a private address', '192.168.1.10:4599'],
  ['the IPv6 wildcard', '[::]:4599'],
  ['an IPv4-mapped IPv6 address', '[::ffff:7f00:1]:4599'],
  ['::1 without brackets', '::1'],
  ['an unclosed bracket', '[::1:4599'],
  ['an IPv4 address in brackets', '[127.0.0.1]:4599'],
  ['a name in brackets', '[localhost]'],
  ['a port past 65535', '127.0.0.1:65536'],
  ['a port of six digits', 'localhost:100000'],
  ['an empty port', 'localhost:'],
  ['two ports', 'localhost:4599:4599'],
  ['a port that is not a number', 'localhost:http'],
  ['user info', 'user@localhost:4599'],
  ['an empty Host', ''],
  ['a shortened IPv4 address', '127.1'],
  ['an address with leading zeros', '127.000.000.001'],
  ['trailing text', '127.0.0.1:4599/x'],
];

function refusal(fn: () => void): { type: string; message: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof AccessDeniedException, `expected AccessDeniedException, got ${String(err)}`);
    return { type: err.type, message: err.message };
  }
}

describe('browser guard: Host', () => {
  for (const host of loopbackHosts) {
    it(`accepts Host ${host}`, () => {
      assert.equal(isLoopbackHostHeader(host), true);
      assert.equal(refusal(() => checkBrowserGuard({ host }, true)), undefined);
    });
  }

  it('accepts a request without Host (HTTP/1.0 tools send none; browsers always do)', () => {
    assert.equal(refusal(() => checkBrowserGuard({ 'content-type': 'application/x-amz-json-1.1' }, true)), undefined);
  });

  for (const [name, host] of foreignHosts) {
    it(`refuses ${name} (${JSON.stringify(host)})`, () => {
      assert.equal(isLoopbackHostHeader(host), false);
      assert.deepEqual(refusal(() => checkBrowserGuard({ host }, true)), { type: 'AccessDeniedException', message: HOST_MESSAGE });
    });
  }

  it('does not echo the Host it refuses', () => {
    const result = refusal(() => checkBrowserGuard({ host: 'secret-name.example:4599' }, true));
    assert.ok(result && !result.message.includes('secret-name'));
  });
});

describe('browser guard: Origin', () => {
  for (const [name, origin] of [
    ['a rebound page', 'http://evil.example:4599'],
    ['a page on loopback itself', 'http://127.0.0.1:4599'],
    ['an opaque origin (sandboxed frames, file: pages)', 'null'],
    ['an empty Origin', ''],
  ] as const) {
    it(`refuses ${name} (Origin ${JSON.stringify(origin)}) even with a loopback Host`, () => {
      assert.deepEqual(refusal(() => checkBrowserGuard({ host: '127.0.0.1:4599', origin }, true)), {
        type: 'AccessDeniedException',
        message: ORIGIN_MESSAGE,
      });
    });
  }

  it('refuses an Origin without a Host', () => {
    assert.equal(refusal(() => checkBrowserGuard({ origin: 'null' }, true))?.message, ORIGIN_MESSAGE);
  });
});

describe('browser guard: off outside development mode', () => {
  it('refuses nothing when disabled (every request signature-verified)', () => {
    assert.equal(refusal(() => checkBrowserGuard({ host: 'evil.example:4599', origin: 'http://evil.example:4599' }, false)), undefined);
  });

  it('keeps its wording in the messages table', () => {
    assert.equal(messages.notLoopbackHost, HOST_MESSAGE);
    assert.equal(messages.browserOrigin, ORIGIN_MESSAGE);
  });
});

describe('browser guard in the app pipeline', () => {
  const listKeys = (headers: Record<string, string>): AppRequest => ({
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys', ...headers },
    body: Buffer.from('{}'),
  });
  const health = (headers: Record<string, string>): AppRequest => ({ method: 'GET', path: '/health', headers, body: Buffer.alloc(0) });

  for (const [name, request, message] of [
    ['a KMS call with a foreign Host', listKeys({ host: 'evil.example:4599' }), HOST_MESSAGE],
    ['a KMS call with an Origin', listKeys({ host: 'localhost:4599', origin: 'http://evil.example:4599' }), ORIGIN_MESSAGE],
    ['GET /health with a foreign Host', health({ host: 'evil.example:4599' }), HOST_MESSAGE],
    ['GET /health with an Origin', health({ host: '127.0.0.1:4599', origin: 'null' }), ORIGIN_MESSAGE],
  ] as const) {
    it(`answers ${name} with AccessDeniedException`, async () => {
      const { app } = createTestApp();
      const response = await app.handle(request);
      assert.equal(response.status, 400);
      assert.ok(response.headers['x-amzn-requestid']);
      assert.deepEqual(JSON.parse(response.body), { __type: 'AccessDeniedException', message });
    });
  }

  it('answers loopback requests as before', async () => {
    const { app } = createTestApp();
    assert.equal((await app.handle(listKeys({ host: '127.0.0.1:4599' }))).status, 200);
    assert.equal((await app.handle(health({ host: 'localhost:4599' }))).status, 200);
  });

  it('lets everything through when the app is in authenticated mode (every request verified)', async () => {
    const { app, clock } = createTestApp({ accounts: TEST_ACCOUNTS });
    const request = await signedRequest({
      operation: 'ListKeys',
      credentials: ROOT,
      date: clock.now(),
      host: 'evil.example:4599',
      headers: { origin: 'http://evil.example:4599' },
    });
    const response = await app.handle(request);
    assert.equal(response.status, 200, response.body);
  });
});
