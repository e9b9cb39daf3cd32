/**
 * A bounded pool of pre-generated key pairs per data key pair spec, in this process's memory, so
 * GenerateDataKeyPair answers in microseconds for cheap specs and milliseconds even for RSA_4096
 * (about two seconds of one core to generate).
 *
 * - Pairs in the pool are never written anywhere. Each pair is removed from its pool as it is
 *   handed out, so no pair is ever handed out twice.
 * - A spec without a durable reserve is refilled by generating in the background, never on the
 *   event loop, with at most `refillConcurrency` generations at once; cheap specs before
 *   expensive ones whenever both are below target.
 * - A spec with a durable reserve (`PoolSpec.reserve`, domain/key-pair-reserve.ts) is never
 *   generated for here: its pool is a small cache in front of the reserve, topped up by claiming
 *   pairs from it (one durable transaction per claim, after the request is answered), and a request
 *   that finds the cache empty claims one pair itself. The reserve is filled server-wide
 *   (server/reserve-refiller.ts), not by each process.
 * - Only when both are empty is a request a miss, not a failure: it generates its own pair at
 *   once, through `generate` (on threads of its own for RSA: crypto/generation-threads.ts).
 * - close() stops refilling, gives pairs claimed from a reserve back to it (they were never
 *   handed out) and overwrites every pooled private key.
 */
import type { DerKeyPair, KeyPairParams } from './asymmetric.js';

/** Where a pool backed by the durable reserve gets its pairs, and gives them back at close. */
export interface ReserveSource {
  /** Up to `limit` pairs, each now removed from the reserve for good. */
  claim(limit: number): Promise<DerKeyPair[]>;
  /** Stores pairs that were claimed but never handed out. */
  restore(pairs: DerKeyPair[]): Promise<void>;
}

export interface PoolSpec {
  name: string;
  params: KeyPairParams;
  /** How many pairs to keep ready; 0 disables pooling for this spec. */
  target: number;
  /** Relative generation cost, lower first when several pools need refilling. */
  cost: number;
  /** The durable reserve in front of which this pool is a cache; absent: the pool generates. */
  reserve?: ReserveSource;
}

export interface PoolStats {
  ready: number;
  target: number;
  /** Pairs handed out from this pool. */
  hits: number;
  /** Pairs generated on demand because no pair was ready (here or in the reserve). */
  misses: number;
  /** For a pool backed by the durable reserve: pairs a request claimed from it directly. */
  reserveHits?: number;
}

interface Pool {
  spec: PoolSpec;
  pairs: DerKeyPair[];
  inFlight: number;
  hits: number;
  misses: number;
  reserveHits: number;
  /** The reserve had nothing at the last claim: wait for the retry timer before claiming again. */
  reserveDry: boolean;
}

/** How long a pool waits before asking an empty reserve again. */
const RESERVE_RETRY_MS = 500;

export type Generator = (params: KeyPairParams) => Promise<DerKeyPair>;

export class KeyPairPool {
  private readonly pools = new Map<string, Pool>();
  private running = 0;
  private closed = false;
  private refillScheduled = false;

  constructor(
    specs: readonly PoolSpec[],
    private readonly generate: Generator,
    private readonly refillConcurrency: number,
    private readonly onError: (err: unknown, spec: string) => void = () => {},
  ) {
    for (const spec of specs) {
      this.pools.set(spec.name, { spec, pairs: [], inFlight: 0, hits: 0, misses: 0, reserveHits: 0, reserveDry: false });
    }
  }

  /** Begins filling every pool in the background. */
  start(): void {
    this.refill();
  }

  /**
   * A pair never handed out before: from the pool if one is ready, else from the durable reserve
   * if the spec has one and it holds a pair, else freshly generated.
   */
  async take(name: string, params: KeyPairParams): Promise<DerKeyPair> {
    const pool = this.pools.get(name);
    const pair = pool?.pairs.pop();
    if (pool && pair) {
      pool.hits++;
      this.refillSoon();
      return pair;
    }
    const reserve = pool?.spec.reserve;
    // A reserve found empty a moment ago is not asked again until its retry timer: go generate.
    if (pool && reserve && !pool.reserveDry) {
      const [claimed] = await this.claimFrom(pool, reserve, 1);
      if (claimed) {
        pool.reserveHits++;
        this.refillSoon();
        return claimed;
      }
    }
    if (pool) pool.misses++;
    this.refillSoon();
    return this.generate(params);
  }

