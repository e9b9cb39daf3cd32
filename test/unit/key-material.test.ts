/**
 * The unwrapped-material cache (domain/key-material.ts) against two connections to one SQLite
 * file, as two worker processes hold them: a change committed through one is seen by the
 * other's cache, through the store's change signal, before a request can use stale material.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InvalidCiphertextError } from '../../src/crypto/envelope.js';
import { RootKey } from '../../src/crypto/root-key.js';
import { KeyMaterials } from '../../src/domain/key-material.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { SqliteStore } from '../../src/storage/sqlite.js';
import type { KeyRecord, Store } from '../../src/storage/types.js';
import { testKeyRecord, TEST_SCOPE as SCOPE } from '../helpers/records.js';

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const dir = mkdtempSync(join(tmpdir(), 'trent-material-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const key = (): KeyRecord => testKeyRecord(KEY_ID);

describe('KeyMaterials cache and the change signal', () => {
  const rootKey = RootKey.fromBytes(randomBytes(32));

  it("drops material another process's commit removed, before the next request can use it", async () => {
    const path = join(dir, 'shared.db');
    const first = new SqliteStore(path);
    const second = new SqliteStore(path);
    try {
      const writer = new KeyMaterials(first, rootKey);
      const reader = new KeyMaterials(second, rootKey);
      await first.createKey(key(), writer.wrap(key(), 1, randomBytes(32), 0));
      // The reader's process serves the key once: its material is now cached there.
      assert.ok(await second.getKey(SCOPE, KEY_ID));
      const cached = await reader.symmetric(key(), 1);

      assert.equal(await first.deleteKey(SCOPE, KEY_ID), true);
      // Every request reads its key record first; that read brings the change signal.
      assert.equal(await second.getKey(SCOPE, KEY_ID), undefined);
      await assert.rejects(reader.symmetric(key(), 1), InvalidCiphertextError, 'the deleted material must not be served from the cache');
      assert.ok(cached.secret, 'the entry existed before');
    } finally {
      await first.close();
      await second.close();
    }
  });

  for (const [name, open] of [
    ['memory', () => new MemoryStore()],
    ['sqlite', () => new SqliteStore(join(dir, `own-${randomBytes(4).toString('hex')}.db`))],
  ] as const) {
    it(`${name}: drops a key's material when this process deletes the key, keeping other keys'`, async () => {
      const store: Store = open();
      try {
        const materials = new KeyMaterials(store, rootKey);
        const otherId = '0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0';
        await store.createKey(key(), materials.wrap(key(), 1, randomBytes(32), 0));
        await store.createKey({ ...key(), keyId: otherId }, materials.wrap({ keyId: otherId, region: SCOPE.region }, 1, randomBytes(32), 0));
        const other = await materials.symmetric({ keyId: otherId, region: SCOPE.region }, 1);
        await materials.symmetric(key(), 1);
        await store.deleteKey(SCOPE, KEY_ID);
        await assert.rejects(materials.symmetric(key(), 1), InvalidCiphertextError);
        assert.equal(await materials.symmetric({ keyId: otherId, region: SCOPE.region }, 1), other, "the other key's entry stays cached");
      } finally {
        await store.close();
      }
    });
  }

  it("keeps each Region's material of one key id apart, and a Region's deletion does not reach the other's", async () => {
    const store = new MemoryStore();
    const materials = new KeyMaterials(store, rootKey);
    const east = key();
    const west: KeyRecord = { ...key(), region: 'eu-west-1' };
    // Different bytes under one (key id, version), so an answer from the wrong Region shows.
    const eastBytes = randomBytes(32);
    const westBytes = randomBytes(32);
    await store.createKey(east, materials.wrap(east, 1, eastBytes, 0));
    await store.createKey(west, materials.wrap(west, 1, westBytes, 0));
    assert.deepEqual((await materials.symmetric(east, 1)).secret.export(), eastBytes);
    assert.deepEqual((await materials.symmetric(west, 1)).secret.export(), westBytes, "the other Region's cached entry is not this one's");
    assert.equal(await materials.materialId(west, 1), (await store.getMaterial(west, 1))?.materialId);
    await store.deleteKey(west, KEY_ID);
    await assert.rejects(materials.symmetric(west, 1), InvalidCiphertextError);
    assert.deepEqual((await materials.symmetric(east, 1)).secret.export(), eastBytes);
  });
});
