/**
 * The services of an in-process app as the benchmarks build it (no HTTP): a SQLite store as
 * served, a fresh root key, no key-pair pool, the system clock, a silent logger, and the default
 * account and region. A benchmark passes what it measures differently (its key-usage tracker,
 * its attestation roots).
 */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { generateKeyPair } from '../src/crypto/asymmetric.js';
import { GrantTokenSigner } from '../src/crypto/grant-token.js';
import { KeyPairPool } from '../src/crypto/key-pair-pool.js';
import { RootKey } from '../src/crypto/root-key.js';
import { accessControlFor } from '../src/domain/access.js';
import { loadAttestationRoots } from '../src/domain/attestation-roots.js';
import { systemClock } from '../src/domain/clock.js';
import { KeyMaterials } from '../src/domain/key-material.js';
import { KeyUsageTracker } from '../src/domain/key-usage.js';
import type { Services } from '../src/operations/context.js';
import type { SqliteStore } from '../src/storage/sqlite.js';

export function benchServices(store: SqliteStore, overrides: Partial<Services> = {}): Services {
  const rootKey = RootKey.fromBytes(randomBytes(32));
  return {
    store,
    materials: new KeyMaterials(store, rootKey),
    keyUsage: new KeyUsageTracker(store, systemClock),
    keyPairs: new KeyPairPool([], generateKeyPair, 1),
    grantTokenSigner: GrantTokenSigner.fromRootKey(rootKey),
    access: accessControlFor(store, systemClock),
    clock: systemClock,
    attestationRoots: loadAttestationRoots(undefined),
    config: { defaultAccount: '111122223333', defaultRegion: 'us-east-1', allowSm2Everywhere: false },
    logger: pino({ level: 'silent' }),
    ...overrides,
  };
}
