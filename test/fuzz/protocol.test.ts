/**
 * Fuzzing the protocol layer in-process (app.handle(), no socket): routes, the X-Amz-Target,
 * Content-Type and Authorization headers, and raw bodies of every kind (any JSON value, random
 * bytes, invalid UTF-8, nesting thousands deep, bodies up to and past the 1 MiB limit, duplicate
 * keys) sent to every operation of the AWS model. Every answer must be a 200 or an AWS-shaped
 * 400 with a known error name, and the error must be the one the protocol prescribes:
 *
 *   not a modelled operation            UnknownOperationException
 *   modelled, not served by Trent       UnsupportedOperationException
 *   body not JSON, wrong JSON type      SerializationException
 *   well-typed body                     anything but SerializationException
 *
 * Run counts and seed: test/fuzz/settings.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_BODY_BYTES } from '../../src/protocol/json11.js';
import { createFuzzApp, JSON11 } from './fixtures.js';
import { anyString, MODEL_OPERATIONS, objectOf, PROTOTYPE_NAMES, structureFor } from './model-arbitraries.js';
import { awsAnswer, awsError, inputShapeName, isModelledOperation, isServedOperation, serializationFault, type Answer } from './oracle.js';
import { count, runs } from './settings.js';

const fx = await createFuzzApp();

/**
 * Operation names for the body properties: every modelled one, near misses and random text.
 * Object.prototype names (`TrentService.constructor`) are the header property's business.
 */
const operationName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...MODEL_OPERATIONS) },
  { weight: 1, arbitrary: fc.constantFrom(...MODEL_OPERATIONS).map((op) => op.toLowerCase()) },
  { weight: 1, arbitrary: anyString(24).filter((name) => !(PROTOTYPE_NAMES as readonly string[]).includes(name)) },
);

/** Reads `text` as a client's JSON body, the way any JSON reader would; undefined if it is not JSON. */
function readJson(text: string): { value: unknown } | undefined {
  if (text === '') return { value: {} }; // an empty body is an empty input, as AWS SDKs send it
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/**
 * The answer the protocol prescribes for `body` sent to `operation` with good headers, checked
 * against what Trent said.
 */
function expectProtocolAnswer(operation: string, body: Buffer, answer: Answer, what: string): void {
  const shown = `${what}\n  -> ${answer.text.slice(0, 400)}`;
  if (!isModelledOperation(operation)) {
    assert.equal(answer.type, 'UnknownOperationException', shown);
    return;
  }
  if (!isServedOperation(operation)) {
    assert.equal(answer.type, 'UnsupportedOperationException', shown);
    return;
  }
  // Two choices are left to a server: a body that is not UTF-8 may be refused or read with
  // replacement characters, and a leading byte order mark may be refused or skipped (RFC 8259
  // section 8.1). Refusing is a SerializationException; reading must then follow the rules.
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    if (answer.type === 'SerializationException') return;
    text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(body);
  }
  if (text.startsWith('\ufeff')) {
    if (answer.type === 'SerializationException') return;
    text = text.slice(1);
  }
  const parsed = readJson(text);
  const fault = parsed === undefined ? 'not JSON' : serializationFault(inputShapeName(operation), parsed.value);
  if (fault !== undefined) assert.equal(answer.type, 'SerializationException', `${fault}: ${shown}`);
  else assert.notEqual(answer.type, 'SerializationException', shown);
}

const SERVED = MODEL_OPERATIONS.filter(isServedOperation);
/** Member-typed bodies of each served operation (built once: building one compiles patterns). */
const bodiesOf = new Map(SERVED.map((op) => [op, structureFor(inputShapeName(op), { fixtures: fx, wrongTypeWeight: 1 })]));
const servedBody = fc
  .constantFrom(...SERVED)
  .chain((op) => fc.tuple(fc.constant(op), bodiesOf.get(op) as fc.Arbitrary<Record<string, unknown>>));

function describeBody(body: Buffer): string {
  return body.length > 300 ? `${body.length} bytes: ${body.subarray(0, 200).toString('utf8')}...` : body.toString('utf8');
}

