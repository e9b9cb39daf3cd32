/**
 * Two servers starting at once with one seed file (several servers on one database): each finds
 * a key, replica or alias missing, and the one that creates it second must not fail start-up.
 * Made deterministic by running server B's whole seeding at the moment server A's check has
 * found the thing missing, before A creates it: every call of both goes to a real store (two
 * handles on one PostgreSQL schema; on one SQLite data directory too, one after the other, for
 * the same code path) through the real seeding and operation code; only the moment B runs is
 * chosen. Then A must report the thing as unchanged, and the store must hold it once. With
 * PostgreSQL, two seedings are also run at the same moment, interleaved as they happen to be.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/config.js';
import { openDataDir } from '../../src/server/data-dir.js';
import { applySeed, seedOf, type Seed, type SeedReport } from '../../src/server/seed.js';
import type { Store } from '../../src/storage/types.js';
import { freshSchemaUrl, postgresSkipReason } from '../helpers/postgres.js';

const KEY_ID = '0b6d8e2c-1f3a-4c5d-9e7f-1234567890ab';
const MRK_ID = 'mrk-0123456789abcdef0123456789abcdef';
const SCOPE = { account: '111122223333', region: 'us-east-1' };
const logger = pino({ level: 'silent' });

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

type Check = 'getKey' | 'getAlias' | 'keyRegions';

/** `store` whose first `method` call that finds nothing (no record, no Regions) first waits for `other` to run. */
function racedBy(store: Store, method: Check, other: () => Promise<unknown>): Store {
  let raced = false;
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property !== method) return value.bind(target) as unknown;
      return async (...args: unknown[]) => {
        const result: unknown = await value.apply(target, args);
        if ((result === undefined || (Array.isArray(result) && result.length === 0)) && !raced) {
          raced = true;
          await other();
        }
        return result;
      };
    },
  });
}

/** Applies `seed` as server A, with server B applying it between A's first `method` miss and A's create. */
async function race(config: Config, seed: Seed, method: Check): Promise<{ a: SeedReport; b: SeedReport }> {
  let b: SeedReport | undefined;
  const opened = await openDataDir(config);
  const store = racedBy(opened.store, method, async () => (b = await applySeed(config, seed, logger)));
  const a = await applySeed(config, seed, logger, { ...opened, store });
  assert.ok(b, `server B never ran: A's ${method} never found anything missing`);
  return { a, b };
}

async function inspect<T>(config: Config, look: (store: Store) => Promise<T>): Promise<T> {
  const { store } = await openDataDir(config);
  try {
    return await look(store);
  } finally {
    await store.close();
  }
}

const singleRegion = seedOf({
  keys: [{ keyId: KEY_ID, description: 'app key' }],
  aliases: [{ aliasName: 'alias/app', targetKeyId: KEY_ID }],
  grants: [{ keyId: KEY_ID, granteePrincipal: 'arn:aws:iam::111122223333:role/app', operations: ['Decrypt'], name: 'app' }],
}, 'race.yaml');
const multiRegion = (replicaRegions: string[]) => seedOf({ keys: [{ keyId: MRK_ID, multiRegion: true, description: 'global', replicaRegions }] }, 'race.yaml');

