/**
 * Functional tests of key tags through the AWS SDK over HTTP: TagResource, UntagResource and
 * ListResourceTags, with AWS's limits (AWS-BEHAVIOUR.md, "Tags"): at most 50 tags, unique keys,
 * no `aws:` prefix, key 1..128 and value 0..256 characters.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateKeyCommand,
  ListResourceTagsCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type KMSClient,
  type ListResourceTagsCommandOutput,
  type Tag,
} from '@aws-sdk/client-kms';
import { awsError, kmsClient } from '../helpers/clients.js';
import { removeDataDir, spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';

const ACCOUNT = '111122223333';

let server: SpawnedServer | undefined;
let kms: KMSClient;

before(async () => {
  server = await spawnServer();
  kms = kmsClient(server.url);
});

after(async () => {
  kms?.destroy();
  if (server) {
    await server.stop();
    removeDataDir(server.dataDir);
  }
});

async function createKey(tags?: Tag[]): Promise<{ KeyId: string; Arn: string }> {
  const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand(tags ? { Tags: tags } : {}));
  assert.ok(metadata?.KeyId && metadata.Arn);
  return { KeyId: metadata.KeyId, Arn: metadata.Arn };
}

async function tagsOf(keyId: string): Promise<Tag[]> {
  const { Tags, Truncated } = await kms.send(new ListResourceTagsCommand({ KeyId: keyId }));
  assert.equal(Truncated, false);
  return Tags ?? [];
}

/** `count` tags named k00, k01, ... so that their sorted order is their numeric order. */
function numberedTags(count: number, prefix = 'k'): Tag[] {
  return Array.from({ length: count }, (_, i) => ({ TagKey: `${prefix}${String(i).padStart(2, '0')}`, TagValue: `v${i}` }));
}

describe('TagResource, UntagResource, ListResourceTags', () => {
  test('tags added are listed sorted by key; the key ARN works as KeyId', async () => {
    const key = await createKey();
    await kms.send(
      new TagResourceCommand({
        KeyId: key.KeyId,
        Tags: [
          { TagKey: 'owner', TagValue: 'alice' },
          { TagKey: 'cost-center', TagValue: '42' },
        ],
      }),
    );
    await kms.send(new TagResourceCommand({ KeyId: key.Arn, Tags: [{ TagKey: 'env', TagValue: '' }] }));
    assert.deepEqual(await tagsOf(key.Arn), [
      { TagKey: 'cost-center', TagValue: '42' },
      { TagKey: 'env', TagValue: '' },
      { TagKey: 'owner', TagValue: 'alice' },
    ]);
  });

  test('tagging an existing tag key overwrites its value', async () => {
    const key = await createKey([{ TagKey: 'env', TagValue: 'dev' }]);
    await kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'env', TagValue: 'prod' }] }));
    assert.deepEqual(await tagsOf(key.KeyId), [{ TagKey: 'env', TagValue: 'prod' }]);
  });

  test('tag keys are case-sensitive', async () => {
    const key = await createKey([{ TagKey: 'Env', TagValue: 'a' }]);
    await kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'env', TagValue: 'b' }] }));
    assert.deepEqual(await tagsOf(key.KeyId), [
      { TagKey: 'Env', TagValue: 'a' },
      { TagKey: 'env', TagValue: 'b' },
    ]);
  });

  test('UntagResource removes the named tags and ignores unknown tag keys', async () => {
    const key = await createKey([
      { TagKey: 'a', TagValue: '1' },
      { TagKey: 'b', TagValue: '2' },
      { TagKey: 'c', TagValue: '3' },
    ]);
    await kms.send(new UntagResourceCommand({ KeyId: key.KeyId, TagKeys: ['a', 'c', 'not-there'] }));
    assert.deepEqual(await tagsOf(key.KeyId), [{ TagKey: 'b', TagValue: '2' }]);
  });

  test('tags belong to one key only', async () => {
    const tagged = await createKey([{ TagKey: 'mine', TagValue: 'yes' }]);
    const other = await createKey();
    assert.deepEqual(await tagsOf(other.KeyId), []);
    assert.equal((await tagsOf(tagged.KeyId)).length, 1);
  });

  test('ListResourceTags pages with Limit and Marker, each tag once', async () => {
    const tags = numberedTags(5);
    const key = await createKey(tags);
    const pages: ListResourceTagsCommandOutput[] = [];
    let marker: string | undefined;
    do {
      const page = await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId, Limit: 2, ...(marker !== undefined && { Marker: marker }) }));
      pages.push(page);
      marker = page.NextMarker;
      assert.ok(pages.length <= 5, 'paging does not end');
    } while (marker !== undefined);
    assert.deepEqual(
      pages.map((p) => [p.Tags?.length, p.Truncated, p.NextMarker !== undefined]),
      [
        [2, true, true],
        [2, true, true],
        [1, false, false],
      ],
    );
    assert.deepEqual(
      pages.flatMap((p) => p.Tags ?? []),
      tags,
    );
  });

  test('a key may hold exactly 50 tags, and overwriting one of them keeps it at 50', async () => {
    const key = await createKey(numberedTags(50));
    await kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'k49', TagValue: 'changed' }] }));
    const tags = await tagsOf(key.KeyId);
    assert.equal(tags.length, 50);
    assert.deepEqual(tags[49], { TagKey: 'k49', TagValue: 'changed' });
  });

  test('keys of 128 characters and values of 256 characters are accepted', async () => {
    const key = await createKey();
    const tag = { TagKey: 'k'.repeat(128), TagValue: 'v'.repeat(256) };
    await kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [tag] }));
    assert.deepEqual(await tagsOf(key.KeyId), [tag]);
  });
});

