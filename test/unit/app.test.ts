/**
 * The request pipeline of src/server/app.ts, in-process: routing, the request id header, body
 * limit, content type, X-Amz-Target, credential scope, JSON parsing, validation and the mapping of
 * every error to `{__type, message}`. Requests are built by hand with app.handle() where the
 * test needs headers that createTestApp().call() would not send.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { MAX_BODY_BYTES } from '../../src/protocol/json11.js';
import { createKmsApp, type AppRequest, type AppResponse } from '../../src/server/app.js';
import { MemoryStore } from '../../src/storage/memory.js';
import type { KeyRecord, Scope } from '../../src/storage/types.js';
import { createTestApp } from '../helpers/in-process.js';

const JSON11 = 'application/x-amz-json-1.1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INTERNAL_MESSAGE = 'An internal error occurred. Check the server log for the request id.';

function post(operation: string | undefined, body: string | Buffer = '{}', headers: Record<string, string | undefined> = {}): AppRequest {
  return {
    method: 'POST',
    path: '/',
    headers: {
      'content-type': JSON11,
      ...(operation !== undefined && { 'x-amz-target': `TrentService.${operation}` }),
      ...headers,
    },
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
  };
}

function scoped(region: string): Record<string, string> {
  return { authorization: `AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/${region}/kms/aws4_request, SignedHeaders=host, Signature=00` };
}

function errorOf(response: AppResponse): { status: number; __type: unknown; message: unknown } {
  const body = JSON.parse(response.body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['__type', 'message'], `error body: ${response.body}`);
  return { status: response.status, __type: body.__type, message: body.message };
}

describe('GET /health', () => {
  for (const path of ['/health', '/health?verbose=1']) {
    it(`${path} answers 200 with JSON`, async () => {
      const { app } = createTestApp();
      const response = await app.handle({ method: 'GET', path, headers: {}, body: Buffer.alloc(0) });
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(response.body), { status: 'ok' });
    });
  }

  it('includes the facts the server adds', async () => {
    const { services } = createTestApp();
    const app = createKmsApp(services, { health: () => ({ version: '9.9.9' }) });
    const response = await app.handle({ method: 'GET', path: '/health', headers: {}, body: Buffer.alloc(0) });
    assert.deepEqual(JSON.parse(response.body), { status: 'ok', version: '9.9.9' });
  });
});

describe('x-amzn-requestid', () => {
  const requests: { name: string; request: AppRequest; status: number }[] = [
    { name: 'health', request: { method: 'GET', path: '/health', headers: {}, body: Buffer.alloc(0) }, status: 200 },
    { name: 'a successful operation', request: post('ListKeys'), status: 200 },
    { name: 'a client error', request: post('Frobnicate'), status: 400 },
    { name: 'a validation error', request: post('DescribeKey', '{}'), status: 400 },
    { name: 'an oversized body', request: { ...post('ListKeys'), oversized: true }, status: 400 },
    { name: 'an unknown route', request: { method: 'GET', path: '/metrics', headers: {}, body: Buffer.alloc(0) }, status: 400 },
  ];
  for (const row of requests) {
    it(`is on the response to ${row.name}, a fresh UUID each time`, async () => {
      const { app } = createTestApp();
      const first = await app.handle(row.request);
      const second = await app.handle(row.request);
      assert.equal(first.status, row.status);
      assert.match(first.headers['x-amzn-requestid'] ?? '', UUID);
      assert.match(second.headers['x-amzn-requestid'] ?? '', UUID);
      assert.notEqual(first.headers['x-amzn-requestid'], second.headers['x-amzn-requestid']);
    });
  }

  it('is on a 500 response too', async () => {
    const { app } = createTestApp({ store: new ExplodingStore() });
    const response = await app.handle(post('ListKeys'));
    assert.equal(response.status, 500);
    assert.match(response.headers['x-amzn-requestid'] ?? '', UUID);
  });
});

describe('routing and framing errors', () => {
  const maxBody = MAX_BODY_BYTES;
  const rows: { name: string; request: AppRequest; status: number; __type: string; message: string }[] = [
    { name: 'no X-Amz-Target', request: post(undefined), status: 400, __type: 'UnknownOperationException', message: '' },
    { name: 'X-Amz-Target with only the prefix', request: post(''), status: 400, __type: 'UnknownOperationException', message: '' },
    {
      name: 'X-Amz-Target of another service',
      request: post(undefined, '{}', { 'x-amz-target': 'DynamoDB_20120810.ListTables' }),
      status: 400,
      __type: 'UnknownOperationException',
      message: '',
    },
    { name: 'an operation KMS does not have', request: post('Frobnicate'), status: 400, __type: 'UnknownOperationException', message: '' },
    { name: 'operation names are case-sensitive', request: post('listKeys'), status: 400, __type: 'UnknownOperationException', message: '' },
    {
      name: 'a KMS operation Trent does not serve (ConnectCustomKeyStore)',
      request: post('ConnectCustomKeyStore', '{}'),
      status: 400,
      __type: 'UnsupportedOperationException',
      message: 'ConnectCustomKeyStore is not supported by this Trent server yet.',
    },
    {
      name: 'a post-quantum operation of the newest API, not in botocore yet, modelled from the SDK (Encapsulate)',
      request: post('Encapsulate', '{}'),
      status: 400,
      __type: 'ValidationException',
      message:
        "2 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'encapsulationAlgorithm' failed to satisfy constraint: Member must not be null",
    },
    {
      name: 'a KMS operation Trent does not serve (UpdateCustomKeyStore)',
      request: post('UpdateCustomKeyStore', '{}'),
      status: 400,
      __type: 'UnsupportedOperationException',
      message: 'UpdateCustomKeyStore is not supported by this Trent server yet.',
    },
    {
      name: 'GET /',
      request: { method: 'GET', path: '/', headers: {}, body: Buffer.alloc(0) },
      status: 400,
      __type: 'UnknownOperationException',
      message: '',
    },
    {
      name: 'POST to another path',
      request: { ...post('ListKeys'), path: '/keys' },
      status: 400,
      __type: 'UnknownOperationException',
      message: '',
    },
    {
      name: 'POST /health',
      request: { ...post('ListKeys'), path: '/health' },
      status: 400,
      __type: 'UnknownOperationException',
      message: '',
    },
    {
      name: 'content type text/plain',
      request: post('ListKeys', '{}', { 'content-type': 'text/plain' }),
      status: 400,
      __type: 'UnknownOperationException',
      message: 'The request content type must be application/x-amz-json-1.1, not text/plain.',
    },
    {
      name: 'content type application/json',
      request: post('ListKeys', '{}', { 'content-type': 'application/json' }),
      status: 400,
      __type: 'UnknownOperationException',
      message: 'The request content type must be application/x-amz-json-1.1, not application/json.',
    },
    {
      name: 'no content type',
      request: post('ListKeys', '{}', { 'content-type': undefined }),
      status: 400,
      __type: 'UnknownOperationException',
      message: 'The request content type must be application/x-amz-json-1.1, not empty.',
    },
    {
      name: 'malformed JSON',
      request: post('ListKeys', '{"Limit": 5'),
      status: 400,
      __type: 'SerializationException',
      message: 'The request body is not valid JSON.',
    },
    {
      name: 'a body that is not UTF-8 JSON',
      request: post('ListKeys', Buffer.from([0xff, 0xfe, 0x7b, 0x7d])),
      status: 400,
      __type: 'SerializationException',
      message: 'The request body is not valid UTF-8.',
    },
    {
      name: 'a JSON array body',
      request: post('ListKeys', '[]'),
      status: 400,
      __type: 'SerializationException',
      message: 'START_ARRAY can not be converted to a structure',
    },
    {
      name: 'an oversized body the server did not read (flag)',
      request: { ...post('ListKeys', ''), oversized: true },
      status: 400,
      __type: 'ValidationException',
      message: `The request body exceeds the limit of ${maxBody} bytes.`,
    },
    {
      name: 'a body one byte over 1 MiB',
      request: post('ListKeys', `{"Marker":"${'a'.repeat(maxBody - 12)}"}`),
      status: 400,
      __type: 'ValidationException',
      message: `The request body exceeds the limit of ${maxBody} bytes.`,
    },
    {
      name: 'an unknown member',
      request: post('ListKeys', '{"Limit": 5, "Foo": 1}'),
      status: 400,
      __type: 'SerializationException',
      message: "Unrecognized member 'Foo' in the request.",
    },
    {
      name: 'a validation error',
      request: post('GenerateRandom', '{"NumberOfBytes": 0}'),
      status: 400,
      __type: 'ValidationException',
      message: "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
    },
    {
      name: 'a garbage ciphertext (no detail)',
      request: post('Decrypt', JSON.stringify({ CiphertextBlob: Buffer.alloc(60, 7).toString('base64') })),
      status: 400,
      __type: 'InvalidCiphertextException',
      message: '',
    },
  ];
  for (const row of rows) {
    it(`${row.name} -> ${row.status} ${row.__type}`, async () => {
      const { app } = createTestApp();
      const response = await app.handle(row.request);
      assert.equal(response.headers['content-type'], JSON11);
      assert.deepEqual(errorOf(response), { status: row.status, __type: row.__type, message: row.message });
    });
  }

  it('the 1 MiB limit is inclusive: a body of exactly 1 MiB is read', async () => {
    const { app } = createTestApp();
    const body = `{"Marker":"${'a'.repeat(MAX_BODY_BYTES - 13)}"}`;
    assert.equal(Buffer.byteLength(body), MAX_BODY_BYTES);
    const response = await app.handle(post('ListKeys', body));
    // Past the size check, the 1 MiB marker fails the model's length check instead.
    assert.equal(errorOf(response).__type, 'ValidationException');
    assert.match(String(errorOf(response).message), /at 'marker' failed to satisfy constraint: Member must have length less than or equal to 1024$/);
  });

  const accepted: { name: string; contentType: string }[] = [
    { name: 'with a charset parameter', contentType: 'application/x-amz-json-1.1; charset=utf-8' },
    { name: 'in upper case', contentType: 'Application/X-Amz-Json-1.1' },
    { name: 'JSON 1.0', contentType: 'application/x-amz-json-1.0' },
  ];
  for (const row of accepted) {
    it(`accepts the content type ${row.name}`, async () => {
      const { app } = createTestApp();
      const response = await app.handle(post('ListKeys', '{}', { 'content-type': row.contentType }));
      assert.equal(response.status, 200, response.body);
    });
  }

  it('treats an empty body as an empty request', async () => {
    const { app } = createTestApp();
    const response = await app.handle(post('ListKeys', ''));
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.body), { Keys: [], Truncated: false });
  });
});

/** A store whose every read fails the way a broken database would. */
class ExplodingStore extends MemoryStore {
  override async getKey(_scope: Scope, _keyId: string): Promise<KeyRecord | undefined> {
    throw new Error('SQLITE_CORRUPT: database disk image is malformed at /var/lib/trent/secret.db');
  }
  override async listKeys(): Promise<KeyRecord[]> {
    throw new TypeError("Cannot read properties of undefined (reading 'rows')");
  }
}