for (const [backend, skip, configOf] of [
  ['SQLite', false, async (dir: string) => loadConfig({ dataDir: dir }, {})],
  ['PostgreSQL', postgresSkipReason, async (dir: string) => loadConfig({ dataDir: dir, databaseUrl: await freshSchemaUrl('trent_seed_race') }, {})],
] as const) {
  describe(`two servers seeding one ${backend} database at once`, { skip, timeout: 60_000 }, () => {
    const fresh = async () => {
      const dir = mkdtempSync(join(tmpdir(), 'trent-seed-race-'));
      dirs.push(dir);
      return configOf(dir);
    };

    it('a key made by the other server between the check and the create is compared, not an error', async () => {
      const config = await fresh();
      const { a, b } = await race(config, singleRegion, 'getKey');
      assert.deepEqual(b.created, [`key ${KEY_ID} (us-east-1)`, 'alias/app (us-east-1)', `grant 'app' on ${KEY_ID} (us-east-1)`]);
      assert.deepEqual(a.created, []);
      assert.deepEqual(a.unchanged, b.created);
      assert.equal((await inspect(config, (s) => s.listKeys(SCOPE, { limit: 10 }))).length, 1);
    });

    it('an alias made by the other server between the check and the create is compared, not an error', async () => {
      const config = await fresh();
      await applySeed(config, seedOf({ keys: singleRegion.keys }, 'keys only'), logger);
      const { a, b } = await race(config, singleRegion, 'getAlias');
      assert.ok(b.created.includes('alias/app (us-east-1)'));
      assert.ok(a.unchanged.includes('alias/app (us-east-1)'));
      assert.ok(!a.created.includes('alias/app (us-east-1)'));
    });

    it('a multi-Region key made by the other server is compared, not made again with other material', async () => {
      const config = await fresh();
      const { a, b } = await race(config, multiRegion(['eu-west-1']), 'getKey');
      assert.deepEqual(b.created, [`key ${MRK_ID} (us-east-1)`, `key ${MRK_ID} (eu-west-1)`]);
      assert.deepEqual(a.created, []);
      assert.deepEqual(a.unchanged, b.created);
      const materials = await inspect(config, async (s) => {
        const regions = await s.keyRegions(SCOPE.account, MRK_ID);
        return Promise.all(regions.map(async (k) => (await s.listMaterials(k, { limit: 10 })).map((m) => m.wrapped.toString('hex'))));
      });
      assert.equal(materials.length, 2);
      assert.deepEqual(materials[0], materials[1], 'one material, byte for byte, in both Regions');
    });

    it('a multi-Region key made by the other server between the look at its Regions and CreateKey is compared, not an error', async () => {
      const config = await fresh();
      const { a, b } = await race(config, multiRegion(['eu-west-1']), 'keyRegions');
      assert.deepEqual(b.created, [`key ${MRK_ID} (us-east-1)`, `key ${MRK_ID} (eu-west-1)`]);
      assert.deepEqual(a.created, []);
      assert.deepEqual(a.unchanged, b.created);
    });

    it('a replica made by the other server between the check and ReplicateKey is compared, not an error', async () => {
      const config = await fresh();
      await applySeed(config, multiRegion([]), logger);
      const { a, b } = await race(config, multiRegion(['eu-west-1']), 'getKey');
      assert.deepEqual(b.created, [`key ${MRK_ID} (eu-west-1)`]);
      assert.deepEqual(a.created, []);
      assert.deepEqual(a.unchanged, [`key ${MRK_ID} (us-east-1)`, `key ${MRK_ID} (eu-west-1)`]);
    });

    // Several servers share PostgreSQL only: two handles writing one SQLite file at once find it locked.
    it('the same seed applied by two servers at the same moment: both start, everything exists once', { skip: backend === 'SQLite' && 'several servers share PostgreSQL only' }, async () => {
      const config = await fresh();
      const seed: Seed = { ...singleRegion, keys: [...singleRegion.keys, ...multiRegion(['eu-west-1']).keys] };
      // Which server makes what depends on how their calls interleave; neither may fail.
      const [a, b] = await Promise.all([applySeed(config, seed, logger), applySeed(config, seed, logger)]);
      for (const report of [a, b]) assert.equal(report.created.length + report.unchanged.length, 5, JSON.stringify(report));
      const stored = await inspect(config, async (s) => ({
        keys: (await s.listKeys(SCOPE, { limit: 10 })).map((k) => k.keyId).sort(),
        regions: (await s.keyRegions(SCOPE.account, MRK_ID)).map((k) => k.region),
        grants: (await s.listGrants(SCOPE, KEY_ID, { limit: 10 })).length,
      }));
      assert.deepEqual(stored, { keys: [KEY_ID, MRK_ID], regions: ['eu-west-1', 'us-east-1'], grants: 1 });
    });
  });
}
