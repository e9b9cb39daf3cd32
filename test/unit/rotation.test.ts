/**
 * Rotation over time, in-process with a manual clock (src/domain/rotation.ts): the automatic
 * schedule (enable, period changes, disable), the sweep rotating each due key once, disabled
 * keys waiting, on-demand rotations leaving the schedule alone, and every older ciphertext still
 * decrypting, with ReEncrypt moving it to the current material.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rotateDueKeys } from '../../src/domain/rotation.js';
import { MemoryStore } from '../../src/storage/memory.js';
import type { KeyRecord } from '../../src/storage/types.js';
import { b64, createTestApp, keyArn, type TestApp } from '../helpers/in-process.js';

const DAY_MS = 24 * 60 * 60 * 1000;

async function status(t: TestApp, keyId: string) {
  return t.ok('GetKeyRotationStatus', { KeyId: keyId });
}

async function currentMaterialId(t: TestApp, keyId: string): Promise<string> {
  return ((await t.ok('DescribeKey', { KeyId: keyId })).KeyMetadata as { CurrentKeyMaterialId: string }).CurrentKeyMaterialId;
}

const sweep = (t: TestApp) => rotateDueKeys(t.services.store, t.services.materials, t.clock.now());

describe('automatic rotation', () => {
  it('EnableKeyRotation: 365 days by default, NextRotationDate one period from now; DisableKeyRotation drops it', async () => {
    const t = createTestApp();
    const key = await t.createKey();
    assert.deepEqual(await status(t, key.keyId), { KeyRotationEnabled: false, KeyId: keyArn(key.keyId) });
    assert.deepEqual(await t.ok('EnableKeyRotation', { KeyId: key.keyId }), {});
    assert.deepEqual(await status(t, key.keyId), {
      KeyRotationEnabled: true,
      KeyId: keyArn(key.keyId),
      RotationPeriodInDays: 365,
      NextRotationDate: (t.clock.now() + 365 * DAY_MS) / 1000,
    });
    await t.ok('DisableKeyRotation', { KeyId: key.arn });
    assert.deepEqual(await status(t, key.keyId), { KeyRotationEnabled: false, KeyId: keyArn(key.keyId) });
    await t.ok('EnableKeyRotation', { KeyId: key.keyId, RotationPeriodInDays: 90 });
    assert.equal((await status(t, key.keyId)).NextRotationDate, (t.clock.now() + 90 * DAY_MS) / 1000);
  });

  it('changing the period keeps the schedule: the next date moves by the difference, never before now', async () => {
    const t = createTestApp();
    const key = await t.createKey();
    const start = t.clock.now();
    await t.ok('EnableKeyRotation', { KeyId: key.keyId, RotationPeriodInDays: 365 });
    t.clock.advance(100 * DAY_MS);
    await t.ok('EnableKeyRotation', { KeyId: key.keyId, RotationPeriodInDays: 180 });
    assert.equal((await status(t, key.keyId)).NextRotationDate, (start + 180 * DAY_MS) / 1000);
    await t.ok('EnableKeyRotation', { KeyId: key.keyId, RotationPeriodInDays: 90 });
    assert.equal((await status(t, key.keyId)).NextRotationDate, t.clock.now() / 1000, 'start + 90 days has passed: now');
    assert.equal((await sweep(t)).length, 1, 'and the sweep rotates it at once');
  });

  it('the sweep rotates a key once when its date comes, then one period later; old ciphertexts decrypt', async () => {
    const t = createTestApp();
    const key = await t.createKey();
    const untouched = await t.createKey();
    const first = (await t.ok('Encrypt', { KeyId: key.keyId, Plaintext: b64('first'), EncryptionContext: { n: '1' } })).CiphertextBlob as string;
    await t.ok('EnableKeyRotation', { KeyId: key.keyId, RotationPeriodInDays: 90 });
    const enabledAt = t.clock.now();

    t.clock.advance(90 * DAY_MS - 1);
    assert.deepEqual(await sweep(t), [], 'not before NextRotationDate');
    assert.equal(await currentMaterialId(t, key.keyId), key.materialId);

    t.clock.advance(1);
    const [rotation, ...more] = await sweep(t);
    assert.equal(more.length, 0);
    assert.ok(rotation);
    assert.equal(rotation.key.keyId, key.keyId);
    assert.deepEqual(await sweep(t), [], 'a second sweep at the same time rotates nothing');
    const second = await currentMaterialId(t, key.keyId);
    assert.notEqual(second, key.materialId);
    assert.match(second, /^[0-9a-f]{64}$/);
    assert.equal(await currentMaterialId(t, untouched.keyId), untouched.materialId, 'a key without rotation is left alone');
    assert.equal((await status(t, key.keyId)).NextRotationDate, (enabledAt + 180 * DAY_MS) / 1000);

    const encrypted = await t.ok('Encrypt', { KeyId: key.keyId, Plaintext: b64('second') });
    assert.equal(encrypted.KeyMaterialId, undefined, 'Encrypt does not name its material');
    const decryptedNew = await t.ok('Decrypt', { CiphertextBlob: encrypted.CiphertextBlob });
    assert.equal(decryptedNew.KeyMaterialId, second);
    const decryptedOld = await t.ok('Decrypt', { CiphertextBlob: first, EncryptionContext: { n: '1' } });
    assert.equal(Buffer.from(decryptedOld.Plaintext as string, 'base64').toString(), 'first');
    assert.equal(decryptedOld.KeyMaterialId, key.materialId);

    const listed = await t.ok('ListKeyRotations', { KeyId: key.keyId });
    assert.deepEqual(listed, {
      Rotations: [{ KeyId: key.keyId, KeyMaterialId: second, KeyMaterialState: 'CURRENT', RotationDate: (enabledAt + 90 * DAY_MS) / 1000, RotationType: 'AUTOMATIC' }],
      Truncated: false,
    });
  });

  it('a server that was off for several periods rotates once, then schedules one period from now', async () => {
    const t = createTestApp();
    const key = await t.createKey();
    await t.ok('EnableKeyRotation', { KeyId: key.keyId, RotationPeriodInDays: 90 });
    t.clock.advance(400 * DAY_MS);
    assert.equal((await sweep(t)).length, 1);
    assert.deepEqual(await sweep(t), []);
    assert.equal((await status(t, key.keyId)).NextRotationDate, (t.clock.now() + 90 * DAY_MS) / 1000);
  });

  it('a disabled key is not rotated until it is enabled again; a key pending deletion not at all', async () => {
    const t = createTestApp();
    const disabled = await t.createKey();
    const doomed = await t.createKey();
    for (const key of [disabled, doomed]) await t.ok('EnableKeyRotation', { KeyId: key.keyId, RotationPeriodInDays: 90 });
    await t.ok('DisableKey', { KeyId: disabled.keyId });
    await t.ok('ScheduleKeyDeletion', { KeyId: doomed.keyId, PendingWindowInDays: 30 });
    t.clock.advance(91 * DAY_MS);
    assert.deepEqual(await sweep(t), []);
    await t.ok('EnableKey', { KeyId: disabled.keyId });
    assert.deepEqual((await sweep(t)).map((r) => r.key.keyId), [disabled.keyId]);
    assert.equal(await currentMaterialId(t, doomed.keyId), doomed.materialId);
  });
});

/** A store whose sweep query answers what it found before: as a second server that read the due keys just before the first rotated them. */
class StaleSweepStore extends MemoryStore {
  stale: KeyRecord[] | undefined;
  override async keysDueForRotation(now: number, limit: number): Promise<KeyRecord[]> {
    return this.stale ?? super.keysDueForRotation(now, limit);
  }
}