describe('unexpected errors', () => {
  const rows: { name: string; request: AppRequest; leak: RegExp }[] = [
    { name: 'an Error from the store', request: post('DescribeKey', JSON.stringify({ KeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' })), leak: /SQLITE|secret\.db|malformed/ },
    { name: 'a TypeError from the store', request: post('ListKeys'), leak: /TypeError|rows|undefined/ },
  ];
  for (const row of rows) {
    it(`${row.name} becomes 500 KMSInternalException with the fixed message and no stack`, async () => {
      const { app } = createTestApp({ store: new ExplodingStore() });
      const response = await app.handle(row.request);
      assert.deepEqual(errorOf(response), { status: 500, __type: 'KMSInternalException', message: INTERNAL_MESSAGE });
      assert.doesNotMatch(response.body, row.leak);
      assert.doesNotMatch(response.body, /\bat .*\.js:\d+/);
    });
  }

  it('logs the cause with the request id the client saw', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const { services } = createTestApp({ store: new ExplodingStore() });
    const app = createKmsApp({ ...services, logger: pino({ level: 'error' }, sink) });
    const response = await app.handle(post('ListKeys'));
    const requestId = response.headers['x-amzn-requestid'];
    const logged = lines.map((line) => JSON.parse(line) as { requestId?: string; operation?: string; err?: { message?: string } });
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.requestId, requestId);
    assert.equal(logged[0]?.operation, 'ListKeys');
    assert.match(logged[0]?.err?.message ?? '', /reading 'rows'/);
  });
});

describe('region from the SigV4 credential scope', () => {
  it('creates the key in the scope region and finds it only there', async () => {
    const { app } = createTestApp();
    const created = await app.handle(post('CreateKey', '{}', scoped('eu-west-1')));
    assert.equal(created.status, 200, created.body);
    const metadata = (JSON.parse(created.body) as { KeyMetadata: { KeyId: string; Arn: string } }).KeyMetadata;
    assert.equal(metadata.Arn, `arn:aws:kms:eu-west-1:111122223333:key/${metadata.KeyId}`);

    const here = await app.handle(post('DescribeKey', JSON.stringify({ KeyId: metadata.KeyId }), scoped('eu-west-1')));
    assert.equal(here.status, 200);
    const unsigned = await app.handle(post('DescribeKey', JSON.stringify({ KeyId: metadata.KeyId })));
    assert.deepEqual(errorOf(unsigned), {
      status: 400,
      __type: 'NotFoundException',
      message: `Key 'arn:aws:kms:us-east-1:111122223333:key/${metadata.KeyId}' does not exist`,
    });
    const elsewhere = await app.handle(post('DescribeKey', JSON.stringify({ KeyId: metadata.KeyId }), scoped('ap-southeast-2')));
    assert.deepEqual(errorOf(elsewhere), {
      status: 400,
      __type: 'NotFoundException',
      message: `Key 'arn:aws:kms:ap-southeast-2:111122223333:key/${metadata.KeyId}' does not exist`,
    });
  });

  const partitions: { region: string; arnPrefix: string }[] = [
    { region: 'us-east-1', arnPrefix: 'arn:aws:kms:us-east-1:111122223333:key/' },
    { region: 'cn-north-1', arnPrefix: 'arn:aws-cn:kms:cn-north-1:111122223333:key/' },
    { region: 'us-gov-west-1', arnPrefix: 'arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/' },
  ];
  for (const row of partitions) {
    it(`names keys of ${row.region} with ${row.arnPrefix}`, async () => {
      const { call } = createTestApp();
      const created = await call('CreateKey', {}, { region: row.region });
      const arn = (created.body.KeyMetadata as { Arn: string }).Arn;
      assert.ok(arn.startsWith(row.arnPrefix), arn);
    });
  }

  const malformed: { name: string; authorization: string; message: string }[] = [
    {
      name: 'another scheme',
      authorization: 'Bearer abc.def',
      message: "Authorization header requires the 'AWS4-HMAC-SHA256' algorithm. Authorization=Bearer",
    },
    {
      name: 'SigV2',
      authorization: 'AWS AKIDEXAMPLE:signature',
      message: "Authorization header requires the 'AWS4-HMAC-SHA256' algorithm. Authorization=AWS",
    },
    {
      name: 'no Credential',
      authorization: 'AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00',
      message: "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256",
    },
    {
      name: 'a credential with a short date',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKID/2026/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00',
      message:
        "Authorization header requires a well-formed 'Credential' parameter (<access key>/<date>/<region>/kms/aws4_request). Authorization=AWS4-HMAC-SHA256",
    },
    {
      name: 'a credential missing its terminator',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kms, SignedHeaders=host, Signature=00',
      message:
        "Authorization header requires a well-formed 'Credential' parameter (<access key>/<date>/<region>/kms/aws4_request). Authorization=AWS4-HMAC-SHA256",
    },
    {
      name: 'a credential without an access key',
      authorization: 'AWS4-HMAC-SHA256 Credential=/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00',
      message:
        "Authorization header requires a well-formed 'Credential' parameter (<access key>/<date>/<region>/kms/aws4_request). Authorization=AWS4-HMAC-SHA256",
    },
    {
      name: 'a region that is not one',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/US_EAST/kms/aws4_request, SignedHeaders=host, Signature=00',
      message: "Authorization header requires a valid region in the credential scope, not 'US_EAST'. Authorization=AWS4-HMAC-SHA256",
    },
  ];
  for (const row of malformed) {
    it(`malformed Authorization (${row.name}) -> 400 IncompleteSignatureException`, async () => {
      const { app } = createTestApp();
      const response = await app.handle(post('ListKeys', '{}', { authorization: row.authorization }));
      assert.deepEqual(errorOf(response), { status: 400, __type: 'IncompleteSignatureException', message: row.message });
    });
  }
});
