/**
 * The durable key-pair reserve, in-process over the memory store with a real root key and real
 * pairs: what is stored is sealed (no PKCS#8 in it, and a row edited or moved does not unwrap),
 * each pair comes back once; the memory pool in front of it claims, restores at close and only
 * generates when both are empty; the refiller fills floors first, follows demand between floor
 * and ceiling, and holds back growth while the CPUs are busy. Time and CPU load are injected:
 * no assertion depends on how fast anything runs.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { generateKeyPair, type DerKeyPair, type KeyPairParams } from '../../src/crypto/asymmetric.js';
import { GenerationThreads } from '../../src/crypto/generation-threads.js';
import { KeyPairPool } from '../../src/crypto/key-pair-pool.js';
import { RootKey } from '../../src/crypto/root-key.js';
import { KeyPairReserve } from '../../src/domain/key-pair-reserve.js';
import { ReserveRefiller, type ReserveSpec } from '../../src/server/reserve-refiller.js';
import { MemoryStore } from '../../src/storage/memory.js';

const P256: KeyPairParams = { kind: 'ec', namedCurve: 'prime256v1', inline: true };
const clock = { now: () => Date.UTC(2026, 11, 3) };

function reserveOver(store = new MemoryStore(), rootKey = RootKey.fromBytes(randomBytes(32))) {
  const unreadable: string[] = [];
  return { store, rootKey, unreadable, reserve: new KeyPairReserve(store, rootKey, clock, (_spec, id) => unreadable.push(id)) };
}

async function pairs(n: number): Promise<DerKeyPair[]> {
  return Promise.all(Array.from({ length: n }, () => generateKeyPair(P256)));
}

const copies = (list: DerKeyPair[]) => list.map((p) => ({ publicKey: Buffer.from(p.publicKey), privateKey: Buffer.from(p.privateKey) }));

describe('KeyPairReserve', () => {
  it('gives back each stored pair once, byte-exact, oldest first', async () => {
    const { reserve } = reserveOver();
    const made = await pairs(3);
    await reserve.put('ECC_NIST_P256', made);
    assert.deepEqual(await reserve.counts(), { ECC_NIST_P256: 3 });
    assert.deepEqual(await reserve.claim('ECC_NIST_P256', 2), copies(made.slice(0, 2)));
    assert.deepEqual(await reserve.claim('ECC_NIST_P256', 2), copies(made.slice(2)));
    assert.deepEqual(await reserve.claim('ECC_NIST_P256', 2), []);
  });

  it('stores private keys only sealed: no PKCS#8 or scalar in what the store holds', async () => {
    const { store, reserve } = reserveOver();
    const [pair] = await pairs(1);
    assert.ok(pair);
    await reserve.put('ECC_NIST_P256', [pair]);
    const [record] = await store.claimReservedPairs('ECC_NIST_P256', 1);
    assert.ok(record);
    const d = Buffer.from(createPrivateKey({ key: pair.privateKey, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' }).d as string, 'base64url');
    const stored = Buffer.concat([record.publicKey, record.wrapped, Buffer.from(record.id), Buffer.from(record.spec)]);
    assert.equal(stored.includes(pair.privateKey), false);
    assert.equal(stored.includes(d), false);
    assert.deepEqual(record.publicKey, pair.publicKey);
  });

  it('drops, and reports by id, a pair whose row was edited, moved to another spec, or sealed by another root key', async () => {
    const { store, rootKey, reserve, unreadable } = reserveOver();
    const [a, b, c] = await pairs(3);
    assert.ok(a && b && c);
    await reserve.put('ECC_NIST_P256', [a, b]);
    const [first, second] = await store.claimReservedPairs('ECC_NIST_P256', 2);
    assert.ok(first && second);
    // Swap the public keys of two rows, and file a good row under another spec.
    await store.addReservedPairs([
      { ...first, publicKey: second.publicKey },
      { ...second, spec: 'RSA_2048' },
    ]);
    const other = reserveOver(store).reserve; // same store, another root key
    await other.put('ECC_NIST_P256', [c]);
    assert.deepEqual(await reserve.claim('ECC_NIST_P256', 5), []);
    assert.deepEqual(await reserve.claim('RSA_2048', 5), []);
    assert.equal(unreadable.length, 3);
    assert.ok(rootKey);
  });
});

describe('KeyPairPool in front of a reserve', () => {
  function backedPool(reserve: KeyPairReserve, target: number) {
    const generated: DerKeyPair[] = [];
    const pool = new KeyPairPool(
      [
        {
          name: 'ECC_NIST_P256',
          params: P256,
          target,
          cost: 1,
          reserve: { claim: (n) => reserve.claim('ECC_NIST_P256', n), restore: (p) => reserve.put('ECC_NIST_P256', p) },
        },
      ],
      async (params) => {
        const pair = await generateKeyPair(params);
        generated.push(pair);
        return pair;
      },
      1,
    );
    return { pool, generated };
  }

  it('claims a request its pair from the reserve when the pool is empty, and generates only when both are', async () => {
    const { reserve } = reserveOver();
    const stored = await pairs(2);
    await reserve.put('ECC_NIST_P256', stored);
    const { pool, generated } = backedPool(reserve, 0);
    const taken = [await pool.take('ECC_NIST_P256', P256), await pool.take('ECC_NIST_P256', P256), await pool.take('ECC_NIST_P256', P256)];
    assert.deepEqual(copies(taken.slice(0, 2)), copies(stored));
    assert.equal(generated.length, 1);
    assert.deepEqual(pool.stats().ECC_NIST_P256, { ready: 0, target: 0, hits: 0, misses: 1, reserveHits: 2 });
    await pool.close();
  });

  it('tops its pool up to target as the reserve fills, however few pairs each claim found', async () => {
    const { reserve } = reserveOver();
    await reserve.put('ECC_NIST_P256', await pairs(3));
    const { pool, generated } = backedPool(reserve, 4);
    pool.start();
    while ((pool.stats().ECC_NIST_P256?.ready ?? 0) < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    await reserve.put('ECC_NIST_P256', await pairs(5)); // the refiller catching up
    // The pool asks an empty reserve again after half a second: allow it twenty times that.
    for (let i = 0; i < 1000 && (pool.stats().ECC_NIST_P256?.ready ?? 0) < 4; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(pool.stats().ECC_NIST_P256?.ready, 4);
    assert.deepEqual(await reserve.counts(), { ECC_NIST_P256: 4 });
    assert.equal(generated.length, 0);
    await pool.close();
  });

  it('fills its pool by claiming from the reserve, never by generating, and gives unused pairs back at close', async () => {
    const { reserve } = reserveOver();
    await reserve.put('ECC_NIST_P256', await pairs(6));
    const { pool, generated } = backedPool(reserve, 4);
    pool.start();
    await pool.whenFull();
    assert.deepEqual(await reserve.counts(), { ECC_NIST_P256: 2 });
    const handed = await pool.take('ECC_NIST_P256', P256);
    await pool.close();
    assert.equal(generated.length, 0);
    assert.deepEqual(await reserve.counts(), { ECC_NIST_P256: 5 }, 'the three left in the pool went back');
    const back = await reserve.claim('ECC_NIST_P256', 10);
    assert.equal(back.some((p) => p.privateKey.equals(handed.privateKey)), false, 'the pair handed out never returns');
  });
});

describe('ReserveRefiller', () => {
  // Each spec gets its own params object, by which the generator below tells them apart.
  const spec = (name: string, floor: number, ceiling: number, cost = 1): ReserveSpec => ({ name, params: { ...P256 }, floor, ceiling, cost });

  function harness(specs: ReserveSpec[], busy = 0) {
    const { reserve } = reserveOver();
    let now = 0;
    let cpu = busy;
    const made: string[] = [];
    const refiller = new ReserveRefiller(
      specs,
      reserve,
      async (params) => {
        made.push(specs.find((s) => s.params === params)?.name ?? '?');
        return generateKeyPair(params);
      },
      { now: () => now, cpuBusy: () => cpu, halfLifeMs: 60_000, horizonMs: 60_000 },
    );
    const step = async () => {
      await refiller.tick();
      await refiller.settled();
      await refiller.tick(); // the reading each generation triggers
    };
    return {
      reserve,
      refiller,
      made,
      step,
      advance: (ms: number) => (now += ms),
      setBusy: (share: number) => (cpu = share),
      /** Steps until the refiller stops generating. */
      async settle() {
        for (let before = -1; before !== made.length; ) {
          before = made.length;
          await step();
        }
      },
    };
  }

  it('fills every spec to its floor, then stops while nobody claims', async () => {
    const h = harness([spec('A', 2, 8), spec('B', 3, 8), spec('OFF', 0, 0)]);
    await h.settle();
    assert.deepEqual(await h.reserve.counts(), { A: 2, B: 3 });
    assert.equal(h.refiller.figures().specs.OFF, undefined, 'a spec with ceiling 0 has no reserve');
    assert.equal(h.refiller.figures().specs.A?.target, 2);
  });

  it('refills first, and keeps larger, the spec clients claim, up to its ceiling', async () => {
    const h = harness([spec('A', 2, 10, 1), spec('B', 2, 10, 5)]);
    await h.settle();
    h.made.length = 0;
    await h.reserve.claim('A', 1);
    await h.reserve.claim('B', 2); // more demand for B, the dearer spec
    h.advance(1_000);
    await h.settle();
    assert.equal(h.made[0], 'B', 'the spec claimed most is refilled first');
    // Claims of B well beyond its floor: its target grows, and stops at the ceiling.
    await h.reserve.claim('B', 10);
    h.advance(100);
    await h.settle();
    let figures = h.refiller.figures().specs;
    assert.ok((figures.B?.target ?? 0) > 2, `B's target grows with demand: ${JSON.stringify(figures.B)}`);
    assert.ok((figures.B?.target ?? 0) < 10, `but not at once to the ceiling: ${JSON.stringify(figures.B)}`);
    assert.equal(figures.A?.target, 2);
    assert.equal((await h.reserve.counts()).B, figures.B?.target);
    for (let i = 0; i < 5; i++) {
      await h.reserve.claim('B', 10);
      h.advance(100);
      await h.settle();
    }
    figures = h.refiller.figures().specs;
    assert.equal(figures.B?.target, 10);
    assert.equal((await h.reserve.counts()).B, 10);
  });

  it('lets demand decay back to the floor', async () => {
    const h = harness([spec('A', 1, 20)]);
    await h.settle();
    await h.reserve.claim('A', 1);
    h.advance(100);
    await h.settle();
    await h.reserve.claim('A', 20);
    h.advance(100);
    await h.step();
    assert.ok((h.refiller.figures().specs.A?.target ?? 0) > 1);
    h.advance(20 * 60_000); // twenty half-lives
    await h.step();
    assert.equal(h.refiller.figures().specs.A?.target, 1);
  });

  it('holds back growth toward demand while the CPUs are busy, but not the floor', async () => {
    const h = harness([spec('A', 2, 10)], 0.95);
    await h.settle();
    assert.deepEqual(await h.reserve.counts(), { A: 2 }, 'the floor is filled even when busy');
    for (let i = 0; i < 3; i++) {
      await h.reserve.claim('A', 2);
      h.advance(100);
      await h.settle();
    }
    assert.ok((h.refiller.figures().specs.A?.target ?? 0) > 2, 'demand raised the target');
    assert.deepEqual(await h.reserve.counts(), { A: 2 }, 'but while busy only the floor is refilled');
    assert.equal(h.refiller.figures().paused, true);
    h.setBusy(0.2);
    await h.settle();
    assert.equal(h.refiller.figures().paused, false);
    assert.ok(((await h.reserve.counts()).A ?? 0) > 2, 'growth resumes once the CPUs are free');
  });
});

