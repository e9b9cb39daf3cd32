/**
 * Keeps the durable key-pair reserve (domain/key-pair-reserve.ts) filled, once per server: the
 * cluster's primary runs it (one process with --workers 1), so the machine's generation budget
 * is spent once, not once per worker, and every worker claims from the same reserve.
 *
 * Demand-aware: every `tickMs` it reads how many pairs each spec holds; what went missing since
 * the last reading (beyond what it added itself) was claimed. Claims feed a decaying count per
 * spec (half-life `halfLifeMs`); `rate = count * ln 2 / half-life` estimates the claims per
 * second, and a spec's target is `rate * horizon`, kept between its floor and its ceiling. So a
 * spec nobody asks for is kept at its floor, and one in demand grows toward its ceiling.
 * Next to generate: a spec below its floor, else one below its target; the most requested first
 * (ties: the cheapest). With several servers on one database (PostgreSQL) each counts what the
 * others add as negative demand, clamped to zero: demand is then underestimated, never the floor.
 *
 * Low priority: one generation at a time, on a thread of its own at nice 19
 * (crypto/generation-threads.ts), and while the machine's CPUs are busy above `pauseAboveCpu`
 * (user + system time, not niced time: our own background generation never counts as load) only
 * specs below their floor are refilled; growth toward demand waits for spare CPU. Requests that find the reserve empty still get a pair: they
 * generate their own at normal priority.
 */
import { cpus } from 'node:os';
import type { DerKeyPair, KeyPairParams } from '../crypto/asymmetric.js';

export interface ReserveSpec {
  name: string;
  params: KeyPairParams;
  /** Pairs always kept (0: no reserve for this spec). */
  floor: number;
  /** The most pairs kept, however high the demand. */
  ceiling: number;
  /** Relative generation cost, to break ties. */
  cost: number;
}

/** What /health (and /metrics) show per spec. */
export interface ReserveLevel {
  /** Pairs in the reserve at the last reading. */
  ready: number;
  floor: number;
  ceiling: number;
  /** What the refiller aims for now, from demand. */
  target: number;
  /** Decaying estimate of claims per minute. */
  demandPerMinute: number;
  /** Pairs seen claimed since start. */
  claimed: number;
  /** Pairs this server generated into the reserve since start. */
  generated: number;
}

export interface ReserveFigures {
  /** True while generation is held back because the CPUs are busy with requests. */
  paused: boolean;
  /** Busy share of all CPUs over the last reading, niced time excluded (0..1). */
  cpuBusy: number;
  specs: Record<string, ReserveLevel>;
}

export interface ReserveStore {
  put(spec: string, pairs: readonly DerKeyPair[]): Promise<void>;
  counts(): Promise<Record<string, number>>;
}

export interface RefillerOptions {
  tickMs?: number;
  halfLifeMs?: number;
  horizonMs?: number;
  pauseAboveCpu?: number;
  /** Busy share of the CPUs since the last call, niced time excluded (injected in tests). */
  cpuBusy?: () => number;
  now?: () => number;
  onError?: (err: unknown, spec: string) => void;
}

interface SpecState {
  spec: ReserveSpec;
  ready: number;
  /** Decaying count of claims. */
  score: number;
  claimed: number;
  generated: number;
  /** Added by this refiller since the last reading. */
  addedSinceReading: number;
}

/** A CPU sampler: busy share of all cores since its previous call, from os.cpus() times. */
export function cpuBusySampler(): () => number {
  const totals = () =>
    cpus().reduce(
      (sum, cpu) => {
        const t = cpu.times;
        sum.busy += t.user + t.sys + t.irq;
        sum.all += t.user + t.sys + t.irq + t.nice + t.idle;
        return sum;
      },
      { busy: 0, all: 0 },
    );
  let last = totals();
  return () => {
    const now = totals();
    const all = now.all - last.all;
    const busy = now.busy - last.busy;
    last = now;
    return all > 0 ? busy / all : 0;
  };
}

export class ReserveRefiller {
  private readonly states = new Map<string, SpecState>();
  private readonly tickMs: number;
  private readonly halfLifeMs: number;
  private readonly horizonMs: number;
  private readonly pauseAboveCpu: number;
  private readonly cpuBusy: () => number;
  private readonly now: () => number;
  private readonly onError: (err: unknown, spec: string) => void;
  private lastReading: number | undefined;
  private generating: Promise<void> | undefined;
  private reading: Promise<void> | undefined;
  /**
   * Readings and this refiller's own additions run one after the other, never interleaved, so
   * a pair added while the levels are being read is never mistaken for a claim.
   */
  private serial: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private busyShare = 0;
  private paused = false;
  private closed = false;

