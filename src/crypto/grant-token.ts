/**
 * Grant tokens, format 1. CreateGrant answers with one; any request may carry it in GrantTokens
 * (or RetireGrant in GrantToken) to name its grant. A token cannot be forged: it carries an HMAC
 * under a key derived from the root key (root-key.ts, `derive`), so every server that shares the
 * root key accepts the tokens of every other, and no one without it can make one.
 *
 *   offset  size  field
 *   0       1     format, 0x01
 *   1       16    nonce (random: every CreateGrant answer is a new token, as AWS's are, and all
 *                 tokens of one grant are interchangeable)
 *   17      1+a   account of the grant's key: length a (one byte), then its UTF-8 bytes
 *   ..      1+r   region of the key: length, UTF-8
 *   ..      1+k   key id: length, UTF-8
 *   ..      32    grant id (its 64 hex digits as bytes)
 *   end-32  32    tag: HMAC-SHA256(K, every byte before it), K = derive(TOKEN_LABEL)
 *
 * The text form is base64url without padding; only the canonical encoding of a token is
 * accepted, so changing any character of it changes what is verified. A token says which grant
 * it names, nothing more: whether that grant still exists is the store's to say
 * (domain/grants.ts). Tokens carry nothing secret and are not encrypted.
 */
import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import { RandomPool } from './random-pool.js';
import type { RootKey } from './root-key.js';

export const GRANT_TOKEN_V1 = 0x01;
/** The label of the token key's derivation; a new format takes a new label. */
const TOKEN_LABEL = 'trent grant token v1';
const NONCE_LENGTH = 16;
const GRANT_ID_LENGTH = 32;
const TAG_LENGTH = 32;
const GRANT_ID = /^[0-9a-f]{64}$/;

/** What a token names: a grant and the key (in its account and region) it is a grant on. */
export interface GrantTokenClaims {
  account: string;
  region: string;
  keyId: string;
  grantId: string;
}

const nonces = new RandomPool();

function field(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length === 0 || bytes.length > 255) throw new Error('a grant token field must be 1..255 bytes');
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

export class GrantTokenSigner {
  private constructor(private readonly key: KeyObject) {}

  static fromRootKey(rootKey: RootKey): GrantTokenSigner {
    return new GrantTokenSigner(rootKey.derive(TOKEN_LABEL));
  }

  private tag(body: Buffer): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }

  /** A new token for the grant `claims` names. */
  issue(claims: GrantTokenClaims): string {
    if (!GRANT_ID.test(claims.grantId)) throw new Error('a grant id is 64 lowercase hex digits');
    const body = Buffer.concat([
      Buffer.from([GRANT_TOKEN_V1]),
      nonces.take(NONCE_LENGTH),
      field(claims.account),
      field(claims.region),
      field(claims.keyId),
      Buffer.from(claims.grantId, 'hex'),
    ]);
    return Buffer.concat([body, this.tag(body)]).toString('base64url');
  }

  /** What a token names, if this server (or one sharing its root key) issued it; else undefined. */
  verify(token: string): GrantTokenClaims | undefined {
    const bytes = Buffer.from(token, 'base64url');
    if (bytes.toString('base64url') !== token) return undefined; // not canonical base64url
    if (bytes.length < 1 + NONCE_LENGTH + 3 * 2 + GRANT_ID_LENGTH + TAG_LENGTH || bytes[0] !== GRANT_TOKEN_V1) return undefined;
    const body = bytes.subarray(0, bytes.length - TAG_LENGTH);
    if (!timingSafeEqual(this.tag(body), bytes.subarray(body.length))) return undefined;
    // Authentic, so made by `issue`: the fields are well formed.
    let offset = 1 + NONCE_LENGTH;
    const next = (): string => {
      const length = body[offset] ?? 0;
      const text = body.toString('utf8', offset + 1, offset + 1 + length);
      offset += 1 + length;
      return text;
    };
    const account = next();
    const region = next();
    const keyId = next();
    if (offset + GRANT_ID_LENGTH !== body.length) return undefined;
    return { account, region, keyId, grantId: body.toString('hex', offset) };
  }
}
