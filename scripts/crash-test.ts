/**
 * The long crash-safety campaign (test/crash/crash-harness.ts): hundreds of SIGKILLs of a
 * Trent server mid-workload, each followed by a restart and a check of every acknowledged
 * write and ciphertext. Prints one line per kill and a summary; exits 1 on any violation.
 *
 *   npm run crash-test -- --kills 200 --seed 42 [--loops 6] [--quiet]
 *   node dist/scripts/crash-test.js --kills 200 --seed 42
 *
 * With TRENT_DATABASE_URL set (a scratch PostgreSQL database or schema: the campaign fills it),
 * two servers share that database and one of them is killed each round (crash-harness.ts).
 */
import { parseArgs } from 'node:util';
import { runCrashCampaign } from '../test/crash/crash-harness.js';

function integer(value: string, name: string, min: number): number {
  if (!/^-?\d+$/.test(value) || Number(value) < min) {
    process.stderr.write(`crash-test: --${name} must be an integer >= ${min}, not '${value}'\n`);
    process.exit(2);
  }
  return Number(value);
}

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '200' },
    seed: { type: 'string', default: '42' },
    loops: { type: 'string', default: '6' },
    quiet: { type: 'boolean', default: false },
  },
});
const kills = integer(values.kills, 'kills', 1);
const seed = integer(values.seed, 'seed', 0);
const clientLoops = integer(values.loops, 'loops', 1);
const print = (line: string) => process.stdout.write(`${line}\n`);

const databaseUrl = process.env.TRENT_DATABASE_URL;
print(`crash-test: ${kills} kills, seed ${seed}, ${clientLoops} client loops${databaseUrl ? ', two servers on PostgreSQL' : ''}`);
const report = await runCrashCampaign({
  kills,
  seed,
  clientLoops,
  ...(databaseUrl !== undefined && { env: { TRENT_DATABASE_URL: databaseUrl } }),
  ...(!values.quiet && { log: print }),
});
print('');
print(`kills                ${report.kills}`);
print(`acknowledged writes  ${report.acknowledgedWrites}`);
print(
  `unknown writes       ${report.unknownWrites} (in flight at a kill; found applied ${report.unknownApplied}, ` +
    `not applied ${report.unknownNotApplied}, the rest changed nothing either way)`,
);
print(`ciphertexts checked  ${report.ciphertextsChecked} (${report.decryptChecks} decrypts with re-checks)`);
print(`grants checked       ${report.grantChecks} (${report.tokenChecks} grant tokens used)`);
print(`keys, aliases, grants ${report.keys}, ${report.aliases}, ${report.grants}`);
print(
  `imported material    ${report.externalKeys} keys, ${report.imports} imports and ${report.importRotations} rotations acknowledged, ` +
    `${report.externalCiphertexts} of the ciphertexts under them`,
);
print(`duration             ${(report.durationMs / 1000).toFixed(1)} s`);
print(`violations           ${report.violations.length}`);
for (const violation of report.violations) print(`  ${violation}`);
process.exitCode = report.violations.length === 0 ? 0 : 1;
