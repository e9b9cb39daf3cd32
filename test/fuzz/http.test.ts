/**
 * Malformed HTTP over real sockets (node:net) against a spawned Trent server: random bytes,
 * request lines and headers built from good and bad parts, truncated requests, invalid
 * Content-Length, chunked bodies with garbage, oversized headers, pipelining, and connections
 * left open. After every input the server process must still be alive and answer GET /health,
 * and no answer may be a 5xx. Answers that are not AWS-shaped (status line, x-amzn-RequestId,
 * JSON `{__type, message}` with a known error name) are collected and printed as diagnostics
 * rather than failed on, so that the list can be worked through.
 *
 * Fewer runs than the in-process tests: each one is a socket round trip. Run counts and seed:
 * test/fuzz/settings.ts.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import { removeDataDir, spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';
import { sometimes } from './model-arbitraries.js';
import { CLIENT_ERROR_NAMES } from './oracle.js';
import { count, runs } from './settings.js';

const HEADERS_TIMEOUT_MS = 300;
const REQUEST_TIMEOUT_MS = 600;
/** How long a client waits for an answer before giving up on a connection. */
const PATIENCE_MS = REQUEST_TIMEOUT_MS + 2000;

interface Exchange {
  /** Everything the server sent, in latin1. */
  text: string;
  /** The server closed the connection (rather than the client giving up). */
  closed: boolean;
}

function exchange(url: string, bytes: Buffer, halfClose: boolean): Promise<Exchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(quiet);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const timer = setTimeout(() => finish(false), PATIENCE_MS);
    // A connection kept alive after a complete answer: stop listening once it has gone quiet.
    let quiet: NodeJS.Timeout | undefined;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      clearTimeout(quiet);
      quiet = setTimeout(() => {
        const { parsed, rest } = responses(Buffer.concat(chunks).toString('latin1'));
        if (parsed.length > 0 && rest === '') finish(false);
      }, 100);
    });
    socket.on('error', () => finish(true)); // ECONNRESET / EPIPE: the server hung up
    socket.on('close', () => finish(true));
    socket.on('connect', () => {
      socket.write(bytes, () => {
        if (halfClose) socket.end();
      });
    });
  });
}

interface RawResponse {
  status: number;
  statusLine: string;
  headers: Record<string, string>;
  body: string;
}

/** Splits what the server sent into HTTP responses (skipping 1xx), as far as it can. */
function responses(text: string): { parsed: RawResponse[]; rest: string } {
  const parsed: RawResponse[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = headers['content-length'] === undefined ? rest.length - end - 4 : Number(headers['content-length']);
    const body = rest.slice(end + 4, end + 4 + length);
    rest = rest.slice(end + 4 + length);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
    if (status >= 100 && status < 200) continue;
    parsed.push({ status, statusLine, headers, body });
  }
  return { parsed, rest };
}

/** Why a response is not an AWS-shaped answer, or undefined when it is. */
function notAwsShaped(response: RawResponse): string | undefined {
  if (Number.isNaN(response.status)) return `no HTTP/1.1 status line (${JSON.stringify(response.statusLine.slice(0, 40))})`;
  if (response.headers['x-amzn-requestid'] === undefined) return `${response.status} without x-amzn-RequestId`;
  if (response.status === 200) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    return `${response.status} with a body that is not JSON (${JSON.stringify(response.body.slice(0, 40))})`;
  }
  const error = body as { __type?: unknown; message?: unknown };
  if (typeof error.__type !== 'string' || typeof error.message !== 'string') return `${response.status} without {__type, message}`;
  if (!CLIENT_ERROR_NAMES.has(error.__type)) return `${response.status} ${error.__type}, not a known client error`;
  if (response.status !== 400) return `${response.status} ${error.__type}`;
  return undefined;
}

/* ---------------------------------------------------------------------------------------------
 * Inputs: a good request (what an AWS SDK sends) with zero to three defects applied in turn.
 */

interface RawRequest {
  method: string;
  target: string;
  version: string;
  eol: string;
  headers: [string, string][];
  body: string;
}

const goodBody = fc.oneof(
  fc.constantFrom('', '{}', '{"Limit":1}', '{"KeyId":"alias/none"}', 'null', '{', '{"Limit":0}'),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b).toString('latin1')),
);

function goodRequest(body: string): RawRequest {
  return {
    method: 'POST',
    target: '/',
    version: 'HTTP/1.1',
    eol: '\r\n',
    headers: [
      ['Host', 'localhost'],
      ['Content-Type', 'application/x-amz-json-1.1'],
      ['X-Amz-Target', 'TrentService.ListKeys'],
      ['Content-Length', String(Buffer.byteLength(body, 'latin1'))],
    ],
    body,
  };
}