  constructor(
    specs: readonly ReserveSpec[],
    private readonly reserve: ReserveStore,
    private readonly generate: (params: KeyPairParams) => Promise<DerKeyPair>,
    options: RefillerOptions = {},
  ) {
    for (const spec of specs) {
      if (spec.ceiling > 0) this.states.set(spec.name, { spec, ready: 0, score: 0, claimed: 0, generated: 0, addedSinceReading: 0 });
    }
    this.tickMs = options.tickMs ?? 250;
    this.halfLifeMs = options.halfLifeMs ?? 60_000;
    this.horizonMs = options.horizonMs ?? 60_000;
    this.pauseAboveCpu = options.pauseAboveCpu ?? 0.85;
    this.cpuBusy = options.cpuBusy ?? cpuBusySampler();
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? (() => {});
  }

  /** Whether any spec has a reserve at all. */
  get enabled(): boolean {
    return this.states.size > 0;
  }

  /** Reads and refills every `tickMs` until close(). */
  start(): void {
    if (!this.enabled || this.timer) return;
    const loop = () => {
      this.timer = setTimeout(() => void this.tick().finally(() => !this.closed && loop()), this.tickMs);
      this.timer.unref();
    };
    void this.tick().finally(() => !this.closed && loop());
  }

  /**
   * One step: read the levels, update demand, and start one generation if one is due and
   * none is running. Resolves once the reading is taken (not when the generation ends).
   */
  async tick(): Promise<void> {
    if (this.closed || this.reading) return this.reading;
    this.reading = this.inTurn(() => this.read()).finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async read(): Promise<void> {
    let counts: Record<string, number>;
    try {
      counts = await this.reserve.counts();
    } catch (err) {
      this.onError(err, '*');
      return;
    }
    const now = this.now();
    const elapsed = this.lastReading === undefined ? 0 : now - this.lastReading;
    const decay = Math.pow(0.5, elapsed / this.halfLifeMs);
    for (const state of this.states.values()) {
      const ready = counts[state.spec.name] ?? 0;
      const claimed = this.lastReading === undefined ? 0 : Math.max(0, state.ready + state.addedSinceReading - ready);
      state.score = state.score * decay + claimed;
      state.claimed += claimed;
      state.ready = ready;
      state.addedSinceReading = 0;
    }
    this.lastReading = now;
    this.busyShare = this.cpuBusy();
    this.paused = this.busyShare > this.pauseAboveCpu;
    if (this.generating) return;
    const next = this.next();
    // Below its floor a spec is refilled even on a busy machine (at nice 19 it gets only what
    // others leave); growth toward a demand target waits until the CPUs are not busy.
    if (!next || (this.paused && next.ready >= next.spec.floor)) return;
    // The next reading follows each generation at once, so refilling never waits for the timer.
    this.generating = this.refillOne(next).finally(() => {
      this.generating = undefined;
      if (!this.closed) void this.tick();
    });
  }

  /** Resolves when the generation under way (if any) has ended. */
  async settled(): Promise<void> {
    await this.generating;
  }

  figures(): ReserveFigures {
    const specs: Record<string, ReserveLevel> = {};
    for (const [name, state] of this.states) {
      specs[name] = {
        ready: state.ready,
        floor: state.spec.floor,
        ceiling: state.spec.ceiling,
        target: this.target(state),
        demandPerMinute: Math.round(this.ratePerSecond(state) * 60 * 10) / 10,
        claimed: state.claimed,
        generated: state.generated,
      };
    }
    return { paused: this.paused, cpuBusy: Math.round(this.busyShare * 100) / 100, specs };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.generating;
  }

  private inTurn<T>(step: () => Promise<T>): Promise<T> {
    const result = this.serial.then(step);
    this.serial = result.catch(() => {});
    return result;
  }

  private ratePerSecond(state: SpecState): number {
    return (state.score * Math.LN2) / (this.halfLifeMs / 1000);
  }

  private target(state: SpecState): number {
    const wanted = Math.ceil(this.ratePerSecond(state) * (this.horizonMs / 1000));
    return Math.min(state.spec.ceiling, Math.max(state.spec.floor, wanted));
  }

  /** Below its floor first, then below its demand target; most requested first, then cheapest. */
  private next(): SpecState | undefined {
    const order = (a: SpecState, b: SpecState) => b.score - a.score || a.spec.cost - b.spec.cost;
    const states = [...this.states.values()];
    const belowFloor = states.filter((s) => s.ready < s.spec.floor).sort(order);
    if (belowFloor[0]) return belowFloor[0];
    return states.filter((s) => s.ready < this.target(s)).sort(order)[0];
  }

  private async refillOne(state: SpecState): Promise<void> {
    let pair: DerKeyPair | undefined;
    try {
      pair = await this.generate(state.spec.params);
      if (this.closed) return;
      const stored = pair;
      await this.inTurn(async () => {
        await this.reserve.put(state.spec.name, [stored]);
        state.addedSinceReading++;
      });
      state.generated++;
    } catch (err) {
      if (!this.closed) this.onError(err, state.spec.name);
    } finally {
      pair?.privateKey.fill(0);
    }
  }
}
