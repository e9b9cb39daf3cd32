/**
 * Imported key material, in-process with a manual clock: every refusal of GetParametersForImport,
 * ImportKeyMaterial and DeleteImportedKeyMaterial (asserting type and message), the import
 * token's 24 hours, and material expiring at ValidTo (the sweep's expireDueMaterial). Material
 * is wrapped here with node:crypto's RSA-OAEP; test/functional/key-import.test.ts wraps it with
 * the openssl CLI.
 */
import assert from 'node:assert/strict';
import { constants, createHmac, createPublicKey, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { expireDueMaterial } from '../../src/domain/key-import.js';
import { b64, clientError, createTestApp, keyArn, type TestApp } from '../helpers/in-process.js';

const DAY_MS = 86_400_000;

async function params(t: TestApp, keyId: string, algorithm = 'RSAES_OAEP_SHA_256') {
  const answer = await t.ok('GetParametersForImport', { KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: 'RSA_2048' });
  return { token: answer.ImportToken as string, publicKey: Buffer.from(answer.PublicKey as string, 'base64') };
}

function oaep(publicKey: Buffer, material: Buffer): string {
  const key = createPublicKey({ key: publicKey, format: 'der', type: 'spki' });
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, material).toString('base64');
}

/** An ImportKeyMaterial body for `material`, with fresh parameters. */
async function importBody(t: TestApp, keyId: string, material: Buffer, extra: Record<string, unknown> = { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }) {
  const p = await params(t, keyId);
  return { KeyId: keyId, ImportToken: p.token, EncryptedKeyMaterial: oaep(p.publicKey, material), ...extra };
}

