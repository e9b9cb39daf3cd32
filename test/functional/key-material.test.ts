/**
 * Key material over time through the AWS SDK over HTTP (issue 21): UpdateKeyDescription, the
 * ciphertext format every Encrypt writes (format 2, a key derived per ciphertext), rotation on
 * demand and automatic rotation (in a server started in-process with a manual clock, which the
 * test moves past NextRotationDate). The error rows run in-process in
 * test/operations/key-material.test.ts; the schedule's rules in test/unit/rotation.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetKeyLastUsageCommand,
  GetKeyRotationStatusCommand,
  ListKeyRotationsCommand,
  ReEncryptCommand,
  RotateKeyOnDemandCommand,
  UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { ManualClock } from '../../src/domain/clock.js';
import { startServer } from '../../src/server/server.js';
import { awsError, kmsClient } from '../helpers/clients.js';
import { createKey, keyArn, needsOwnServer, useOwnServer, useServer } from '../helpers/functional.js';

const server = useServer();

describe('UpdateKeyDescription', () => {
  test('changes what DescribeKey shows; an alias is refused', async () => {
    const key = await createKey(server.kms, { Description: 'first' });
    await server.kms.send(new UpdateKeyDescriptionCommand({ KeyId: key.Arn, Description: 'second' }));
    const { KeyMetadata } = await server.kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    assert.equal(KeyMetadata?.Description, 'second');
    assert.deepEqual(await awsError(() => server.kms.send(new UpdateKeyDescriptionCommand({ KeyId: 'alias/nope', Description: 'x' }))), {
      name: 'NotFoundException',
      message: "Invalid keyId 'alias/nope'",
      status: 400,
    });
  });
});

describe('ciphertext format 2', () => {
  test('Encrypt writes 65 bytes of overhead with a fresh salt per ciphertext, and Decrypt opens it', async () => {
    const key = await createKey(server.kms);
    const blobs: Buffer[] = [];
    for (let i = 0; i < 3; i++) {
      const { CiphertextBlob, KeyId } = await server.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('same text') }));
      assert.equal(KeyId, keyArn(key.KeyId));
      blobs.push(Buffer.from(CiphertextBlob ?? []));
    }
    for (const blob of blobs) {
      assert.equal(blob[0], 2);
      assert.equal(blob.length, 65 + 'same text'.length);
      const { Plaintext } = await server.kms.send(new DecryptCommand({ CiphertextBlob: blob }));
      assert.equal(Buffer.from(Plaintext ?? []).toString(), 'same text');
    }
    assert.equal(new Set(blobs.map((b) => b.subarray(21, 37).toString('hex'))).size, 3, 'three salts');
  });
});

describe('rotation through the SDK', () => {
  test('ciphertexts from before two rotations decrypt after them; KeyMaterialId changes at each and matches ListKeyRotations', async () => {
    const key = await createKey(server.kms);
    const materialIds = [key.CurrentKeyMaterialId as string];
    const blobs: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      const encrypted = await server.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from(`text ${i}`), EncryptionContext: { i: String(i) } }));
      blobs.push(encrypted.CiphertextBlob as Uint8Array);
      if (i === 2) break;
      const rotated = await server.kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
      assert.equal(rotated.KeyId, keyArn(key.KeyId));
      const { KeyMetadata } = await server.kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
      materialIds.push(KeyMetadata?.CurrentKeyMaterialId as string);
    }
    assert.equal(new Set(materialIds).size, 3);
    for (const [i, blob] of blobs.entries()) {
      const decrypted = await server.kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { i: String(i) } }));
      assert.equal(Buffer.from(decrypted.Plaintext ?? []).toString(), `text ${i}`);
      assert.equal(decrypted.KeyMaterialId, materialIds[i]);
    }
    const { Rotations, Truncated } = await server.kms.send(new ListKeyRotationsCommand({ KeyId: key.Arn }));
    assert.equal(Truncated, false);
    assert.deepEqual(
      Rotations?.map((r) => [r.KeyId, r.KeyMaterialId, r.KeyMaterialState, r.RotationType, r.RotationDate instanceof Date]),
      [
        [key.KeyId, materialIds[1], 'NON_CURRENT', 'ON_DEMAND', true],
        [key.KeyId, materialIds[2], 'CURRENT', 'ON_DEMAND', true],
      ],
    );
    const moved = await server.kms.send(new ReEncryptCommand({ CiphertextBlob: blobs[0], SourceEncryptionContext: { i: '0' }, DestinationKeyId: key.KeyId }));
    assert.equal(moved.SourceKeyMaterialId, materialIds[0]);
    assert.equal(moved.DestinationKeyMaterialId, materialIds[2]);
  });

  test('EnableKeyRotation, GetKeyRotationStatus, DisableKeyRotation; an HMAC key refuses', async () => {
    const key = await createKey(server.kms);
    await server.kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 180 }));
    const status = await server.kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
    assert.equal(status.KeyRotationEnabled, true);
    assert.equal(status.RotationPeriodInDays, 180);
    assert.equal(status.KeyId, keyArn(key.KeyId));
    const days = ((status.NextRotationDate as Date).getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 179 && days <= 180, String(days));
    await server.kms.send(new DisableKeyRotationCommand({ KeyId: key.KeyId }));
    const disabled = await server.kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
    assert.equal(disabled.KeyRotationEnabled, false);
    assert.equal(disabled.NextRotationDate, undefined);

    const hmac = await createKey(server.kms, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const refused = await awsError(() => server.kms.send(new RotateKeyOnDemandCommand({ KeyId: hmac.KeyId })));
    assert.equal(refused.name, 'UnsupportedOperationException');
    assert.equal(refused.status, 400);
  });
});

describe('automatic rotation over HTTP, with the server clock moved', () => {
  // The sweep runs in a whole server (src/server/server.ts): one is started in-process on a
  // temporary data dir, with a manual clock and a short sweep interval.
  const dir = mkdtempSync(join(tmpdir(), 'trent-rotation-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the key rotates when the clock passes NextRotationDate, once, and old ciphertexts decrypt', async () => {
    const clock = new ManualClock(Date.now());
    const config = { ...loadConfig({ dataDir: dir, port: '0' }, { TRENT_KEY_PAIR_POOL: '0' }), deletionSweepMs: 10 };
    const running = await startServer(config, { clock, logger: pino({ level: 'silent' }) });
    const kms = kmsClient(running.url);
    try {
      const key = await createKey(kms);
      const before = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('before') }));
      await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 90 }));
      const { NextRotationDate } = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
      assert.ok(NextRotationDate);

      const rotations = async () => (await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId }))).Rotations ?? [];
      clock.advance(NextRotationDate.getTime() - clock.now() - 1000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(await rotations(), [], 'not a second early');

      clock.advance(1000);
      const deadline = Date.now() + 10_000;
      while ((await rotations()).length === 0) {
        assert.ok(Date.now() < deadline, 'the sweep did not rotate the key');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      const [rotation, ...more] = await rotations();
      assert.equal(more.length, 0, 'rotated once');
      assert.equal(rotation?.RotationType, 'AUTOMATIC');
      assert.equal(rotation?.RotationDate?.getTime(), NextRotationDate.getTime());
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
      assert.equal(KeyMetadata?.CurrentKeyMaterialId, rotation?.KeyMaterialId);
      assert.notEqual(KeyMetadata?.CurrentKeyMaterialId, key.CurrentKeyMaterialId);
      const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
      assert.equal(status.NextRotationDate?.getTime(), NextRotationDate.getTime() + 90 * 86_400_000);

      const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob }));
      assert.equal(Buffer.from(decrypted.Plaintext ?? []).toString(), 'before');
      assert.equal(decrypted.KeyMaterialId, key.CurrentKeyMaterialId);
      const after = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('after') }));
      assert.equal((await kms.send(new DecryptCommand({ CiphertextBlob: after.CiphertextBlob }))).KeyMaterialId, rotation?.KeyMaterialId);
    } finally {
      kms.destroy();
      await running.close();
    }
  });
});

describe('GetKeyLastUsage through the SDK', () => {
  test('reports the last operation with its request id; an unused key has an empty KeyLastUsage', async () => {
    const key = await createKey(server.kms);
    const fresh = await server.kms.send(new GetKeyLastUsageCommand({ KeyId: key.KeyId }));
    assert.deepEqual(fresh.KeyLastUsage, {});
    assert.equal(fresh.KeyId, keyArn(key.KeyId));
    assert.equal(fresh.KeyCreationDate?.getTime(), key.CreationDate?.getTime());
    assert.equal(fresh.TrackingStartDate?.getTime(), key.CreationDate?.getTime());

    const encrypted = await server.kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('used') }));
    const decrypted = await server.kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }));
    const used = await server.kms.send(new GetKeyLastUsageCommand({ KeyId: key.Arn }));
    assert.equal(used.KeyLastUsage?.Operation, 'Decrypt');
    assert.equal(used.KeyLastUsage?.KmsRequestId, decrypted.$metadata.requestId);
    const age = Date.now() - (used.KeyLastUsage?.Timestamp?.getTime() ?? 0);
    assert.ok(age >= 0 && age < 60_000, String(age));
  });
});

describe('GetKeyLastUsage across worker processes', { skip: needsOwnServer('runs two worker processes') }, () => {
  const workers = useOwnServer({ env: { TRENT_WORKERS: '2' } });

  test("a use served by either worker is visible to both within seconds (each writes its batch every second)", async () => {
    const key = await createKey(workers.kms);
    // New connections are spread over the workers by the operating system; many requests from
    // fresh clients reach both. The last one's request id must be reported by every worker.
    let last: string | undefined;
    for (let i = 0; i < 12; i++) {
      const client = kmsClient(workers.url);
      try {
        last = (await client.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from([i]) }))).$metadata.requestId;
      } finally {
        client.destroy();
      }
    }
    const deadline = Date.now() + 10_000;
    let agreeing = 0;
    while (agreeing < 8) {
      assert.ok(Date.now() < deadline, 'the last use was not visible to every worker within 10 s');
      const client = kmsClient(workers.url);
      try {
        const seen = await client.send(new GetKeyLastUsageCommand({ KeyId: key.KeyId }));
        agreeing = seen.KeyLastUsage?.KmsRequestId === last ? agreeing + 1 : 0;
      } finally {
        client.destroy();
      }
      if (agreeing === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
});
