/**
 * Imported key material (BYOK) through the AWS SDK over HTTP, with the material wrapped outside
 * Trent by the openssl CLI: RSAES-OAEP-SHA-256 (`openssl pkeyutl -encrypt`) and RSA-AES key wrap
 * (an AES-256 key wrapped by `openssl pkeyutl`, the material by `openssl enc
 * -id-aes256-wrap-pad`, RFC 5649). Then: the key encrypts; a ciphertext made before
 * DeleteImportedKeyMaterial decrypts after importing the same material again; different material
 * is IncorrectKeyMaterialException; an expired or foreign import token is refused; new material
 * imported for an on-demand rotation waits PENDING_ROTATION until RotateKeyOnDemand, which an
 * independent opener of the envelope (test/checkers/envelope_open.py, Python `cryptography`)
 * confirms: ciphertexts open under the material they should. The error rows run in-process in
 * test/operations/key-import.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  DecapsulateCommand,
  DecryptCommand,
  DeriveSharedSecretCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetParametersForImportCommand,
  GetPublicKeyCommand,
  ImportKeyMaterialCommand,
  ListKeyRotationsCommand,
  RotateKeyOnDemandCommand,
  SignCommand,
  type AlgorithmSpec,
  type KeySpec,
  type KeyUsageType,
  type KMSClient,
  type WrappingKeySpec,
} from '@aws-sdk/client-kms';
import { awsError } from '../helpers/clients.js';
import { createKey, keyArn, useServer } from '../helpers/functional.js';

const server = useServer();
const workDir = mkdtempSync(join(tmpdir(), 'trent-import-test-'));
after(() => rmSync(workDir, { recursive: true, force: true }));
let serial = 0;

/** A file in the work dir holding `bytes`; returns its path. */
function file(name: string, bytes: Buffer): string {
  const path = join(workDir, `${serial++}-${name}`);
  writeFileSync(path, bytes);
  return path;
}

function opensslOaep(publicKeyDer: Uint8Array, plaintext: Buffer, hash: 'sha1' | 'sha256'): Buffer {
  const pem = createPublicKey({ key: Buffer.from(publicKeyDer), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' });
  const pub = file('wrapping.pem', Buffer.from(pem));
  const out = join(workDir, `${serial++}-wrapped.bin`);
  execFileSync('openssl', [
    'pkeyutl', '-encrypt', '-pubin', '-inkey', pub, '-in', file('plain.bin', plaintext), '-out', out,
    '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', `rsa_oaep_md:${hash}`, '-pkeyopt', `rsa_mgf1_md:${hash}`,
  ]);
  return readFileSync(out);
}

/** RSA-AES key wrap made by openssl: RSAES-OAEP(AES key) || AES-KWP(material). */
function opensslRsaAes(publicKeyDer: Uint8Array, material: Buffer, hash: 'sha1' | 'sha256'): Buffer {
  const aesKey = randomBytes(32);
  const wrappedKey = opensslOaep(publicKeyDer, aesKey, hash);
  const out = join(workDir, `${serial++}-kwp.bin`);
  execFileSync('openssl', ['enc', '-id-aes256-wrap-pad', '-K', aesKey.toString('hex'), '-iv', 'A65959A6', '-in', file('material.bin', material), '-out', out]);
  return Buffer.concat([wrappedKey, readFileSync(out)]);
}

type Algorithm = 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256' | 'RSA_AES_KEY_WRAP_SHA_1' | 'RSA_AES_KEY_WRAP_SHA_256';

async function parameters(keyId: string, algorithm: Algorithm, spec: WrappingKeySpec = 'RSA_2048') {
  const params = await server.kms.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: spec }));
  assert.ok(params.ImportToken && params.PublicKey && params.ParametersValidTo);
  return { token: params.ImportToken, publicKey: params.PublicKey, validTo: params.ParametersValidTo, keyId: params.KeyId };
}

function wrap(algorithm: Algorithm, publicKey: Uint8Array, material: Buffer): Buffer {
  const hash = algorithm.endsWith('SHA_1') ? 'sha1' : 'sha256';
  return algorithm.startsWith('RSA_AES') ? opensslRsaAes(publicKey, material, hash) : opensslOaep(publicKey, material, hash);
}

