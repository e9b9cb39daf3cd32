/**
 * Recipient on every operation that takes one, in-process, with documents of the test kit for an
 * enclave RSA key: `openssl cms -decrypt` with the enclave's key recovers exactly the secret
 * (the PKCS#8 private key of every data key pair spec, the data key, the plaintext, the random
 * bytes, the shared secret), the plaintext member is absent, the rest of the response is as
 * without a Recipient (KeyMaterialId omitted by Decrypt and GenerateDataKey), and the
 * PrivateKeyCiphertextBlob still decrypts normally to the PKCS#8 the CMS carried. Then every bad
 * document refused with nothing released, and the kms:RecipientAttestation:* policy conditions.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createTestApp, b64, type TestApp } from '../helpers/in-process.js';
import { decode, encode } from 'cbor2';
import { plainBytes } from '../../src/crypto/cose.js';
import { newKit, opensslAsn1, pythonDocument, type Kit } from '../helpers/attestation.js';

const DAY = 86_400_000;
const SPECS = [
  'RSA_2048', 'RSA_3072', 'RSA_4096', 'ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1', 'SM2',
  'ECC_NIST_EDWARDS25519', 'ML_KEM_512', 'ML_KEM_768', 'ML_KEM_1024',
] as const;

let kit: Kit;
let t: TestApp;
let keyId: string;
const recipient = async (options: Parameters<Kit['document']>[0] = {}) => ({
  KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
  AttestationDocument: b64(await kit.document({ now: t.clock.now(), ...options })),
});
const bytes = (value: unknown) => Buffer.from(value as string, 'base64');

before(async () => {
  // The test app's clock starts at 2026-01-01 (ManualClock); the kit's root is a day older.
  kit = await newKit(Date.UTC(2026, 0, 1) - DAY);
  t = createTestApp({ allowSm2Everywhere: true, attestationRoots: kit.roots });
  keyId = (await t.createKey()).keyId;
});
after(() => kit.cleanup());

describe('Recipient: the secret reaches only the enclave, as CMS', () => {
  for (const spec of SPECS) {
    it(`GenerateDataKeyPair ${spec}: CiphertextForRecipient holds the PKCS#8 that PrivateKeyCiphertextBlob decrypts to`, async () => {
      const context = { app: 'enclave' };
      const out = await t.ok('GenerateDataKeyPair', { KeyId: keyId, KeyPairSpec: spec, EncryptionContext: context, Recipient: await recipient() });
      assert.deepEqual(Object.keys(out).sort(), ['CiphertextForRecipient', 'KeyId', 'KeyMaterialId', 'KeyPairSpec', 'PrivateKeyCiphertextBlob', 'PublicKey']);
      assert.match(out.KeyMaterialId as string, /^[0-9a-f]{64}$/);
      const pkcs8 = kit.decrypt(bytes(out.CiphertextForRecipient));
      const decrypted = await t.ok('Decrypt', { CiphertextBlob: out.PrivateKeyCiphertextBlob, EncryptionContext: context });
      assert.deepEqual(pkcs8, bytes(decrypted.Plaintext));
      if (spec.startsWith('ML_KEM')) assert.equal(pkcs8.length, 86);
      else {
        const publicKey = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({ type: 'spki', format: 'der' });
        assert.deepEqual(publicKey, bytes(out.PublicKey));
      }
    });
  }

  it('the CMS of a response shows EnvelopedData and KeyTransRecipientInfo version 2 and a 32-byte subjectKeyIdentifier', async () => {
    const out = await t.ok('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', Recipient: await recipient() });
    const lines = opensslAsn1(bytes(out.CiphertextForRecipient));
    assert.deepEqual(lines.filter((l) => /d=[35] .*INTEGER/.test(l)).map((l) => l.split(':').at(-1)), ['02', '02']);
    assert.ok(lines.some((l) => /d=5 .*l=\s*32 prim: cont \[ 0 \]/.test(l)));
  });

  it('GenerateDataKey: the data key, whose CiphertextBlob decrypts to it; no Plaintext, no KeyMaterialId', async () => {
    const out = await t.ok('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', Recipient: await recipient() });
    assert.deepEqual(Object.keys(out).sort(), ['CiphertextBlob', 'CiphertextForRecipient', 'KeyId']);
    const dataKey = kit.decrypt(bytes(out.CiphertextForRecipient));
    assert.equal(dataKey.length, 32);
    assert.deepEqual(bytes((await t.ok('Decrypt', { CiphertextBlob: out.CiphertextBlob })).Plaintext), dataKey);
    const sized = await t.ok('GenerateDataKey', { KeyId: keyId, NumberOfBytes: 7, Recipient: await recipient() });
    assert.equal(kit.decrypt(bytes(sized.CiphertextForRecipient)).length, 7);
  });

  it('Decrypt: the plaintext; KeyId and EncryptionAlgorithm as without Recipient, no KeyMaterialId', async () => {
    const secret = Buffer.from('the enclave alone reads this');
    const encrypted = await t.ok('Encrypt', { KeyId: keyId, Plaintext: b64(secret) });
    const out = await t.ok('Decrypt', { CiphertextBlob: encrypted.CiphertextBlob, Recipient: await recipient() });
    assert.deepEqual(Object.keys(out).sort(), ['CiphertextForRecipient', 'EncryptionAlgorithm', 'KeyId']);
    assert.equal(out.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
    assert.deepEqual(kit.decrypt(bytes(out.CiphertextForRecipient)), secret);
  });

  it('GenerateRandom: the random bytes, and only as CMS', async () => {
    const out = await t.ok('GenerateRandom', { NumberOfBytes: 64, Recipient: await recipient() });
    assert.deepEqual(Object.keys(out), ['CiphertextForRecipient']);
    assert.equal(kit.decrypt(bytes(out.CiphertextForRecipient)).length, 64);
  });

  it('DeriveSharedSecret: the shared secret, equal to the one derived without Recipient', async () => {
    const agreement = await t.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' });
    const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
    const request = { KeyId: agreement.keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: b64(peer) };
    const plain = await t.ok('DeriveSharedSecret', request);
    const out = await t.ok('DeriveSharedSecret', { ...request, Recipient: await recipient() });
    assert.deepEqual(Object.keys(out).sort(), ['CiphertextForRecipient', 'KeyAgreementAlgorithm', 'KeyId', 'KeyOrigin']);
    assert.deepEqual(kit.decrypt(bytes(out.CiphertextForRecipient)), bytes(plain.SharedSecret));
  });

  it('a document of the independent Python signer (its own root) releases the data key to its key', async () => {
    const now = Date.UTC(2026, 0, 1);
    const signed = pythonDocument({ publicKey: kit.enclave.spki, timestamp: now, pcrs: { 0: '00'.repeat(48) } });
    const other = createTestApp({ attestationRoots: signed.roots });
    const key = await other.createKey();
    const out = await other.ok('GenerateDataKey', { KeyId: key.keyId, KeySpec: 'AES_128', Recipient: { AttestationDocument: b64(signed.document) } });
    const dataKey = kit.decrypt(bytes(out.CiphertextForRecipient));
    assert.deepEqual(bytes((await other.ok('Decrypt', { CiphertextBlob: out.CiphertextBlob })).Plaintext), dataKey);
    assert.equal(dataKey.length, 16);
  });

  it('a tagged document and an absent KeyEncryptionAlgorithm are accepted too', async () => {
    const document = await kit.document({ now: t.clock.now(), tagged: true });
    const out = await t.ok('GenerateRandom', { NumberOfBytes: 8, Recipient: { AttestationDocument: b64(document) } });
    assert.equal(kit.decrypt(bytes(out.CiphertextForRecipient)).length, 8);
  });
});

describe('Recipient: a bad document is refused and nothing is released', () => {
  const invalid = (check: string) => ({ status: 400, __type: 'ValidationException', message: `The attestation document in Recipient is not valid: ${check}.` });
  const rows: { name: string; recipient: () => Promise<Record<string, unknown>>; check: string }[] = [
    {
      name: 'a bad signature',
      recipient: async () => {
        const document = await kit.document({ now: t.clock.now() });
        document[document.length - 1]! ^= 0x80;
        return { AttestationDocument: b64(document) };
      },
      check: 'its signature does not verify with the certificate (ES384, P-384)',
    },
    {
      name: 'a leaf not chaining to a trusted root',
      recipient: async () => {
        const other = await newKit(t.clock.now() - DAY);
        try {
          return { AttestationDocument: b64(await other.document({ now: t.clock.now() })) };
        } finally {
          other.cleanup();
        }
      },
      check: 'its certificate chain does not lead to a trusted root',
    },
    { name: 'an expired certificate', recipient: async () => ({ AttestationDocument: b64(await kit.document({ now: t.clock.now() - 4 * 3_600_000 })) }), check: 'certificate has expired' },
    {
      name: 'a non-RSA public key',
      recipient: () => recipient({ publicKey: generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' }) }),
      check: 'its public_key is not an RSA SubjectPublicKeyInfo of 2048 to 4096 bits',
    },
    {
      name: 'a too-small RSA key',
      recipient: () => recipient({ publicKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' }) }),
      check: 'its public_key is not an RSA SubjectPublicKeyInfo of 2048 to 4096 bits',
    },
    {
      name: 'a wrong algorithm (ES256 in the protected header)',
      recipient: async () => {
        const [, unprotected, payload, signature] = decode(await kit.document({ now: t.clock.now() })) as Uint8Array[];
        const es256 = encode(new Map([[1, -7]]));
        return { AttestationDocument: b64(encode([es256, unprotected, plainBytes(payload!), plainBytes(signature!)])) };
      },
      check: 'the protected header does not name ES384',
    },
    {
      name: 'a truncated document',
      recipient: async () => ({ AttestationDocument: b64((await kit.document({ now: t.clock.now() })).subarray(0, 1000)) }),
      check: 'the document is not well-formed CBOR',
    },
  ];
  const requests: [string, () => Promise<Record<string, unknown>>][] = [
    ['GenerateDataKeyPair', async () => ({ KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256' })],
    ['GenerateDataKey', async () => ({ KeyId: keyId, KeySpec: 'AES_256' })],
    ['Decrypt', async () => ({ CiphertextBlob: (await t.ok('Encrypt', { KeyId: keyId, Plaintext: b64('secret') })).CiphertextBlob })],
    ['GenerateRandom', async () => ({ NumberOfBytes: 16 })],
  ];
  for (const row of rows) {
    it(`${row.name}: ValidationException naming the check, on every operation, DryRun or not`, async () => {
      const recipientMember = await row.recipient();
      for (const [operation, request] of requests) {
        for (const dryRun of operation === 'GenerateRandom' ? [undefined] : [undefined, true]) {
          const body = { ...(await request()), Recipient: recipientMember, ...(dryRun && { DryRun: true }) };
          assert.deepEqual(await t.error(operation, body), invalid(row.check), `${operation} DryRun=${String(dryRun)}`);
        }
      }
    });
  }
  it('a valid document with DryRun: DryRunOperationException, nothing generated', async () => {
    const dryRun = { status: 400, __type: 'DryRunOperationException', message: 'The request would have succeeded, but the DryRun option is set.' };
    for (const [operation, request] of requests.filter(([name]) => name !== 'GenerateRandom')) {
      assert.deepEqual(await t.error(operation, { ...(await request()), Recipient: await recipient(), DryRun: true }), dryRun, operation);
    }
  });
  it('a missing AttestationDocument is a missing member', async () => {
    assert.deepEqual(await t.error('GenerateRandom', { NumberOfBytes: 16, Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256' } }), {
      status: 400,
      __type: 'ValidationException',
      message: "1 validation error detected: Value null at 'recipient.attestationDocument' failed to satisfy constraint: Member must not be null",
    });
  });
  it('GenerateDataKeyPairWithoutPlaintext has no Recipient in the model', async () => {
    assert.deepEqual(await t.error('GenerateDataKeyPairWithoutPlaintext', { KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256', Recipient: await recipient() }), {
      status: 400,
      __type: 'SerializationException',
      message: "Unrecognized member 'Recipient' in the request.",
    });
  });
});

describe('Recipient: kms:RecipientAttestation condition keys in key policies', () => {
  const IMAGE = 'ab'.repeat(48);
  const PCR4 = '4c'.repeat(48);
  const policy = (conditions: Record<string, unknown>[]) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'admin', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: ['kms:DescribeKey', 'kms:Encrypt', 'kms:PutKeyPolicy', 'kms:GetKeyPolicy'], Resource: '*' },
        ...conditions.map((condition, i) => ({
          Sid: `enclave${i}`,
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::111122223333:root' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyPair'],
          Resource: '*',
          Condition: condition,
        })),
      ],
    });
  const denied = (action: string, arn: string) => ({
    status: 400,
    __type: 'AccessDeniedException',
    message: `User: arn:aws:iam::111122223333:root is not authorized to perform: ${action} on resource: ${arn} because no resource-based policy allows the ${action} action`,
  });

  it('ImageSha384 (PCR0): only the named enclave image gets the data key; no Recipient, no key', async () => {
    const key = await t.createKey({ Policy: policy([{ StringEqualsIgnoreCase: { 'kms:RecipientAttestation:ImageSha384': IMAGE.toUpperCase() } }]) });
    const request = { KeyId: key.keyId, KeySpec: 'AES_256' };
    const good = await t.ok('GenerateDataKey', { ...request, Recipient: await recipient({ pcrs: new Map([[0, Buffer.from(IMAGE, 'hex')]]) }) });
    assert.equal(kit.decrypt(bytes(good.CiphertextForRecipient)).length, 32);
    const expected = denied('kms:GenerateDataKey', key.arn);
    assert.deepEqual(await t.error('GenerateDataKey', { ...request, Recipient: await recipient({ pcrs: new Map([[0, Buffer.alloc(48, 1)]]) }) }), expected);
    assert.deepEqual(await t.error('GenerateDataKey', request), expected);
  });

  it('PCR<n>: a PCR condition mismatch is refused without releasing anything', async () => {
    const key = await t.createKey({ Policy: policy([{ StringEquals: { 'kms:RecipientAttestation:PCR4': PCR4 } }]) });
    const pcrs = (value: string) => new Map([[4, Buffer.from(value, 'hex')]]);
    const ok = await t.ok('GenerateDataKeyPair', { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256', Recipient: await recipient({ pcrs: pcrs(PCR4) }) });
    assert.ok(kit.decrypt(bytes(ok.CiphertextForRecipient)).length > 0);
    assert.deepEqual(
      await t.error('GenerateDataKeyPair', { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256', Recipient: await recipient({ pcrs: pcrs('4d'.repeat(48)) }) }),
      denied('kms:GenerateDataKeyPair', key.arn),
    );
    const encrypted = await t.ok('Encrypt', { KeyId: key.keyId, Plaintext: b64('x') });
    assert.deepEqual(await t.error('Decrypt', { CiphertextBlob: encrypted.CiphertextBlob, Recipient: await recipient({ kind: 'nitro-tpm', pcrs: pcrs(PCR4) }) }), denied('kms:Decrypt', key.arn));
  });

  it('NitroTPMPCR<n>: a NitroTPM document is judged by its own condition keys, not the enclave ones', async () => {
    const key = await t.createKey({ Policy: policy([{ StringEquals: { 'kms:RecipientAttestation:NitroTPMPCR7': PCR4 } }]) });
    const pcrs = new Map([[7, Buffer.from(PCR4, 'hex')]]);
    const encrypted = await t.ok('Encrypt', { KeyId: key.keyId, Plaintext: b64('tpm') });
    const out = await t.ok('Decrypt', { CiphertextBlob: encrypted.CiphertextBlob, Recipient: await recipient({ kind: 'nitro-tpm', pcrs }) });
    assert.deepEqual(kit.decrypt(bytes(out.CiphertextForRecipient)), Buffer.from('tpm'));
    assert.deepEqual(await t.error('Decrypt', { CiphertextBlob: encrypted.CiphertextBlob, Recipient: await recipient({ pcrs }) }), denied('kms:Decrypt', key.arn));
  });
});

describe('Recipient: GenerateRandom is judged by identity policies, which read the condition keys too', () => {
  const IMAGE = 'ee'.repeat(48);
  const enclaveUser = { accessKeyId: 'AKIAENCLAVEUSER00001', secretAccessKey: 'enclave/secret' };
  let signed: TestApp;
  before(() => {
    signed = createTestApp({
      attestationRoots: kit.roots,
      accounts: [
        {
          id: '111122223333',
          principals: [
            {
              arn: 'arn:aws:iam::111122223333:user/enclave',
              accessKeys: [{ accessKeyId: enclaveUser.accessKeyId, secretAccessKey: enclaveUser.secretAccessKey }],
              policies: [
                {
                  Version: '2012-10-17',
                  Statement: [{ Effect: 'Allow', Action: 'kms:GenerateRandom', Resource: '*', Condition: { StringEquals: { 'kms:RecipientAttestation:ImageSha384': IMAGE } } }],
                },
              ],
            },
          ],
        },
      ],
    });
  });
  it('the named image gets random bytes; another image and no Recipient are denied', async () => {
    const document = async (image: string) => b64(await kit.document({ now: signed.clock.now(), pcrs: new Map([[0, Buffer.from(image, 'hex')]]) }));
    const out = await signed.ok('GenerateRandom', { NumberOfBytes: 12, Recipient: { AttestationDocument: await document(IMAGE) } }, { as: enclaveUser });
    assert.equal(kit.decrypt(bytes(out.CiphertextForRecipient)).length, 12);
    const denied = {
      status: 400,
      __type: 'AccessDeniedException',
      message: 'User: arn:aws:iam::111122223333:user/enclave is not authorized to perform: kms:GenerateRandom on resource: * because no identity-based policy allows the kms:GenerateRandom action',
    };
    assert.deepEqual(await signed.error('GenerateRandom', { NumberOfBytes: 12, Recipient: { AttestationDocument: await document('ef'.repeat(48)) } }, { as: enclaveUser }), denied);
    assert.deepEqual(await signed.error('GenerateRandom', { NumberOfBytes: 12 }, { as: enclaveUser }), denied);
  });
});
