/**
 * One KMS call over HTTP(S) as the aws CLI makes it: AWS JSON 1.1 (`POST /`, `X-Amz-Target:
 * TrentService.<Operation>`), signed with SigV4 by @smithy/signature-v4, retried as botocore's
 * `standard` retry mode retries (throttling, 500/502/503/504, a dropped connection) up to
 * max_attempts with jittered exponential backoff.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../../crypto/sha256.js';
import { version } from '../../version.js';
import type { Credentials } from './credentials.js';

/** The service answered with an error: exit code 255 and botocore's one line. */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    readonly operation: string,
    readonly serviceMessage: string,
    readonly retries: number,
  ) {
    const retryInfo = retries > 0 ? ` (reached max retries: ${retries})` : '';
    super(`An error occurred (${code}) when calling the ${operation} operation${retryInfo}: ${serviceMessage}`);
  }
}

/** No answer at all (refused, reset, unresolvable): exit code 255. */
export class ConnectionError extends Error {}

export interface CallSettings {
  endpoint: string;
  region: string;
  credentials: Credentials;
  maxAttempts: number;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

// botocore's standard retry mode: these error codes are throttling, these statuses transient.
const THROTTLING = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottledException', 'TooManyRequestsException',
  'ProvisionedThroughputExceededException', 'TransactionInProgressException', 'RequestLimitExceeded',
  'BandwidthLimitExceeded', 'LimitExceededException', 'RequestThrottled', 'SlowDown', 'PriorRequestNotComplete',
  'EC2ThrottledException',
]);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

function send(url: URL, headers: Record<string, string>, body: string): Promise<RawResponse> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function signedHeaders(url: URL, operation: string, body: string, settings: CallSettings): Promise<Record<string, string>> {
  const signer = new SignatureV4({ service: 'kms', region: settings.region, credentials: settings.credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port !== '' ? { port: Number(url.port) } : {}),
    path: url.pathname === '' ? '/' : url.pathname,
    query: {},
    headers: {
      host: url.host,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `TrentService.${operation}`,
      'user-agent': `trent-cli/${version} node/${process.version}`,
    },
    body,
  });
  return { ...signed.headers, 'content-length': String(Buffer.byteLength(body)) };
}

function errorOf(response: RawResponse): { code: string; message: string } {
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(response.body) as Record<string, unknown>;
  } catch {
    // Not JSON: a proxy's page, say. The status is all there is.
  }
  const header = response.headers['x-amzn-errortype'];
  const type = String(parsed.__type ?? parsed.code ?? (typeof header === 'string' ? header.split(':')[0] : '') ?? '');
  // `com.amazonaws.kms#NotFoundException` and `NotFoundException` name the same error.
  const code = type.includes('#') ? type.slice(type.lastIndexOf('#') + 1) : type || String(response.status);
  const message = parsed.message ?? parsed.Message;
  return { code, message: typeof message === 'string' ? message : 'Unknown' };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `operation` with `input` (JSON 1.1 form) and gives its parsed output. */
export async function callKms(operation: string, input: Record<string, unknown>, settings: CallSettings): Promise<Record<string, unknown>> {
  let url: URL;
  try {
    url = new URL(settings.endpoint);
  } catch {
    throw new ConnectionError(`Invalid endpoint: ${settings.endpoint}`);
  }
  const body = JSON.stringify(input);
  for (let attempt = 1; ; attempt++) {
    let response: RawResponse;
    try {
      response = await send(url, await signedHeaders(url, operation, body, settings), body);
    } catch {
      if (attempt < settings.maxAttempts) {
        await sleep(Math.random() * Math.min(2 ** attempt, 20) * 1000);
        continue;
      }
      throw new ConnectionError(`Could not connect to the endpoint URL: "${url.origin}${url.pathname}"`);
    }
    if (response.status === 200) {
      if (response.body.trim() === '') return {};
      try {
        return JSON.parse(response.body) as Record<string, unknown>;
      } catch {
        throw new ConnectionError(`The endpoint ${url.origin} answered ${operation} with a body that is not JSON`);
      }
    }
    const { code, message } = errorOf(response);
    const retryable = THROTTLING.has(code) || TRANSIENT_STATUS.has(response.status);
    if (retryable && attempt < settings.maxAttempts) {
      await sleep(Math.random() * Math.min(2 ** attempt, 20) * 1000);
      continue;
    }
    throw new ServiceError(code, operation, message, retryable ? attempt - 1 : 0);
  }
}