async function importMaterial(keyId: string, algorithm: Algorithm, material: Buffer, extra: Partial<ConstructorParameters<typeof ImportKeyMaterialCommand>[0]> = {}, spec: WrappingKeySpec = 'RSA_2048') {
  const params = await parameters(keyId, algorithm, spec);
  return server.kms.send(
    new ImportKeyMaterialCommand({ KeyId: keyId, ImportToken: params.token, EncryptedKeyMaterial: wrap(algorithm, params.publicKey, material), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ...extra }),
  );
}

describe('GetParametersForImport', () => {
  for (const spec of ['RSA_2048', 'RSA_3072', 'RSA_4096'] as const) {
    test(`${spec}: an RSA public key of that size, a token and 24 hours`, async () => {
      const key = await createKey(server.kms, { Origin: 'EXTERNAL' });
      const params = await parameters(key.KeyId, 'RSAES_OAEP_SHA_256', spec);
      assert.equal(params.keyId, keyArn(key.KeyId));
      const publicKey = createPublicKey({ key: Buffer.from(params.publicKey), format: 'der', type: 'spki' });
      assert.equal(publicKey.asymmetricKeyType, 'rsa');
      assert.equal(publicKey.asymmetricKeyDetails?.modulusLength, Number(spec.slice(4)));
      const hours = (params.validTo.getTime() - Date.now()) / 3_600_000;
      assert.ok(hours > 23.9 && hours <= 24, String(hours));
    });
  }

  test('SM2 is refused as AWS refuses it outside China Regions; a key of AWS_KMS origin too', async () => {
    const key = await createKey(server.kms, { Origin: 'EXTERNAL' });
    for (const input of [
      { WrappingAlgorithm: 'SM2PKE' as AlgorithmSpec, WrappingKeySpec: 'SM2' as WrappingKeySpec },
      { WrappingAlgorithm: 'RSAES_OAEP_SHA_256' as AlgorithmSpec, WrappingKeySpec: 'SM2' as WrappingKeySpec },
    ]) {
      assert.deepEqual(await awsError(() => server.kms.send(new GetParametersForImportCommand({ KeyId: key.KeyId, ...input }))), {
        name: 'UnsupportedOperationException',
        message: 'The SM2 key spec is available only in China Regions.',
        status: 400,
      });
    }
    const generated = await createKey(server.kms);
    assert.deepEqual(
      await awsError(() => server.kms.send(new GetParametersForImportCommand({ KeyId: generated.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }))),
      { name: 'UnsupportedOperationException', message: `${generated.Arn} origin is AWS_KMS which is not valid for this operation.`, status: 400 },
    );
  });
});

