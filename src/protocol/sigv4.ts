/**
 * AWS Signature Version 4 in the `Authorization` header, the only authentication AWS KMS clients
 * use:
 *
 *   Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kms/aws4_request,
 *                  SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=<64 hex>
 *   X-Amz-Date: 20260101T120000Z
 *
 * `parseCredentialScope` reads the credential scope (access key id, date, region, service), which
 * decides a request's region in either mode, and refuses a scope for another service as AWS does.
 * The rest serves verification in authenticated mode (SigV4Authenticator in authenticate.ts):
 * the whole header (`parseAuthorization`), X-Amz-Date and its 5-minute window (`checkRequestDate`),
 * the signed header list (`checkSignedHeaders`), the payload hash, and the signature itself
 * (`SignatureCheck`), recomputed with @smithy/signature-v4, the AWS SDK's own canonicalisation,
 * and compared in constant time.
 *
 * Wording: AWS's recorded messages are quoted here; the ones chosen for Trent are in `messages`
 * (src/errors.ts). No message echoes a signature, a secret or a session token.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { constantTimeEqual, Sha256, sha256Hex } from '../crypto/sha256.js';
import { IncompleteSignatureException, InvalidSignatureException, messages } from '../errors.js';

export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const ALGORITHM = 'AWS4-HMAC-SHA256';

function incomplete(authorization: string, what: string): IncompleteSignatureException {
  return new IncompleteSignatureException(`Authorization header requires ${what}. Authorization=${authorization.split(' ')[0] ?? ''}`);
}

/** The value of `Name=value` in the header's comma-separated parameters, or undefined. */
function parameter(authorization: string, name: string): string | undefined {
  return new RegExp(`(?:^|[\\s,])${name}=([^,\\s]*)`).exec(authorization.slice(ALGORITHM.length + 1))?.[1];
}

export function parseCredentialScope(authorization: string | undefined): CredentialScope | undefined {
  if (authorization === undefined) return undefined;
  if (!authorization.startsWith(`${ALGORITHM} `)) throw incomplete(authorization, "the 'AWS4-HMAC-SHA256' algorithm");
  const credential = parameter(authorization, 'Credential');
  if (credential === undefined || credential === '') throw incomplete(authorization, "'Credential' parameter");
  const parts = credential.split('/');
  const [accessKeyId = '', date = '', region = '', service = '', terminator = ''] = parts;
  if (parts.length !== 5 || accessKeyId === '' || !/^\d{8}$/.test(date) || terminator !== 'aws4_request') {
    throw incomplete(authorization, "a well-formed 'Credential' parameter (<access key>/<date>/<region>/kms/aws4_request)");
  }
  if (!REGION.test(region)) throw incomplete(authorization, `a valid region in the credential scope, not '${region}'`);
  // AWS's wording, trailing space included (recorded from AWS Batch's answer to a scope for 'es').
  if (service !== 'kms') throw new InvalidSignatureException("Credential should be scoped to correct service: 'kms'. ");
  return { accessKeyId, date, region, service };
}

export interface ParsedAuthorization extends CredentialScope {
  /** Lower-case header names, as the client listed them. */
  signedHeaders: string[];
  /** As sent; a well-formed one is 64 lower-case hex digits. */
  signature: string;
}

/** An HTTP header name (RFC 9110 token), lower case as SigV4 lists them. */
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/** The whole Authorization header: credential scope, SignedHeaders and Signature (IncompleteSignatureException). */
export function parseAuthorization(authorization: string): ParsedAuthorization {
  const scope = parseCredentialScope(authorization) as CredentialScope;
  // AWS's wording for each missing parameter (recorded from DynamoDB's answer to `AWS4-`).
  const signedHeaders = parameter(authorization, 'SignedHeaders');
  if (signedHeaders === undefined || signedHeaders === '') throw incomplete(authorization, "'SignedHeaders' parameter");
  const names = signedHeaders.split(';');
  if (!names.every((name) => HEADER_NAME.test(name))) throw incomplete(authorization, "a well-formed 'SignedHeaders' parameter (lower-case names separated by ';')");
  const signature = parameter(authorization, 'Signature');
  if (signature === undefined || signature === '') throw incomplete(authorization, "'Signature' parameter");
  return { ...scope, signedHeaders: names, signature };
}

/** AWS KMS accepts an X-Amz-Date at most this far from its clock, either way (most services: 15 min). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** `20260101T000000Z`, SigV4's compact ISO 8601 form, to the second. */
export function compactDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Milliseconds since the epoch of a compact date, or undefined if it is not a real one. */
function parseCompactDate(text: string): number | undefined {
  const match = AMZ_DATE.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  return compactDate(ms) === text ? ms : undefined;
}

/**
 * X-Amz-Date: present, well-formed, of the credential scope's day, and within MAX_CLOCK_SKEW_MS
 * of `now`. Returns its time in milliseconds.
 */
