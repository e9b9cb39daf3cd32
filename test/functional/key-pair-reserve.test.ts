/**
 * The durable key-pair reserve through real server processes and @aws-sdk/client-kms: pairs
 * generated before a restart serve the first requests after it (reserve hits in /health, no
 * misses); each reserved pair is handed out once across two worker processes, a restart and a
 * kill -9 in the middle of claims; nothing in the data directory is a private key in plaintext
 * (neither the PKCS#8 DER, nor its PEM text, nor the RSA private exponent or primes of any pair
 * handed out, nor the header every plaintext RSA PKCS#8 starts with); and a reserve of size 0
 * serves as before. Every suite sets its own sizes and worker counts, so each spawns its own
 * server. The oracle for the pairs is node:crypto's parser and the openssl CLI.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { CreateKeyCommand, DecryptCommand, GenerateDataKeyPairCommand, type KMSClient } from '@aws-sdk/client-kms';
import { kmsClient } from '../helpers/clients.js';
import { needsOwnServer } from '../helpers/functional.js';
import { removeDataDir, spawnServer, tempDataDir, type SpawnedServer } from '../helpers/spawn-server.js';

interface Health {
  pid: number;
  keyPairPool: Record<string, { ready: number; target: number; hits: number; misses: number; reserveHits?: number }>;
  keyPairReserve: { paused: boolean; specs: Record<string, { ready: number; floor: number; ceiling: number; target: number; generated: number }> } | null;
}

async function health(url: string): Promise<Health> {
  const res = await fetch(`${url}/health`);
  assert.equal(res.status, 200);
  return (await res.json()) as Health;
}

async function waitUntil(check: () => Promise<boolean>, what: string, ms = 120_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** How many threads of process `pid` run at nice 19 (Linux /proc): the refill's generation thread. */
function nicedThreads(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).filter((tid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) === 19;
    } catch {
      return false; // the thread ended
    }
  }).length;
}

/** Stored pairs per spec, read from the database file by a connection of the test's own. */
function storedPairs(dataDir: string): Record<string, number> {
  const db = new Database(join(dataDir, 'trent.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT spec, count(*) AS n FROM reserved_pairs GROUP BY spec').all() as { spec: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.spec, r.n]));
  } finally {
    db.close();
  }
}

/** Every byte sequence that betrays an RSA private key: its PKCS#8 DER and PEM, d, p and q. */
function secretsOf(pkcs8s: Buffer[]): Buffer[] {
  const secrets: Buffer[] = [];
  for (const der of pkcs8s) {
    secrets.push(der);
    const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    const pem = key.export({ type: 'pkcs8', format: 'pem' }) as string;
    secrets.push(...pem.split('\n').filter((line) => line.length === 64).map((line) => Buffer.from(line)));
    const jwk = key.export({ format: 'jwk' });
    for (const part of [jwk.d, jwk.p, jwk.q]) secrets.push(Buffer.from(part as string, 'base64url'));
  }
  return secrets;
}

/** version 0, then AlgorithmIdentifier rsaEncryption with NULL: how every plaintext RSA PKCS#8 begins. */
const RSA_PKCS8_HEADER = Buffer.from('020100300d06092a864886f70d0101010500', 'hex');

function filesContaining(dir: string, needles: Buffer[]): string[] {
  return readdirSync(dir).filter((name) => {
    const bytes = readFileSync(join(dir, name));
    return needles.some((needle) => bytes.includes(needle));
  });
}

/** The PKCS#8 of a GenerateDataKeyPair answer, checked: an RSA key of `bits` whose public key is the answer's. */
function checkedPrivateKey(response: { PrivateKeyPlaintext?: Uint8Array | undefined; PublicKey?: Uint8Array | undefined }, bits: number): Buffer {
  const der = Buffer.from(response.PrivateKeyPlaintext as Uint8Array);
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  assert.equal(key.asymmetricKeyDetails?.modulusLength, bits);
  assert.deepEqual(createPublicKey(key).export({ type: 'spki', format: 'der' }), Buffer.from(response.PublicKey as Uint8Array));
  return der;
}

const RESERVE_ENV = {
  TRENT_WORKERS: '2',
  TRENT_KEY_PAIR_RESERVE: '0,RSA_2048=6',
  TRENT_KEY_PAIR_RESERVE_FLOOR: 'RSA_2048=6',
};