describe('ImportKeyMaterial with material wrapped by the openssl CLI', () => {
  for (const algorithm of ['RSAES_OAEP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_256', 'RSAES_OAEP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_1'] as const) {
    test(`${algorithm}: the key becomes Enabled, encrypts, and shows its expiry and KeyMaterialId`, async () => {
      const key = await createKey(server.kms, { Origin: 'EXTERNAL' });
      assert.equal(key.KeyState, 'PendingImport');
      const material = randomBytes(32);
      const validTo = new Date(Math.ceil(Date.now() / 1000) * 1000 + 7 * 86_400_000);
      const imported = await importMaterial(key.KeyId, algorithm, material, { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: validTo });
      assert.equal(imported.KeyId, keyArn(key.KeyId));
      assert.match(imported.KeyMaterialId ?? '', /^[0-9a-f]{64}$/);
      const { KeyMetadata } = await server.kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
      assert.equal(KeyMetadata?.KeyState, 'Enabled');
      assert.equal(KeyMetadata?.ExpirationModel, 'KEY_MATERIAL_EXPIRES');
      assert.equal(KeyMetadata?.ValidTo?.getTime(), validTo.getTime());
      assert.equal(KeyMetadata?.CurrentKeyMaterialId, imported.KeyMaterialId);
      const encrypted = await server.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('byok') }));
      const decrypted = await server.kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }));
      assert.equal(Buffer.from(decrypted.Plaintext ?? []).toString(), 'byok');
      assert.equal(decrypted.KeyMaterialId, imported.KeyMaterialId);
    });
  }

  test('a ciphertext made before DeleteImportedKeyMaterial decrypts after the same material is imported again; other material is refused', async () => {
    const key = await createKey(server.kms, { Origin: 'EXTERNAL' });
    const material = randomBytes(32);
    const first = await importMaterial(key.KeyId, 'RSAES_OAEP_SHA_256', material, { KeyMaterialDescription: 'hsm batch 7' });
    const before = await server.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('made before'), EncryptionContext: { n: '1' } }));

    const deleted = await server.kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
    assert.deepEqual([deleted.KeyId, deleted.KeyMaterialId], [keyArn(key.KeyId), first.KeyMaterialId]);
    const { KeyMetadata } = await server.kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    assert.equal(KeyMetadata?.KeyState, 'PendingImport');
    assert.equal(KeyMetadata?.ExpirationModel, undefined);
    assert.deepEqual(await awsError(() => server.kms.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob, EncryptionContext: { n: '1' } }))), {
      name: 'KMSInvalidStateException',
      message: `${keyArn(key.KeyId)} is pending import.`,
      status: 400,
    });

    const other = await awsError(() => importMaterial(key.KeyId, 'RSA_AES_KEY_WRAP_SHA_256', randomBytes(32)));
    assert.equal(other.name, 'IncorrectKeyMaterialException');
    assert.equal(other.status, 400);

    const again = await importMaterial(key.KeyId, 'RSA_AES_KEY_WRAP_SHA_256', material, { ImportType: 'EXISTING_KEY_MATERIAL', KeyMaterialId: first.KeyMaterialId });
    assert.equal(again.KeyMaterialId, first.KeyMaterialId);
    const decrypted = await server.kms.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob, EncryptionContext: { n: '1' } }));
    assert.equal(Buffer.from(decrypted.Plaintext ?? []).toString(), 'made before');

    const { Rotations } = await server.kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }));
    assert.deepEqual(Rotations, [
      {
        KeyId: key.KeyId,
        KeyMaterialId: first.KeyMaterialId,
        KeyMaterialState: 'CURRENT',
        ImportState: 'IMPORTED',
        KeyMaterialDescription: 'hsm batch 7',
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      },
    ]);
  });

  test('a token of another key, and a token that is not one, are InvalidImportTokenException; garbage material InvalidCiphertextException', async () => {
    const key = await createKey(server.kms, { Origin: 'EXTERNAL' });
    const otherKey = await createKey(server.kms, { Origin: 'EXTERNAL' });
    const params = await parameters(otherKey.KeyId, 'RSAES_OAEP_SHA_256');
    const wrapped = wrap('RSAES_OAEP_SHA_256', params.publicKey, randomBytes(32));
    const send = (token: Uint8Array, material: Uint8Array, keyId = key.KeyId) =>
      server.kms.send(new ImportKeyMaterialCommand({ KeyId: keyId, ImportToken: token, EncryptedKeyMaterial: material, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }));
    for (const token of [params.token, randomBytes(200)]) {
      const refused = await awsError(() => send(token, wrapped));
      assert.equal(refused.name, 'InvalidImportTokenException');
    }
    const garbage = await awsError(() => send(params.token, randomBytes(256), otherKey.KeyId));
    assert.equal(garbage.name, 'InvalidCiphertextException');
    assert.equal((await server.kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState, 'PendingImport');
  });
});

describe('asymmetric key material made and wrapped by the openssl CLI', () => {
  const rows = [
    { spec: 'ECC_NIST_P256', genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], algorithm: 'ECDSA_SHA_256', digest: 'sha256' },
    { spec: 'ECC_SECG_P256K1', genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'], algorithm: 'ECDSA_SHA_256', digest: 'sha256' },
    { spec: 'RSA_2048', genpkey: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], algorithm: 'RSASSA_PKCS1_V1_5_SHA_256', digest: 'sha256' },
  ] as const;
  for (const row of rows) {
    test(`${row.spec}: imports (RSA-AES key wrap), GetPublicKey is openssl's public key, openssl verifies Sign`, async () => {
      const pem = join(workDir, `${serial++}-private.pem`);
      execFileSync('openssl', ['genpkey', ...row.genpkey, '-out', pem]);
      const pkcs8 = execFileSync('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', pem, '-outform', 'DER']);
      const publicDer = execFileSync('openssl', ['pkey', '-in', pem, '-pubout', '-outform', 'DER']);
      const key = await createKey(server.kms, { Origin: 'EXTERNAL', KeySpec: row.spec, KeyUsage: 'SIGN_VERIFY' });
      const imported = await importMaterial(key.KeyId, 'RSA_AES_KEY_WRAP_SHA_256', pkcs8, {}, 'RSA_3072');
      assert.equal(imported.KeyId, keyArn(key.KeyId));
      const { PublicKey } = await server.kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
      assert.deepEqual(Buffer.from(PublicKey ?? []), publicDer);
      const message = Buffer.from(`signed by an imported ${row.spec} key`);
      const { Signature } = await server.kms.send(new SignCommand({ KeyId: key.KeyId, Message: message, SigningAlgorithm: row.algorithm }));
      const verified = execFileSync('openssl', [
        'dgst', `-${row.digest}`, '-verify', file('public.der', publicDer), '-keyform', 'DER', '-signature', file('signature.bin', Buffer.from(Signature ?? [])), file('message.bin', message),
      ]).toString();
      assert.match(verified, /Verified OK/);
    });
  }
});

