/**
 * GetKeyLastUsage and its batched bookkeeping (src/domain/key-usage.ts), in-process: which
 * operations count (successful cryptographic ones, on every key they answer with), that requests
 * write nothing to the store until a flush writes them in one batch, that a server answers its
 * own uses before any flush, and AWS's errors (no aliases).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyUsageTracker } from '../../src/domain/key-usage.js';
import { ManualClock } from '../../src/domain/clock.js';
import { MemoryStore } from '../../src/storage/memory.js';
import type { KeyUsageRecord } from '../../src/storage/types.js';
import { b64, clientError, createTestApp, keyArn } from '../helpers/in-process.js';

/** A memory store that counts the batches written to it. */
class CountingStore extends MemoryStore {
  batches: (readonly KeyUsageRecord[])[] = [];
  failNext = false;
  override async recordKeyUsage(usages: readonly KeyUsageRecord[]): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('the database is away');
    }
    this.batches.push(usages);
    return super.recordKeyUsage(usages);
  }
}

describe('GetKeyLastUsage', () => {
  it('a new key: empty KeyLastUsage, TrackingStartDate and KeyCreationDate its creation', async () => {
    const t = createTestApp();
    const key = await t.createKey();
    const created = t.clock.now() / 1000;
    assert.deepEqual(await t.ok('GetKeyLastUsage', { KeyId: key.keyId }), {
      KeyId: keyArn(key.keyId),
      KeyLastUsage: {},
      TrackingStartDate: created,
      KeyCreationDate: created,
    });
  });

  it('the last successful operation, its time and request id, by key id or ARN', async () => {
    const t = createTestApp();
    const key = await t.createKey();
    t.clock.advance(5000);
    const encrypted = await t.call('Encrypt', { KeyId: key.keyId, Plaintext: b64('x') });
    assert.equal(encrypted.status, 200);
    const usage = await t.ok('GetKeyLastUsage', { KeyId: key.arn });
    assert.deepEqual(usage.KeyLastUsage, { Operation: 'Encrypt', Timestamp: t.clock.now() / 1000, KmsRequestId: encrypted.headers['x-amzn-requestid'] });

    t.clock.advance(1000);
    const decrypted = await t.call('Decrypt', { CiphertextBlob: encrypted.body.CiphertextBlob });
    assert.deepEqual((await t.ok('GetKeyLastUsage', { KeyId: key.keyId })).KeyLastUsage, {
      Operation: 'Decrypt',
      Timestamp: t.clock.now() / 1000,
      KmsRequestId: decrypted.headers['x-amzn-requestid'],
    });
  });

  it("a use is the key's in the Region of the ARN answered, outside us-east-1 too", async () => {
    const t = createTestApp();
    const west = { region: 'eu-west-1' };
    const key = await t.createKey({}, west);
    assert.equal(key.region, 'eu-west-1');
    await t.ok('Encrypt', { KeyId: key.keyId, Plaintext: b64('x') }, west);
    assert.equal(((await t.ok('GetKeyLastUsage', { KeyId: key.keyId }, west)).KeyLastUsage as { Operation?: string }).Operation, 'Encrypt');
    await t.services.keyUsage.flush();
    assert.equal((await t.services.store.getKeyUsage(key))?.operation, 'Encrypt', 'stored for the eu-west-1 record');
  });

  it('failures, dry runs and reads are not uses; ReEncrypt is a use of both keys', async () => {
    const t = createTestApp();
    const key = await t.createKey();
    const other = await t.createKey();
    const blob = (await t.ok('Encrypt', { KeyId: key.keyId, Plaintext: b64('x'), EncryptionContext: { a: 'b' } })).CiphertextBlob;
    const last = async (keyId: string) => ((await t.ok('GetKeyLastUsage', { KeyId: keyId })).KeyLastUsage as { Operation?: string }).Operation;
    assert.equal((await t.call('Decrypt', { CiphertextBlob: blob })).status, 400, 'wrong context');
    assert.equal((await t.call('Encrypt', { KeyId: key.keyId, Plaintext: b64('x'), DryRun: true })).status, 400);
    await t.ok('DescribeKey', { KeyId: key.keyId });
    await t.ok('RotateKeyOnDemand', { KeyId: key.keyId });
    assert.equal(await last(key.keyId), 'Encrypt');
    assert.equal(await last(other.keyId), undefined);
    await t.ok('ReEncrypt', { CiphertextBlob: blob, SourceEncryptionContext: { a: 'b' }, DestinationKeyId: other.keyId });
    assert.equal(await last(key.keyId), 'ReEncrypt');
    assert.equal(await last(other.keyId), 'ReEncrypt');
  });

  it('Sign, Verify, GenerateMac count for their keys', async () => {
    const t = createTestApp();
    const signing = await t.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const mac = await t.createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const signature = (await t.ok('Sign', { KeyId: signing.keyId, Message: b64('m'), SigningAlgorithm: 'ECDSA_SHA_256' })).Signature;
    await t.ok('Verify', { KeyId: signing.keyId, Message: b64('m'), SigningAlgorithm: 'ECDSA_SHA_256', Signature: signature });
    await t.ok('GenerateMac', { KeyId: mac.keyId, Message: b64('m'), MacAlgorithm: 'HMAC_SHA_256' });
    assert.equal(((await t.ok('GetKeyLastUsage', { KeyId: signing.keyId })).KeyLastUsage as { Operation: string }).Operation, 'Verify');
    assert.equal(((await t.ok('GetKeyLastUsage', { KeyId: mac.keyId })).KeyLastUsage as { Operation: string }).Operation, 'GenerateMac');
  });

  it('refuses an alias, an alias ARN and an unknown key as AWS does', async () => {
    const t = createTestApp();
    const key = await t.createKey();
    await t.ok('CreateAlias', { AliasName: 'alias/used', TargetKeyId: key.keyId });
    assert.deepEqual(await t.error('GetKeyLastUsage', { KeyId: 'alias/used' }), clientError('NotFoundException', "Invalid keyId 'alias/used'"));
    const aliasArn = `arn:aws:kms:us-east-1:111122223333:alias/used`;
    assert.deepEqual(await t.error('GetKeyLastUsage', { KeyId: aliasArn }), clientError('NotFoundException', `Invalid keyId '${aliasArn}'`));
    const unknown = '0badc0de-0000-4000-8000-00000000dead';
    assert.deepEqual(await t.error('GetKeyLastUsage', { KeyId: unknown }), clientError('NotFoundException', `Key '${keyArn(unknown)}' does not exist`));
  });

  it('a key created before tracking began is tracked from then on', async () => {
    const t = createTestApp();
    const key = await t.createKey();
    const scope = { account: '111122223333', region: 'us-east-1' };
    const stored = await t.services.store.getKey(scope, key.keyId);
    assert.ok(stored);
    const since = stored.createdAt + 86_400_000;
    assert.equal(await t.services.store.updateKey({ ...stored, usageTrackedSince: since }, stored.revision), true);
    const usage = await t.ok('GetKeyLastUsage', { KeyId: key.keyId });
    assert.equal(usage.TrackingStartDate, since / 1000);
    assert.equal(usage.KeyCreationDate, stored.createdAt / 1000);
  });
});

