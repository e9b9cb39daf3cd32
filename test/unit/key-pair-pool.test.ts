/**
 * The key-pair pool's guarantees: every pair handed out once, refills bounded, an empty or
 * disabled pool still serves, and close() overwrites pooled private keys. Pairs are really
 * generated (P-256 and Ed25519 are cheap); the generator is only wrapped to observe it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPair, type DerKeyPair, type KeyPairParams } from '../../src/crypto/asymmetric.js';
import { KeyPairPool } from '../../src/crypto/key-pair-pool.js';

const P256: KeyPairParams = { kind: 'ec', namedCurve: 'prime256v1', inline: true };
const ED25519: KeyPairParams = { kind: 'ed25519' };

function observedGenerator() {
  const made: DerKeyPair[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const generate = async (params: KeyPairParams) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve)); // let other refills start if allowed
      const pair = await generateKeyPair(params);
      made.push(pair);
      return pair;
    } finally {
      inFlight--;
    }
  };
  return { generate, made, maxInFlight: () => maxInFlight };
}

describe('KeyPairPool', () => {
  it('hands out every pair exactly once, from the pool and then on demand', async () => {
    const g = observedGenerator();
    const pool = new KeyPairPool([{ name: 'P256', params: P256, target: 10, cost: 1 }], g.generate, 2);
    pool.start();
    await pool.whenFull();
    assert.equal(pool.stats().P256?.ready, 10);
    const taken = await Promise.all(Array.from({ length: 25 }, () => pool.take('P256', P256)));
    const distinct = new Set(taken.map((p) => p.privateKey.toString('hex')));
    assert.equal(distinct.size, 25);
    const stats = pool.stats().P256;
    assert.equal((stats?.hits ?? 0) + (stats?.misses ?? 0), 25);
    assert.ok((stats?.hits ?? 0) >= 10, `expected at least 10 hits, got ${stats?.hits}`);
    await pool.close();
  });

  it('never runs more background generations than its concurrency', async () => {
    const g = observedGenerator();
    const pool = new KeyPairPool(
      [
        { name: 'P256', params: P256, target: 20, cost: 1 },
        { name: 'ED25519', params: ED25519, target: 20, cost: 2 },
      ],
      g.generate,
      3,
    );
    pool.start();
    await pool.whenFull();
    assert.equal(g.maxInFlight(), 3);
    assert.equal(g.made.length, 40);
    await pool.close();
  });

  it('fills cheaper specs first', async () => {
    const order: string[] = [];
    const pool = new KeyPairPool(
      [
        { name: 'ED25519', params: ED25519, target: 3, cost: 5 },
        { name: 'P256', params: P256, target: 3, cost: 1 },
      ],
      async (params) => {
        order.push(params.kind);
        return generateKeyPair(params);
      },
      1,
    );
    pool.start();
    await pool.whenFull();
    assert.deepEqual(order, ['ec', 'ec', 'ec', 'ed25519', 'ed25519', 'ed25519']);
    await pool.close();
  });

  it('serves with a pool of size zero, and specs it does not know, by generating on demand', async () => {
    const g = observedGenerator();
    const pool = new KeyPairPool([{ name: 'P256', params: P256, target: 0, cost: 1 }], g.generate, 1);
    pool.start();
    const a = await pool.take('P256', P256);
    const b = await pool.take('OTHER', ED25519);
    assert.notDeepEqual(a.privateKey, b.privateKey);
    assert.deepEqual(pool.stats().P256, { ready: 0, target: 0, hits: 0, misses: 1 });
    assert.equal(g.made.length, 2);
    await pool.close();
  });

  it('overwrites every pooled private key on close and stops refilling', async () => {
    const g = observedGenerator();
    const pool = new KeyPairPool([{ name: 'P256', params: P256, target: 5, cost: 1 }], g.generate, 1);
    pool.start();
    await pool.whenFull();
    const handedOut = await pool.take('P256', P256);
    const copy = Buffer.from(handedOut.privateKey);
    await new Promise((resolve) => setImmediate(resolve)); // the refill the take scheduled starts
    await pool.close();
    // Let the refill that the take started finish: a pair generated after close is wiped too.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const pooled = g.made.filter((p) => p !== handedOut);
    assert.equal(pooled.length, 4 + 1); // four left in the pool, one refill started by the take
    for (const pair of pooled) assert.ok(pair.privateKey.every((byte) => byte === 0), 'pooled private key not wiped');
    assert.deepEqual(handedOut.privateKey, copy, 'a pair already handed out must not be touched');
    assert.equal(pool.stats().P256?.ready, 0);
  });
});
