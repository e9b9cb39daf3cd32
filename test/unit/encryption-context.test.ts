import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeEncryptionContext } from '../../src/crypto/encryption-context.js';

describe('encodeEncryptionContext', () => {
  it('tells {"ab":"c"} and {"a":"bc"} apart', () => {
    assert.notDeepEqual(encodeEncryptionContext({ ab: 'c' }), encodeEncryptionContext({ a: 'bc' }));
  });
  it('does not depend on insertion order', () => {
    assert.deepEqual(encodeEncryptionContext({ b: '2', a: '1' }), encodeEncryptionContext({ a: '1', b: '2' }));
  });
  it('encodes an absent context like an empty one', () => {
    assert.deepEqual(encodeEncryptionContext(undefined), encodeEncryptionContext({}));
  });
  it('writes count, then length-prefixed UTF-8 pairs sorted by key bytes', () => {
    const encoded = encodeEncryptionContext({ 'é': 'x', a: '' });
    assert.equal(
      encoded.toString('hex'),
      '00000002' + '00000001' + '61' + '00000000' + '00000002' + 'c3a9' + '00000001' + '78',
    );
  });
});
