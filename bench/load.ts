/**
 * The load generator every benchmark shares, so that ratios compare like with like: a fixed
 * number of concurrent keep-alive connections, each sending its next request as soon as the
 * previous answer arrives, for a fixed time or count. Requests are SigV4-signed once per
 * template (signing is the client's cost, not the server's) and replayed, with the bench's own
 * credentials (any key works in development mode) or those configured on an authenticated server.
 * A replayed request stays valid for the 5 minutes AWS KMS (and Trent) allow a signature.
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { Agent, request } from 'node:http';

export interface PreparedRequest {
  headers: Record<string, string>;
  body: string;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What the benchmarks sign with unless told otherwise (a development-mode server takes any key). */
export const BENCH_CREDENTIALS: Credentials = { accessKeyId: 'AKIABENCHMARK0000001', secretAccessKey: 'benchmark-secret' };

const signers = new Map<string, SignatureV4>();
function signerFor(credentials: Credentials): SignatureV4 {
  let signer = signers.get(credentials.accessKeyId);
  if (!signer) {
    signer = new SignatureV4({ service: 'kms', region: 'us-east-1', credentials, sha256: Hash.bind(null, 'sha256') });
    signers.set(credentials.accessKeyId, signer);
  }
  return signer;
}

/** A signed AWS JSON 1.1 request for `operation`, ready to be sent many times. */
export async function prepare(url: string, operation: string, input: object, credentials: Credentials = BENCH_CREDENTIALS): Promise<PreparedRequest> {
  const { hostname, port } = new URL(url);
  const body = JSON.stringify(input);
  const signed = await signerFor(credentials).sign({
    method: 'POST',
    protocol: 'http:',
    hostname,
    port: Number(port),
    path: '/',
    headers: {
      host: `${hostname}:${port}`,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `TrentService.${operation}`,
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
  });
  return { headers: signed.headers as Record<string, string>, body };
}

/** One signed request for set-up (creating keys, ...); throws on any error answer. */
export async function call(url: string, operation: string, input: object, credentials: Credentials = BENCH_CREDENTIALS): Promise<Record<string, unknown>> {
  const prepared = await prepare(url, operation, input, credentials);
  const res = await fetch(url, { method: 'POST', headers: prepared.headers, body: prepared.body });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${operation}: ${JSON.stringify(body)}`);
  return body;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  /** Milliseconds, sorted. */
  latencies: number[];
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function send(agent: Agent, url: URL, prepared: PreparedRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, hostname: url.hostname, port: url.port, method: 'POST', path: '/', headers: prepared.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(prepared.body);
  });
}

/**
 * Runs `concurrency` loops against `url` until `durationMs` passes or `maxRequests` were sent.
 * `next(i)` picks the request to send.
 */
export async function runLoad(options: {
  url: string;
  next: (i: number) => PreparedRequest;
  concurrency: number;
  durationMs?: number;
  maxRequests?: number;
}): Promise<LoadResult> {
  const url = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  const deadline = started + (options.durationMs ?? Number.POSITIVE_INFINITY);
  const max = options.maxRequests ?? Number.POSITIVE_INFINITY;
  let firstError: string | undefined;
  const loop = async () => {
    while (issued < max && performance.now() < deadline) {
      const prepared = options.next(issued++);
      const t0 = performance.now();
      try {
        const res = await send(agent, url, prepared);
        if (res.status !== 200) {
          errors++;
          firstError ??= `${res.status} ${res.body.slice(0, 200)}`;
        }
      } catch (err) {
        errors++;
        firstError ??= String(err);
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  if (firstError !== undefined) process.stderr.write(`  (first error: ${firstError})\n`);
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, errors, seconds, perSecond: latencies.length / seconds, latencies };
}
