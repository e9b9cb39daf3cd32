/**
 * The counterexamples the fuzz suite (test/fuzz/) found, kept as named rows so each stays fixed
 * whatever seed the fuzzers run with.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestApp } from '../helpers/in-process.js';

async function raw(t: ReturnType<typeof createTestApp>, operation: string, body: Buffer | string) {
  const response = await t.app.handle({
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${operation}` },
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
  });
  return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown> };
}

describe('fuzz regressions', () => {
  it('an encryption context key named __proto__ is bound like any other key', async () => {
    const t = createTestApp();
    const keyId = ((await t.call('CreateKey', {})).body.KeyMetadata as { KeyId: string }).KeyId;
    const encrypted = await raw(t, 'Encrypt', `{"KeyId":"${keyId}","Plaintext":"AAAA","EncryptionContext":{"__proto__":"x"}}`);
    assert.equal(encrypted.status, 200);
    const blob = encrypted.body.CiphertextBlob as string;
    const withEmpty = await raw(t, 'Decrypt', JSON.stringify({ CiphertextBlob: blob, EncryptionContext: {} }));
    assert.deepEqual(withEmpty, { status: 400, body: { __type: 'InvalidCiphertextException', message: '' } });
    const withSame = await raw(t, 'Decrypt', `{"CiphertextBlob":"${blob}","EncryptionContext":{"__proto__":"x"}}`);
    assert.equal(withSame.status, 200);
  });

  it('a body that is not valid UTF-8 is refused, not decoded lossily', async () => {
    const t = createTestApp();
    const body = Buffer.concat([Buffer.from('{"KeyId":"alias/x","Plaintext":"AAAA","EncryptionContext":{"a":"'), Buffer.from([0xff]), Buffer.from('"}}')]);
    assert.deepEqual(await raw(t, 'Encrypt', body), {
      status: 400,
      body: { __type: 'SerializationException', message: 'The request body is not valid UTF-8.' },
    });
  });

  for (const [name, text] of [
    ['a lone high surrogate in a context value', '{"KeyId":"alias/x","Plaintext":"AAAA","EncryptionContext":{"a":"\\ud800"}}'],
    ['a lone low surrogate in a context key', '{"KeyId":"alias/x","Plaintext":"AAAA","EncryptionContext":{"\\udc00":"a"}}'],
    ['a lone surrogate in a plain string member', '{"KeyId":"\\ud800","Plaintext":"AAAA"}'],
  ] as const) {
    it(`${name} is refused (UTF-8 would conflate it with any other)`, async () => {
      assert.deepEqual(await raw(createTestApp(), 'Encrypt', text), {
        status: 400,
        body: { __type: 'SerializationException', message: 'A string in the request is not well-formed Unicode (it has a lone surrogate).' },
      });
    });
  }

  for (const member of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    it(`a member named ${member} is an unknown member, not a server error`, async () => {
      const answer = await raw(createTestApp(), 'DescribeKey', `{"KeyId":"alias/x","${member}":{}}`);
      assert.deepEqual(answer, { status: 400, body: { __type: 'SerializationException', message: `Unrecognized member '${member}' in the request.` } });
    });
  }

  it('a nested member named like an Object.prototype property is unknown too', async () => {
    const answer = await raw(createTestApp(), 'GenerateDataKeyPair', '{"KeyId":"alias/x","KeyPairSpec":"RSA_2048","Recipient":{"valueOf":1}}');
    assert.deepEqual(answer, { status: 400, body: { __type: 'SerializationException', message: "Unrecognized member 'valueOf' in the request." } });
  });

  for (const target of ['__proto__', 'toString', 'constructor']) {
    it(`X-Amz-Target TrentService.${target} is an unknown operation`, async () => {
      assert.deepEqual(await raw(createTestApp(), target, '{}'), { status: 400, body: { __type: 'UnknownOperationException', message: '' } });
    });
  }

  it('ReEncrypt without CiphertextBlob names the missing member', async () => {
    const answer = await raw(createTestApp(), 'ReEncrypt', '{"DestinationKeyId":"alias/x"}');
    assert.deepEqual(answer, {
      status: 400,
      body: {
        __type: 'ValidationException',
        message: "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null",
      },
    });
  });
});
