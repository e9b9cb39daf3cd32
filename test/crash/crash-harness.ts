/**
 * Crash-safety campaigns (DESIGN.md: "An acknowledged CreateKey / alias / grant / state change
 * survives kill -9 of the server"). A campaign starts a real Trent server on a fresh data
 * directory and repeats, `kills` times: run a write-heavy workload from several concurrent
 * @aws-sdk/client-kms clients (workload.ts), SIGKILL the server after a random delay while
 * requests are in flight, start it again on the same data directory, and check the whole
 * ledger of acknowledged writes and ciphertexts against it (verify.ts). The next round's
 * workload runs on the restarted server, so later kills land on a database with history.
 *
 * A write is held to its acknowledgement only: answered 200 -> must be there after the restart;
 * no answer (in flight at the kill) -> either outcome, but nothing else. Every ciphertext from an
 * Encrypt or GenerateDataKeyPair answered 200 must still decrypt, under its encryption context,
 * to the plaintext the client got. An acknowledged CreateGrant must be listed and its token
 * accepted; an acknowledged RetireGrant or RevokeGrant must stay done, its token refused. An
 * acknowledged ImportKeyMaterial (first material, or new material pending rotation) and an
 * acknowledged RotateKeyOnDemand to imported material must be there, and ciphertexts under keys
 * with imported material, made before or after their rotations, must decrypt like any other.
 *
 * Seeded: the seed fixes the kill delays and every loop's choices; which requests are in flight
 * at a kill still depends on timing. `env` goes to the server process, e.g. to run it with a
 * fault-injecting `NODE_OPTIONS=--import=...` and see the campaign fail.
 *
 * With TRENT_DATABASE_URL in `env` (PostgreSQL), the campaign runs two servers on that database
 * (one root key, TRENT_ROOT_KEY, random unless `env` has one): a survivor that is never killed
 * and takes its own client loops while the victim is killed, and the victim, killed and
 * restarted each round. Every write acknowledged by either must be there, checked through the
 * survivor, which must answer every request throughout: one server's crash costs the other
 * nothing.
 *
 * Used by test/functional/crash.test.ts (a few kills, in `npm test`) and scripts/crash-test.ts
 * (hundreds of kills: `npm run crash-test -- --kills 200 --seed 42`).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { kmsClient } from '../helpers/clients.js';
import { removeDataDir, spawnServer, tempDataDir, type SpawnedServer } from '../helpers/spawn-server.js';
import { Ledger } from './ledger.js';
import { Random } from './random.js';
import { verifyLedger } from './verify.js';
import { runWorkload } from './workload.js';

export interface CrashCampaignOptions {
  kills: number;
  seed: number;
  /** Extra environment for the server process. */
  env?: Record<string, string>;
  /** Progress lines, one per kill. */
  log?: (line: string) => void;
  /** Concurrent client loops, each with one request at a time; default 6. */
  clientLoops?: number;
  /** The kill comes this long after a round's workload starts, uniformly; default 50..800 ms. */
  killDelayMs?: { min: number; max: number };
  /** Keys not written since the last kill, and old ciphertexts, rechecked per kill; default 25. */
  sample?: number;
  /**
   * The kill also waits (at most 30 s more) until the round has this many acknowledged writes,
   * new ciphertexts and, if given, imports of key material, rotations to imported material and
   * new ciphertexts under keys with imported material, so that a slow or loaded machine still
   * tests a campaign of known size and mix; default none.
   */
  minimumPerRound?: { writes: number; ciphertexts: number; imports?: number; importRotations?: number; externalCiphertexts?: number };
}

