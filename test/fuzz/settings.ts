/**
 * Seed and run counts shared by every fuzz test, so that a run is reproducible and can be made
 * longer without touching the tests:
 *
 *   TRENT_FUZZ_SEED   the fast-check seed (default 20261123). A failing property prints its seed
 *                     and counterexample path; rerun with that seed to replay it.
 *   TRENT_FUZZ_RUNS   runs of a standard property (default 500). Every property's run count is
 *                     scaled by TRENT_FUZZ_RUNS / 500, so the expensive properties (1 MiB bodies,
 *                     raw sockets) stay proportionally fewer.
 *
 *   npm run fuzz                                   TRENT_FUZZ_RUNS=20000: 40x, about 10 minutes
 *   TRENT_FUZZ_RUNS=100000 TRENT_FUZZ_SEED=7 npm run fuzz     longer, another seed
 *   TRENT_FUZZ_SEED=<seed> node --test dist/test/fuzz/<file>.test.js   replay one file
 *
 * `npm test` runs the defaults, which keep the whole fuzz suite within about 20 s.
 */
import fc from 'fast-check';

function positiveInteger(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, not '${text}'`);
  return value;
}

export const DEFAULT_RUNS = 500;
export const FUZZ_SEED = positiveInteger('TRENT_FUZZ_SEED', 20261123);
export const FUZZ_RUNS = Math.max(1, positiveInteger('TRENT_FUZZ_RUNS', DEFAULT_RUNS));

/** The run count of a property that runs `atDefault` times by default, scaled with TRENT_FUZZ_RUNS. */
export function runs(atDefault: number): number {
  return Math.max(1, Math.round((atDefault * FUZZ_RUNS) / DEFAULT_RUNS));
}

// includeErrorInReport: the failing assertion's message goes into the report node --test prints.
fc.configureGlobal({ seed: FUZZ_SEED, numRuns: FUZZ_RUNS, includeErrorInReport: true });

/** Counts the inputs each property tried (shrinking included); printed to stderr at exit. */
const tried = new Map<string, number>();
export function count(property: string): void {
  if (tried.size === 0) {
    process.once('exit', () => {
      const counts = [...tried].map(([name, n]) => `${name} ${n}`).join(', ');
      process.stderr.write(`fuzz inputs (seed ${FUZZ_SEED}, runs ${FUZZ_RUNS}): ${counts}\n`);
    });
  }
  tried.set(property, (tried.get(property) ?? 0) + 1);
}
