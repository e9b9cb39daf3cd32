/**
 * Resource limits and graceful shutdown of a real server: oversized bodies and headers,
 * malformed HTTP, slow clients, the concurrent-request cap, and SIGTERM finishing requests in
 * flight before closing the database. Every refusal must be AWS-shaped and leave the server up.
 * The fixed limits can be checked on any endpoint; timeouts, the cap and shutdown need a server
 * this suite configures and signals.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CreateKeyCommand, GenerateDataKeyPairCommand } from '@aws-sdk/client-kms';
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
