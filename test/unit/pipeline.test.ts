/**
 * The pipeline machinery (src/server/pipeline.ts): stages run in their listed order, code after
 * next() runs on the way out in reverse, a stage that answers ends the request, an error thrown
 * by any stage (synchronously or not) reaches the stages before it, and next() twice is a bug.
 * And the app's own list, seen from outside: HEAD /health.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { compose, newExchange, type Exchange, type Stage } from '../../src/server/pipeline.js';
import { createTestApp } from '../helpers/in-process.js';

const exchange = (): Exchange => newExchange({ method: 'POST', path: '/', headers: {}, body: Buffer.alloc(0) }, 'r', pino({ level: 'silent' }));

const tracing = (trace: string[], name: string): Stage => async (_x, next) => {
  trace.push(`${name} in`);
  await next();
  trace.push(`${name} out`);
};

describe('compose', () => {
  it('runs stages in order, and back out in reverse', async () => {
    const trace: string[] = [];
    await compose([tracing(trace, 'a'), tracing(trace, 'b'), tracing(trace, 'c')])(exchange());
    assert.deepEqual(trace, ['a in', 'b in', 'c in', 'c out', 'b out', 'a out']);
  });

  it('stops at a stage that answers without calling next()', async () => {
    const trace: string[] = [];
    const answer: Stage = async (x) => {
      x.response = { status: 200, headers: {}, body: 'done' };
    };
    const x = exchange();
    await compose([tracing(trace, 'a'), answer, tracing(trace, 'never')])(x);
    assert.deepEqual(trace, ['a in', 'a out']);
    assert.equal(x.response?.body, 'done');
  });

  for (const [name, failing] of [
    ['synchronously', ((): Promise<void> => { throw new Error('boom'); }) as Stage],
    ['asynchronously', (async () => { throw new Error('boom'); }) as Stage],
  ] as const) {
    it(`brings an error thrown ${name} to the stages before it`, async () => {
      let caught: unknown;
      const catcher: Stage = async (_x, next) => {
        try {
          await next();
        } catch (err) {
          caught = err;
        }
      };
      const passThrough: Stage = (_x, next) => next();
      await compose([catcher, passThrough, failing])(exchange());
      assert.equal((caught as Error).message, 'boom');
    });
  }

  it('refuses a stage that calls next() twice', async () => {
    const twice: Stage = async (_x, next) => {
      await next();
      await next();
    };
    await assert.rejects(compose([twice, async () => {}])(exchange()), /next\(\) twice/);
  });
});

describe('the app answers HEAD /health', () => {
  it("with GET's answer (node:http sends its headers, not its body), and a request id", async () => {
    const { app } = createTestApp();
    const head = await app.handle({ method: 'HEAD', path: '/health', headers: {}, body: Buffer.alloc(0) });
    const get = await app.handle({ method: 'GET', path: '/health', headers: {}, body: Buffer.alloc(0) });
    assert.equal(head.status, 200);
    assert.equal(head.body, get.body);
    assert.equal(head.headers['content-type'], 'application/json');
    assert.match(head.headers['x-amzn-requestid'] ?? '', /^[0-9a-f-]{36}$/);
  });
});
