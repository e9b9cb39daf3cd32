/**
 * Resource limits and graceful shutdown of a real server: oversized bodies and headers,
 * malformed HTTP, slow clients, the concurrent-request cap, and SIGTERM finishing requests in
 * flight before closing the database. Every refusal must be AWS-shaped and leave the server up.
 * The fixed limits can be checked on any endpoint; timeouts, the cap and shutdown need a server
 * this suite configures and signals.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CreateKeyCommand, EncryptCommand, GenerateDataKeyPairCommand } from '@aws-sdk/client-kms';
import { awsError, kmsClient } from '../helpers/clients.js';
import { needsOwnServer, useOwnServer, useServer } from '../helpers/functional.js';
import { removeDataDir, spawnServer } from '../helpers/spawn-server.js';

/** Sends raw bytes (optionally in timed pieces) and returns everything the server answers. */
function rawExchange(url: string, pieces: Array<string | Buffer>, gapMs = 0): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve(answer) : reject(err)));
    socket.on('connect', async () => {
      for (const piece of pieces) {
        if (socket.destroyed) return;
        socket.write(piece);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
    setTimeout(() => socket.destroy(), 10_000).unref();
  });
}

function parseRaw(answer: string): { status: number; headers: Record<string, string>; body: Record<string, unknown> } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) as Record<string, unknown> };
}

async function healthy(url: string): Promise<void> {
  const res = await fetch(`${url}/health`);
  assert.equal(res.status, 200);
}

const TEN_MB = Buffer.alloc(10 * 1024 * 1024, 0x61);
const TOO_LARGE = { __type: 'ValidationException', message: 'The request body exceeds the limit of 1048576 bytes.' };
const LIST_KEYS = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' };

/**
 * POSTs `body` with node:http and resolves with the status and body read, or the error that
 * ended the exchange instead (EPIPE, ECONNRESET): the failure this suite guards against.
 */
function post(
  url: string,
  body: Buffer,
  options: { agent: Agent | false; chunked?: boolean; onSocket?: (socket: Socket) => void },
): Promise<{ status: number; body: string } | { error: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...LIST_KEYS };
    if (options.chunked !== true) headers['content-length'] = body.length;
    const req = request({ host: hostname, port, method: 'POST', path: '/', headers, agent: options.agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ error: `response: ${err.code ?? err.message}` }));
    });
    req.on('socket', (socket) => options.onSocket?.(socket));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: `request: ${err.code ?? err.message}` }));
    if (options.chunked === true) {
      // Ten 1 MiB chunks: no length declared, so the server only learns the size by reading.
      for (let i = 0; i < body.length; i += 1024 * 1024) req.write(body.subarray(i, i + 1024 * 1024));
      req.end();
    } else {
      req.end(body);
    }
  });
}