const ENVELOPE_OPENER = fileURLToPath(new URL('../../../test/checkers/envelope_open.py', import.meta.url));

/** Which of `materials` opens `blob` outside Trent (Python `cryptography`), and the version it names. */
function openOutside(blob: Uint8Array | undefined, materials: Record<string, Buffer>): { version: number; opened: string | null; plaintext: string | null } {
  const request = { blob: Buffer.from(blob ?? []).toString('base64'), materials: Object.fromEntries(Object.entries(materials).map(([name, m]) => [name, m.toString('hex')])) };
  const answer = JSON.parse(execFileSync('python3', [ENVELOPE_OPENER], { input: JSON.stringify(request) }).toString()) as { version: number; opened: string | null; plaintext: string | null };
  return { ...answer, plaintext: answer.plaintext === null ? null : Buffer.from(answer.plaintext, 'base64').toString() };
}

describe('on-demand rotation with new imported material (ImportType NEW_KEY_MATERIAL)', () => {
  test('material wrapped by openssl waits PENDING_ROTATION; RotateKeyOnDemand makes it current; ciphertexts open outside Trent under the material they should', async () => {
    const key = await createKey(server.kms, { Origin: 'EXTERNAL' });
    const materials = { first: randomBytes(32), second: randomBytes(32) };
    const first = await importMaterial(key.KeyId, 'RSAES_OAEP_SHA_256', materials.first);
    const before = await server.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('before') }));

    const second = await importMaterial(key.KeyId, 'RSA_AES_KEY_WRAP_SHA_256', materials.second, { ImportType: 'NEW_KEY_MATERIAL', KeyMaterialDescription: 'second' }, 'RSA_4096');
    assert.notEqual(second.KeyMaterialId, first.KeyMaterialId);
    const pending = await server.kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }));
    assert.deepEqual(
      pending.Rotations?.map((r) => [r.KeyMaterialId, r.KeyMaterialState, r.ImportState, r.RotationType]),
      [
        [first.KeyMaterialId, 'CURRENT', 'IMPORTED', undefined],
        [second.KeyMaterialId, 'PENDING_ROTATION', 'IMPORTED', undefined],
      ],
    );
    const whilePending = await server.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('while pending') }));
    assert.deepEqual(openOutside(whilePending.CiphertextBlob, materials), { version: 1, opened: 'first', plaintext: 'while pending' });

    const rotated = await server.kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
    assert.equal(rotated.KeyId, keyArn(key.KeyId));
    const { KeyMetadata } = await server.kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    assert.equal(KeyMetadata?.CurrentKeyMaterialId, second.KeyMaterialId);
    const { Rotations } = await server.kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId }));
    assert.deepEqual(Rotations?.map((r) => [r.KeyMaterialId, r.KeyMaterialState, r.RotationType, r.KeyMaterialDescription]), [[second.KeyMaterialId, 'CURRENT', 'ON_DEMAND', 'second']]);
    assert.ok(Rotations?.[0]?.RotationDate instanceof Date);

    const after = await server.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('after') }));
    assert.deepEqual(openOutside(after.CiphertextBlob, materials), { version: 2, opened: 'second', plaintext: 'after' });
    assert.deepEqual(openOutside(before.CiphertextBlob, materials), { version: 1, opened: 'first', plaintext: 'before' });
    for (const [blob, text, materialId] of [
      [before.CiphertextBlob, 'before', first.KeyMaterialId],
      [after.CiphertextBlob, 'after', second.KeyMaterialId],
    ] as const) {
      const decrypted = await server.kms.send(new DecryptCommand({ CiphertextBlob: blob }));
      assert.deepEqual([Buffer.from(decrypted.Plaintext ?? []).toString(), decrypted.KeyMaterialId], [text, materialId]);
    }
    assert.deepEqual(await awsError(() => server.kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }))), {
      name: 'KMSInvalidStateException',
      message: `No available key material pending rotation for the key: ${keyArn(key.KeyId)}.`,
      status: 400,
    });
  });
});

