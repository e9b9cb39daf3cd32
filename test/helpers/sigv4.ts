/**
 * Signed requests for tests of authenticated mode: signed with @smithy/signature-v4 and
 * @smithy/hash-node, as the AWS SDK for JavaScript signs them, so a test can send one as it is or
 * tamper with it first. The same request object goes to app.handle() in-process or over HTTP
 * (`sendRaw`).
 */
import { request as httpRequest } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AccountConfig } from '../../src/domain/identities.js';
import type { AppRequest } from '../../src/server/app.js';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The accounts of the tests: a root, a user with a session token and a role, in two accounts. */
export const ROOT: Credentials = { accessKeyId: 'AKIAROOT000000000001', secretAccessKey: 'root/secret+of+111122223333' };
export const ALICE: Credentials = { accessKeyId: 'AKIAALICE00000000001', secretAccessKey: 'alice/secret+0123456789abcdef' };
export const BOB: Credentials = {
  accessKeyId: 'ASIABOB0000000000001',
  secretAccessKey: 'bob/temporary+secret',
  sessionToken: 'FwoGZXIvYXdzEJr//////////session+token/of+bob==',
};
export const CAROL: Credentials = { accessKeyId: 'AKIACAROL00000000001', secretAccessKey: 'carol/secret+of+444455556666' };

/** An identity policy allowing every KMS action: these accounts test authentication, not authorization. */
const EVERYTHING = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] };

export const TEST_ACCOUNTS: AccountConfig[] = [
  {
    id: '111122223333',
    principals: [
      { arn: 'arn:aws:iam::111122223333:root', accessKeys: [{ accessKeyId: ROOT.accessKeyId, secretAccessKey: ROOT.secretAccessKey }], policies: [] },
      {
        arn: 'arn:aws:iam::111122223333:user/engineering/alice',
        accessKeys: [{ accessKeyId: ALICE.accessKeyId, secretAccessKey: ALICE.secretAccessKey }],
        policies: [EVERYTHING],
      },
      {
        arn: 'arn:aws:iam::111122223333:role/bob',
        accessKeys: [{ accessKeyId: BOB.accessKeyId, secretAccessKey: BOB.secretAccessKey, sessionToken: BOB.sessionToken as string }],
        policies: [EVERYTHING],
      },
    ],
  },
  {
    id: '444455556666',
    principals: [
      {
        arn: 'arn:aws:iam::444455556666:user/carol',
        accessKeys: [{ accessKeyId: CAROL.accessKeyId, secretAccessKey: CAROL.secretAccessKey }],
        policies: [EVERYTHING],
      },
    ],
  },
];

export interface SignOptions {
  operation: string;
  /** The JSON body (an object, or text sent as it is). */
  body?: unknown;
  credentials: Credentials;
  region?: string;
  /** The signing time, milliseconds since the epoch (default: now). */
  date?: number;
  /** The Host header (default 127.0.0.1:4599). */
  host?: string;
  /** Extra headers, signed too. */
  headers?: Record<string, string>;
  /** Headers the signer leaves out of SignedHeaders (`host`, `x-amz-date` for the tests that need that). */
  unsigned?: string[];
  /** Headers signed although SigV4 signers usually leave them out (`user-agent`, ...). */
  signable?: string[];
  path?: string;
}

/** A request signed as an AWS SDK signs it: method, path, lower-case headers with Authorization, body. */
export async function signedRequest(options: SignOptions): Promise<AppRequest> {
  const body = Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body ?? {}));
  const signer = new SignatureV4({
    service: 'kms',
    region: options.region ?? 'us-east-1',
    credentials: options.credentials,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
  });
  const [path = '/', search] = (options.path ?? '/').split('?');
  let query: Record<string, string | string[]> | undefined;
  if (search !== undefined) {
    query = {};
    for (const [name, value] of new URLSearchParams(search)) {
      const earlier = query[name];
      query[name] = earlier === undefined ? value : [earlier, value].flat();
    }
  }
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      path,
      ...(query !== undefined && { query }),
      headers: {
        host: options.host ?? '127.0.0.1:4599',
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `TrentService.${options.operation}`,
        ...options.headers,
      },
      body,
    },
    {
      signingDate: new Date(options.date ?? Date.now()),
      ...(options.unsigned && { unsignableHeaders: new Set(options.unsigned) }),
      ...(options.signable && { signableHeaders: new Set(options.signable) }),
    },
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = String(value);
  return { method: 'POST', path: options.path ?? '/', headers, body };
}

/** Replaces the `name=value` parameter of an Authorization header. */
export function withParameter(authorization: string, name: string, value: string): string {
  return authorization.replace(new RegExp(`${name}=[^,]*`), `${name}=${value}`);
}

/** Sends a request over HTTP exactly as given (no header added but Content-Length); the answer's status and JSON body. */
export function sendRaw(url: string, request: AppRequest): Promise<{ status: number; body: Record<string, unknown> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname, port, method: request.method, path: request.path, headers: { ...request.headers, 'content-length': String(request.body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
          } catch (err) {
            reject(err as Error);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}
