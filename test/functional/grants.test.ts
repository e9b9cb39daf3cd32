/**
 * Grants through the AWS SDK over HTTP: CreateGrant and its token used in the very next
 * GenerateDataKeyPair and Decrypt, ListGrants (paging, filters, the entry's fields as the SDK
 * parses them), ListRetirableGrants, RetireGrant and RevokeGrant (after which the token is
 * refused), a retry by Name, DryRun, and one error of each kind so that the SDK's parsing of
 * them is exercised. Then, on a server of its own: a token still works after a restart (it is
 * checked under the root key, not remembered), and a key's grants are deleted with it. Every
 * error row runs in-process in test/operations/grants.test.ts and grant-tokens.test.ts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  CreateGrantCommand,
  DecryptCommand,
  DescribeKeyCommand,
  GenerateDataKeyPairCommand,
  ListGrantsCommand,
  ListRetirableGrantsCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
  ScheduleKeyDeletionCommand,
  type CreateGrantCommandInput,
  type GrantListEntry,
  type KMSClient,
} from '@aws-sdk/client-kms';
import Database from 'better-sqlite3';
import { awsError, kmsClient } from '../helpers/clients.js';
import { ACCOUNT, allPages, createKey, needsOwnServer, useOwnServer, useServer } from '../helpers/functional.js';
import { spawnServer } from '../helpers/spawn-server.js';

const server = useServer();
const GRANTEE = `arn:aws:iam::${ACCOUNT}:role/app`;
/** A retiring principal no earlier test, or run against the same endpoint, has named. */
const RUN = `${process.pid}-${Date.now()}`;
const retiree = (test: string) => `arn:aws:iam::${ACCOUNT}:user/retiree-${test}-${RUN}`;
const CONTEXT = { app: 'orders', tenant: 't-1' };

async function grant(client: KMSClient, input: Omit<CreateGrantCommandInput, 'GranteePrincipal' | 'Operations'> & Partial<CreateGrantCommandInput>) {
  const output = await client.send(new CreateGrantCommand({ GranteePrincipal: GRANTEE, Operations: ['Decrypt'], ...input }));
  assert.ok(output.GrantId && output.GrantToken, 'CreateGrant answered with a GrantId and a GrantToken');
  return { GrantId: output.GrantId, GrantToken: output.GrantToken };
}

async function listGrants(client: KMSClient, keyId: string, limit = 100): Promise<GrantListEntry[]> {
  const page = (marker: string | undefined) => client.send(new ListGrantsCommand({ KeyId: keyId, Limit: limit, ...(marker && { Marker: marker }) }));
  return (await allPages(page, (p) => p.Grants, limit)).entries;
}