const SIGNATURE_CHECKER = fileURLToPath(new URL('../../../test/checkers/signature_check.py', import.meta.url));
const ML_KEM_ENCAPSULATOR = fileURLToPath(new URL('../../../test/checkers/ml_kem_encapsulate.py', import.meta.url));

/** A private key made outside Trent: its DER PKCS#8, its DER SubjectPublicKeyInfo, and a PEM file of the private key for openssl. */
interface OutsideKey {
  pkcs8: Buffer;
  spki: Buffer;
  pem?: string;
}

function opensslKey(genpkey: readonly string[]): OutsideKey {
  const pem = join(workDir, `${serial++}-private.pem`);
  execFileSync('openssl', ['genpkey', ...genpkey, '-out', pem]);
  return {
    pkcs8: execFileSync('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', pem, '-outform', 'DER']),
    spki: execFileSync('openssl', ['pkey', '-in', pem, '-pubout', '-outform', 'DER']),
    pem,
  };
}

/** An ML-DSA or ML-KEM private key made by Python's `cryptography`, in the seed form it writes. */
function pythonPostQuantumKey(className: string): OutsideKey {
  const script = [
    'import base64, json',
    'from cryptography.hazmat.primitives import serialization as s',
    'from cryptography.hazmat.primitives.asymmetric import mldsa, mlkem',
    `k = getattr(mldsa if "${className}".startswith("MLDSA") else mlkem, "${className}").generate()`,
    'print(json.dumps({"pkcs8": base64.b64encode(k.private_bytes(s.Encoding.DER, s.PrivateFormat.PKCS8, s.NoEncryption())).decode(),',
    '  "spki": base64.b64encode(k.public_key().public_bytes(s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)).decode()}))',
  ].join('\n');
  const out = JSON.parse(execFileSync('python3', ['-c', script]).toString()) as { pkcs8: string; spki: string };
  return { pkcs8: Buffer.from(out.pkcs8, 'base64'), spki: Buffer.from(out.spki, 'base64') };
}

/** Creates an EXTERNAL key of `spec` and imports `material`, wrapped by openssl; checks GetPublicKey is the outside public key. */
async function importedKey(kms: KMSClient, spec: KeySpec, usage: KeyUsageType, material: OutsideKey, algorithm: Algorithm = 'RSA_AES_KEY_WRAP_SHA_256') {
  const key = await createKey(kms, { Origin: 'EXTERNAL', KeySpec: spec, KeyUsage: usage });
  const params = await kms.send(new GetParametersForImportCommand({ KeyId: key.KeyId, WrappingAlgorithm: algorithm, WrappingKeySpec: 'RSA_3072' }));
  assert.ok(params.ImportToken && params.PublicKey);
  await kms.send(
    new ImportKeyMaterialCommand({ KeyId: key.KeyId, ImportToken: params.ImportToken, EncryptedKeyMaterial: wrap(algorithm, params.PublicKey, material.pkcs8), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }),
  );
  const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
  assert.deepEqual(Buffer.from(PublicKey ?? []), material.spki, 'GetPublicKey answers the public key of the imported private key');
  return key;
}

function checkSignature(spki: Buffer, algorithm: string, message: Buffer, signature: Uint8Array | undefined): boolean {
  const cases = [{ spki: spki.toString('base64'), algorithm, messageType: 'RAW', message: message.toString('base64'), signature: Buffer.from(signature ?? []).toString('base64') }];
  return (JSON.parse(execFileSync('python3', [SIGNATURE_CHECKER], { input: JSON.stringify(cases) }).toString()) as boolean[])[0] === true;
}

