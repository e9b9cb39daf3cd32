/**
 * Seeding, through a spawned server and the AWS SDK: the keys, aliases and grants of a seed
 * file exist after the first start with the ids it gives (or stable derived ones), a second start
 * changes nothing, a fixture ciphertext made under fixed key material decrypts on a fresh server
 * with a new root key, a changed entry is reported and not applied, and a bad entry stops the
 * server with one line naming it. A multi-Region key and its replicas (ReplicateKey's code) share
 * their material: what one Region encrypts or signs, another decrypts or verifies.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeysCommand,
  SignCommand,
  VerifyCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { stringify } from 'yaml';
import { kmsClient } from '../helpers/clients.js';
import { needsOwnServer } from '../helpers/functional.js';
import { MAIN, removeDataDir, spawnServer, tempDataDir, type SpawnedServer } from '../helpers/spawn-server.js';

const FIXTURE = JSON.parse(readFileSync(new URL('../../../test/vectors/seed-fixture.json', import.meta.url), 'utf8')) as {
  seed: { keys: Record<string, unknown>[] };
  encryptionContext: Record<string, string>;
  plaintext: string;
  ciphertextBlob: string;
};
const KEY_ID = '0b6d8e2c-1f3a-4c5d-9e7f-1234567890ab';

const dirs: string[] = [];
function dir(): string {
  const d = tempDataDir();
  dirs.push(d);
  return d;
}
after(() => dirs.forEach(removeDataDir));

function seedFile(seed: unknown): string {
  const path = join(dir(), 'seed.yaml');
  writeFileSync(path, stringify(seed));
  return path;
}

function seedOf(description: string) {
  return {
    keys: [
      { ...FIXTURE.seed.keys[0], description, tags: { team: 'infra' } },
      { description: 'signing key', keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY', region: 'eu-west-1' },
    ],
    aliases: [{ aliasName: 'alias/app', targetKeyId: KEY_ID }, { aliasName: 'alias/by-arn', targetKeyId: `arn:aws:kms:us-east-1:111122223333:key/${KEY_ID}` }],
    grants: [{ keyId: KEY_ID, granteePrincipal: 'arn:aws:iam::111122223333:role/app', operations: ['Encrypt', 'Decrypt'], constraints: { encryptionContextSubset: { team: 'infra' } }, name: 'app' }],
  };
}

async function withServer<T>(dataDir: string, seed: string, use: (kms: KMSClient, server: SpawnedServer) => Promise<T>): Promise<T> {
  const server = await spawnServer({ dataDir, args: ['--seed', seed], env: { TRENT_LOG_LEVEL: 'info' } });
  const kms = kmsClient(server.url);
  try {
    return await use(kms, server);
  } finally {
    kms.destroy();
    await server.stop();
  }
}

async function inventory(kms: KMSClient, eu: KMSClient) {
  const keys = (await kms.send(new ListKeysCommand({}))).Keys?.map((k) => k.KeyId).sort();
  const euKeys = (await eu.send(new ListKeysCommand({}))).Keys?.map((k) => k.KeyId);
  const aliases = (await kms.send(new ListAliasesCommand({ KeyId: KEY_ID }))).Aliases?.map((a) => a.AliasName);
  const grants = (await kms.send(new ListGrantsCommand({ KeyId: KEY_ID }))).Grants?.map((g) => [g.GrantId, g.Name, g.Operations, g.Constraints]);
  return { keys, euKeys, aliases, grants };
}

describe('seeding', { timeout: 90_000, skip: needsOwnServer('starts servers with a seed file') }, () => {
  test('the first start creates, the second changes nothing: same ids, one grant', async () => {
    const dataDir = dir();
    const seed = seedFile(seedOf('app key'));
    const first = await withServer(dataDir, seed, async (kms, server) => {
      const eu = kmsClient(server.url, 'eu-west-1');
      try {
        const described = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/app' }));
        assert.equal(described.KeyMetadata?.KeyId, KEY_ID);
        assert.equal(described.KeyMetadata?.Description, 'app key');
        const signing = await eu.send(new ListKeysCommand({}));
        assert.equal(signing.Keys?.length, 1);
        assert.match(server.logs(), /DEVELOPMENT ONLY: key 0b6d8e2c-1f3a-4c5d-9e7f-1234567890ab \(us-east-1\) uses fixed key material/);
        assert.ok(!server.logs().includes(String(FIXTURE.seed.keys[0]?.keyMaterial)), 'the material is never logged');
        return await inventory(kms, eu);
      } finally {
        eu.destroy();
      }
    });
    assert.equal(first.grants?.length, 1);
    assert.deepEqual(first.grants?.[0]?.slice(1), ['app', ['Encrypt', 'Decrypt'], { EncryptionContextSubset: { team: 'infra' } }]);
    const second = await withServer(dataDir, seed, async (kms, server) => {
      const eu = kmsClient(server.url, 'eu-west-1');
      try {
        assert.match(server.logs(), /"created":0,"unchanged":5,"differing":0/);
        return await inventory(kms, eu);
      } finally {
        eu.destroy();
      }
    });
    assert.deepEqual(second, first);
    // A fresh data dir: the derived id of the key without keyId is the same again.
    const fresh = await withServer(dir(), seed, async (kms, server) => {
      const eu = kmsClient(server.url, 'eu-west-1');
      try {
        return await inventory(kms, eu);
      } finally {
        eu.destroy();
      }
    });
    assert.deepEqual(fresh.euKeys, first.euKeys);
  });

  test('a fixture ciphertext made under fixed key material decrypts on a fresh server', async () => {
    await withServer(dir(), seedFile(FIXTURE.seed), async (kms) => {
      const out = await kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from(FIXTURE.ciphertextBlob, 'base64'), EncryptionContext: FIXTURE.encryptionContext }));
      assert.equal(Buffer.from(out.Plaintext ?? new Uint8Array()).toString(), FIXTURE.plaintext);
      assert.equal(out.KeyId, `arn:aws:kms:us-east-1:111122223333:key/${KEY_ID}`);
    });
  });

  test('a changed entry is reported, not applied', async () => {
    const dataDir = dir();
    await withServer(dataDir, seedFile(seedOf('app key')), async () => undefined);
    const changed = seedOf('a new description');
    (changed.keys[0] as Record<string, unknown>).keyMaterial = Buffer.alloc(32, 7).toString('base64');
    changed.aliases[0] = { aliasName: 'alias/app', targetKeyId: '00000000-0000-4000-8000-000000000000' };
    await withServer(dataDir, seedFile(changed), async (kms, server) => {
      const logs = server.logs();
      assert.match(logs, /the seed entry for key 0b6d8e2c-1f3a-4c5d-9e7f-1234567890ab \(us-east-1\) differs from what is stored \(description, keyMaterial\)/);
      assert.match(logs, /the seed entry for alias\/app \(us-east-1\) differs from what is stored \(targetKeyId\)/);
      const described = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/app' }));
      assert.equal(described.KeyMetadata?.Description, 'app key');
      assert.equal(described.KeyMetadata?.KeyId, KEY_ID);
    });
  });

  test('a bad entry stops the server with one line naming it', async () => {
    for (const [seed, message] of [
      [{ keys: [{ keySpec: 'RSA_1024' }] }, /keys\[0\]: ValidationException: 1 validation error detected: Value 'RSA_1024' at 'keySpec'/],
      [{ keys: [{ keyMaterial: 'c2hvcnQ=' }] }, /keys\[0\]: keyMaterial must be base64 of exactly 32 bytes/],
      [{ keys: [{ keyId: 'not-a-uuid' }] }, /keys\[0\]: keyId must be a key id/],
      [{ keys: [{ keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY', keyMaterial: Buffer.alloc(32).toString('base64') }] }, /Fixed key material must be 32 bytes, for a SYMMETRIC_DEFAULT key only/],
      [{ aliases: [{ aliasName: 'alias/x', targetKeyId: KEY_ID }] }, /aliases\[0\]: NotFoundException/],
      [{ keys: [{ colour: 'blue' }] }, /keys\[0\]: unknown member 'colour'/],
      [{ keys: [{ multiRegion: true, keyId: KEY_ID }] }, /keys\[0\]: keyId of a multi-Region key must be mrk- and 32 lower-case hex digits/],
      [{ keys: [{ keyId: 'mrk-1234abcd12ab34cd56ef1234567890ab' }] }, /keys\[0\]: keyId must be a key id \(a lower-case UUID; an mrk- id is for a key with multiRegion: true\)/],
      [{ keys: [{ replicaRegions: ['eu-west-1'] }] }, /keys\[0\]: replicaRegions is for a multi-Region key \(multiRegion: true\)/],
      [{ keys: [{ multiRegion: true, replicaRegions: ['us-east-1'] }] }, /keys\[0\]: replicaRegions must name each Region once, and not the key's own Region us-east-1/],
      [{ keys: [{ multiRegion: true, replicaRegions: 'eu-west-1' }] }, /keys\[0\]: replicaRegions must be a list of region names/],
      [{ things: [] }, /unknown section 'things'/],
    ] as const) {
      const file = seedFile(seed);
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(process.execPath, [MAIN, 'serve', '--port', '0', '--workers', '1', '--data-dir', dir(), '--seed', file], { env: { ...process.env, TRENT_KEY_PAIR_POOL: '0' }, timeout: 20_000, killSignal: 'SIGKILL' }, (error, _stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr }),
        );
      });
      assert.equal(result.code, 1, JSON.stringify(seed));
      assert.match(result.stderr, message);
    }
  });

  test('a multi-Region key with replica Regions: one id, shared material, aliases and grants in the replica, a Region added later', async () => {
    const MRK_ID = 'mrk-1234abcd12ab34cd56ef1234567890ab';
    // Fixed material too: every Region's record holds it, and later starts compare it in each.
    const keyMaterial = Buffer.alloc(32, 9).toString('base64');
    const entry = { keyId: MRK_ID, multiRegion: true, description: 'global', tags: { team: 'infra' }, keyMaterial, replicaRegions: ['eu-west-1'] };
    const seed = {
      keys: [entry, { multiRegion: true, region: 'eu-west-1', keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY', replicaRegions: ['us-east-1'] }],
      aliases: [{ aliasName: 'alias/global', targetKeyId: MRK_ID, region: 'eu-west-1' }],
      grants: [{ keyId: MRK_ID, region: 'eu-west-1', granteePrincipal: 'arn:aws:iam::111122223333:role/app', operations: ['Decrypt'], name: 'eu' }],
    };
    const dataDir = dir();
    const plaintext = Buffer.from('made in us-east-1');
    const first = await withServer(dataDir, seedFile(seed), async (us, server) => {
      const eu = kmsClient(server.url, 'eu-west-1');
      try {
        assert.match(server.logs(), /"created":6,"unchanged":0,"differing":0/);
        const primary = (await us.send(new DescribeKeyCommand({ KeyId: MRK_ID }))).KeyMetadata;
        assert.equal(primary?.MultiRegionConfiguration?.MultiRegionKeyType, 'PRIMARY');
        assert.deepEqual(primary?.MultiRegionConfiguration?.ReplicaKeys?.map((r) => r.Region), ['eu-west-1']);
        const replica = (await eu.send(new DescribeKeyCommand({ KeyId: 'alias/global' }))).KeyMetadata;
        assert.equal(replica?.KeyId, MRK_ID);
        assert.equal(replica?.Arn, `arn:aws:kms:eu-west-1:111122223333:key/${MRK_ID}`);
        assert.equal(replica?.MultiRegionConfiguration?.MultiRegionKeyType, 'REPLICA');
        assert.equal(replica?.Description, 'global');
        const blob = (await us.send(new EncryptCommand({ KeyId: MRK_ID, Plaintext: plaintext }))).CiphertextBlob;
        const decrypted = await eu.send(new DecryptCommand({ CiphertextBlob: blob }));
        assert.equal(decrypted.KeyId, replica?.Arn);
        assert.deepEqual(Buffer.from(decrypted.Plaintext ?? []), plaintext);
        const grants = (await eu.send(new ListGrantsCommand({ KeyId: MRK_ID }))).Grants;
        assert.deepEqual(grants?.map((g) => [g.Name, g.Operations]), [['eu', ['Decrypt']]]);
        // The key without keyId: a derived mrk- id, its primary in eu-west-1, its replica here.
        const derived = (await us.send(new ListKeysCommand({}))).Keys?.map((k) => k.KeyId).find((id) => id !== MRK_ID);
        assert.match(String(derived), /^mrk-[0-9a-f]{32}$/);
        const signing = (await us.send(new DescribeKeyCommand({ KeyId: derived }))).KeyMetadata;
        assert.equal(signing?.MultiRegionConfiguration?.PrimaryKey?.Region, 'eu-west-1');
        const message = Buffer.from('release 1.0');
        const signature = (await eu.send(new SignCommand({ KeyId: derived, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }))).Signature;
        const verified = await us.send(new VerifyCommand({ KeyId: derived, Message: message, Signature: signature, SigningAlgorithm: 'ECDSA_SHA_256' }));
        assert.equal(verified.SignatureValid, true);
        return { blob, derived };
      } finally {
        eu.destroy();
      }
    });
    // Later starts: what exists is left alone; a Region added to the entry is replicated then.
    const later = { ...seed, keys: [{ ...entry, replicaRegions: ['eu-west-1', 'ap-southeast-2'] }, seed.keys[1]] };
    await withServer(dataDir, seedFile(later), async (us, server) => {
      const ap = kmsClient(server.url, 'ap-southeast-2');
      try {
        assert.match(server.logs(), /"created":1,"unchanged":6,"differing":0/);
        assert.ok(!server.logs().includes(keyMaterial), 'the material is never logged');
        const decrypted = await ap.send(new DecryptCommand({ CiphertextBlob: first.blob }));
        assert.deepEqual(Buffer.from(decrypted.Plaintext ?? []), plaintext);
        const replica = (await ap.send(new DescribeKeyCommand({ KeyId: MRK_ID }))).KeyMetadata;
        assert.equal(replica?.Description, 'global');
        const keys = (await us.send(new ListKeysCommand({}))).Keys?.map((k) => k.KeyId).sort();
        assert.deepEqual(keys, [MRK_ID, first.derived].sort());
      } finally {
        ap.destroy();
      }
    });
  });
});
