/**
 * Durability across restarts, through @aws-sdk/client-kms over HTTP: a data key pair's private
 * key still decrypts after a clean restart (SIGTERM) on the same data directory, and a key, its
 * alias and a state change acknowledged just before `kill -9` are all there after a restart
 * (DESIGN.md: "An acknowledged CreateKey / alias / grant / state change survives kill -9").
 */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { after, describe, it } from 'node:test';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  ListAliasesCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { awsError, kmsClient } from '../helpers/clients.js';
import { needsOwnServer } from '../helpers/functional.js';
import { removeDataDir, spawnServer, tempDataDir, type SpawnedServer } from '../helpers/spawn-server.js';

const ACCOUNT = '111122223333';

function bytes(value: Uint8Array | undefined, what: string): Buffer {
  assert.ok(value instanceof Uint8Array && value.length > 0, `${what} is missing`);
  return Buffer.from(value);
}

/** Servers started by a test, stopped in `after` whatever happened to the test. */
class Servers {
  private readonly running: { server: SpawnedServer; client: KMSClient }[] = [];

  async start(dataDir: string): Promise<{ server: SpawnedServer; client: KMSClient }> {
    const server = await spawnServer({ dataDir });
    const entry = { server, client: kmsClient(server.url) };
    this.running.push(entry);
    return entry;
  }

  async stopAll(): Promise<void> {
    for (const { server, client } of this.running.splice(0)) {
      client.destroy();
      await server.kill();
    }
  }
}

async function aliasTarget(client: KMSClient, aliasName: string): Promise<string | undefined> {
  const listed = await client.send(new ListAliasesCommand({}));
  return listed.Aliases?.find((alias) => alias.AliasName === aliasName)?.TargetKeyId;
}

