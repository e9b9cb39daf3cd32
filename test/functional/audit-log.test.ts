/**
 * The audit log of a spawned server, through @aws-sdk/client-kms over HTTP: every request that
 * was answered has its record in `<dataDir>/audit.log` even when every server process is killed
 * with SIGKILL under load (two workers writing one file), with the fdatasync per batch and
 * without it (the record is in the kernel's page cache before the answer either way); `--audit-log -` and `off`; a log
 * that cannot be written: loud, /health degraded, and with auditLogRequired the requests fail;
 * and GetKeyLastUsage's CloudTrailEventId, the eventID of the last use's record (`trent audit
 * search` finds it), kept in the database across a restart, and absent with `--audit-log off`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyPairCommand,
  GetKeyLastUsageCommand,
  ListKeysCommand,
  type KeyLastUsageData,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { kmsClient } from '../helpers/clients.js';
import { needsOwnServer } from '../helpers/functional.js';
import { serverProcesses, waitUntil } from '../helpers/processes.js';
import { MAIN, removeDataDir, spawnServer, tempDataDir, type SpawnedServer } from '../helpers/spawn-server.js';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(options: Parameters<typeof spawnServer>[0] = {}): Promise<{ server: SpawnedServer; client: KMSClient }> {
  const dataDir = options.dataDir ?? tempDataDir();
  const server = await spawnServer({ ...options, dataDir });
  const client = kmsClient(server.url);
  cleanups.push(() => removeDataDir(dataDir));
  cleanups.push(() => server.kill());
  cleanups.push(() => client.destroy());
  return { server, client };
}

function records(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The request id a call was answered with, success or AWS error; undefined if it got no answer. */
async function answeredId(call: Promise<{ $metadata: { requestId?: string } }>): Promise<string | undefined> {
  try {
    return (await call).$metadata.requestId;
  } catch (err) {
    return (err as { $metadata?: { requestId?: string; httpStatusCode?: number } }).$metadata?.requestId;
  }
}

