/**
 * Hostile attestation documents (Recipient.AttestationDocument), in process.
 *
 * Random bytes, for every operation that takes a Recipient, and for one that does not
 * (GenerateDataKeyPairWithoutPlaintext). The model's bounds (1..262144 bytes, the enum of
 * KeyEncryptionAlgorithm) come first as a ValidationException; within them, random bytes are
 * never a valid attestation document, so they are refused with the attestation check's
 * ValidationException (domain/attestation.ts), never a 500 and never a secret.
 *
 * Then documents that get past the signature: a valid test-kit document cut, flipped or spliced
 * byte-wise, and payloads and protected headers rebuilt with fields deleted or replaced by
 * arbitrary CBOR (maps, arrays, tags, big integers, floats, long strings) and signed again by a
 * leaf the kit's intermediate issued, so every field check is reached. Each answer is either a
 * CiphertextForRecipient (never a plaintext) or the attestation ValidationException; never a
 * 500, never another error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { decode, encode, Tag } from 'cbor2';
import fc from 'fast-check';
import { issueCertificate, newP384KeyPair, readPrivateKey } from '../../src/crypto/certificate-authority.js';
import { readEnvelopedData } from '../../src/crypto/cms.js';
import { plainBytes, signEs384 } from '../../src/crypto/cose.js';
import { newKit } from '../helpers/attestation.js';
import { b64, createTestApp } from '../helpers/in-process.js';
import { createFuzzApp } from './fixtures.js';
import { bytesOfLength } from './model-arbitraries.js';
import { awsError } from './oracle.js';
import { count, runs } from './settings.js';

const MAX_DOCUMENT = 262_144;

const fx = await createFuzzApp();
const encrypted = await fx.test.call('Encrypt', { KeyId: fx.keyId, Plaintext: 'c2VjcmV0' });
assert.equal(encrypted.status, 200);

const requests: Record<string, Record<string, unknown>> = {
  GenerateDataKeyPair: { KeyId: fx.keyId, KeyPairSpec: 'ECC_NIST_P256' },
  GenerateDataKey: { KeyId: fx.keyId, KeySpec: 'AES_256' },
  Decrypt: { CiphertextBlob: encrypted.body.CiphertextBlob },
  GenerateRandom: { NumberOfBytes: 32 },
  GenerateDataKeyPairWithoutPlaintext: { KeyId: fx.keyId, KeyPairSpec: 'ECC_NIST_P256' },
};

describe('fuzz: random attestation documents', () => {
  it('are refused with a 4xx: the model bounds, or the attestation document check', async () => {
    const length = fc.oneof(
      fc.integer({ min: 0, max: 64 }),
      fc.integer({ min: 65, max: 4096 }),
      fc.constantFrom(MAX_DOCUMENT - 1, MAX_DOCUMENT, MAX_DOCUMENT + 1),
      fc.integer({ min: MAX_DOCUMENT - 8, max: MAX_DOCUMENT + 8 }),
      fc.integer({ min: 4097, max: 300_000 }),
    );
    const documents = fc.oneof(
      length.chain(bytesOfLength),
      // CBOR-looking starts: a COSE_Sign1 tag, an array of four, a map.
      fc.tuple(fc.constantFrom([0xd2, 0x84], [0x84], [0xa1], [0xd8, 0x12, 0x84]), fc.uint8Array({ maxLength: 256 })).map(([head, tail]) => Buffer.concat([Buffer.from(head), tail])),
    );
    const algorithm = fc.constantFrom(undefined, 'RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'rsaes_oaep_sha_256', '');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(requests)), documents, algorithm, async (operation, document, keyEncryption) => {
        count('attestation');
        const recipient = { KeyEncryptionAlgorithm: keyEncryption, AttestationDocument: document.toString('base64') };
        const body = JSON.stringify({ ...requests[operation], Recipient: recipient });
        const what = `${operation} Recipient {KeyEncryptionAlgorithm: ${String(keyEncryption)}, AttestationDocument: ${document.length} bytes ${document.subarray(0, 16).toString('hex')}...}`;
        const response = await fx.post(operation, body);
        if (operation === 'GenerateDataKeyPairWithoutPlaintext') {
          awsError(response, what, 'SerializationException', "Unrecognized member 'Recipient' in the request.");
        } else if (document.length === 0 || document.length > MAX_DOCUMENT || (keyEncryption !== undefined && keyEncryption !== 'RSAES_OAEP_SHA_256')) {
          awsError(response, what, 'ValidationException', /at 'recipient\.(attestationDocument|keyEncryptionAlgorithm)' failed to satisfy constraint/);
        } else {
          awsError(response, what, 'ValidationException', /^The attestation document in Recipient is not valid: /);
        }
      }),
      { numRuns: runs(300) },
    );
  });
});

/* ------------------------------------------------------------------------------------------- */

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1); // the test app's ManualClock
const kit = await newKit(START - DAY);
after(() => kit.cleanup());
const attested = createTestApp({ attestationRoots: kit.roots });
const attestedKey = (await attested.createKey()).keyId;
const valid = await kit.document({ now: START });

// A leaf of our own under the kit's intermediate, to sign rebuilt payloads.
const leaf = newP384KeyPair();
const leafDer = await issueCertificate({
  subject: 'fuzz leaf',
  issuer: 'TEST ONLY attestation intermediate (Trent test kit)',
  publicKey: leaf.publicKey,
  signingKey: readPrivateKey(readFileSync(join(kit.dir, 'intermediate.key'))),
  notBefore: new Date(START - DAY),
  notAfter: new Date(START + DAY),
  ca: false,
});
const [, , validPayload] = decode(valid) as [Uint8Array, unknown, Uint8Array, Uint8Array];
const basePayload = decode(validPayload, { preferMap: true }) as Map<string, unknown>;
basePayload.set('certificate', leafDer);

