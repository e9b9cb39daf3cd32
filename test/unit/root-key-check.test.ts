/**
 * checkRootKey (server/data-dir.ts), in-process on a memory store: the stored check value
 * decides whether a root key is the database's, and a database from before check values has its
 * root key proven on one stored key material before the check value is recorded. The functional
 * suite (test/functional/data-dir.test.ts) shows the same through a spawned server.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { RootKey } from '../../src/crypto/root-key.js';
import { checkRootKey, DataDirError } from '../../src/server/data-dir.js';
import { MemoryStore } from '../../src/storage/memory.js';
import type { KeyRecord } from '../../src/storage/types.js';
import { testKeyRecord } from '../helpers/records.js';

const WHERE = { rootKeySource: '/data/root.key', database: '/data/trent.db' };
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';

const keyRecord = (): KeyRecord => testKeyRecord(KEY_ID);

/** A store holding one key whose material is wrapped by `rootKey`, and no check value. */
async function storeFromBeforeCheckValues(rootKey: RootKey): Promise<MemoryStore> {
  const store = new MemoryStore();
  const wrapped = rootKey.wrap(randomBytes(32), KEY_ID, 1);
  await store.createKey(keyRecord(), { keyId: KEY_ID, region: keyRecord().region, version: 1, materialId: 'a'.repeat(64), wrapped, createdAt: 0 });
  return store;
}

function refusal(pattern: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof DataDirError, `expected a DataDirError, got ${String(err)}`);
    assert.match(err.message, /^refusing to start: /);
    assert.match(err.message, pattern);
    return true;
  };
}

describe('checkRootKey', () => {
  const mine = RootKey.fromBytes(randomBytes(32));
  const other = RootKey.fromBytes(randomBytes(32));

  it('records the check value of the first root key a new database sees', async () => {
    const store = new MemoryStore();
    await checkRootKey(store, mine, WHERE);
    assert.equal(await store.rootKeyCheck(), mine.checkValue());
  });

  it('accepts the root key whose check value is stored', async () => {
    const store = new MemoryStore();
    await store.setRootKeyCheckIfAbsent(mine.checkValue());
    await checkRootKey(store, mine, WHERE);
    assert.equal(await store.rootKeyCheck(), mine.checkValue());
  });

  it('refuses another root key, naming both fingerprints and what to do', async () => {
    const store = new MemoryStore();
    await store.setRootKeyCheckIfAbsent(mine.checkValue());
    await assert.rejects(
      checkRootKey(store, other, WHERE),
      refusal(
        new RegExp(
          `the root key from /data/root.key \\(fingerprint ${other.fingerprint()}\\) is not the root key of this database, ` +
            `/data/trent.db, which was made with the root key of fingerprint ${mine.fingerprint()}.*TRENT_ROOT_KEY`,
        ),
      ),
    );
    assert.equal(await store.rootKeyCheck(), mine.checkValue());
  });

  it('proves the root key of a database from before check values on its stored material, then records it', async () => {
    const store = await storeFromBeforeCheckValues(mine);
    await checkRootKey(store, mine, WHERE);
    assert.equal(await store.rootKeyCheck(), mine.checkValue());
  });

  it('refuses a root key that does not unwrap the stored material of such a database, recording nothing', async () => {
    const store = await storeFromBeforeCheckValues(mine);
    await assert.rejects(checkRootKey(store, other, WHERE), refusal(/does not unwrap the key material stored in \/data\/trent\.db/));
    assert.equal(await store.rootKeyCheck(), undefined);
  });

  it('never puts the root key or its bytes in a refusal', async () => {
    const bytes = randomBytes(32);
    const store = new MemoryStore();
    await store.setRootKeyCheckIfAbsent(mine.checkValue());
    await assert.rejects(checkRootKey(store, RootKey.fromBytes(bytes), WHERE), (err: Error) => {
      for (const spelling of [bytes.toString('hex'), bytes.toString('base64')]) assert.equal(err.message.includes(spelling), false);
      return true;
    });
  });
});