describe('durable key-pair reserve', { skip: needsOwnServer('restarts its server on one data directory') }, () => {
  const dataDir = tempDataDir();
  let server: SpawnedServer | undefined;
  let keyId: string;
  const handedOut: Buffer[] = [];

  after(async () => {
    await server?.kill();
    removeDataDir(dataDir);
  });

  it('fills the reserve in the background, once for the server, and keeps it in the database', { timeout: 180_000 }, async () => {
    // No memory pools: every request claims from the reserve itself, so /health counts each.
    server = await spawnServer({ dataDir, env: { ...RESERVE_ENV, TRENT_KEY_PAIR_POOL: '0' } });
    const url = server.url;
    keyId = (await kmsClient(url).send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
    await waitUntil(async () => (await health(url)).keyPairReserve?.specs.RSA_2048?.ready === 6, 'the reserve to fill');
    const reserve = (await health(url)).keyPairReserve;
    assert.deepEqual(Object.keys(reserve?.specs ?? {}), ['RSA_2048'], 'only the spec configured has a reserve');
    assert.equal(reserve?.specs.RSA_2048?.generated, 6, 'the primary generated every pair');
    if (process.platform === 'linux') {
      const primary = server.process.pid as number;
      const workers = execFileSync('pgrep', ['-P', String(primary)]).toString().trim().split('\n').map(Number);
      assert.equal(workers.length, 2);
      assert.equal(nicedThreads(primary), 1, 'the primary refills on one nice-19 thread');
      assert.deepEqual(workers.map(nicedThreads), [0, 0], 'workers never refill');
    }
    await server.stop();
    server = undefined;
    assert.deepEqual(storedPairs(dataDir), { RSA_2048: 6 }, 'one server-wide reserve of 6, not 6 per worker');
    assert.deepEqual(filesContaining(dataDir, [RSA_PKCS8_HEADER]), [], 'no plaintext RSA PKCS#8 in any file');
  });

  it('serves the first requests after a restart from the reserve, each pair to one request across both workers', { timeout: 60_000 }, async () => {
    server = await spawnServer({ dataDir, env: { ...RESERVE_ENV, TRENT_KEY_PAIR_POOL: '0' } });
    const kms = kmsClient(server.url);
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => kms.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'RSA_2048', EncryptionContext: { r: 'restart' } }))),
    );
    const pool = (await health(server.url)).keyPairPool.RSA_2048;
    assert.equal(pool?.reserveHits, 6, `every one claimed from the reserve: ${JSON.stringify(pool)}`);
    assert.equal(pool?.misses, 0, 'none generated on demand');
    const ders = responses.map((r) => checkedPrivateKey(r, 2048));
    handedOut.push(...ders);
    assert.equal(new Set(ders.map((d) => d.toString('hex'))).size, 6, 'six distinct pairs');
    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: responses[0]?.PrivateKeyCiphertextBlob, EncryptionContext: { r: 'restart' } }),
    );
    assert.deepEqual(Buffer.from(decrypted.Plaintext as Uint8Array), ders[0]);
    // openssl, independently, reads the key and finds it consistent.
    const check = execFileSync('openssl', ['pkey', '-inform', 'DER', '-noout', '-check'], { input: ders[0] }).toString();
    assert.match(check, /valid/i);
  });

  it('never hands a pair out again, and never writes one in plaintext, after it refills and stops', { timeout: 180_000 }, async () => {
    const url = server?.url as string;
    await waitUntil(async () => (await health(url)).keyPairReserve?.specs.RSA_2048?.ready === 6, 'the reserve to refill');
    const kms = kmsClient(url);
    const more = await Promise.all(
      Array.from({ length: 8 }, () => kms.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'RSA_2048' }))),
    );
    handedOut.push(...more.map((r) => checkedPrivateKey(r, 2048)));
    assert.equal(new Set(handedOut.map((d) => d.toString('hex'))).size, handedOut.length, 'every pair handed out is distinct');
    await server?.stop();
    server = undefined;
    assert.deepEqual(filesContaining(dataDir, [RSA_PKCS8_HEADER, ...secretsOf(handedOut)]), []);
  });
});