describe('grants through the SDK', () => {
  test("a grant's token works in the very next GenerateDataKeyPair and Decrypt", async () => {
    const key = await createKey(server.kms);
    const { GrantToken } = await grant(server.kms, {
      KeyId: key.KeyId,
      Operations: ['GenerateDataKeyPair', 'Decrypt'],
      Constraints: { EncryptionContextSubset: { app: 'orders' } },
    });
    const pair = await server.kms.send(
      new GenerateDataKeyPairCommand({ KeyId: key.Arn, KeyPairSpec: 'ECC_NIST_P256', EncryptionContext: CONTEXT, GrantTokens: [GrantToken] }),
    );
    assert.equal(pair.KeyId, key.Arn);
    const decrypted = await server.kms.send(
      new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: CONTEXT, GrantTokens: [GrantToken] }),
    );
    assert.ok(decrypted.Plaintext && pair.PrivateKeyPlaintext);
    assert.deepEqual(Buffer.from(decrypted.Plaintext), Buffer.from(pair.PrivateKeyPlaintext));
  });

  test('ListGrants shows each grant with its fields, paged; filters by grant id and grantee', async () => {
    const key = await createKey(server.kms);
    const before = Math.floor(Date.now() / 1000);
    const first = await grant(server.kms, {
      KeyId: key.Arn,
      Name: 'orders-decrypt',
      RetiringPrincipal: retiree('list'),
      Operations: ['Decrypt', 'RetireGrant'],
      Constraints: { EncryptionContextEquals: CONTEXT },
    });
    for (let i = 0; i < 4; i++) await grant(server.kms, { KeyId: key.KeyId, GranteePrincipal: `arn:aws:iam::${ACCOUNT}:user/u${i}` });
    const listed = await listGrants(server.kms, key.KeyId, 2);
    assert.equal(listed.length, 5);
    const entry = listed.find((g) => g.GrantId === first.GrantId);
    assert.ok(entry?.CreationDate instanceof Date);
    assert.ok(entry.CreationDate.getTime() / 1000 >= before - 1 && entry.CreationDate.getTime() <= Date.now() + 1000);
    assert.deepEqual({ ...entry, CreationDate: undefined }, {
      KeyId: key.Arn,
      GrantId: first.GrantId,
      Name: 'orders-decrypt',
      CreationDate: undefined,
      GranteePrincipal: GRANTEE,
      RetiringPrincipal: retiree('list'),
      IssuingAccount: `arn:aws:iam::${ACCOUNT}:root`,
      Operations: ['Decrypt', 'RetireGrant'],
      Constraints: { EncryptionContextEquals: CONTEXT },
    });
    const byId = await server.kms.send(new ListGrantsCommand({ KeyId: key.KeyId, GrantId: first.GrantId }));
    assert.deepEqual(byId.Grants?.map((g) => g.GrantId), [first.GrantId]);
    const byGrantee = await server.kms.send(new ListGrantsCommand({ KeyId: key.KeyId, GranteePrincipal: `arn:aws:iam::${ACCOUNT}:user/u2` }));
    assert.equal(byGrantee.Grants?.length, 1);
  });

  test('ListRetirableGrants, then RetireGrant by token: the grant is gone and its token refused', async () => {
    const key = await createKey(server.kms);
    const RETIREE = retiree('retire');
    const byToken = await grant(server.kms, { KeyId: key.KeyId, RetiringPrincipal: RETIREE });
    const byId = await grant(server.kms, { KeyId: key.KeyId, RetiringPrincipal: RETIREE, Operations: ['Encrypt'] });
    const retirable = await server.kms.send(new ListRetirableGrantsCommand({ RetiringPrincipal: RETIREE }));
    assert.deepEqual(retirable.Grants?.map((g) => g.GrantId).sort(), [byToken.GrantId, byId.GrantId].sort());

    await server.kms.send(new RetireGrantCommand({ GrantToken: byToken.GrantToken }));
    await server.kms.send(new RetireGrantCommand({ KeyId: key.Arn, GrantId: byId.GrantId }));
    assert.deepEqual(await listGrants(server.kms, key.KeyId), []);
    const refused = await awsError(() => server.kms.send(new DescribeKeyCommand({ KeyId: key.KeyId, GrantTokens: [byToken.GrantToken] })));
    assert.deepEqual(refused, { name: 'InvalidGrantTokenException', message: 'Invalid grant token.', status: 400 });
  });

  test('RevokeGrant deletes a grant; its token is then refused', async () => {
    const key = await createKey(server.kms);
    const revoked = await grant(server.kms, { KeyId: key.KeyId });
    const kept = await grant(server.kms, { KeyId: key.KeyId });
    await server.kms.send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId: revoked.GrantId }));
    assert.deepEqual((await listGrants(server.kms, key.KeyId)).map((g) => g.GrantId), [kept.GrantId]);
    assert.equal((await awsError(() => server.kms.send(new DescribeKeyCommand({ KeyId: key.KeyId, GrantTokens: [revoked.GrantToken] })))).name, 'InvalidGrantTokenException');
    await server.kms.send(new DescribeKeyCommand({ KeyId: key.KeyId, GrantTokens: [kept.GrantToken] }));
  });

  test('a retry with the same Name returns the same grant', async () => {
    const key = await createKey(server.kms);
    const request = { KeyId: key.KeyId, Name: 'retried', Operations: ['Encrypt' as const, 'Decrypt' as const] };
    const first = await grant(server.kms, request);
    const again = await grant(server.kms, request);
    assert.equal(again.GrantId, first.GrantId);
    assert.equal((await listGrants(server.kms, key.KeyId)).length, 1);
  });

  test('one error of each kind, as the SDK parses them', async () => {
    const key = await createKey(server.kms);
    const errors = [
      await awsError(() => server.kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: GRANTEE, Operations: ['Decrypt'], DryRun: true }))),
      await awsError(() => server.kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: GRANTEE, Operations: ['Sign'] }))),
      await awsError(() => server.kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: 'app', Operations: ['Decrypt'] }))),
      await awsError(() => server.kms.send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId: 'not-a-grant-id' }))),
      await awsError(() => server.kms.send(new RetireGrantCommand({ GrantToken: 'AQpAM2RhZTk1MGMyNTk2' }))),
    ];
    assert.deepEqual(
      errors.map((e) => [e.name, e.status]),
      [
        ['DryRunOperationException', 400],
        ['ValidationException', 400],
        ['InvalidArnException', 400],
        ['InvalidGrantIdException', 400],
        ['InvalidGrantTokenException', 400],
      ],
    );
    assert.deepEqual(await listGrants(server.kms, key.KeyId), [], 'no refused request made a grant');
  });
});

