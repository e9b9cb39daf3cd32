/**
 * New imported material for multi-Region keys, in-process with a manual clock (AWS's
 * ImportKeyMaterial, ListKeyRotations, RotateKeyOnDemand and DeleteImportedKeyMaterial
 * references; domain/key-import.ts): NEW_KEY_MATERIAL into the primary, the same material into
 * each replica with EXISTING_KEY_MATERIAL, PENDING_MULTI_REGION_IMPORT_AND_ROTATION until every
 * replica holds it, one rotation of every regional record, and deletion of the primary's pending
 * material reaching the replicas. Material is wrapped here with node:crypto's RSA-OAEP, outside
 * Trent. Runs on the memory store and, with TRENT_TEST_DATABASE_URL set, on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { messages } from '../../src/errors.js';
import { b64, clientError, keyArn, type TestApp } from '../helpers/in-process.js';
import { storeBackends, testApps } from '../helpers/store-backends.js';

const EAST = { region: 'us-east-1' };
const WEST = { region: 'eu-west-1' };
const SOUTH = { region: 'ap-southeast-2' };
const NEW = { ImportType: 'NEW_KEY_MATERIAL' };

interface Rotation {
  KeyId: string;
  KeyMaterialId: string;
  KeyMaterialState: string;
  ImportState?: string;
  RotationDate?: number;
  RotationType?: string;
}

/** ImportKeyMaterial of `material` into the key in `options`' Region, wrapped under fresh parameters. */
async function importInto(t: TestApp, keyId: string, material: Buffer, options: { region: string }, extra: Record<string, unknown> = {}) {
  const p = await t.ok('GetParametersForImport', { KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }, options);
  const publicKey = createPublicKey({ key: Buffer.from(p.PublicKey as string, 'base64'), format: 'der', type: 'spki' });
  const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, material);
  return t.call(
    'ImportKeyMaterial',
    { KeyId: keyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: b64(wrapped), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ...extra },
    options,
  );
}

/** A refused call as clientError() spells it. */
const wire = (answer: { status: number; body: unknown }) => ({ status: answer.status, ...(answer.body as object) });

async function imported(t: TestApp, keyId: string, material: Buffer, options: { region: string }, extra: Record<string, unknown> = {}): Promise<string> {
  const answer = await importInto(t, keyId, material, options, extra);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return (answer.body as { KeyMaterialId: string }).KeyMaterialId;
}

async function rotations(t: TestApp, keyId: string, options: { region: string }): Promise<Rotation[]> {
  return (await t.ok('ListKeyRotations', { KeyId: keyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }, options)).Rotations as Rotation[];
}

/** The KeyMaterialState and ImportState of each material version, as listed in a Region. */
async function states(t: TestApp, keyId: string, options: { region: string }): Promise<[string, string, string | undefined][]> {
  return (await rotations(t, keyId, options)).map((r) => [r.KeyMaterialId, r.KeyMaterialState, r.ImportState]);
}

async function currentMaterial(t: TestApp, keyId: string, options: { region: string }): Promise<string> {
  return ((await t.ok('DescribeKey', { KeyId: keyId }, options)).KeyMetadata as { CurrentKeyMaterialId: string }).CurrentKeyMaterialId;
}

async function encrypt(t: TestApp, keyId: string, text: string, options: { region: string }): Promise<string> {
  return (await t.ok('Encrypt', { KeyId: keyId, Plaintext: b64(text) }, options)).CiphertextBlob as string;
}

async function decrypt(t: TestApp, blob: string, options: { region: string }): Promise<[string, unknown]> {
  const answer = await t.ok('Decrypt', { CiphertextBlob: blob }, options);
  return [Buffer.from(answer.Plaintext as string, 'base64').toString(), answer.KeyMaterialId];
}

const backends = storeBackends('trent_mr_import');

