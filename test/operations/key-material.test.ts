/**
 * Key material over time, in-process (issue 21): ciphertexts of envelope format 1 (written before
 * format 2) still decrypt through Decrypt and ReEncrypt; UpdateKeyDescription and its errors.
 * Format-1 blobs are built here by hand from the layout documented in src/crypto/envelope.ts,
 * under the key's own material, as a server of the earlier version wrote them.
 */
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { encodeEncryptionContext } from '../../src/crypto/encryption-context.js';
import { b64, createTestApp, keyArn, type CreatedKey } from '../helpers/in-process.js';
import { errorRows, inProcessFixture, unknownKeyRow, type ErrorRow } from './error-table.js';

/** A format-1 blob: 0x01 || key id || u32be version || nonce || tag || AES-256-GCM(material). */
function formatOneBlob(material: Buffer, keyId: string, version: number, plaintext: Buffer, context: Record<string, string>): Buffer {
  const header = Buffer.alloc(21);
  header[0] = 1;
  Buffer.from(keyId.replaceAll('-', ''), 'hex').copy(header, 1);
  header.writeUInt32BE(version, 17);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', material, nonce);
  cipher.setAAD(Buffer.concat([header, encodeEncryptionContext(context)]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, nonce, cipher.getAuthTag(), body]);
}

describe('envelope format 1 ciphertexts still decrypt', () => {
  it('Decrypt and ReEncrypt open a format-1 blob; ReEncrypt answers a format-2 blob', async () => {
    const t = createTestApp();
    const key = await t.createKey();
    const { secret } = await t.services.materials.symmetric(key, 1);
    const material = secret.export();
    const context = { purpose: 'format one' };
    const old = formatOneBlob(material, key.keyId, 1, Buffer.from('written by an earlier Trent'), context);

    const decrypted = await t.ok('Decrypt', { CiphertextBlob: b64(old), EncryptionContext: context });
    assert.equal(Buffer.from(decrypted.Plaintext as string, 'base64').toString(), 'written by an earlier Trent');
    assert.equal(decrypted.KeyMaterialId, key.materialId);

    const moved = await t.ok('ReEncrypt', { CiphertextBlob: b64(old), SourceEncryptionContext: context, DestinationKeyId: key.keyId });
    const blob = Buffer.from(moved.CiphertextBlob as string, 'base64');
    assert.equal(blob[0], 2, 'ReEncrypt writes format 2');
    assert.equal(blob.length, 65 + 'written by an earlier Trent'.length);
    const again = await t.ok('Decrypt', { CiphertextBlob: moved.CiphertextBlob });
    assert.equal(Buffer.from(again.Plaintext as string, 'base64').toString(), 'written by an earlier Trent');

    const tampered = Buffer.from(old);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    assert.deepEqual(await t.error('Decrypt', { CiphertextBlob: b64(tampered), EncryptionContext: context }), {
      status: 400,
      __type: 'InvalidCiphertextException',
      message: '',
    });
    assert.deepEqual((await t.error('Decrypt', { CiphertextBlob: b64(old) })).__type, 'InvalidCiphertextException', 'the context is bound');
  });

  it('Encrypt writes format 2: 65 bytes of overhead, a fresh salt each time', async () => {
    const t = createTestApp();
    const key = await t.createKey();
    const blobs = await Promise.all(
      [1, 2, 3].map(async () => Buffer.from((await t.ok('Encrypt', { KeyId: key.keyId, Plaintext: b64('abc') })).CiphertextBlob as string, 'base64')),
    );
    for (const blob of blobs) {
      assert.equal(blob[0], 2);
      assert.equal(blob.length, 65 + 3);
    }
    assert.equal(new Set(blobs.map((b) => b.subarray(21, 37).toString('hex'))).size, 3);
  });
});

interface Keys {
  key: CreatedKey;
  pendingDeletion: CreatedKey;
  external: CreatedKey;
}