describe('import refusals', () => {
  it('ImportKeyMaterial: expiry rules, AWS recorded the first', async () => {
    const t = createTestApp();
    const { keyId } = await t.createKey({ Origin: 'EXTERNAL' });
    const material = randomBytes(32);
    const now = t.clock.now() / 1000;
    const rows: [Record<string, unknown>, string][] = [
      [{}, 'A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES'],
      [{ ExpirationModel: 'KEY_MATERIAL_EXPIRES' }, 'A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES'],
      [{ ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ValidTo: now + 3600 }, 'A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE'],
      [{ ValidTo: now }, 'The validTo date must be in the future.'],
      [{ ValidTo: now + 365 * 86_400 + 1 }, 'The validTo date must be at most 365 days from now.'],
    ];
    for (const [extra, message] of rows) {
      assert.deepEqual(await t.error('ImportKeyMaterial', await importBody(t, keyId, material, extra)), clientError('ValidationException', message), JSON.stringify(extra));
    }
    await t.ok('ImportKeyMaterial', await importBody(t, keyId, material, { ValidTo: now + 365 * 86_400 }));
  });

  it('the import token: 24 hours, then ExpiredImportTokenException; another key\'s, or a forged one, InvalidImportTokenException', async () => {
    const t = createTestApp();
    const { keyId } = await t.createKey({ Origin: 'EXTERNAL' });
    const other = await t.createKey({ Origin: 'EXTERNAL' });
    const p = await params(t, keyId);
    const body = { KeyId: keyId, ImportToken: p.token, EncryptedKeyMaterial: oaep(p.publicKey, randomBytes(32)), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' };
    const invalid = clientError('InvalidImportTokenException', 'The import token is invalid or was not issued for this KMS key.');
    assert.deepEqual(await t.error('ImportKeyMaterial', { ...body, KeyId: other.keyId }), invalid);
    const forged = Buffer.from(p.token, 'base64');
    forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 1;
    assert.deepEqual(await t.error('ImportKeyMaterial', { ...body, ImportToken: b64(forged) }), invalid);
    const elsewhere = createTestApp(); // another root key: its tokens are not ours
    const foreign = await elsewhere.createKey({ Origin: 'EXTERNAL' });
    const foreignParams = await params(elsewhere, foreign.keyId);
    assert.deepEqual(await t.error('ImportKeyMaterial', { ...body, ImportToken: foreignParams.token }), invalid);

    t.clock.advance(DAY_MS);
    assert.deepEqual(await t.error('ImportKeyMaterial', body), clientError('ExpiredImportTokenException', 'The import token has expired. Call GetParametersForImport for a new one.'));
    t.clock.advance(-1);
    await t.ok('ImportKeyMaterial', body);
  });

  it('key kinds, states and import types', async () => {
    const t = createTestApp();
    const generated = await t.createKey();
    const ed25519 = await t.createKey({ Origin: 'EXTERNAL', KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY' });
    const p256 = await t.createKey({ Origin: 'EXTERNAL', KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const hmac = await t.createKey({ Origin: 'EXTERNAL', KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const { keyId } = await t.createKey({ Origin: 'EXTERNAL' });
    const arn = keyArn(keyId);
    const material = randomBytes(32);
    const origin = clientError('UnsupportedOperationException', `${keyArn(generated.keyId)} origin is AWS_KMS which is not valid for this operation.`);
    assert.deepEqual(await t.error('GetParametersForImport', { KeyId: generated.keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }), origin);
    assert.deepEqual(await t.error('DeleteImportedKeyMaterial', { KeyId: generated.keyId }), origin);
    assert.deepEqual(
      await t.error('GetParametersForImport', { KeyId: keyId, WrappingAlgorithm: 'RSAES_PKCS1_V1_5', WrappingKeySpec: 'RSA_2048' }),
      clientError('UnsupportedOperationException', 'The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported. Choose an RSAES_OAEP or RSA_AES_KEY_WRAP algorithm.'),
    );
    assert.deepEqual(
      await t.error('ImportKeyMaterial', await importBody(t, ed25519.keyId, material)),
      clientError('UnsupportedOperationException', 'Importing key material into ECC_NIST_EDWARDS25519 KMS keys is not supported by this Trent server yet.'),
    );
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'der' });
    for (const wrong of [material, p384]) {
      assert.deepEqual(
        await t.error('ImportKeyMaterial', await importBody(t, p256.keyId, wrong)),
        clientError('ValidationException', 'The key material is not a DER PKCS#8 private key of key spec ECC_NIST_P256.'),
      );
    }
    assert.deepEqual(
      await t.error('ImportKeyMaterial', await importBody(t, hmac.keyId, randomBytes(31))),
      clientError('ValidationException', 'Key material for a HMAC_256 KMS key must be 32 to 64 bytes.'),
    );
    assert.deepEqual(
      await t.error('ImportKeyMaterial', await importBody(t, hmac.keyId, material, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', KeyMaterialDescription: 'x' })),
      clientError('ValidationException', 'ImportType, KeyMaterialId and KeyMaterialDescription are only usable with symmetric encryption keys.'),
    );
    assert.deepEqual(await t.error('ImportKeyMaterial', await importBody(t, keyId, randomBytes(16))), clientError('ValidationException', 'Key material for a SYMMETRIC_DEFAULT KMS key must be 32 bytes.'));
    assert.deepEqual(
      await t.error('ImportKeyMaterial', await importBody(t, keyId, material, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportType: 'NEW_KEY_MATERIAL', KeyMaterialId: 'a'.repeat(64) })),
      clientError('ValidationException', 'You cannot specify a KeyMaterialId with ImportType NEW_KEY_MATERIAL.'),
    );
    assert.deepEqual(
      await t.error('ImportKeyMaterial', await importBody(t, keyId, material, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportType: 'EXISTING_KEY_MATERIAL' })),
      clientError('ValidationException', `No key material has been imported into ${arn}; use ImportType NEW_KEY_MATERIAL.`),
    );
    assert.deepEqual(await t.error('DeleteImportedKeyMaterial', { KeyId: keyId }), clientError('KMSInvalidStateException', `${arn} is pending import.`));

    const imported = await t.ok('ImportKeyMaterial', await importBody(t, keyId, material));
    assert.deepEqual(await t.error('ImportKeyMaterial', await importBody(t, keyId, material)), clientError('KMSInvalidStateException', `${arn} is in state Enabled, which is not valid for this operation.`));
    assert.deepEqual(
      await t.error('ImportKeyMaterial', await importBody(t, keyId, randomBytes(32), { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportType: 'NEW_KEY_MATERIAL' })),
      clientError('UnsupportedOperationException', 'Importing new key material for an on-demand rotation is not supported by this Trent server yet.'),
    );
    for (const operation of ['RotateKeyOnDemand', 'EnableKeyRotation']) {
      assert.deepEqual(await t.error(operation, { KeyId: keyId }), clientError('UnsupportedOperationException', `${arn} origin is EXTERNAL which is not valid for this operation.`));
    }
    assert.deepEqual(await t.error('DeleteImportedKeyMaterial', { KeyId: keyId, KeyMaterialId: 'b'.repeat(64) }), clientError('ValidationException', `Key material ${'b'.repeat(64)} is not associated with ${arn}.`));
    await t.ok('DeleteImportedKeyMaterial', { KeyId: keyId, KeyMaterialId: imported.KeyMaterialId });
    assert.deepEqual(
      await t.error('ImportKeyMaterial', await importBody(t, keyId, material, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', KeyMaterialId: 'c'.repeat(64) })),
      clientError('IncorrectKeyMaterialException', `Key material ${'c'.repeat(64)} is not associated with ${arn}.`),
    );
    assert.deepEqual(
      await t.error('ImportKeyMaterial', await importBody(t, keyId, randomBytes(32))),
      clientError('IncorrectKeyMaterialException', 'The key material does not match the key material previously imported into this KMS key.'),
    );
    await t.ok('ImportKeyMaterial', await importBody(t, keyId, material));
    await t.ok('ScheduleKeyDeletion', { KeyId: keyId });
    assert.deepEqual(await t.error('GetParametersForImport', { KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }), clientError('KMSInvalidStateException', `${arn} is pending deletion.`));
  });
});

describe('HMAC key material', () => {
  for (const [spec, hash, lengths] of [
    ['HMAC_224', 'sha224', [28, 64]],
    ['HMAC_256', 'sha256', [32, 64]],
    ['HMAC_384', 'sha384', [48, 128]],
    ['HMAC_512', 'sha512', [64, 128]],
  ] as const) {
    it(`${spec}: material of ${lengths[0]} and ${lengths[1]} bytes imports, and GenerateMac is node:crypto's HMAC under it`, async () => {
      const t = createTestApp();
      for (const length of lengths) {
        const { keyId } = await t.createKey({ Origin: 'EXTERNAL', KeySpec: spec, KeyUsage: 'GENERATE_VERIFY_MAC' });
        const material = randomBytes(length);
        await t.ok('ImportKeyMaterial', await importBody(t, keyId, material));
        const mac = await t.ok('GenerateMac', { KeyId: keyId, Message: b64('imported'), MacAlgorithm: `HMAC_SHA_${spec.slice(5)}` });
        assert.equal(mac.Mac, createHmac(hash, material).update('imported').digest('base64'));
      }
    });
  }
});

describe('expiry', () => {
  it('material is deleted when the clock passes ValidTo: PendingImport, no expiry shown; the same material brings the key back', async () => {
    const t = createTestApp();
    const { keyId } = await t.createKey({ Origin: 'EXTERNAL' });
    const material = randomBytes(32);
    const validTo = t.clock.now() + 2 * DAY_MS;
    await t.ok('ImportKeyMaterial', await importBody(t, keyId, material, { ValidTo: validTo / 1000, KeyMaterialDescription: 'expires' }));
    const blob = (await t.ok('Encrypt', { KeyId: keyId, Plaintext: b64('kept') })).CiphertextBlob;
    const metadata = async () => (await t.ok('DescribeKey', { KeyId: keyId })).KeyMetadata as Record<string, unknown>;
    assert.deepEqual([(await metadata()).ExpirationModel, (await metadata()).ValidTo], ['KEY_MATERIAL_EXPIRES', validTo / 1000]);

    t.clock.advance(2 * DAY_MS - 1);
    assert.deepEqual(await expireDueMaterial(t.services.store, t.clock.now()), []);
    t.clock.advance(1);
    assert.deepEqual(await expireDueMaterial(t.services.store, t.clock.now()), [keyId]);
    assert.deepEqual(await expireDueMaterial(t.services.store, t.clock.now()), [], 'once');
    const after = await metadata();
    assert.equal(after.KeyState, 'PendingImport');
    assert.equal(after.ExpirationModel, undefined);
    assert.equal(after.ValidTo, undefined);
    assert.deepEqual(await t.error('Decrypt', { CiphertextBlob: blob }), clientError('KMSInvalidStateException', `${keyArn(keyId)} is pending import.`));
    const stored = await t.services.store.getMaterial({ keyId, region: 'us-east-1' }, 1);
    assert.equal(stored?.wrapped.length, 0, 'the wrapped material is gone from the store');
    assert.equal(stored?.importState, 'PENDING_IMPORT');

    await t.ok('ImportKeyMaterial', await importBody(t, keyId, material));
    assert.equal(Buffer.from((await t.ok('Decrypt', { CiphertextBlob: blob })).Plaintext as string, 'base64').toString(), 'kept');
    assert.equal((await t.services.store.getMaterial({ keyId, region: 'us-east-1' }, 1))?.description, 'expires', 'the description is kept when not given again');
  });

  it('CancelKeyDeletion of a key whose material was deleted leaves it PendingImport', async () => {
    const t = createTestApp();
    const { keyId } = await t.createKey({ Origin: 'EXTERNAL' });
    await t.ok('ImportKeyMaterial', await importBody(t, keyId, randomBytes(32)));
    await t.ok('DeleteImportedKeyMaterial', { KeyId: keyId });
    await t.ok('ScheduleKeyDeletion', { KeyId: keyId });
    await t.ok('CancelKeyDeletion', { KeyId: keyId });
    assert.equal(((await t.ok('DescribeKey', { KeyId: keyId })).KeyMetadata as { KeyState: string }).KeyState, 'PendingImport');
  });
});