describe('fuzz: routes and headers', () => {
  it('any method and path: GET or HEAD /health, POST / or UnknownOperationException', async () => {
    const method = fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'get', 'post', ''), anyString(8));
    const path = fc.oneof(
      fc.constantFrom('/', '/health', '/health?x=1', '/?Action=Encrypt', '//', '', '/HEALTH', '/health/', '/%2F', '/?', '*', '/health#x'),
      anyString(20),
      anyString(20).map((s) => `/${s}`),
    );
    await fc.assert(
      fc.asyncProperty(method, path, async (m, p) => {
        count('routes');
        const response = await fx.handle({ method: m, path: p, headers: { 'content-type': JSON11, 'x-amz-target': 'TrentService.ListKeys' }, body: Buffer.from('{}') });
        const route = p.split('?')[0];
        const what = `${JSON.stringify(m)} ${JSON.stringify(p)}`;
        if ((m === 'GET' || m === 'HEAD') && route === '/health') {
          assert.equal(response.status, 200, what);
          assert.equal((JSON.parse(response.body) as { status: unknown }).status, 'ok', what);
          assert.ok(response.headers['x-amzn-requestid'], what);
        } else if (m === 'POST' && route === '/') {
          assert.equal(awsAnswer(response, what).status, 200, what);
        } else {
          awsError(response, what, 'UnknownOperationException');
        }
      }),
      { numRuns: runs(500) },
    );
  });

  it('any X-Amz-Target, Content-Type and Authorization: the prescribed error, in pipeline order', async () => {
    const mediaTypes = ['application/x-amz-json-1.1', 'application/x-amz-json-1.0'];
    const contentType = fc.oneof(
      fc.record({
        type: fc.constantFrom(...mediaTypes).chain((t) => fc.mixedCase(fc.constant(t))),
        before: fc.constantFrom('', ' ', '\t'),
        after: fc.constantFrom('', ' ', '; charset=utf-8', ';', ' ; x=y'),
      }).map(({ type, before, after }) => ({ value: `${before}${type}${after}` as string | undefined, ok: true })),
      fc.oneof(
        fc.constantFrom(undefined, '', 'application/json', 'application/x-amz-json', 'application/x-amz-json-1.2', 'text/plain', 'application/x-amz-json-1.1x'),
        anyString(40),
      ).map((value) => ({ value, ok: value !== undefined && mediaTypes.includes(value.split(';')[0]?.trim().toLowerCase() ?? '') })),
    );
    const target = fc.oneof(
      { weight: 4, arbitrary: operationName.map((op) => `TrentService.${op}`) },
      { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES).map((name) => `TrentService.${name}`) },
      { weight: 1, arbitrary: fc.constantFrom(undefined, '', 'TrentService.', 'TrentService', 'trentservice.Encrypt', 'KMS.Encrypt', ' TrentService.Encrypt', 'TrentService.Encrypt ', 'TrentService..Encrypt') },
      { weight: 1, arbitrary: anyString(30) },
    );
    const region = fc.constantFrom('us-east-1', 'eu-west-1', 'cn-north-1', 'us-gov-west-1', 'ap-southeast-2', 'zz-fuzz-9');
    const goodAuthorization = fc
      .record({ akid: fc.stringMatching(/^[A-Z0-9]{1,20}$/), region, date: fc.stringMatching(/^\d{8}$/), service: fc.constant('kms') })
      .map(({ akid, region: r, date, service }) => `AWS4-HMAC-SHA256 Credential=${akid}/${date}/${r}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'ab'.repeat(32)}`);
    const badAuthorization = fc.oneof(
      anyString(60).filter((s) => !s.startsWith('AWS4-HMAC-SHA256 ')),
      fc.constantFrom(
        'AWS4-HMAC-SHA256 ',
        'AWS4-HMAC-SHA256 Credential=',
        'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kms',
        'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kms/aws4_request/extra',
        'AWS4-HMAC-SHA256 Credential=/20260101/us-east-1/kms/aws4_request',
        'AWS4-HMAC-SHA256 Credential=AKID/2026010/us-east-1/kms/aws4_request',
        'AWS4-HMAC-SHA256 Credential=AKID/20260101/US-EAST-1/kms/aws4_request',
        'AWS4-HMAC-SHA256 Credential=AKID/20260101//kms/aws4_request',
        'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kms/aws5_request',
        'AWS4-HMAC-SHA256 Credential=AKID/20260101/us_east_1/kms/aws4_request',
        'AWS4-HMAC-SHA256 Credential=AKID/20260101/../kms/aws4_request',
        'AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00',
        'AWS4-HMAC-SHA1 Credential=AKID/20260101/us-east-1/kms/aws4_request',
        'aws4-hmac-sha256 Credential=AKID/20260101/us-east-1/kms/aws4_request',
        'Bearer x',
        'AWS AKID:signature',
      ),
    );
    const authorization = fc.oneof(
      fc.constant({ value: undefined as string | undefined, ok: true }),
      goodAuthorization.map((value) => ({ value: value as string | undefined, ok: true })),
      badAuthorization.map((value) => ({ value: value as string | undefined, ok: false })),
    );
    await fc.assert(
      fc.asyncProperty(contentType, target, authorization, async (ct, tgt, auth) => {
        count('headers');
        const response = await fx.handle({
          method: 'POST',
          path: '/',
          headers: { 'content-type': ct.value, 'x-amz-target': tgt, authorization: auth.value },
          body: Buffer.from('{}'),
        });
        const what = `content-type ${JSON.stringify(ct.value)}, target ${JSON.stringify(tgt)}, authorization ${JSON.stringify(auth.value)}`;
        const answer = awsAnswer(response, what);
        const operation = tgt?.startsWith('TrentService.') ? tgt.slice('TrentService.'.length) : undefined;
        if (!ct.ok || operation === undefined || !isModelledOperation(operation)) {
          assert.equal(answer.type, 'UnknownOperationException', `${what} -> ${answer.text}`);
        } else if (!isServedOperation(operation)) {
          assert.equal(answer.type, 'UnsupportedOperationException', `${what} -> ${answer.text}`);
        } else if (!auth.ok) {
          assert.equal(answer.type, 'IncompleteSignatureException', `${what} -> ${answer.text}`);
        } else {
          assert.ok(
            !['UnknownOperationException', 'UnsupportedOperationException', 'IncompleteSignatureException'].includes(answer.type ?? ''),
            `${what} -> ${answer.text}`,
          );
        }
      }),
      { numRuns: runs(1500) },
    );
  });
});

