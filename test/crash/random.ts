/**
 * A small seeded pseudo-random generator for the crash harness, so that one seed repeats a
 * campaign's choices: kill delays, which operation each client loop sends next, descriptions,
 * tags and plaintexts. (Which requests are in flight at a kill also depends on timing, so a
 * seed repeats the plan, not every outcome.) 32-bit state, a Weyl sequence through an
 * avalanche mix; statistically fine for test choices and never used for secrets.
 */

function mix(value: number): number {
  let z = value >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Random {
  private state: number;

  constructor(private readonly seed: number) {
    this.state = mix(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    return mix(this.state) / 2 ** 32;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[Math.floor(this.next() * items.length)];
  }

  /** Up to `count` distinct items, in random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy.slice(0, count);
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }

  hex(length: number): string {
    return this.bytes(length).toString('hex');
  }

  /** An independent stream for one part of the campaign (a round, a client loop), fixed by the seed. */
  derive(...labels: number[]): Random {
    let seed = mix(this.seed);
    for (const label of labels) seed = mix(seed ^ mix(label + 0x632be5ab));
    return new Random(seed);
  }
}
