/**
 * The key-pair pool and multi-core serving, through a real server and @aws-sdk/client-kms:
 * GenerateDataKeyPair is served from the pool (its hits in /health prove it), pooled pairs are
 * handed out once each, never reach the database files, and several worker processes serve one
 * data directory. Every suite sets pool sizes or worker counts, so each spawns its own server.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  type DataKeyPairSpec,
  type GenerateDataKeyPairCommandOutput,
} from '@aws-sdk/client-kms';
import { createKey, needsOwnServer, useOwnServer } from '../helpers/functional.js';
import { removeDataDir, spawnServer } from '../helpers/spawn-server.js';

interface Health {
  pid: number;
  keyPairPool: Record<string, { ready: number; target: number; hits: number; misses: number }>;
}

async function health(url: string): Promise<Health> {
  const res = await fetch(`${url}/health`);
  assert.equal(res.status, 200);
  return (await res.json()) as Health;
}

async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Every byte sequence that would betray a private key if found on disk. */
function secretsOf(pairs: GenerateDataKeyPairCommandOutput[]): Buffer[] {
  const secrets: Buffer[] = [];
  for (const pair of pairs) {
    const pkcs8 = Buffer.from(pair.PrivateKeyPlaintext as Uint8Array);
    secrets.push(pkcs8);
    const jwk = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
    secrets.push(Buffer.from(jwk.d as string, 'base64url')); // the raw scalar, outside any DER
  }
  return secrets;
}

function filesContaining(dir: string, secrets: Buffer[]): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    const bytes = readFileSync(join(dir, name));
    if (secrets.some((secret) => bytes.includes(secret))) found.push(name);
  }
  return found;
}

describe('key-pair pool', { skip: needsOwnServer('sets its pool sizes and reads their counters in /health') }, () => {
  // Pools for two fast specs and RSA_2048 only, so background refills stay small on two cores.
  const server = useOwnServer({ env: { TRENT_KEY_PAIR_POOL: '0,RSA_2048=2,ECC_NIST_P256=8,ECC_NIST_EDWARDS25519=6' } });
  const kms = () => server.kms;
  let keyId: string;

  before(async () => {
    keyId = (await createKey(kms())).KeyId;
    await full('ECC_NIST_P256', 8);
    await full('ECC_NIST_EDWARDS25519', 6);
  });

  async function poolOf(spec: DataKeyPairSpec): Promise<{ ready: number; target: number; hits: number; misses: number }> {
    const pool = (await health(server.url)).keyPairPool[spec];
    assert.ok(pool, `no ${spec} pool in /health`);
    return pool;
  }

  /** Waits until the pool holds `target` pairs, after checking that this is its target. */
  async function full(spec: DataKeyPairSpec, target: number): Promise<void> {
    assert.equal((await poolOf(spec)).target, target, `the ${spec} pool's target`);
    await waitUntil(async () => (await poolOf(spec)).ready === target, `the ${spec} pool to fill`);
  }

  interface PairResponse {
    PublicKey?: Uint8Array | undefined;
    PrivateKeyCiphertextBlob?: Uint8Array | undefined;
    PrivateKeyPlaintext?: Uint8Array | undefined;
  }

  /** `count` concurrent requests, alternating GenerateDataKeyPair and its WithoutPlaintext sibling. */
  function generateConcurrently(spec: DataKeyPairSpec, count: number): Promise<PairResponse[]> {
    return Promise.all(
      Array.from({ length: count }, (_, i) => {
        const input = { KeyId: keyId, KeyPairSpec: spec, EncryptionContext: { pool: spec } };
        return i % 2 === 0
          ? kms().send(new GenerateDataKeyPairCommand(input))
          : kms().send(new GenerateDataKeyPairWithoutPlaintextCommand(input));
      }),
    );
  }

  /** Each response's private key (decrypted from its blob) belongs to its public key; no pair repeats. */
  async function checkDistinctPairs(spec: DataKeyPairSpec, responses: PairResponse[]): Promise<void> {
    const publicKeys = new Set<string>();
    const privateKeys = new Set<string>();
    for (const response of responses) {
      const spki = Buffer.from(response.PublicKey as Uint8Array);
      const decrypted = await kms().send(new DecryptCommand({ CiphertextBlob: response.PrivateKeyCiphertextBlob, EncryptionContext: { pool: spec } }));
      const pkcs8 = Buffer.from(decrypted.Plaintext as Uint8Array);
      if (response.PrivateKeyPlaintext) assert.deepEqual(pkcs8, Buffer.from(response.PrivateKeyPlaintext));
      const derived = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
      assert.deepEqual(derived.export({ type: 'spki', format: 'der' }), spki, 'private key does not belong to PublicKey');
      publicKeys.add(spki.toString('base64'));
      privateKeys.add(pkcs8.toString('base64'));
    }
    assert.equal(publicKeys.size, responses.length, 'a public key was handed out twice');
    assert.equal(privateKeys.size, responses.length, 'a private key was handed out twice');
  }

  it('reports each pool in /health', async () => {
    const pools = (await health(server.url)).keyPairPool;
    assert.deepEqual(pools.ECC_NIST_P256, { ready: 8, target: 8, hits: 0, misses: 0 });
    assert.deepEqual(pools.RSA_4096, { ready: 0, target: 0, hits: 0, misses: 0 });
  });

  it('hands out each pair once: from the pool, then on demand, all distinct and all valid', async () => {
    const pairs = await Promise.all(
      Array.from({ length: 20 }, () => kms().send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256' }))),
    );
    assert.equal(new Set(pairs.map((p) => Buffer.from(p.PrivateKeyPlaintext as Uint8Array).toString('hex'))).size, 20);
    assert.equal(new Set(pairs.map((p) => Buffer.from(p.PublicKey as Uint8Array).toString('hex'))).size, 20);
    const pool = (await health(server.url)).keyPairPool.ECC_NIST_P256;
    assert.equal((pool?.hits ?? 0) + (pool?.misses ?? 0), 20);
    assert.ok((pool?.hits ?? 0) >= 8, `expected the 8 pooled pairs to be used, got ${pool?.hits} hits`);
    const decrypted = await kms().send(new DecryptCommand({ CiphertextBlob: pairs[0]?.PrivateKeyCiphertextBlob }));
    assert.deepEqual(Buffer.from(decrypted.Plaintext as Uint8Array), Buffer.from(pairs[0]?.PrivateKeyPlaintext as Uint8Array));
  });

  it('refills as it drains', async () => {
    await full('ECC_NIST_P256', 8);
  });

  it('serves a spec whose pool is disabled (size 0) on demand', async () => {
    const pair = await kms().send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'ECC_NIST_P384' }));
    assert.equal(pair.KeyPairSpec, 'ECC_NIST_P384');
    assert.equal((await health(server.url)).keyPairPool.ECC_NIST_P384?.misses, 1);
  });

  for (const [spec, size] of [
    ['ECC_NIST_P256', 8],
    ['ECC_NIST_EDWARDS25519', 6],
  ] as const) {
    it(`${spec}: three rounds of ${size} concurrent calls, each emptying the full pool, are all served from it, all distinct`, async () => {
      const before = await poolOf(spec);
      const responses: PairResponse[] = [];
      for (let round = 0; round < 3; round++) {
        await full(spec, size);
        responses.push(...(await generateConcurrently(spec, size)));
      }
      const after = await poolOf(spec);
      // With the pool off, or bypassed, every pair would be a miss made on demand.
      assert.deepEqual({ hits: after.hits - before.hits, misses: after.misses - before.misses }, { hits: 3 * size, misses: 0 });
      await checkDistinctPairs(spec, responses);
    });
  }

  it('RSA_2048: more calls than the pool holds get its 2 pairs, then pairs made on demand, all distinct 2048-bit pairs', { timeout: 30_000 }, async () => {
    await full('RSA_2048', 2);
    const before = await poolOf('RSA_2048');
    const responses = await generateConcurrently('RSA_2048', 3);
    for (const response of responses) {
      const details = createPublicKey({ key: Buffer.from(response.PublicKey as Uint8Array), format: 'der', type: 'spki' }).asymmetricKeyDetails;
      assert.equal(details?.modulusLength, 2048);
    }
    const after = await poolOf('RSA_2048');
    const [hits, misses] = [after.hits - before.hits, after.misses - before.misses];
    // A refill may finish before the third request takes its pair: 2 or 3 hits, never fewer.
    assert.ok(hits >= 2 && hits + misses === 3, `hits ${hits}, misses ${misses}`);
    await checkDistinctPairs('RSA_2048', responses);
  });

  it('never writes a private key to the data directory, while running or after shutdown', async () => {
    const pairs = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        kms().send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: i % 2 ? 'ECC_NIST_P256' : 'ECC_NIST_EDWARDS25519' })),
      ),
    );
    // Keys created in the same run, so the database and its WAL hold real writes.
    await kms().send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
    const secrets = secretsOf(pairs);
    assert.deepEqual(filesContaining(server.spawned.dataDir, secrets), []);
    await server.spawned.stop();
    assert.deepEqual(filesContaining(server.spawned.dataDir, secrets), []);
  });
});