describe('UpdateKeyDescription', () => {
  it('replaces the description, in Enabled, Disabled and PendingImport keys, by key id or ARN', async () => {
    const t = createTestApp();
    const key = await t.createKey({ Description: 'before' });
    assert.deepEqual(await t.ok('UpdateKeyDescription', { KeyId: key.keyId, Description: 'after' }), {});
    assert.equal(((await t.ok('DescribeKey', { KeyId: key.keyId })).KeyMetadata as { Description: string }).Description, 'after');
    await t.ok('DisableKey', { KeyId: key.keyId });
    await t.ok('UpdateKeyDescription', { KeyId: key.arn, Description: '' });
    assert.equal(((await t.ok('DescribeKey', { KeyId: key.keyId })).KeyMetadata as { Description: string }).Description, '');
    const external = await t.createKey({ Origin: 'EXTERNAL' });
    await t.ok('UpdateKeyDescription', { KeyId: external.keyId, Description: 'x'.repeat(8192) });
    assert.equal(((await t.ok('DescribeKey', { KeyId: external.keyId })).KeyMetadata as { Description: string }).Description.length, 8192);
  });

  const fixture = inProcessFixture(async (t): Promise<Keys> => {
    const key = await t.createKey();
    const pendingDeletion = await t.createKey();
    await t.ok('ScheduleKeyDeletion', { KeyId: pendingDeletion.keyId });
    await t.ok('CreateAlias', { AliasName: 'alias/described', TargetKeyId: key.keyId });
    return { key, pendingDeletion, external: await t.createKey({ Origin: 'EXTERNAL' }) };
  });
  const rows: ErrorRow<Keys>[] = [
    {
      name: 'a key pending deletion',
      operation: 'UpdateKeyDescription',
      body: (f) => ({ KeyId: f.pendingDeletion.keyId, Description: 'x' }),
      error: 'KMSInvalidStateException',
      message: (f) => `${keyArn(f.pendingDeletion.keyId)} is pending deletion.`,
    },
    {
      name: 'an alias (key id or ARN only)',
      operation: 'UpdateKeyDescription',
      body: () => ({ KeyId: 'alias/described', Description: 'x' }),
      error: 'NotFoundException',
      message: "Invalid keyId 'alias/described'",
    },
    unknownKeyRow('an unknown key', 'UpdateKeyDescription', (keyId) => ({ KeyId: keyId, Description: 'x' })),
    {
      name: 'a description of 8193 characters',
      operation: 'UpdateKeyDescription',
      body: (f) => ({ KeyId: f.key.keyId, Description: 'x'.repeat(8193) }),
      error: 'ValidationException',
      message: `1 validation error detected: Value '${'x'.repeat(8193)}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192`,
    },
    {
      name: 'no Description',
      operation: 'UpdateKeyDescription',
      body: (f) => ({ KeyId: f.key.keyId }),
      error: 'ValidationException',
      message: "1 validation error detected: Value null at 'description' failed to satisfy constraint: Member must not be null",
    },
  ];
  errorRows(fixture, rows);
});

interface RotationKeys {
  key: CreatedKey;
  disabled: CreatedKey;
  pendingDeletion: CreatedKey;
  external: CreatedKey;
  rsa: CreatedKey;
  hmac: CreatedKey;
  ecc: CreatedKey;
  exhausted: CreatedKey;
}

