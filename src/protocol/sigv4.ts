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
import { createScope, getCanonicalHeaders, getSigningKey, SignatureV4 } from '@smithy/signature-v4';
import { constantTimeEqual, hmacSha256Hex, Sha256, sha256Hex } from '../crypto/sha256.js';
import { IncompleteSignatureException, InvalidSignatureException, messages } from '../errors.js';

/** smithy's request shape, as its canonicalisation reads it. */
type HttpRequest = Parameters<typeof getCanonicalHeaders>[0];

export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const ALGORITHM = 'AWS4-HMAC-SHA256';

/**
 * AWS's wording, which ends by quoting the header; Trent quotes only its first word, and only when
 * it looks like an algorithm name, so that nothing secret-like pasted there is sent back.
 */
function incomplete(authorization: string, what: string): IncompleteSignatureException {
  const first = authorization.split(' ')[0] ?? '';
  return new IncompleteSignatureException(`Authorization header requires ${what}. Authorization=${/^[A-Za-z0-9-]{1,32}$/.test(first) ? first : ''}`);
}

const PARAMETERS = {
  Credential: /(?:^|[\s,])Credential=([^,\s]*)/,
  SignedHeaders: /(?:^|[\s,])SignedHeaders=([^,\s]*)/,
  Signature: /(?:^|[\s,])Signature=([^,\s]*)/,
};

/** The three parameters in the order and spacing every AWS SDK writes them: read in one match. */
const USUAL_LAYOUT = /^Credential=([^,\s]*), ?SignedHeaders=([^,\s]*), ?Signature=([^,\s]*)$/;

type AuthorizationParameters = Partial<Record<keyof typeof PARAMETERS, string>>;

/** `Name=value` parameters of the header (after its algorithm), in any order. */
function parametersOf(authorization: string): AuthorizationParameters {
  const text = authorization.slice(ALGORITHM.length + 1);
  const usual = USUAL_LAYOUT.exec(text);
  if (usual) return { Credential: usual[1] as string, SignedHeaders: usual[2] as string, Signature: usual[3] as string };
  const found: AuthorizationParameters = {};
  for (const name of ['Credential', 'SignedHeaders', 'Signature'] as const) {
    const value = PARAMETERS[name].exec(text)?.[1];
    if (value !== undefined) found[name] = value;
  }
  return found;
}

export function parseCredentialScope(authorization: string | undefined): CredentialScope | undefined {
  if (authorization === undefined) return undefined;
  if (!authorization.startsWith(`${ALGORITHM} `)) throw incomplete(authorization, "the 'AWS4-HMAC-SHA256' algorithm");
  return scopeOf(authorization, parametersOf(authorization));
}