describe('request limits', () => {
  // Short timeouts for the slow-client test, when this suite spawns the server.
  const server = useServer({ env: { TRENT_HEADERS_TIMEOUT_MS: '400', TRENT_REQUEST_TIMEOUT_MS: '800' } });

  it('answers a body over 1 MiB with ValidationException without reading it all', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' },
      body: JSON.stringify({ Marker: 'x'.repeat(1024 * 1024 + 10) }),
    });
    assert.equal(res.status, 400);
    assert.ok(res.headers.get('x-amzn-requestid'));
    assert.deepEqual(await res.json(), { __type: 'ValidationException', message: 'The request body exceeds the limit of 1048576 bytes.' });
    await healthy(server.url);
  });

  it('answers once, not twice, an oversized body whose rest is not sent in time', async (t) => {
    const skip = needsOwnServer('sets its request timeout');
    if (skip) return t.skip(skip);
    // 1.5 MiB of a declared 2 MiB, then nothing: answered at once, then cut at the request timeout.
    const head = `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n`;
    const answer = await rawExchange(server.url, [head, Buffer.alloc(1536 * 1024, 0x61)]);
    assert.equal(answer.split('HTTP/1.1 ').length - 1, 1, `answers: ${answer}`);
    assert.deepEqual(parseRaw(answer).body, TOO_LARGE);
    await healthy(server.url);
  });

  it('answers headers over 16 KiB with an AWS-shaped ValidationException', async () => {
    const answer = parseRaw(
      await rawExchange(server.url, [`POST / HTTP/1.1\r\nHost: x\r\nX-Padding: ${'a'.repeat(20_000)}\r\nContent-Length: 2\r\n\r\n{}`]),
    );
    assert.equal(answer.status, 400);
    assert.ok(answer.headers['x-amzn-requestid']);
    assert.deepEqual(answer.body, { __type: 'ValidationException', message: 'The request headers exceed the limit of 16384 bytes.' });
    await healthy(server.url);
  });

  for (const [name, bytes] of [
    ['random bytes', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x01, 0x00, 0x00, 0x0d, 0x0a, 0x0d, 0x0a])],
    ['a bad request line', 'GARBAGE\r\n\r\n'],
    ['an invalid Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n'],
    ['a broken chunked body', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot hex\r\n\r\n'],
  ] as const) {
    it(`answers ${name} with an AWS-shaped SerializationException`, async () => {
      const answer = parseRaw(await rawExchange(server.url, [bytes]));
      assert.equal(answer.status, 400);
      assert.deepEqual(answer.body, { __type: 'SerializationException', message: 'The request is not a valid HTTP/1.1 request.' });
      await healthy(server.url);
    });
  }
  it('cuts off a client that sends its headers too slowly, with an AWS-shaped ValidationException', async (t) => {
    const skip = needsOwnServer('sets its header and request timeouts');
    if (skip) return t.skip(skip);
    const started = Date.now();
    const pieces = 'POST / HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n'.split('');
    const answer = await rawExchange(server.url, pieces, 60); // ~2.4 s for the headers alone
    assert.ok(Date.now() - started < 2400, 'the server should not wait for the whole slow send');
    // The answer must arrive: a server that only dropped the connection would fail here.
    assert.notEqual(answer, '', 'the server closed the connection without an answer');
    const parsed = parseRaw(answer);
    assert.equal(parsed.status, 400);
    assert.ok(parsed.headers['x-amzn-requestid']);
    assert.deepEqual(parsed.body, { __type: 'ValidationException', message: 'The request was not received in time.' });
    await healthy(server.url);
  });
});