describe('rotation errors', () => {
  const fixture = inProcessFixture(async (t): Promise<RotationKeys> => {
    const key = await t.createKey();
    const disabled = await t.createKey();
    await t.ok('DisableKey', { KeyId: disabled.keyId });
    const pendingDeletion = await t.createKey();
    await t.ok('ScheduleKeyDeletion', { KeyId: pendingDeletion.keyId });
    const exhausted = await t.createKey();
    for (let i = 0; i < 25; i++) await t.ok('RotateKeyOnDemand', { KeyId: exhausted.keyId });
    await t.ok('CreateAlias', { AliasName: 'alias/rotating', TargetKeyId: key.keyId });
    return {
      key,
      disabled,
      pendingDeletion,
      exhausted,
      external: await t.createKey({ Origin: 'EXTERNAL' }),
      rsa: await t.createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }),
      hmac: await t.createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }),
      ecc: await t.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }),
    };
  });

  const keyOperations = ['EnableKeyRotation', 'DisableKeyRotation', 'RotateKeyOnDemand'] as const;
  const rows: ErrorRow<RotationKeys>[] = [
    ...keyOperations.flatMap((operation): ErrorRow<RotationKeys>[] => [
      ...(['rsa', 'hmac', 'ecc'] as const).map(
        (which): ErrorRow<RotationKeys> => ({
          name: `${operation} of an ${which} key (AWS's recorded empty message)`,
          operation,
          body: (f) => ({ KeyId: f[which].keyId }),
          error: 'UnsupportedOperationException',
          message: '',
        }),
      ),
      {
        name: `${operation} of a disabled key`,
        operation,
        body: (f) => ({ KeyId: f.disabled.keyId }),
        error: 'DisabledException',
        message: (f) => `${keyArn(f.disabled.keyId)} is disabled.`,
      },
      {
        name: `${operation} of a key pending deletion`,
        operation,
        body: (f) => ({ KeyId: f.pendingDeletion.keyId }),
        error: 'KMSInvalidStateException',
        message: (f) => `${keyArn(f.pendingDeletion.keyId)} is pending deletion.`,
      },
      {
        name: `${operation} of a key pending import (state before key kind, as AWS recorded)`,
        operation,
        body: (f) => ({ KeyId: f.external.keyId }),
        error: 'KMSInvalidStateException',
        message: (f) => `${keyArn(f.external.keyId)} is pending import.`,
      },
      {
        name: `${operation} by alias`,
        operation,
        body: () => ({ KeyId: 'alias/rotating' }),
        error: 'NotFoundException',
        message: "Invalid keyId 'alias/rotating'",
      },
      unknownKeyRow(`${operation} of an unknown key`, operation, (keyId) => ({ KeyId: keyId })),
    ]),
    ...(['GetKeyRotationStatus', 'ListKeyRotations'] as const).flatMap((operation): ErrorRow<RotationKeys>[] => [
      ...(['rsa', 'hmac'] as const).map(
        (which): ErrorRow<RotationKeys> => ({
          name: `${operation} of an ${which} key`,
          operation,
          body: (f) => ({ KeyId: f[which].keyId }),
          error: 'UnsupportedOperationException',
          message: '',
        }),
      ),
      {
        name: `${operation} by alias`,
        operation,
        body: () => ({ KeyId: 'alias/rotating' }),
        error: 'NotFoundException',
        message: "Invalid keyId 'alias/rotating'",
      },
      unknownKeyRow(`${operation} of an unknown key`, operation, (keyId) => ({ KeyId: keyId })),
    ]),
    {
      name: 'the 26th on-demand rotation',
      operation: 'RotateKeyOnDemand',
      body: (f) => ({ KeyId: f.exhausted.keyId }),
      error: 'LimitExceededException',
      message: (f) =>
        `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${keyArn(f.exhausted.keyId)}`,
    },
    {
      name: 'RotationPeriodInDays 89',
      operation: 'EnableKeyRotation',
      body: (f) => ({ KeyId: f.key.keyId, RotationPeriodInDays: 89 }),
      error: 'ValidationException',
      message: "1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90",
    },
    {
      name: 'RotationPeriodInDays 2561',
      operation: 'EnableKeyRotation',
      body: (f) => ({ KeyId: f.key.keyId, RotationPeriodInDays: 2561 }),
      error: 'ValidationException',
      message: "1 validation error detected: Value '2561' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to 2560",
    },
    {
      name: 'a marker ListKeyRotations did not give',
      operation: 'ListKeyRotations',
      body: (f) => ({ KeyId: f.key.keyId, Marker: 'bm90LWEtdmVyc2lvbg' }),
      error: 'InvalidMarkerException',
      message: 'Invalid marker',
    },
    {
      name: 'IncludeKeyMaterial outside its enum',
      operation: 'ListKeyRotations',
      body: (f) => ({ KeyId: f.key.keyId, IncludeKeyMaterial: 'SOME' }),
      error: 'ValidationException',
      message: "1 validation error detected: Value 'SOME' at 'includeKeyMaterial' failed to satisfy constraint: Member must satisfy enum value set: [ALL_KEY_MATERIAL, ROTATIONS_ONLY]",
    },
  ];
  errorRows(fixture, rows);

  it('the refusals rotated nothing: the 25 on-demand rotations stand, the other keys have one material', async () => {
    const { t, f } = fixture;
    const rotations = await t.ok('ListKeyRotations', { KeyId: f.exhausted.keyId, Limit: 1000 });
    assert.equal((rotations.Rotations as unknown[]).length, 25);
    for (const which of ['key', 'disabled', 'pendingDeletion'] as const) {
      assert.deepEqual((await t.services.store.listMaterials(f[which], { limit: 10 })).length, 1, which);
    }
  });
});

describe('GetKeyRotationStatus of a key in any state', () => {
  it('answers for Disabled, PendingDeletion and PendingImport keys too, with the key ARN', async () => {
    const t = createTestApp();
    const external = await t.createKey({ Origin: 'EXTERNAL' });
    assert.deepEqual(await t.ok('GetKeyRotationStatus', { KeyId: external.keyId }), { KeyRotationEnabled: false, KeyId: keyArn(external.keyId) });
    const key = await t.createKey();
    await t.ok('EnableKeyRotation', { KeyId: key.keyId });
    await t.ok('DisableKey', { KeyId: key.keyId });
    const status = await t.ok('GetKeyRotationStatus', { KeyId: key.arn });
    assert.equal(status.KeyRotationEnabled, true);
    await t.ok('ScheduleKeyDeletion', { KeyId: key.keyId });
    assert.equal((await t.ok('GetKeyRotationStatus', { KeyId: key.keyId })).KeyRotationEnabled, true);
  });
});