describe('durability of keys, aliases and data key pairs across restarts', { timeout: 60_000, skip: needsOwnServer('restarts and kills it on one data dir') }, () => {
  const servers = new Servers();
  const dataDirs: string[] = [];

  after(async () => {
    await servers.stopAll();
    for (const dir of dataDirs) removeDataDir(dir);
  });

  it('after SIGTERM and a restart on the same data dir, PrivateKeyCiphertextBlob still decrypts', async () => {
    const dataDir = tempDataDir();
    dataDirs.push(dataDir);
    const context = { tenant: 'durable', purpose: 'restart' };

    const first = await servers.start(dataDir);
    const created = await first.client.send(new CreateKeyCommand({ Description: 'survives a restart' }));
    const keyId = created.KeyMetadata?.KeyId;
    const arn = created.KeyMetadata?.Arn;
    assert.ok(keyId && arn);
    await first.client.send(new CreateAliasCommand({ AliasName: 'alias/durable-restart', TargetKeyId: keyId }));
    const pair = await first.client.send(
      new GenerateDataKeyPairCommand({ KeyId: 'alias/durable-restart', KeyPairSpec: 'ECC_NIST_P384', EncryptionContext: context }),
    );
    const withoutPlaintext = await first.client.send(
      new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: keyId, KeyPairSpec: 'ECC_NIST_EDWARDS25519', EncryptionContext: context }),
    );
    const privateKey = bytes(pair.PrivateKeyPlaintext, 'PrivateKeyPlaintext');
    // The client's keep-alive connection is still open: shutdown must not wait on it.
    await first.server.stop();
    first.client.destroy();
    assert.equal(first.server.process.exitCode, 0, `SIGTERM should exit cleanly; logs: ${first.server.logs()}`);

    const second = await servers.start(dataDir);
    const decrypted = await second.client.send(
      new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: context }),
    );
    assert.deepEqual(bytes(decrypted.Plaintext, 'Plaintext'), privateKey);
    assert.equal(decrypted.KeyId, arn);
    assert.equal(decrypted.KeyMaterialId, pair.KeyMaterialId);

    const decryptedWithout = await second.client.send(
      new DecryptCommand({ CiphertextBlob: withoutPlaintext.PrivateKeyCiphertextBlob, EncryptionContext: context }),
    );
    const derived = createPublicKey(createPrivateKey({ key: bytes(decryptedWithout.Plaintext, 'Plaintext'), format: 'der', type: 'pkcs8' }));
    assert.deepEqual(derived.export({ type: 'spki', format: 'der' }), bytes(withoutPlaintext.PublicKey, 'PublicKey'));

    const wrongContext = await awsError(() =>
      second.client.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: { tenant: 'durable' } })),
    );
    assert.equal(wrongContext.name, 'InvalidCiphertextException');

    const described = await second.client.send(new DescribeKeyCommand({ KeyId: 'alias/durable-restart' }));
    assert.equal(described.KeyMetadata?.Arn, arn);
    assert.equal(described.KeyMetadata?.CurrentKeyMaterialId, pair.KeyMaterialId);
    const again = await second.client.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: 'alias/durable-restart', KeyPairSpec: 'ECC_NIST_P256' }));
    assert.equal(again.KeyId, arn);
    assert.equal(again.KeyMaterialId, pair.KeyMaterialId);
  });

  it('CreateKey, CreateAlias and DisableKey acknowledged just before kill -9 survive it', async () => {
    const dataDir = tempDataDir();
    dataDirs.push(dataDir);
    const context = { tenant: 'durable', purpose: 'kill' };

    const first = await servers.start(dataDir);
    const created = await first.client.send(new CreateKeyCommand({ Description: 'survives kill -9' }));
    const keyId = created.KeyMetadata?.KeyId;
    const arn = created.KeyMetadata?.Arn;
    assert.ok(keyId && arn);
    const pair = await first.client.send(new GenerateDataKeyPairCommand({ KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256', EncryptionContext: context }));
    await first.client.send(new CreateAliasCommand({ AliasName: 'alias/durable-kill', TargetKeyId: keyId }));
    await first.client.send(new DisableKeyCommand({ KeyId: keyId }));
    await first.server.kill();
    assert.equal(first.server.process.signalCode, 'SIGKILL');

    const second = await servers.start(dataDir);
    const described = await second.client.send(new DescribeKeyCommand({ KeyId: keyId }));
    assert.equal(described.KeyMetadata?.Arn, arn);
    assert.equal(described.KeyMetadata?.Description, 'survives kill -9');
    assert.equal(described.KeyMetadata?.KeyState, 'Disabled');
    assert.equal(described.KeyMetadata?.Enabled, false);
    assert.equal(await aliasTarget(second.client, 'alias/durable-kill'), keyId);
    const byAlias = await second.client.send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/durable-kill` }));
    assert.equal(byAlias.KeyMetadata?.KeyId, keyId);

    const disabled = await awsError(() =>
      second.client.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: context })),
    );
    assert.deepEqual({ name: disabled.name, message: disabled.message }, { name: 'DisabledException', message: `${arn} is disabled.` });

    await second.client.send(new EnableKeyCommand({ KeyId: keyId }));
    const decrypted = await second.client.send(
      new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: context }),
    );
    assert.deepEqual(bytes(decrypted.Plaintext, 'Plaintext'), bytes(pair.PrivateKeyPlaintext, 'PrivateKeyPlaintext'));
    assert.equal(decrypted.KeyMaterialId, pair.KeyMaterialId);
  });

  it('EnableKey acknowledged just before kill -9 survives it', async () => {
    const dataDir = tempDataDir();
    dataDirs.push(dataDir);

    const first = await servers.start(dataDir);
    const created = await first.client.send(new CreateKeyCommand({}));
    const keyId = created.KeyMetadata?.KeyId;
    assert.ok(keyId);
    await first.client.send(new DisableKeyCommand({ KeyId: keyId }));
    await first.client.send(new EnableKeyCommand({ KeyId: keyId }));
    await first.server.kill();

    const second = await servers.start(dataDir);
    const described = await second.client.send(new DescribeKeyCommand({ KeyId: keyId }));
    assert.equal(described.KeyMetadata?.KeyState, 'Enabled');
    const pair = await second.client.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256' }));
    assert.equal(pair.KeyId, described.KeyMetadata?.Arn);
  });
});
