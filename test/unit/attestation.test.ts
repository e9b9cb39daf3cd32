/**
 * Attestation document verification (src/domain/attestation.ts), judged by documents Trent did
 * not make: the real AWS-signed Nitro Enclaves document (../shared/vectors/attestation/), and
 * documents of an independent Python signer (test/checkers/nitro_document.py); and by the
 * test kit's documents, each altered in one way to fail one check, every row asserting the exact
 * message. The shipped AWS root is checked against openssl's fingerprint of it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decode, encode, Tag } from 'cbor2';
import { issueCertificate, newP384KeyPair, readPrivateKey } from '../../src/crypto/certificate-authority.js';
import { parsePemCertificates } from '../../src/crypto/certificate-chain.js';
import { plainBytes } from '../../src/crypto/cose.js';
import { attestRecipient, verifyAttestationDocument } from '../../src/domain/attestation.js';
import { AWS_NITRO_ROOT_FINGERPRINT, AWS_NITRO_ROOT_PEM, awsNitroRoot } from '../../src/domain/attestation-roots.js';
import { ValidationException } from '../../src/errors.js';
import { AWS_DOCUMENT_TIME, awsDocument, newKit, pythonDocument, vectorsSkip, type Kit } from '../helpers/attestation.js';

const DAY = 86_400_000;
const refused = (check: string) => (err: unknown) => {
  assert.ok(err instanceof ValidationException, `not a ValidationException: ${String(err)}`);
  assert.equal(err.message, `The attestation document in Recipient is not valid: ${check}.`);
  return true;
};

describe('the AWS Nitro Enclaves root shipped with Trent', () => {
  it("has the fingerprint AWS publishes, as openssl computes it", () => {
    const openssl = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], { input: AWS_NITRO_ROOT_PEM }).toString('utf8');
    assert.equal(openssl.trim().replace(/^sha256 Fingerprint=/i, ''), AWS_NITRO_ROOT_FINGERPRINT);
    assert.equal(awsNitroRoot().subject.split('\n').at(-1), 'CN=aws.nitro-enclaves');
  });
});

describe('a real AWS-signed Nitro Enclaves document', { skip: vectorsSkip }, () => {
  it('verifies at its own timestamp against the AWS root, with its fields', () => {
    const verified = verifyAttestationDocument(awsDocument(), [awsNitroRoot()], AWS_DOCUMENT_TIME);
    assert.equal(verified.kind, 'nitro-enclave');
    assert.equal(verified.moduleId, 'i-0a22e5c5f24d22174-enc0191cceb4289903f');
    assert.equal(verified.timestamp, AWS_DOCUMENT_TIME);
    assert.equal(verified.pcrs.size, 16);
    for (const pcr of verified.pcrs.values()) assert.equal(pcr.length, 48);
  });
  it('is refused a day later (an intermediate has expired), and a day before (another is not yet valid)', () => {
    assert.throws(() => verifyAttestationDocument(awsDocument(), [awsNitroRoot()], AWS_DOCUMENT_TIME + DAY), refused('cabundle[3] has expired'));
    assert.throws(() => verifyAttestationDocument(awsDocument(), [awsNitroRoot()], AWS_DOCUMENT_TIME - DAY), refused('cabundle[2] is not yet valid'));
  });
  it('is refused when AWS is not a trusted root', async () => {
    const kit = await newKit();
    try {
      assert.throws(() => verifyAttestationDocument(awsDocument(), kit.roots, AWS_DOCUMENT_TIME), refused('its certificate chain does not lead to a trusted root'));
    } finally {
      kit.cleanup();
    }
  });
  it('cannot be a Recipient: its public_key is filler, not an RSA key', () => {
    const document = awsDocument();
    assert.throws(
      () => attestRecipient({ AttestationDocument: document }, [awsNitroRoot()], AWS_DOCUMENT_TIME),
      refused('its public_key is not an RSA SubjectPublicKeyInfo of 2048 to 4096 bits'),
    );
  });
  it('is refused with one bit of its signature flipped', () => {
    const document = awsDocument();
    document[document.length - 10]! ^= 0x01;
    assert.throws(() => verifyAttestationDocument(document, [awsNitroRoot()], AWS_DOCUMENT_TIME), refused('its signature does not verify with the certificate (ES384, P-384)'));
  });
});

describe('documents of an independent signer (Python cryptography)', () => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const now = Date.UTC(2026, 5, 1);
  const pcr0 = 'ab'.repeat(48);
  it('an enclave document verifies, with its PCRs and key', () => {
    const { document, roots } = pythonDocument({ publicKey: spki, timestamp: now, pcrs: { 0: pcr0, 4: 'cd'.repeat(48) } });
    const recipient = attestRecipient({ AttestationDocument: document }, roots, now + 60_000);
    assert.equal(recipient.attestation.kind, 'nitro-enclave');
    assert.equal(recipient.attestation.pcrs.get(0)?.toString('hex'), pcr0);
    assert.deepEqual(recipient.key.export({ type: 'spki', format: 'der' }), spki);
  });
  it('a NitroTPM document verifies as one', () => {
    const { document, roots } = pythonDocument({ publicKey: spki, timestamp: now, pcrs: { 4: pcr0, 7: pcr0, 23: pcr0 }, kind: 'tpm' });
    const verified = verifyAttestationDocument(document, roots, now);
    assert.equal(verified.kind, 'nitro-tpm');
    assert.deepEqual([...verified.pcrs.keys()], [4, 7, 23]);
  });
  it('its documents are refused under another root, and once the leaf has expired', async () => {
    const { document, roots } = pythonDocument({ publicKey: spki, timestamp: now, pcrs: { 0: pcr0 } });
    const kit = await newKit();
    try {
      assert.throws(() => verifyAttestationDocument(document, kit.roots, now), refused('its certificate chain does not lead to a trusted root'));
    } finally {
      kit.cleanup();
    }
    assert.throws(() => verifyAttestationDocument(document, roots, now + 4 * 3_600_000), refused('certificate has expired'));
  });
});

/** The parts of a COSE_Sign1, for rebuilding a document with one thing changed. */
function parts(document: Buffer): { protectedHeader: Uint8Array; payload: Map<string, unknown>; signature: Uint8Array } {
  const [protectedHeader, , payload, signature] = decode(document, { preferMap: true }) as [Uint8Array, unknown, Uint8Array, Uint8Array];
  return { protectedHeader, payload: decode(payload, { preferMap: true }) as Map<string, unknown>, signature };
}