describe('grants across a restart and a key deletion', { skip: needsOwnServer('restarts it and edits its database') }, () => {
  const own = useOwnServer();

  test('a token works after a restart, and a key deleted after its window takes its grants and tokens with it', async () => {
    const RETIREE = retiree('restart');
    let client = kmsClient(own.url);
    const doomed = await createKey(client);
    const kept = await createKey(client);
    const doomedGrant = await grant(client, { KeyId: doomed.KeyId, RetiringPrincipal: RETIREE });
    const keptGrant = await grant(client, { KeyId: kept.KeyId, RetiringPrincipal: RETIREE });
    await client.send(new ScheduleKeyDeletionCommand({ KeyId: doomed.KeyId, PendingWindowInDays: 7 }));
    client.destroy();
    await own.spawned.stop();

    // Past its deletion window without waiting a week: the restarted server's first sweep deletes it.
    const db = new Database(join(own.spawned.dataDir, 'trent.db'));
    db.prepare('UPDATE keys SET deletion_date = 1 WHERE key_id = ?').run(doomed.KeyId);
    db.close();

    const restarted = await spawnServer({ dataDir: own.spawned.dataDir });
    client = kmsClient(restarted.url);
    try {
      assert.equal((await client.send(new DescribeKeyCommand({ KeyId: kept.KeyId, GrantTokens: [keptGrant.GrantToken] }))).KeyMetadata?.KeyId, kept.KeyId);
      assert.equal((await awsError(() => client.send(new DescribeKeyCommand({ KeyId: kept.KeyId, GrantTokens: [doomedGrant.GrantToken] })))).name, 'InvalidGrantTokenException');
      const retirable = await client.send(new ListRetirableGrantsCommand({ RetiringPrincipal: RETIREE }));
      assert.deepEqual(retirable.Grants?.map((g) => g.GrantId), [keptGrant.GrantId]);
      assert.equal((await awsError(() => client.send(new ListGrantsCommand({ KeyId: doomed.KeyId })))).name, 'NotFoundException');
      const db2 = new Database(join(own.spawned.dataDir, 'trent.db'), { readonly: true });
      try {
        assert.equal(db2.prepare('SELECT count(*) FROM grants WHERE key_id = ?').pluck().get(doomed.KeyId), 0);
      } finally {
        db2.close();
      }
    } finally {
      client.destroy();
      await restarted.stop();
    }
  });
});
