/**
 * The client's address reaches the app (AppRequest.remoteAddress, the Caller's sourceIp) from the
 * socket, over real HTTP: an IPv4 client as dotted IPv4 also when the server listens dual-stack,
 * where Node reports it as `::ffff:127.0.0.1`.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import type { App, AppRequest } from '../../src/server/app.js';
import { listen } from '../../src/server/node-http.js';

/** An app that records each request and answers 200. */
function recordingApp(): App & { seen: AppRequest[] } {
  const seen: AppRequest[] = [];
  return {
    seen,
    async handle(request) {
      seen.push(request);
      return { status: 200, headers: {}, body: '{}' };
    },
  };
}

const options = { port: 0, maxBodyBytes: 1024, maxConcurrentRequests: 4, headersTimeoutMs: 1000, requestTimeoutMs: 2000, maxConnections: 4, idleTimeoutMs: 1000 };

async function addressSeen(host: string, connectTo: string): Promise<string | undefined> {
  const app = recordingApp();
  const server = await listen(app, { ...options, host });
  try {
    const port = new URL(server.url).port;
    const res = await fetch(`http://${connectTo}:${port}/`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 200);
    return app.seen[0]?.remoteAddress;
  } finally {
    await server.close();
  }
}

/** Whether this machine can listen on the IPv6 wildcard (a container may have no IPv6). */
async function dualStack(): Promise<boolean> {
  const probe = createServer();
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen({ host: '::', port: 0 }, () => probe.close(() => resolve(true)));
  });
}

describe('the client address', () => {
  it('is the socket peer of an IPv4 server', async () => {
    assert.equal(await addressSeen('127.0.0.1', '127.0.0.1'), '127.0.0.1');
  });

  it('is dotted IPv4 for an IPv4 client of a dual-stack server', async (t) => {
    if (!(await dualStack())) return t.skip('no IPv6 on this machine');
    assert.equal(await addressSeen('::', '127.0.0.1'), '127.0.0.1');
  });
});
