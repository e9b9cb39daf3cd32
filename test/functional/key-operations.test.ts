/**
 * The other operations of asymmetric, HMAC and ML-KEM keys through @aws-sdk/client-kms, each
 * checked by an implementation Trent does not use for it:
 *
 * - Encrypt / Decrypt with RSA and SM2 ENCRYPT_DECRYPT keys: ciphertext made with GetPublicKey's
 *   key by `openssl pkeyutl -encrypt` (RSAES-OAEP, SHA-1 or SHA-256; SM2PKE in GM/T 0009's DER)
 *   decrypts in Trent; AWS's plaintext limits per key size and algorithm (SM2PKE: 1024 bytes).
 * - DeriveSharedSecret: the secret equals node:crypto's ECDH with a local key (P-256/384/521) and
 *   @noble/curves' ECDH on the SM2 curve (GB/T 32918.5's parameters, written below).
 * - GenerateMac / VerifyMac: a MAC verifies, one flipped bit does not, two keys' MACs differ.
 * - Encapsulate / Decapsulate: Python's `cryptography` (ML-KEM-768/1024) and the `mlkem` package
 *   (ML-KEM-512) encapsulate to GetPublicKey's key and Trent decapsulates to the same secret;
 *   Trent's own ciphertexts decapsulate to its secret; a tampered one gives ML-KEM's implicit
 *   rejection, one of the wrong length InvalidCiphertextException.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createECDH, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import {
  DecapsulateCommand,
  DecryptCommand,
  DeriveSharedSecretCommand,
  EncapsulateCommand,
  EncryptCommand,
  GenerateMacCommand,
  GetPublicKeyCommand,
  VerifyMacCommand,
  type KeySpec,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { ecdh, weierstrass } from '@noble/curves/abstract/weierstrass.js';
import { MlKem512 } from 'mlkem';
import { awsError } from '../helpers/clients.js';
import { createKey, keyArn, useServer } from '../helpers/functional.js';

const ML_KEM_CHECKER = fileURLToPath(new URL('../../../test/checkers/ml_kem_encapsulate.py', import.meta.url));

function flipBit(bytes: Uint8Array, index = 0): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

const server = useServer();
const dir = mkdtempSync(join(tmpdir(), 'trent-key-operations-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function publicKeyOf(kms: KMSClient, keyId: string): Promise<Buffer> {
  return Buffer.from((await kms.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey as Uint8Array);
}

describe('Encrypt and Decrypt with RSA keys', () => {
  // AWS's limits (LocalStack's snapshots recorded against AWS): k - 2 hLen - 2.
  const limits = [
    ['RSA_2048', 214, 190],
    ['RSA_3072', 342, 318],
    ['RSA_4096', 470, 446],
  ] as const;
  for (const [spec, sha1Limit, sha256Limit] of limits) {
    it(`${spec}: openssl's RSAES-OAEP ciphertexts decrypt; Trent's round-trip at the size limit, and one byte more is refused`, async () => {
      const kms = server.kms;
      const key = await createKey(kms, { KeySpec: spec, KeyUsage: 'ENCRYPT_DECRYPT' });
      const out = await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
      assert.deepEqual(out.EncryptionAlgorithms, ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']);
      const spki = Buffer.from(out.PublicKey as Uint8Array);
      writeFileSync(join(dir, 'rsa.der'), spki);
      for (const [algorithm, hash, limit] of [['RSAES_OAEP_SHA_1', 'sha1', sha1Limit], ['RSAES_OAEP_SHA_256', 'sha256', sha256Limit]] as const) {
        const plaintext = Buffer.from(`a secret for a partner, ${algorithm}`);
        writeFileSync(join(dir, 'plain.bin'), plaintext);
        execFileSync('openssl', [
          'pkeyutl', '-encrypt', '-pubin', '-keyform', 'DER', '-inkey', join(dir, 'rsa.der'), '-in', join(dir, 'plain.bin'), '-out', join(dir, 'ct.bin'),
          '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', `rsa_oaep_md:${hash}`, '-pkeyopt', `rsa_mgf1_md:${hash}`,
        ]);
        const ciphertext = readFileSync(join(dir, 'ct.bin'));
        const decrypted = await kms.send(new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: ciphertext, EncryptionAlgorithm: algorithm }));
        assert.deepEqual(Buffer.from(decrypted.Plaintext as Uint8Array), plaintext, `${algorithm}: openssl's ciphertext`);
        assert.equal(decrypted.EncryptionAlgorithm, algorithm);
        assert.equal(decrypted.KeyId, keyArn(key.KeyId));
        assert.equal(decrypted.KeyMaterialId, undefined, 'KeyMaterialId is for symmetric keys only');

        const largest = Buffer.alloc(limit, 7);
        const encrypted = await kms.send(new EncryptCommand({ KeyId: key.Arn, Plaintext: largest, EncryptionAlgorithm: algorithm }));
        assert.equal(encrypted.EncryptionAlgorithm, algorithm);
        assert.equal(encrypted.CiphertextBlob?.length, Number(spec.slice(4)) / 8, 'the raw RSA ciphertext');
        const back = await kms.send(new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: encrypted.CiphertextBlob, EncryptionAlgorithm: algorithm }));
        assert.deepEqual(Buffer.from(back.Plaintext as Uint8Array), largest);

        const tooLarge = await awsError(() => kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.alloc(limit + 1), EncryptionAlgorithm: algorithm })));
        assert.deepEqual([tooLarge.name, tooLarge.message], ['ValidationException', `Algorithm ${algorithm} and key spec ${spec} cannot encrypt data larger than ${limit} bytes.`]);

        const tampered = await awsError(() =>
          kms.send(new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: flipBit(ciphertext, 40), EncryptionAlgorithm: algorithm })),
        );
        assert.equal(tampered.name, 'InvalidCiphertextException');
      }
      const noAlgorithm = await awsError(() => kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') })));
      assert.deepEqual([noAlgorithm.name, noAlgorithm.message], ['InvalidKeyUsageException', `Algorithm SYMMETRIC_DEFAULT is incompatible with key spec ${spec}.`]);
    });
  }

  it('Decrypt of an RSA ciphertext needs the KeyId and the right EncryptionAlgorithm', async () => {
    const kms = server.kms;
    const key = await createKey(kms, { KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('p'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
    const noKeyId = await awsError(() => kms.send(new DecryptCommand({ CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })));
    assert.equal(noKeyId.name, 'InvalidCiphertextException');
    const otherHash = await awsError(() => kms.send(new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' })));
    assert.equal(otherHash.name, 'InvalidCiphertextException');
    const noAlgorithm = await awsError(() => kms.send(new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob })));
    assert.deepEqual([noAlgorithm.name, noAlgorithm.message], ['InvalidKeyUsageException', 'Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.']);
  });
});

describe('Encrypt and Decrypt with SM2 keys (cn-north-1)', () => {
  it("openssl's SM2PKE ciphertexts to GetPublicKey's key decrypt; Trent's are GM/T 0009 DER and round-trip at 1024 bytes; 1025 are refused", async () => {
    const kms = server.client('cn-north-1');
    const key = await createKey(kms, { KeySpec: 'SM2', KeyUsage: 'ENCRYPT_DECRYPT' });
    const out = await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
    assert.deepEqual([out.KeyId, out.KeySpec, out.KeyUsage, out.EncryptionAlgorithms], [keyArn(key.KeyId, 'cn-north-1', 'aws-cn'), 'SM2', 'ENCRYPT_DECRYPT', ['SM2PKE']]);
    writeFileSync(join(dir, 'sm2.der'), Buffer.from(out.PublicKey as Uint8Array));
    const opensslEncrypt = (plaintext: Buffer): Buffer => {
      writeFileSync(join(dir, 'plain.bin'), plaintext);
      execFileSync('openssl', ['pkeyutl', '-encrypt', '-pubin', '-keyform', 'DER', '-inkey', join(dir, 'sm2.der'), '-in', join(dir, 'plain.bin'), '-out', join(dir, 'ct.bin')]);
      return readFileSync(join(dir, 'ct.bin'));
    };
    for (const size of [1, 100, 1024]) {
      const plaintext = Buffer.alloc(size, 0x33).fill('a secret for a partner, SM2PKE', 0);
      const decrypted = await kms.send(new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: opensslEncrypt(plaintext), EncryptionAlgorithm: 'SM2PKE' }));
      assert.deepEqual(Buffer.from(decrypted.Plaintext as Uint8Array), plaintext, `openssl's ciphertext of ${size} bytes`);
      assert.deepEqual([decrypted.KeyId, decrypted.EncryptionAlgorithm, decrypted.KeyMaterialId], [keyArn(key.KeyId, 'cn-north-1', 'aws-cn'), 'SM2PKE', undefined]);
    }

    const largest = Buffer.alloc(1024, 9);
    const encrypted = await kms.send(new EncryptCommand({ KeyId: key.Arn, Plaintext: largest, EncryptionAlgorithm: 'SM2PKE' }));
    assert.equal(encrypted.EncryptionAlgorithm, 'SM2PKE');
    const ciphertext = Buffer.from(encrypted.CiphertextBlob as Uint8Array);
    writeFileSync(join(dir, 'trent-ct.bin'), ciphertext);
    const parsed = execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-in', join(dir, 'trent-ct.bin')], { encoding: 'utf8' });
    assert.match(parsed, /^\s*0:d=0 .*SEQUENCE\s*\n.*d=1 .*INTEGER.*\n.*d=1 .*INTEGER.*\n.*d=1 .*l=\s*32 prim: OCTET STRING.*\n.*d=1 .*l=\s*1024 prim: OCTET STRING/, 'SEQUENCE { x, y, C3, C2 }');
    const back = await kms.send(new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: ciphertext, EncryptionAlgorithm: 'SM2PKE' }));
    assert.deepEqual(Buffer.from(back.Plaintext as Uint8Array), largest);

    const tooLarge = await awsError(() => kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.alloc(1025), EncryptionAlgorithm: 'SM2PKE' })));
    assert.deepEqual([tooLarge.name, tooLarge.message], ['ValidationException', 'Algorithm SM2PKE and key spec SM2 cannot encrypt data larger than 1024 bytes.']);
    const tampered = await awsError(() => kms.send(new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: flipBit(ciphertext, ciphertext.length - 1), EncryptionAlgorithm: 'SM2PKE' })));
    assert.equal(tampered.name, 'InvalidCiphertextException');
    const noAlgorithm = await awsError(() => kms.send(new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: ciphertext })));
    assert.deepEqual([noAlgorithm.name, noAlgorithm.message], ['InvalidKeyUsageException', 'Algorithm SYMMETRIC_DEFAULT is incompatible with key spec SM2.']);
  });
});

/** The SM2 curve of GB/T 32918.5-2017, for an ECDH that is not OpenSSL's. */
const SM2_POINT = weierstrass({
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  h: 1n,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  Gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  Gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
});
const sm2Ecdh = ecdh(SM2_POINT);
/** SubjectPublicKeyInfo { { id-ecPublicKey, SM2 (1.2.156.10197.1.301) }, BIT STRING }, then 04 || X || Y. */
const SM2_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a811ccf5501822d034200', 'hex');

