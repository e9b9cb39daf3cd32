/** When the cluster primary replaces a crashed worker, and when it gives up (restart-policy.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestartPolicy } from '../../src/server/restart-policy.js';

const SECOND = 1000;

describe('worker restart policy', () => {
  it('doubles the delay for each crash in a row of one slot, from 100 ms', () => {
    const policy = new RestartPolicy({ firstDelayMs: 100, maxDelayMs: 30_000, stableAfterMs: 30 * SECOND, maxCrashes: 100, windowMs: 60 * SECOND });
    const delays = [0, 1, 2, 3, 4].map((i) => policy.crashed(0, i * SECOND, 500));
    assert.deepEqual(delays, [100, 200, 400, 800, 1600].map((delayMs) => ({ restart: true, delayMs })));
  });

  it('never waits longer than 30 s', () => {
    const policy = new RestartPolicy();
    // One crash every 20 s stays under the limit (3 in any 60 s) but never counts as stable.
    let last = policy.crashed(0, 0, 20 * SECOND);
    for (let i = 1; i < 12; i++) last = policy.crashed(0, i * 20 * SECOND, 20 * SECOND);
    assert.deepEqual(last, { restart: true, delayMs: 30_000 });
  });

  it('starts afresh once a worker of that slot has stayed up 30 s', () => {
    const policy = new RestartPolicy();
    policy.crashed(0, 0, 1);
    policy.crashed(0, 1 * SECOND, 1);
    assert.deepEqual(policy.crashed(0, 40 * SECOND, 30 * SECOND), { restart: true, delayMs: 100 });
  });

  it('keeps a back-off per slot', () => {
    const policy = new RestartPolicy();
    policy.crashed(0, 0, 1);
    policy.crashed(0, 1, 1);
    assert.deepEqual(policy.crashed(1, 2, 1), { restart: true, delayMs: 100 });
  });

  it('gives up at the 6th crash within 60 s, across slots', () => {
    const policy = new RestartPolicy();
    for (let i = 0; i < 5; i++) assert.equal(policy.crashed(i % 2, i * SECOND, 1).restart, true);
    assert.deepEqual(policy.crashed(0, 5 * SECOND, 1), { restart: false, crashes: 6, windowMs: 60_000 });
  });

  it('forgets crashes older than 60 s', () => {
    const policy = new RestartPolicy();
    for (let i = 0; i < 5; i++) policy.crashed(0, i * 10 * SECOND, 1); // at 0, 10, 20, 30 and 40 s
    assert.equal(policy.crashed(0, 61 * SECOND, 1).restart, true, 'the crash at 0 s left the window');
    assert.equal(policy.crashed(0, 62 * SECOND, 1).restart, false, 'six from 10 s to 62 s');
  });
});