describe('two sweepers', () => {
  it('a key another sweeper rotated after this one read it is not rotated again', async () => {
    const store = new StaleSweepStore();
    const t = createTestApp({ store });
    const key = await t.createKey();
    await t.ok('EnableKeyRotation', { KeyId: key.keyId, RotationPeriodInDays: 90 });
    t.clock.advance(90 * DAY_MS);
    const seenBySecond = await store.keysDueForRotation(t.clock.now(), 100);
    assert.equal((await sweep(t)).length, 1, 'the first sweeper rotates');
    store.stale = seenBySecond;
    assert.deepEqual(await sweep(t), [], 'the second, reading its stale list, finds the key rotated inside its transaction');
    assert.equal((await store.listMaterials(key, { limit: 10 })).length, 2);
  });

  it('nor a key disabled after the sweeper read it', async () => {
    const store = new StaleSweepStore();
    const t = createTestApp({ store });
    const key = await t.createKey();
    await t.ok('EnableKeyRotation', { KeyId: key.keyId, RotationPeriodInDays: 90 });
    t.clock.advance(90 * DAY_MS);
    store.stale = await store.keysDueForRotation(t.clock.now(), 100);
    await t.ok('DisableKey', { KeyId: key.keyId });
    assert.deepEqual(await sweep(t), []);
    assert.equal((await store.listMaterials(key, { limit: 10 })).length, 1);
  });
});

