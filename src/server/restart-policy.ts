/**
 * When the cluster primary replaces a worker that died, and when it gives up. Each worker slot
 * waits longer after each crash in a row (100 ms doubling up to 30 s), and starts afresh once a
 * worker in that slot has stayed up 30 s. More than 5 crashes across all slots within 60 s means
 * something is wrong that restarting will not mend (a damaged data directory, a bug hit by
 * every request): the primary stops the server and exits non-zero instead of looping.
 *
 * Time is passed in, so tests can drive the policy without waiting.
 */

export interface RestartPolicyOptions {
  firstDelayMs: number;
  maxDelayMs: number;
  /** A worker up at least this long resets its slot's back-off. */
  stableAfterMs: number;
  /** More crashes than this within windowMs: give up. */
  maxCrashes: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  firstDelayMs: 100,
  maxDelayMs: 30_000,
  stableAfterMs: 30_000,
  maxCrashes: 5,
  windowMs: 60_000,
};

export type RestartDecision = { restart: true; delayMs: number } | { restart: false; crashes: number; windowMs: number };

export class RestartPolicy {
  private crashTimes: number[] = [];
  private readonly streaks = new Map<number, number>();

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /** The worker of `slot`, started `upMs` before `now`, died unasked. */
  crashed(slot: number, now: number, upMs: number): RestartDecision {
    const { firstDelayMs, maxDelayMs, stableAfterMs, maxCrashes, windowMs } = this.options;
    this.crashTimes = this.crashTimes.filter((time) => now - time < windowMs);
    this.crashTimes.push(now);
    if (this.crashTimes.length > maxCrashes) return { restart: false, crashes: this.crashTimes.length, windowMs };
    const streak = upMs >= stableAfterMs ? 0 : (this.streaks.get(slot) ?? 0);
    this.streaks.set(slot, streak + 1);
    return { restart: true, delayMs: Math.min(firstDelayMs * 2 ** streak, maxDelayMs) };
  }
}
