/**
 * Fuzzing authentication in authenticated mode, in-process: requests correctly signed by a
 * configured access key (test/helpers/sigv4.ts), then their Authorization, X-Amz-Date and
 * X-Amz-Security-Token headers removed, replaced by random text, edited a character at a time,
 * rebuilt from good and bad parts, or set to other real dates and tokens; some were signed up to 8
 * minutes before or after the clock's time. Every answer must be AWS-shaped (a 200, or a 400
 * with a known error name), and:
 *
 *   - a refusal is one of the four authentication errors;
 *   - a 200 only for a request whose credential, signed headers, signature, date and token are
 *     the ones signed (nothing forged or altered passes), signed within 5 minutes of the clock;
 *   - an untouched request signed more than 5 minutes away is refused as expired or not yet current;
 *   - a request in time altered only in its session token is UnrecognizedClientException;
 *   - no answer contains a configured secret access key or session token, or a piece of one.
 *
 * Run counts and seed: test/fuzz/settings.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AppRequest } from '../../src/server/app.js';
import { createTestApp } from '../helpers/in-process.js';
import { ALICE, BOB, CAROL, ROOT, signedRequest, TEST_ACCOUNTS } from '../helpers/sigv4.js';
import { anyString } from './model-arbitraries.js';
import { awsAnswer } from './oracle.js';
import { count, runs } from './settings.js';

const { app, clock } = createTestApp({ accounts: TEST_ACCOUNTS });
const NOW = clock.now();
const MINUTE = 60_000;
const AUTH_ERRORS = ['MissingAuthenticationTokenException', 'IncompleteSignatureException', 'InvalidSignatureException', 'UnrecognizedClientException'];
const CREDENTIALS = [ROOT, ALICE, BOB, CAROL];
/** Every configured secret and token, and a 16-character piece of each: none may be in an answer. */
const SECRET_TEXTS = CREDENTIALS.flatMap((c) => [c.secretAccessKey, ...(c.sessionToken !== undefined ? [c.sessionToken] : [])]).flatMap((s) => [s, s.slice(4, 20)]);

const compact = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');

/** Credential, SignedHeaders and Signature as a plain reader of the header sees them. */
function parts(authorization: string | undefined): string {
  if (authorization === undefined) return 'none';
  const get = (name: string) => new RegExp(`(?:^|[\\s,])${name}=([^,\\s]*)`).exec(authorization)?.[1] ?? '?';
  return [authorization.split(' ')[0], get('Credential'), get('SignedHeaders'), get('Signature')].join('|');
}

/** A text edited once: a character removed, replaced or inserted, or cut short. */
const edited = (text: string): fc.Arbitrary<string> =>
  fc.record({ at: fc.nat({ max: Math.max(0, text.length) }), edit: fc.constantFrom('delete', 'replace', 'insert', 'cut'), char: fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }) }).map(({ at, edit, char }) => {
    if (edit === 'delete') return text.slice(0, at) + text.slice(at + 1);
    if (edit === 'replace') return text.slice(0, at) + char + text.slice(at + 1);
    if (edit === 'insert') return text.slice(0, at) + char + text.slice(at);
    return text.slice(0, at);
  });

type Change = { kind: 'keep' } | { kind: 'remove' } | { kind: 'set'; value: string };

function change(original: string | undefined, others: fc.Arbitrary<string>): fc.Arbitrary<Change> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant<Change>({ kind: 'keep' }) },
    { weight: 1, arbitrary: fc.constant<Change>({ kind: 'remove' }) },
    { weight: 2, arbitrary: anyString(80).map((value): Change => ({ kind: 'set', value })) },
    { weight: 3, arbitrary: others.map((value): Change => ({ kind: 'set', value })) },
    ...(original !== undefined ? [{ weight: 3, arbitrary: edited(original).map((value): Change => ({ kind: 'set', value })) }] : []),
  );
}

function apply(headers: Record<string, string | undefined>, name: string, c: Change): void {
  if (c.kind === 'remove') delete headers[name];
  else if (c.kind === 'set') headers[name] = c.value;
}

/** 64 hex digits: a well-formed signature (built once: building it compiles the pattern). */
const HEX_SIGNATURE = fc.stringMatching(/^[0-9a-f]{64}$/);

