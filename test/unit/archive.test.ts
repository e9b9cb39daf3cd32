/**
 * `trent export` / `trent import`'s archive (cli/archive.ts) with regional key records: a
 * multi-Region key id's records in two Regions are archived each with its own material versions,
 * aliases and grants, and come back as they were; an archive in the format written before keys
 * had regional records (version 1: materials without a Region) still imports, its materials
 * becoming the records' they are listed with. Material is wrapped by a real root key, so an
 * imported version that lost its bytes or its binding would not unwrap.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { exportArchive, importArchive, parseArchive, type Archive } from '../../src/cli/archive.js';
import { RootKey } from '../../src/crypto/root-key.js';
import { MemoryStore } from '../../src/storage/memory.js';
import type { AliasRecord, GrantRecord, KeyLocation, KeyMaterialRecord, KeyRecord, Scope, Store } from '../../src/storage/types.js';
import { testKeyRecord } from '../helpers/records.js';

const EAST: Scope = { account: '111122223333', region: 'us-east-1' };
const WEST: Scope = { account: '111122223333', region: 'eu-west-1' };
const MRK = `mrk-${'1'.repeat(32)}`;
const SINGLE = '0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0';

const rootKey = RootKey.fromBytes(randomBytes(32));

function material(key: KeyLocation, version: number, secret: Buffer): KeyMaterialRecord {
  return {
    keyId: key.keyId,
    region: key.region,
    version,
    materialId: version.toString(16).padStart(64, 'c'),
    wrapped: rootKey.wrap(secret, key.keyId, version),
    createdAt: version,
  };
}

/**
 * Every record, material, alias and grant a store holds, for comparing two stores; revisions
 * aside (import writes each record more than once).
 */
async function contents(store: Store): Promise<unknown> {
  const keys = await store.listAllKeys({ limit: 100 });
  const materials = await Promise.all(keys.map((key) => store.listMaterials(key, { limit: 100 })));
  const aliases = await Promise.all([EAST, WEST].map((scope) => store.listAliases(scope, { limit: 100 })));
  const grants = await Promise.all(keys.map((key) => store.listGrants(key, key.keyId, { limit: 100 })));
  return { keys: keys.map(({ revision: _, ...rest }) => rest), materials, aliases, grants };
}

/** A multi-Region key in two Regions (the primary rotated once) and a single-Region key. */
async function populated(): Promise<{ store: MemoryStore; secrets: Buffer[] }> {
  const store = new MemoryStore();
  const secrets = [randomBytes(32), randomBytes(32), randomBytes(32)];
  const primary: KeyRecord = testKeyRecord(MRK, { ...EAST, primaryRegion: EAST.region, description: 'primary' });
  const replica: KeyRecord = testKeyRecord(MRK, { ...WEST, primaryRegion: EAST.region, description: 'replica' });
  await store.createKey(primary, material(primary, 1, secrets[0] as Buffer));
  assert.equal(await store.addMaterial(EAST, material(primary, 2, secrets[1] as Buffer), 1), true);
  await store.createKey(replica, material(replica, 1, secrets[0] as Buffer));
  await store.createKey(testKeyRecord(SINGLE, { ...WEST }), material({ keyId: SINGLE, region: WEST.region }, 1, secrets[2] as Buffer));
  for (const scope of [EAST, WEST]) {
    const alias: AliasRecord = { ...scope, aliasName: `alias/${scope.region}`, targetKeyId: MRK, createdAt: 1, updatedAt: 2 };
    assert.equal(await store.createAlias(alias), true);
    const grant: GrantRecord = {
      ...scope,
      grantId: (scope === EAST ? 'e' : 'f').repeat(64),
      keyId: MRK,
      granteePrincipal: 'arn:aws:iam::111122223333:role/app',
      operations: ['Decrypt'],
      issuingAccount: 'arn:aws:iam::111122223333:root',
      createdAt: 3,
    };
    assert.ok(await store.createGrant(grant));
  }
  return { store, secrets };
}

describe('archive of regional key records', () => {
  it('carries each Region record of a multi-Region key with its own materials, aliases and grants', async () => {
    const { store, secrets } = await populated();
    const archive = parseArchive(JSON.stringify(await exportArchive(store, rootKey)));
    assert.deepEqual(
      archive.keys.map((k) => [k.key.keyId, k.key.region, k.materials.map((m) => [m.region, m.version])]),
      // By key id, then Region.
      [
        [SINGLE, WEST.region, [[WEST.region, 1]]],
        [MRK, WEST.region, [[WEST.region, 1]]],
        [MRK, EAST.region, [[EAST.region, 1], [EAST.region, 2]]],
      ],
    );

    const target = new MemoryStore();
    const report = await importArchive(target, rootKey, archive);
    assert.deepEqual(report, { keys: { added: 3, present: 0 }, aliases: { added: 2, present: 0 }, grants: { added: 2, present: 0 } });
    assert.deepEqual(await contents(target), await contents(store));
    const replica = await target.getMaterial({ keyId: MRK, region: WEST.region }, 1);
    assert.deepEqual(rootKey.unwrap((replica as KeyMaterialRecord).wrapped, MRK, 1), secrets[0]);
    assert.equal(await target.getMaterial({ keyId: MRK, region: WEST.region }, 2), undefined, "the primary's later version is not the replica's");
    assert.equal((await target.getKey(WEST, MRK))?.primaryRegion, EAST.region);

    const again = await importArchive(target, rootKey, archive);
    assert.deepEqual(again, { keys: { added: 0, present: 3 }, aliases: { added: 0, present: 2 }, grants: { added: 0, present: 2 } });
  });

  it('imports a version 1 archive, whose materials name no Region, as the records they are listed with', async () => {
    const store = new MemoryStore();
    const secret = randomBytes(32);
    await store.createKey(testKeyRecord(SINGLE, { ...WEST }), material({ keyId: SINGLE, region: WEST.region }, 1, secret));
    const current = await exportArchive(store, rootKey);
    // What the exporter wrote before regional records: version 1, materials without a region.
    const v1 = JSON.parse(JSON.stringify(current)) as Archive & { keys: { materials: Record<string, unknown>[] }[] };
    v1.version = 1;
    for (const key of v1.keys) for (const m of key.materials) delete m.region;
    assert.equal(JSON.stringify(v1).includes('"region":"eu-west-1","version"'), false, 'the materials of the version 1 archive name no Region');

    const target = new MemoryStore();
    const report = await importArchive(target, rootKey, parseArchive(JSON.stringify(v1)));
    assert.deepEqual(report.keys, { added: 1, present: 0 });
    const imported = await target.getMaterial({ keyId: SINGLE, region: WEST.region }, 1);
    assert.equal(imported?.region, WEST.region);
    assert.deepEqual(rootKey.unwrap((imported as KeyMaterialRecord).wrapped, SINGLE, 1), secret);
    assert.deepEqual(await contents(target), await contents(store));
  });

  it('refuses an archive version it does not know', () => {
    const text = JSON.stringify({ format: 'trent-archive', version: 99, rootKeyCheck: '', keys: [], aliases: [], grants: [] });
    assert.throws(() => parseArchive(text), /the archive is version 99; this Trent reads versions 1 and 2/);
  });
});