describe('durable key-pair reserve under kill -9', { skip: needsOwnServer('kills its server with SIGKILL') }, () => {
  const dataDir = tempDataDir();
  let server: SpawnedServer | undefined;

  after(async () => {
    await server?.kill();
    removeDataDir(dataDir);
  });

  /** Requests pairs from `clients` loops until `stop` says so; every pair answered is kept. */
  /** `clients` loops of GenerateDataKeyPair RSA_2048 until stop(), each pausing `pauseMs` between requests. */
  async function drive(kms: KMSClient, keyId: string, clients: number, stop: () => boolean, into: Buffer[], pauseMs = 0): Promise<void> {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (!stop()) {
          try {
            const r = await kms.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'RSA_2048' }));
            into.push(checkedPrivateKey(r, 2048));
          } catch {
            return; // the server was killed under this request: whatever it had claimed is lost, never reused
          }
          if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
        }
      }),
    );
  }

  it('never gives one pair to two requests, whatever a SIGKILL interrupts', { timeout: 240_000 }, async () => {
    // Two paced clients (a request each 20 ms or so) and a close watch, so that the kill comes
    // while the reserve still holds pairs however fast the machine serves them.
    const env = { TRENT_WORKERS: '2', TRENT_KEY_PAIR_RESERVE: '0,RSA_2048=40', TRENT_KEY_PAIR_RESERVE_FLOOR: 'RSA_2048=40', TRENT_KEY_PAIR_POOL: '0,RSA_2048=2' };
    server = await spawnServer({ dataDir, env });
    const first = server;
    const keyId = (await kmsClient(first.url).send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
    await waitUntil(async () => (await health(first.url)).keyPairReserve?.specs.RSA_2048?.ready === 40, 'the reserve to fill');
    const pairs: Buffer[] = [];
    let killed = false;
    const driving = drive(kmsClient(first.url), keyId, 2, () => killed, pairs, 20);
    await waitUntil(async () => pairs.length >= 2, 'some pairs to be handed out', 120_000, 5);
    // Workers first, then the primary: nothing gets to finish or give pairs back.
    const workers = execFileSync('pgrep', ['-P', String(first.process.pid)]).toString().trim().split('\n').map(Number);
    for (const pid of workers) process.kill(pid, 'SIGKILL');
    await first.kill();
    killed = true;
    await driving;
    const beforeKill = pairs.length;
    const left = storedPairs(dataDir).RSA_2048 ?? 0;
    assert.ok(left > 0, 'the kill came while the reserve still held pairs');
    server = await spawnServer({ dataDir, env });
    const second = server;
    let enough = false;
    await Promise.all([drive(kmsClient(second.url), keyId, 6, () => enough, pairs), waitUntil(async () => (enough = pairs.length >= beforeKill + 10), 'pairs after the restart')]);
    assert.equal(new Set(pairs.map((d) => d.toString('hex'))).size, pairs.length, `all ${pairs.length} pairs distinct`);
    const pool = (await health(second.url)).keyPairPool.RSA_2048;
    assert.ok((pool?.hits ?? 0) + (pool?.reserveHits ?? 0) > 0, 'pairs stored before the kill served requests after it');
  });
});

describe('key-pair reserve of size 0', { skip: needsOwnServer('sets its reserve and pool sizes') }, () => {
  let server: SpawnedServer;
  before(async () => {
    server = await spawnServer({ env: { TRENT_KEY_PAIR_RESERVE: '0', TRENT_KEY_PAIR_POOL: '0,RSA_2048=2' } });
  });
  after(async () => {
    await server.stop();
    removeDataDir(server.dataDir);
  });

  it('serves as before: RSA pairs from the memory pool and on demand, nothing stored', { timeout: 120_000 }, async () => {
    const kms = kmsClient(server.url);
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
    await waitUntil(async () => (await health(server.url)).keyPairPool.RSA_2048?.ready === 2, 'the memory pool to fill');
    const report = await health(server.url);
    assert.equal(report.keyPairReserve, null);
    assert.equal(report.keyPairPool.RSA_2048?.reserveHits, undefined, 'the pool is not in front of a reserve');
    const responses = await Promise.all(
      Array.from({ length: 3 }, () => kms.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'RSA_2048' }))),
    );
    const ders = responses.map((r) => checkedPrivateKey(r, 2048));
    assert.equal(new Set(ders.map((d) => d.toString('hex'))).size, 3);
    const pool = (await health(server.url)).keyPairPool.RSA_2048;
    assert.equal((pool?.hits ?? 0) + (pool?.misses ?? 0), 3);
    assert.equal(pool?.hits, 2);
    assert.deepEqual(storedPairs(server.dataDir), {});
  });
});
