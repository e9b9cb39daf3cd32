/**
 * Hardening of the HTTP surface of a real server, found by a review that attacked it:
 *
 * - DNS rebinding: in development mode a request must name a loopback Host and carry no
 *   browser Origin, while real clients (the JS SDK at 127.0.0.1, localhost and [::1]) still work;
 * - connections: idle ones (after a request, or never sending one) cannot starve a newcomer, at
 *   the cap the longest-idle one makes room, idle ones are closed after the idle timeout, and a
 *   newcomer is refused (AWS-shaped) only when every connection is busy.
 *
 * Raw requests use node:http without an agent (one connection each) so that Host, Origin and
 * the connection's life are exactly what the test says.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import { CreateKeyCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { kmsClient } from '../helpers/clients.js';
import { needsOwnServer } from '../helpers/functional.js';
import { removeDataDir, spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';

const HOST_REFUSED = {
  __type: 'AccessDeniedException',
  message:
    'This Trent server has no accounts configured, so it answers only requests addressed to a loopback host ' +
    '(localhost, 127.0.0.1 or [::1]); the Host header names another.',
};
const ORIGIN_REFUSED = {
  __type: 'AccessDeniedException',
  message: 'This Trent server has no accounts configured, so it does not answer requests from web browsers (requests with an Origin header).',
};
const CONNECTIONS_REFUSED = {
  __type: 'ThrottlingException',
  message: 'The server has too many open connections, all of them busy. Retry later.',
};

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** One request on a fresh connection to the server's address, with exactly these headers. */
function send(
  url: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string; noHost?: boolean } = {},
): Promise<Answer> {
  const { hostname, port } = new URL(url);
  const body = options.body ?? (options.method === 'POST' ? '{}' : undefined);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: hostname.replace(/^\[|\]$/g, ''),
        port: Number(port),
        method: options.method ?? 'GET',
        path: options.path ?? '/health',
        headers: { ...options.headers, ...(body !== undefined && { 'content-length': String(Buffer.byteLength(body)) }) },
        setHost: options.noHost !== true,
        agent: false,
        timeout: 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** A KMS call (CreateKey) on a fresh connection with the given headers. */
function createKey(url: string, headers: Record<string, string>): Promise<Answer> {
  return send(url, {
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.CreateKey', ...headers },
  });
}

describe('DNS rebinding: development mode answers loopback, non-browser requests only', { skip: needsOwnServer('sends raw Host and Origin headers to its own port') }, () => {
  let server: SpawnedServer;
  let port: string;

  before(async () => {
    server = await spawnServer();
    port = new URL(server.url).port;
  });

  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  for (const [name, call] of [
    ['CreateKey', (url: string, headers: Record<string, string>) => createKey(url, headers)],
    ['GET /health', (url: string, headers: Record<string, string>) => send(url, { headers })],
  ] as const) {
    it(`refuses ${name} addressed to a rebound name (Host: evil.example:PORT)`, async () => {
      const answer = await call(server.url, { host: `evil.example:${port}` });
      assert.equal(answer.status, 400);
      assert.ok(answer.headers['x-amzn-requestid']);
      assert.deepEqual(answer.body, HOST_REFUSED);
    });

    it(`refuses ${name} from a rebound page (Host and Origin evil.example:PORT)`, async () => {
      const answer = await call(server.url, { host: `evil.example:${port}`, origin: `http://evil.example:${port}` });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.__type, 'AccessDeniedException');
    });

    for (const origin of [`http://evil.example:${4599}`, 'null']) {
      it(`refuses ${name} with a browser Origin (${origin}) even with a loopback Host`, async () => {
        const answer = await call(server.url, { host: `127.0.0.1:${port}`, origin });
        assert.equal(answer.status, 400);
        assert.deepEqual(answer.body, ORIGIN_REFUSED);
      });
    }
  }

  it('serves the JS SDK (Host: 127.0.0.1:PORT), plaintext data keys included', async () => {
    const kms = kmsClient(server.url);
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
    assert.equal(dataKey.Plaintext?.length, 32);
    kms.destroy();
  });

  it('serves the JS SDK pointed at http://localhost:PORT', async () => {
    const kms = kmsClient(`http://localhost:${port}`);
    assert.ok((await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId);
    kms.destroy();
  });

  for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.0.0.1:PORT', '127.1.2.3:PORT', '[::1]:PORT']) {
    it(`serves Host ${host}`, async () => {
      const answer = await createKey(server.url, { host: host.replace('PORT', port) });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    });
  }

  it('serves a request without Host (HTTP/1.0 tools send none)', async () => {
    const answer = await send(server.url, { noHost: true });
    assert.equal(answer.status, 200);
  });
});

