/**
 * Drives the app in-process (no socket) with a memory store and a manual clock, for fast,
 * table-driven tests of the protocol and the operations.
 */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { generateKeyPair } from '../../src/crypto/asymmetric.js';
import { KeyPairPool } from '../../src/crypto/key-pair-pool.js';
import { RootKey } from '../../src/crypto/root-key.js';
import { AccessControl } from '../../src/domain/access.js';
import { ManualClock } from '../../src/domain/clock.js';
import { KeyMaterials } from '../../src/domain/key-material.js';
import type { Services } from '../../src/operations/context.js';
import { createKmsApp, type App } from '../../src/server/app.js';
import { MemoryStore } from '../../src/storage/memory.js';
import type { Store } from '../../src/storage/types.js';

export interface TestApp {
  app: App;
  services: Services;
  clock: ManualClock;
  /** Calls an operation with a JSON body; region via a SigV4 credential scope. */
  call(operation: string, body: unknown, options?: { region?: string }): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, string> }>;
}

export function createTestApp(options: { store?: Store; allowSm2Everywhere?: boolean } = {}): TestApp {
  const store = options.store ?? new MemoryStore();
  const clock = new ManualClock();
  const services: Services = {
    store,
    materials: new KeyMaterials(store, RootKey.fromBytes(randomBytes(32))),
    keyPairs: new KeyPairPool([], generateKeyPair, 1),
    access: new AccessControl(),
    clock,
    config: { defaultAccount: '111122223333', defaultRegion: 'us-east-1', allowSm2Everywhere: options.allowSm2Everywhere ?? false },
    logger: pino({ level: 'silent' }),
  };
  const app = createKmsApp(services);
  return {
    app,
    services,
    clock,
    async call(operation, body, callOptions = {}) {
      const headers: Record<string, string> = {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `TrentService.${operation}`,
      };
      if (callOptions.region !== undefined) {
        headers['authorization'] =
          `AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/${callOptions.region}/kms/aws4_request, SignedHeaders=host, Signature=00`;
      }
      const response = await app.handle({
        method: 'POST',
        path: '/',
        headers,
        body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      });
      return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown>, headers: response.headers };
    },
  };
}
