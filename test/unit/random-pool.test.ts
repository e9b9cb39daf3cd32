import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RandomPool } from '../../src/crypto/random-pool.js';

describe('RandomPool', () => {
  it('hands out fresh bytes, never the same run twice, across block refills', () => {
    const pool = new RandomPool();
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const nonce = pool.take(12); // 2000 * 12 bytes spans several 4096-byte blocks
      assert.equal(nonce.length, 12);
      const hex = nonce.toString('hex');
      assert.equal(seen.has(hex), false);
      seen.add(hex);
    }
  });

  it('returns copies the pool does not overwrite later', () => {
    const pool = new RandomPool();
    const first = pool.take(12);
    const kept = Buffer.from(first);
    for (let i = 0; i < 1000; i++) pool.take(12);
    assert.deepEqual(first, kept);
  });

  it('refuses a request larger than its block', () => {
    assert.throws(() => new RandomPool().take(4097), /larger than the random block/);
  });
});