const withoutHeader = (r: RawRequest, name: string): [string, string][] => r.headers.filter(([n]) => n.toLowerCase() !== name.toLowerCase());

const chunkedBody = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 20 }).map((data) => `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`),
      fc.tuple(fc.constantFrom('zz', '-1', 'ffffffffffffffff', '1;ext=x', '', ' 2', '2 ', '0x2', '100000000', '2\n'), fc.string({ maxLength: 10 })).map(([size, data]) => `${size}\r\n${data}\r\n`),
      fc.string({ maxLength: 10 }),
    ),
    { maxLength: 4 },
  )
  .chain((chunks) => fc.constantFrom('0\r\n\r\n', '0\r\n', '', '0\r\nTrailer: x\r\n\r\n', '0\r\nbad trailer\r\n\r\n').map((end) => chunks.join('') + end));

const contentLength = fc.oneof(
  fc.constantFrom('abc', '-1', '1e3', '0x10', ' 5', '5 5', '99999999999999999999', '', '+5', '2,2', '18446744073709551616', '1.5', '2000000'),
  fc.nat({ max: 4096 }).map(String),
);

type Defect = (r: RawRequest) => RawRequest;

const defect: fc.Arbitrary<Defect> = fc.oneof(
  fc.oneof(fc.constantFrom('GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE', 'post', 'P\u00d6ST', '', 'PRI'), fc.string({ maxLength: 8 }))
    .map((method): Defect => (r) => ({ ...r, method })),
  fc.oneof(fc.constantFrom('/health', '*', 'http://x/', '/?a=b', '/ /', '/\u00e9', '/%zz', '//..//', ''), fc.string({ maxLength: 20 }))
    .map((target): Defect => (r) => ({ ...r, target })),
  fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1 x', 'http/1.1', 'HTTP/1.', '', 'HTTP/1.1\u0000').map((version): Defect => (r) => ({ ...r, version })),
  fc.constantFrom('\n', '\r', '', '\r\r\n', '\n\r').map((eol): Defect => (r) => ({ ...r, eol })),
  fc
    .tuple(
      fc.oneof(fc.constantFrom('X-Amz-Date', 'Expect', 'Connection', 'Upgrade', 'Authorization', 'Content-Type', 'X-Amz-Target', 'Bad Name', '', ' Host', 'Host '), fc.string({ maxLength: 12 })),
      fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.constantFrom('100-continue', 'close', 'keep-alive', 'upgrade', 'h2c', '\u0000', ' \t ', 'x\r\nInjected: yes', 'AWS4-HMAC-SHA256 Credential=A/20260101/xx/kms/aws4_request'),
      ),
    )
    .map(([name, value]): Defect => (r) => ({ ...r, headers: [...r.headers, [name, value]] })),
  contentLength.map((value): Defect => (r) => ({ ...r, headers: [...withoutHeader(r, 'Content-Length'), ['Content-Length', value]] })),
  contentLength.map((value): Defect => (r) => ({ ...r, headers: [...r.headers, ['Content-Length', value]] })),
  fc
    .tuple(chunkedBody, fc.constantFrom('chunked', 'chunked', 'gzip, chunked', 'chunked, gzip', 'identity', 'Chunked', 'chunked '), fc.boolean())
    .map(([body, coding, keepLength]): Defect => (r) => ({
      ...r,
      headers: [...(keepLength ? r.headers : withoutHeader(r, 'Content-Length')), ['Transfer-Encoding', coding]],
      body,
    })),
  fc.constantFrom('Host', 'Content-Type', 'X-Amz-Target', 'Content-Length').map((name): Defect => (r) => ({ ...r, headers: withoutHeader(r, name) })),
);

function render(r: RawRequest): Buffer {
  const head = `${r.method} ${r.target} ${r.version}${r.eol}${r.headers.map(([n, v]) => `${n}: ${v}${r.eol}`).join('')}${r.eol}`;
  return Buffer.from(head + r.body, 'latin1');
}

/** A good request with defects, then maybe pipelined, cut short or spliced with random bytes. */
const request = fc
  .record({
    body: goodBody,
    defects: fc.array(defect, { maxLength: 3 }),
    pipelined: fc.integer({ min: 1, max: 3 }),
    cut: sometimes(fc.nat(), 6),
    splice: sometimes(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 })), 6),
  })
  .map((r) => {
    let bytes = render(r.defects.reduce((req, d) => d(req), goodRequest(r.body)));
    if (r.pipelined > 1) bytes = Buffer.concat(Array.from({ length: r.pipelined }, () => bytes));
    if (r.cut !== null) bytes = bytes.subarray(0, r.cut % (bytes.length + 1));
    if (r.splice !== null) {
      const at = r.splice[0] % (bytes.length + 1);
      bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(r.splice[1]), bytes.subarray(at)]);
    }
    return bytes;
  });

