/**
 * SHA-256, HMAC-SHA256 and constant-time comparison for SigV4 verification, so that only
 * src/crypto imports node:crypto (DESIGN).
 *
 * `Sha256` is the hash constructor @smithy/signature-v4 takes as its `sha256` option (smithy's
 * `ChecksumConstructor`): without a secret it hashes, with one it is an HMAC keyed by it.
 * `constantTimeEqual` compares a signature or session token sent by a client with the expected
 * one without leaking, through timing, how many leading characters matched.
 */
import * as crypto from 'node:crypto';
import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytesOf(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

export class Sha256 {
  private readonly key: string | Uint8Array | undefined;
  private state: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.key = secret === undefined ? undefined : bytesOf(secret);
    this.state = this.fresh();
  }

  update(chunk: SourceData): void {
    this.state.update(bytesOf(chunk));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.state.digest());
  }

  reset(): void {
    this.state = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.key === undefined ? createHash('sha256') : createHmac('sha256', this.key);
  }
}

/** crypto.hash (Node 20.12+) hashes in one call, without a Hash object; older Node 20 falls back. */
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array | string, encoding: 'hex') => string }).hash;

/** Lower-case hex SHA-256 of `data`: the payload hash of a SigV4 canonical request. */
export function sha256Hex(data: Uint8Array | string): string {
  return oneShot ? oneShot('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex');
}

/** Lower-case hex HMAC-SHA256 of `data` under `key`: a SigV4 signature. */
export function hmacSha256Hex(key: Uint8Array, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('hex');
}

/**
 * Whether two strings are equal, in time that does not depend on where they differ. Only their
 * lengths show: a signature's is public (64 hex digits), a session token's tells next to nothing.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
