/**
 * New imported material for a multi-Region key through the AWS SDK over HTTP, with clients of
 * two Regions, the material wrapped outside Trent by the openssl CLI (RSAES-OAEP-SHA-256): the
 * steps AWS's ImportKeyMaterial reference gives (NEW_KEY_MATERIAL into the primary, the same
 * material into the replica with EXISTING_KEY_MATERIAL, then RotateKeyOnDemand on the primary),
 * and what ListKeyRotations shows between them. The rules and refusals run in-process in
 * test/operations/multi-region-import.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  ListKeyRotationsCommand,
  ReplicateKeyCommand,
  RotateKeyOnDemandCommand,
  type ImportType,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { awsError } from '../helpers/clients.js';
import { createKey, keyArn, useServer } from '../helpers/functional.js';

const server = useServer();
const workDir = mkdtempSync(join(tmpdir(), 'trent-mr-import-test-'));
after(() => rmSync(workDir, { recursive: true, force: true }));
let serial = 0;

/** `material` wrapped by `openssl pkeyutl` with RSAES-OAEP-SHA-256 under the DER public key. */
function opensslOaep(publicKeyDer: Uint8Array, material: Buffer): Buffer {
  const pem = createPublicKey({ key: Buffer.from(publicKeyDer), format: 'der', type: 'spki' }).export({ type: 'spki', format: 'pem' });
  const pub = join(workDir, `${serial}-wrapping.pem`);
  const plain = join(workDir, `${serial}-plain.bin`);
  const out = join(workDir, `${serial++}-wrapped.bin`);
  writeFileSync(pub, pem);
  writeFileSync(plain, material);
  execFileSync('openssl', [
    'pkeyutl', '-encrypt', '-pubin', '-inkey', pub, '-in', plain, '-out', out,
    '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256',
  ]);
  rmSync(plain);
  return readFileSync(out);
}

async function importMaterial(kms: KMSClient, keyId: string, material: Buffer, importType?: ImportType, materialId?: string): Promise<string> {
  const params = await kms.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }));
  assert.ok(params.ImportToken && params.PublicKey);
  const answer = await kms.send(
    new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: params.ImportToken,
      EncryptedKeyMaterial: opensslOaep(params.PublicKey, material),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      ...(importType !== undefined && { ImportType: importType }),
      ...(materialId !== undefined && { KeyMaterialId: materialId }),
    }),
  );
  assert.ok(answer.KeyMaterialId);
  return answer.KeyMaterialId;
}

async function materialStates(kms: KMSClient, keyId: string) {
  const { Rotations } = await kms.send(new ListKeyRotationsCommand({ KeyId: keyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }));
  return (Rotations ?? []).map((r) => [r.KeyMaterialId, r.KeyMaterialState, r.ImportState]);
}

async function currentMaterial(kms: KMSClient, keyId: string) {
  return (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.CurrentKeyMaterialId;
}

describe('new imported material for a multi-Region key, in two Regions', () => {
  test('NEW_KEY_MATERIAL into the primary, EXISTING_KEY_MATERIAL into the replica, RotateKeyOnDemand: both Regions rotate to it', async () => {
    const east = server.client('us-east-1');
    const west = server.client('eu-west-1');
    const key = await createKey(east, { MultiRegion: true, Origin: 'EXTERNAL' });
    const firstMaterial = randomBytes(32);
    const first = await importMaterial(east, key.KeyId, firstMaterial);
    await east.send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: 'eu-west-1' }));
    assert.equal(await importMaterial(west, key.KeyId, firstMaterial), first);
    const before = await west.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('before') }));

    const next = randomBytes(32);
    const intoReplica = await awsError(() => importMaterial(west, key.KeyId, next, 'NEW_KEY_MATERIAL'));
    assert.deepEqual([intoReplica.name, intoReplica.status], ['UnsupportedOperationException', 400]);
    assert.match(intoReplica.message, /^You cannot import new key material directly into the replica Region key /);

    const pending = await importMaterial(east, key.KeyId, next, 'NEW_KEY_MATERIAL');
    assert.deepEqual(await materialStates(west, key.KeyId), [
      [first, 'CURRENT', 'IMPORTED'],
      [pending, 'PENDING_MULTI_REGION_IMPORT_AND_ROTATION', 'PENDING_IMPORT'],
    ]);
    assert.deepEqual(await materialStates(east, key.KeyId), [
      [first, 'CURRENT', 'IMPORTED'],
      [pending, 'PENDING_MULTI_REGION_IMPORT_AND_ROTATION', 'IMPORTED'],
    ]);
    const early = await awsError(() => east.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId })));
    assert.deepEqual([early.name, early.status], ['KMSInvalidStateException', 400]);
    assert.ok(early.message.includes(keyArn(key.KeyId, 'eu-west-1')), early.message);

    assert.equal(await importMaterial(west, key.KeyId, next, 'EXISTING_KEY_MATERIAL', pending), pending);
    for (const kms of [east, west]) {
      assert.deepEqual(await materialStates(kms, key.KeyId), [
        [first, 'CURRENT', 'IMPORTED'],
        [pending, 'PENDING_ROTATION', 'IMPORTED'],
      ]);
    }
    await east.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
    assert.equal(await currentMaterial(east, key.KeyId), pending);
    assert.equal(await currentMaterial(west, key.KeyId), pending);

    const afterRotation = await east.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('after') }));
    for (const kms of [east, west]) {
      const old = await kms.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob }));
      assert.deepEqual([Buffer.from(old.Plaintext ?? []).toString(), old.KeyMaterialId], ['before', first]);
      const now = await kms.send(new DecryptCommand({ CiphertextBlob: afterRotation.CiphertextBlob }));
      assert.deepEqual([Buffer.from(now.Plaintext ?? []).toString(), now.KeyMaterialId], ['after', pending]);
    }
  });
});
