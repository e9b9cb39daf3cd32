/**
 * SHA-256, HMAC-SHA256 and constant-time comparison for SigV4 verification, so that only
 * src/crypto imports node:crypto (DESIGN).
 *
 * `Sha256` is the hash constructor @smithy/signature-v4 takes as its `sha256` option (smithy's
 * `ChecksumConstructor`): without a secret it hashes, with one it is an HMAC keyed by it.
 * `constantTimeEqual` compares a signature or session token sent by a client with the expected
 * one without leaking, through timing, how many leading characters matched (or the lengths).
 */
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

/** Lower-case hex SHA-256 of `data`: the payload hash of a SigV4 canonical request. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Whether two strings are equal, in time that depends on neither their contents nor their
 * lengths: both are hashed first, so timingSafeEqual always compares 32 bytes.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}
