/**
 * validateInput against the real AWS model (kms-model.generated.ts): every row either passes
 * and checks the converted input, or fails and checks the wire error (`__type` and message, as
 * toWire would send it) word for word. Map length constraints, which no KMS map has, use a small
 * model of their own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toWire } from '../../src/protocol/json11.js';
import { kmsModel } from '../../src/protocol/kms-model.generated.js';
import type { ServiceModel } from '../../src/protocol/shapes.js';
import { validateInput } from '../../src/protocol/validate.js';

/** Maps come out of validation as null-prototype objects, so that a key such as __proto__ stays data. */
function nullPrototype<T extends object>(entries: T): T {
  return Object.assign(Object.create(null) as T, entries);
}

interface WireError {
  __type: string;
  message: string;
}

function wireErrorOf(fn: () => unknown): WireError {
  try {
    fn();
  } catch (err) {
    return JSON.parse(toWire(err).body) as WireError;
  }
  assert.fail('expected validateInput to throw');
}

const b64 = (bytes: Buffer | string): string => Buffer.from(bytes).toString('base64');

const KEY_PAIR_SPECS =
  '[RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SM2, ' +
  'ECC_NIST_EDWARDS25519, ML_KEM_512, ML_KEM_768, ML_KEM_1024]';

const heap = (n: number): string => `java.nio.HeapByteBuffer[pos=0 lim=${n} cap=${n}]`;
const one = (violation: string): string => `1 validation error detected: ${violation}`;

interface FailingRow {
  name: string;
  operation: string;
  body: unknown;
  error: WireError;
}

const validation = (message: string): WireError => ({ __type: 'ValidationException', message });
const serialization = (message: string): WireError => ({ __type: 'SerializationException', message });

