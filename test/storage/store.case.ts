/**
 * The Store contract: one suite that every back end (memory, SQLite, later PostgreSQL) must pass,
 * so the server behaves the same whichever one it runs on. A back end's test file calls
 * `storeContract(name, open, options)`; `open` must return a fresh, empty store each time it is
 * called. `options.skip` names why a back end cannot run here (a server it needs is not
 * reachable): the suite is then reported skipped with that reason, never passed silently, as
 * hono's runTest({ skip }) does. `options.sibling` opens a second connection to the same data,
 * for the cases about several processes sharing one database; a back end without one (memory)
 * has those cases skipped, saying so.
 *
 * What it pins down, per method of src/storage/types.ts: scoping by account and region,
 * optimistic revisions, cascades, ordering and paging, copy semantics and byte-exact Buffers,
 * and the root key check value's first-writer-wins.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type {
  AliasRecord,
  GrantRecord,
  KeyLocation,
  KeyMaterialRecord,
  KeyRecord,
  KeyUsageRecord,
  ReservedPairRecord,
  Scope,
  Store,
} from '../../src/storage/types.js';

const HOME: Scope = { account: '111122223333', region: 'us-east-1' };
const OTHER_REGION: Scope = { account: '111122223333', region: 'eu-west-1' };
const OTHER_ACCOUNT: Scope = { account: '444455556666', region: 'us-east-1' };

const DAY_MS = 24 * 60 * 60 * 1000;
const T0 = Date.UTC(2026, 0, 1);

/** A UUID-shaped key id whose sort order follows `n`. */
function keyIdOf(n: number): string {
  return `${n.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
}

function keyRecord(keyId: string, scope: Scope = HOME, overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    ...scope,
    keyId,
    createdAt: T0,
    description: `key ${keyId}`,
    keySpec: 'SYMMETRIC_DEFAULT',
    keyUsage: 'ENCRYPT_DECRYPT',
    origin: 'AWS_KMS',
    state: 'Enabled',
    policy: '{"Version":"2012-10-17","Statement":[]}',
    tags: [{ TagKey: 'team', TagValue: 'crypto' }],
    currentMaterialVersion: 1,
    revision: 1,
    ...overrides,
  };
}

/** Every byte value, so an encoding that mangles any of them is caught. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** The regional key `keyId` in `scope`'s Region. */
function at(keyId: string, scope: Scope = HOME): KeyLocation {
  return { keyId, region: scope.region };
}

function material(
  keyId: string,
  version = 1,
  wrapped: Buffer = Buffer.concat([ALL_BYTES, Buffer.from([version])]),
  scope: Scope = HOME,
): KeyMaterialRecord {
  return { keyId, region: scope.region, version, materialId: `${version.toString(16)}`.padStart(64, 'a'), wrapped, createdAt: T0 + version };
}

function aliasRecord(aliasName: string, targetKeyId: string, scope: Scope = HOME, at = T0): AliasRecord {
  return { ...scope, aliasName, targetKeyId, createdAt: at, updatedAt: at };
}

/** A 64-hex grant id whose sort order follows `n`. */
function grantIdOf(n: number): string {
  return n.toString(16).padStart(64, '0');
}

const GRANTEE = 'arn:aws:iam::111122223333:role/app';
const RETIREE = 'arn:aws:iam::111122223333:user/ops';

function grantRecord(n: number, keyId: string, scope: Scope = HOME, overrides: Partial<GrantRecord> = {}): GrantRecord {
  return {
    ...scope,
    grantId: grantIdOf(n),
    keyId,
    granteePrincipal: GRANTEE,
    operations: ['Decrypt', 'GenerateDataKeyPair'],
    issuingAccount: `arn:aws:iam::${scope.account}:root`,
    createdAt: T0 + n,
    ...overrides,
  };
}

/** A reserved pair whose id and bytes follow `n`; `wrapped` holds every byte value. */
function reservedPair(n: number, spec = 'RSA_2048'): ReservedPairRecord {
  return {
    id: n.toString(16).padStart(32, '0'),
    spec,
    publicKey: Buffer.from([0x30, n & 0xff, ...ALL_BYTES]),
    wrapped: Buffer.concat([ALL_BYTES, Buffer.from([n & 0xff])]),
    createdAt: T0 + n,
  };
}

export interface ContractOptions {
  /** Why this back end cannot be tested here; the whole suite is skipped with this reason. */
  skip?: string | false;
  /** A second connection to the data `store` holds (another process sharing the database). */
  sibling?: (store: Store) => Promise<Store> | Store;
}

export function storeContract(name: string, open: () => Promise<Store> | Store, options: ContractOptions = {}): void {
  describe(`Store contract: ${name}`, { skip: options.skip ?? false }, () => {
    let store: Store;
    const noSibling = options.sibling ? false : `${name} has no second connection to the same data`;

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('createKey / getKey', () => {
      it('stores every field of a key and returns it unchanged', async () => {
        const key = keyRecord(keyIdOf(1), HOME, {
          state: 'PendingDeletion',
          deletionDate: T0 + 7 * DAY_MS,
          pendingWindowInDays: 7,
          keySpec: 'ECC_NIST_P256',
          keyUsage: 'SIGN_VERIFY',
          publicKey: ALL_BYTES,
          tags: [
            { TagKey: 'a', TagValue: '' },
            { TagKey: 'ünïcødé', TagValue: '值 "quoted" \\ back' },
          ],
        });
        await store.createKey(key, material(key.keyId));
        assert.deepEqual(await store.getKey(HOME, key.keyId), key);
      });

      it('leaves optional fields absent rather than undefined or null', async () => {
        const key = keyRecord(keyIdOf(1));
        await store.createKey(key, material(key.keyId));
        const stored = await store.getKey(HOME, key.keyId);
        assert.ok(stored);
        for (const field of ['deletionDate', 'pendingWindowInDays', 'publicKey'] as const) {
          assert.equal(Object.hasOwn(stored, field), false, `${field} should be absent`);
        }
      });

      it('creates a key without material (PendingImport)', async () => {
        const key = keyRecord(keyIdOf(1), HOME, { origin: 'EXTERNAL', state: 'PendingImport', currentMaterialVersion: 0 });
        await store.createKey(key);
        assert.deepEqual(await store.getKey(HOME, key.keyId), key);
        assert.equal(await store.getMaterial(key, 0), undefined);
        assert.equal(await store.getMaterial(key, 1), undefined);
      });

      it('rejects a second key with the same id atomically: neither its record nor its material is written', async () => {
        const first = keyRecord(keyIdOf(1), HOME, { description: 'first' });
        await store.createKey(first, material(first.keyId, 1));
        const second = keyRecord(keyIdOf(1), HOME, { description: 'second', currentMaterialVersion: 2 });
        await assert.rejects(store.createKey(second, material(second.keyId, 2)));
        assert.deepEqual(await store.getKey(HOME, first.keyId), first);
        assert.equal(await store.getMaterial(first, 2), undefined);
        assert.deepEqual(await store.getMaterial(first, 1), material(first.keyId, 1));
      });

      const invisible: { name: string; scope: Scope }[] = [
        { name: 'another region', scope: OTHER_REGION },
        { name: 'another account', scope: OTHER_ACCOUNT },
      ];
      for (const row of invisible) {
        it(`hides a key from ${row.name}`, async () => {
          const key = keyRecord(keyIdOf(1));
          await store.createKey(key, material(key.keyId));
          assert.equal(await store.getKey(row.scope, key.keyId), undefined);
          assert.deepEqual(await store.getKey(HOME, key.keyId), key);
        });
      }

      it('returns undefined for an unknown key', async () => {
        assert.equal(await store.getKey(HOME, keyIdOf(404)), undefined);
      });
    });

    describe('updateKey (optimistic revision)', () => {
      it('writes when the revision matches and stores revision + 1', async () => {
        const key = keyRecord(keyIdOf(1));
        await store.createKey(key, material(key.keyId));
        const next: KeyRecord = { ...key, state: 'Disabled', description: 'changed', tags: [] };
        assert.equal(await store.updateKey(next, 1), true);
        assert.deepEqual(await store.getKey(HOME, key.keyId), { ...next, revision: 2 });
      });

      it('stores expectedRevision + 1 whatever revision the record carries', async () => {
        const key = keyRecord(keyIdOf(1));
        await store.createKey(key, material(key.keyId));
        assert.equal(await store.updateKey({ ...key, revision: 99 }, 1), true);
        assert.equal((await store.getKey(HOME, key.keyId))?.revision, 2);
      });

      it('refuses a stale revision and writes nothing', async () => {
        const key = keyRecord(keyIdOf(1));
        await store.createKey(key, material(key.keyId));
        assert.equal(await store.updateKey({ ...key, description: 'winner' }, 1), true);
        assert.equal(await store.updateKey({ ...key, description: 'loser', state: 'Disabled' }, 1), false);
        assert.deepEqual(await store.getKey(HOME, key.keyId), { ...key, description: 'winner', revision: 2 });
      });

      it('refuses a revision from the future', async () => {
        const key = keyRecord(keyIdOf(1));
        await store.createKey(key, material(key.keyId));
        assert.equal(await store.updateKey({ ...key, description: 'x' }, 2), false);
        assert.deepEqual(await store.getKey(HOME, key.keyId), key);
      });

      it('refuses to update a key that does not exist, and does not create it', async () => {
        const key = keyRecord(keyIdOf(1));
        assert.equal(await store.updateKey(key, 1), false);
        assert.equal(await store.getKey(HOME, key.keyId), undefined);
      });

      it('cannot move a key to another region or account', async () => {
        const key = keyRecord(keyIdOf(1));
        await store.createKey(key, material(key.keyId));
        assert.equal(await store.updateKey({ ...key, ...OTHER_REGION }, 1), false);
        assert.equal(await store.updateKey({ ...key, ...OTHER_ACCOUNT }, 1), false);
        assert.deepEqual(await store.getKey(HOME, key.keyId), key);
        assert.equal(await store.getKey(OTHER_REGION, key.keyId), undefined);
        assert.equal(await store.getKey(OTHER_ACCOUNT, key.keyId), undefined);
      });

      it('removes optional fields the new record no longer has', async () => {
        const key = keyRecord(keyIdOf(1), HOME, { state: 'PendingDeletion', deletionDate: T0 + DAY_MS, pendingWindowInDays: 7 });
        await store.createKey(key, material(key.keyId));
        const next: KeyRecord = { ...key, state: 'Disabled' };
        delete next.deletionDate;
        delete next.pendingWindowInDays;
        assert.equal(await store.updateKey(next, 1), true);
        assert.deepEqual(await store.getKey(HOME, key.keyId), { ...next, revision: 2 });
      });
    });

    describe('deleteKey', () => {
      it('deletes the key with its material and every alias pointing at it', async () => {
        const doomed = keyRecord(keyIdOf(1));
        const kept = keyRecord(keyIdOf(2));
        await store.createKey(doomed, material(doomed.keyId, 1));
        await store.createKey(kept, material(kept.keyId, 1));
        assert.equal(await store.createAlias(aliasRecord('alias/doomed-1', doomed.keyId)), true);
        assert.equal(await store.createAlias(aliasRecord('alias/doomed-2', doomed.keyId)), true);
        assert.equal(await store.createAlias(aliasRecord('alias/kept', kept.keyId)), true);

        assert.equal(await store.deleteKey(HOME, doomed.keyId), true);

        assert.equal(await store.getKey(HOME, doomed.keyId), undefined);
        assert.equal(await store.getMaterial(doomed, 1), undefined);
        assert.equal(await store.getAlias(HOME, 'alias/doomed-1'), undefined);
        assert.equal(await store.getAlias(HOME, 'alias/doomed-2'), undefined);
        assert.deepEqual(
          (await store.listAliases(HOME, { limit: 10 })).map((a) => a.aliasName),
          ['alias/kept'],
        );
        assert.deepEqual(await store.getKey(HOME, kept.keyId), kept);
        assert.deepEqual(await store.getMaterial(kept, 1), material(kept.keyId, 1));
      });

      it('returns false for an unknown key', async () => {
        assert.equal(await store.deleteKey(HOME, keyIdOf(404)), false);
      });

      const foreign: { name: string; scope: Scope }[] = [
        { name: 'another region', scope: OTHER_REGION },
        { name: 'another account', scope: OTHER_ACCOUNT },
      ];
      for (const row of foreign) {
        it(`cannot delete a key from ${row.name} (returns false, key and aliases stay)`, async () => {
          const key = keyRecord(keyIdOf(1));
          await store.createKey(key, material(key.keyId));
          await store.createAlias(aliasRecord('alias/stays', key.keyId));
          assert.equal(await store.deleteKey(row.scope, key.keyId), false);
          assert.deepEqual(await store.getKey(HOME, key.keyId), key);
          assert.ok(await store.getMaterial(key, 1));
          assert.ok(await store.getAlias(HOME, 'alias/stays'));
        });
      }

      it('returns false the second time', async () => {
        const key = keyRecord(keyIdOf(1));
        await store.createKey(key, material(key.keyId));
        assert.equal(await store.deleteKey(HOME, key.keyId), true);
        assert.equal(await store.deleteKey(HOME, key.keyId), false);
      });

      it('with an expected revision, deletes only a key still at that revision', async () => {
        const key = keyRecord(keyIdOf(1));
        await store.createKey(key, material(key.keyId));
        assert.equal(await store.updateKey({ ...key, description: 'changed' }, key.revision), true);
        assert.equal(await store.deleteKey(HOME, key.keyId, key.revision), false);
        assert.equal((await store.getKey(HOME, key.keyId))?.description, 'changed');
        assert.equal(await store.deleteKey(HOME, key.keyId, key.revision + 1), true);
        assert.equal(await store.getKey(HOME, key.keyId), undefined);
      });
    });

    describe('listKeys', () => {
      async function seed(): Promise<string[]> {
        // Created out of order: the store must sort by key id, not by insertion.
        const ids = [5, 1, 4, 2, 3].map(keyIdOf);
        for (const id of ids) await store.createKey(keyRecord(id), material(id));
        await store.createKey(keyRecord(keyIdOf(6), OTHER_REGION), material(keyIdOf(6)));
        await store.createKey(keyRecord(keyIdOf(7), OTHER_ACCOUNT), material(keyIdOf(7)));
        return [...ids].sort();
      }

      const rows: { name: string; page: { limit: number; after?: string }; expected: number[] }[] = [
        { name: 'all keys of the scope, ordered by key id', page: { limit: 100 }, expected: [1, 2, 3, 4, 5] },
        { name: 'the first page', page: { limit: 2 }, expected: [1, 2] },
        { name: 'the page strictly after a key id', page: { limit: 2, after: keyIdOf(2) }, expected: [3, 4] },
        { name: 'the last, short page', page: { limit: 2, after: keyIdOf(4) }, expected: [5] },
        { name: 'nothing after the last key', page: { limit: 2, after: keyIdOf(5) }, expected: [] },
        { name: 'after an id that is not stored', page: { limit: 10, after: '00000002-5' }, expected: [3, 4, 5] },
      ];
      for (const row of rows) {
        it(`returns ${row.name}`, async () => {
          await seed();
          const keys = await store.listKeys(HOME, row.page);
          assert.deepEqual(keys.map((k) => k.keyId), row.expected.map(keyIdOf));
          for (const k of keys) assert.deepEqual(k, keyRecord(k.keyId));
        });
      }

      it('lists only the keys of its own region and account', async () => {
        await seed();
        assert.deepEqual((await store.listKeys(OTHER_REGION, { limit: 10 })).map((k) => k.keyId), [keyIdOf(6)]);
        assert.deepEqual((await store.listKeys(OTHER_ACCOUNT, { limit: 10 })).map((k) => k.keyId), [keyIdOf(7)]);
        assert.deepEqual(await store.listKeys({ account: '999999999999', region: 'us-east-1' }, { limit: 10 }), []);
      });
    });

    describe('listAllKeys', () => {
      it('returns the keys of every scope ordered by key id, page by page', async () => {
        await store.createKey(keyRecord(keyIdOf(3), OTHER_ACCOUNT));
        await store.createKey(keyRecord(keyIdOf(1), HOME), material(keyIdOf(1)));
        await store.createKey(keyRecord(keyIdOf(2), OTHER_REGION));
        await store.createKey(keyRecord(keyIdOf(4), HOME));
        const all = await store.listAllKeys({ limit: 10 });
        assert.deepEqual(all, [
          keyRecord(keyIdOf(1), HOME),
          keyRecord(keyIdOf(2), OTHER_REGION),
          keyRecord(keyIdOf(3), OTHER_ACCOUNT),
          keyRecord(keyIdOf(4), HOME),
        ]);
        assert.deepEqual((await store.listAllKeys({ limit: 2 })).map((k) => k.keyId), [keyIdOf(1), keyIdOf(2)]);
        assert.deepEqual((await store.listAllKeys({ limit: 2, after: at(keyIdOf(2), OTHER_REGION) })).map((k) => k.keyId), [keyIdOf(3), keyIdOf(4)]);
        assert.deepEqual(await store.listAllKeys({ limit: 2, after: at(keyIdOf(4)) }), []);
      });
    });

    describe('countKeysByState', () => {
      it('counts the keys of every scope by state, and follows changes', async () => {
        assert.deepEqual(await store.countKeysByState(), {});
        await store.createKey(keyRecord(keyIdOf(1), HOME), material(keyIdOf(1)));
        await store.createKey(keyRecord(keyIdOf(2), OTHER_REGION, { state: 'Disabled' }), material(keyIdOf(2)));
        await store.createKey(keyRecord(keyIdOf(3), OTHER_ACCOUNT), material(keyIdOf(3)));
        await store.createKey(keyRecord(keyIdOf(4), HOME, { state: 'PendingDeletion', deletionDate: T0, pendingWindowInDays: 7 }));
        assert.deepEqual(await store.countKeysByState(), { Enabled: 2, Disabled: 1, PendingDeletion: 1 });
        assert.equal(await store.deleteKey(HOME, keyIdOf(1)), true);
        assert.deepEqual(await store.countKeysByState(), { Enabled: 1, Disabled: 1, PendingDeletion: 1 });
      });
    });

    describe('keysDueForDeletion', () => {
      it('returns keys pending deletion whose date is at or before now, in every scope, and nothing else', async () => {
        const now = T0 + 30 * DAY_MS;
        const pending = (n: number, scope: Scope, deletionDate: number) =>
          keyRecord(keyIdOf(n), scope, { state: 'PendingDeletion', deletionDate, pendingWindowInDays: 7 });
        const keys = [
          pending(1, HOME, now - 1),
          pending(2, HOME, now),
          pending(3, HOME, now + 1),
          pending(4, OTHER_REGION, now - DAY_MS),
          pending(5, OTHER_ACCOUNT, now - 2 * DAY_MS),
          // A deletion date left on a key that is no longer pending deletion must not delete it.
          keyRecord(keyIdOf(6), HOME, { state: 'Disabled', deletionDate: now - 1 }),
          keyRecord(keyIdOf(7), HOME),
        ];
        for (const key of keys) await store.createKey(key, material(key.keyId));
        const due = await store.keysDueForDeletion(now, 100);
        assert.deepEqual(
          due.map((k) => k.keyId).sort(),
          [1, 2, 4, 5].map(keyIdOf),
        );
        for (const k of due) assert.deepEqual(k, keys.find((key) => key.keyId === k.keyId));
      });

      it('returns at most `limit` keys', async () => {
        for (let n = 1; n <= 5; n++) {
          await store.createKey(keyRecord(keyIdOf(n), HOME, { state: 'PendingDeletion', deletionDate: T0, pendingWindowInDays: 7 }));
        }
        assert.equal((await store.keysDueForDeletion(T0, 3)).length, 3);
        assert.equal((await store.keysDueForDeletion(T0, 10)).length, 5);
        assert.deepEqual(await store.keysDueForDeletion(T0 - 1, 10), []);
      });
    });

    describe('getMaterial', () => {
      it('returns the material of (key id, version) with its wrapped bytes exact', async () => {
        const key = keyRecord(keyIdOf(1));
        const m = material(key.keyId, 1);
        await store.createKey(key, m);
        const stored = await store.getMaterial(key, 1);
        assert.deepEqual(stored, m);
        assert.ok(stored && Buffer.isBuffer(stored.wrapped));
        assert.equal(stored?.wrapped.toString('hex'), m.wrapped.toString('hex'));
      });

      const misses: { name: string; keyId: string; version: number }[] = [
        { name: 'another version', keyId: keyIdOf(1), version: 2 },
        { name: 'version 0', keyId: keyIdOf(1), version: 0 },
        { name: 'another key', keyId: keyIdOf(2), version: 1 },
      ];
      it('returns undefined for the same key id and version in another Region', async () => {
        await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1), 1));
        assert.equal(await store.getMaterial(at(keyIdOf(1), OTHER_REGION), 1), undefined);
      });
      for (const row of misses) {
        it(`returns undefined for ${row.name}`, async () => {
          await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1), 1));
          await store.createKey(keyRecord(keyIdOf(3)), material(keyIdOf(3), 2));
          assert.equal(await store.getMaterial(at(row.keyId), row.version), undefined);
        });
      }
    });

    describe('anyMaterial', () => {
      it('returns undefined when no key material is stored', async () => {
        assert.equal(await store.anyMaterial(), undefined);
        await store.createKey(keyRecord(keyIdOf(1), HOME, { state: 'PendingImport', currentMaterialVersion: 0 }));
        assert.equal(await store.anyMaterial(), undefined);
      });

      it('returns one stored material, byte-exact, from any scope', async () => {
        await store.createKey(keyRecord(keyIdOf(7), OTHER_ACCOUNT), material(keyIdOf(7), 1));
        assert.deepEqual(await store.anyMaterial(), material(keyIdOf(7), 1));
        await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1), 1));
        const any = await store.anyMaterial();
        assert.ok(any);
        assert.deepEqual(any, material(any.keyId, 1));
      });

      it('returns undefined again once every key is deleted, and a copy while one is stored', async () => {
        await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1), 1));
        const first = await store.anyMaterial();
        first?.wrapped.fill(0);
        assert.deepEqual(await store.anyMaterial(), material(keyIdOf(1), 1));
        assert.equal(await store.deleteKey(HOME, keyIdOf(1)), true);
        assert.equal(await store.anyMaterial(), undefined);
      });
    });

    describe('root key check value', () => {
      const CHECK = 'c'.repeat(64);
      const OTHER_CHECK = 'd'.repeat(64);

      it('is undefined in a new store', async () => {
        assert.equal(await store.rootKeyCheck(), undefined);
      });

      it('setRootKeyCheckIfAbsent stores the value and returns it; rootKeyCheck then reads it', async () => {
        assert.equal(await store.setRootKeyCheckIfAbsent(CHECK), CHECK);
        assert.equal(await store.rootKeyCheck(), CHECK);
      });

      it('keeps the first value: a later, different one is not stored, and the first comes back', async () => {
        await store.setRootKeyCheckIfAbsent(CHECK);
        assert.equal(await store.setRootKeyCheckIfAbsent(OTHER_CHECK), CHECK);
        assert.equal(await store.rootKeyCheck(), CHECK);
      });

      it('gives two concurrent writers the same answer, the value stored', async () => {
        const answers = await Promise.all([store.setRootKeyCheckIfAbsent(CHECK), store.setRootKeyCheckIfAbsent(OTHER_CHECK)]);
        const stored = await store.rootKeyCheck();
        assert.ok(stored === CHECK || stored === OTHER_CHECK);
        assert.deepEqual(answers, [stored, stored]);
      });

      it('is left alone by key writes and deletions', async () => {
        await store.setRootKeyCheckIfAbsent(CHECK);
        await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1)));
        await store.deleteKey(HOME, keyIdOf(1));
        assert.equal(await store.rootKeyCheck(), CHECK);
      });
    });

    describe('scrubDeleted', () => {
      it('finishes (true) when nothing is in the way, and keeps every stored record', async () => {
        await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1)));
        await store.createKey(keyRecord(keyIdOf(2)), material(keyIdOf(2)));
        await store.createAlias(aliasRecord('alias/kept', keyIdOf(2)));
        await store.setRootKeyCheckIfAbsent('c'.repeat(64));
        assert.equal(await store.deleteKey(HOME, keyIdOf(1)), true);
        assert.equal(await store.scrubDeleted(), true);
        assert.equal(await store.getKey(HOME, keyIdOf(1)), undefined);
        assert.deepEqual(await store.getKey(HOME, keyIdOf(2)), keyRecord(keyIdOf(2)));
        assert.deepEqual(await store.getMaterial(at(keyIdOf(2)), 1), material(keyIdOf(2)));
        assert.deepEqual(await store.getAlias(HOME, 'alias/kept'), aliasRecord('alias/kept', keyIdOf(2)));
        assert.equal(await store.rootKeyCheck(), 'c'.repeat(64));
        assert.equal(await store.scrubDeleted(), true, 'and again, with nothing new deleted');
      });
    });

    describe('aliases', () => {
      beforeEach(async () => {
        for (const [n, scope] of [[1, HOME], [2, HOME], [3, OTHER_REGION], [4, OTHER_ACCOUNT]] as const) {
          await store.createKey(keyRecord(keyIdOf(n), scope), material(keyIdOf(n)));
        }
      });

      it('createAlias then getAlias returns the record', async () => {
        const alias = aliasRecord('alias/app', keyIdOf(1));
        assert.equal(await store.createAlias(alias), true);
        assert.deepEqual(await store.getAlias(HOME, 'alias/app'), alias);
      });

      it('createAlias refuses a name taken in the same scope, keeping the first target', async () => {
        assert.equal(await store.createAlias(aliasRecord('alias/app', keyIdOf(1))), true);
        assert.equal(await store.createAlias(aliasRecord('alias/app', keyIdOf(2), HOME, T0 + 1)), false);
        assert.deepEqual(await store.getAlias(HOME, 'alias/app'), aliasRecord('alias/app', keyIdOf(1)));
      });

      const elsewhere: { name: string; scope: Scope; keyId: string }[] = [
        { name: 'another region', scope: OTHER_REGION, keyId: keyIdOf(3) },
        { name: 'another account', scope: OTHER_ACCOUNT, keyId: keyIdOf(4) },
      ];
      for (const row of elsewhere) {
        it(`createAlias accepts the same name in ${row.name}, and each scope sees its own`, async () => {
          assert.equal(await store.createAlias(aliasRecord('alias/app', keyIdOf(1))), true);
          assert.equal(await store.createAlias(aliasRecord('alias/app', row.keyId, row.scope)), true);
          assert.equal((await store.getAlias(HOME, 'alias/app'))?.targetKeyId, keyIdOf(1));
          assert.equal((await store.getAlias(row.scope, 'alias/app'))?.targetKeyId, row.keyId);
        });

        it(`getAlias does not see an alias of ${row.name}`, async () => {
          await store.createAlias(aliasRecord('alias/app', row.keyId, row.scope));
          assert.equal(await store.getAlias(HOME, 'alias/app'), undefined);
        });
      }

      it('getAlias returns undefined for an unknown name', async () => {
        assert.equal(await store.getAlias(HOME, 'alias/nope'), undefined);
      });

      it('updateAlias points an alias at another key and keeps its creation date', async () => {
        await store.createAlias(aliasRecord('alias/app', keyIdOf(1)));
        const moved = { ...aliasRecord('alias/app', keyIdOf(2)), createdAt: T0 + 500, updatedAt: T0 + 1000 };
        assert.equal(await store.updateAlias(moved), true);
        assert.deepEqual(await store.getAlias(HOME, 'alias/app'), { ...aliasRecord('alias/app', keyIdOf(2)), updatedAt: T0 + 1000 });
      });

      it('updateAlias returns false for an alias that does not exist, and does not create it', async () => {
        assert.equal(await store.updateAlias(aliasRecord('alias/nope', keyIdOf(1))), false);
        assert.equal(await store.getAlias(HOME, 'alias/nope'), undefined);
      });

      it('updateAlias returns false for an alias of another region (same name), leaving both alone', async () => {
        await store.createAlias(aliasRecord('alias/app', keyIdOf(3), OTHER_REGION));
        assert.equal(await store.updateAlias(aliasRecord('alias/app', keyIdOf(2))), false);
        assert.equal(await store.getAlias(HOME, 'alias/app'), undefined);
        assert.equal((await store.getAlias(OTHER_REGION, 'alias/app'))?.targetKeyId, keyIdOf(3));
      });

      it('deleteAlias deletes one alias (true), then reports it gone (false); the key stays', async () => {
        await store.createAlias(aliasRecord('alias/app', keyIdOf(1)));
        await store.createAlias(aliasRecord('alias/other', keyIdOf(1)));
        assert.equal(await store.deleteAlias(HOME, 'alias/app'), true);
        assert.equal(await store.getAlias(HOME, 'alias/app'), undefined);
        assert.ok(await store.getAlias(HOME, 'alias/other'));
        assert.ok(await store.getKey(HOME, keyIdOf(1)));
        assert.equal(await store.deleteAlias(HOME, 'alias/app'), false);
      });

      it('deleteAlias of another region returns false and deletes nothing', async () => {
        await store.createAlias(aliasRecord('alias/app', keyIdOf(1)));
        assert.equal(await store.deleteAlias(OTHER_REGION, 'alias/app'), false);
        assert.equal(await store.deleteAlias(OTHER_ACCOUNT, 'alias/app'), false);
        assert.ok(await store.getAlias(HOME, 'alias/app'));
      });

      describe('listAliases', () => {
        beforeEach(async () => {
          // Out of order, two keys, plus same-named aliases in other scopes.
          for (const [aliasName, n] of [['alias/d', 2], ['alias/a', 1], ['alias/c', 1], ['alias/b', 2], ['alias/e', 1]] as const) {
            assert.equal(await store.createAlias(aliasRecord(aliasName, keyIdOf(n))), true);
          }
          await store.createAlias(aliasRecord('alias/a', keyIdOf(3), OTHER_REGION));
          await store.createAlias(aliasRecord('alias/z', keyIdOf(4), OTHER_ACCOUNT));
        });

        const rows: { name: string; page: { limit: number; after?: string; keyId?: string }; expected: string[] }[] = [
          { name: 'all, ordered by name', page: { limit: 100 }, expected: ['a', 'b', 'c', 'd', 'e'] },
          { name: 'a first page', page: { limit: 2 }, expected: ['a', 'b'] },
          { name: 'a page strictly after a name', page: { limit: 2, after: 'alias/b' }, expected: ['c', 'd'] },
          { name: 'after a name that does not exist', page: { limit: 10, after: 'alias/bb' }, expected: ['c', 'd', 'e'] },
          { name: 'nothing after the last', page: { limit: 10, after: 'alias/e' }, expected: [] },
          { name: 'only one key', page: { limit: 100, keyId: keyIdOf(1) }, expected: ['a', 'c', 'e'] },
          { name: 'one key, paged', page: { limit: 1, keyId: keyIdOf(1), after: 'alias/a' }, expected: ['c'] },
          { name: 'a key with no aliases', page: { limit: 100, keyId: keyIdOf(9) }, expected: [] },
          { name: 'a key of another region (none here)', page: { limit: 100, keyId: keyIdOf(3) }, expected: [] },
        ];
        for (const row of rows) {
          it(`returns ${row.name}`, async () => {
            const aliases = await store.listAliases(HOME, row.page);
            assert.deepEqual(aliases.map((a) => a.aliasName), row.expected.map((n) => `alias/${n}`));
            for (const a of aliases) assert.deepEqual(a, aliasRecord(a.aliasName, a.targetKeyId));
          });
        }

        it('lists only the aliases of its own region and account', async () => {
          assert.deepEqual(await store.listAliases(OTHER_REGION, { limit: 10 }), [aliasRecord('alias/a', keyIdOf(3), OTHER_REGION)]);
          assert.deepEqual(await store.listAliases(OTHER_ACCOUNT, { limit: 10 }), [aliasRecord('alias/z', keyIdOf(4), OTHER_ACCOUNT)]);
        });
      });
    });

    describe('grants', () => {
      beforeEach(async () => {
        for (const [n, scope] of [[1, HOME], [2, HOME], [3, OTHER_REGION], [4, OTHER_ACCOUNT]] as const) {
          await store.createKey(keyRecord(keyIdOf(n), scope), material(keyIdOf(n)));
        }
      });

      it('stores every field of a grant and returns it unchanged', async () => {
        const grant = grantRecord(1, keyIdOf(1), HOME, {
          name: 'app-decrypt:1/x_y-z',
          retiringPrincipal: RETIREE,
          operations: ['Encrypt', 'Decrypt', 'RetireGrant', 'CreateGrant'],
          // `__proto__` as an own key, as a request's JSON carries it.
          constraints: { EncryptionContextSubset: Object.fromEntries([['Department', 'IT'], ['ünï "q" \\', '值'], ['__proto__', 'own key']]) },
        });
        assert.deepEqual(await store.createGrant(grant), grant);
        const stored = await store.getGrant(HOME, keyIdOf(1), grant.grantId);
        assert.deepEqual(stored, grant);
        assert.equal(Object.hasOwn(stored?.constraints?.EncryptionContextSubset ?? {}, '__proto__'), true, 'a __proto__ context key stays a key');
      });

      it('stores a grant to a service principal, with its SourceArn constraint', async () => {
        const grant = grantRecord(1, keyIdOf(1), HOME, {
          granteePrincipal: 'rds.amazonaws.com',
          granteeServicePrincipal: 'rds.amazonaws.com',
          retiringServicePrincipal: 'rds.amazonaws.com',
          constraints: { SourceArn: 'arn:aws:rds:us-east-1:111122223333:db:orders' },
        });
        await store.createGrant(grant);
        assert.deepEqual(await store.getGrant(HOME, keyIdOf(1), grant.grantId), grant);
      });

      it('leaves optional fields absent rather than undefined or null', async () => {
        await store.createGrant(grantRecord(1, keyIdOf(1)));
        const stored = await store.getGrant(HOME, keyIdOf(1), grantIdOf(1));
        assert.ok(stored);
        for (const field of ['name', 'retiringPrincipal', 'granteeServicePrincipal', 'retiringServicePrincipal', 'constraints'] as const) {
          assert.equal(Object.hasOwn(stored, field), false, `${field} should be absent`);
        }
      });

      const homeless: { name: string; grant: () => GrantRecord }[] = [
        { name: 'a key that does not exist', grant: () => grantRecord(1, keyIdOf(9)) },
        { name: 'a key of another region than the grant says', grant: () => grantRecord(1, keyIdOf(3), HOME) },
        { name: 'a key of another account than the grant says', grant: () => grantRecord(1, keyIdOf(4), HOME) },
      ];
      for (const row of homeless) {
        it(`answers undefined and stores nothing for a grant on ${row.name}`, async () => {
          const grant = row.grant();
          assert.equal(await store.createGrant(grant), undefined);
          for (const scope of [HOME, OTHER_REGION, OTHER_ACCOUNT]) assert.equal(await store.getGrant(scope, grant.keyId, grant.grantId), undefined);
        });
      }

      describe('createGrant with a Name is idempotent (AWS: a retry creates no second grant)', () => {
        const first = () => grantRecord(1, keyIdOf(1), HOME, { name: 'retry-me', retiringPrincipal: RETIREE, constraints: { EncryptionContextEquals: { a: '1' } } });

        it('returns the first grant for the same key, name, grantee, retiring principal, operations and constraints', async () => {
          await store.createGrant(first());
          const retry = { ...first(), grantId: grantIdOf(2), createdAt: T0 + 99, operations: [...first().operations].reverse() };
          assert.deepEqual(await store.createGrant(retry), first(), 'the operations in another order are the same grant');
          assert.deepEqual((await store.listGrants(HOME, keyIdOf(1), { limit: 10 })).map((g) => g.grantId), [grantIdOf(1)]);
          assert.equal(await store.getGrant(HOME, keyIdOf(1), grantIdOf(2)), undefined);
        });

        const different: { name: string; change: { [F in keyof GrantRecord]?: GrantRecord[F] | undefined } }[] = [
          { name: 'another name', change: { name: 'other' } },
          { name: 'no name at all', change: { name: undefined } },
          { name: 'another grantee', change: { granteePrincipal: 'arn:aws:iam::111122223333:role/other' } },
          { name: 'another retiring principal', change: { retiringPrincipal: 'arn:aws:iam::111122223333:root' } },
          { name: 'no retiring principal', change: { retiringPrincipal: undefined } },
          { name: 'another operation', change: { operations: ['Decrypt'] } },
          { name: 'another constraint value', change: { constraints: { EncryptionContextEquals: { a: '2' } } } },
          { name: 'a Subset instead of an Equals constraint', change: { constraints: { EncryptionContextSubset: { a: '1' } } } },
          { name: 'no constraints', change: { constraints: undefined } },
          { name: 'another key', change: { keyId: keyIdOf(2) } },
        ];
        for (const row of different) {
          it(`creates a second grant for ${row.name}`, async () => {
            await store.createGrant(first());
            const second = { ...first(), grantId: grantIdOf(2), ...row.change } as GrantRecord;
            for (const field of ['name', 'retiringPrincipal', 'constraints'] as const) if (second[field] === undefined) delete second[field];
            assert.deepEqual(await store.createGrant(second), second);
            assert.deepEqual(await store.getGrant(HOME, second.keyId, grantIdOf(2)), second);
            assert.deepEqual(await store.getGrant(HOME, keyIdOf(1), grantIdOf(1)), first());
          });
        }

        it('gives two concurrent retries the same grant, stored once', async () => {
          const answers = await Promise.all([
            store.createGrant(first()),
            store.createGrant({ ...first(), grantId: grantIdOf(2) }),
            store.createGrant({ ...first(), grantId: grantIdOf(3) }),
          ]);
          const ids = new Set(answers.map((g) => g?.grantId));
          assert.equal(ids.size, 1);
          assert.equal((await store.listGrants(HOME, keyIdOf(1), { limit: 10 })).length, 1);
        });

        it('gives the retry through a second connection the grant the first one stored', { skip: noSibling }, async () => {
          const other = await options.sibling?.(store);
          assert.ok(other);
          try {
            await store.createGrant(first());
            assert.deepEqual(await other.createGrant({ ...first(), grantId: grantIdOf(2) }), first());
            assert.equal((await store.listGrants(HOME, keyIdOf(1), { limit: 10 })).length, 1);
          } finally {
            await other.close();
          }
        });
      });

      it('getGrant sees only the grant of that key, region and account', async () => {
        await store.createGrant(grantRecord(1, keyIdOf(1)));
        assert.ok(await store.getGrant(HOME, keyIdOf(1), grantIdOf(1)));
        assert.equal(await store.getGrant(HOME, keyIdOf(2), grantIdOf(1)), undefined, 'another key');
        assert.equal(await store.getGrant(OTHER_REGION, keyIdOf(1), grantIdOf(1)), undefined, 'another region');
        assert.equal(await store.getGrant(OTHER_ACCOUNT, keyIdOf(1), grantIdOf(1)), undefined, 'another account');
        assert.equal(await store.getGrant(HOME, keyIdOf(1), grantIdOf(2)), undefined, 'another grant id');
      });

      describe('listGrants', () => {
        beforeEach(async () => {
          // Out of order, two grantees, plus grants of another key and other scopes.
          for (const n of [5, 1, 4, 2, 3]) {
            await store.createGrant(grantRecord(n, keyIdOf(1), HOME, n % 2 === 0 ? { granteePrincipal: RETIREE } : {}));
          }
          await store.createGrant(grantRecord(6, keyIdOf(2)));
          await store.createGrant(grantRecord(7, keyIdOf(3), OTHER_REGION));
          await store.createGrant(grantRecord(8, keyIdOf(4), OTHER_ACCOUNT));
        });

        const rows: { name: string; page: { limit: number; after?: string; grantId?: string; granteePrincipal?: string }; expected: number[] }[] = [
          { name: 'every grant of the key, ordered by grant id', page: { limit: 100 }, expected: [1, 2, 3, 4, 5] },
          { name: 'a first page', page: { limit: 2 }, expected: [1, 2] },
          { name: 'the page strictly after a grant id', page: { limit: 2, after: grantIdOf(2) }, expected: [3, 4] },
          { name: 'the last, short page', page: { limit: 2, after: grantIdOf(4) }, expected: [5] },
          { name: 'nothing after the last', page: { limit: 2, after: grantIdOf(5) }, expected: [] },
          { name: 'one grant id', page: { limit: 100, grantId: grantIdOf(3) }, expected: [3] },
          { name: 'one grant id of another key (none)', page: { limit: 100, grantId: grantIdOf(6) }, expected: [] },
          { name: 'one grantee', page: { limit: 100, granteePrincipal: RETIREE }, expected: [2, 4] },
          { name: 'one grantee, paged', page: { limit: 1, granteePrincipal: GRANTEE, after: grantIdOf(1) }, expected: [3] },
          { name: 'one grant id that is not the grantee’s (none)', page: { limit: 100, grantId: grantIdOf(3), granteePrincipal: RETIREE }, expected: [] },
        ];
        for (const row of rows) {
          it(`returns ${row.name}`, async () => {
            const grants = await store.listGrants(HOME, keyIdOf(1), row.page);
            assert.deepEqual(grants.map((g) => g.grantId), row.expected.map(grantIdOf));
            for (const g of grants) assert.deepEqual(g, grantRecord(Number.parseInt(g.grantId, 16), keyIdOf(1), HOME, { granteePrincipal: g.granteePrincipal }));
          });
        }

        it('lists only the grants of its own region and account', async () => {
          assert.deepEqual(await store.listGrants(OTHER_REGION, keyIdOf(1), { limit: 10 }), []);
          assert.deepEqual(await store.listGrants(OTHER_ACCOUNT, keyIdOf(1), { limit: 10 }), []);
          assert.deepEqual((await store.listGrants(OTHER_REGION, keyIdOf(3), { limit: 10 })).map((g) => g.grantId), [grantIdOf(7)]);
        });
      });

      describe('listRetirableGrants', () => {
        beforeEach(async () => {
          for (const n of [4, 1, 3]) await store.createGrant(grantRecord(n, keyIdOf(n === 3 ? 2 : 1), HOME, { retiringPrincipal: RETIREE }));
          await store.createGrant(grantRecord(2, keyIdOf(1), HOME, { retiringPrincipal: GRANTEE }));
          await store.createGrant(grantRecord(5, keyIdOf(1)));
          await store.createGrant(grantRecord(6, keyIdOf(4), OTHER_ACCOUNT, { retiringPrincipal: RETIREE }));
          await store.createGrant(grantRecord(7, keyIdOf(3), OTHER_REGION, { retiringPrincipal: RETIREE }));
        });

        const rows: { name: string; page: { limit: number; after?: string }; expected: number[] }[] = [
          { name: 'the grants of every key of every account in the region that name it', page: { limit: 100 }, expected: [1, 3, 4, 6] },
          { name: 'a first page', page: { limit: 2 }, expected: [1, 3] },
          { name: 'the page after a grant id', page: { limit: 2, after: grantIdOf(3) }, expected: [4, 6] },
        ];
        for (const row of rows) {
          it(`returns ${row.name}`, async () => {
            assert.deepEqual((await store.listRetirableGrants('us-east-1', RETIREE, row.page)).map((g) => g.grantId), row.expected.map(grantIdOf));
          });
        }

        it('lists the grants of its region only, and none for a principal no grant names', async () => {
          assert.deepEqual((await store.listRetirableGrants('eu-west-1', RETIREE, { limit: 10 })).map((g) => g.grantId), [grantIdOf(7)]);
          assert.deepEqual(await store.listRetirableGrants('us-east-1', 'arn:aws:iam::111122223333:user/nobody', { limit: 10 }), []);
        });
      });

      it('grantsForGrantee returns every grant of that key to that grantee, and nothing else', async () => {
        await store.createGrant(grantRecord(3, keyIdOf(1)));
        await store.createGrant(grantRecord(1, keyIdOf(1)));
        await store.createGrant(grantRecord(2, keyIdOf(1), HOME, { granteePrincipal: RETIREE }));
        await store.createGrant(grantRecord(4, keyIdOf(2)));
        await store.createGrant(grantRecord(5, keyIdOf(3), OTHER_REGION));
        assert.deepEqual((await store.grantsForGrantee(HOME, keyIdOf(1), GRANTEE)).map((g) => g.grantId), [grantIdOf(1), grantIdOf(3)]);
        assert.deepEqual(await store.grantsForGrantee(HOME, keyIdOf(1), GRANTEE), [grantRecord(1, keyIdOf(1)), grantRecord(3, keyIdOf(1))]);
        assert.deepEqual((await store.grantsForGrantee(HOME, keyIdOf(1), RETIREE)).map((g) => g.grantId), [grantIdOf(2)]);
        assert.deepEqual(await store.grantsForGrantee(OTHER_REGION, keyIdOf(1), GRANTEE), []);
        assert.deepEqual(await store.grantsForGrantee(HOME, keyIdOf(3), GRANTEE), [], 'a key of another region');
        assert.deepEqual(await store.grantsForGrantee(HOME, keyIdOf(1), 'arn:aws:iam::111122223333:role/APP'), [], 'principals are case-sensitive');
      });

      it('deleteGrant deletes one grant (true), then reports it gone (false); the key and other grants stay', async () => {
        await store.createGrant(grantRecord(1, keyIdOf(1)));
        await store.createGrant(grantRecord(2, keyIdOf(1)));
        assert.equal(await store.deleteGrant(OTHER_REGION, keyIdOf(1), grantIdOf(1)), false, 'not from another region');
        assert.equal(await store.deleteGrant(OTHER_ACCOUNT, keyIdOf(1), grantIdOf(1)), false, 'not from another account');
        assert.equal(await store.deleteGrant(HOME, keyIdOf(2), grantIdOf(1)), false, 'not through another key');
        assert.equal(await store.deleteGrant(HOME, keyIdOf(1), grantIdOf(1)), true);
        assert.equal(await store.getGrant(HOME, keyIdOf(1), grantIdOf(1)), undefined);
        assert.equal(await store.deleteGrant(HOME, keyIdOf(1), grantIdOf(1)), false);
        assert.ok(await store.getGrant(HOME, keyIdOf(1), grantIdOf(2)));
        assert.ok(await store.getKey(HOME, keyIdOf(1)));
      });

      it('deleteKey deletes the key’s grants with it, and no other key’s', async () => {
        await store.createGrant(grantRecord(1, keyIdOf(1), HOME, { retiringPrincipal: RETIREE, name: 'doomed' }));
        await store.createGrant(grantRecord(2, keyIdOf(2), HOME, { retiringPrincipal: RETIREE }));
        assert.equal(await store.deleteKey(HOME, keyIdOf(1)), true);
        assert.equal(await store.getGrant(HOME, keyIdOf(1), grantIdOf(1)), undefined);
        assert.deepEqual(await store.grantsForGrantee(HOME, keyIdOf(1), GRANTEE), []);
        assert.deepEqual((await store.listRetirableGrants('us-east-1', RETIREE, { limit: 10 })).map((g) => g.grantId), [grantIdOf(2)]);
        assert.deepEqual(await store.getGrant(HOME, keyIdOf(2), grantIdOf(2)), grantRecord(2, keyIdOf(2), HOME, { retiringPrincipal: RETIREE }));
      });

      it('a grant created and a grant deleted inside a failed transaction are both undone', async () => {
        await store.createGrant(grantRecord(1, keyIdOf(1)));
        await assert.rejects(
          store.transaction(async (tx) => {
            assert.ok(await tx.createGrant(grantRecord(2, keyIdOf(1))));
            assert.equal(await tx.deleteGrant(HOME, keyIdOf(1), grantIdOf(1)), true);
            throw new Error('roll back');
          }),
        );
        assert.deepEqual((await store.listGrants(HOME, keyIdOf(1), { limit: 10 })).map((g) => g.grantId), [grantIdOf(1)]);
      });

      it('mutating a grant after createGrant, or one returned by any read, changes nothing stored', async () => {
        const original = () => grantRecord(1, keyIdOf(1), HOME, { retiringPrincipal: RETIREE, constraints: { EncryptionContextEquals: { a: '1' } } });
        const grant = original();
        const mutate = (g: GrantRecord | undefined) => {
          assert.ok(g);
          g.operations.push('Encrypt');
          g.granteePrincipal = 'mutated';
          const equals = g.constraints?.EncryptionContextEquals;
          if (equals) equals.a = 'mutated';
        };
        mutate(await store.createGrant(grant));
        mutate(grant);
        mutate(await store.getGrant(HOME, keyIdOf(1), grantIdOf(1)));
        for (const g of await store.listGrants(HOME, keyIdOf(1), { limit: 10 })) mutate(g);
        for (const g of await store.listRetirableGrants('us-east-1', RETIREE, { limit: 10 })) mutate(g);
        for (const g of await store.grantsForGrantee(HOME, keyIdOf(1), GRANTEE)) mutate(g);
        assert.deepEqual(await store.getGrant(HOME, keyIdOf(1), grantIdOf(1)), original());
      });

      it('announces grant writes on the change signal with the key id', async () => {
        const heard: (string | undefined)[] = [];
        store.onChange((keyId) => heard.push(keyId));
        await store.createGrant(grantRecord(1, keyIdOf(1)));
        await store.deleteGrant(HOME, keyIdOf(1), grantIdOf(1));
        assert.deepEqual(heard, [keyIdOf(1), keyIdOf(1)]);
      });
    });

    describe('records are copies', () => {
      it('mutating a key after createKey, or one returned by getKey/listKeys/keysDueForDeletion, changes nothing stored', async () => {
        const original = keyRecord(keyIdOf(1), HOME, {
          state: 'PendingDeletion',
          deletionDate: T0,
          pendingWindowInDays: 7,
          publicKey: Buffer.from(ALL_BYTES),
        });
        const expected = structuredClone({ ...original, publicKey: undefined });
        const key: KeyRecord = { ...original, tags: original.tags.map((t) => ({ ...t })), publicKey: Buffer.from(ALL_BYTES) };
        await store.createKey(key, material(key.keyId));
        const mutate = (k: KeyRecord | undefined) => {
          assert.ok(k);
          k.description = 'mutated';
          k.state = 'Enabled';
          k.tags.push({ TagKey: 'x', TagValue: 'y' });
          const firstTag = k.tags[0];
          if (firstTag) firstTag.TagValue = 'mutated';
          k.publicKey?.fill(0);
        };
        mutate(key);
        mutate(await store.getKey(HOME, original.keyId));
        for (const k of await store.listKeys(HOME, { limit: 10 })) mutate(k);
        for (const k of await store.keysDueForDeletion(T0, 10)) mutate(k);
        const stored = await store.getKey(HOME, original.keyId);
        assert.deepEqual({ ...stored, publicKey: undefined }, expected);
        assert.equal(stored?.publicKey?.toString('hex'), ALL_BYTES.toString('hex'));
      });

      it('mutating material after createKey, or as returned by getMaterial, changes nothing stored', async () => {
        const key = keyRecord(keyIdOf(1));
        const m = material(key.keyId, 1);
        await store.createKey(key, m);
        m.wrapped.fill(0);
        m.materialId = 'mutated';
        const first = await store.getMaterial(key, 1);
        assert.ok(first);
        first.wrapped.fill(0xff);
        first.materialId = 'mutated again';
        assert.deepEqual(await store.getMaterial(key, 1), material(key.keyId, 1));
      });

      it('mutating an alias after createAlias, or as returned by getAlias/listAliases, changes nothing stored', async () => {
        await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1)));
        const alias = aliasRecord('alias/app', keyIdOf(1));
        await store.createAlias(alias);
        alias.targetKeyId = keyIdOf(2);
        const got = await store.getAlias(HOME, 'alias/app');
        assert.ok(got);
        got.targetKeyId = keyIdOf(3);
        for (const a of await store.listAliases(HOME, { limit: 10 })) a.targetKeyId = keyIdOf(4);
        assert.deepEqual(await store.getAlias(HOME, 'alias/app'), aliasRecord('alias/app', keyIdOf(1)));
      });
    });

    describe('Buffers round-trip byte-exact', () => {
      const payloads: { name: string; bytes: Buffer }[] = [
        { name: 'every byte value', bytes: ALL_BYTES },
        { name: 'a single zero byte', bytes: Buffer.from([0]) },
        { name: 'bytes that are not valid UTF-8', bytes: Buffer.from('c328a0a1e28228f0288cbc', 'hex') },
        { name: 'a 9 KiB key (RSA/ML-DSA sized)', bytes: Buffer.from(Array.from({ length: 9 * 1024 }, (_, i) => (i * 31 + 7) & 0xff)) },
      ];
      for (const row of payloads) {
        it(`publicKey and wrapped material: ${row.name}`, async () => {
          const key = keyRecord(keyIdOf(1), HOME, { publicKey: Buffer.from(row.bytes) });
          await store.createKey(key, material(key.keyId, 1, Buffer.from(row.bytes)));
          const storedKey = await store.getKey(HOME, key.keyId);
          const storedMaterial = await store.getMaterial(key, 1);
          assert.ok(storedKey?.publicKey && Buffer.isBuffer(storedKey.publicKey));
          assert.ok(storedMaterial && Buffer.isBuffer(storedMaterial.wrapped));
          assert.equal(Buffer.compare(storedKey.publicKey, row.bytes), 0);
          assert.equal(Buffer.compare(storedMaterial.wrapped, row.bytes), 0);
          assert.equal(storedKey.publicKey.length, row.bytes.length);

          const updated: KeyRecord = { ...storedKey, publicKey: Buffer.from(row.bytes).reverse() };
          assert.equal(await store.updateKey(updated, storedKey.revision), true);
          assert.equal(
            (await store.getKey(HOME, key.keyId))?.publicKey?.toString('hex'),
            Buffer.from(row.bytes).reverse().toString('hex'),
          );
        });
      }
    });

    describe('transaction', () => {
      it('commits every write of its function together and returns its result', async () => {
        const result = await store.transaction(async (tx) => {
          await tx.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1)));
          await tx.createAlias(aliasRecord('alias/app', keyIdOf(1)));
          return 'done';
        });
        assert.equal(result, 'done');
        assert.ok(await store.getKey(HOME, keyIdOf(1)));
        assert.ok(await store.getAlias(HOME, 'alias/app'));
      });

      it('applies none of its writes when its function throws, and rethrows', async () => {
        await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1)));
        const failure = new Error('changed my mind');
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.createKey(keyRecord(keyIdOf(2)), material(keyIdOf(2)));
            assert.equal(await tx.updateKey({ ...keyRecord(keyIdOf(1)), description: 'inside' }, 1), true);
            assert.equal((await tx.getKey(HOME, keyIdOf(1)))?.description, 'inside', 'a transaction reads its own writes');
            assert.equal(await tx.deleteKey(HOME, keyIdOf(1)), true);
            throw failure;
          }),
          (err) => err === failure,
        );
        assert.equal(await store.getKey(HOME, keyIdOf(2)), undefined);
        assert.equal(await store.getMaterial(at(keyIdOf(2)), 1), undefined);
        const kept = await store.getKey(HOME, keyIdOf(1));
        assert.equal(kept?.description, `key ${keyIdOf(1)}`);
        assert.equal(kept?.revision, 1);
        assert.ok(await store.getMaterial(at(keyIdOf(1)), 1));
      });

      it('makes other callers wait until it ends: none of their writes lands inside it', async () => {
        await store.createKey(keyRecord(keyIdOf(1)));
        const order: string[] = [];
        let outside: Promise<boolean> | undefined;
        await assert.rejects(
          store.transaction(async (tx) => {
            order.push('tx begins');
            outside = store.updateKey({ ...keyRecord(keyIdOf(1)), description: 'outside' }, 1).then((ok) => {
              order.push('outside write');
              return ok;
            });
            await new Promise((resolve) => setTimeout(resolve, 20));
            await tx.updateKey({ ...keyRecord(keyIdOf(1)), description: 'inside' }, 1);
            order.push('tx ends');
            throw new Error('roll back');
          }),
        );
        // Had the outside write joined the transaction, the rollback would have undone it, or
        // the inside write would have found revision 2.
        assert.equal(await outside, true);
        assert.deepEqual(order, ['tx begins', 'tx ends', 'outside write']);
        assert.equal((await store.getKey(HOME, keyIdOf(1)))?.description, 'outside');
      });

      it('runs one transaction after another, not interleaved', async () => {
        const order: string[] = [];
        const run = (label: string) =>
          store.transaction(async (tx) => {
            order.push(`${label} begins`);
            await new Promise((resolve) => setTimeout(resolve, 10));
            await tx.createAlias(aliasRecord(`alias/${label}`, keyIdOf(1)));
            order.push(`${label} ends`);
          });
        await store.createKey(keyRecord(keyIdOf(1)));
        await Promise.all([run('a'), run('b'), run('c')]);
        assert.deepEqual(order, ['a begins', 'a ends', 'b begins', 'b ends', 'c begins', 'c ends']);
      });

      it('treats a transaction begun inside another as part of it', async () => {
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.transaction(async (inner) => inner.createKey(keyRecord(keyIdOf(1))));
            throw new Error('outer fails');
          }),
        );
        assert.equal(await store.getKey(HOME, keyIdOf(1)), undefined);
      });
    });

    describe('addMaterial', () => {
      it('appends a version and makes it current in one step, moving the revision', async () => {
        await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1), 1));
        assert.equal(await store.addMaterial(HOME, material(keyIdOf(1), 2), 1), true);
        const key = await store.getKey(HOME, keyIdOf(1));
        assert.equal(key?.currentMaterialVersion, 2);
        assert.equal(key?.revision, 2);
        assert.deepEqual(await store.getMaterial(at(keyIdOf(1)), 2), material(keyIdOf(1), 2));
        assert.deepEqual(await store.getMaterial(at(keyIdOf(1)), 1), material(keyIdOf(1), 1), 'older versions stay');
      });

      it('gives a key pending import its first material', async () => {
        await store.createKey(keyRecord(keyIdOf(1), HOME, { currentMaterialVersion: 0, state: 'PendingImport', origin: 'EXTERNAL' }));
        assert.equal(await store.addMaterial(HOME, material(keyIdOf(1), 1), 1), true);
        assert.equal((await store.getKey(HOME, keyIdOf(1)))?.currentMaterialVersion, 1);
      });

      const refusals: { name: string; scope?: Scope; version?: number; revision?: number; keyId?: string }[] = [
        { name: 'the key changed since it was read (stale revision)', revision: 7 },
        { name: 'the version exists already', version: 1 },
        { name: 'the key does not exist', keyId: keyIdOf(9) },
        { name: 'the key is in another region', scope: OTHER_REGION },
        { name: 'the key is in another account', scope: OTHER_ACCOUNT },
      ];
      for (const row of refusals) {
        it(`writes nothing and answers false when ${row.name}`, async () => {
          await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1), 1));
          const keyId = row.keyId ?? keyIdOf(1);
          const version = row.version ?? 2;
          const replacement = material(keyId, version, Buffer.from('replacement'));
          assert.equal(await store.addMaterial(row.scope ?? HOME, replacement, row.revision ?? 1), false);
          const key = await store.getKey(HOME, keyIdOf(1));
          assert.equal(key?.currentMaterialVersion, 1);
          assert.equal(key?.revision, 1);
          assert.deepEqual(await store.getMaterial(at(keyIdOf(1)), 1), material(keyIdOf(1), 1));
          if (version !== 1) assert.equal(await store.getMaterial(at(keyIdOf(1)), version), undefined);
        });
      }

      it('lets exactly one of two racing rotations win', async () => {
        await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1), 1));
        const results = await Promise.all([
          store.addMaterial(HOME, material(keyIdOf(1), 2, Buffer.from('first')), 1),
          store.addMaterial(HOME, material(keyIdOf(1), 2, Buffer.from('second')), 1),
        ]);
        assert.deepEqual([...results].sort(), [false, true]);
        const winner = results[0] ? 'first' : 'second';
        assert.equal((await store.getMaterial(at(keyIdOf(1)), 2))?.wrapped.toString(), winner);
      });
    });

    describe('rotation records', () => {
      it('stores the automatic rotation schedule on a key, and removes it when updated away', async () => {
        const key = keyRecord(keyIdOf(1), HOME, { rotationPeriodInDays: 90, nextRotationDate: T0 + 90 * DAY_MS });
        await store.createKey(key, material(key.keyId));
        assert.deepEqual(await store.getKey(HOME, key.keyId), key);
        const withoutSchedule: KeyRecord = { ...key };
        delete withoutSchedule.rotationPeriodInDays;
        delete withoutSchedule.nextRotationDate;
        assert.equal(await store.updateKey(withoutSchedule, 1), true);
        const stored = await store.getKey(HOME, key.keyId);
        assert.ok(stored);
        assert.equal(Object.hasOwn(stored, 'rotationPeriodInDays'), false);
        assert.equal(Object.hasOwn(stored, 'nextRotationDate'), false);
      });

      it("keeps each material version's rotation type, absent for the first", async () => {
        await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1), 1));
        const onDemand: KeyMaterialRecord = { ...material(keyIdOf(1), 2), rotationType: 'ON_DEMAND' };
        const automatic: KeyMaterialRecord = { ...material(keyIdOf(1), 3), rotationType: 'AUTOMATIC' };
        assert.equal(await store.addMaterial(HOME, onDemand, 1), true);
        assert.equal(await store.addMaterial(HOME, automatic, 2), true);
        assert.deepEqual(await store.getMaterial(at(keyIdOf(1)), 2), onDemand);
        assert.deepEqual(await store.getMaterial(at(keyIdOf(1)), 3), automatic);
        const first = await store.getMaterial(at(keyIdOf(1)), 1);
        assert.ok(first);
        assert.equal(Object.hasOwn(first, 'rotationType'), false);
      });

      it('listMaterials: versions of one key in order, paged by the last version seen', async () => {
        await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1), 1));
        await store.createKey(keyRecord(keyIdOf(2)), material(keyIdOf(2), 1));
        for (let version = 2; version <= 5; version++) {
          assert.equal(await store.addMaterial(HOME, { ...material(keyIdOf(1), version), rotationType: 'ON_DEMAND' }, version - 1), true);
        }
        const versions = (list: KeyMaterialRecord[]) => list.map((m) => m.version);
        assert.deepEqual(versions(await store.listMaterials(at(keyIdOf(1)), { limit: 10 })), [1, 2, 3, 4, 5]);
        assert.deepEqual(versions(await store.listMaterials(at(keyIdOf(1)), { limit: 2 })), [1, 2]);
        assert.deepEqual(versions(await store.listMaterials(at(keyIdOf(1)), { limit: 2, after: 2 })), [3, 4]);
        assert.deepEqual(versions(await store.listMaterials(at(keyIdOf(1)), { limit: 2, after: 4 })), [5]);
        assert.deepEqual(await store.listMaterials(at(keyIdOf(1)), { limit: 2, after: 5 }), []);
        assert.deepEqual(versions(await store.listMaterials(at(keyIdOf(2)), { limit: 10 })), [1]);
        assert.deepEqual(await store.listMaterials(at(keyIdOf(9)), { limit: 10 }), []);
        assert.deepEqual((await store.listMaterials(at(keyIdOf(1)), { limit: 10 }))[3], { ...material(keyIdOf(1), 4), rotationType: 'ON_DEMAND' });
      });

      it('listMaterials returns copies', async () => {
        await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1), 1));
        const [listed] = await store.listMaterials(at(keyIdOf(1)), { limit: 1 });
        assert.ok(listed);
        listed.wrapped.fill(0);
        listed.materialId = 'changed';
        assert.deepEqual(await store.getMaterial(at(keyIdOf(1)), 1), material(keyIdOf(1), 1));
      });

      it('keysDueForRotation: Enabled keys of every scope whose next rotation date has come, soonest first, at most `limit`', async () => {
        const now = T0 + 365 * DAY_MS;
        const scheduled = (n: number, scope: Scope, next: number, overrides: Partial<KeyRecord> = {}) =>
          keyRecord(keyIdOf(n), scope, { rotationPeriodInDays: 365, nextRotationDate: next, ...overrides });
        const keys = [
          scheduled(1, HOME, now),
          scheduled(2, HOME, now - 10),
          scheduled(3, HOME, now + 1),
          scheduled(4, OTHER_REGION, now - 20),
          scheduled(5, OTHER_ACCOUNT, now - 5),
          // Disabled and pending-deletion keys are not rotated (AWS rotates them once enabled again).
          scheduled(6, HOME, now - 30, { state: 'Disabled' }),
          scheduled(7, HOME, now - 30, { state: 'PendingDeletion', deletionDate: now + DAY_MS, pendingWindowInDays: 7 }),
          keyRecord(keyIdOf(8)),
        ];
        for (const key of keys) await store.createKey(key, material(key.keyId));
        const due = await store.keysDueForRotation(now, 100);
        assert.deepEqual(due.map((k) => k.keyId), [4, 2, 5, 1].map(keyIdOf));
        for (const k of due) assert.deepEqual(k, keys.find((key) => key.keyId === k.keyId));
        assert.deepEqual((await store.keysDueForRotation(now, 2)).map((k) => k.keyId), [4, 2].map(keyIdOf));
        assert.deepEqual(await store.keysDueForRotation(T0, 100), []);
      });

      it('a rotation (addMaterial then updateKey in one transaction) happens once when two run at once', async () => {
        const key = keyRecord(keyIdOf(1), HOME, { rotationPeriodInDays: 90, nextRotationDate: T0 });
        await store.createKey(key, material(key.keyId, 1));
        const rotate = (on: Store, label: string) =>
          on.transaction(async (tx) => {
            const current = await tx.getKey(HOME, key.keyId);
            if (!current || (current.nextRotationDate as number) > T0) return false;
            const version = current.currentMaterialVersion + 1;
            const added = await tx.addMaterial(HOME, { ...material(key.keyId, version, Buffer.from(label)), rotationType: 'AUTOMATIC' }, current.revision);
            if (!added) return false;
            return tx.updateKey({ ...current, currentMaterialVersion: version, nextRotationDate: T0 + 90 * DAY_MS }, current.revision + 1);
          });
        const results = await Promise.all([rotate(store, 'a'), rotate(store, 'b')]);
        assert.deepEqual([...results].sort(), [false, true]);
        const stored = await store.getKey(HOME, key.keyId);
        assert.equal(stored?.currentMaterialVersion, 2);
        assert.equal(stored?.nextRotationDate, T0 + 90 * DAY_MS);
        assert.equal(stored?.revision, 3);
        assert.equal((await store.listMaterials(key, { limit: 10 })).length, 2);
      });

      it('a rotation through another connection (another server sweeping) is seen: the key is rotated once', { skip: noSibling }, async () => {
        // SQLite transactions of two connections in one process would wait on each other
        // synchronously, so the race is played in turns: both servers found the key due, one
        // rotated it, then the other tries.
        const other = await options.sibling?.(store);
        assert.ok(other);
        try {
          const key = keyRecord(keyIdOf(1), HOME, { rotationPeriodInDays: 90, nextRotationDate: T0 });
          await store.createKey(key, material(key.keyId, 1));
          assert.equal((await other.keysDueForRotation(T0, 10)).length, 1);
          assert.equal((await store.keysDueForRotation(T0, 10)).length, 1);
          const rotate = (on: Store, label: string, seen: KeyRecord) =>
            on.transaction(async (tx) => {
              const current = await tx.getKey(HOME, key.keyId);
              if (!current || current.revision !== seen.revision) return false;
              const version = current.currentMaterialVersion + 1;
              if (!(await tx.addMaterial(HOME, { ...material(key.keyId, version, Buffer.from(label)), rotationType: 'AUTOMATIC' }, current.revision))) return false;
              return tx.updateKey({ ...current, currentMaterialVersion: version, nextRotationDate: T0 + 90 * DAY_MS }, current.revision + 1);
            });
          assert.equal(await rotate(store, 'a', key), true);
          assert.equal(await rotate(other, 'b', key), false);
          assert.deepEqual(await other.keysDueForRotation(T0, 10), []);
          assert.equal((await other.listMaterials(key, { limit: 10 })).length, 2);
          assert.equal((await other.getMaterial(key, 2))?.wrapped.toString(), 'a');
        } finally {
          await other.close();
        }
      });
    });

    describe('key-pair reserve', () => {
      it('returns stored pairs byte-exact, oldest first, and each only once', async () => {
        const pairs = [1, 2, 3].map((n) => reservedPair(n));
        await store.addReservedPairs(pairs.slice(0, 2));
        await store.addReservedPairs(pairs.slice(2));
        assert.deepEqual(await store.claimReservedPairs('RSA_2048', 2), pairs.slice(0, 2));
        assert.deepEqual(await store.claimReservedPairs('RSA_2048', 5), pairs.slice(2));
        assert.deepEqual(await store.claimReservedPairs('RSA_2048', 5), []);
      });

      it('claims only the spec asked for, and counts what is left per spec', async () => {
        await store.addReservedPairs([reservedPair(1, 'RSA_2048'), reservedPair(2, 'RSA_4096'), reservedPair(3, 'RSA_4096')]);
        assert.deepEqual(await store.reservedPairCounts(), { RSA_2048: 1, RSA_4096: 2 });
        assert.deepEqual(await store.claimReservedPairs('RSA_3072', 5), []);
        assert.deepEqual(await store.claimReservedPairs('RSA_4096', 1), [reservedPair(2, 'RSA_4096')]);
        assert.deepEqual(await store.reservedPairCounts(), { RSA_2048: 1, RSA_4096: 1 });
        await store.claimReservedPairs('RSA_2048', 1);
        assert.deepEqual(await store.reservedPairCounts(), { RSA_4096: 1 }, 'a spec with none left is absent');
      });

      it('claims nothing with a limit of 0', async () => {
        await store.addReservedPairs([reservedPair(1)]);
        assert.deepEqual(await store.claimReservedPairs('RSA_2048', 0), []);
        assert.deepEqual(await store.reservedPairCounts(), { RSA_2048: 1 });
      });

      it('adds all pairs or none: an id already stored rejects the whole batch', async () => {
        await store.addReservedPairs([reservedPair(1)]);
        await assert.rejects(store.addReservedPairs([reservedPair(2), reservedPair(1)]));
        assert.deepEqual(await store.reservedPairCounts(), { RSA_2048: 1 });
      });

      it('hands each pair to exactly one of many concurrent claims', async () => {
        await store.addReservedPairs(Array.from({ length: 8 }, (_, i) => reservedPair(i + 1)));
        const claims = await Promise.all(Array.from({ length: 20 }, () => store.claimReservedPairs('RSA_2048', 1)));
        const ids = claims.flat().map((pair) => pair.id);
        assert.equal(ids.length, 8);
        assert.equal(new Set(ids).size, 8);
      });

      it('puts claimed pairs back when the transaction that claimed them fails', async () => {
        await store.addReservedPairs([reservedPair(1), reservedPair(2)]);
        await assert.rejects(
          store.transaction(async (tx) => {
            assert.equal((await tx.claimReservedPairs('RSA_2048', 1)).length, 1);
            throw new Error('abandoned');
          }),
        );
        assert.deepEqual(await store.claimReservedPairs('RSA_2048', 5), [reservedPair(1), reservedPair(2)]);
      });

      it('returns copies: changing a returned pair changes nothing stored', async () => {
        const pair = reservedPair(1);
        await store.addReservedPairs([pair]);
        pair.wrapped.fill(0);
        const [claimed] = await store.claimReservedPairs('RSA_2048', 1);
        assert.deepEqual(claimed, reservedPair(1));
      });

      it('does not fire the change signal for its own adds and claims', async () => {
        const heard: (string | undefined)[] = [];
        store.onChange((keyId) => heard.push(keyId));
        await store.addReservedPairs([reservedPair(1)]);
        await store.claimReservedPairs('RSA_2048', 1);
        assert.deepEqual(heard, []);
      });

      it('never hands one pair to two connections sharing the data', { skip: noSibling }, async () => {
        const other = await options.sibling?.(store);
        assert.ok(other);
        try {
          await store.addReservedPairs(Array.from({ length: 12 }, (_, i) => reservedPair(i + 1)));
          const claims = await Promise.all(
            Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? store : other).claimReservedPairs('RSA_2048', 1)),
          );
          const ids = claims.flat().map((pair) => pair.id);
          assert.equal(ids.length, 12);
          assert.equal(new Set(ids).size, 12);
          assert.deepEqual(await other.reservedPairCounts(), {});
        } finally {
          await other.close();
        }
      });
    });

    describe('imported material records', () => {
      it('keeps expiry on keys and import state and description on material versions', async () => {
        const key = keyRecord(keyIdOf(1), HOME, { origin: 'EXTERNAL', expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: T0 + DAY_MS });
        const imported: KeyMaterialRecord = { ...material(key.keyId, 1), importState: 'IMPORTED', description: 'from the HSM' };
        await store.createKey(key, imported);
        assert.deepEqual(await store.getKey(HOME, key.keyId), key);
        assert.deepEqual(await store.getMaterial(key, 1), imported);
      });

      it('putMaterial replaces a version (deleted, then imported again) and inserts a new one, leaving the key alone', async () => {
        const key = keyRecord(keyIdOf(1), HOME, { origin: 'EXTERNAL' });
        const imported: KeyMaterialRecord = { ...material(key.keyId, 1), importState: 'IMPORTED', description: 'first' };
        await store.createKey(key, imported);
        const deleted: KeyMaterialRecord = { ...imported, wrapped: Buffer.alloc(0), importState: 'PENDING_IMPORT' };
        assert.equal(await store.putMaterial(deleted), true);
        assert.deepEqual(await store.getMaterial(key, 1), deleted);
        assert.equal(await store.putMaterial(imported), true);
        assert.deepEqual(await store.getMaterial(key, 1), imported);
        const second: KeyMaterialRecord = { ...material(key.keyId, 2), importState: 'IMPORTED' };
        assert.equal(await store.putMaterial(second), true);
        assert.deepEqual(await store.listMaterials(key, { limit: 10 }), [imported, second]);
        assert.deepEqual(await store.getKey(HOME, key.keyId), key, 'the key record is unchanged');
        assert.equal(await store.putMaterial(material(keyIdOf(9), 1)), false, 'no such key');
        assert.equal(await store.getMaterial(at(keyIdOf(9)), 1), undefined);
      });

      it('keysWithExpiredMaterial: keys of every scope whose validTo has come, soonest first, at most `limit`', async () => {
        const now = T0 + 10 * DAY_MS;
        const expiring = (n: number, scope: Scope, validTo: number) =>
          keyRecord(keyIdOf(n), scope, { origin: 'EXTERNAL', expirationModel: 'KEY_MATERIAL_EXPIRES', validTo });
        const keys = [expiring(1, HOME, now), expiring(2, OTHER_REGION, now - 5), expiring(3, HOME, now + 1), keyRecord(keyIdOf(4))];
        for (const key of keys) await store.createKey(key, material(key.keyId));
        assert.deepEqual((await store.keysWithExpiredMaterial(now, 10)).map((k) => k.keyId), [2, 1].map(keyIdOf));
        assert.deepEqual((await store.keysWithExpiredMaterial(now, 1)).map((k) => k.keyId), [keyIdOf(2)]);
        assert.deepEqual(await store.keysWithExpiredMaterial(T0, 10), []);
      });
    });

    describe('key usage (GetKeyLastUsage)', () => {
      const use = (n: number, at: number, operation = 'Encrypt'): KeyUsageRecord => ({
        keyId: keyIdOf(n),
        region: HOME.region,
        operation,
        at,
        requestId: `request-${n}-${at}`,
      });

      it('stores a batch of uses, one per key, and returns each', async () => {
        for (const n of [1, 2]) await store.createKey(keyRecord(keyIdOf(n)), material(keyIdOf(n)));
        assert.equal(await store.getKeyUsage(at(keyIdOf(1))), undefined);
        await store.recordKeyUsage([use(1, T0 + 5), use(2, T0 + 6, 'Decrypt')]);
        assert.deepEqual(await store.getKeyUsage(at(keyIdOf(1))), use(1, T0 + 5));
        assert.deepEqual(await store.getKeyUsage(at(keyIdOf(2))), use(2, T0 + 6, 'Decrypt'));
        await store.recordKeyUsage([]);
        assert.deepEqual(await store.getKeyUsage(at(keyIdOf(1))), use(1, T0 + 5));
      });

      it('a later use replaces an earlier one, never the other way round (servers flush out of order)', async () => {
        await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1)));
        await store.recordKeyUsage([use(1, T0 + 10, 'Sign')]);
        await store.recordKeyUsage([use(1, T0 + 5, 'Verify')]);
        assert.deepEqual(await store.getKeyUsage(at(keyIdOf(1))), use(1, T0 + 10, 'Sign'));
        await store.recordKeyUsage([use(1, T0 + 11, 'GenerateMac')]);
        assert.deepEqual(await store.getKeyUsage(at(keyIdOf(1))), use(1, T0 + 11, 'GenerateMac'));
      });

      it("keeps a use's audit eventID, and a later use without one (audit log off) has none", async () => {
        for (const n of [1, 2]) await store.createKey(keyRecord(keyIdOf(n)), material(keyIdOf(n)));
        const audited = { ...use(1, T0 + 5), eventId: '4aa7e4d5-d047-452a-a5a6-2cce282a7e82' };
        await store.recordKeyUsage([audited, use(2, T0 + 5)]);
        assert.deepEqual(await store.getKeyUsage(at(keyIdOf(1))), audited);
        assert.deepEqual(await store.getKeyUsage(at(keyIdOf(2))), use(2, T0 + 5), 'no eventId member at all');
        await store.recordKeyUsage([use(1, T0 + 6, 'Decrypt')]);
        assert.deepEqual(await store.getKeyUsage(at(keyIdOf(1))), use(1, T0 + 6, 'Decrypt'), "the earlier use's eventId goes with it");
      });

      it('drops the use of a key that does not exist, keeping the rest of the batch', async () => {
        await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1)));
        await store.recordKeyUsage([use(9, T0), use(1, T0)]);
        assert.equal(await store.getKeyUsage(at(keyIdOf(9))), undefined);
        assert.deepEqual(await store.getKeyUsage(at(keyIdOf(1))), use(1, T0));
      });

      it('goes with its key, and is not announced on the change signal', async () => {
        await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1)));
        const heard: (string | undefined)[] = [];
        const stop = store.onChange((keyId) => heard.push(keyId));
        await store.recordKeyUsage([use(1, T0)]);
        assert.deepEqual(heard, [], 'a use changes no key: caches keep their entries');
        stop();
        assert.equal(await store.deleteKey(HOME, keyIdOf(1)), true);
        assert.equal(await store.getKeyUsage(at(keyIdOf(1))), undefined);
      });

      it('keeps usageTrackedSince on a key record', async () => {
        const key = keyRecord(keyIdOf(1), HOME, { usageTrackedSince: T0 + DAY_MS });
        await store.createKey(key, material(key.keyId));
        assert.deepEqual(await store.getKey(HOME, key.keyId), key);
      });
    });

    describe('regional records (multi-Region keys: one key id, a record per Region)', () => {
      const MRK = `mrk-${'0123456789abcdef'.repeat(2)}`;
      /** A Region of its own for a third regional record. */
      const THIRD: Scope = { account: HOME.account, region: 'ap-southeast-2' };
      const replica = (scope: Scope, overrides: Partial<KeyRecord> = {}) =>
        keyRecord(MRK, scope, { primaryRegion: HOME.region, description: `mrk in ${scope.region}`, ...overrides });
      const bytes = (text: string) => Buffer.from(text);

      /** The primary in HOME and a replica in OTHER_REGION, each with its own material version 1. */
      async function twoRegions(): Promise<{ primary: KeyRecord; west: KeyRecord }> {
        const primary = replica(HOME);
        const west = replica(OTHER_REGION);
        await store.createKey(primary, material(MRK, 1, bytes('primary v1')));
        await store.createKey(west, material(MRK, 1, bytes('replica v1'), OTHER_REGION));
        return { primary, west };
      }

      it('keeps two records of one key id in two Regions, each read and updated on its own (a revision per Region)', async () => {
        const { primary, west } = await twoRegions();
        assert.deepEqual(await store.getKey(HOME, MRK), primary);
        assert.deepEqual(await store.getKey(OTHER_REGION, MRK), west, 'the second Region reads its own record, not the cached first');
        assert.deepEqual(await store.getKey(HOME, MRK), primary);
        assert.equal(await store.getKey(THIRD, MRK), undefined);

        assert.equal(await store.updateKey({ ...west, state: 'Disabled' }, 1), true);
        assert.deepEqual(await store.getKey(OTHER_REGION, MRK), { ...west, state: 'Disabled', revision: 2 });
        assert.deepEqual(await store.getKey(HOME, MRK), primary, "the primary's record and revision are untouched");
        assert.equal(await store.updateKey({ ...primary, description: 'stale' }, 2), false, "another Region's revision is not this one's");
        assert.equal(await store.updateKey({ ...primary, description: 'updated' }, 1), true);
        assert.deepEqual(await store.getKey(HOME, MRK), { ...primary, description: 'updated', revision: 2 });
        assert.equal((await store.getKey(OTHER_REGION, MRK))?.state, 'Disabled');

        await assert.rejects(store.createKey(replica(OTHER_REGION, { description: 'twice' })), Error, 'one record per Region');
        assert.equal((await store.getKey(OTHER_REGION, MRK))?.description, west.description);
      });

      it('keyRegions lists every regional record of a key id in its account, ordered by Region', async () => {
        await store.createKey(replica(OTHER_REGION));
        await store.createKey(replica(HOME));
        await store.createKey(replica(THIRD));
        // The same id in another account (in a Region of its own) is not this account's key.
        const foreign: Scope = { account: OTHER_ACCOUNT.account, region: 'sa-east-1' };
        await store.createKey(replica(foreign));
        await store.createKey(keyRecord(keyIdOf(1), HOME));
        assert.deepEqual(
          (await store.keyRegions(HOME.account, MRK)).map((k) => k.region),
          ['ap-southeast-2', 'eu-west-1', 'us-east-1'],
        );
        assert.deepEqual(await store.keyRegions(HOME.account, MRK), [replica(THIRD), replica(OTHER_REGION), replica(HOME)]);
        assert.deepEqual(await store.keyRegions(foreign.account, MRK), [replica(foreign)]);
        assert.deepEqual(await store.getKey({ ...foreign, region: HOME.region }, MRK), undefined);
        assert.deepEqual((await store.keyRegions(HOME.account, keyIdOf(1))).map((k) => k.region), [HOME.region]);
        assert.deepEqual(await store.keyRegions(HOME.account, keyIdOf(404)), []);
        assert.equal(await store.deleteKey(OTHER_REGION, MRK), true);
        assert.deepEqual((await store.keyRegions(HOME.account, MRK)).map((k) => k.region), ['ap-southeast-2', 'us-east-1']);
      });

      it('deleteKey in one Region removes that record with its material, aliases, grants and usage, and leaves the other Region\'s', async () => {
        const { primary } = await twoRegions();
        for (const scope of [HOME, OTHER_REGION]) {
          assert.equal(await store.createAlias(aliasRecord(`alias/${scope.region}`, MRK, scope)), true);
          assert.ok(await store.createGrant(grantRecord(scope === HOME ? 1 : 2, MRK, scope)));
        }
        await store.recordKeyUsage([
          { keyId: MRK, region: HOME.region, operation: 'Encrypt', at: T0, requestId: 'home' },
          { keyId: MRK, region: OTHER_REGION.region, operation: 'Decrypt', at: T0, requestId: 'west' },
        ]);

        assert.equal(await store.deleteKey(OTHER_REGION, MRK, 2), false, 'at a revision the record is not at');
        assert.equal(await store.deleteKey(OTHER_REGION, MRK, 1), true);

        assert.equal(await store.getKey(OTHER_REGION, MRK), undefined);
        assert.equal(await store.getMaterial(at(MRK, OTHER_REGION), 1), undefined);
        assert.deepEqual(await store.listMaterials(at(MRK, OTHER_REGION), { limit: 10 }), []);
        assert.equal(await store.getAlias(OTHER_REGION, `alias/${OTHER_REGION.region}`), undefined);
        assert.equal(await store.getGrant(OTHER_REGION, MRK, grantIdOf(2)), undefined);
        assert.equal(await store.getKeyUsage(at(MRK, OTHER_REGION)), undefined);

        assert.deepEqual(await store.getKey(HOME, MRK), primary);
        assert.deepEqual(await store.getMaterial(at(MRK), 1), material(MRK, 1, bytes('primary v1')));
        assert.deepEqual(await store.getAlias(HOME, `alias/${HOME.region}`), aliasRecord(`alias/${HOME.region}`, MRK, HOME));
        assert.deepEqual(await store.getGrant(HOME, MRK, grantIdOf(1)), grantRecord(1, MRK, HOME));
        assert.equal((await store.getKeyUsage(at(MRK)))?.requestId, 'home');
        assert.deepEqual((await store.listAllKeys({ limit: 10 })).map((k) => [k.keyId, k.region]), [[MRK, HOME.region]]);
      });

      it('listAllKeys pages by (key id, Region): no record skipped or repeated, whatever the page size', async () => {
        const layout: [string, Scope[]][] = [
          [keyIdOf(1), [OTHER_REGION, THIRD, HOME]],
          [keyIdOf(2), [HOME]],
          [MRK, [HOME, THIRD]],
        ];
        for (const [keyId, scopes] of layout) for (const scope of scopes) await store.createKey(keyRecord(keyId, scope));
        const expected = [
          [keyIdOf(1), 'ap-southeast-2'],
          [keyIdOf(1), 'eu-west-1'],
          [keyIdOf(1), 'us-east-1'],
          [keyIdOf(2), 'us-east-1'],
          [MRK, 'ap-southeast-2'],
          [MRK, 'us-east-1'],
        ];
        const all = (await store.listAllKeys({ limit: 100 })).map((k) => [k.keyId, k.region]);
        assert.deepEqual(all, expected);
        for (const limit of [1, 2, 4]) {
          const seen: string[][] = [];
          for (let after: KeyLocation | undefined, pages = 0; pages < 20; pages++) {
            const page = await store.listAllKeys({ limit, ...(after && { after }) });
            seen.push(...page.map((k) => [k.keyId, k.region]));
            if (page.length < limit) break;
            const last = page[page.length - 1] as KeyRecord;
            after = { keyId: last.keyId, region: last.region };
          }
          assert.deepEqual(seen, expected, `pages of ${limit}`);
        }
        assert.deepEqual(
          (await store.listAllKeys({ limit: 2, after: { keyId: keyIdOf(1), region: 'eu-west-1' } })).map((k) => [k.keyId, k.region]),
          [[keyIdOf(1), 'us-east-1'], [keyIdOf(2), 'us-east-1']],
          'after a record: the next Region of the same key id comes first',
        );
        assert.deepEqual(
          (await store.listAllKeys({ limit: 1, after: { keyId: keyIdOf(1), region: 'zz-none-1' } })).map((k) => [k.keyId, k.region]),
          [[keyIdOf(2), 'us-east-1']],
          'after a location that holds no record',
        );
      });

      it('keeps material versions per Region: get, add, list and put touch one regional record', async () => {
        const { west } = await twoRegions();
        assert.deepEqual(await store.getMaterial(at(MRK), 1), material(MRK, 1, bytes('primary v1')));
        assert.deepEqual(await store.getMaterial(at(MRK, OTHER_REGION), 1), material(MRK, 1, bytes('replica v1'), OTHER_REGION));
        assert.equal(await store.getMaterial(at(MRK, THIRD), 1), undefined);

        const v2 = material(MRK, 2, bytes('replica v2'), OTHER_REGION);
        assert.equal(await store.addMaterial(OTHER_REGION, v2, 1), true);
        assert.equal((await store.getKey(OTHER_REGION, MRK))?.currentMaterialVersion, 2);
        assert.equal((await store.getKey(HOME, MRK))?.currentMaterialVersion, 1, "the other Region's current version stays");
        assert.deepEqual((await store.listMaterials(at(MRK, OTHER_REGION), { limit: 10 })).map((m) => m.version), [1, 2]);
        assert.deepEqual(await store.listMaterials(at(MRK), { limit: 10 }), [material(MRK, 1, bytes('primary v1'))]);
        assert.equal(await store.getMaterial(at(MRK), 2), undefined);
        // The primary may add its own version 2: the version exists only in the other Region.
        assert.equal(await store.addMaterial(HOME, material(MRK, 2, bytes('primary v2')), 1), true);
        assert.equal((await store.getMaterial(at(MRK), 2))?.wrapped.toString(), 'primary v2');
        assert.equal((await store.getMaterial(at(MRK, OTHER_REGION), 2))?.wrapped.toString(), 'replica v2');

        const deleted = { ...material(MRK, 1, Buffer.alloc(0), OTHER_REGION), importState: 'PENDING_IMPORT' as const };
        assert.equal(await store.putMaterial(deleted), true);
        assert.deepEqual(await store.getMaterial(at(MRK, OTHER_REGION), 1), deleted);
        assert.deepEqual(await store.getMaterial(at(MRK), 1), material(MRK, 1, bytes('primary v1')), "putMaterial wrote the other Region's only");
        assert.equal(await store.putMaterial(material(MRK, 1, bytes('nowhere'), THIRD)), false, 'no record in that Region');
        assert.equal(await store.getMaterial(at(MRK, THIRD), 1), undefined);
        assert.equal((await store.getKey(OTHER_REGION, MRK))?.revision, west.revision + 1, 'putMaterial leaves the record alone');
      });

      it('keeps the last use per Region, dropping uses of a Region without the record', async () => {
        await twoRegions();
        const use = (scope: Scope, at: number, requestId: string): KeyUsageRecord => ({ keyId: MRK, region: scope.region, operation: 'Encrypt', at, requestId });
        await store.recordKeyUsage([use(HOME, T0 + 5, 'home'), use(OTHER_REGION, T0 + 1, 'west'), use(THIRD, T0 + 9, 'nowhere')]);
        assert.deepEqual(await store.getKeyUsage(at(MRK)), use(HOME, T0 + 5, 'home'));
        assert.deepEqual(await store.getKeyUsage(at(MRK, OTHER_REGION)), use(OTHER_REGION, T0 + 1, 'west'));
        assert.equal(await store.getKeyUsage(at(MRK, THIRD)), undefined);
        await store.recordKeyUsage([use(OTHER_REGION, T0 + 7, 'west later')]);
        assert.equal((await store.getKeyUsage(at(MRK, OTHER_REGION)))?.requestId, 'west later');
        assert.equal((await store.getKeyUsage(at(MRK)))?.requestId, 'home', "a later use in one Region is not the other's");
      });

      it('names grants per regional record: the same named grant in two Regions is two grants', async () => {
        await twoRegions();
        const named = (n: number, scope: Scope) => grantRecord(n, MRK, scope, { name: 'same-name' });
        assert.deepEqual(await store.createGrant(named(1, HOME)), named(1, HOME));
        assert.deepEqual(await store.createGrant(named(2, OTHER_REGION)), named(2, OTHER_REGION), 'not a retry of the other Region\'s');
        assert.deepEqual(await store.createGrant(named(3, OTHER_REGION)), named(2, OTHER_REGION), 'a retry in the same Region');
        assert.deepEqual((await store.listGrants(HOME, MRK, { limit: 10 })).map((g) => g.grantId), [grantIdOf(1)]);
        assert.deepEqual((await store.listGrants(OTHER_REGION, MRK, { limit: 10 })).map((g) => g.grantId), [grantIdOf(2)]);
        assert.equal(await store.createGrant(grantRecord(4, MRK, THIRD)), undefined, 'no record in that Region');
      });

      it('counts PendingReplicaDeletion as a state of its own', async () => {
        await store.createKey(replica(HOME, { state: 'PendingReplicaDeletion' }));
        await store.createKey(replica(OTHER_REGION, { state: 'PendingDeletion', deletionDate: T0, pendingWindowInDays: 7 }));
        await store.createKey(keyRecord(keyIdOf(1), HOME));
        assert.deepEqual(await store.countKeysByState(), { Enabled: 1, PendingDeletion: 1, PendingReplicaDeletion: 1 });
        assert.equal((await store.getKey(HOME, MRK))?.state, 'PendingReplicaDeletion');
        assert.deepEqual((await store.keysDueForDeletion(T0, 10)).map((k) => [k.keyId, k.region]), [[MRK, OTHER_REGION.region]]);
      });

      it("sees another connection's change to one Region's record, though it caches the other's", { skip: noSibling }, async () => {
        const other = await options.sibling?.(store);
        assert.ok(other);
        try {
          const { primary, west } = await twoRegions();
          assert.deepEqual(await store.getKey(HOME, MRK), primary);
          assert.deepEqual(await store.getKey(OTHER_REGION, MRK), west);
          assert.equal(await other.updateKey({ ...west, description: 'changed there' }, 1), true);
          assert.equal((await store.getKey(OTHER_REGION, MRK))?.description, 'changed there');
          assert.equal(await other.deleteKey(HOME, MRK), true);
          assert.equal(await store.getKey(HOME, MRK), undefined);
          assert.equal((await store.getKey(OTHER_REGION, MRK))?.description, 'changed there');
        } finally {
          await other.close();
        }
      });
    });

    describe('onChange (the change signal)', () => {
      it("tells listeners of this connection's own writes, with the key id when one key was written", async () => {
        const heard: (string | undefined)[] = [];
        const stop = store.onChange((keyId) => heard.push(keyId));
        await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1)));
        await store.updateKey({ ...keyRecord(keyIdOf(1)), description: 'changed' }, 1);
        await store.addMaterial(HOME, material(keyIdOf(1), 2), 2);
        await store.deleteKey(HOME, keyIdOf(1));
        assert.deepEqual(heard, [keyIdOf(1), keyIdOf(1), keyIdOf(1), keyIdOf(1)]);
        stop();
        await store.createKey(keyRecord(keyIdOf(2)));
        assert.equal(heard.length, 4, 'an unsubscribed listener hears nothing');
      });

      it('announces a rolled-back transaction as a change to anything', async () => {
        const heard: (string | undefined)[] = [];
        store.onChange((keyId) => heard.push(keyId));
        await assert.rejects(store.transaction(async () => Promise.reject(new Error('no'))));
        assert.ok(heard.includes(undefined));
      });

      it("tells listeners of another connection's commit before answering the next read with it", { skip: noSibling }, async () => {
        const other = await options.sibling?.(store);
        assert.ok(other);
        try {
          await store.createKey(keyRecord(keyIdOf(1)), material(keyIdOf(1)));
          assert.ok(await store.getKey(HOME, keyIdOf(1)));
          const heard: (string | undefined)[] = [];
          store.onChange((keyId) => heard.push(keyId));
          assert.equal(await other.deleteKey(HOME, keyIdOf(1)), true);
          assert.equal(await store.getKey(HOME, keyIdOf(1)), undefined, 'the deletion is seen at once');
          assert.deepEqual(heard, [undefined], 'and was announced, as a change to anything');
        } finally {
          await other.close();
        }
      });
    });
  });
}
