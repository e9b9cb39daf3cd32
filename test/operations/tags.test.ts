/**
 * The tag operations' errors, in-process: TagResource, UntagResource, ListResourceTags and the
 * Tags of CreateKey against AWS's limits (AWS-BEHAVIOUR.md, "Tags"): at most 50 tags, unique
 * keys, no `aws:` prefix, key 1..128 and value 0..256 characters. The happy paths and one error
 * run over HTTP with the AWS SDK in test/functional/tags.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CreatedKey, type TestApp } from '../helpers/in-process.js';
import { errorRows, inProcessFixture, unknownKeyRow, type ErrorRow } from './error-table.js';

interface Tag {
  TagKey: string;
  TagValue: string;
}

const tag = (TagKey: string, TagValue: string): Tag => ({ TagKey, TagValue });

/** `count` tags named k00, k01, ... so that their sorted order is their numeric order. */
function numberedTags(count: number): Tag[] {
  return Array.from({ length: count }, (_, i) => ({ TagKey: `k${String(i).padStart(2, '0')}`, TagValue: `v${i}` }));
}

interface Keys {
  key: CreatedKey;
  full: CreatedKey;
  pendingDeletion: CreatedKey;
}

const ORIGINAL: Tag[] = [tag('keep', 'me')];

async function tagsOf(t: TestApp, keyId: string): Promise<unknown> {
  return (await t.ok('ListResourceTags', { KeyId: keyId })).Tags;
}

describe('tag errors', () => {
  const fixture = inProcessFixture<Keys>(async (t) => {
    const keys = {
      key: await t.createKey({ Tags: ORIGINAL }),
      full: await t.createKey({ Tags: numberedTags(50) }),
      pendingDeletion: await t.createKey({ Tags: [tag('doomed', 'yes')] }),
    };
    await t.ok('ScheduleKeyDeletion', { KeyId: keys.pendingDeletion.keyId, PendingWindowInDays: 7 });
    return keys;
  });

  const longKey = 'k'.repeat(129);
  const RESERVED = 'Tags beginning with aws: are reserved';
  const tagKeyRow = (name: string, tags: Tag[], error: string, message: string): ErrorRow<Keys> => ({
    name,
    operation: 'TagResource',
    body: (f) => ({ KeyId: f.key.keyId, Tags: tags }),
    error,
    message,
  });
  const createKeyRow = (name: string, tags: Tag[], message: string): ErrorRow<Keys> => ({
    name,
    operation: 'CreateKey',
    body: () => ({ Tags: tags }),
    error: 'TagException',
    message,
  });
  const rows: ErrorRow<Keys>[] = [
    tagKeyRow('TagResource with 51 tags', numberedTags(51), 'TagException', 'Too many tags'),
    {
      name: 'TagResource adding a 51st tag to a key with 50',
      operation: 'TagResource',
      body: (f) => ({ KeyId: f.full.keyId, Tags: [tag('one-more', 'x')] }),
      error: 'TagException',
      message: 'Too many tags',
    },
    createKeyRow('CreateKey with 51 tags', numberedTags(51), 'Too many tags'),
    tagKeyRow('TagResource with a tag key twice', [tag('twice', '1'), tag('twice', '2')], 'TagException', 'Duplicate tag keys'),
    createKeyRow('CreateKey with a tag key twice', [tag('twice', '1'), tag('twice', '1')], 'Duplicate tag keys'),
    tagKeyRow('TagResource with an aws: tag key, next to a valid one', [tag('fine', '1'), tag('aws:reserved', '2')], 'TagException', RESERVED),
    tagKeyRow('TagResource with an AWS: tag key (reserved in any case)', [tag('AWS:Reserved', '1')], 'TagException', RESERVED),
    createKeyRow('CreateKey with an aws: tag key', [tag('aws:createdBy', 'me')], RESERVED),
    tagKeyRow(
      'TagResource with a tag key of 129 characters',
      [tag(longKey, 'x')],
      'ValidationException',
      `1 validation error detected: Value '${longKey}' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128`,
    ),
    tagKeyRow(
      'TagResource with an empty tag key, second in the list',
      [tag('fine', 'x'), tag('', 'x')],
      'ValidationException',
      "1 validation error detected: Value '' at 'tags.2.member.tagKey' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ),
    tagKeyRow(
      'TagResource with a tag value of 257 characters',
      [tag('long', 'v'.repeat(257))],
      'ValidationException',
      `1 validation error detected: Value '${'v'.repeat(257)}' at 'tags.1.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256`,
    ),
    {
      name: 'TagResource on a key pending deletion',
      operation: 'TagResource',
      body: (f) => ({ KeyId: f.pendingDeletion.keyId, Tags: [tag('late', 'x')] }),
      error: 'KMSInvalidStateException',
      message: (f) => `${f.pendingDeletion.arn} is pending deletion.`,
    },
    {
      name: 'UntagResource on a key pending deletion',
      operation: 'UntagResource',
      body: (f) => ({ KeyId: f.pendingDeletion.keyId, TagKeys: ['doomed'] }),
      error: 'KMSInvalidStateException',
      message: (f) => `${f.pendingDeletion.arn} is pending deletion.`,
    },
    unknownKeyRow('TagResource on an unknown key', 'TagResource', (KeyId) => ({ KeyId, Tags: [tag('a', 'b')] })),
    unknownKeyRow('ListResourceTags of an unknown key', 'ListResourceTags', (KeyId) => ({ KeyId })),
  ];
  errorRows(fixture, rows);

  it('refused requests changed no tags and created no key', async () => {
    const { t, f } = fixture;
    assert.deepEqual(await tagsOf(t, f.key.keyId), ORIGINAL);
    assert.deepEqual(await tagsOf(t, f.full.keyId), numberedTags(50));
    assert.equal(((await t.ok('ListKeys', {})).Keys as unknown[]).length, 3);
  });

  it('a key pending deletion still lists its tags', async () => {
    const { t, f } = fixture;
    assert.deepEqual(await tagsOf(t, f.pendingDeletion.keyId), [tag('doomed', 'yes')]);
  });
});