export function checkRequestDate(amzDate: string | undefined, scope: CredentialScope, now: number): number {
  if (amzDate === undefined) throw new IncompleteSignatureException(messages.missingAmzDate);
  const ms = parseCompactDate(amzDate);
  if (ms === undefined) throw new IncompleteSignatureException(messages.malformedAmzDate);
  if (scope.date !== amzDate.slice(0, 8)) throw new InvalidSignatureException(messages.scopeDateMismatch(scope.date, amzDate));
  // AWS's wording (recorded from KMS, Kinesis and others; KMS's window is 5 minutes).
  if (ms < now - MAX_CLOCK_SKEW_MS) {
    throw new InvalidSignatureException(`Signature expired: ${amzDate} is now earlier than ${compactDate(now - MAX_CLOCK_SKEW_MS)} (${compactDate(now)} - 5 min.)`);
  }
  if (ms > now + MAX_CLOCK_SKEW_MS) {
    throw new InvalidSignatureException(`Signature not yet current: ${amzDate} is still later than ${compactDate(now + MAX_CLOCK_SKEW_MS)} (${compactDate(now)} + 5 min.)`);
  }
  return ms;
}

/** Host and X-Amz-Date are signed, and every signed header is in the request. */
export function checkSignedHeaders(signedHeaders: readonly string[], headers: Readonly<Record<string, string | undefined>>): void {
  // AWS's wording (recorded from DynamoDB).
  if (!signedHeaders.includes('host')) throw new InvalidSignatureException("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  if (!signedHeaders.includes('x-amz-date')) throw new InvalidSignatureException(messages.amzDateUnsigned);
  for (const name of signedHeaders) {
    if (headers[name] === undefined) throw new InvalidSignatureException(messages.signedHeaderAbsent(name));
  }
}

/** AWS's answer to a signature that is not the one the secret gives (recorded). */
export const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** The query string as @smithy/signature-v4 wants it: decoded names and values, repeated names as lists. */
function queryOf(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const pair of search.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const name = decodeURIComponent(at < 0 ? pair : pair.slice(0, at));
    const value = at < 0 ? '' : decodeURIComponent(pair.slice(at + 1));
    const earlier = query[name];
    query[name] = earlier === undefined ? value : [...(Array.isArray(earlier) ? earlier : [earlier]), value];
  }
  return query;
}

export interface SignedRequest {
  method: string;
  /** The request target: path and query, as received. */
  path: string;
  /** Lower-case names. */
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
}

/**
 * Recomputes a request's signature with one access key's secret and compares it with the one
 * sent. One per access key, so the signer (and smithy's cache of signing keys) is reused.
 */
export class SignatureCheck {
  private readonly signer: SignatureV4;

  constructor(accessKeyId: string, secretAccessKey: string) {
    this.signer = new SignatureV4({
      service: 'kms',
      region: 'us-east-1', // every call names the credential scope's region
      credentials: { accessKeyId, secretAccessKey },
      sha256: Sha256,
      // Sign exactly the headers the client signed: never add an x-amz-content-sha256 header.
      applyChecksum: false,
    });
  }

  /** Throws InvalidSignatureException unless `request` carries the signature this key gives it. */
  async verify(request: SignedRequest, authorization: ParsedAuthorization, signedAt: number): Promise<void> {
    const sentHash = request.headers['x-amz-content-sha256'];
    if (sentHash !== undefined && sentHash !== sha256Hex(request.body)) throw new InvalidSignatureException(messages.contentSha256Mismatch);
    const queryAt = request.path.indexOf('?');
    let query: Record<string, string | string[]> | undefined;
    try {
      query = queryAt < 0 ? undefined : queryOf(request.path.slice(queryAt + 1));
    } catch {
      throw new InvalidSignatureException(SIGNATURE_MISMATCH); // a malformed %-escape: nothing was signed as sent
    }
    const headers = Object.create(null) as Record<string, string>; // a header named __proto__ stays a header
    for (const name of authorization.signedHeaders) headers[name] = request.headers[name] as string;
    const signed = await this.signer.sign(
      {
        method: request.method,
        protocol: 'http:',
        hostname: '',
        path: queryAt < 0 ? request.path : request.path.slice(0, queryAt),
        ...(query !== undefined && { query }),
        headers,
        body: request.body,
      },
      {
        signingDate: new Date(signedAt),
        signingRegion: authorization.region,
        signingService: 'kms',
        signableHeaders: new Set(authorization.signedHeaders),
      },
    );
    const expected = parseAuthorization(signed.headers['authorization'] as string);
    // smithy signs some headers only if asked and never `authorization` or `date`; a list it would
    // not reproduce cannot have been signed by a client that followed the SigV4 rules.
    const sameHeaders = expected.signedHeaders.join(';') === authorization.signedHeaders.join(';');
    if (!constantTimeEqual(expected.signature, authorization.signature) || !sameHeaders) throw new InvalidSignatureException(SIGNATURE_MISMATCH);
  }
}