function cose(protectedHeader: Uint8Array, payload: Uint8Array, signature: Uint8Array): Buffer {
  return Buffer.from(encode([plainBytes(protectedHeader), new Map(), plainBytes(payload), plainBytes(signature)]));
}

/** Deep copy with Buffers as plain Uint8Arrays, which cbor2 encodes as byte strings. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return plainBytes(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, plain(v)]));
  return value;
}

describe('test kit documents, each altered to fail one check', () => {
  let kit: Kit;
  const now = Date.UTC(2026, 5, 1, 12);
  before(async () => {
    kit = await newKit(now - DAY);
  });
  after(() => kit.cleanup());

  /** A document signed by a leaf of our own making under the kit's intermediate (or `issuer`). */
  async function forged(options: {
    payload?: (payload: Map<string, unknown>) => void;
    protectedHeader?: Uint8Array;
    leafCa?: boolean;
    intermediateCa?: boolean;
    /** Sign the leaf certificate with a key that is not the intermediate's (same issuer name). */
    foreignIssuerKey?: boolean;
  }): Promise<Buffer> {
    const base = parts(await kit.document({ now }));
    const rootKey = readPrivateKey(readFileSync(join(kit.dir, 'root.key')));
    const [rootCert] = parsePemCertificates(readFileSync(join(kit.dir, 'root.pem'), 'utf8'));
    let issuerKey = readPrivateKey(readFileSync(join(kit.dir, 'intermediate.key')));
    let bundle = base.payload.get('cabundle') as Uint8Array[];
    const issuerName = 'TEST ONLY attestation intermediate (Trent test kit)';
    if (options.intermediateCa === false) {
      const middle = newP384KeyPair();
      const middleDer = await issueCertificate({
        subject: issuerName,
        issuer: 'TEST ONLY attestation root (Trent test kit, not aws.nitro-enclaves)',
        publicKey: middle.publicKey,
        signingKey: rootKey,
        notBefore: new Date(now - DAY),
        notAfter: new Date(now + DAY),
        ca: false,
      });
      issuerKey = middle.privateKey;
      bundle = [rootCert!.raw, middleDer];
    }
    const leaf = newP384KeyPair();
    const leafDer = await issueCertificate({
      subject: 'forged leaf',
      issuer: issuerName,
      publicKey: leaf.publicKey,
      signingKey: options.foreignIssuerKey ? newP384KeyPair().privateKey : issuerKey,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 3_600_000),
      ca: options.leafCa ?? false,
    });
    const payload = base.payload;
    payload.set('certificate', leafDer);
    payload.set('cabundle', bundle);
    options.payload?.(payload);
    const payloadBytes = encode(plain(payload));
    const protectedHeader = options.protectedHeader ?? base.protectedHeader;
    const toSign = encode(['Signature1', plainBytes(protectedHeader), new Uint8Array(0), payloadBytes]);
    const signature = sign('sha384', toSign, { key: leaf.privateKey, dsaEncoding: 'ieee-p1363' });
    return cose(protectedHeader, payloadBytes, signature);
  }

  it('an unaltered document, untagged or tagged 18, verifies; a forged one of the same shape too', async () => {
    assert.equal(verifyAttestationDocument(await kit.document({ now }), kit.roots, now).kind, 'nitro-enclave');
    assert.equal(verifyAttestationDocument(await kit.document({ now, tagged: true }), kit.roots, now).kind, 'nitro-enclave');
    assert.equal(verifyAttestationDocument(await forged({}), kit.roots, now).kind, 'nitro-enclave');
    assert.equal(verifyAttestationDocument(await kit.document({ now, kind: 'nitro-tpm' }), kit.roots, now).kind, 'nitro-tpm');
  });

  const rows: { name: string; make: () => Promise<Buffer>; at?: number; check: string }[] = [
    { name: 'truncated', make: async () => (await kit.document({ now })).subarray(0, 500), check: 'the document is not well-formed CBOR' },
    { name: 'trailing bytes', make: async () => Buffer.concat([await kit.document({ now }), Buffer.from([0])]), check: 'the document is not well-formed CBOR' },
    { name: 'under CBOR tag 98 (COSE_Sign)', make: async () => Buffer.from(encode(new Tag(98, decode(await kit.document({ now }))))), check: 'it is not a COSE_Sign1 (wrong CBOR tag)' },
    { name: 'an array of three', make: async () => Buffer.from(encode((decode(await kit.document({ now })) as unknown[]).slice(0, 3).map(plain))), check: 'it is not a COSE_Sign1 array of four' },
    { name: 'algorithm ES256 in the protected header', make: () => forged({ protectedHeader: encode(new Map([[1, -7]])) }), check: 'the protected header does not name ES384' },
    {
      name: 'a PCR changed after signing',
      make: async () => {
        const base = parts(await kit.document({ now }));
        (base.payload.get('pcrs') as Map<number, Uint8Array>).set(0, new Uint8Array(48).fill(0xee));
        return cose(base.protectedHeader, encode(plain(base.payload)), base.signature);
      },
      check: 'its signature does not verify with the certificate (ES384, P-384)',
    },
    {
      // Found by the fuzz suite: X509Certificate parses such a certificate, but reading its key throws.
      name: 'a leaf whose P-384 point OpenSSL cannot decode',
      make: async () => {
        const base = parts(await kit.document({ now }));
        const leaf = Buffer.from(base.payload.get('certificate') as Uint8Array);
        const point = leaf.indexOf(Buffer.from('2b81040022036200' + '04', 'hex'));
        assert.ok(point > 0, 'the leaf has a P-384 SubjectPublicKeyInfo');
        leaf[point + 8] = 0x05; // no point encoding (04 uncompressed, 02/03 compressed, 06/07 hybrid)
        base.payload.set('certificate', leaf);
        return cose(base.protectedHeader, encode(plain(base.payload)), base.signature);
      },
      check: 'certificate is not an X.509 certificate',
    },
    { name: 'digest SHA256', make: () => forged({ payload: (p) => p.set('digest', 'SHA256') }), check: 'digest is missing or not SHA384' },
    { name: 'no module_id', make: () => forged({ payload: (p) => p.delete('module_id') }), check: 'module_id is missing or not text' },
    { name: 'a PCR of 32 bytes', make: () => forged({ payload: (p) => (p.get('pcrs') as Map<number, Uint8Array>).set(3, new Uint8Array(32)) }), check: 'pcrs[3] is not 48 bytes (SHA384)' },
    { name: 'PCR index 32', make: () => forged({ payload: (p) => (p.get('pcrs') as Map<number, Uint8Array>).set(32, new Uint8Array(48)) }), check: 'pcrs has an index outside 0..31' },
    {
      name: 'both pcrs and nitrotpm_pcrs',
      make: () => forged({ payload: (p) => p.set('nitrotpm_pcrs', new Map([[0, new Uint8Array(48)]])) }),
      check: 'it has neither pcrs nor nitrotpm_pcrs, or both',
    },
    { name: 'user_data over 1024 bytes', make: () => forged({ payload: (p) => p.set('user_data', new Uint8Array(1025)) }), check: 'user_data is not a byte string of at most 1024 bytes' },
    { name: 'a cabundle entry that is not a certificate', make: () => forged({ payload: (p) => p.set('cabundle', [...(p.get('cabundle') as Uint8Array[]), new Uint8Array([1, 2, 3])]) }), check: 'cabundle[2] is not an X.509 certificate' },
    { name: 'the leaf certificate expired', make: () => kit.document({ now }), at: now + 4 * 3_600_000, check: 'certificate has expired' },
    { name: 'the leaf not yet valid', make: () => kit.document({ now }), at: now - 3_600_000, check: 'certificate is not yet valid' },
    { name: 'an intermediate that is not a CA', make: () => forged({ intermediateCa: false }), check: 'cabundle[1] is not a CA certificate but issues one' },
    {
      // After the other rows verified this intermediate's links (checked links are remembered).
      name: 'a leaf certificate with the intermediate\'s name, signed by another key',
      make: () => forged({ foreignIssuerKey: true }),
      check: 'certificate is not signed by its issuer',
    },
    {
      name: 'the intermediate left out of the cabundle',
      make: () => forged({ payload: (p) => p.set('cabundle', (p.get('cabundle') as Uint8Array[]).slice(0, 1)) }),
      check: 'certificate is not issued by the certificate before it',
    },
  ];
  for (const row of rows) {
    it(`refused: ${row.name}`, async () => {
      const document = await row.make();
      assert.throws(() => verifyAttestationDocument(document, kit.roots, row.at ?? now), refused(row.check));
    });
  }

  const recipientRows: { name: string; publicKey: () => Buffer | null; check: string }[] = [
    { name: 'no public_key', publicKey: () => null, check: 'it has no public_key' },
    { name: 'an EC P-256 public_key', publicKey: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }), check: 'its public_key is not an RSA SubjectPublicKeyInfo of 2048 to 4096 bits' },
    { name: 'an RSA-1024 public_key', publicKey: () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' }), check: 'its public_key is not an RSA SubjectPublicKeyInfo of 2048 to 4096 bits' },
    { name: 'an RSA-2048 key as PKCS#1, not SPKI', publicKey: () => createPublicKey(kit.enclave.privateKey).export({ type: 'pkcs1', format: 'der' }), check: 'its public_key is not an RSA SubjectPublicKeyInfo of 2048 to 4096 bits' },
  ];
  for (const row of recipientRows) {
    it(`refused as a Recipient: ${row.name}`, async () => {
      const document = await kit.document({ now, publicKey: row.publicKey() });
      assert.ok(verifyAttestationDocument(document, kit.roots, now), 'the document itself is valid');
      assert.throws(() => attestRecipient({ AttestationDocument: document }, kit.roots, now), refused(row.check));
    });
  }
  it('accepted as a Recipient: RSA 2048 and 3072', async () => {
    for (const bits of [2048, 3072]) {
      const spki = generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ type: 'spki', format: 'der' });
      const recipient = attestRecipient({ AttestationDocument: await kit.document({ now, publicKey: spki }) }, kit.roots, now);
      assert.equal(recipient.key.asymmetricKeyDetails?.modulusLength, bits);
    }
  });
});