describe('on-demand rotation', () => {
  it('ciphertexts from before two rotations decrypt after them; KeyMaterialId changes each time and matches ListKeyRotations', async () => {
    const t = createTestApp();
    const key = await t.createKey();
    const other = await t.createKey();
    const ids = [key.materialId as string];
    const blobs: string[] = [];
    for (let i = 0; i < 3; i++) {
      blobs.push((await t.ok('Encrypt', { KeyId: key.keyId, Plaintext: b64(`message ${i}`) })).CiphertextBlob as string);
      if (i === 2) break;
      t.clock.advance(DAY_MS);
      assert.deepEqual(await t.ok('RotateKeyOnDemand', { KeyId: key.keyId }), { KeyId: keyArn(key.keyId) });
      ids.push(await currentMaterialId(t, key.keyId));
    }
    assert.equal(new Set(ids).size, 3, 'three material ids');
    for (const [i, blob] of blobs.entries()) {
      const decrypted = await t.ok('Decrypt', { CiphertextBlob: blob });
      assert.equal(Buffer.from(decrypted.Plaintext as string, 'base64').toString(), `message ${i}`);
      assert.equal(decrypted.KeyMaterialId, ids[i]);
    }
    const all = await t.ok('ListKeyRotations', { KeyId: key.keyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' });
    const start = Date.UTC(2026, 0, 1);
    assert.deepEqual(all.Rotations, [
      { KeyId: key.keyId, KeyMaterialId: ids[0], KeyMaterialState: 'NON_CURRENT' },
      { KeyId: key.keyId, KeyMaterialId: ids[1], KeyMaterialState: 'NON_CURRENT', RotationDate: (start + DAY_MS) / 1000, RotationType: 'ON_DEMAND' },
      { KeyId: key.keyId, KeyMaterialId: ids[2], KeyMaterialState: 'CURRENT', RotationDate: (start + 2 * DAY_MS) / 1000, RotationType: 'ON_DEMAND' },
    ]);
    const only = await t.ok('ListKeyRotations', { KeyId: key.arn, IncludeKeyMaterial: 'ROTATIONS_ONLY' });
    assert.deepEqual(only.Rotations, (all.Rotations as unknown[]).slice(1));

    // ReEncrypt moves the oldest ciphertext to the current material, of this key or another.
    const moved = await t.ok('ReEncrypt', { CiphertextBlob: blobs[0], DestinationKeyId: key.keyId });
    assert.equal(moved.SourceKeyMaterialId, ids[0]);
    assert.equal(moved.DestinationKeyMaterialId, ids[2]);
    assert.equal((await t.ok('Decrypt', { CiphertextBlob: moved.CiphertextBlob })).KeyMaterialId, ids[2]);
    const elsewhere = await t.ok('ReEncrypt', { CiphertextBlob: blobs[1], DestinationKeyId: other.keyId });
    assert.equal(elsewhere.DestinationKeyMaterialId, other.materialId);
  });

  it('leaves the automatic schedule alone', async () => {
    const t = createTestApp();
    const key = await t.createKey();
    await t.ok('EnableKeyRotation', { KeyId: key.keyId, RotationPeriodInDays: 730 });
    const before = await status(t, key.keyId);
    t.clock.advance(10 * DAY_MS);
    await t.ok('RotateKeyOnDemand', { KeyId: key.keyId });
    assert.deepEqual(await status(t, key.keyId), before);
  });

  it('ListKeyRotations pages with Limit and Marker, and the 25 on-demand rotations all appear', async () => {
    const t = createTestApp();
    const key = await t.createKey();
    for (let i = 0; i < 25; i++) await t.ok('RotateKeyOnDemand', { KeyId: key.keyId });
    const seen: unknown[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await t.ok('ListKeyRotations', { KeyId: key.keyId, Limit: 7, ...(marker !== undefined && { Marker: marker }) });
      pages++;
      seen.push(...(page.Rotations as unknown[]));
      marker = page.NextMarker as string | undefined;
      assert.equal(page.Truncated, marker !== undefined);
      if (marker !== undefined) assert.equal((page.Rotations as unknown[]).length, 7);
    } while (marker !== undefined);
    assert.equal(pages, 4);
    assert.equal(seen.length, 25);
    assert.equal(new Set(seen.map((r) => (r as { KeyMaterialId: string }).KeyMaterialId)).size, 25);
    assert.deepEqual(
      seen.map((r) => (r as { KeyMaterialState: string }).KeyMaterialState),
      [...Array<string>(24).fill('NON_CURRENT'), 'CURRENT'],
    );
    const first = await t.ok('ListKeyRotations', { KeyId: key.keyId, Limit: 1, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' });
    assert.equal((first.Rotations as { KeyMaterialId: string }[])[0]?.KeyMaterialId, key.materialId);
    assert.equal(first.Truncated, true);
  });

  it('two concurrent RotateKeyOnDemand calls make two versions, never one version twice', async () => {
    const t = createTestApp();
    const key = await t.createKey();
    await Promise.all([t.ok('RotateKeyOnDemand', { KeyId: key.keyId }), t.ok('RotateKeyOnDemand', { KeyId: key.keyId })]);
    const versions = await t.services.store.listMaterials(key, { limit: 10 });
    assert.deepEqual(versions.map((m) => m.version), [1, 2, 3]);
    assert.equal((await t.services.store.getKey({ account: '111122223333', region: 'us-east-1' }, key.keyId))?.currentMaterialVersion, 3);
  });
});