describe('batched writes', () => {
  it('a hundred Encrypts write nothing to the store; one flush writes one batch with one use per key', async () => {
    const store = new CountingStore();
    const t = createTestApp({ store });
    const a = await t.createKey();
    const b = await t.createKey();
    for (let i = 0; i < 50; i++) {
      await t.ok('Encrypt', { KeyId: a.keyId, Plaintext: b64('x') });
      await t.ok('Encrypt', { KeyId: b.keyId, Plaintext: b64('y') });
    }
    assert.equal(store.batches.length, 0, 'no write per request');
    assert.equal(await store.getKeyUsage(a), undefined);
    assert.equal(((await t.ok('GetKeyLastUsage', { KeyId: a.keyId })).KeyLastUsage as { Operation?: string }).Operation, 'Encrypt', 'answered before any flush');
    await t.services.keyUsage.flush();
    assert.equal(store.batches.length, 1);
    assert.deepEqual(store.batches[0]?.map((u) => u.keyId).sort(), [a.keyId, b.keyId].sort());
    assert.equal((await store.getKeyUsage(a))?.operation, 'Encrypt');
    await t.services.keyUsage.flush();
    assert.equal(store.batches.length, 1, 'nothing pending, nothing written');
  });

  it('a failed flush keeps its uses for the next one, unless a newer use replaced them', async () => {
    const store = new CountingStore();
    const clock = new ManualClock();
    const tracker = new KeyUsageTracker(store, clock);
    const key = { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', region: 'r' };
    await store.createKey({ account: 'a', region: 'r', keyId: key.keyId, createdAt: 0, description: '', keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'AWS_KMS', state: 'Enabled', policy: '{}', tags: [], currentMaterialVersion: 1, revision: 1 });
    tracker.record(key, 'Encrypt', 'r1');
    store.failNext = true;
    await tracker.flush();
    assert.equal(await store.getKeyUsage(key), undefined);
    await tracker.flush();
    assert.equal((await store.getKeyUsage(key))?.requestId, 'r1');
    clock.advance(1);
    tracker.record(key, 'Decrypt', 'r2');
    assert.equal((await tracker.last(key))?.requestId, 'r2', 'the unwritten use is newer than the stored one');
    await tracker.stop();
    assert.equal((await store.getKeyUsage(key))?.requestId, 'r2', 'stop() writes what is pending');
  });

  it('tracks each Region of one key id on its own (a multi-Region key has a record, and a last use, per Region)', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const tracker = new KeyUsageTracker(store, clock);
    const keyId = 'mrk-1234abcd12ab34cd56ef1234567890ab';
    const east = { keyId, region: 'us-east-1' };
    const west = { keyId, region: 'eu-west-1' };
    for (const where of [east, west]) {
      await store.createKey({ account: 'a', ...where, createdAt: 0, description: '', keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'AWS_KMS', state: 'Enabled', policy: '{}', tags: [], currentMaterialVersion: 1, revision: 1 });
    }
    const start = clock.now();
    tracker.record(east, 'Encrypt', 'east');
    clock.advance(5);
    tracker.record(west, 'Decrypt', 'west');
    assert.equal((await tracker.last(east))?.requestId, 'east', "the later use in another Region is not this Region's");
    await tracker.flush();
    assert.deepEqual(await store.getKeyUsage(east), { ...east, operation: 'Encrypt', at: start, requestId: 'east' });
    assert.deepEqual(await store.getKeyUsage(west), { ...west, operation: 'Decrypt', at: start + 5, requestId: 'west' });
  });

  it("another server's later use, already stored, wins over this one's older unwritten use", async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const mine = new KeyUsageTracker(store, clock);
    const theirs = new KeyUsageTracker(store, clock);
    const key = { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', region: 'r' };
    await store.createKey({ account: 'a', region: 'r', keyId: key.keyId, createdAt: 0, description: '', keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'AWS_KMS', state: 'Enabled', policy: '{}', tags: [], currentMaterialVersion: 1, revision: 1 });
    mine.record(key, 'Encrypt', 'mine');
    clock.advance(10);
    theirs.record(key, 'Decrypt', 'theirs');
    await theirs.flush();
    assert.equal((await mine.last(key))?.requestId, 'theirs');
    await mine.flush();
    assert.equal((await store.getKeyUsage(key))?.requestId, 'theirs', 'the older batch does not replace it');
  });
});