describe('bodies over the limit', () => {
  // The default timeouts: under load, sending 10 MB can take longer than the suite above allows.
  const server = useServer();

  // Before the fix the server closed the connection right after answering, with most of the body
  // unread, so the kernel reset it: node:http clients sending `Connection: close` failed with
  // EPIPE about half the time and fetch (keep-alive) nearly always, before reading any answer.
  for (const [client, send] of [
    ['node:http, Content-Length, Connection: close', (url: string) => post(url, TEN_MB, { agent: false })],
    ['node:http, chunked, Connection: close', (url: string) => post(url, TEN_MB, { agent: false, chunked: true })],
    ['fetch (undici), keep-alive', async (url: string) => {
      try {
        const res = await fetch(url, { method: 'POST', headers: LIST_KEYS, body: TEN_MB });
        return { status: res.status, body: await res.text() };
      } catch (err) {
        return { error: String((err as { cause?: { code?: string } }).cause?.code ?? err) };
      }
    }],
  ] as const) {
    it(`answers a 10 MB body, 12 times in a row, and the client always reads the answer (${client})`, async () => {
      for (let i = 0; i < 12; i++) {
        const outcome = await send(server.url);
        assert.ok('status' in outcome, `request ${i + 1}: ${'error' in outcome ? outcome.error : ''} instead of an answer`);
        assert.equal(outcome.status, 400);
        assert.deepEqual(JSON.parse(outcome.body), TOO_LARGE);
      }
      await healthy(server.url);
    });
  }

  it('answers a 10 MB Encrypt from the JavaScript SDK with the ValidationException', async () => {
    for (let i = 0; i < 5; i++) {
      const error = await awsError(() => server.kms.send(new EncryptCommand({ KeyId: 'alias/any', Plaintext: TEN_MB })));
      assert.deepEqual(error, { name: 'ValidationException', message: TOO_LARGE.message, status: 400 });
    }
  });

  it('reads the rest of an oversized body after answering, so a keep-alive connection serves the next request', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<Socket>();
    try {
      for (const body of [TEN_MB, Buffer.alloc(2 * 1024 * 1024), Buffer.from('{}')]) {
        const outcome = await post(server.url, body, { agent, onSocket: (socket) => sockets.add(socket) });
        assert.ok('status' in outcome, 'error' in outcome ? outcome.error : '');
        assert.equal(outcome.status, body.length > 1024 * 1024 ? 400 : 200);
      }
      assert.equal(sockets.size, 1, 'each request after an oversized one needed a new connection');
    } finally {
      agent.destroy();
    }
  });

  it('answers a body declared past 64 MiB at once and closes the connection', async () => {
    const answer = parseRaw(
      await rawExchange(server.url, [`POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: ${64 * 1024 * 1024 + 1}\r\n\r\n{"a":`]),
    );
    assert.equal(answer.status, 400);
    assert.equal(answer.headers['connection'], 'close');
    assert.deepEqual(answer.body, TOO_LARGE);
    await healthy(server.url);
  });
});

describe('concurrent request cap', { skip: needsOwnServer('sets its cap on concurrent requests') }, () => {
  const server = useOwnServer({ env: { TRENT_MAX_CONCURRENT_REQUESTS: '2' } });

  it('answers requests beyond the cap with ThrottlingException and serves the rest', async () => {
    const kms = server.kms;
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    // RSA_3072 on demand takes a good fraction of a second: the first two hold both slots.
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () =>
        kms.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'RSA_3072' })).then(
          () => 'ok',
          (err: { name: string; message: string }) => `${err.name}: ${err.message}`,
        ),
      ),
    );
    const throttled = outcomes.filter((o) => o.startsWith('ThrottlingException'));
    assert.ok(outcomes.filter((o) => o === 'ok').length >= 2, outcomes.join('\n'));
    assert.ok(throttled.length >= 1, outcomes.join('\n'));
    assert.equal(throttled[0], 'ThrottlingException: You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.');
    assert.equal(outcomes.length, outcomes.filter((o) => o === 'ok').length + throttled.length, outcomes.join('\n'));
    await healthy(server.url);
  });
});

describe('graceful shutdown', { skip: needsOwnServer('stops it with SIGTERM and reads its data dir') }, () => {
  it('finishes a request in flight on SIGTERM, then closes the database cleanly and exits 0', async () => {
    const server = await spawnServer();
    try {
      const kms = kmsClient(server.url);
      const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
      const inFlight = kms.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'RSA_4096' }));
      await new Promise((resolve) => setTimeout(resolve, 150));
      server.process.kill('SIGTERM');
      const pair = await inFlight;
      assert.equal(pair.KeyPairSpec, 'RSA_4096');
      assert.ok(pair.PrivateKeyCiphertextBlob && pair.PrivateKeyCiphertextBlob.length > 0);
      await server.stop();
      assert.equal(server.process.exitCode, 0);
      // A cleanly closed SQLite database in WAL mode checkpoints and removes its -wal file.
      assert.equal(existsSync(join(server.dataDir, 'trent.db-wal')), false);
      const after = await awsError(() => kms.send(new CreateKeyCommand({})));
      assert.notEqual(after.status, 200);
    } finally {
      await server.kill();
      removeDataDir(server.dataDir);
    }
  });
});