describe('audit log: durability', { timeout: 60_000, skip: needsOwnServer('kills it with SIGKILL') }, () => {
  for (const sync of ['true', 'false']) {
    it(`kill -9 of every process under load: every answered request has its record (auditLogSync ${sync})`, async () => {
      const { server, client } = await start({ env: { TRENT_WORKERS: '2', TRENT_AUDIT_LOG_SYNC: sync } });
      const keyId = (await client.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
      const answered = new Set<string>();
      let killed = false;
      const worker = async (n: number) => {
        for (let i = 0; !killed; i++) {
          const call =
            i % 4 === 0
              ? client.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256' }))
              : i % 4 === 1
                ? client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(`worker ${n} call ${i}`) }))
                : i % 4 === 2
                  ? client.send(new DescribeKeyCommand({ KeyId: 'alias/missing' })) // answered with an error, audited too
                  : client.send(new ListKeysCommand({}));
          const id = await answeredId(call);
          if (id !== undefined && !killed) answered.add(id);
        }
      };
      const load = [0, 1, 2, 3, 4, 5].map(worker);
      await waitUntil(() => answered.size >= 300, '300 answered requests', 40_000);
      const acknowledged = [...answered];
      killed = true;
      for (const pid of serverProcesses(server.dataDir)) process.kill(pid, 'SIGKILL');
      await Promise.all(load);
      await server.kill();

      const logged = new Set(records(join(server.dataDir, 'audit.log')).map((record) => record.requestID));
      const missing = acknowledged.filter((id) => !logged.has(id));
      assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.length} answered requests have no audit record`);
    });
  }
});

describe('audit log: destinations', { timeout: 30_000, skip: needsOwnServer('reads its standard output and data directory') }, () => {
  it('--audit-log - writes the records on standard output; off writes none', async () => {
    const { server, client } = await start({ args: ['--audit-log', '-'] });
    let stdout = '';
    server.process.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const answer = await client.send(new ListKeysCommand({}));
    await waitUntil(() => stdout.includes(answer.$metadata.requestId as string), 'the record on standard output');
    const line = stdout.split('\n').find((l) => l.includes(answer.$metadata.requestId as string)) as string;
    assert.equal((JSON.parse(line) as { eventName: string }).eventName, 'ListKeys');
    assert.equal(existsSync(join(server.dataDir, 'audit.log')), false);

    const off = await start({ env: { TRENT_AUDIT_LOG: 'off' } });
    await off.client.send(new ListKeysCommand({}));
    assert.equal(existsSync(join(off.server.dataDir, 'audit.log')), false);
  });
});

describe('audit log: a log that cannot be written', { timeout: 30_000, skip: needsOwnServer('removes its log directory') }, () => {
  it('auditLogRequired: requests fail with KMSInternalException, /health is degraded, the error is logged; then it recovers', async () => {
    const logDir = tempDataDir();
    cleanups.push(() => removeDataDir(logDir));
    const auditLog = join(logDir, 'logs', 'audit.log');
    mkdirSync(join(logDir, 'logs'));
    const { server, client } = await start({ env: { TRENT_AUDIT_LOG: auditLog, TRENT_AUDIT_LOG_REQUIRED: 'true' } });
    await client.send(new ListKeysCommand({}));
    assert.equal(records(auditLog).length, 1);

    rmSync(join(logDir, 'logs'), { recursive: true });
    const failure = await client.send(new CreateKeyCommand({})).then(
      () => assert.fail('CreateKey succeeded unaudited'),
      (err: { name: string; message: string; $metadata: { httpStatusCode?: number } }) => err,
    );
    assert.equal(failure.name, 'KMSInternalException');
    assert.equal(failure.$metadata.httpStatusCode, 500);
    const health = (await (await fetch(`${server.url}/health`)).json()) as { status: string; auditLog: { ok: boolean; failures: number; lastError: string } };
    assert.equal(health.status, 'degraded');
    assert.equal(health.auditLog.ok, false);
    assert.equal(health.auditLog.lastError, 'ENOENT');
    assert.match(server.logs(), /writing the audit log failed/);

    mkdirSync(join(logDir, 'logs'));
    await client.send(new ListKeysCommand({}));
    assert.equal(records(auditLog).length, 1);
    const healthy = (await (await fetch(`${server.url}/health`)).json()) as { status: string; auditLog: { ok: boolean } };
    assert.equal(healthy.auditLog.ok, true);
    assert.equal(healthy.status, 'ok');
  });
});

describe("audit log: GetKeyLastUsage's CloudTrailEventId", { timeout: 60_000, skip: needsOwnServer('reads its data directory') }, () => {
  /** The key's last use once it is the request `requestId` (two workers: the other one sees it after a flush). */
  async function lastUseOf(client: KMSClient, keyId: string, requestId: string): Promise<KeyLastUsageData> {
    let usage: KeyLastUsageData | undefined;
    await waitUntil(async () => {
      usage = (await client.send(new GetKeyLastUsageCommand({ KeyId: keyId }))).KeyLastUsage;
      return usage?.KmsRequestId === requestId;
    }, `the last use of ${keyId} to be request ${requestId}`);
    return usage as KeyLastUsageData;
  }

  it('is the eventID of the audit record of the last use, as `trent audit search` finds it', async () => {
    const { server, client } = await start({ env: { TRENT_WORKERS: '2' } });
    const keyId = (await client.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
    const encrypted = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('last use') }));
    const decrypted = await client.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }));
    const requestId = decrypted.$metadata.requestId as string;
    const usage = await lastUseOf(client, keyId, requestId);
    assert.equal(usage.Operation, 'Decrypt');

    const { stdout } = await promisify(execFile)(process.execPath, [MAIN, 'audit', 'search', '--data-dir', server.dataDir, '--key-id', keyId, '--event-name', 'Decrypt']);
    const found = stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(found.map((record) => record.requestID), [requestId]);
    assert.match(usage.CloudTrailEventId as string, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(usage.CloudTrailEventId, found[0]?.eventID);
    const encryptRecord = records(join(server.dataDir, 'audit.log')).find((record) => record.requestID === encrypted.$metadata.requestId);
    assert.notEqual(encryptRecord?.eventID, usage.CloudTrailEventId, "the Encrypt's event is not the last use's");

    // Stopped, the server writes its uses to the database; a new server reads them back from there.
    await server.stop();
    const again = await start({ dataDir: server.dataDir });
    const stored = (await again.client.send(new GetKeyLastUsageCommand({ KeyId: keyId }))).KeyLastUsage;
    assert.equal(stored?.KmsRequestId, requestId);
    assert.equal(stored?.CloudTrailEventId, found[0]?.eventID, 'the stored use keeps its eventID');
  });

  it('--audit-log off: no event, so no CloudTrailEventId', async () => {
    const { client } = await start({ args: ['--audit-log', 'off'], env: { TRENT_WORKERS: '2' } });
    const keyId = (await client.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
    const encrypted = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('unaudited') }));
    const usage = await lastUseOf(client, keyId, encrypted.$metadata.requestId as string);
    assert.equal(usage.Operation, 'Encrypt');
    assert.equal('CloudTrailEventId' in usage, false);
  });
});
