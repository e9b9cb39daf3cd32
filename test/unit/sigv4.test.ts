/**
 * SigV4 verification in authenticated mode (src/protocol/sigv4.ts, SigV4Authenticator in
 * src/protocol/authenticate.ts), in-process and table-driven. Requests are signed the way the AWS
 * SDK for JavaScript signs them (@smithy/signature-v4 with @smithy/hash-node, test/helpers/sigv4.ts),
 * then sent as they are or tampered with; the clock is a manual one. Every refusal is checked
 * for its `__type` and exact message, and no message may contain a secret or a session token.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Caller } from '../../src/domain/access.js';
import { Identities } from '../../src/domain/identities.js';
import { KmsError } from '../../src/errors.js';
import { DevelopmentAuthenticator, SigV4Authenticator } from '../../src/protocol/authenticate.js';
import type { AppRequest } from '../../src/server/app.js';
import { createTestApp } from '../helpers/in-process.js';
import { ALICE, BOB, CAROL, ROOT, signedRequest, TEST_ACCOUNTS, withParameter, type Credentials, type SignOptions } from '../helpers/sigv4.js';

/** The ManualClock's start, which createTestApp's clock shows too. */
const NOW = Date.UTC(2026, 0, 1, 0, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const SECRETS = [ROOT, ALICE, BOB, CAROL].flatMap((c) => [c.secretAccessKey, ...(c.sessionToken !== undefined ? [c.sessionToken] : [])]);

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';

const sign = (options: Partial<SignOptions> = {}) =>
  signedRequest({ operation: 'ListKeys', credentials: ROOT, date: NOW, body: {}, ...options });

/** `request` with one header changed (or removed, with undefined). */
function withHeader(request: AppRequest, name: string, value: string | undefined): AppRequest {
  const headers = { ...request.headers };
  if (value === undefined) delete headers[name];
  else headers[name] = value;
  return { ...request, headers };
}

function withAuthorization(request: AppRequest, change: (authorization: string) => string): AppRequest {
  return withHeader(request, 'authorization', change(request.headers['authorization'] as string));
}

interface Row {
  name: string;
  request: () => Promise<AppRequest>;
  /** The clock's time when the request arrives (default NOW). */
  now?: number;
  /** The refusal; absent for a request that must be accepted. */
  error?: { type: string; message: string };
}

const error = (type: string, message: string) => ({ type, message });

const rows: Row[] = [
  { name: 'a good signature (account root)', request: () => sign() },
  { name: 'a good signature (IAM user)', request: () => sign({ credentials: ALICE }) },
  { name: 'a good signature of another account', request: () => sign({ credentials: CAROL }) },
  { name: 'a good signature with the right session token', request: () => sign({ credentials: BOB }) },
  { name: 'a good signature in another region', request: () => sign({ region: 'eu-west-1' }) },
  { name: 'a good signature over a body', request: () => sign({ operation: 'DescribeKey', body: { KeyId: 'alias/x' } }) },
  { name: 'a good signature over a query string', request: () => sign({ path: '/?b=2&a=1&a=0&c' }) },
  { name: 'a good signature with user-agent signed', request: () => sign({ headers: { 'user-agent': 'test/1.0' }, signable: ['user-agent'] }) },
  {
    name: 'a good signature with a matching x-amz-content-sha256',
    request: () => sign({ headers: { 'x-amz-content-sha256': '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a' } }),
  },

  // Tampering: the request differs from the one signed.
  ...['content-type', 'host', 'x-amz-target'].map(
    (name): Row => ({
      name: `the signed header ${name} changed`,
      request: async () => {
        const request = await sign();
        const changed = { 'content-type': 'application/x-amz-json-1.1; charset=utf-8', host: '127.0.0.1:4600', 'x-amz-target': 'TrentService.ListAliases' }[name] as string;
        return withHeader(request, name, changed);
      },
      error: error('InvalidSignatureException', MISMATCH),
    }),
  ),
  {
    name: 'the signed header x-amz-date changed (still in the window)',
    request: async () => withHeader(await sign(), 'x-amz-date', '20260101T000001Z'),
    error: error('InvalidSignatureException', MISMATCH),
  },
  {
    name: 'the body changed',
    request: async () => ({ ...(await sign({ operation: 'DescribeKey', body: { KeyId: 'alias/x' } })), body: Buffer.from('{"KeyId":"alias/y"}') }),
    error: error('InvalidSignatureException', MISMATCH),
  },
  {
    name: 'the query string changed',
    request: async () => ({ ...(await sign({ path: '/?a=1' })), path: '/?a=2' }),
    error: error('InvalidSignatureException', MISMATCH),
  },
  { name: 'the wrong secret', request: () => sign({ credentials: { ...ROOT, secretAccessKey: 'not-the-secret' } }), error: error('InvalidSignatureException', MISMATCH) },
  {
    name: "another principal's secret with this access key id",
    request: () => sign({ credentials: { accessKeyId: ROOT.accessKeyId, secretAccessKey: ALICE.secretAccessKey } }),
    error: error('InvalidSignatureException', MISMATCH),
  },
  {
    name: 'the credential scope names another region than the one signed for',
    request: async () => withAuthorization(await sign(), (a) => a.replace('/us-east-1/', '/eu-west-1/')),
    error: error('InvalidSignatureException', MISMATCH),
  },
  {
    name: 'a signature in upper case',
    request: async () => withAuthorization(await sign(), (a) => a.replace(/Signature=(\w+)/, (_, s: string) => `Signature=${s.toUpperCase()}`)),
    error: error('InvalidSignatureException', MISMATCH),
  },
  { name: 'a signature cut short', request: async () => withAuthorization(await sign(), (a) => a.slice(0, -2)), error: error('InvalidSignatureException', MISMATCH) },
  {
    name: 'SignedHeaders in another order than signed',
    request: async () => withAuthorization(await sign(), (a) => withParameter(a, 'SignedHeaders', 'host;content-type;x-amz-date;x-amz-target')),
    error: error('InvalidSignatureException', MISMATCH),
  },
  {
    name: 'a header dropped from SignedHeaders',
    request: async () => withAuthorization(await sign(), (a) => withParameter(a, 'SignedHeaders', 'host;x-amz-date;x-amz-target')),
    error: error('InvalidSignatureException', MISMATCH),
  },
  {
    // The signer never signs Date (X-Amz-Date stands for it), so listing it cannot have been signed.
    name: 'a Date header slipped into SignedHeaders of a signed request',
    request: async () => withHeader(withAuthorization(await sign(), (a) => withParameter(a, 'SignedHeaders', 'content-type;date;host;x-amz-date;x-amz-target')), 'date', 'Thu, 01 Jan 2026 00:00:00 GMT'),
    error: error('InvalidSignatureException', MISMATCH),
  },
  {
    name: 'x-amz-content-sha256 that is not the body hash',
    request: () => sign({ headers: { 'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' } }),
    error: error('InvalidSignatureException', "The provided 'x-amz-content-sha256' header does not match what was computed."),
  },
  {
    name: 'x-amz-content-sha256 UNSIGNED-PAYLOAD',
    request: () => sign({ headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }),
    error: error('InvalidSignatureException', "The provided 'x-amz-content-sha256' header does not match what was computed."),
  },

  // Access keys and session tokens.
  { name: 'an unknown access key', request: () => sign({ credentials: { accessKeyId: 'AKIAUNKNOWN000000001', secretAccessKey: 'x' } }), error: error('UnrecognizedClientException', INVALID_TOKEN) },
  {
    name: 'a session token required but absent',
    request: () => sign({ credentials: { accessKeyId: BOB.accessKeyId, secretAccessKey: BOB.secretAccessKey } }),
    error: error('UnrecognizedClientException', INVALID_TOKEN),
  },
  { name: 'a wrong session token', request: () => sign({ credentials: { ...BOB, sessionToken: `${BOB.sessionToken}x` } }), error: error('UnrecognizedClientException', INVALID_TOKEN) },
  {
    name: 'the session token changed after signing',
    request: async () => withHeader(await sign({ credentials: BOB }), 'x-amz-security-token', 'another-token'),
    error: error('UnrecognizedClientException', INVALID_TOKEN),
  },
  {
    name: 'a session token sent for a key that has none',
    request: () => sign({ credentials: { ...ROOT, sessionToken: 'unexpected' } }),
    error: error('UnrecognizedClientException', INVALID_TOKEN),
  },

  // The clock: AWS KMS allows 5 minutes either way.
  { name: 'signed 4 min 59 s ago', request: () => sign({ date: NOW - 4 * MINUTE - 59 * SECOND }) },
  { name: 'signed 4 min 59 s ahead', request: () => sign({ date: NOW + 4 * MINUTE + 59 * SECOND }) },
  { name: 'signed exactly 5 min ago', request: () => sign({ date: NOW - 5 * MINUTE }) },
  {
    name: 'signed 5 min 1 s ago',
    request: () => sign({ date: NOW - 5 * MINUTE - SECOND }),
    error: error('InvalidSignatureException', 'Signature expired: 20251231T235459Z is now earlier than 20251231T235500Z (20260101T000000Z - 5 min.)'),
  },
  {
    name: 'signed 5 min 1 s ahead',
    request: () => sign({ date: NOW + 5 * MINUTE + SECOND }),
    error: error('InvalidSignatureException', 'Signature not yet current: 20260101T000501Z is still later than 20260101T000500Z (20260101T000000Z + 5 min.)'),
  },
  {
    name: 'the clock moved on 5 min 1 s since signing',
    request: () => sign(),
    now: NOW + 5 * MINUTE + SECOND + 500,
    error: error('InvalidSignatureException', 'Signature expired: 20260101T000000Z is now earlier than 20260101T000001Z (20260101T000501Z - 5 min.)'),
  },

  // The Authorization header and X-Amz-Date themselves.
  { name: 'no Authorization header', request: async () => withHeader(await sign(), 'authorization', undefined), error: error('MissingAuthenticationTokenException', 'Request is missing Authentication Token') },
  {
    name: 'another algorithm',
    request: async () => withAuthorization(await sign(), (a) => a.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1')),
    error: error('IncompleteSignatureException', "Authorization header requires the 'AWS4-HMAC-SHA256' algorithm. Authorization=AWS4-HMAC-SHA1"),
  },
  {
    name: 'no Signature parameter',
    request: async () => withAuthorization(await sign(), (a) => a.replace(/, Signature=\w+/, '')),
    error: error('IncompleteSignatureException', "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256"),
  },
  {
    name: 'no SignedHeaders parameter',
    request: async () => withAuthorization(await sign(), (a) => a.replace(/ SignedHeaders=[^,]*,/, '')),
    error: error('IncompleteSignatureException', "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256"),
  },
  {
    name: 'a scope for another service',
    request: async () => withAuthorization(await sign(), (a) => a.replace('/kms/', '/s3/')),
    error: error('InvalidSignatureException', "Credential should be scoped to correct service: 'kms'. "),
  },
  {
    name: 'no X-Amz-Date header',
    request: async () => withHeader(await sign(), 'x-amz-date', undefined),
    error: error('IncompleteSignatureException', "Authorization header requires existence of a 'X-Amz-Date' header. Authorization=AWS4-HMAC-SHA256"),
  },
  {
    name: 'an X-Amz-Date in extended ISO 8601',
    request: async () => withHeader(await sign(), 'x-amz-date', '2026-01-01T00:00:00Z'),
    error: error('IncompleteSignatureException', "X-Amz-Date must be in ISO-8601 'basic format' (yyyyMMdd'T'HHmmss'Z')."),
  },
  {
    name: 'an X-Amz-Date that is no date (month 13)',
    request: async () => withHeader(await sign(), 'x-amz-date', '20261301T000000Z'),
    error: error('IncompleteSignatureException', "X-Amz-Date must be in ISO-8601 'basic format' (yyyyMMdd'T'HHmmss'Z')."),
  },
  {
    name: "a credential scope of another day than X-Amz-Date's",
    request: async () => withAuthorization(await sign(), (a) => a.replace('/20260101/', '/20251231/')),
    error: error(
      'InvalidSignatureException',
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20251231' != '20260101', from '20260101T000000Z'.",
    ),
  },
  {
    name: 'host not signed',
    request: () => sign({ unsigned: ['host'] }),
    error: error('InvalidSignatureException', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."),
  },
  {
    name: 'x-amz-date not signed',
    request: () => sign({ unsigned: ['x-amz-date'] }),
    error: error('InvalidSignatureException', "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."),
  },
  {
    name: 'a signed header absent from the request',
    request: async () => withHeader(await sign({ headers: { 'x-trent-extra': '1' } }), 'x-trent-extra', undefined),
    error: error('InvalidSignatureException', "'x-trent-extra' is listed in SignedHeaders but is not a header of the request."),
  },
  {
    name: 'presigned query-string authentication',
    request: async () => ({ ...(await sign()), path: '/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00' }),
    error: error(
      'IncompleteSignatureException',
      'Query-string authentication (presigned URLs) is not supported by this Trent server; sign the request in its Authorization header, as AWS SDKs do.',
    ),
  },
];

describe('SigV4 verification', () => {
  const authenticator = new SigV4Authenticator(new Identities(TEST_ACCOUNTS));
  for (const row of rows) {
    it(`${row.error ? 'refuses' : 'accepts'} ${row.name}`, async () => {
      const request = await row.request();
      const outcome = await authenticator.authenticate(request, row.now ?? NOW).then(
        (caller) => ({ caller }),
        (err: unknown) => ({ err }),
      );
      if (row.error === undefined) {
        assert.ok('caller' in outcome, `refused: ${String((outcome as { err: unknown }).err)}`);
        return;
      }
      assert.ok('err' in outcome, 'accepted');
      const err = outcome.err;
      assert.ok(err instanceof KmsError, String(err));
      assert.deepEqual({ type: err.type, message: err.message, status: err.status }, { ...row.error, status: 400 });
      for (const secret of SECRETS) assert.ok(!err.message.includes(secret), 'a secret in the message');
    });
  }
});

describe('the caller of a verified request', () => {
  const authenticator = new SigV4Authenticator(new Identities(TEST_ACCOUNTS));
  const callerOf = async (credentials: Credentials, region = 'us-east-1', remoteAddress?: string): Promise<Caller> => {
    const request = await sign({ credentials, region });
    return authenticator.authenticate(remoteAddress === undefined ? request : { ...request, remoteAddress }, NOW);
  };

  it('is the access key’s principal, in its own account and the scope’s region', async () => {
    assert.deepEqual(await callerOf(ALICE, 'eu-west-1', '10.1.2.3'), {
      principal: { account: '111122223333', arn: 'arn:aws:iam::111122223333:user/engineering/alice', type: 'user', name: 'alice', accessKeyId: ALICE.accessKeyId },
      scope: { account: '111122223333', region: 'eu-west-1' },
      sourceIp: '10.1.2.3',
      secureTransport: false,
    });
  });
  it('names a role and the root', async () => {
    assert.deepEqual((await callerOf(BOB)).principal, { account: '111122223333', arn: 'arn:aws:iam::111122223333:role/bob', type: 'role', name: 'bob', accessKeyId: BOB.accessKeyId });
    assert.deepEqual((await callerOf(ROOT)).principal, { account: '111122223333', arn: 'arn:aws:iam::111122223333:root', type: 'root', accessKeyId: ROOT.accessKeyId });
  });
  it('in development mode is the default account’s root, with the same transport facts', async () => {
    const request = await sign({ region: 'eu-central-1' });
    assert.deepEqual(await new DevelopmentAuthenticator('123456789012', 'us-east-1').authenticate({ ...request, remoteAddress: '::1' }), {
      principal: { account: '123456789012', arn: 'arn:aws:iam::123456789012:root', type: 'root', accessKeyId: ROOT.accessKeyId },
      scope: { account: '123456789012', region: 'eu-central-1' },
      sourceIp: '::1',
      secureTransport: false,
    });
  });
  it('acts in the account of its access key, whatever the default account', async () => {
    assert.deepEqual((await callerOf(CAROL, 'ap-southeast-2')).scope, { account: '444455556666', region: 'ap-southeast-2' });
  });
});

describe('authenticated mode in the pipeline', () => {
  it('verifies with the app clock and answers as AWS does', async () => {
    const { app, clock } = createTestApp({ accounts: TEST_ACCOUNTS });
    const request = await signedRequest({ operation: 'ListKeys', credentials: ALICE, date: clock.now(), body: {} });
    assert.equal((await app.handle(request)).status, 200);
    clock.advance(5 * MINUTE + SECOND);
    const late = await app.handle(request);
    assert.equal(late.status, 400);
    assert.equal((JSON.parse(late.body) as { __type: string }).__type, 'InvalidSignatureException');
  });

  it('refuses an unsigned request with MissingAuthenticationTokenException', async () => {
    const { app } = createTestApp({ accounts: TEST_ACCOUNTS });
    const response = await app.handle({
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' },
      body: Buffer.from('{}'),
    });
    assert.deepEqual({ status: response.status, body: JSON.parse(response.body) as unknown }, {
      status: 400,
      body: { __type: 'MissingAuthenticationTokenException', message: 'Request is missing Authentication Token' },
    });
  });

  it('acts in the caller’s account: a key created by one account is not found by another', async () => {
    const { app, clock } = createTestApp({ accounts: TEST_ACCOUNTS });
    const send = async (credentials: Credentials, operation: string, body: unknown) => {
      const response = await app.handle(await signedRequest({ operation, credentials, date: clock.now(), body }));
      return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown> };
    };
    const created = await send(CAROL, 'CreateKey', {});
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const metadata = created.body.KeyMetadata as { KeyId: string; Arn: string; AWSAccountId: string };
    assert.equal(metadata.AWSAccountId, '444455556666');
    assert.equal((await send(CAROL, 'DescribeKey', { KeyId: metadata.KeyId })).status, 200);
    const fromAlice = await send(ALICE, 'DescribeKey', { KeyId: metadata.KeyId });
    assert.deepEqual(fromAlice.body, { __type: 'NotFoundException', message: `Key 'arn:aws:kms:us-east-1:111122223333:key/${metadata.KeyId}' does not exist` });
  });

  it('keeps development mode when no account is configured', async () => {
    const { app } = createTestApp({ accounts: [] });
    const response = await app.handle({
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' },
      body: Buffer.from('{}'),
    });
    assert.equal(response.status, 200, response.body);
  });
});