const failing: FailingRow[] = [
  // required
  {
    name: 'required member missing',
    operation: 'DescribeKey',
    body: {},
    error: validation(one("Value null at 'keyId' failed to satisfy constraint: Member must not be null")),
  },
  {
    name: 'required member sent as JSON null',
    operation: 'DescribeKey',
    body: { KeyId: null },
    error: validation(one("Value null at 'keyId' failed to satisfy constraint: Member must not be null")),
  },
  {
    name: 'two required members missing',
    operation: 'GenerateDataKeyPair',
    body: {},
    error: validation(
      "2 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null; " +
        "Value null at 'keyPairSpec' failed to satisfy constraint: Member must not be null",
    ),
  },
  // enum
  {
    name: 'enum value outside the set',
    operation: 'GenerateDataKeyPair',
    body: { KeyId: 'k', KeyPairSpec: 'X' },
    error: validation(one(`Value 'X' at 'keyPairSpec' failed to satisfy constraint: Member must satisfy enum value set: ${KEY_PAIR_SPECS}`)),
  },
  {
    name: 'enum value in the wrong case',
    operation: 'GenerateDataKey',
    body: { KeyId: 'k', KeySpec: 'aes_256' },
    error: validation(one("Value 'aes_256' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]")),
  },
  // several violations, in body order then required members
  {
    name: 'pattern violation and a missing required member',
    operation: 'CreateAlias',
    body: { AliasName: 'alias/my alias' },
    error: validation(
      "2 validation errors detected: Value 'alias/my alias' at 'aliasName' failed to satisfy constraint: " +
        'Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$; ' +
        "Value null at 'targetKeyId' failed to satisfy constraint: Member must not be null",
    ),
  },
  {
    name: 'three violations across members',
    operation: 'GenerateDataKeyPair',
    body: { KeyId: '', KeyPairSpec: 'RSA_1024', GrantTokens: [''] },
    error: validation(
      "3 validation errors detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
        `Value 'RSA_1024' at 'keyPairSpec' failed to satisfy constraint: Member must satisfy enum value set: ${KEY_PAIR_SPECS}; ` +
        "Value '' at 'grantTokens.1.member' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ),
  },
  // string lengths
  {
    name: 'string shorter than min',
    operation: 'DescribeKey',
    body: { KeyId: '' },
    error: validation(one("Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1")),
  },
  {
    name: 'string longer than max',
    operation: 'DescribeKey',
    body: { KeyId: 'k'.repeat(2049) },
    error: validation(one(`Value '${'k'.repeat(2049)}' at 'keyId' failed to satisfy constraint: Member must have length less than or equal to 2048`)),
  },
  {
    name: 'empty alias name: both length and pattern',
    operation: 'DeleteAlias',
    body: { AliasName: '' },
    error: validation(
      "2 validation errors detected: Value '' at 'aliasName' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
        "Value '' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
    ),
  },
  // list lengths and members
  {
    name: 'list longer than max',
    operation: 'DescribeKey',
    body: { KeyId: 'k', GrantTokens: Array.from({ length: 11 }, (_, i) => `t${i}`) },
    error: validation(
      one(
        "Value '[t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10]' at 'grantTokens' failed to satisfy constraint: " +
          'Member must have length less than or equal to 10',
      ),
    ),
  },
  {
    name: 'list member too long',
    operation: 'DescribeKey',
    body: { KeyId: 'k', GrantTokens: ['ok', 'g'.repeat(8193)] },
    error: validation(one(`Value '${'g'.repeat(8193)}' at 'grantTokens.2.member' failed to satisfy constraint: Member must have length less than or equal to 8192`)),
  },
  // nested paths
  {
    name: 'nested list of structures: empty tag key',
    operation: 'TagResource',
    body: { KeyId: 'k', Tags: [{ TagKey: '', TagValue: 'v' }] },
    error: validation(one("Value '' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length greater than or equal to 1")),
  },
  {
    name: 'nested list of structures: second tag without a value',
    operation: 'CreateKey',
    body: { Tags: [{ TagKey: 'a', TagValue: 'b' }, { TagKey: 'c' }] },
    error: validation(one("Value null at 'tags.2.member.tagValue' failed to satisfy constraint: Member must not be null")),
  },
  {
    name: 'nested structure: enum in Recipient',
    operation: 'GenerateDataKeyPair',
    body: { KeyId: 'k', KeyPairSpec: 'RSA_2048', Recipient: { KeyEncryptionAlgorithm: 'RSA' } },
    error: validation(
      one("Value 'RSA' at 'recipient.keyEncryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RSAES_OAEP_SHA_256]"),
    ),
  },
  // blobs
  {
    name: 'blob longer than max, rendered as a Java ByteBuffer',
    operation: 'Decrypt',
    body: { CiphertextBlob: b64(Buffer.alloc(6145, 1)) },
    error: validation(one(`Value '${heap(6145)}' at 'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to 6144`)),
  },
  {
    name: 'empty blob',
    operation: 'Decrypt',
    body: { CiphertextBlob: '' },
    error: validation(one(`Value '${heap(0)}' at 'ciphertextBlob' failed to satisfy constraint: Member must have length greater than or equal to 1`)),
  },
  {
    name: 'empty blob nested in Recipient',
    operation: 'GenerateDataKey',
    body: { KeyId: 'k', Recipient: { AttestationDocument: '' } },
    error: validation(
      one(`Value '${heap(0)}' at 'recipient.attestationDocument' failed to satisfy constraint: Member must have length greater than or equal to 1`),
    ),
  },
  // sensitive members are never echoed
  {
    name: 'sensitive Plaintext too long',
    operation: 'Encrypt',
    body: { KeyId: 'k', Plaintext: b64(Buffer.alloc(4097, 0x41)) },
    error: validation(one("Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096")),
  },
  {
    name: 'sensitive Plaintext empty',
    operation: 'Encrypt',
    body: { KeyId: 'k', Plaintext: '' },
    error: validation(one("Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1")),
  },
  {
    name: 'sensitive Message (GenerateMac) too long',
    operation: 'GenerateMac',
    body: { KeyId: 'k', MacAlgorithm: 'HMAC_SHA_256', Message: b64(Buffer.alloc(4097)) },
    error: validation(one("Value at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096")),
  },
  // integer ranges
  {
    name: 'NumberOfBytes 0',
    operation: 'GenerateRandom',
    body: { NumberOfBytes: 0 },
    error: validation(one("Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1")),
  },
  {
    name: 'NumberOfBytes 1025',
    operation: 'GenerateRandom',
    body: { NumberOfBytes: 1025 },
    error: validation(one("Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024")),
  },
  {
    name: 'NumberOfBytes negative',
    operation: 'GenerateDataKey',
    body: { KeyId: 'k', NumberOfBytes: -5 },
    error: validation(one("Value '-5' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1")),
  },
  // patterns
  {
    name: 'AliasName with a space',
    operation: 'CreateAlias',
    body: { AliasName: 'alias/my alias', TargetKeyId: 'k' },
    error: validation(one("Value 'alias/my alias' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$")),
  },
  {
    name: 'pattern anchored at both ends (Java matches())',
    operation: 'ListKeys',
    body: { Marker: 'ok\u0100' },
    error: validation(one("Value 'okĀ' at 'marker' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0020-\\u00FF]*")),
  },
  // wrong JSON types
  { name: 'number for a string', operation: 'DescribeKey', body: { KeyId: 5 }, error: serialization('NUMBER_VALUE can not be converted to a String') },
  { name: 'boolean for a string', operation: 'DescribeKey', body: { KeyId: true }, error: serialization('TRUE_VALUE can not be converted to a String') },
  { name: 'object for a string', operation: 'DescribeKey', body: { KeyId: {} }, error: serialization('Start of structure or map found where not expected.') },
  { name: 'array for a string', operation: 'DescribeKey', body: { KeyId: ['k'] }, error: serialization('Start of list found where not expected.') },
  { name: 'string for an integer', operation: 'GenerateRandom', body: { NumberOfBytes: '32' }, error: serialization('STRING_VALUE can not be converted to an Integer') },
  { name: 'fraction for an integer', operation: 'GenerateRandom', body: { NumberOfBytes: 1.5 }, error: serialization('NUMBER_VALUE can not be converted to an Integer') },
  { name: 'string for a boolean', operation: 'Encrypt', body: { KeyId: 'k', Plaintext: 'YQ==', DryRun: 'true' }, error: serialization('STRING_VALUE can not be converted to a Boolean') },
  { name: 'number for a blob', operation: 'Encrypt', body: { KeyId: 'k', Plaintext: 1 }, error: serialization('NUMBER_VALUE can not be converted to a Blob') },
  { name: 'string for a list', operation: 'DescribeKey', body: { KeyId: 'k', GrantTokens: 't' }, error: serialization('STRING_VALUE can not be converted to a list') },
  { name: 'object for a list', operation: 'DescribeKey', body: { KeyId: 'k', GrantTokens: { a: 't' } }, error: serialization('Start of structure or map found where not expected.') },
  { name: 'array for a map', operation: 'Encrypt', body: { KeyId: 'k', Plaintext: 'YQ==', EncryptionContext: [] }, error: serialization('Start of list found where not expected.') },
  { name: 'string for a map', operation: 'Encrypt', body: { KeyId: 'k', Plaintext: 'YQ==', EncryptionContext: 'a=b' }, error: serialization('STRING_VALUE can not be converted to a structure') },
  { name: 'number as a map value', operation: 'Encrypt', body: { KeyId: 'k', Plaintext: 'YQ==', EncryptionContext: { a: 1 } }, error: serialization('NUMBER_VALUE can not be converted to a String') },
  { name: 'null inside a list', operation: 'DescribeKey', body: { KeyId: 'k', GrantTokens: [null] }, error: serialization('VALUE_NULL can not be converted to a String') },
  { name: 'string for a nested structure', operation: 'GenerateDataKey', body: { KeyId: 'k', Recipient: 'enclave' }, error: serialization('STRING_VALUE can not be converted to a structure') },
  { name: 'array for the request structure', operation: 'DescribeKey', body: [], error: serialization('START_ARRAY can not be converted to a structure') },
  { name: 'null for the request structure', operation: 'DescribeKey', body: null, error: serialization('VALUE_NULL can not be converted to a structure') },
  // base64
  ...(
    [
      ['not a multiple of 4', 'abc'],
      ['missing padding', 'YQ'],
      ['a character outside the alphabet', 'ab$='],
      ['URL-safe alphabet', 'a-_b'],
      ['embedded whitespace', 'YW Jj'],
      ['padding in the middle', 'YQ==YQ=='],
    ] as const
  ).map(([what, text]) => ({
    name: `invalid base64: ${what}`,
    operation: 'Encrypt',
    body: { KeyId: 'k', Plaintext: text },
    error: serialization('Base64 encoded value is invalid.'),
  })),
  // unknown members
  { name: 'unknown top-level member', operation: 'DescribeKey', body: { KeyId: 'k', Keyid: 'k' }, error: serialization("Unrecognized member 'Keyid' in the request.") },
  {
    name: 'unknown member of a nested structure',
    operation: 'CreateKey',
    body: { Tags: [{ TagKey: 'a', TagValue: 'b', Extra: 'c' }] },
    error: serialization("Unrecognized member 'Extra' in the request."),
  },
  {
    name: 'serialization errors win over validation errors',
    operation: 'GenerateDataKeyPair',
    body: { KeyPairSpec: 'X', NumberOfBytes: 1 },
    error: serialization("Unrecognized member 'NumberOfBytes' in the request."),
  },
];

describe('validateInput: failures (ValidationException / SerializationException, AWS wording)', () => {
  for (const row of failing) {
    it(row.name, () => {
      assert.deepEqual(wireErrorOf(() => validateInput(kmsModel, row.operation, row.body)), row.error);
    });
  }

  it('never echoes a sensitive value, even in a multi-error message', () => {
    const secret = Buffer.alloc(4097, 0x5a);
    const { message } = wireErrorOf(() => validateInput(kmsModel, 'Encrypt', { Plaintext: b64(secret) }));
    assert.equal(
      message,
      "2 validation errors detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096; " +
        "Value null at 'keyId' failed to satisfy constraint: Member must not be null",
    );
    assert.doesNotMatch(message, /HeapByteBuffer|WlpaWlpa|ZZZZ/);
  });
});

interface PassingRow {
  name: string;
  operation: string;
  body: unknown;
  expected: Record<string, unknown>;
}

const passing: PassingRow[] = [
  {
    name: 'blob members are decoded to Buffers, other members keep their JSON type',
    operation: 'Encrypt',
    body: { KeyId: 'alias/app', Plaintext: b64('hello'), EncryptionContext: { purpose: 'test' }, DryRun: false, GrantTokens: ['t'] },
    expected: { KeyId: 'alias/app', Plaintext: Buffer.from('hello'), EncryptionContext: nullPrototype({ purpose: 'test' }), DryRun: false, GrantTokens: ['t'] },
  },
  {
    name: 'nested blobs are decoded too',
    operation: 'GenerateDataKeyPair',
    body: { KeyId: 'k', KeyPairSpec: 'ML_KEM_768', Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: b64(Buffer.from([0, 255, 1])) } },
    expected: {
      KeyId: 'k',
      KeyPairSpec: 'ML_KEM_768',
      Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: Buffer.from([0, 255, 1]) },
    },
  },
  {
    name: 'JSON null members are treated as absent',
    operation: 'GenerateDataKey',
    body: { KeyId: 'k', NumberOfBytes: null, KeySpec: null, EncryptionContext: null, GrantTokens: null, Recipient: null, DryRun: null },
    expected: { KeyId: 'k' },
  },
  {
    name: 'boundary values are accepted: NumberOfBytes 1',
    operation: 'GenerateRandom',
    body: { NumberOfBytes: 1 },
    expected: { NumberOfBytes: 1 },
  },
  {
    name: 'boundary values are accepted: NumberOfBytes 1024',
    operation: 'GenerateRandom',
    body: { NumberOfBytes: 1024 },
    expected: { NumberOfBytes: 1024 },
  },
  {
    name: 'boundary values are accepted: 4096-byte Plaintext, 10 grant tokens, 2048-char KeyId',
    operation: 'Encrypt',
    body: { KeyId: 'k'.repeat(2048), Plaintext: b64(Buffer.alloc(4096, 7)), GrantTokens: Array.from({ length: 10 }, () => 'g') },
    expected: { KeyId: 'k'.repeat(2048), Plaintext: Buffer.alloc(4096, 7), GrantTokens: Array.from({ length: 10 }, () => 'g') },
  },
  {
    name: 'an empty body is an empty request',
    operation: 'ListKeys',
    body: {},
    expected: {},
  },
  {
    name: 'an empty tag value is allowed (min 0)',
    operation: 'TagResource',
    body: { KeyId: 'k', Tags: [{ TagKey: 'a', TagValue: '' }] },
    expected: { KeyId: 'k', Tags: [{ TagKey: 'a', TagValue: '' }] },
  },
];