function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return plainBytes(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, plain(v)]));
  return value;
}

/** Arbitrary CBOR values: what a hostile document may put anywhere. */
const { cborValue } = fc.letrec<{ cborValue: unknown }>((tie) => ({
  cborValue: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer(),
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.string({ maxLength: 64 }),
    fc.uint8Array({ maxLength: 1100 }),
    fc.constantFrom(48, 32, 0, 1024, 1025).map((n) => new Uint8Array(n)),
    fc.constantFrom('SHA384', 'SHA256', ''),
    fc.array(tie('cborValue'), { maxLength: 4 }),
    fc.array(fc.tuple(fc.oneof(fc.integer({ min: -2, max: 40 }), fc.string({ maxLength: 8 })), tie('cborValue')), { maxLength: 4 }).map((entries) => new Map(entries)),
    fc.tuple(fc.integer({ min: 0, max: 300 }), tie('cborValue')).map(([tag, v]) => new Tag(tag, v)),
  ),
}));

const FIELDS = ['module_id', 'digest', 'timestamp', 'pcrs', 'nitrotpm_pcrs', 'certificate', 'cabundle', 'public_key', 'user_data', 'nonce', 'other'];
const payloadEdit = fc.oneof(
  fc.record({ field: fc.constantFrom(...FIELDS), value: cborValue }),
  fc.record({ field: fc.constantFrom(...FIELDS), value: fc.constant('delete') }),
  fc.record({ field: fc.constant('pcrs'), value: fc.tuple(fc.integer({ min: -1, max: 40 }), cborValue) }),
);

function signed(payload: Map<string, unknown>, protectedHeader?: unknown): Buffer {
  if (protectedHeader === undefined) return signEs384(leaf.privateKey, encode(plain(payload)));
  // A protected header of our choosing, signed as COSE signs it (the check must still refuse it).
  const header = encode(plain(protectedHeader));
  const document = decode(signEs384(leaf.privateKey, encode(plain(payload)))) as unknown[];
  return Buffer.from(encode([plainBytes(header), new Map(), plainBytes(document[2] as Uint8Array), plainBytes(document[3] as Uint8Array)]));
}

const documents = fc.oneof(
  // Byte-wise: cut, bit flip, splice of random bytes.
  fc.integer({ min: 0, max: valid.length - 1 }).map((n) => valid.subarray(0, n)),
  fc.tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 7 })).map(([i, bit]) => {
    const copy = Buffer.from(valid);
    copy[i]! ^= 1 << bit;
    return copy;
  }),
  fc.tuple(fc.integer({ min: 0, max: valid.length }), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([i, bytes]) =>
    Buffer.concat([valid.subarray(0, i), bytes, valid.subarray(i)]),
  ),
  // Structure-wise, signed again: payload fields edited, or the protected header replaced.
  fc.array(payloadEdit, { minLength: 1, maxLength: 3 }).map((edits) => {
    const payload = new Map(basePayload);
    for (const { field, value } of edits) {
      if (value === 'delete') payload.delete(field);
      else if (Array.isArray(value) && field === 'pcrs' && value.length === 2 && typeof value[0] === 'number') {
        const pcrs = new Map(payload.get('pcrs') instanceof Map ? (payload.get('pcrs') as Map<unknown, unknown>) : []);
        pcrs.set(value[0], value[1]);
        payload.set('pcrs', pcrs);
      } else payload.set(field, value);
    }
    return signed(payload);
  }),
  cborValue.map((header) => signed(new Map(basePayload), header)),
  // Not a map at all as the payload.
  cborValue.map((payload) => signEs384(leaf.privateKey, encode(plain(payload)))),
);

describe('fuzz: attestation documents that get past the signature', () => {
  it('are answered with a CiphertextForRecipient or the attestation ValidationException, nothing else', async () => {
    // The unaltered rebuilt payload is accepted: the edits, not the harness, cause refusals.
    const baseline = await attested.call('GenerateRandom', { NumberOfBytes: 8, Recipient: { AttestationDocument: b64(signed(new Map(basePayload))) } });
    assert.equal(baseline.status, 200, JSON.stringify(baseline.body));
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(documents, fc.constantFrom('GenerateRandom', 'GenerateDataKey'), async (document, operation) => {
        count('attestation-structured');
        const request = operation === 'GenerateRandom' ? { NumberOfBytes: 16 } : { KeyId: attestedKey, KeySpec: 'AES_256' };
        const response = await attested.app.handle({
          method: 'POST',
          path: '/',
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${operation}` },
          body: Buffer.from(JSON.stringify({ ...request, Recipient: { AttestationDocument: b64(document) } })),
        });
        const what = `${operation} with a ${document.length}-byte document ${document.subarray(0, 24).toString('hex')}...`;
        if (response.status === 200) {
          const body = JSON.parse(response.body) as Record<string, unknown>;
          assert.equal(body.Plaintext, undefined, `a plaintext was released: ${what}`);
          assert.equal(readEnvelopedData(Buffer.from(body.CiphertextForRecipient as string, 'base64')).version, 2, what);
          accepted++;
        } else {
          awsError(response, what, 'ValidationException', /^(The attestation document in Recipient is not valid: |1 validation error detected: )/);
        }
      }),
      { numRuns: runs(400) },
    );
    assert.ok(accepted < runs(400), 'nearly every altered document must be refused');
  });
});