describe('DeriveSharedSecret', () => {
  for (const [spec, curve] of [['ECC_NIST_P256', 'prime256v1'], ['ECC_NIST_P384', 'secp384r1'], ['ECC_NIST_P521', 'secp521r1']] as const) {
    it(`${spec}: the secret equals node:crypto's ECDH of a local key and GetPublicKey's key`, async () => {
      const kms = server.kms;
      const key = await createKey(kms, { KeySpec: spec as KeySpec, KeyUsage: 'KEY_AGREEMENT' });
      const out = await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
      assert.deepEqual(out.KeyAgreementAlgorithms, ['ECDH']);
      const local = generateKeyPairSync('ec', { namedCurve: curve });
      const expected = diffieHellman({ privateKey: local.privateKey, publicKey: createPublicKey({ key: Buffer.from(out.PublicKey as Uint8Array), format: 'der', type: 'spki' }) });
      const derived = await kms.send(
        new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: local.publicKey.export({ type: 'spki', format: 'der' }) }),
      );
      assert.deepEqual(Buffer.from(derived.SharedSecret as Uint8Array), expected);
      assert.deepEqual([derived.KeyId, derived.KeyAgreementAlgorithm, derived.KeyOrigin], [keyArn(key.KeyId), 'ECDH', 'AWS_KMS']);

      const otherCurve = generateKeyPairSync('ec', { namedCurve: curve === 'prime256v1' ? 'secp384r1' : 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
      for (const [what, publicKey] of [['not a key', Buffer.from('InvalidPublicKey')], ['a key on another curve', otherCurve]] as const) {
        const refused = await awsError(() => kms.send(new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: publicKey })));
        assert.deepEqual([refused.name, refused.status], ['ValidationException', 400], what);
      }
    });
  }

  it("SM2 (cn-north-1): the secret equals @noble/curves' ECDH on the SM2 curve", async () => {
    const kms = server.client('cn-north-1');
    const key = await createKey(kms, { KeySpec: 'SM2', KeyUsage: 'KEY_AGREEMENT' });
    const spki = await publicKeyOf(kms, key.KeyId);
    assert.ok(spki.subarray(0, SM2_SPKI_PREFIX.length).equals(SM2_SPKI_PREFIX));
    const local = createECDH('SM2');
    local.generateKeys();
    const secretKey = local.getPrivateKey();
    const localSpki = Buffer.concat([SM2_SPKI_PREFIX, Buffer.from(sm2Ecdh.getPublicKey(secretKey, false))]);
    const expected = Buffer.from(sm2Ecdh.getSharedSecret(secretKey, spki.subarray(SM2_SPKI_PREFIX.length))).subarray(1);
    const derived = await kms.send(new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: localSpki }));
    assert.deepEqual(Buffer.from(derived.SharedSecret as Uint8Array), expected);
  });
});

