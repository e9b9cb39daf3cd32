/**
 * The key-pair pool and multi-core serving, through a real server and @aws-sdk/client-kms:
 * pooled pairs are handed out once each, visible in /health, never reach the database files,
 * and several worker processes serve one data directory.
 */
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  GenerateDataKeyPairCommand,
  type GenerateDataKeyPairCommandOutput,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { kmsClient } from '../helpers/clients.js';
import { removeDataDir, spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';

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

describe('key-pair pool', () => {
  let server: SpawnedServer;
  let kms: KMSClient;
  let keyId: string;

  before(async () => {
    server = await spawnServer({ env: { TRENT_KEY_PAIR_POOL: '0,ECC_NIST_P256=8,ECC_NIST_EDWARDS25519=6' } });
    kms = kmsClient(server.url);
    keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
    await waitUntil(async () => {
      const pools = (await health(server.url)).keyPairPool;
      return pools.ECC_NIST_P256?.ready === 8 && pools.ECC_NIST_EDWARDS25519?.ready === 6;
    }, 'the pools to fill');
  });

  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  it('reports each pool in /health', async () => {
    const pools = (await health(server.url)).keyPairPool;
    assert.deepEqual(pools.ECC_NIST_P256, { ready: 8, target: 8, hits: 0, misses: 0 });
    assert.deepEqual(pools.RSA_4096, { ready: 0, target: 0, hits: 0, misses: 0 });
  });

  it('hands out each pair once: from the pool, then on demand, all distinct and all valid', async () => {
    const pairs = await Promise.all(
      Array.from({ length: 20 }, () => kms.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256' }))),
    );
    assert.equal(new Set(pairs.map((p) => Buffer.from(p.PrivateKeyPlaintext as Uint8Array).toString('hex'))).size, 20);
    assert.equal(new Set(pairs.map((p) => Buffer.from(p.PublicKey as Uint8Array).toString('hex'))).size, 20);
    const pool = (await health(server.url)).keyPairPool.ECC_NIST_P256;
    assert.equal((pool?.hits ?? 0) + (pool?.misses ?? 0), 20);
    assert.ok((pool?.hits ?? 0) >= 8, `expected the 8 pooled pairs to be used, got ${pool?.hits} hits`);
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: pairs[0]?.PrivateKeyCiphertextBlob }));
    assert.deepEqual(Buffer.from(decrypted.Plaintext as Uint8Array), Buffer.from(pairs[0]?.PrivateKeyPlaintext as Uint8Array));
  });

  it('refills as it drains', async () => {
    await waitUntil(async () => (await health(server.url)).keyPairPool.ECC_NIST_P256?.ready === 8, 'the P-256 pool to refill');
  });

  it('serves a spec whose pool is disabled (size 0) on demand', async () => {
    const pair = await kms.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'ECC_NIST_P384' }));
    assert.equal(pair.KeyPairSpec, 'ECC_NIST_P384');
    assert.equal((await health(server.url)).keyPairPool.ECC_NIST_P384?.misses, 1);
  });

  it('never writes a private key to the data directory, while running or after shutdown', async () => {
    const pairs = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        kms.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: i % 2 ? 'ECC_NIST_P256' : 'ECC_NIST_EDWARDS25519' })),
      ),
    );
    // Keys created in the same run, so the database and its WAL hold real writes.
    await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }));
    const secrets = secretsOf(pairs);
    assert.deepEqual(filesContaining(server.dataDir, secrets), []);
    await server.stop();
    assert.deepEqual(filesContaining(server.dataDir, secrets), []);
  });
});

describe('several worker processes', () => {
  let server: SpawnedServer;

  before(async () => {
    server = await spawnServer({ env: { TRENT_WORKERS: '2' } });
  });

  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  it('serve one port, one database and one root key', async () => {
    const pids = new Set<number>();
    for (let i = 0; i < 40 && pids.size < 2; i++) pids.add((await health(server.url)).pid);
    assert.equal(pids.size, 2, 'requests should reach both workers');

    const kms = kmsClient(server.url);
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
    await server.stop();
    assert.equal(server.process.exitCode, 0);
    const res = await fetch(`${server.url}/health`).catch((err: Error) => err);
    assert.ok(res instanceof Error, 'nothing should answer after shutdown');
  });
});

describe('workers whose primary dies', () => {
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