/** Whether this machine has an IPv6 loopback to listen on. */
function ipv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(0, '::1', () => probe.close(() => resolve(true)));
  });
}

describe('DNS rebinding: a server listening on [::1]', { skip: needsOwnServer('listens on [::1]') }, () => {
  let server: SpawnedServer | undefined;
  let skip: string | undefined;

  before(async () => {
    if (await ipv6Loopback()) server = await spawnServer({ args: ['--host', '::1'] });
    else skip = 'this machine has no IPv6 loopback (::1) to listen on';
  });

  after(async () => {
    if (!server) return;
    await server.stop();
    removeDataDir(server.dataDir);
  });

  it('serves the JS SDK at http://[::1]:PORT and refuses a foreign Host', async (t: TestContext) => {
    if (!server) return t.skip(skip);
    assert.match(server.url, /^http:\/\/\[::1\]:\d+$/);
    const kms = kmsClient(server.url);
    assert.ok((await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId);
    kms.destroy();
    assert.deepEqual((await send(server.url, { headers: { host: 'evil.example' } })).body, HOST_REFUSED);
  });
});

/* ---------------------------------------------------------------------------------------------
 * Connections.
 */

interface Connection {
  socket: Socket;
  /** Resolves when the connection closes, whoever closed it. */
  closed: Promise<void>;
  isClosed(): boolean;
}

/**
 * Opens a connection; with `request`, sends GET /health on it and waits for the answer, leaving
 * the connection open and idle (keep-alive). Resolves once connected (or answered), or when the
 * server resets or closes it instead.
 */
function openConnection(url: string, request: boolean): Promise<Connection> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let closed = false;
    const closedPromise = new Promise<void>((done) => socket.once('close', () => ((closed = true), done())));
    const connection: Connection = { socket, closed: closedPromise, isClosed: () => closed };
    socket.on('error', () => {}); // a reset shows as 'close'
    socket.once('close', () => resolve(connection));
    socket.once('connect', () => {
      if (!request) return resolve(connection);
      let answer = '';
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString('latin1');
        if (/\r\n\r\n.*"status":"ok"/s.test(answer)) resolve(connection);
      });
      socket.write(`GET /health HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
    });
  });
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Lowers the server's file-descriptor limit (prlimit, util-linux) so that a pile of idle
 * connections exhausts it the way a few thousand would under a default limit. Returns why it
 * could not, or undefined.
 */
function lowerFileLimit(pid: number, limit: number): string | undefined {
  try {
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${limit}:${limit}`], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `prlimit unavailable (${(err as Error).message.split('\n')[0]})`;
  }
}

