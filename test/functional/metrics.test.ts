/**
 * GET /metrics of a spawned two-worker server, read with an independent, strict parser of the
 * Prometheus text format (test/helpers/prometheus-text.ts): it parses, and one scrape sees the
 * whole server: requests taken by either worker are counted once each, each worker's pool
 * counts, keys by state are not doubled, and process metrics are there.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, GenerateDataKeyPairCommand, type KMSClient } from '@aws-sdk/client-kms';
import { kmsClient } from '../helpers/clients.js';
import { needsOwnServer, useOwnServer } from '../helpers/functional.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';

describe('GET /metrics', { timeout: 60_000, skip: needsOwnServer('counts what its own workers did') }, () => {
  const server = useOwnServer({ env: { TRENT_WORKERS: '2', TRENT_KEY_PAIR_POOL: '0,ECC_NIST_P256=1' } });

  it('parses as Prometheus text, and counts the requests of both workers', async () => {
    // Six clients, six connections: the cluster's round robin gives both workers some.
    const clients: KMSClient[] = Array.from({ length: 6 }, () => kmsClient(server.url));
    try {
      const created = await Promise.all(clients.flatMap((client) => [0, 1].map(() => client.send(new CreateKeyCommand({})))));
      const keyId = created[0]?.KeyMetadata?.KeyId as string;
      await clients[1]?.send(new DisableKeyCommand({ KeyId: created[1]?.KeyMetadata?.KeyId }));
      await Promise.all(clients.map((client) => client.send(new DescribeKeyCommand({ KeyId: 'alias/none' })).catch(() => undefined)));
      await clients[2]?.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256' }));

      const response = await fetch(`${server.url}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const families = parsePrometheusText(await response.text());

      assert.equal(families.get('trent_requests_total')?.type, 'counter');
      assert.equal(families.get('trent_request_duration_seconds')?.type, 'histogram');
      assert.equal(sampleValue(families, 'trent_requests_total', { operation: 'CreateKey', error_code: 'none' }), 12);
      assert.equal(sampleValue(families, 'trent_requests_total', { operation: 'DescribeKey', error_code: 'NotFoundException' }), 6);
      assert.equal(sampleValue(families, 'trent_request_duration_seconds_count', { operation: 'CreateKey', error_code: 'none' }), 12);
      // Each worker keeps one ECC_NIST_P256 pair: the primary sums them.
      assert.equal(sampleValue(families, 'trent_key_pair_pool_target', { spec: 'ECC_NIST_P256' }), 2);
      assert.equal(sampleValue(families, 'trent_key_pair_pool_target', { spec: 'RSA_2048' }), 0);
      const taken =
        (sampleValue(families, 'trent_key_pair_pool_hits_total', { spec: 'ECC_NIST_P256' }) ?? 0) +
        (sampleValue(families, 'trent_key_pair_pool_misses_total', { spec: 'ECC_NIST_P256' }) ?? 0);
      assert.equal(taken, 1);
      // One database, read by both workers: the largest count, not the sum.
      assert.equal(sampleValue(families, 'trent_keys', { state: 'Enabled' }), 11);
      assert.equal(sampleValue(families, 'trent_keys', { state: 'Disabled' }), 1);
      assert.ok((sampleValue(families, 'trent_store_operation_duration_seconds_count', { method: 'createKey' }) ?? 0) >= 12);
      assert.equal(sampleValue(families, 'trent_audit_log_ok'), 1);
      assert.ok((sampleValue(families, 'trent_audit_log_records_total') ?? 0) >= 20);
      assert.ok((sampleValue(families, 'process_resident_memory_bytes') ?? 0) > 0);
      assert.ok(families.has('nodejs_eventloop_lag_seconds'));
    } finally {
      for (const client of clients) client.destroy();
    }
  });
});

describe('GET /metrics of one process', { timeout: 60_000, skip: needsOwnServer('counts what it did') }, () => {
  const server = useOwnServer({ env: { TRENT_WORKERS: '1', TRENT_KEY_PAIR_POOL: '0,ECC_NIST_P256=1' } });

  it('answers from its own registry, and HEAD /metrics with no body', async () => {
    const client = kmsClient(server.url);
    try {
      await client.send(new CreateKeyCommand({}));
      await client.send(new DescribeKeyCommand({ KeyId: 'alias/none' })).catch(() => undefined);
      const families = parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
      assert.equal(sampleValue(families, 'trent_requests_total', { operation: 'CreateKey', error_code: 'none' }), 1);
      assert.equal(sampleValue(families, 'trent_requests_total', { operation: 'DescribeKey', error_code: 'NotFoundException' }), 1);
      assert.equal(sampleValue(families, 'trent_key_pair_pool_target', { spec: 'ECC_NIST_P256' }), 1);
      assert.equal(sampleValue(families, 'trent_keys', { state: 'Enabled' }), 1);
      const head = await fetch(`${server.url}/metrics`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.match(head.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      assert.equal(await head.text(), '');
    } finally {
      client.destroy();
    }
  });
});