/* ---------------------------------------------------------------------------------------------
 * Properties.
 */

describe('fuzz: malformed HTTP over real sockets', () => {
  let server: SpawnedServer;
  /** Non-AWS-shaped answers seen: description -> count and one input that got it. */
  const oddities = new Map<string, { count: number; example: string }>();
  /** Every answer seen, by status and error name, to show what the inputs reached. */
  const answers = new Map<string, number>();
  let inputs = 0;

  before(async () => {
    server = await spawnServer({ env: { TRENT_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), TRENT_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) } });
  });

  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  function note(what: string, input: Buffer): void {
    const seen = oddities.get(what);
    if (seen) seen.count++;
    else oddities.set(what, { count: 1, example: JSON.stringify(input.toString('latin1').slice(0, 300)) });
  }

  async function check(input: Buffer, halfClose: boolean): Promise<void> {
    inputs++;
    const result = await exchange(server.url, input, halfClose);
    const { parsed, rest } = responses(result.text);
    const shown = `input ${JSON.stringify(input.toString('latin1').slice(0, 400))}\n  -> ${JSON.stringify(result.text.slice(0, 600))}`;
    for (const response of parsed) {
      const type = /"__type":"(\w+)"/.exec(response.body)?.[1] ?? '';
      const key = `${response.status} ${type}`.trim();
      answers.set(key, (answers.get(key) ?? 0) + 1);
      assert.ok(!(response.status >= 500), `a 5xx answer to a client's bytes: ${shown}`);
      const odd = notAwsShaped(response);
      if (odd !== undefined) note(odd, input);
    }
    if (rest.length > 0) note(`bytes that are not an HTTP response (${JSON.stringify(rest.slice(0, 30))})`, input);
    if (parsed.length === 0) answers.set(result.closed ? 'closed, no answer' : 'open, no answer', (answers.get(result.closed ? 'closed, no answer' : 'open, no answer') ?? 0) + 1);
    if (parsed.length === 0 && input.length > 0) {
      note(result.closed ? 'connection closed without an answer' : `no answer within ${PATIENCE_MS} ms`, input);
    }
    assert.equal(server.process.exitCode, null, `the server exited: ${shown}\n${server.logs()}`);
    assert.equal(server.process.signalCode, null, `the server was killed: ${shown}\n${server.logs()}`);
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200, `GET /health after: ${shown}`);
    assert.equal(((await health.json()) as { status: unknown }).status, 'ok');
  }

  it('random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2048 }), async (bytes) => {
        count('http random');
        await check(Buffer.from(bytes), true);
      }),
      { numRuns: runs(40) },
    );
  });

  it('requests built from good and bad parts, truncated, spliced and pipelined', async () => {
    await fc.assert(
      fc.asyncProperty(request, fc.integer({ min: 0, max: 39 }), async (bytes, leaveOpen) => {
        count('http requests');
        // One connection in forty is left open: the server's own timeouts must answer it.
        await check(bytes, leaveOpen !== 0);
      }),
      { numRuns: runs(150) },
    );
  });

  it('oversized headers: one long value or many headers, around the 16 KiB limit', async () => {
    const oversized = fc.record({
      size: fc.oneof(fc.integer({ min: 15_000, max: 17_500 }), fc.integer({ min: 17_500, max: 200_000 })),
      many: fc.boolean(),
      keepBody: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(oversized, async ({ size, many, keepBody }) => {
        count('http headers');
        const filler = many
          ? Array.from({ length: Math.ceil(size / 12) }, (_, i) => `X-F${i}: v\r\n`).join('')
          : `X-Filler: ${'a'.repeat(size)}\r\n`;
        const text =
          `POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: TrentService.ListKeys\r\n${filler}` +
          (keepBody ? 'Content-Length: 2\r\n\r\n{}' : '\r\n');
        await check(Buffer.from(text, 'latin1'), true);
      }),
      { numRuns: runs(20) },
    );
  });

  it('reports what was not AWS-shaped', (t: TestContext) => {
    t.diagnostic(`${inputs} inputs sent over HTTP; ${oddities.size} kinds of answer that are not AWS-shaped`);
    t.diagnostic(`answers: ${[...answers].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n}x ${k}`).join(', ')}`);
    for (const [what, { count: n, example }] of oddities) t.diagnostic(`${n}x ${what}; e.g. ${example}`);
    assert.ok(inputs > 0);
  });
});
