/**
 * Random bytes as a Nitro Enclaves attestation document (Recipient.AttestationDocument), in
 * process, for every operation that takes a Recipient, and for one that does not
 * (GenerateDataKeyPairWithoutPlaintext). The model's bounds (1..262144 bytes, the enum of
 * KeyEncryptionAlgorithm) come first as a ValidationException; within them, random bytes are
 * never a valid attestation document, so they are refused with the attestation check's
 * ValidationException (domain/attestation.ts), never a 500 and never a secret.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
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