describe('fuzz: bodies', () => {
  it('any JSON value as the body of any operation', async () => {
    await fc.assert(
      fc.asyncProperty(operationName, fc.jsonValue(), async (operation, value) => {
        count('json value');
        const body = Buffer.from(JSON.stringify(value) ?? 'null');
        const what = `${operation} ${describeBody(body)}`;
        expectProtocolAnswer(operation, body, awsAnswer(await fx.post(operation, body), what), what);
      }),
      { numRuns: runs(1500) },
    );
  });

  it('random bytes, and JSON bodies with invalid UTF-8 spliced in', async () => {
    const invalidUtf8 = fc.constantFrom(
      [0x80], [0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf],
      [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe], [0xff], [0xc3], [0xe2, 0x82], [0xef, 0xbb, 0xbf],
    );
    const jsonWithInvalidUtf8 = servedBody.chain(([operation, value]) =>
      fc.tuple(
        fc.constant(operation),
        fc.constant(value),
        fc.array(fc.tuple(fc.nat(), invalidUtf8), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
      ).map(([op, value, defects, insideString]) => {
        let text = JSON.stringify(value);
        if (insideString) text = text.replace(/"([^"\\]*)"(?=[,}\]])/, '"$1\u0001"'); // mark a string value
        let bytes = Buffer.from(text, 'utf8');
        for (const [at, defect] of defects) {
          const marker = bytes.indexOf(1);
          const i = insideString && marker >= 0 ? marker : at % (bytes.length + 1);
          bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from(defect), bytes.subarray(insideString && marker >= 0 ? i + 1 : i)]);
        }
        return { operation: op, body: bytes };
      }),
    );
    const randomBytes = fc.tuple(operationName, fc.uint8Array({ maxLength: 512 })).map(([operation, bytes]) => ({ operation, body: Buffer.from(bytes) }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(jsonWithInvalidUtf8, randomBytes), async ({ operation, body }) => {
        count('bytes');
        const what = `${operation} ${body.toString('hex').slice(0, 400)}`;
        expectProtocolAnswer(operation, body, awsAnswer(await fx.post(operation, body), what), what);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('nesting 1,000 to 100,000 deep, balanced or cut short, anywhere in the body', async () => {
    const nested = fc.record({
      operation: operationName,
      opener: fc.constantFrom('[', '{"a":', '{"KeyId":', '{"Recipient":', '[{"":', '{"__proto__":'),
      leaf: fc.constantFrom('1', '"x"', 'null', '{}', '[]', 'true'),
      where: fc.constantFrom('top', 'member', 'map value', 'list item'),
      balanced: fc.boolean(),
    }).chain((r) => {
      // As deep as fits in the body limit: the point is depth, not size (the next property).
      const deepest = Math.floor((MAX_BODY_BYTES - 64) / (r.opener.length + 2));
      return fc.integer({ min: 1000, max: Math.min(100_000, deepest) }).map((depth) => ({ ...r, depth }));
    });
    await fc.assert(
      fc.asyncProperty(nested, async ({ operation, depth, opener, leaf, where, balanced }) => {
        count('nesting');
        const closer = opener.startsWith('[{') ? '}]' : opener.startsWith('[') ? ']' : '}';
        const deep = opener.repeat(depth) + leaf + (balanced ? closer.repeat(depth) : closer.repeat(depth >> 1));
        const text =
          where === 'top' ? deep
          : where === 'member' ? `{"KeyId":${deep}}`
          : where === 'map value' ? `{"EncryptionContext":{"k":${deep}}}`
          : `{"GrantTokens":[${deep}]}`;
        const body = Buffer.from(text);
        const what = `${operation} ${where} ${opener}x${depth} ${balanced ? 'balanced' : 'cut'}`;
        const answer = awsAnswer(await fx.post(operation, body), what);
        expectProtocolAnswer(operation, body, answer, what);
        // No model shape nests anywhere near this deep, so nothing here is a well-typed input.
        if (isServedOperation(operation)) assert.equal(answer.type, 'SerializationException', what);
      }),
      { numRuns: runs(40) },
    );
  });

  it('huge bodies: strings, arrays and objects up to and just past the 1 MiB limit', async () => {
    const limit = MAX_BODY_BYTES;
    const huge = fc.record({
      operation: fc.oneof(fc.constantFrom(...SERVED), operationName),
      size: fc.oneof(fc.integer({ min: 60_000, max: limit + 2048 }), fc.constantFrom(limit - 1, limit, limit + 1)),
      kind: fc.constantFrom('string member', 'blob member', 'map', 'array', 'many members', 'whitespace'),
      unit: fc.constantFrom('a', 'A', '\u00e9', '\u2603', '\ud83d\ude00', '\\u0000', '=', ' '),
    });
    await fc.assert(
      fc.asyncProperty(huge, async ({ operation, size, kind, unit }) => {
        count('huge');
        let text: string;
        const fill = (n: number) => unit.repeat(Math.max(0, Math.ceil(n / Buffer.byteLength(unit))));
        switch (kind) {
          case 'string member': text = `{"KeyId":"${fill(size - 12)}"}`; break;
          case 'blob member': text = `{"Plaintext":"${'AAAA'.repeat(Math.max(1, Math.floor((size - 16) / 4)))}","KeyId":"${fx.keyId}"}`; break;
          case 'map': text = `{"EncryptionContext":{${Array.from({ length: Math.floor(size / 14) }, (_, i) => `"k${i}":"v"`).join(',')}}}`; break;
          case 'array': text = `{"GrantTokens":[${'"t",'.repeat(Math.floor(size / 4))}"t"]}`; break;
          case 'many members': text = `{${Array.from({ length: Math.floor(size / 12) }, (_, i) => `"m${i}":1`).join(',')}}`; break;
          default: text = `${' '.repeat(size - 2)}{}`;
        }
        const body = Buffer.from(text);
        const what = `${operation} ${kind} ${JSON.stringify(unit)} ${body.length} bytes`;
        const answer = awsAnswer(await fx.post(operation, body), what);
        if (body.length > limit) {
          assert.equal(answer.type, 'ValidationException', what);
          assert.equal(answer.message, `The request body exceeds the limit of ${limit} bytes.`, what);
        } else {
          expectProtocolAnswer(operation, body, answer, what);
        }
      }),
      { numRuns: runs(25) },
    );
  });

  it('duplicate keys in the JSON text: the last occurrence is the one read', async () => {
    const duplicated = fc.constantFrom(...SERVED).chain((operation) => {
      const bodies = bodiesOf.get(operation) as fc.Arbitrary<Record<string, unknown>>;
      return fc.tuple(fc.constant(operation), bodies, bodies);
    });
    await fc.assert(
      fc.asyncProperty(duplicated, async ([operation, first, second]) => {
        count('duplicates');
        // Every member of `second` is written twice: first with `first`'s value (or null), then its own.
        const entries = Object.keys(second).map((k) => `${JSON.stringify(k)}:${JSON.stringify(Object.hasOwn(first, k) ? first[k] : null)}`);
        const lasts = Object.keys(second).map((k) => `${JSON.stringify(k)}:${JSON.stringify(second[k])}`);
        const text = `{${[...entries, ...lasts].join(',')}}`;
        const body = Buffer.from(text);
        const what = `${operation} ${describeBody(body)}`;
        const answer = awsAnswer(await fx.post(operation, body), what);
        expectProtocolAnswer(operation, body, answer, what);
        // What was read is `second`: a fault only in the first occurrences must not show.
        const fault = serializationFault(inputShapeName(operation), objectOf(Object.entries(second)));
        if (fault === undefined) assert.notEqual(answer.type, 'SerializationException', what);
      }),
      { numRuns: runs(500) },
    );
  });
});