describe('idle connections cannot starve a newcomer', { skip: needsOwnServer('caps its connections and lowers its descriptor limit') }, () => {
  const CAP = 8;
  const FILE_LIMIT = 64; // the idle server itself holds about 25 descriptors
  const IDLE = 100;
  let server: SpawnedServer;
  const connections: Connection[] = [];

  before(async () => {
    server = await spawnServer({ env: { TRENT_MAX_CONNECTIONS: String(CAP) } });
  });

  after(async () => {
    for (const c of connections) c.socket.destroy();
    await server.stop();
    removeDataDir(server.dataDir);
  });

  it(`closes the longest-idle connections past the cap and serves a newcomer, ${IDLE} idle connections later`, async (t: TestContext) => {
    const whyNot = lowerFileLimit(server.process.pid ?? 0, FILE_LIMIT);
    t.diagnostic(whyNot === undefined ? `server limited to ${FILE_LIMIT} file descriptors` : `${whyNot}: running with the server's own limit`);
    // Half of them ask once and stay open (keep-alive), half never send a byte.
    for (let i = 0; i < IDLE; i++) connections.push(await openConnection(server.url, i % 2 === 0));
    const answer = await send(server.url);
    assert.equal(answer.status, 200);
    // The server made room by closing the longest-idle ones: only the newest stay open.
    await within(Promise.all(connections.slice(0, IDLE - CAP + 1).map((c) => c.closed)), 5000, 'closing the longest-idle connections');
    const open = connections.map((c, i) => (c.isClosed() ? -1 : i)).filter((i) => i >= 0);
    assert.deepEqual(open, Array.from({ length: CAP - 1 }, (_, i) => IDLE - CAP + 1 + i));
    assert.equal(server.process.exitCode, null);
  });
});

describe('idle timeout and a cap of busy connections', { skip: needsOwnServer('sets its idle timeout and connection cap') }, () => {
  const IDLE_TIMEOUT_MS = 300;
  let server: SpawnedServer;

  before(async () => {
    server = await spawnServer({ env: { TRENT_MAX_CONNECTIONS: '2', TRENT_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) } });
  });

  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  it('closes a connection that never sends a request, and one idle after its answer', async () => {
    const silent = await openConnection(server.url, false);
    const used = await openConnection(server.url, true);
    assert.equal(silent.isClosed() || used.isClosed(), false);
    await within(Promise.all([silent.closed, used.closed]), 5000, 'closing idle connections');
  });

  /**
   * Sends a request's headers (with `Expect: 100-continue`) and, once the server has taken the
   * request in (its 100 Continue), half the body: the connection stays busy until finish().
   */
  async function busyConnection(): Promise<{ finish(): Promise<string> }> {
    const connection = await openConnection(server.url, false);
    const { port } = new URL(server.url);
    const body = '{"Limit":1}';
    let answer = '';
    const continued = new Promise<void>((resolve) =>
      connection.socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString('latin1');
        if (answer.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) resolve();
      }),
    );
    const answered = new Promise<void>((resolve, reject) => {
      connection.socket.on('data', () => {
        if (/\r\n\r\nHTTP\/1\.1 .*\r\n\r\n\{.*\}/s.test(answer)) resolve();
      });
      connection.closed.then(() => reject(new Error(`the server closed a busy connection (answer: ${JSON.stringify(answer)})`)), reject);
    });
    answered.catch(() => {}); // until finish() awaits it
    connection.socket.write(
      `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-amz-json-1.1\r\n` +
        `X-Amz-Target: TrentService.ListKeys\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
    );
    await within(Promise.race([continued, answered]), 5000, '100 Continue');
    connection.socket.write(body.slice(0, 5));
    return {
      async finish() {
        connection.socket.write(body.slice(5));
        await within(answered, 5000, 'the answer to a finished request');
        connection.socket.destroy();
        return answer.split('\r\n\r\n')[1]?.split('\r\n')[0] ?? '';
      },
    };
  }

  it('never counts a request in progress as idle', async () => {
    const busy = await busyConnection();
    await new Promise((resolve) => setTimeout(resolve, IDLE_TIMEOUT_MS * 2));
    assert.equal(await busy.finish(), 'HTTP/1.1 200 OK');
  });

  it('refuses a newcomer with ThrottlingException only while every connection is busy', async () => {
    const first = await busyConnection();
    const second = await busyConnection();
    const refused = await send(server.url);
    assert.equal(refused.status, 400);
    assert.ok(refused.headers['x-amzn-requestid']);
    assert.equal(refused.headers['connection'], 'close');
    assert.deepEqual(refused.body, CONNECTIONS_REFUSED);
    assert.equal(await first.finish(), 'HTTP/1.1 200 OK');
    assert.equal(await second.finish(), 'HTTP/1.1 200 OK');
    assert.equal((await send(server.url)).status, 200);
  });
});