for (const backend of backends) {
  describe(backend.name, { skip: backend.skip }, () => {
    /** A test app on a fresh store of this backend. */
    const app = testApps(backend);

    /** An EXTERNAL multi-Region primary in us-east-1 with its first material, replicated (and imported) into `regions`. */
    async function importedKeySet(t: TestApp, regions: { region: string }[]) {
      const { keyId } = await t.createKey({ MultiRegion: true, Origin: 'EXTERNAL' });
      const material = randomBytes(32);
      const first = await imported(t, keyId, material, EAST);
      for (const options of regions) {
        await t.ok('ReplicateKey', { KeyId: keyId, ReplicaRegion: options.region });
        assert.equal(await imported(t, keyId, material, options), first);
      }
      return { keyId, first };
    }

    describe('new imported material for multi-Region keys', () => {
      it('NEW_KEY_MATERIAL into the primary: the replicas learn its KeyMaterialId and take the same material (other material: IncorrectKeyMaterialException); a replica refuses NEW_KEY_MATERIAL', async () => {
        const t = await app();
        const { keyId, first } = await importedKeySet(t, [WEST]);
        const next = randomBytes(32);

        const refused = await importInto(t, keyId, next, WEST, NEW);
        assert.deepEqual(wire(refused), clientError('UnsupportedOperationException', messages.newMaterialIntoReplica(keyArn(keyId, 'eu-west-1'))));
        assert.deepEqual(await states(t, keyId, WEST), [[first, 'CURRENT', 'IMPORTED']], 'the refused import left nothing behind');

        const pending = await imported(t, keyId, next, EAST, NEW);
        assert.deepEqual(await states(t, keyId, EAST), [
          [first, 'CURRENT', 'IMPORTED'],
          [pending, 'PENDING_MULTI_REGION_IMPORT_AND_ROTATION', 'IMPORTED'],
        ]);
        assert.deepEqual(await states(t, keyId, WEST), [
          [first, 'CURRENT', 'IMPORTED'],
          [pending, 'PENDING_MULTI_REGION_IMPORT_AND_ROTATION', 'PENDING_IMPORT'],
        ]);

        const other = await importInto(t, keyId, randomBytes(32), WEST, { ImportType: 'EXISTING_KEY_MATERIAL', KeyMaterialId: pending });
        assert.deepEqual(wire(other), clientError('IncorrectKeyMaterialException', messages.incorrectKeyMaterial));
        assert.equal(await imported(t, keyId, next, WEST, { ImportType: 'EXISTING_KEY_MATERIAL', KeyMaterialId: pending }), pending);
        for (const options of [EAST, WEST]) {
          assert.deepEqual(await states(t, keyId, options), [
            [first, 'CURRENT', 'IMPORTED'],
            [pending, 'PENDING_ROTATION', 'IMPORTED'],
          ], options.region);
          assert.equal(await currentMaterial(t, keyId, options), first, 'material pending rotation is not used');
        }
      });

      it('a replica made after the import learns of the pending material too; a replica whose material expires does not take it', async () => {
        const t = await app();
        const { keyId } = await importedKeySet(t, []);
        const pending = await imported(t, keyId, randomBytes(32), EAST, NEW);
        await t.ok('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'eu-west-1' });
        assert.deepEqual((await states(t, keyId, WEST))[1], [pending, 'PENDING_MULTI_REGION_IMPORT_AND_ROTATION', 'PENDING_IMPORT']);

        // Trent keeps one expiry per key (domain/key-import.ts): a replica whose material expires takes no new material.
        const expiring = await app();
        const { keyId: other } = await expiring.createKey({ MultiRegion: true, Origin: 'EXTERNAL' });
        const material = randomBytes(32);
        await imported(expiring, other, material, EAST);
        await expiring.ok('ReplicateKey', { KeyId: other, ReplicaRegion: 'eu-west-1' });
        await imported(expiring, other, material, WEST, { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: expiring.clock.now() / 1000 + 86_400 });
        const next = randomBytes(32);
        const nextId = await imported(expiring, other, next, EAST, NEW);
        const refused = await importInto(expiring, other, next, WEST, { ImportType: 'EXISTING_KEY_MATERIAL', KeyMaterialId: nextId });
        assert.deepEqual(wire(refused), clientError('UnsupportedOperationException', messages.expiryPerMaterial));
      });

      it('RotateKeyOnDemand waits for every replica, then rotates every Region to the same version and KeyMaterialId; older ciphertexts decrypt everywhere', async () => {
        const t = await app();
        const { keyId, first } = await importedKeySet(t, [WEST, SOUTH]);
        const before = await encrypt(t, keyId, 'before', WEST);
        const next = randomBytes(32);
        const pending = await imported(t, keyId, next, EAST, NEW);
        await imported(t, keyId, next, WEST, { ImportType: 'EXISTING_KEY_MATERIAL', KeyMaterialId: pending });

        assert.deepEqual(
          await t.error('RotateKeyOnDemand', { KeyId: keyId }),
          clientError('KMSInvalidStateException', messages.pendingMultiRegionImport(pending, keyArn(keyId, 'ap-southeast-2'))),
        );
        assert.deepEqual(
          await t.error('RotateKeyOnDemand', { KeyId: keyId }, WEST),
          clientError('UnsupportedOperationException', messages.notMultiRegionPrimary(keyArn(keyId, 'eu-west-1'))),
        );
        assert.equal(await currentMaterial(t, keyId, WEST), first, 'a refused rotation changed nothing');
        assert.equal((await states(t, keyId, SOUTH))[1]?.[1], 'PENDING_MULTI_REGION_IMPORT_AND_ROTATION');

        await imported(t, keyId, next, SOUTH, { ImportType: 'EXISTING_KEY_MATERIAL', KeyMaterialId: pending });
        t.clock.advance(60_000);
        assert.deepEqual(await t.ok('RotateKeyOnDemand', { KeyId: keyId }), { KeyId: keyArn(keyId) });
        const rotationDate = t.clock.now() / 1000;
        for (const options of [EAST, WEST, SOUTH]) {
          assert.equal(await currentMaterial(t, keyId, options), pending, options.region);
          const listed = await rotations(t, keyId, options);
          assert.deepEqual(listed.map((r) => [r.KeyMaterialId, r.KeyMaterialState, r.RotationType, r.RotationDate]), [
            [first, 'NON_CURRENT', undefined, undefined],
            [pending, 'CURRENT', 'ON_DEMAND', rotationDate],
          ], options.region);
        }
        const after = await encrypt(t, keyId, 'after', SOUTH);
        for (const options of [EAST, WEST, SOUTH]) {
          assert.deepEqual(await decrypt(t, before, options), ['before', first], options.region);
          assert.deepEqual(await decrypt(t, after, options), ['after', pending], options.region);
        }
        assert.deepEqual(
          await t.error('RotateKeyOnDemand', { KeyId: keyId }),
          clientError('KMSInvalidStateException', messages.noPendingRotation(keyArn(keyId))),
        );
      });

      it('DeleteImportedKeyMaterial: the primary\'s pending material goes from the replicas too; a replica\'s deletion leaves the others', async () => {
        const t = await app();
        const { keyId, first } = await importedKeySet(t, [WEST, SOUTH]);
        const next = randomBytes(32);
        const existing = { ImportType: 'EXISTING_KEY_MATERIAL' };
        const pending = await imported(t, keyId, next, EAST, NEW);
        await imported(t, keyId, next, WEST, { ...existing, KeyMaterialId: pending });
        await imported(t, keyId, next, SOUTH, { ...existing, KeyMaterialId: pending });

        assert.deepEqual(await t.ok('DeleteImportedKeyMaterial', { KeyId: keyId, KeyMaterialId: pending }, WEST), { KeyId: keyArn(keyId, 'eu-west-1'), KeyMaterialId: pending });
        assert.deepEqual((await states(t, keyId, WEST))[1], [pending, 'PENDING_MULTI_REGION_IMPORT_AND_ROTATION', 'PENDING_IMPORT']);
        assert.deepEqual((await states(t, keyId, EAST))[1], [pending, 'PENDING_MULTI_REGION_IMPORT_AND_ROTATION', 'IMPORTED']);
        assert.deepEqual((await states(t, keyId, SOUTH))[1], [pending, 'PENDING_MULTI_REGION_IMPORT_AND_ROTATION', 'IMPORTED']);
        assert.equal((await t.error('RotateKeyOnDemand', { KeyId: keyId })).__type, 'KMSInvalidStateException');
        await imported(t, keyId, next, WEST, { ...existing, KeyMaterialId: pending });

        assert.deepEqual(await t.ok('DeleteImportedKeyMaterial', { KeyId: keyId, KeyMaterialId: pending }), { KeyId: keyArn(keyId), KeyMaterialId: pending });
        for (const options of [EAST, WEST, SOUTH]) {
          assert.deepEqual(await states(t, keyId, options), [
            [first, 'CURRENT', 'IMPORTED'],
            [pending, 'PENDING_ROTATION', 'PENDING_IMPORT'],
          ], options.region);
          assert.equal(((await t.ok('DescribeKey', { KeyId: keyId }, options)).KeyMetadata as { KeyState: string }).KeyState, 'Enabled', options.region);
        }
        assert.deepEqual(
          await t.error('RotateKeyOnDemand', { KeyId: keyId }),
          clientError('KMSInvalidStateException', messages.noPendingRotation(keyArn(keyId))),
        );

        // Other material takes its place, and the replicas learn the new KeyMaterialId.
        const replacement = randomBytes(32);
        const replacementId = await imported(t, keyId, replacement, EAST, NEW);
        assert.notEqual(replacementId, pending);
        assert.deepEqual((await states(t, keyId, SOUTH))[1], [replacementId, 'PENDING_MULTI_REGION_IMPORT_AND_ROTATION', 'PENDING_IMPORT']);
        const stale = await importInto(t, keyId, next, SOUTH, { ...existing, KeyMaterialId: replacementId });
        assert.deepEqual(wire(stale), clientError('IncorrectKeyMaterialException', messages.incorrectKeyMaterial));
      });
    });
  });
}