describe('GenerateMac and VerifyMac', () => {
  for (const [spec, algorithm, length] of [['HMAC_224', 'HMAC_SHA_224', 28], ['HMAC_256', 'HMAC_SHA_256', 32], ['HMAC_384', 'HMAC_SHA_384', 48], ['HMAC_512', 'HMAC_SHA_512', 64]] as const) {
    it(`${spec}: a MAC verifies, one flipped bit of MAC or message does not, and two keys' MACs differ`, async () => {
      const kms = server.kms;
      const [a, b] = await Promise.all([createKey(kms, { KeySpec: spec, KeyUsage: 'GENERATE_VERIFY_MAC' }), createKey(kms, { KeySpec: spec, KeyUsage: 'GENERATE_VERIFY_MAC' })]);
      const message = Buffer.from('a webhook body');
      const made = await kms.send(new GenerateMacCommand({ KeyId: a.KeyId, Message: message, MacAlgorithm: algorithm }));
      assert.deepEqual([made.KeyId, made.MacAlgorithm, made.Mac?.length], [keyArn(a.KeyId), algorithm, length]);
      const mac = Buffer.from(made.Mac as Uint8Array);
      const verified = await kms.send(new VerifyMacCommand({ KeyId: a.Arn, Message: message, MacAlgorithm: algorithm, Mac: mac }));
      assert.deepEqual([verified.KeyId, verified.MacValid, verified.MacAlgorithm], [keyArn(a.KeyId), true, algorithm]);
      for (const [what, m, msg] of [['a flipped bit of the MAC', flipBit(mac, length - 1), message], ['a flipped bit of the message', mac, flipBit(message)]] as const) {
        const refused = await awsError(() => kms.send(new VerifyMacCommand({ KeyId: a.KeyId, Message: msg, MacAlgorithm: algorithm, Mac: m })));
        assert.deepEqual([refused.name, refused.status], ['KMSInvalidMacException', 400], what);
      }
      const other = await kms.send(new GenerateMacCommand({ KeyId: b.KeyId, Message: message, MacAlgorithm: algorithm }));
      assert.notDeepEqual(Buffer.from(other.Mac as Uint8Array), mac);
      const again = await kms.send(new GenerateMacCommand({ KeyId: a.KeyId, Message: message, MacAlgorithm: algorithm }));
      assert.deepEqual(Buffer.from(again.Mac as Uint8Array), mac, 'HMAC is deterministic');
    });
  }
});