describe('GenerationThreads', () => {
  it('makes RSA pairs on threads of its own whose public key is the private key\'s', async () => {
    const threads = new GenerationThreads(2);
    try {
      const made = await Promise.all([1, 2, 3].map(() => threads.generate({ kind: 'rsa', modulusLength: 2048 })));
      for (const pair of made) {
        const privateKey = createPrivateKey({ key: pair.privateKey, format: 'der', type: 'pkcs8' });
        assert.equal(privateKey.asymmetricKeyDetails?.modulusLength, 2048);
        assert.deepEqual(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }), pair.publicKey);
      }
      assert.equal(new Set(made.map((p) => p.privateKey.toString('hex'))).size, 3);
    } finally {
      await threads.close();
    }
  });

  it('runs a low-priority thread at nice 19 and leaves the other threads alone', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
    const niceOfThreads = () =>
      readdirSync('/proc/self/task').map((tid) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      });
    const before = niceOfThreads();
    const threads = new GenerationThreads(1, { lowPriority: true });
    try {
      await threads.generate({ kind: 'ec', namedCurve: 'prime256v1' });
      const after = niceOfThreads();
      assert.equal(after.filter((n) => n === 19).length, before.filter((n) => n === 19).length + 1);
      assert.ok(after.some((n) => n !== 19), 'the event loop thread keeps its priority');
    } finally {
      await threads.close();
    }
  });

  it('ends a thread that has had no work for its idle time, and starts another for the next job', async () => {
    const threads = new GenerationThreads(1, { idleMs: 20 });
    try {
      await threads.generate(P256);
      assert.equal(threads.threadCount(), 1);
      while (threads.threadCount() > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const pair = await threads.generate({ kind: 'ec', namedCurve: 'secp384r1' });
      assert.equal(createPrivateKey({ key: pair.privateKey, format: 'der', type: 'pkcs8' }).asymmetricKeyDetails?.namedCurve, 'secp384r1');
      assert.equal(threads.threadCount(), 1);
    } finally {
      await threads.close();
    }
  });

  it('rejects what is waiting when closed', async () => {
    const threads = new GenerationThreads(1);
    const outcome = (p: Promise<DerKeyPair>) => p.then(() => 'resolved', (err: Error) => err.message);
    const first = outcome(threads.generate({ kind: 'rsa', modulusLength: 2048 }));
    const second = outcome(threads.generate({ kind: 'rsa', modulusLength: 2048 }));
    await threads.close();
    assert.equal(await first, 'key generation threads are closed');
    assert.equal(await second, 'key generation threads are closed');
    await assert.rejects(threads.generate(P256));
  });
});
