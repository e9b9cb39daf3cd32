/**
 * Grant tokens (src/crypto/grant-token.ts) against known answers made independently with
 * Python's standard library (test/vectors/grant-token.json, see its `source`): the key
 * derivation, the layout and the tag. Then what must not verify: any character of a token
 * changed, any byte of it changed, a token cut short or lengthened, a non-canonical encoding,
 * another format byte, another root key. And what must: a token of another server sharing the
 * root key, and every one of several tokens issued for one grant.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { GrantTokenSigner, type GrantTokenClaims } from '../../src/crypto/grant-token.js';
import { RootKey } from '../../src/crypto/root-key.js';

interface Vector {
  name: string;
  claims: GrantTokenClaims;
  nonce: string;
  token: string;
}

// Compiled tests run from dist/test/unit; the vectors stay in the source tree.
const vectorFile = new URL('../../../test/vectors/grant-token.json', import.meta.url);
const file = JSON.parse(readFileSync(vectorFile, 'utf8')) as { rootKey: string; derivedKey: string; vectors: Vector[] };
const rootKey = () => RootKey.fromBytes(Buffer.from(file.rootKey, 'hex'));
const signer = GrantTokenSigner.fromRootKey(rootKey());
const first = file.vectors[0] as Vector;

const CLAIMS: GrantTokenClaims = {
  account: '111122223333',
  region: 'eu-west-1',
  keyId: '6f1c0c2e-5b1e-4d8f-9c5a-2f0e3d4c5b6a',
  grantId: 'ab'.repeat(32),
};

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('grant tokens: known answers (Python, test/vectors/grant-token.json)', () => {
  it('derives the token key from the root key with HKDF-SHA256 and the label', () => {
    assert.equal(rootKey().derive('trent grant token v1').export().toString('hex'), file.derivedKey);
  });

  for (const vector of file.vectors) {
    it(`verifies ${vector.name}, naming its grant`, () => {
      assert.deepEqual(signer.verify(vector.token), vector.claims);
    });
  }

  it('issues tokens of the documented layout: only the nonce and the tag differ from the vector', () => {
    const issued = Buffer.from(signer.issue(first.claims), 'base64url');
    const known = Buffer.from(first.token, 'base64url');
    assert.equal(issued.length, known.length);
    assert.equal(issued[0], 0x01, 'format byte');
    assert.deepEqual(issued.subarray(17, -32), known.subarray(17, -32), 'account, region, key id and grant id');
    // The tag covers the nonce: recomputed by hand under the vector's derived key.
    const tag = createHmac('sha256', Buffer.from(file.derivedKey, 'hex')).update(issued.subarray(0, -32)).digest();
    assert.deepEqual(issued.subarray(-32), tag);
  });
});

describe('grant tokens: issued and verified', () => {
  it('round-trips what it names', () => {
    assert.deepEqual(signer.verify(signer.issue(CLAIMS)), CLAIMS);
  });

  it('issues a new token every time, and every one of them verifies (AWS: all tokens of a grant are interchangeable)', () => {
    const tokens = Array.from({ length: 5 }, () => signer.issue(CLAIMS));
    assert.equal(new Set(tokens).size, 5);
    for (const token of tokens) assert.deepEqual(signer.verify(token), CLAIMS);
  });

  it("verifies another server's token when it shares the root key", () => {
    const bytes = randomBytes(32);
    const token = GrantTokenSigner.fromRootKey(RootKey.fromBytes(Buffer.from(bytes))).issue(CLAIMS);
    assert.deepEqual(GrantTokenSigner.fromRootKey(RootKey.fromBytes(Buffer.from(bytes))).verify(token), CLAIMS);
  });

  it('refuses a token made under another root key', () => {
    const other = GrantTokenSigner.fromRootKey(RootKey.fromBytes(randomBytes(32)));
    assert.equal(signer.verify(other.issue(CLAIMS)), undefined);
  });

  it('refuses to issue a token for a grant id that is not 64 lowercase hex digits', () => {
    for (const grantId of ['AB'.repeat(32), 'ab'.repeat(31), 'xyz']) {
      assert.throws(() => signer.issue({ ...CLAIMS, grantId }));
    }
  });
});

describe('grant tokens: nothing else verifies', () => {
  const token = first.token;

  it('refuses the token with any one character changed', () => {
    for (let i = 0; i < token.length; i++) {
      const original = token[i] as string;
      const replacement = BASE64URL[(BASE64URL.indexOf(original) + 1 + (i % 63)) % 64] as string;
      const tampered = token.slice(0, i) + replacement + token.slice(i + 1);
      assert.equal(signer.verify(tampered), undefined, `character ${i}`);
    }
  });

  it('refuses the token with any one byte changed', () => {
    const bytes = Buffer.from(token, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const tampered = Buffer.from(bytes);
      tampered[i] = (tampered[i] as number) ^ 0x01;
      assert.equal(signer.verify(tampered.toString('base64url')), undefined, `byte ${i}`);
    }
  });

  it('refuses a token cut short, or with anything added', () => {
    const bytes = Buffer.from(token, 'base64url');
    for (let length = 0; length < bytes.length; length++) {
      assert.equal(signer.verify(bytes.subarray(0, length).toString('base64url')), undefined, `${length} bytes`);
    }
    assert.equal(signer.verify(Buffer.concat([bytes, Buffer.from([0])]).toString('base64url')), undefined);
    assert.equal(signer.verify(`${token}A`), undefined);
  });

  it('refuses encodings other than canonical base64url: padding, standard base64, whitespace', () => {
    const bytes = Buffer.from(token, 'base64url');
    for (const text of [`${token}=`, bytes.toString('base64'), ` ${token}`, `${token}\n`, token.replace(/-/g, '+')]) {
      if (text === token) continue;
      assert.equal(signer.verify(text), undefined, JSON.stringify(text.slice(-4)));
    }
  });

  it('refuses a format other than 1, even with a valid tag', () => {
    const bytes = Buffer.from(token, 'base64url');
    const body = Buffer.from(bytes.subarray(0, -32));
    body[0] = 0x02;
    const tag = createHmac('sha256', Buffer.from(file.derivedKey, 'hex')).update(body).digest();
    assert.equal(signer.verify(Buffer.concat([body, tag]).toString('base64url')), undefined);
  });

  it('refuses strings that are no token at all', () => {
    for (const text of ['', 'x', 'not a token', 'AQpAM2RhZTk1MGMyNTk2ZmZmMzEyYWVhOWViN2I1MWM4Mzc0MWFiYjc0ZDE1ODkyNGFlNTIzODZhMzgyZjBlNGY3NiKIAgEBAgB4Pa6VDCWW', '💥'.repeat(100)]) {
      assert.equal(signer.verify(text), undefined, text.slice(0, 20));
    }
  });
});

describe('root key derivation', () => {
  it('gives one independent key per label, the same from the same root key, never the root key itself', () => {
    const a = rootKey().derive('a').export();
    assert.deepEqual(rootKey().derive('a').export(), a);
    assert.notDeepEqual(rootKey().derive('b').export(), a);
    assert.notDeepEqual(a, Buffer.from(file.rootKey, 'hex'));
    assert.equal(a.length, 32);
  });
});