describe('Encapsulate and Decapsulate', () => {
  for (const [spec, ciphertextBytes] of [['ML_KEM_512', 768], ['ML_KEM_768', 1088], ['ML_KEM_1024', 1568]] as const) {
    it(`${spec}: a ciphertext made outside Trent decapsulates to its secret; Trent's own round-trip; tampering gives implicit rejection`, async () => {
      const kms = server.kms;
      const key = await createKey(kms, { KeySpec: spec, KeyUsage: 'ENCAPSULATE_DECAPSULATE' });
      const out = await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
      assert.deepEqual(out.EncapsulationAlgorithms, ['ML_KEM']);
      const spki = Buffer.from(out.PublicKey as Uint8Array);
      let outside: { ciphertext: Buffer; sharedSecret: Buffer };
      if (spec === 'ML_KEM_512') {
        const [ciphertext, sharedSecret] = await new MlKem512().encap(spki.subarray(spki.length - 800));
        outside = { ciphertext: Buffer.from(ciphertext), sharedSecret: Buffer.from(sharedSecret) };
      } else {
        writeFileSync(join(dir, 'kem.der'), spki);
        const report = JSON.parse(execFileSync('python3', [ML_KEM_CHECKER, join(dir, 'kem.der')], { encoding: 'utf8' })) as Record<string, string>;
        assert.equal(report.type, spec === 'ML_KEM_768' ? 'MLKEM768PublicKey' : 'MLKEM1024PublicKey');
        outside = { ciphertext: Buffer.from(report.ciphertext ?? '', 'base64'), sharedSecret: Buffer.from(report.sharedSecret ?? '', 'base64') };
      }
      const decapsulate = async (blob: Buffer) =>
        Buffer.from(
          (await kms.send(new DecapsulateCommand({ KeyId: key.KeyId, SharedSecretCiphertextBlob: blob, EncapsulationAlgorithm: 'ML_KEM' }))).SharedSecret as Uint8Array,
        );
      assert.deepEqual(await decapsulate(outside.ciphertext), outside.sharedSecret, 'the secret encapsulated outside Trent');

      const encapsulated = await kms.send(new EncapsulateCommand({ KeyId: key.Arn, EncapsulationAlgorithm: 'ML_KEM' }));
      assert.deepEqual([encapsulated.KeyId, encapsulated.EncapsulationAlgorithm], [keyArn(key.KeyId), 'ML_KEM']);
      const ciphertext = Buffer.from(encapsulated.SharedSecretCiphertextBlob as Uint8Array);
      const secret = Buffer.from(encapsulated.SharedSecret as Uint8Array);
      assert.deepEqual([ciphertext.length, secret.length], [ciphertextBytes, 32]);
      assert.deepEqual(await decapsulate(ciphertext), secret, "Trent's own ciphertext");

      const rejected = await decapsulate(flipBit(ciphertext, 100));
      assert.equal(rejected.length, 32);
      assert.notDeepEqual(rejected, secret);
      assert.deepEqual(await decapsulate(flipBit(ciphertext, 100)), rejected, 'implicit rejection is a function of the ciphertext');

      for (const length of [ciphertextBytes - 1, ciphertextBytes + 1]) {
        const refused = await awsError(() => decapsulate(Buffer.alloc(length, 1)));
        assert.deepEqual([refused.name, refused.status], ['InvalidCiphertextException', 400], `${length} bytes`);
      }
    });
  }
});