export interface CrashCampaignReport {
  kills: number;
  /** Writes answered 200 (by the workload, and by the verifier enabling keys to decrypt). */
  acknowledgedWrites: number;
  /** Writes with no answer (in flight at a kill) or a server fault: either outcome accepted. */
  unknownWrites: number;
  /** Of those, where the two outcomes differ: how many the restarted server showed applied, and not. */
  unknownApplied: number;
  unknownNotApplied: number;
  /** Distinct ciphertexts decrypted after the kill that followed their creation. */
  ciphertextsChecked: number;
  /** Decrypt checks including re-checks of older ciphertexts. */
  decryptChecks: number;
  /** Checks of a grant's existence, and of a grant token, over all verifications. */
  grantChecks: number;
  tokenChecks: number;
  keys: number;
  /** Keys with imported material; acknowledged ImportKeyMaterial, and RotateKeyOnDemand of such keys. */
  externalKeys: number;
  imports: number;
  importRotations: number;
  /** Of ciphertextsChecked, those under keys with imported material. */
  externalCiphertexts: number;
  aliases: number;
  /** Grants that exist at the end. */
  grants: number;
  durationMs: number;
  violations: string[];
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export async function runCrashCampaign(options: CrashCampaignOptions): Promise<CrashCampaignReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const delays = options.killDelayMs ?? { min: 50, max: 800 };
  const clientLoops = options.clientLoops ?? 6;
  const shared = options.env?.TRENT_DATABASE_URL !== undefined;
  const env = shared ? { TRENT_ROOT_KEY: randomBytes(32).toString('base64'), ...options.env } : (options.env ?? {});
  const random = new Random(options.seed);
  const ledger = new Ledger();
  const violations: string[] = [];
  const report = { kills: 0, ciphertextsChecked: 0, decryptChecks: 0, grantChecks: 0, tokenChecks: 0 };
  const dataDir = tempDataDir();
  let server: SpawnedServer | undefined;
  let survivor: SpawnedServer | undefined;
  try {
    server = await spawnServer({ dataDir, env });
    if (shared) survivor = await spawnServer({ env });
    for (let round = 1; round <= options.kills; round++) {
      const rng = random.derive(round);
      const delay = rng.int(delays.min, delays.max);
      const externalCiphertexts = () => ledger.ciphertexts.filter((c) => ledger.keys.get(c.keyId)?.external).length;
      const before = {
        acknowledged: ledger.acknowledgedWrites,
        unknown: ledger.unknownWrites,
        ciphertexts: ledger.ciphertexts.length,
        violations: violations.length,
        imports: ledger.importedMaterial.imports,
        importRotations: ledger.importedMaterial.rotations,
        externalCiphertexts: externalCiphertexts(),
      };
      let killing = false;
      const workload = runWorkload({ url: server.url, ledger, round, rng: rng.derive(1), clientLoops, violations, killing: () => killing });
      workload.catch(() => {}); // awaited below, after the kill; this only keeps an early failure from being unhandled
      // The survivor's loops own other keys (indexes after the victim's); any failure is a violation.
      let survivorStops = false;
      const survivorLoad = survivor
        ? runWorkload({ url: survivor.url, ledger, round, rng: rng.derive(3), clientLoops, firstLoopIndex: clientLoops, violations, killing: () => survivorStops })
        : Promise.resolve();
      survivorLoad.catch(() => {});
      await sleep(delay);
      const minimum = options.minimumPerRound;
      const deadline = performance.now() + 30_000;
      const short = (m: NonNullable<CrashCampaignOptions['minimumPerRound']>) =>
        ledger.acknowledgedWrites - before.acknowledged < m.writes ||
        ledger.ciphertexts.length - before.ciphertexts < m.ciphertexts ||
        ledger.importedMaterial.imports - before.imports < (m.imports ?? 0) ||
        ledger.importedMaterial.rotations - before.importRotations < (m.importRotations ?? 0) ||
        (m.externalCiphertexts !== undefined && externalCiphertexts() - before.externalCiphertexts < m.externalCiphertexts);
      while (minimum !== undefined && performance.now() < deadline && short(minimum)) {
        await sleep(rng.int(5, 25));
      }
      killing = true;
      const killed: SpawnedServer = server;
      await killed.kill();
      report.kills++;
      await workload;
      // Keep the survivor under load a moment after the kill, while its peer is gone.
      await sleep(100);
      survivorStops = true;
      await survivorLoad;
      const workloadWrites = { acknowledged: ledger.acknowledgedWrites - before.acknowledged, unknown: ledger.unknownWrites - before.unknown };

      try {
        server = await spawnServer({ dataDir, env });
      } catch (err) {
        server = undefined;
        violations.push(`after kill ${round}, the server did not start again on the same data directory: ${(err as Error).message}`);
        break;
      }
      // Through the survivor when there is one: what either server acknowledged is in the database.
      const client = kmsClient((survivor ?? server).url);
      const last = round === options.kills;
      let verified;
      try {
        verified = await verifyLedger({ client, ledger, rng: rng.derive(2), label: `after kill ${round}`, violations, sample: options.sample ?? 25, everything: last });
      } finally {
        client.destroy();
      }
      report.ciphertextsChecked += verified.newCiphertextsChecked;
      report.decryptChecks += verified.decryptChecks;
      report.grantChecks += verified.grantsChecked;
      report.tokenChecks += verified.tokensChecked;
      log(
        `kill ${round}/${options.kills} after ${delay} ms: ${workloadWrites.acknowledged} writes acknowledged, ` +
          `${workloadWrites.unknown} in flight; checked ${ledger.keys.size} keys listed, ${verified.keysChecked} in depth, ` +
          `${verified.grantsChecked} grants (${verified.tokensChecked} tokens), ` +
          `${verified.decryptChecks} decrypts (${verified.newCiphertextsChecked} new); ${violations.length - before.violations} violations`,
      );
      if (violations.length > before.violations) {
        for (const violation of violations.slice(before.violations)) log(`  ${violation}`);
        const logs = tail(killed.logs(), 10);
        if (logs) log(`  server log before the kill:\n${logs}`);
      }
      if (server.process.exitCode !== null || server.process.signalCode !== null) {
        violations.push(`after kill ${round}, the restarted server exited during verification: ${tail(server.logs(), 10)}`);
        break;
      }
      if (survivor && (survivor.process.exitCode !== null || survivor.process.signalCode !== null)) {
        violations.push(`in round ${round}, the server that was not killed exited: ${tail(survivor.logs(), 10)}`);
        break;
      }
    }
  } finally {
    await server?.kill();
    await survivor?.kill();
    removeDataDir(dataDir);
    if (survivor) removeDataDir(survivor.dataDir);
  }
  return {
    kills: report.kills,
    acknowledgedWrites: ledger.acknowledgedWrites,
    unknownWrites: ledger.unknownWrites,
    unknownApplied: ledger.inFlightOutcomes.applied,
    unknownNotApplied: ledger.inFlightOutcomes.notApplied,
    ciphertextsChecked: report.ciphertextsChecked,
    decryptChecks: report.decryptChecks,
    grantChecks: report.grantChecks,
    tokenChecks: report.tokenChecks,
    keys: ledger.keys.size,
    externalKeys: [...ledger.keys.values()].filter((k) => k.external).length,
    imports: ledger.importedMaterial.imports,
    importRotations: ledger.importedMaterial.rotations,
    externalCiphertexts: ledger.ciphertexts.filter((c) => c.checked && ledger.keys.get(c.keyId)?.external).length,
    aliases: [...ledger.aliases.values()].filter((a) => a.target.acked !== undefined).length,
    grants: [...ledger.grants.values()].filter((g) => g.exists.acked).length,
    durationMs: Math.round(performance.now() - started),
    violations,
  };
}
