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
import { encodeSeedPkcs8 } from '../../src/crypto/post-quantum-der.js';
import { messages } from '../../src/errors.js';
import { b64, clientError, createTestApp, keyArn, type TestApp } from '../helpers/in-process.js';

const DAY_MS = 86_400_000;

async function currentId(t: TestApp, keyId: string): Promise<unknown> {
  return ((await t.ok('DescribeKey', { KeyId: keyId })).KeyMetadata as { CurrentKeyMaterialId: unknown }).CurrentKeyMaterialId;
}

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
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'der' });
    assert.deepEqual(
      await t.error('ImportKeyMaterial', await importBody(t, ed25519.keyId, p384)),
      clientError('ValidationException', 'The key material is not a DER PKCS#8 private key of key spec ECC_NIST_EDWARDS25519.'),
    );
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
    for (const operation of ['EnableKeyRotation', 'DisableKeyRotation']) {
      assert.deepEqual(await t.error(operation, { KeyId: keyId }), clientError('UnsupportedOperationException', `${arn} origin is EXTERNAL which is not valid for this operation.`));
    }
    assert.deepEqual(await t.error('RotateKeyOnDemand', { KeyId: keyId }), clientError('KMSInvalidStateException', `No available key material pending rotation for the key: ${arn}.`));
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

  it('DeleteImportedKeyMaterial of a key pending deletion leaves it so (AWS: "does not change the KMS key\'s state"); a PendingImport key may lose another material', async () => {
    const t = createTestApp();
    const { keyId } = await t.createKey({ Origin: 'EXTERNAL' });
    const arn = keyArn(keyId);
    const state = async () => ((await t.ok('DescribeKey', { KeyId: keyId })).KeyMetadata as { KeyState: string }).KeyState;
    const first = (await t.ok('ImportKeyMaterial', await importBody(t, keyId, randomBytes(32)))).KeyMaterialId;
    await t.ok('ImportKeyMaterial', await importBody(t, keyId, randomBytes(32), { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportType: 'NEW_KEY_MATERIAL' }));
    await t.ok('RotateKeyOnDemand', { KeyId: keyId });
    await t.ok('ScheduleKeyDeletion', { KeyId: keyId });
    assert.deepEqual(await t.ok('DeleteImportedKeyMaterial', { KeyId: keyId }), { KeyId: arn, KeyMaterialId: await currentId(t, keyId) });
    assert.equal(await state(), 'PendingDeletion');
    await t.ok('CancelKeyDeletion', { KeyId: keyId });
    assert.equal(await state(), 'PendingImport');
    assert.deepEqual(await t.error('DeleteImportedKeyMaterial', { KeyId: keyId }), clientError('KMSInvalidStateException', `${arn} is pending import.`), 'the current material is already gone');
    await t.ok('DeleteImportedKeyMaterial', { KeyId: keyId, KeyMaterialId: first });
    assert.equal(await state(), 'PendingImport');
  });
});

