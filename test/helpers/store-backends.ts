/**
 * The stores an in-process suite runs its operations on: the memory store always, and
 * PostgreSQL (a fresh schema per test app) when TRENT_TEST_DATABASE_URL is set, so that rules
 * spanning several records in one transaction are judged where transactions are real.
 */
import { after } from 'node:test';
import { MemoryStore } from '../../src/storage/memory.js';
import { PostgresStore } from '../../src/storage/postgres.js';
import type { Store } from '../../src/storage/types.js';
import { createTestApp, type TestApp } from './in-process.js';
import { freshSchemaUrl, postgresSkipReason } from './postgres.js';

export interface StoreBackend {
  name: string;
  /** The suite's `skip` option: false, or why it cannot run here. */
  skip: string | false;
  store: () => Promise<Store>;
}

/** Memory and PostgreSQL; `schema` prefixes the PostgreSQL schemas the suite makes. */
export function storeBackends(schema: string): StoreBackend[] {
  return [
    { name: 'memory store', skip: false, store: () => Promise.resolve(new MemoryStore()) },
    { name: 'PostgreSQL store', skip: postgresSkipReason, store: async () => PostgresStore.open(await freshSchemaUrl(schema), { maxConnections: 4 }) },
  ];
}

/**
 * Called inside a suite: a function that makes a test app on a fresh store of `backend`; every
 * store it opened is closed after the suite.
 */
export function testApps(backend: StoreBackend): () => Promise<TestApp> {
  const opened: Store[] = [];
  after(async () => {
    for (const store of opened.splice(0)) await store.close();
  });
  return async () => {
    const store = await backend.store();
    opened.push(store);
    return createTestApp({ store });
  };
}