describe('validateInput: accepted input', () => {
  for (const row of passing) {
    it(row.name, () => {
      const input = validateInput(kmsModel, row.operation, row.body);
      assert.deepEqual(input, row.expected);
    });
  }

  it('JSON null leaves no key behind (not even an undefined one)', () => {
    const input = validateInput(kmsModel, 'DescribeKey', { KeyId: 'k', GrantTokens: null });
    assert.equal(Object.hasOwn(input, 'GrantTokens'), false);
  });
});

/** No KMS map has a length constraint; this model exercises map handling on its own. */
const mapModel: ServiceModel = {
  operations: { PutLabels: { input: 'PutLabelsRequest' } },
  shapes: {
    PutLabelsRequest: { type: 'structure', members: { Labels: 'LabelMap' }, required: ['Labels'] },
    LabelMap: { type: 'map', key: 'LabelKey', value: 'LabelValue', min: 1, max: 2 },
    LabelKey: { type: 'string' },
    LabelValue: { type: 'string' },
  },
};

describe('validateInput: map lengths (synthetic model)', () => {
  const rows: { name: string; labels: Record<string, string>; error?: WireError }[] = [
    { name: 'one entry is accepted', labels: { a: '1' } },
    { name: 'two entries are accepted', labels: { a: '1', b: '2' } },
    {
      name: 'an empty map is shorter than min',
      labels: {},
      error: validation(one("Value '{}' at 'labels' failed to satisfy constraint: Member must have length greater than or equal to 1")),
    },
    {
      name: 'three entries are longer than max, rendered as a Java map',
      labels: { a: '1', b: '2', c: '3' },
      error: validation(one("Value '{a=1, b=2, c=3}' at 'labels' failed to satisfy constraint: Member must have length less than or equal to 2")),
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      if (row.error === undefined) {
        assert.deepEqual(validateInput(mapModel, 'PutLabels', { Labels: row.labels }), { Labels: nullPrototype(row.labels) });
      } else {
        assert.deepEqual(wireErrorOf(() => validateInput(mapModel, 'PutLabels', { Labels: row.labels })), row.error);
      }
    });
  }
});
