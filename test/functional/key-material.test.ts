/**
 * Key material over time through the AWS SDK over HTTP (issue 21): UpdateKeyDescription, and
 * the ciphertext format every Encrypt writes (format 2, a key derived per ciphertext). The error
 * rows run in-process in test/operations/key-material.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DecryptCommand, DescribeKeyCommand, EncryptCommand, UpdateKeyDescriptionCommand } from '@aws-sdk/client-kms';
import { awsError } from '../helpers/clients.js';
import { createKey, keyArn, useServer } from '../helpers/functional.js';

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