describe('more asymmetric key material, made and checked outside Trent', () => {
  test('ECC_NIST_EDWARDS25519 from openssl: Sign, verified by Python cryptography', async () => {
    const material = opensslKey(['-algorithm', 'ed25519']);
    const key = await importedKey(server.kms, 'ECC_NIST_EDWARDS25519', 'SIGN_VERIFY', material, 'RSAES_OAEP_SHA_256');
    const message = Buffer.from('signed by an imported Ed25519 key');
    const { Signature } = await server.kms.send(new SignCommand({ KeyId: key.KeyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ED25519_SHA_512' }));
    assert.ok(checkSignature(material.spki, 'ED25519_SHA_512', message, Signature));
    assert.ok(!checkSignature(material.spki, 'ED25519_SHA_512', Buffer.from('another message'), Signature), 'the checker can refuse');
  });

  test('ML_DSA_65 from Python cryptography (seed form): Sign, verified by Python cryptography', async () => {
    const material = pythonPostQuantumKey('MLDSA65PrivateKey');
    const key = await importedKey(server.kms, 'ML_DSA_65', 'SIGN_VERIFY', material, 'RSAES_OAEP_SHA_256');
    const message = Buffer.from('signed by an imported ML-DSA-65 key');
    const { Signature } = await server.kms.send(new SignCommand({ KeyId: key.KeyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ML_DSA_SHAKE_256' }));
    assert.ok(checkSignature(material.spki, 'ML_DSA_SHAKE_256', message, Signature));
  });

  test('ML_KEM_768 from Python cryptography (seed form): Decapsulate answers the secret Python encapsulated', async () => {
    const material = pythonPostQuantumKey('MLKEM768PrivateKey');
    const key = await importedKey(server.kms, 'ML_KEM_768', 'ENCAPSULATE_DECAPSULATE', material);
    const outside = JSON.parse(execFileSync('python3', [ML_KEM_ENCAPSULATOR, file('ml-kem.der', material.spki)]).toString()) as { ciphertext: string; sharedSecret: string };
    const { SharedSecret } = await server.kms.send(
      new DecapsulateCommand({ KeyId: key.KeyId, SharedSecretCiphertextBlob: Buffer.from(outside.ciphertext, 'base64'), EncapsulationAlgorithm: 'ML_KEM' }),
    );
    assert.deepEqual(Buffer.from(SharedSecret ?? []), Buffer.from(outside.sharedSecret, 'base64'));
  });

  test('RSA_3072 ENCRYPT_DECRYPT from openssl: Decrypt of what openssl encrypted, and openssl decrypts what Encrypt made', async () => {
    const material = opensslKey(['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072']);
    const key = await importedKey(server.kms, 'RSA_3072', 'ENCRYPT_DECRYPT', material);
    const oaep = ['-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256'];
    const fromOpenssl = execFileSync('openssl', ['pkeyutl', '-encrypt', '-pubin', '-keyform', 'DER', '-inkey', file('public.der', material.spki), '-in', file('plain.txt', Buffer.from('to Trent')), ...oaep]);
    const decrypted = await server.kms.send(new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: fromOpenssl, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
    assert.equal(Buffer.from(decrypted.Plaintext ?? []).toString(), 'to Trent');
    const encrypted = await server.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('to openssl'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
    const opened = execFileSync('openssl', ['pkeyutl', '-decrypt', '-inkey', material.pem ?? '', '-in', file('cipher.bin', Buffer.from(encrypted.CiphertextBlob ?? [])), ...oaep]);
    assert.equal(opened.toString(), 'to openssl');
  });

  test('ECC_NIST_P384 KEY_AGREEMENT from openssl: DeriveSharedSecret equals openssl pkeyutl -derive', async () => {
    const material = opensslKey(['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']);
    const key = await importedKey(server.kms, 'ECC_NIST_P384', 'KEY_AGREEMENT', material);
    const peer = opensslKey(['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']);
    const derived = await server.kms.send(new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: peer.spki }));
    const expected = execFileSync('openssl', ['pkeyutl', '-derive', '-inkey', material.pem ?? '', '-peerkey', file('peer.der', peer.spki), '-peerform', 'DER']);
    assert.deepEqual(Buffer.from(derived.SharedSecret ?? []), expected);
  });

  test('SM2 ENCRYPT_DECRYPT from openssl (cn-north-1): Decrypt (SM2PKE) of what openssl encrypted', async () => {
    const kms = server.client('cn-north-1');
    const material = opensslKey(['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2']);
    const key = await importedKey(kms, 'SM2', 'ENCRYPT_DECRYPT', material, 'RSAES_OAEP_SHA_256');
    const pub = join(workDir, `${serial++}-sm2-public.pem`);
    execFileSync('openssl', ['pkey', '-in', material.pem ?? '', '-pubout', '-out', pub]);
    const fromOpenssl = execFileSync('openssl', ['pkeyutl', '-encrypt', '-pubin', '-inkey', pub, '-in', file('plain.txt', Buffer.from('to Trent in SM2'))]);
    const decrypted = await kms.send(new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: fromOpenssl, EncryptionAlgorithm: 'SM2PKE' }));
    assert.equal(Buffer.from(decrypted.Plaintext ?? []).toString(), 'to Trent in SM2');
  });
});
