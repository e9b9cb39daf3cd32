/**
 * CiphertextForRecipient (src/crypto/cms.ts): openssl decrypts what Trent seals, its ASN.1 shows
 * the versions and recipient identifier AWS's enclave SDK requires, and its structure is the one
 * of the real CiphertextForRecipient AWS KMS returned (../shared/vectors/attestation/), which
 * Trent's parser reads too.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { envelopeFor, OID, readEnvelopedData } from '../../src/crypto/cms.js';
import { awsCiphertextForRecipient, newEnclave, opensslAsn1, opensslCmsDecrypt, vectorsSkip } from '../helpers/attestation.js';

const dir = mkdtempSync(join(tmpdir(), 'trent-cms-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const enclave = newEnclave(dir);
const recipient = generateKeyPairSync('rsa', { modulusLength: 2048 });

describe('CMS EnvelopedData for a recipient', () => {
  it('openssl cms -decrypt recovers the secret, for lengths 0 to 1024', () => {
    for (const length of [0, 1, 15, 16, 17, 32, 86, 1024]) {
      const secret = randomBytes(length);
      assert.deepEqual(opensslCmsDecrypt(envelopeFor(createPublicKey(enclave.privateKey), secret), enclave.keyFile), secret, `length ${length}`);
    }
  });

  it('has EnvelopedData version 2, KeyTransRecipientInfo version 2 and a subjectKeyIdentifier rid (openssl asn1parse)', () => {
    const lines = opensslAsn1(envelopeFor(recipient.publicKey, Buffer.from('x')));
    const at = (depth: number, text: RegExp) => lines.filter((line) => line.includes(`d=${depth} `) && text.test(line));
    assert.match(lines[1]!, /OBJECT\s+:pkcs7-envelopedData/);
    assert.deepEqual(at(3, /INTEGER/).map((l) => l.split(':').at(-1)), ['02'], 'EnvelopedData version');
    assert.deepEqual(at(5, /INTEGER/).map((l) => l.split(':').at(-1)), ['02'], 'KeyTransRecipientInfo version');
    const rid = at(5, /prim: cont \[ 0 \]/);
    assert.equal(rid.length, 1, 'rid is [0] subjectKeyIdentifier');
    assert.match(rid[0]!, /l=\s*32 prim/);
    assert.ok(at(6, /OBJECT\s+:rsaesOaep/).length === 1);
    assert.equal(lines.filter((l) => /OBJECT\s+:sha256/.test(l)).length, 2, 'OAEP hash and MGF1 hash, explicit');
    assert.ok(lines.some((l) => /OBJECT\s+:mgf1/.test(l)));
    assert.ok(lines.some((l) => /OBJECT\s+:pkcs7-data/.test(l)));
    assert.ok(lines.some((l) => /OBJECT\s+:aes-256-cbc/.test(l)));
  });

  it('names the recipient by the SHA-256 of its SubjectPublicKeyInfo', () => {
    const facts = readEnvelopedData(envelopeFor(recipient.publicKey, Buffer.from('x')));
    const spki = recipient.publicKey.export({ type: 'spki', format: 'der' });
    assert.deepEqual(facts.recipients[0]?.subjectKeyIdentifier, createHash('sha256').update(spki).digest());
  });

  it('uses a fresh content key and IV each time', () => {
    const a = envelopeFor(recipient.publicKey, Buffer.alloc(32));
    const b = envelopeFor(recipient.publicKey, Buffer.alloc(32));
    assert.notDeepEqual(a.subarray(-64), b.subarray(-64));
  });
});

describe("the real CiphertextForRecipient of AWS KMS", { skip: vectorsSkip }, () => {
  const structure = (facts: ReturnType<typeof readEnvelopedData>) => ({
    contentType: facts.contentType,
    version: facts.version,
    recipients: facts.recipients.map(({ subjectKeyIdentifier, encryptedKeyLength: _length, ...rest }) => ({ ...rest, skiLength: subjectKeyIdentifier?.length })),
    encryptedContentType: facts.encryptedContentType,
    contentEncryptionAlgorithm: facts.contentEncryptionAlgorithm,
    ivLength: facts.ivLength,
    encryptedKeyLength: facts.recipients[0]?.encryptedKeyLength,
  });

  it("is read by Trent's parser, and has exactly the structure of Trent's (RSA-2048 recipient)", () => {
    const aws = readEnvelopedData(awsCiphertextForRecipient());
    assert.deepEqual(structure(aws), {
      contentType: OID.envelopedData,
      version: 2,
      recipients: [
        {
          version: 2,
          rid: 'subjectKeyIdentifier',
          keyEncryptionAlgorithm: OID.rsaesOaep,
          oaepHash: OID.sha256,
          oaepMaskGenerator: OID.mgf1,
          oaepMaskGeneratorHash: OID.sha256,
          skiLength: 32,
        },
      ],
      encryptedContentType: OID.data,
      contentEncryptionAlgorithm: OID.aes256Cbc,
      ivLength: 16,
      encryptedKeyLength: 256,
    });
    assert.equal(aws.encryptedContentLength, 48);
    assert.deepEqual(structure(readEnvelopedData(envelopeFor(recipient.publicKey, randomBytes(32)))), structure(aws));
  });

  it('is refused by the parser when truncated or followed by other bytes', () => {
    const aws = awsCiphertextForRecipient();
    assert.throws(() => readEnvelopedData(aws.subarray(0, aws.length - 10)));
    assert.throws(() => readEnvelopedData(Buffer.concat([aws, Buffer.from([0])])));
  });
});