describe('several worker processes', { skip: needsOwnServer('starts it with two workers and stops it') }, () => {
  const server = useOwnServer({ env: { TRENT_WORKERS: '2' } });

  it('serve one port, one database and one root key', async () => {
    const pids = new Set<number>();
    for (let i = 0; i < 40 && pids.size < 2; i++) pids.add((await health(server.url)).pid);
    assert.equal(pids.size, 2, 'requests should reach both workers');

    const kms = server.kms;
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'shared' }));
    const context = { across: 'workers' };
    const pairs = await Promise.all(
      Array.from({ length: 10 }, () =>
        kms.send(new GenerateDataKeyPairCommand({ KeyId: KeyMetadata?.KeyId, KeyPairSpec: 'ECC_NIST_P256', EncryptionContext: context })),
      ),
    );
    // Whichever worker answers must see the key and open blobs sealed by the other.
    for (const pair of pairs) {
      const described = await kms.send(new DescribeKeyCommand({ KeyId: KeyMetadata?.KeyId }));
      assert.equal(described.KeyMetadata?.Description, 'shared');
      const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: context }));
      assert.deepEqual(Buffer.from(Plaintext as Uint8Array), Buffer.from(pair.PrivateKeyPlaintext as Uint8Array));
    }
  });

  it('stops every worker on SIGTERM', async () => {
    await server.spawned.stop();
    assert.equal(server.spawned.process.exitCode, 0);
    const res = await fetch(`${server.url}/health`).catch((err: Error) => err);
    assert.ok(res instanceof Error, 'nothing should answer after shutdown');
  });
});

describe('workers whose primary dies', { skip: needsOwnServer('kills its primary process') }, () => {
  it('stop serving and exit instead of lingering as orphans', async () => {
    const server = await spawnServer({ env: { TRENT_WORKERS: '2' } });
    try {
      const workers = new Set<number>();
      for (let i = 0; i < 40 && workers.size < 2; i++) workers.add((await health(server.url)).pid);
      assert.equal(workers.size, 2);
      await server.kill(); // SIGKILL to the primary only
      const alive = (pid: number) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      await waitUntil(async () => [...workers].every((pid) => !alive(pid)), 'the workers to exit');
    } finally {
      removeDataDir(server.dataDir);
    }
  });
});