function scopeOf(authorization: string, parameters: AuthorizationParameters): CredentialScope {
  const credential = parameters.Credential;
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

/** HTTP header names (RFC 9110 tokens), lower case as SigV4 lists them, separated by `;`. */
const HEADER_NAMES = /^[a-z0-9!#$%&'*+.^_`|~-]+(?:;[a-z0-9!#$%&'*+.^_`|~-]+)*$/;

/** The whole Authorization header: credential scope, SignedHeaders and Signature (IncompleteSignatureException). */
export function parseAuthorization(authorization: string): ParsedAuthorization {
  if (!authorization.startsWith(`${ALGORITHM} `)) throw incomplete(authorization, "the 'AWS4-HMAC-SHA256' algorithm");
  const parameters = parametersOf(authorization);
  const scope = scopeOf(authorization, parameters);
  // AWS's wording for each missing parameter (recorded from DynamoDB's answer to `AWS4-`).
  const signedHeaders = parameters.SignedHeaders;
  if (signedHeaders === undefined || signedHeaders === '') throw incomplete(authorization, "'SignedHeaders' parameter");
  if (!HEADER_NAMES.test(signedHeaders)) throw incomplete(authorization, "a well-formed 'SignedHeaders' parameter (lower-case names separated by ';')");
  const signature = parameters.Signature;
  if (signature === undefined || signature === '') throw incomplete(authorization, "'Signature' parameter");
  return { accessKeyId: scope.accessKeyId, date: scope.date, region: scope.region, service: scope.service, signedHeaders: signedHeaders.split(';'), signature };
}

/** AWS KMS accepts an X-Amz-Date at most this far from its clock, either way (most services: 15 min). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** `20260101T000000Z`, SigV4's compact ISO 8601 form, to the second. */
export function compactDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** The last date read: requests of the same second carry the same X-Amz-Date. */
let lastDate = { text: '', ms: 0 };

/** Milliseconds since the epoch of a compact date, or undefined if it is not a real one. */
function parseCompactDate(text: string): number | undefined {
  if (text === lastDate.text) return lastDate.ms;
  const match = AMZ_DATE.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls month 13 or hour 24 over; a real date reads back the same.
  const date = new Date(ms);
  const same = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && date.getUTCHours() === hour;
  if (!same || minute >= 60 || second >= 60) return undefined;
  lastDate = { text, ms };
  return ms;
}

/**
 * X-Amz-Date: present, well-formed, of the credential scope's day, and within MAX_CLOCK_SKEW_MS
 * of `now`. Returns it.
 */
export function checkRequestDate(amzDate: string | undefined, scope: CredentialScope, now: number): string {
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
  return amzDate;
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
 * @smithy/signature-v4's canonicalisation, reached through the protected method its signer
 * builds a signature with: the canonical request (method, path, query, signed headers, payload
 * hash). Signing itself (SignatureV4.sign) would also clone the request, re-derive the signing
 * key and re-add the headers it generates, none of which verification needs.
 */
class Canonicalisation extends SignatureV4 {
  constructor() {
    super({ service: 'kms', region: 'us-east-1', credentials: { accessKeyId: '', secretAccessKey: '' }, sha256: Sha256, applyChecksum: false });
  }

  /** The canonical request, and the signed header list it names. */
  of(request: HttpRequest, signedHeaders: ReadonlySet<string>, payloadHash: string): { canonicalRequest: string; signedHeaders: string } {
    const canonicalHeaders = getCanonicalHeaders(request, undefined, signedHeaders as Set<string>);
    return { canonicalRequest: this.createCanonicalRequest(request, canonicalHeaders, payloadHash), signedHeaders: this.getCanonicalHeaderList(canonicalHeaders) };
  }
}

const canonicalisation = new Canonicalisation();

/** Signing keys kept per access key: one per day and region in use (a few), derived by smithy. */
const MAX_SIGNING_KEYS = 64;

/**
 * Recomputes a request's signature with one access key's secret and compares it, in constant
 * time, with the one sent. One per access key, keeping its signing keys.
 */
export class SignatureCheck {
  private readonly signingKeys = new Map<string, Uint8Array>();

  constructor(
    private readonly accessKeyId: string,
    private readonly secretAccessKey: string,
  ) {}

  /** Throws InvalidSignatureException unless `request` carries the signature this key gives it. */
  async verify(request: SignedRequest, authorization: ParsedAuthorization, amzDate: string): Promise<void> {
    const payloadHash = sha256Hex(request.body);
    const sentHash = request.headers['x-amz-content-sha256'];
    if (sentHash !== undefined && sentHash !== payloadHash) throw new InvalidSignatureException(messages.contentSha256Mismatch);
    const queryAt = request.path.indexOf('?');
    let query: Record<string, string | string[]> = {};
    try {
      if (queryAt >= 0) query = queryOf(request.path.slice(queryAt + 1));
    } catch {
      throw new InvalidSignatureException(SIGNATURE_MISMATCH); // a malformed %-escape: nothing was signed as sent
    }
    const headers = Object.create(null) as Record<string, string>; // a header named __proto__ stays a header
    for (const name of authorization.signedHeaders) headers[name] = request.headers[name] as string;
    const canonical = canonicalisation.of(
      { method: request.method, protocol: 'http:', hostname: '', path: queryAt < 0 ? request.path : request.path.slice(0, queryAt), query, headers },
      new Set(authorization.signedHeaders),
      payloadHash,
    );
    // The string to sign (SigV4, "Create a string to sign"), signed with the scope's key.
    const scope = createScope(authorization.date, authorization.region, 'kms');
    const stringToSign = `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical.canonicalRequest)}`;
    const key = this.signingKeys.get(scope) ?? (await this.deriveSigningKey(scope, authorization.date, authorization.region));
    const expected = hmacSha256Hex(key, stringToSign);
    // The canonical request lists the signed headers sorted and unique: a list given otherwise
    // (or naming a header twice) cannot be the one a SigV4 signer signed.
    const sameHeaders = canonical.signedHeaders === authorization.signedHeaders.join(';');
    if (!constantTimeEqual(expected, authorization.signature) || !sameHeaders) throw new InvalidSignatureException(SIGNATURE_MISMATCH);
  }

  private async deriveSigningKey(scope: string, date: string, region: string): Promise<Uint8Array> {
    const key = await getSigningKey(Sha256, { accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey }, date, region, 'kms');
    if (this.signingKeys.size >= MAX_SIGNING_KEYS) this.signingKeys.clear();
    this.signingKeys.set(scope, key);
    return key;
  }
}
