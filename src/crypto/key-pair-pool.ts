/**
 * A bounded pool of pre-generated key pairs per data key pair spec, so GenerateDataKeyPair
 * answers in milliseconds even for RSA_4096 (about two seconds of one core to generate).
 *
 * - Pairs live only in this process's memory; they are never written anywhere. Each pair is
 *   removed from its pool as it is handed out, so no pair is ever handed out twice.
 * - Refilling runs in the background through the asynchronous generators (libuv thread pool),
 *   never on the event loop, with at most `refillConcurrency` generations at once so refills
 *   cannot starve requests of threads or CPU. Cheap specs are refilled before expensive ones
 *   whenever both are below target.
 * - An empty pool is a miss, not a failure: the request generates its own pair at once.
 * - close() stops refilling and overwrites every pooled private key.
 */
import type { DerKeyPair, KeyPairParams } from './asymmetric.js';

export interface PoolSpec {
  name: string;
  params: KeyPairParams;
  /** How many pairs to keep ready; 0 disables pooling for this spec. */
  target: number;
  /** Relative generation cost, lower first when several pools need refilling. */
  cost: number;
}

export interface PoolStats {
  ready: number;
  target: number;
  hits: number;
  misses: number;
}

interface Pool {
  spec: PoolSpec;
  pairs: DerKeyPair[];
  inFlight: number;
  hits: number;
  misses: number;
}

export type Generator = (params: KeyPairParams) => Promise<DerKeyPair>;

export class KeyPairPool {
  private readonly pools = new Map<string, Pool>();
  private running = 0;
  private closed = false;

  constructor(
    specs: readonly PoolSpec[],
    private readonly generate: Generator,
    private readonly refillConcurrency: number,
    private readonly onError: (err: unknown, spec: string) => void = () => {},
  ) {
    for (const spec of specs) this.pools.set(spec.name, { spec, pairs: [], inFlight: 0, hits: 0, misses: 0 });
  }

  /** Begins filling every pool in the background. */
  start(): void {
    this.refill();
  }

  /** A pair never handed out before: from the pool if one is ready, else freshly generated. */
  async take(name: string, params: KeyPairParams): Promise<DerKeyPair> {
    const pool = this.pools.get(name);
    const pair = pool?.pairs.pop();
    if (pool && pair) {
      pool.hits++;
      this.refill();
      return pair;
    }
    if (pool) pool.misses++;
    this.refill();
    return this.generate(params);
  }

  stats(): Record<string, PoolStats> {
    const out: Record<string, PoolStats> = {};
    for (const [name, pool] of this.pools) {
      out[name] = { ready: pool.pairs.length, target: pool.spec.target, hits: pool.hits, misses: pool.misses };
    }
    return out;
  }

  /** Resolves when every pool is at its target (for tests and benchmarks). */
  async whenFull(pollMs = 20): Promise<void> {
    while (!this.closed && [...this.pools.values()].some((p) => p.pairs.length < p.spec.target)) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  close(): void {
    this.closed = true;
    for (const pool of this.pools.values()) {
      for (const pair of pool.pairs) pair.privateKey.fill(0);
      pool.pairs.length = 0;
    }
  }

  /** The pool most in need of a pair: the cheapest spec below its target. */
  private next(): Pool | undefined {
    let best: Pool | undefined;
    for (const pool of this.pools.values()) {
      if (pool.pairs.length + pool.inFlight >= pool.spec.target) continue;
      if (!best || pool.spec.cost < best.spec.cost) best = pool;
    }
    return best;
  }

  private refill(): void {
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