  /** A fresh pair, never pooled (CreateKey's own key material). */
  fresh(params: KeyPairParams): Promise<DerKeyPair> {
    return this.generate(params);
  }

  stats(): Record<string, PoolStats> {
    const out: Record<string, PoolStats> = {};
    for (const [name, pool] of this.pools) {
      const stats: PoolStats = { ready: pool.pairs.length, target: pool.spec.target, hits: pool.hits, misses: pool.misses };
      if (pool.spec.reserve) stats.reserveHits = pool.reserveHits;
      out[name] = stats;
    }
    return out;
  }

  /** Resolves when every pool is at its target (for tests and benchmarks). */
  async whenFull(pollMs = 20): Promise<void> {
    while (!this.closed && [...this.pools.values()].some((p) => p.pairs.length < p.spec.target)) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /**
   * Stops refilling and overwrites every pooled private key; pairs claimed from a reserve are
   * first stored back in it (best effort: if that fails they are lost, never handed out).
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const pool of this.pools.values()) {
      const pairs = pool.pairs.splice(0);
      if (pool.spec.reserve && pairs.length > 0) {
        try {
          await pool.spec.reserve.restore(pairs);
        } catch (err) {
          this.onError(err, pool.spec.name);
        }
      }
      for (const pair of pairs) pair.privateKey.fill(0);
    }
  }

  /** Claims up to `limit` pairs; a failure or an empty reserve marks it dry for a while. */
  private async claimFrom(pool: Pool, reserve: ReserveSource, limit: number): Promise<DerKeyPair[]> {
    let pairs: DerKeyPair[] = [];
    try {
      pairs = await reserve.claim(limit);
    } catch (err) {
      this.onError(err, pool.spec.name);
    }
    if (pairs.length === 0 && !pool.reserveDry) {
      pool.reserveDry = true;
      setTimeout(() => {
        pool.reserveDry = false;
        this.refill();
      }, RESERVE_RETRY_MS).unref();
    }
    return pairs;
  }

  /** Tops up a reserve-backed pool to its target, in one claim (one transaction) at a time. */
  private refillFromReserve(pool: Pool, reserve: ReserveSource): void {
    if (pool.inFlight > 0 || pool.reserveDry) return;
    const wanted = pool.spec.target - pool.pairs.length;
    if (wanted <= 0) return;
    pool.inFlight = wanted;
    void this.claimFrom(pool, reserve, wanted).then((pairs) => {
      pool.inFlight = 0;
      if (this.closed) {
        void reserve.restore(pairs).catch((err: unknown) => this.onError(err, pool.spec.name)).finally(() => {
          for (const pair of pairs) pair.privateKey.fill(0);
        });
        return;
      }
      pool.pairs.push(...pairs);
      if (pairs.length > 0) this.refill();
    });
  }

  /** The pool most in need of a generated pair: the cheapest spec below its target. */
  private next(): Pool | undefined {
    let best: Pool | undefined;
    for (const pool of this.pools.values()) {
      if (pool.spec.reserve) continue;
      if (pool.pairs.length + pool.inFlight >= pool.spec.target) continue;
      if (!best || pool.spec.cost < best.spec.cost) best = pool;
    }
    return best;
  }

  /**
   * Refills once the current request has been answered: a claim from the reserve is a durable
   * (fsynced) transaction, which the request that triggered it should not wait for.
   */
  private refillSoon(): void {
    if (this.refillScheduled || this.closed) return;
    this.refillScheduled = true;
    setImmediate(() => {
      this.refillScheduled = false;
      this.refill();
    });
  }

  private refill(): void {
    if (this.closed) return;
    for (const pool of this.pools.values()) {
      if (pool.spec.reserve) this.refillFromReserve(pool, pool.spec.reserve);
    }
    while (!this.closed && this.running < this.refillConcurrency) {
      const pool = this.next();
      if (!pool) return;
      this.running++;
      pool.inFlight++;
      this.generate(pool.spec.params).then(
        (pair) => {
          if (this.closed) pair.privateKey.fill(0);
          else pool.pairs.push(pair);
          this.running--;
          pool.inFlight--;
          this.refill();
        },
        (err: unknown) => {
          // Never spin on a failing generator: report it and try again a second later.
          this.onError(err, pool.spec.name);
          setTimeout(() => {
            this.running--;
            pool.inFlight--;
            this.refill();
          }, 1000).unref();
        },
      );
    }
  }
}
