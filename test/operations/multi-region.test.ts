/**
 * Multi-Region keys, in-process with a manual clock (src/domain/multi-region.ts): CreateKey
 * MultiRegion, ReplicateKey and UpdatePrimaryRegion with every refusal (type and message),
 * MultiRegionConfiguration, ciphertexts crossing Regions, the shared rotation (on demand, the
 * schedule, the sweep once per set), imported material in replicas, and the deletion rules of a
 * primary with replicas (PendingReplicaDeletion, then PendingDeletion when the last replica
 * goes). Requests of another Region carry it in their SigV4 credential scope. The suite runs on
 * the memory store and, with TRENT_TEST_DATABASE_URL set, on PostgreSQL, whose transactions span
 * the regional records (the functional tests run on SQLite).
 */
import assert from 'node:assert/strict';
import { constants, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { deleteDueKeys } from '../../src/domain/key-state.js';
import { rotateDueKeys } from '../../src/domain/rotation.js';
import { b64, clientError, keyArn, type TestApp } from '../helpers/in-process.js';
import { storeBackends, testApps } from '../helpers/store-backends.js';

const DAY_MS = 86_400_000;
const EAST = { region: 'us-east-1' };
const WEST = { region: 'eu-west-1' };
const SOUTH = { region: 'ap-southeast-2' };

interface Metadata {
  KeyId: string;
  Arn: string;
  KeyState: string;
  MultiRegion: boolean;
  MultiRegionConfiguration?: { MultiRegionKeyType: string; PrimaryKey: { Arn: string; Region: string }; ReplicaKeys: { Arn: string; Region: string }[] };
  CurrentKeyMaterialId?: string;
  DeletionDate?: number;
  PendingDeletionWindowInDays?: number;
  Description?: string;
}

async function describeKey(t: TestApp, keyId: string, options = EAST): Promise<Metadata> {
  return (await t.ok('DescribeKey', { KeyId: keyId }, options)).KeyMetadata as Metadata;
}

async function primaryKey(t: TestApp, body: Record<string, unknown> = {}): Promise<string> {
  return (await t.createKey({ MultiRegion: true, ...body })).keyId;
}

async function replicate(t: TestApp, keyId: string, region: string, body: Record<string, unknown> = {}) {
  return t.ok('ReplicateKey', { KeyId: keyId, ReplicaRegion: region, ...body });
}

async function encrypt(t: TestApp, keyId: string, text: string, options = EAST): Promise<string> {
  return (await t.ok('Encrypt', { KeyId: keyId, Plaintext: b64(text), EncryptionContext: { app: 'mr' } }, options)).CiphertextBlob as string;
}

async function decrypt(t: TestApp, blob: string, options = EAST): Promise<Record<string, unknown>> {
  return t.ok('Decrypt', { CiphertextBlob: blob, EncryptionContext: { app: 'mr' } }, options);
}

const text = (answer: Record<string, unknown>) => Buffer.from(answer.Plaintext as string, 'base64').toString();

const backends = storeBackends('trent_mr');

for (const backend of backends) {
  describe(backend.name, { skip: backend.skip }, () => {
    /** A test app on a fresh store of this backend. */
    const app = testApps(backend);

    describe('CreateKey MultiRegion', () => {
      it('makes a primary key with an mrk- id and its MultiRegionConfiguration; DescribeKey agrees', async () => {
        const t = await app();
        const created = (await t.ok('CreateKey', { MultiRegion: true })).KeyMetadata as Metadata;
        assert.match(created.KeyId, /^mrk-[0-9a-f]{32}$/);
        assert.equal(created.Arn, keyArn(created.KeyId));
        assert.equal(created.MultiRegion, true);
        assert.deepEqual(created.MultiRegionConfiguration, {
          MultiRegionKeyType: 'PRIMARY',
          PrimaryKey: { Arn: keyArn(created.KeyId), Region: 'us-east-1' },
          ReplicaKeys: [],
        });
        assert.deepEqual((await describeKey(t, created.KeyId)).MultiRegionConfiguration, created.MultiRegionConfiguration);
      });

      it('a single-Region key says MultiRegion false and has no MultiRegionConfiguration', async () => {
        const t = await app();
        const single = (await t.ok('CreateKey', { MultiRegion: false })).KeyMetadata as Metadata;
        assert.match(single.KeyId, /^[0-9a-f-]{36}$/);
        assert.equal(single.MultiRegion, false);
        assert.equal(single.MultiRegionConfiguration, undefined);
      });

      it('asymmetric and HMAC multi-Region keys are made too', async () => {
        const t = await app();
        for (const body of [{ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }]) {
          const metadata = (await t.ok('CreateKey', { MultiRegion: true, ...body })).KeyMetadata as Metadata;
          assert.match(metadata.KeyId, /^mrk-/);
        }
      });
    });

    describe('ReplicateKey', () => {
      it('makes a replica with the same material: ciphertexts cross Regions both ways', async () => {
        const t = await app();
        const keyId = await primaryKey(t, { Description: 'primary' });
        const before = await encrypt(t, keyId, 'made in us-east-1 before the replica');
        assert.equal(Buffer.from(before, 'base64')[0], 3, 'a multi-Region key writes envelope format 3');

        const answer = await replicate(t, keyId, 'eu-west-1', { Description: 'replica', Tags: [{ TagKey: 'site', TagValue: 'dublin' }] });
        const replica = answer.ReplicaKeyMetadata as Metadata;
        assert.equal(replica.KeyId, keyId);
        assert.equal(replica.Arn, keyArn(keyId, 'eu-west-1'));
        assert.equal(replica.KeyState, 'Enabled');
        assert.equal(replica.Description, 'replica');
        assert.deepEqual(replica.MultiRegionConfiguration, {
          MultiRegionKeyType: 'REPLICA',
          PrimaryKey: { Arn: keyArn(keyId), Region: 'us-east-1' },
          ReplicaKeys: [{ Arn: keyArn(keyId, 'eu-west-1'), Region: 'eu-west-1' }],
        });
        assert.deepEqual(answer.ReplicaTags, [{ TagKey: 'site', TagValue: 'dublin' }]);
        assert.equal(typeof answer.ReplicaPolicy, 'string');
        assert.equal(JSON.parse(answer.ReplicaPolicy as string).Statement[0].Principal.AWS, 'arn:aws:iam::111122223333:root');

        const opened = await decrypt(t, before, WEST);
        assert.equal(text(opened), 'made in us-east-1 before the replica');
        assert.equal(opened.KeyId, keyArn(keyId, 'eu-west-1'), 'Decrypt answers the key of its own Region');
        const back = await encrypt(t, keyId, 'made in eu-west-1', WEST);
        assert.equal(text(await decrypt(t, back, EAST)), 'made in eu-west-1');
        const moved = await t.ok('ReEncrypt', { CiphertextBlob: before, SourceEncryptionContext: { app: 'mr' }, DestinationKeyId: keyId }, WEST);
        assert.equal(moved.SourceKeyId, keyArn(keyId, 'eu-west-1'), 'ReEncrypt finds the blob\'s key in its own Region');
        assert.equal(moved.KeyId, keyArn(keyId, 'eu-west-1'));
        assert.equal(text(await t.ok('Decrypt', { CiphertextBlob: moved.CiphertextBlob }, EAST)), 'made in us-east-1 before the replica');

        const primary = await describeKey(t, keyId);
        assert.equal(primary.Description, 'primary');
        assert.deepEqual(primary.MultiRegionConfiguration?.ReplicaKeys, [{ Arn: keyArn(keyId, 'eu-west-1'), Region: 'eu-west-1' }]);
        assert.equal((await describeKey(t, keyId, WEST)).CurrentKeyMaterialId, primary.CurrentKeyMaterialId);
        assert.deepEqual((await t.ok('ListResourceTags', { KeyId: keyId }, WEST)).Tags, [{ TagKey: 'site', TagValue: 'dublin' }]);
        assert.deepEqual((await t.ok('ListResourceTags', { KeyId: keyId })).Tags, [], 'tags are per Region');

        const listed = (await t.ok('ListKeys', {}, WEST)).Keys as { KeyId: string; KeyArn: string }[];
        assert.deepEqual(listed, [{ KeyId: keyId, KeyArn: keyArn(keyId, 'eu-west-1') }], 'ListKeys of eu-west-1 lists the replica');
        await t.services.keyUsage.flush();
        const used = async (options: { region: string }) => ((await t.ok('GetKeyLastUsage', { KeyId: keyId }, options)).KeyLastUsage as { Operation?: string }).Operation;
        assert.deepEqual([await used(EAST), await used(WEST)], ['Decrypt', 'ReEncrypt'], 'each Region keeps its own last use');

        const east = await t.services.store.listMaterials({ keyId, region: 'us-east-1' }, { limit: 10 });
        const west = await t.services.store.listMaterials({ keyId, region: 'eu-west-1' }, { limit: 10 });
        assert.equal(west.length, 1);
        assert.deepEqual(west.map((m) => [m.version, m.materialId, m.wrapped.toString('hex')]), east.map((m) => [m.version, m.materialId, m.wrapped.toString('hex')]));
      });

      it('a second replica: every record lists both replicas; aliases stay in their Region', async () => {
        const t = await app();
        const keyId = await primaryKey(t);
        await replicate(t, keyId, 'eu-west-1');
        await replicate(t, keyId, 'ap-southeast-2');
        const replicas = [
          { Arn: keyArn(keyId, 'ap-southeast-2'), Region: 'ap-southeast-2' },
          { Arn: keyArn(keyId, 'eu-west-1'), Region: 'eu-west-1' },
        ];
        for (const options of [EAST, WEST, SOUTH]) {
          const configuration = (await describeKey(t, keyId, options)).MultiRegionConfiguration;
          assert.deepEqual(configuration?.ReplicaKeys, replicas, options.region);
          assert.equal(configuration?.MultiRegionKeyType, options === EAST ? 'PRIMARY' : 'REPLICA');
        }
        await t.ok('CreateAlias', { AliasName: 'alias/west', TargetKeyId: keyId }, WEST);
        const blob = await encrypt(t, 'alias/west', 'by alias', WEST);
        assert.equal(text(await decrypt(t, blob, SOUTH)), 'by alias');
        assert.equal((await t.error('DescribeKey', { KeyId: 'alias/west' })).__type, 'NotFoundException');
      });

      it('copies the key spec, public key and rotation schedule; a replica of a signing key verifies the primary\'s signatures', async () => {
        const t = await app();
        const keyId = await primaryKey(t, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
        await replicate(t, keyId, 'eu-west-1');
        const east = await t.ok('GetPublicKey', { KeyId: keyId });
        const west = await t.ok('GetPublicKey', { KeyId: keyId }, WEST);
        assert.equal(west.PublicKey, east.PublicKey);
        const signed = await t.ok('Sign', { KeyId: keyId, Message: b64('m'), SigningAlgorithm: 'ECDSA_SHA_256' });
        const verified = await t.ok('Verify', { KeyId: keyId, Message: b64('m'), Signature: signed.Signature, SigningAlgorithm: 'ECDSA_SHA_256' }, WEST);
        assert.equal(verified.SignatureValid, true);

        const rotating = await primaryKey(t);
        await t.ok('EnableKeyRotation', { KeyId: rotating, RotationPeriodInDays: 100 });
        await replicate(t, rotating, 'eu-west-1');
        assert.deepEqual(await t.ok('GetKeyRotationStatus', { KeyId: rotating }, WEST), await t.ok('GetKeyRotationStatus', { KeyId: rotating }).then((s) => ({ ...s, KeyId: keyArn(rotating, 'eu-west-1') })));
      });

      it('two ReplicateKey requests racing for one Region: one replica, the other AlreadyExistsException', async () => {
        const t = await app();
        const keyId = await primaryKey(t);
        const answers = await Promise.all([1, 2, 3].map(() => t.call('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'eu-west-1' })));
        assert.deepEqual(answers.map((a) => a.status).sort(), [200, 400, 400]);
        for (const refused of answers.filter((a) => a.status === 400)) assert.equal(refused.body.__type, 'AlreadyExistsException');
        assert.deepEqual((await describeKey(t, keyId)).MultiRegionConfiguration?.ReplicaKeys.map((r) => r.Region), ['eu-west-1']);
      });

      it('rotations racing a ReplicateKey: the replica ends with every version the primary has, byte for byte', async () => {
        const t = await app();
        const keyId = await primaryKey(t);
        const answers = await Promise.all([
          t.call('RotateKeyOnDemand', { KeyId: keyId }),
          t.call('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'eu-west-1' }),
          t.call('RotateKeyOnDemand', { KeyId: keyId }),
          t.call('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'ap-southeast-2' }),
          t.call('RotateKeyOnDemand', { KeyId: keyId }),
        ]);
        assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200]);
        const versions = async (region: string) =>
          (await t.services.store.listMaterials({ keyId, region }, { limit: 10 })).map((m) => [m.version, m.materialId, m.wrapped.toString('hex')]);
        const east = await versions('us-east-1');
        assert.equal(east.length, 4);
        assert.deepEqual(await versions('eu-west-1'), east);
        assert.deepEqual(await versions('ap-southeast-2'), east);
      });

      it('a Policy of its own, checked for lock-out in the replica Region', async () => {
        const t = await app();
        const keyId = await primaryKey(t);
        const policy = JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }, { Effect: 'Deny', Principal: '*', Action: 'kms:Encrypt', Resource: '*' }],
        });
        const answer = await replicate(t, keyId, 'eu-west-1', { Policy: policy });
        assert.equal(answer.ReplicaPolicy, policy);
        assert.equal((await t.error('Encrypt', { KeyId: keyId, Plaintext: b64('x') }, WEST)).__type, 'AccessDeniedException');
        await encrypt(t, keyId, 'the primary keeps its own policy');

        const locking = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:Encrypt', Resource: '*' }] });
        assert.equal((await t.error('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'ap-southeast-2', Policy: locking })).__type, 'MalformedPolicyDocumentException');
        await replicate(t, keyId, 'ap-southeast-2', { Policy: locking, BypassPolicyLockoutSafetyCheck: true });
      });

      it('refusals: not a multi-Region primary, Region taken or the primary\'s own, another partition, states', async () => {
        const t = await app();
        const single = (await t.createKey()).keyId;
        const keyId = await primaryKey(t);
        await replicate(t, keyId, 'eu-west-1');
        const pending = await primaryKey(t);
        await t.ok('ScheduleKeyDeletion', { KeyId: pending, PendingWindowInDays: 7 });
        const external = await primaryKey(t, { Origin: 'EXTERNAL' });
        const disabled = await primaryKey(t);
        await t.ok('DisableKey', { KeyId: disabled });

        assert.deepEqual(
          await t.error('ReplicateKey', { KeyId: single, ReplicaRegion: 'eu-west-1' }),
          clientError('UnsupportedOperationException', `${keyArn(single)} is not a multi-Region primary key.`),
        );
        assert.deepEqual(
          await t.error('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'ap-southeast-2' }, WEST),
          clientError('UnsupportedOperationException', `${keyArn(keyId, 'eu-west-1')} is not a multi-Region primary key.`),
        );
        assert.deepEqual(
          await t.error('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'eu-west-1' }),
          clientError('AlreadyExistsException', `${keyArn(keyId, 'eu-west-1')} already exists.`),
        );
        assert.deepEqual(
          await t.error('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'us-east-1' }),
          clientError('ValidationException', 'The ReplicaRegion us-east-1 is the Region of the primary key; a replica must be in another Region.'),
        );
        assert.deepEqual(
          await t.error('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'cn-north-1' }),
          clientError('UnsupportedOperationException', 'The Region cn-north-1 is not in the aws partition of the primary key; a replica must be in the same partition.'),
        );
        assert.deepEqual(
          await t.error('ReplicateKey', { KeyId: pending, ReplicaRegion: 'eu-west-1' }),
          clientError('KMSInvalidStateException', `${keyArn(pending)} is pending deletion.`),
        );
        assert.deepEqual(
          await t.error('ReplicateKey', { KeyId: external, ReplicaRegion: 'eu-west-1' }),
          clientError('KMSInvalidStateException', `${keyArn(external)} is pending import.`),
        );
        const missing = 'mrk-00000000000000000000000000000000';
        assert.deepEqual(
          await t.error('ReplicateKey', { KeyId: missing, ReplicaRegion: 'eu-west-1' }),
          clientError('NotFoundException', `Key '${keyArn(missing)}' does not exist`),
        );
        assert.equal((await t.error('ReplicateKey', { KeyId: 'alias/anything', ReplicaRegion: 'eu-west-1' })).__type, 'NotFoundException', 'no aliases');
        assert.deepEqual(
          await t.error('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'moon' }),
          clientError('ValidationException', "1 validation error detected: Value 'moon' at 'replicaRegion' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([a-z]+-){2,3}\\d+$"),
        );
        assert.equal((await t.error('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'us-west-2', Tags: [{ TagKey: 'aws:reserved', TagValue: 'x' }] })).__type, 'TagException');
        // A disabled primary replicates; its replica starts Enabled, as AWS's replicas do.
        assert.equal(((await replicate(t, disabled, 'eu-west-1')).ReplicaKeyMetadata as Metadata).KeyState, 'Enabled');
        assert.equal((await describeKey(t, keyId, SOUTH).catch(() => undefined)), undefined, 'nothing was made by a refusal');
      });
    });

    describe('UpdatePrimaryRegion', () => {
      it('swaps the roles in every record; the new primary replicates and rotates, the old one does not', async () => {
        const t = await app();
        const keyId = await primaryKey(t);
        await replicate(t, keyId, 'eu-west-1');
        await replicate(t, keyId, 'ap-southeast-2');
        assert.deepEqual(await t.ok('UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: 'eu-west-1' }), {});
        for (const options of [EAST, WEST, SOUTH]) {
          const configuration = (await describeKey(t, keyId, options)).MultiRegionConfiguration;
          assert.deepEqual(configuration?.PrimaryKey, { Arn: keyArn(keyId, 'eu-west-1'), Region: 'eu-west-1' }, options.region);
          assert.deepEqual(configuration?.ReplicaKeys.map((r) => r.Region), ['ap-southeast-2', 'us-east-1']);
          assert.equal(configuration?.MultiRegionKeyType, options === WEST ? 'PRIMARY' : 'REPLICA');
        }
        assert.deepEqual(
          await t.error('RotateKeyOnDemand', { KeyId: keyId }),
          clientError('UnsupportedOperationException', `${keyArn(keyId)} is not a multi-Region primary key.`),
        );
        await t.ok('RotateKeyOnDemand', { KeyId: keyId }, WEST);
        assert.equal(
          (await t.error('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'us-west-2' })).__type,
          'UnsupportedOperationException',
        );
        await t.ok('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'us-west-2' }, WEST);
      });

      it('refusals: a replica or single-Region key, no replica there, the primary\'s own Region, keys not Enabled', async () => {
        const t = await app();
        const single = (await t.createKey()).keyId;
        const keyId = await primaryKey(t);
        await replicate(t, keyId, 'eu-west-1');
        assert.deepEqual(
          await t.error('UpdatePrimaryRegion', { KeyId: single, PrimaryRegion: 'eu-west-1' }),
          clientError('UnsupportedOperationException', `${keyArn(single)} is not a multi-Region primary key.`),
        );
        assert.deepEqual(
          await t.error('UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: 'us-east-1' }, WEST),
          clientError('UnsupportedOperationException', `${keyArn(keyId, 'eu-west-1')} is not a multi-Region primary key.`),
        );
        assert.deepEqual(
          await t.error('UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: 'ap-southeast-2' }),
          clientError('NotFoundException', `Key '${keyArn(keyId, 'ap-southeast-2')}' does not exist`),
        );
        assert.deepEqual(
          await t.error('UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: 'us-east-1' }),
          clientError('ValidationException', 'us-east-1 is already the primary Region of this multi-Region key.'),
        );
        // AWS: both keys must be Enabled.
        await t.ok('DisableKey', { KeyId: keyId }, WEST);
        assert.deepEqual(
          await t.error('UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: 'eu-west-1' }),
          clientError('DisabledException', `${keyArn(keyId, 'eu-west-1')} is disabled.`),
        );
        await t.ok('EnableKey', { KeyId: keyId }, WEST);
        await t.ok('DisableKey', { KeyId: keyId });
        assert.deepEqual(
          await t.error('UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: 'eu-west-1' }),
          clientError('DisabledException', `${keyArn(keyId)} is disabled.`),
        );
        await t.ok('EnableKey', { KeyId: keyId });
        await t.ok('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 }, WEST);
        assert.deepEqual(
          await t.error('UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: 'eu-west-1' }),
          clientError('KMSInvalidStateException', `${keyArn(keyId, 'eu-west-1')} is pending deletion.`),
        );
        await t.ok('CancelKeyDeletion', { KeyId: keyId }, WEST);
        await t.ok('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
        assert.deepEqual(
          await t.error('UpdatePrimaryRegion', { KeyId: keyId, PrimaryRegion: 'eu-west-1' }),
          clientError('KMSInvalidStateException', `${keyArn(keyId)} is pending replica deletion.`),
        );
      });
    });

    describe('rotation of a multi-Region key', () => {
      it('only the primary rotates; every Region gets the same new version and KeyMaterialId', async () => {
        const t = await app();
        const keyId = await primaryKey(t);
        await replicate(t, keyId, 'eu-west-1');
        const old = await encrypt(t, keyId, 'before the rotation', WEST);
        for (const operation of ['EnableKeyRotation', 'DisableKeyRotation', 'RotateKeyOnDemand']) {
          assert.deepEqual(
            await t.error(operation, { KeyId: keyId }, WEST),
            clientError('UnsupportedOperationException', `${keyArn(keyId, 'eu-west-1')} is not a multi-Region primary key.`),
            operation,
          );
        }
        await t.ok('RotateKeyOnDemand', { KeyId: keyId });
        const listed = async (options: { region: string }) =>
          ((await t.ok('ListKeyRotations', { KeyId: keyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }, options)).Rotations as Record<string, unknown>[]).map(
            (r) => [r.KeyMaterialId, r.KeyMaterialState, r.RotationType],
          );
        const east = await listed(EAST);
        assert.equal(east.length, 2);
        assert.deepEqual(await listed(WEST), east);
        const current = (await describeKey(t, keyId, WEST)).CurrentKeyMaterialId;
        assert.equal(current, (await describeKey(t, keyId)).CurrentKeyMaterialId);
        assert.equal(current, east[1]?.[0]);
        const fresh = await t.ok('Encrypt', { KeyId: keyId, Plaintext: b64('after') }, WEST);
        const opened = await t.ok('Decrypt', { CiphertextBlob: fresh.CiphertextBlob });
        assert.equal(text(opened), 'after');
        assert.equal(opened.KeyMaterialId, current, 'made under the new material in eu-west-1, opened with it in us-east-1');
        assert.equal(text(await decrypt(t, old, EAST)), 'before the rotation');

        await t.ok('EnableKeyRotation', { KeyId: keyId, RotationPeriodInDays: 90 });
        const west = await t.ok('GetKeyRotationStatus', { KeyId: keyId }, WEST);
        assert.equal(west.KeyRotationEnabled, true);
        assert.equal(west.RotationPeriodInDays, 90);
        assert.equal(west.NextRotationDate, (await t.ok('GetKeyRotationStatus', { KeyId: keyId })).NextRotationDate);
        await t.ok('DisableKeyRotation', { KeyId: keyId });
        assert.equal((await t.ok('GetKeyRotationStatus', { KeyId: keyId }, WEST)).KeyRotationEnabled, false);
      });

      it('the sweep rotates the set once per due date, whichever record it finds; a disabled replica rotates with it', async () => {
        const t = await app();
        const keyId = await primaryKey(t);
        await t.ok('EnableKeyRotation', { KeyId: keyId, RotationPeriodInDays: 90 });
        await replicate(t, keyId, 'eu-west-1');
        await replicate(t, keyId, 'ap-southeast-2');
        await t.ok('DisableKey', { KeyId: keyId }, SOUTH);
        t.clock.advance(91 * DAY_MS);
        const rotations = await rotateDueKeys(t.services.store, t.services.materials, t.clock.now());
        assert.equal(rotations.length, 1, 'one rotation for the whole set');
        assert.deepEqual(await rotateDueKeys(t.services.store, t.services.materials, t.clock.now()), []);
        const ids = await Promise.all([EAST, WEST, SOUTH].map(async (o) => (await t.services.store.getKey({ account: '111122223333', ...o }, keyId))?.currentMaterialVersion));
        assert.deepEqual(ids, [2, 2, 2]);
        const west = await t.services.store.listMaterials({ keyId, region: 'eu-west-1' }, { limit: 10 });
        const east = await t.services.store.listMaterials({ keyId, region: 'us-east-1' }, { limit: 10 });
        assert.deepEqual(west.map((m) => m.materialId), east.map((m) => m.materialId));
        assert.equal(west[1]?.rotationType, 'AUTOMATIC');
        const dates = await Promise.all([EAST, WEST, SOUTH].map(async (o) => (await t.ok('GetKeyRotationStatus', { KeyId: keyId }, o)).NextRotationDate));
        assert.equal(new Set(dates).size, 1);
      });
    });

    describe('deletion of a multi-Region key', () => {
      it('a primary with replicas waits in PendingReplicaDeletion; its window starts when the last replica is deleted', async () => {
        const t = await app();
        const keyId = await primaryKey(t);
        await replicate(t, keyId, 'eu-west-1');
        await replicate(t, keyId, 'ap-southeast-2');
        const scheduled = await t.ok('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 10 });
        assert.deepEqual(scheduled, { KeyId: keyArn(keyId), KeyState: 'PendingReplicaDeletion', PendingWindowInDays: 10 });
        const described = await describeKey(t, keyId);
        assert.equal(described.KeyState, 'PendingReplicaDeletion');
        assert.equal(described.PendingDeletionWindowInDays, 10);
        assert.equal(described.DeletionDate, undefined);

        const arn = keyArn(keyId);
        const refused = clientError('KMSInvalidStateException', `${arn} is pending replica deletion.`);
        assert.deepEqual(await t.error('Encrypt', { KeyId: keyId, Plaintext: b64('x') }), refused);
        assert.deepEqual(await t.error('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' }), refused);
        assert.deepEqual(await t.error('TagResource', { KeyId: keyId, Tags: [{ TagKey: 'a', TagValue: 'b' }] }), refused);
        assert.deepEqual(await t.error('UpdateKeyDescription', { KeyId: keyId, Description: 'd' }), refused);
        assert.deepEqual(await t.error('CreateAlias', { AliasName: 'alias/x', TargetKeyId: keyId }), refused);
        assert.deepEqual(await t.error('EnableKey', { KeyId: keyId }), refused);
        assert.deepEqual(await t.error('DisableKey', { KeyId: keyId }), refused);
        assert.deepEqual(await t.error('ScheduleKeyDeletion', { KeyId: keyId }), refused);
        assert.deepEqual(await t.error('ReplicateKey', { KeyId: keyId, ReplicaRegion: 'us-west-2' }), refused);
        assert.deepEqual(await t.error('RotateKeyOnDemand', { KeyId: keyId }), refused);
        assert.equal((await t.error('CreateGrant', { KeyId: keyId, GranteePrincipal: 'arn:aws:iam::111122223333:root', Operations: ['Decrypt'] })).__type, 'KMSInvalidStateException');
        // The replicas are untouched: usable, and deleted on their own schedules.
        await encrypt(t, keyId, 'still fine', WEST);

        await t.ok('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 }, WEST);
        await t.ok('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 20 }, SOUTH);
        t.clock.advance(8 * DAY_MS);
        assert.equal(await deleteDueKeys(t.services.store, t.clock.now()), 1, 'the eu-west-1 replica');
        assert.equal((await describeKey(t, keyId)).KeyState, 'PendingReplicaDeletion', 'one replica is left');
        assert.deepEqual((await describeKey(t, keyId)).MultiRegionConfiguration?.ReplicaKeys.map((r) => r.Region), ['ap-southeast-2']);

        t.clock.advance(13 * DAY_MS);
        const lastReplicaGone = t.clock.now();
        assert.equal(await deleteDueKeys(t.services.store, t.clock.now()), 1, 'the ap-southeast-2 replica');
        const waiting = await describeKey(t, keyId);
        assert.equal(waiting.KeyState, 'PendingDeletion');
        assert.equal(waiting.DeletionDate, (lastReplicaGone + 10 * DAY_MS) / 1000, 'the window starts when the last replica goes');
        assert.equal(waiting.PendingDeletionWindowInDays, undefined);
        assert.deepEqual(waiting.MultiRegionConfiguration?.ReplicaKeys, []);

        t.clock.advance(10 * DAY_MS - 1);
        assert.equal(await deleteDueKeys(t.services.store, t.clock.now()), 0);
        t.clock.advance(1);
        assert.equal(await deleteDueKeys(t.services.store, t.clock.now()), 1);
        assert.equal((await t.error('DescribeKey', { KeyId: keyId })).__type, 'NotFoundException');
      });

      it('CancelKeyDeletion works from PendingReplicaDeletion; a primary whose replicas are gone is scheduled at once', async () => {
        const t = await app();
        const keyId = await primaryKey(t);
        await replicate(t, keyId, 'eu-west-1');
        await t.ok('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
        assert.deepEqual(await t.ok('CancelKeyDeletion', { KeyId: keyId }), { KeyId: keyArn(keyId) });
        const cancelled = await describeKey(t, keyId);
        assert.equal(cancelled.KeyState, 'Disabled');
        assert.equal(cancelled.PendingDeletionWindowInDays, undefined);
        assert.deepEqual(
          await t.error('CancelKeyDeletion', { KeyId: keyId }),
          clientError('KMSInvalidStateException', `${keyArn(keyId)} is not pending deletion.`),
        );

        await t.ok('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 }, WEST);
        t.clock.advance(7 * DAY_MS);
        assert.equal(await deleteDueKeys(t.services.store, t.clock.now()), 1);
        const scheduled = await t.ok('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 });
        assert.equal(scheduled.KeyState, 'PendingDeletion');
        assert.equal(scheduled.DeletionDate, (t.clock.now() + 7 * DAY_MS) / 1000);
      });

      it('a replica scheduled for deletion can be cancelled, and replicating again after a deletion works', async () => {
        const t = await app();
        const keyId = await primaryKey(t);
        await replicate(t, keyId, 'eu-west-1');
        const blob = await encrypt(t, keyId, 'survives its replica');
        await t.ok('ScheduleKeyDeletion', { KeyId: keyId, PendingWindowInDays: 7 }, WEST);
        t.clock.advance(7 * DAY_MS);
        assert.equal(await deleteDueKeys(t.services.store, t.clock.now()), 1);
        assert.equal((await describeKey(t, keyId)).KeyState, 'Enabled', 'a primary not scheduled stays as it was');
        assert.equal((await t.error('Decrypt', { CiphertextBlob: blob, EncryptionContext: { app: 'mr' } }, WEST)).__type, 'InvalidCiphertextException');
        await replicate(t, keyId, 'eu-west-1');
        assert.equal(text(await decrypt(t, blob, WEST)), 'survives its replica');
      });
    });

    describe('imported key material in a multi-Region key', () => {
      async function importInto(t: TestApp, keyId: string, material: Buffer, options: { region: string }) {
        const p = await t.ok('GetParametersForImport', { KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }, options);
        const publicKey = createPublicKey({ key: Buffer.from(p.PublicKey as string, 'base64'), format: 'der', type: 'spki' });
        const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, material);
        return t.call(
          'ImportKeyMaterial',
          { KeyId: keyId, ImportToken: p.ImportToken, EncryptedKeyMaterial: b64(wrapped), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' },
          options,
        );
      }

      it('the replica is PendingImport; the same material imports, other material is IncorrectKeyMaterialException', async () => {
        const t = await app();
        const keyId = await primaryKey(t, { Origin: 'EXTERNAL' });
        const material = randomBytes(32);
        assert.equal((await importInto(t, keyId, material, EAST)).status, 200);
        const blob = await encrypt(t, keyId, 'imported in both');

        const replica = (await replicate(t, keyId, 'eu-west-1')).ReplicaKeyMetadata as Metadata;
        assert.equal(replica.KeyState, 'PendingImport');
        assert.equal((await t.error('Decrypt', { CiphertextBlob: blob, EncryptionContext: { app: 'mr' } }, WEST)).__type, 'KMSInvalidStateException');
        const other = await importInto(t, keyId, randomBytes(32), WEST);
        assert.equal(other.status, 400);
        assert.equal(other.body.__type, 'IncorrectKeyMaterialException');
        assert.equal((await importInto(t, keyId, material, WEST)).status, 200);
        assert.equal((await describeKey(t, keyId, WEST)).KeyState, 'Enabled');
        assert.equal(text(await decrypt(t, blob, WEST)), 'imported in both');
      });
    });
  });
}
