/**
 * Functional tests of key tags through the AWS SDK over HTTP: TagResource, UntagResource and
 * ListResourceTags, up to AWS's limits (AWS-BEHAVIOUR.md, "Tags": at most 50 tags, key 1..128
 * and value 0..256 characters), with one error so that the SDK's parsing of errors is
 * exercised. Every error row runs in-process in test/operations/tags.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ListResourceTagsCommand, TagResourceCommand, UntagResourceCommand, type Tag } from '@aws-sdk/client-kms';
import { awsError } from '../helpers/clients.js';
import { allPages, createKey as create, useServer } from '../helpers/functional.js';

const server = useServer();

function createKey(tags?: Tag[]): Promise<{ KeyId: string; Arn: string }> {
  return create(server.kms, tags ? { Tags: tags } : {});
}

async function tagsOf(keyId: string): Promise<Tag[]> {
  const { Tags, Truncated } = await server.kms.send(new ListResourceTagsCommand({ KeyId: keyId }));
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
    await server.kms.send(
      new TagResourceCommand({
        KeyId: key.KeyId,
        Tags: [
          { TagKey: 'owner', TagValue: 'alice' },
          { TagKey: 'cost-center', TagValue: '42' },
        ],
      }),
    );
    await server.kms.send(new TagResourceCommand({ KeyId: key.Arn, Tags: [{ TagKey: 'env', TagValue: '' }] }));
    assert.deepEqual(await tagsOf(key.Arn), [
      { TagKey: 'cost-center', TagValue: '42' },
      { TagKey: 'env', TagValue: '' },
      { TagKey: 'owner', TagValue: 'alice' },
    ]);
  });

  test('tagging an existing tag key overwrites its value', async () => {
    const key = await createKey([{ TagKey: 'env', TagValue: 'dev' }]);
    await server.kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'env', TagValue: 'prod' }] }));
    assert.deepEqual(await tagsOf(key.KeyId), [{ TagKey: 'env', TagValue: 'prod' }]);
  });

  test('tag keys are case-sensitive', async () => {
    const key = await createKey([{ TagKey: 'Env', TagValue: 'a' }]);
    await server.kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'env', TagValue: 'b' }] }));
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
    await server.kms.send(new UntagResourceCommand({ KeyId: key.KeyId, TagKeys: ['a', 'c', 'not-there'] }));
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
    const request = (marker: string | undefined) =>
      server.kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId, Limit: 2, ...(marker !== undefined && { Marker: marker }) }));
    const { pages, entries } = await allPages(request, (page) => page.Tags, 2);
    assert.equal(pages.length, 3);
    assert.deepEqual(entries, tags);
  });

  test('a key may hold exactly 50 tags, and overwriting one of them keeps it at 50', async () => {
    const key = await createKey(numberedTags(50));
    await server.kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'k49', TagValue: 'changed' }] }));
    const tags = await tagsOf(key.KeyId);
    assert.equal(tags.length, 50);
    assert.deepEqual(tags[49], { TagKey: 'k49', TagValue: 'changed' });
  });

  test('keys of 128 characters and values of 256 characters are accepted', async () => {
    const key = await createKey();
    const tag = { TagKey: 'k'.repeat(128), TagValue: 'v'.repeat(256) };
    await server.kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [tag] }));
    assert.deepEqual(await tagsOf(key.KeyId), [tag]);
  });
});

describe('tag errors', () => {
  // One error runs here through the SDK; every error row is in test/operations/tags.test.ts.
  test('adding a 51st tag to a key with 50 -> TagException, and the tags stay as they were', async () => {
    const key = await createKey(numberedTags(50));
    const err = await awsError(() => server.kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'one-more', TagValue: 'x' }] })));
    assert.deepEqual(err, { name: 'TagException', message: 'Too many tags', status: 400 });
    assert.deepEqual(await tagsOf(key.KeyId), numberedTags(50));
  });
});