describe('new key material and on-demand rotation (ImportType NEW_KEY_MATERIAL)', () => {
  const arnOf = keyArn;
  async function rotations(t: TestApp, keyId: string, all = true) {
    return (await t.ok('ListKeyRotations', { KeyId: keyId, ...(all && { IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }) })).Rotations as Record<string, unknown>[];
  }
  async function currentMaterialId(t: TestApp, keyId: string) {
    return ((await t.ok('DescribeKey', { KeyId: keyId })).KeyMetadata as { CurrentKeyMaterialId: string }).CurrentKeyMaterialId;
  }
  async function decrypt(t: TestApp, blob: unknown) {
    const answer = await t.ok('Decrypt', { CiphertextBlob: blob });
    return [Buffer.from(answer.Plaintext as string, 'base64').toString(), answer.KeyMaterialId];
  }

  it('new material waits PENDING_ROTATION, unused; RotateKeyOnDemand makes it current; older ciphertexts decrypt', async () => {
    const t = createTestApp();
    const { keyId } = await t.createKey({ Origin: 'EXTERNAL' });
    const arn = arnOf(keyId);
    const first = (await t.ok('ImportKeyMaterial', await importBody(t, keyId, randomBytes(32)))).KeyMaterialId as string;
    const before = (await t.ok('Encrypt', { KeyId: keyId, Plaintext: b64('before') })).CiphertextBlob;

    const second = await t.ok('ImportKeyMaterial', await importBody(t, keyId, randomBytes(32), { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportType: 'NEW_KEY_MATERIAL', KeyMaterialDescription: 'next' }));
    const pendingId = second.KeyMaterialId as string;
    assert.equal(second.KeyId, arn);
    assert.match(pendingId, /^[0-9a-f]{64}$/);
    assert.notEqual(pendingId, first);
    assert.equal(await currentMaterialId(t, keyId), first);
    assert.deepEqual(await rotations(t, keyId, false), [], 'ROTATIONS_ONLY lists no material pending rotation');
    assert.deepEqual(await rotations(t, keyId), [
      { KeyId: keyId, KeyMaterialId: first, KeyMaterialState: 'CURRENT', ImportState: 'IMPORTED', ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' },
      { KeyId: keyId, KeyMaterialId: pendingId, KeyMaterialState: 'PENDING_ROTATION', ImportState: 'IMPORTED', KeyMaterialDescription: 'next', ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' },
    ]);
    const whilePending = (await t.ok('Encrypt', { KeyId: keyId, Plaintext: b64('while pending') })).CiphertextBlob;
    assert.deepEqual(await decrypt(t, whilePending), ['while pending', first], 'material pending rotation is not used to encrypt');

    const third = await t.error('ImportKeyMaterial', await importBody(t, keyId, randomBytes(32), { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportType: 'NEW_KEY_MATERIAL' }));
    assert.equal(third.__type, 'KMSInvalidStateException');
    const refusedId = /^New key material \(id: ([0-9a-f]{64})\) cannot be imported into KMS key (\S+), because another key material \(id: ([0-9a-f]{64})\) is pending rotation\.$/.exec(String(third.message));
    assert.ok(refusedId, String(third.message));
    assert.deepEqual([refusedId[2], refusedId[3]], [arn, pendingId]);
    assert.notEqual(refusedId[1], pendingId);

    t.clock.advance(60_000);
    assert.deepEqual(await t.ok('RotateKeyOnDemand', { KeyId: keyId }), { KeyId: arn });
    assert.equal(await currentMaterialId(t, keyId), pendingId);
    const rotationDate = t.clock.now() / 1000;
    assert.deepEqual(await rotations(t, keyId, false), [
      { KeyId: keyId, KeyMaterialId: pendingId, KeyMaterialState: 'CURRENT', RotationDate: rotationDate, RotationType: 'ON_DEMAND', ImportState: 'IMPORTED', KeyMaterialDescription: 'next', ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' },
    ]);
    assert.equal((await rotations(t, keyId))[0]?.KeyMaterialState, 'NON_CURRENT');
    const after = (await t.ok('Encrypt', { KeyId: keyId, Plaintext: b64('after') })).CiphertextBlob;
    assert.deepEqual(await decrypt(t, before), ['before', first]);
    assert.deepEqual(await decrypt(t, whilePending), ['while pending', first]);
    assert.deepEqual(await decrypt(t, after), ['after', pendingId]);
    const moved = await t.ok('ReEncrypt', { CiphertextBlob: before, DestinationKeyId: keyId });
    assert.deepEqual([moved.SourceKeyMaterialId, moved.DestinationKeyMaterialId], [first, pendingId]);

    assert.deepEqual(await t.error('RotateKeyOnDemand', { KeyId: keyId }), clientError('KMSInvalidStateException', `No available key material pending rotation for the key: ${arn}.`));
    // Rotation has finished when RotateKeyOnDemand answers: no OnDemandRotationStartDate, ever.
    assert.deepEqual(await t.ok('GetKeyRotationStatus', { KeyId: keyId }), { KeyRotationEnabled: false, KeyId: arn });
  });

  it('deleting material pending rotation leaves the key Enabled, and other material may take its place', async () => {
    const t = createTestApp();
    const { keyId } = await t.createKey({ Origin: 'EXTERNAL' });
    const arn = arnOf(keyId);
    const first = (await t.ok('ImportKeyMaterial', await importBody(t, keyId, randomBytes(32)))).KeyMaterialId as string;
    const pendingMaterial = randomBytes(32);
    const newBody = (material: Buffer) => importBody(t, keyId, material, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportType: 'NEW_KEY_MATERIAL' });
    const pending = (await t.ok('ImportKeyMaterial', await newBody(pendingMaterial))).KeyMaterialId as string;
    assert.deepEqual(await t.ok('DeleteImportedKeyMaterial', { KeyId: keyId, KeyMaterialId: pending }), { KeyId: arn, KeyMaterialId: pending });
    assert.equal(((await t.ok('DescribeKey', { KeyId: keyId })).KeyMetadata as { KeyState: string }).KeyState, 'Enabled');
    assert.deepEqual((await rotations(t, keyId))[1], { KeyId: keyId, KeyMaterialId: pending, KeyMaterialState: 'PENDING_ROTATION', ImportState: 'PENDING_IMPORT' });
    assert.deepEqual(await t.error('RotateKeyOnDemand', { KeyId: keyId }), clientError('KMSInvalidStateException', `No available key material pending rotation for the key: ${arn}.`));

    // The same material comes back as it was; then deleted again, different material replaces it.
    await t.ok('ImportKeyMaterial', await importBody(t, keyId, pendingMaterial, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', KeyMaterialId: pending }));
    assert.equal((await rotations(t, keyId))[1]?.ImportState, 'IMPORTED');
    await t.ok('DeleteImportedKeyMaterial', { KeyId: keyId, KeyMaterialId: pending });
    const replacement = (await t.ok('ImportKeyMaterial', await newBody(randomBytes(32)))).KeyMaterialId as string;
    assert.deepEqual((await rotations(t, keyId)).map((r) => [r.KeyMaterialId, r.KeyMaterialState, r.ImportState]), [
      [first, 'CURRENT', 'IMPORTED'],
      [replacement, 'PENDING_ROTATION', 'IMPORTED'],
    ]);
    await t.ok('RotateKeyOnDemand', { KeyId: keyId });
    assert.equal(await currentMaterialId(t, keyId), replacement);
  });

  it('every material but one pending rotation is needed: deleting an older one makes the key PendingImport until it is imported again', async () => {
    const t = createTestApp();
    const { keyId } = await t.createKey({ Origin: 'EXTERNAL' });
    const arn = arnOf(keyId);
    const firstMaterial = randomBytes(32);
    const first = (await t.ok('ImportKeyMaterial', await importBody(t, keyId, firstMaterial))).KeyMaterialId as string;
    const before = (await t.ok('Encrypt', { KeyId: keyId, Plaintext: b64('under the first') })).CiphertextBlob;
    const second = (await t.ok('ImportKeyMaterial', await importBody(t, keyId, randomBytes(32), { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportType: 'NEW_KEY_MATERIAL' }))).KeyMaterialId as string;
    await t.ok('RotateKeyOnDemand', { KeyId: keyId });
    const after = (await t.ok('Encrypt', { KeyId: keyId, Plaintext: b64('under the second') })).CiphertextBlob;

    assert.deepEqual(await t.ok('DeleteImportedKeyMaterial', { KeyId: keyId, KeyMaterialId: first }), { KeyId: arn, KeyMaterialId: first });
    const metadata = (await t.ok('DescribeKey', { KeyId: keyId })).KeyMetadata as Record<string, unknown>;
    assert.deepEqual([metadata.KeyState, metadata.CurrentKeyMaterialId], ['PendingImport', second]);
    assert.deepEqual(await t.error('Decrypt', { CiphertextBlob: after }), clientError('KMSInvalidStateException', `${arn} is pending import.`));
    assert.deepEqual(
      await t.error('ImportKeyMaterial', await importBody(t, keyId, firstMaterial, { ValidTo: t.clock.now() / 1000 + 3600, KeyMaterialId: first })),
      clientError('UnsupportedOperationException', messages.expiryPerMaterial),
    );
    await t.ok('ImportKeyMaterial', await importBody(t, keyId, firstMaterial, { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', KeyMaterialId: first }));
    const back = (await t.ok('DescribeKey', { KeyId: keyId })).KeyMetadata as Record<string, unknown>;
    assert.deepEqual([back.KeyState, back.CurrentKeyMaterialId], ['Enabled', second], 'importing an older material again does not make it current');
    assert.deepEqual(await decrypt(t, before), ['under the first', first]);
    assert.deepEqual(await decrypt(t, after), ['under the second', second]);
  });

  it('concurrent requests: of two NEW_KEY_MATERIAL imports one is taken, of two RotateKeyOnDemand one rotates', async () => {
    const t = createTestApp();
    const { keyId } = await t.createKey({ Origin: 'EXTERNAL' });
    await t.ok('ImportKeyMaterial', await importBody(t, keyId, randomBytes(32)));
    const newType = { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportType: 'NEW_KEY_MATERIAL' };
    const bodies = [await importBody(t, keyId, randomBytes(32), newType), await importBody(t, keyId, randomBytes(32), newType)];
    const imports = await Promise.all(bodies.map((body) => t.call('ImportKeyMaterial', body)));
    assert.deepEqual(imports.map((r) => r.status).sort(), [200, 400]);
    assert.equal(imports.find((r) => r.status === 400)?.body.__type, 'KMSInvalidStateException');
    const rotated = await Promise.all([t.call('RotateKeyOnDemand', { KeyId: keyId }), t.call('RotateKeyOnDemand', { KeyId: keyId })]);
    assert.deepEqual(rotated.map((r) => r.status).sort(), [200, 400]);
    assert.equal(rotated.find((r) => r.status === 400)?.body.message, `No available key material pending rotation for the key: ${arnOf(keyId)}.`);
    assert.deepEqual((await rotations(t, keyId)).map((r) => r.KeyMaterialState), ['NON_CURRENT', 'CURRENT']);
  });

  it('refusals: expiring material, material already associated, keys that are not symmetric, state, and the quota of 25', async () => {
    const t = createTestApp();
    const newType = { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ImportType: 'NEW_KEY_MATERIAL' };
    const expiring = await t.createKey({ Origin: 'EXTERNAL' });
    await t.ok('ImportKeyMaterial', await importBody(t, expiring.keyId, randomBytes(32), { ValidTo: t.clock.now() / 1000 + 3600 }));
    const perMaterial = clientError('UnsupportedOperationException', messages.expiryPerMaterial);
    assert.deepEqual(await t.error('ImportKeyMaterial', await importBody(t, expiring.keyId, randomBytes(32), newType)), perMaterial);

    const { keyId } = await t.createKey({ Origin: 'EXTERNAL' });
    const arn = arnOf(keyId);
    const material = randomBytes(32);
    const first = (await t.ok('ImportKeyMaterial', await importBody(t, keyId, material))).KeyMaterialId as string;
    assert.deepEqual(await t.error('ImportKeyMaterial', await importBody(t, keyId, randomBytes(32), { ImportType: 'NEW_KEY_MATERIAL', ValidTo: t.clock.now() / 1000 + 3600 })), perMaterial);
    assert.deepEqual(
      await t.error('ImportKeyMaterial', await importBody(t, keyId, material, newType)),
      clientError('ValidationException', `This key material is already associated with ${arn} as key material ${first}; use ImportType EXISTING_KEY_MATERIAL.`),
    );
    const hmac = await t.createKey({ Origin: 'EXTERNAL', KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    await t.ok('ImportKeyMaterial', await importBody(t, hmac.keyId, randomBytes(32)));
    assert.deepEqual(
      await t.error('ImportKeyMaterial', await importBody(t, hmac.keyId, randomBytes(32), newType)),
      clientError('ValidationException', 'ImportType, KeyMaterialId and KeyMaterialDescription are only usable with symmetric encryption keys.'),
    );
    assert.deepEqual(await t.error('ImportKeyMaterial', await importBody(t, hmac.keyId, randomBytes(32))), clientError('KMSInvalidStateException', `${arnOf(hmac.keyId)} is in state Enabled, which is not valid for this operation.`));
    assert.deepEqual(await t.error('RotateKeyOnDemand', { KeyId: hmac.keyId }), clientError('UnsupportedOperationException', ''));

    await t.ok('DisableKey', { KeyId: keyId });
    await t.ok('ImportKeyMaterial', await importBody(t, keyId, randomBytes(32), newType));
    assert.deepEqual(await t.error('RotateKeyOnDemand', { KeyId: keyId }), clientError('DisabledException', `${arn} is disabled.`));
    await t.ok('EnableKey', { KeyId: keyId });
    await t.ok('ScheduleKeyDeletion', { KeyId: keyId });
    assert.deepEqual(await t.error('RotateKeyOnDemand', { KeyId: keyId }), clientError('KMSInvalidStateException', `${arn} is pending deletion.`));

    const limited = await t.createKey({ Origin: 'EXTERNAL' });
    await t.ok('ImportKeyMaterial', await importBody(t, limited.keyId, randomBytes(32)));
    for (let i = 0; i < 25; i++) {
      await t.ok('ImportKeyMaterial', await importBody(t, limited.keyId, randomBytes(32), newType));
      await t.ok('RotateKeyOnDemand', { KeyId: limited.keyId });
    }
    await t.ok('ImportKeyMaterial', await importBody(t, limited.keyId, randomBytes(32), newType));
    assert.deepEqual(
      await t.error('RotateKeyOnDemand', { KeyId: limited.keyId }),
      clientError('LimitExceededException', `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${arnOf(limited.keyId)}`),
    );
    assert.equal((await rotations(t, limited.keyId, false)).length, 25);
  });
});

describe('asymmetric key material that is not what the key spec takes', () => {
  const notPkcs8 = (spec: string) => clientError('ValidationException', `The key material is not a DER PKCS#8 private key of key spec ${spec}.`);

  it('ML-DSA and ML-KEM: only the seed form of the key\'s own parameter set', async () => {
    const t = createTestApp();
    const mlDsaKey = await t.createKey({ Origin: 'EXTERNAL', KeySpec: 'ML_DSA_44', KeyUsage: 'SIGN_VERIFY' });
    const mlKem768 = await t.createKey({ Origin: 'EXTERNAL', KeySpec: 'ML_KEM_768', KeyUsage: 'ENCAPSULATE_DECAPSULATE' });
    const mlDsa65Seed = encodeSeedPkcs8('ML-DSA-65', randomBytes(32));
    const mlDsa44Seed = randomBytes(32);
    const mlDsa44 = encodeSeedPkcs8('ML-DSA-44', mlDsa44Seed);
    // The expanded form (RFC 9881's expandedKey OCTET STRING) is refused: only the seed is taken.
    const expanded = Buffer.concat([mlDsa44.subarray(0, 2), Buffer.from([0x04, 0x20]), mlDsa44Seed]);
    for (const wrong of [mlDsa65Seed, mlDsa44.subarray(0, mlDsa44.length - 1), expanded, randomBytes(32)]) {
      assert.deepEqual(await t.error('ImportKeyMaterial', await importBody(t, mlDsaKey.keyId, wrong)), notPkcs8('ML_DSA_44'));
    }
    assert.deepEqual(await t.error('ImportKeyMaterial', await importBody(t, mlKem768.keyId, encodeSeedPkcs8('ML-KEM-512', randomBytes(64)))), notPkcs8('ML_KEM_768'));
    await t.ok('ImportKeyMaterial', await importBody(t, mlDsaKey.keyId, mlDsa44));
    assert.equal(((await t.ok('GetPublicKey', { KeyId: mlDsaKey.keyId })).KeySpec as string), 'ML_DSA_44');
  });

  it('SM2: the public point the PKCS#8 carries must be the private key\'s', async () => {
    const t = createTestApp({ allowSm2Everywhere: true });
    const key = await t.createKey({ Origin: 'EXTERNAL', KeySpec: 'SM2', KeyUsage: 'SIGN_VERIFY' });
    const [one, two] = [generateKeyPairSync('ec', { namedCurve: 'SM2' }), generateKeyPairSync('ec', { namedCurve: 'SM2' })];
    const pkcs8 = one.privateKey.export({ type: 'pkcs8', format: 'der' });
    const otherPoint = two.publicKey.export({ type: 'spki', format: 'der' }).subarray(-65);
    const spliced = Buffer.concat([pkcs8.subarray(0, pkcs8.length - 65), otherPoint]);
    assert.deepEqual(await t.error('ImportKeyMaterial', await importBody(t, key.keyId, spliced)), notPkcs8('SM2'));
    await t.ok('ImportKeyMaterial', await importBody(t, key.keyId, pkcs8));
    assert.equal((await t.ok('GetPublicKey', { KeyId: key.keyId })).PublicKey, one.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'));
  });
});