/** Authorization headers assembled from good and bad parts of the original. */
function rebuilt(original: string): fc.Arbitrary<string> {
  const [, credential = '', signed = '', signature = ''] = /Credential=([^,]*), SignedHeaders=([^,]*), Signature=(\w*)/.exec(original) ?? [];
  const part = (good: string, bad: fc.Arbitrary<string>) => fc.oneof(fc.constant(good), edited(good), bad);
  const otherKey = fc.constantFrom(...CREDENTIALS.map((c) => c.accessKeyId), 'AKIAUNKNOWN000000001', '');
  return fc
    .record({
      algorithm: fc.constantFrom('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1', 'aws4-hmac-sha256', 'AWS4-ECDSA-P256-SHA256', ''),
      credential: part(credential, otherKey.map((key) => credential.replace(/^[^/]*/, key))),
      region: fc.constantFrom(undefined, 'eu-west-1', 'us-east-2', 'cn-north-1', 'x'),
      service: fc.constantFrom(undefined, 'kms', 's3', 'KMS'),
      signed: part(signed, fc.constantFrom('host', 'x-amz-date', 'host;x-amz-date', 'content-type;host;x-amz-date;x-amz-target;date', 'Host;X-Amz-Date', '')),
      signature: part(signature, fc.oneof(HEX_SIGNATURE, fc.constant(signature.toUpperCase()), fc.constant('0'.repeat(64)))),
      separator: fc.constantFrom(', ', ',', ' , ', '  '),
      order: fc.boolean(),
    })
    .map(({ algorithm, credential: cred, region, service, signed: sh, signature: sig, separator, order }) => {
      let c = cred;
      if (region !== undefined) c = c.replace(/\/[a-z0-9-]+\/kms\//, `/${region}/kms/`);
      if (service !== undefined) c = c.replace('/kms/', `/${service}/`);
      const params = [`Credential=${c}`, `SignedHeaders=${sh}`, `Signature=${sig}`];
      return `${algorithm} ${(order ? params : params.reverse()).join(separator)}`;
    });
}

interface Case {
  request: AppRequest;
  /** When it was signed, in minutes from the clock's time: within 5 either way is in time. */
  minutes: number;
  authorization: Change;
  date: Change;
  token: Change;
}

/** Signed requests, made before the properties run (signing is asynchronous; arbitraries are not). */
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const bases = new Map<string, AppRequest>();
for (const credentials of CREDENTIALS) {
  for (let minutes = -8; minutes <= 8; minutes++) {
    for (const region of REGIONS) {
      const request = await signedRequest({ operation: 'ListKeys', credentials, region, date: NOW + minutes * MINUTE, body: {} });
      bases.set(`${credentials.accessKeyId} ${minutes} ${region}`, request);
    }
  }
}

const dates = fc.oneof(
  fc.integer({ min: -20 * MINUTE, max: 20 * MINUTE }).map((ms) => compact(NOW + ms)),
  fc.constantFrom('2026-01-01T00:00:00Z', '20260101T000000', '20261301T000000Z', '20260101T240000Z', 'Thu, 01 Jan 2026 00:00:00 GMT', '0'),
);
const tokens = fc.constantFrom(...CREDENTIALS.flatMap((c) => (c.sessionToken !== undefined ? [c.sessionToken, `${c.sessionToken} `] : [])), 'token', '');

/** A request signed by a configured key within the clock window, and what happens to its three headers. */
const cases: fc.Arbitrary<Case> = fc
  .record({ credentials: fc.constantFrom(...CREDENTIALS), minutes: fc.integer({ min: -8, max: 8 }), region: fc.constantFrom(...REGIONS) })
  .chain(({ credentials, minutes, region }) => {
    const request = bases.get(`${credentials.accessKeyId} ${minutes} ${region}`) as AppRequest;
    const authorization = request.headers['authorization'] as string;
    return fc.record({
      request: fc.constant(request),
      minutes: fc.constant(minutes),
      authorization: change(authorization, rebuilt(authorization)),
      date: change(request.headers['x-amz-date'], dates),
      token: change(request.headers['x-amz-security-token'], tokens),
    });
  });

describe('fuzz: authentication in authenticated mode', () => {
  it('Authorization, X-Amz-Date and X-Amz-Security-Token, removed, random, edited or rebuilt', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async ({ request, minutes, authorization, date, token }) => {
        count('authentication');
        const headers = { ...request.headers };
        apply(headers, 'authorization', authorization);
        apply(headers, 'x-amz-date', date);
        apply(headers, 'x-amz-security-token', token);
        const what = `authorization ${JSON.stringify(headers['authorization'])}, x-amz-date ${JSON.stringify(headers['x-amz-date'])}, token ${JSON.stringify(headers['x-amz-security-token'])}`;
        const answer = awsAnswer(await app.handle({ ...request, headers }), what);
        for (const secret of SECRET_TEXTS) assert.ok(!answer.text.includes(secret), `the answer holds a secret: ${what} -> ${answer.text}`);

        const same = (name: string) => headers[name] === request.headers[name];
        const unchanged =
          parts(headers['authorization']) === parts(request.headers['authorization']) && same('x-amz-date') && same('x-amz-security-token');
        const inTime = Math.abs(minutes) <= 5;
        if (answer.status === 200) {
          assert.ok(unchanged, `a changed request was accepted: ${what}`);
          assert.ok(inTime, `a request signed ${minutes} min from now was accepted`);
          return;
        }
        assert.ok(AUTH_ERRORS.includes(answer.type ?? ''), `${what} -> ${answer.text}`);
        if (inTime && same('authorization') && same('x-amz-date') && !same('x-amz-security-token')) {
          assert.equal(answer.type, 'UnrecognizedClientException', `${what} -> ${answer.text}`);
        }
        if (authorization.kind === 'keep' && date.kind === 'keep' && token.kind === 'keep') {
          assert.ok(!inTime, `the signed request was refused: ${answer.text}`);
          assert.match(answer.message ?? '', minutes < 0 ? /^Signature expired: / : /^Signature not yet current: /, what);
        }
      }),
      { numRuns: runs(1500) },
    );
  });
});
