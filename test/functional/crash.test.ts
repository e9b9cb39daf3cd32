/**
 * Crash safety, the short campaign for `npm test`: a write-heavy workload from concurrent
 * @aws-sdk/client-kms clients, SIGKILL of the server at seeded random moments, a restart on
 * the same data directory, and a check of every acknowledged write and ciphertext
 * (test/crash/crash-harness.ts). The long campaign is `npm run crash-test`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCrashCampaign } from '../crash/crash-harness.js';
import { needsOwnServer } from '../helpers/functional.js';
import { freshSchemaUrl, postgresSkipReason } from '../helpers/postgres.js';

describe('crash safety under kill -9', { timeout: 120_000, skip: needsOwnServer('kills it with SIGKILL and restarts it') }, () => {
  it('after 6 kills mid-workload, every acknowledged write is there and every ciphertext decrypts', async (t) => {
    const report = await runCrashCampaign({ kills: 6, seed: 20_240_611, minimumPerRound: { writes: 40, ciphertexts: 10, imports: 1, externalCiphertexts: 1 } });
    assert.deepEqual(report.violations, []);
    assert.equal(report.kills, 6);
    assert.ok(report.acknowledgedWrites >= 200, `only ${report.acknowledgedWrites} acknowledged writes`);
    assert.ok(report.ciphertextsChecked >= 50, `only ${report.ciphertextsChecked} ciphertexts checked`);
    assert.ok(report.keys >= 20, `only ${report.keys} keys`);
    assert.ok(report.grantChecks >= 20 && report.tokenChecks >= 10, `only ${report.grantChecks} grant and ${report.tokenChecks} token checks`);
    const imported = `${report.imports} imports, ${report.importRotations} rotations to imported material, ${report.externalCiphertexts} ciphertexts under imported material`;
    t.diagnostic(imported);
    assert.ok(report.imports >= 3 && report.importRotations >= 1 && report.externalCiphertexts >= 3, `only ${imported}`);
  });
});

describe(
  'crash safety on PostgreSQL: one of two servers killed under load',
  { timeout: 180_000, skip: postgresSkipReason || needsOwnServer('kills one of two servers it starts') },
  () => {
    it('after 4 kills of one server, every write acknowledged by either is there, and the other served throughout', async () => {
      const url = await freshSchemaUrl('trent_crash');
      const report = await runCrashCampaign({
        kills: 4,
        seed: 20_261_203,
        clientLoops: 4,
        killDelayMs: { min: 200, max: 800 },
        env: { TRENT_DATABASE_URL: url },
      });
      assert.deepEqual(report.violations, []);
      assert.equal(report.kills, 4);
      assert.ok(report.acknowledgedWrites >= 50, `only ${report.acknowledgedWrites} acknowledged writes`);
      assert.ok(report.ciphertextsChecked >= 8, `only ${report.ciphertextsChecked} ciphertexts checked`);
      assert.ok(report.keys >= 10, `only ${report.keys} keys`);
    });
  },
);