describe('tag errors', () => {
  let key: { KeyId: string; Arn: string };
  let full: { KeyId: string; Arn: string };
  let pendingDeletion: { KeyId: string; Arn: string };
  const original: Tag[] = [{ TagKey: 'keep', TagValue: 'me' }];

  before(async () => {
    key = await createKey(original);
    full = await createKey(numberedTags(50));
    pendingDeletion = await createKey([{ TagKey: 'doomed', TagValue: 'yes' }]);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: pendingDeletion.KeyId, PendingWindowInDays: 7 }));
  });

  const unknownKeyId = '0badc0de-0000-4000-8000-0000000074a9';
  const longKey = 'k'.repeat(129);
  const rows: { name: string; call: () => Promise<unknown>; error: string; message: () => string }[] = [
    {
      name: 'TagResource with 51 tags',
      call: () => kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: numberedTags(51) })),
      error: 'TagException',
      message: () => 'Too many tags',
    },
    {
      name: 'TagResource adding a 51st tag to a key with 50',
      call: () => kms.send(new TagResourceCommand({ KeyId: full.KeyId, Tags: [{ TagKey: 'one-more', TagValue: 'x' }] })),
      error: 'TagException',
      message: () => 'Too many tags',
    },
    {
      name: 'CreateKey with 51 tags',
      call: () => kms.send(new CreateKeyCommand({ Tags: numberedTags(51) })),
      error: 'TagException',
      message: () => 'Too many tags',
    },
    {
      name: 'TagResource with a tag key twice',
      call: () =>
        kms.send(
          new TagResourceCommand({
            KeyId: key.KeyId,
            Tags: [
              { TagKey: 'twice', TagValue: '1' },
              { TagKey: 'twice', TagValue: '2' },
            ],
          }),
        ),
      error: 'TagException',
      message: () => 'Duplicate tag keys',
    },
    {
      name: 'CreateKey with a tag key twice',
      call: () =>
        kms.send(
          new CreateKeyCommand({
            Tags: [
              { TagKey: 'twice', TagValue: '1' },
              { TagKey: 'twice', TagValue: '1' },
            ],
          }),
        ),
      error: 'TagException',
      message: () => 'Duplicate tag keys',
    },
    {
      name: 'TagResource with an aws: tag key, next to a valid one',
      call: () =>
        kms.send(
          new TagResourceCommand({
            KeyId: key.KeyId,
            Tags: [
              { TagKey: 'fine', TagValue: '1' },
              { TagKey: 'aws:reserved', TagValue: '2' },
            ],
          }),
        ),
      error: 'TagException',
      message: () => 'Tags beginning with aws: are reserved',
    },
    {
      name: 'TagResource with an AWS: tag key (reserved in any case)',
      call: () => kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'AWS:Reserved', TagValue: '1' }] })),
      error: 'TagException',
      message: () => 'Tags beginning with aws: are reserved',
    },
    {
      name: 'CreateKey with an aws: tag key',
      call: () => kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'aws:createdBy', TagValue: 'me' }] })),
      error: 'TagException',
      message: () => 'Tags beginning with aws: are reserved',
    },
    {
      name: 'TagResource with a tag key of 129 characters',
      call: () => kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: longKey, TagValue: 'x' }] })),
      error: 'ValidationException',
      message: () =>
        `1 validation error detected: Value '${longKey}' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128`,
    },
    {
      name: 'TagResource with an empty tag key, second in the list',
      call: () =>
        kms.send(
          new TagResourceCommand({
            KeyId: key.KeyId,
            Tags: [
              { TagKey: 'fine', TagValue: 'x' },
              { TagKey: '', TagValue: 'x' },
            ],
          }),
        ),
      error: 'ValidationException',
      message: () =>
        "1 validation error detected: Value '' at 'tags.2.member.tagKey' failed to satisfy constraint: Member must have length greater than or equal to 1",
    },
    {
      name: 'TagResource with a tag value of 257 characters',
      call: () => kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'long', TagValue: 'v'.repeat(257) }] })),
      error: 'ValidationException',
      message: () =>
        `1 validation error detected: Value '${'v'.repeat(257)}' at 'tags.1.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256`,
    },
    {
      name: 'TagResource on a key pending deletion',
      call: () => kms.send(new TagResourceCommand({ KeyId: pendingDeletion.KeyId, Tags: [{ TagKey: 'late', TagValue: 'x' }] })),
      error: 'KMSInvalidStateException',
      message: () => `${pendingDeletion.Arn} is pending deletion.`,
    },
    {
      name: 'UntagResource on a key pending deletion',
      call: () => kms.send(new UntagResourceCommand({ KeyId: pendingDeletion.KeyId, TagKeys: ['doomed'] })),
      error: 'KMSInvalidStateException',
      message: () => `${pendingDeletion.Arn} is pending deletion.`,
    },
    {
      name: 'TagResource on an unknown key',
      call: () => kms.send(new TagResourceCommand({ KeyId: unknownKeyId, Tags: [{ TagKey: 'a', TagValue: 'b' }] })),
      error: 'NotFoundException',
      message: () => `Key 'arn:aws:kms:us-east-1:${ACCOUNT}:key/${unknownKeyId}' does not exist`,
    },
    {
      name: 'ListResourceTags of an unknown key',
      call: () => kms.send(new ListResourceTagsCommand({ KeyId: unknownKeyId })),
      error: 'NotFoundException',
      message: () => `Key 'arn:aws:kms:us-east-1:${ACCOUNT}:key/${unknownKeyId}' does not exist`,
    },
  ];
  for (const row of rows) {
    test(`${row.name} -> ${row.error}`, async () => {
      assert.deepEqual(await awsError(row.call), { name: row.error, message: row.message(), status: 400 });
    });
  }

  test('refused requests changed no tags', async () => {
    assert.deepEqual(await tagsOf(key.KeyId), original);
    assert.deepEqual(await tagsOf(full.KeyId), numberedTags(50));
  });

  test('a key pending deletion still lists its tags', async () => {
    assert.deepEqual(await tagsOf(pendingDeletion.KeyId), [{ TagKey: 'doomed', TagValue: 'yes' }]);
  });
});
