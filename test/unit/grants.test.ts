/**
 * The grant rules of src/domain/grants.ts on their own: `grantAllows` against the examples of
 * the KMS developer guide ("Using grant constraints" and "Granting CreateGrant permission" in
 * "Creating grants", quoted by name below) and the API reference's GrantConstraints (a
 * constraint's keys match whatever their case, its values exactly); which grants count for a
 * caller; who may retire a grant by the grant alone; which ARNs name a principal; and which
 * grant operations each kind of key takes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '../../src/domain/access.js';
import { principalOf } from '../../src/domain/identities.js';
import {
  grantableOperations,
  grantAllows,
  grantOperationOf,
  grantsOfCaller,
  isServicePrincipal,
  principalAccount,
  retirableByGrant,
  type GrantRequest,
} from '../../src/domain/grants.js';
import type { GrantOperation, KeySpec, KeyUsageType } from '../../src/kms-types.generated.js';
import { MemoryStore } from '../../src/storage/memory.js';
import type { GrantConstraintsRecord, GrantRecord } from '../../src/storage/types.js';
import { testKeyRecord } from '../helpers/records.js';

const ACCOUNT = '111122223333';
const SCOPE = { account: ACCOUNT, region: 'us-west-2' };
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const EXAMPLE_USER = `arn:aws:iam::${ACCOUNT}:user/exampleUser`;
const ADMIN_ROLE = `arn:aws:iam::${ACCOUNT}:role/adminRole`;

function grant(operations: GrantOperation[], constraints?: GrantConstraintsRecord, overrides: Partial<GrantRecord> = {}): GrantRecord {
  return {
    ...SCOPE,
    grantId: 'abcde1237f76e4ba7987489ac329fbfba6ad343d6f7075dbd1ef191f0120514a',
    keyId: KEY_ID,
    granteePrincipal: EXAMPLE_USER,
    retiringPrincipal: ADMIN_ROLE,
    operations,
    ...(constraints && { constraints }),
    issuingAccount: `arn:aws:iam::${ACCOUNT}:root`,
    createdAt: 1568565290000,
    ...overrides,
  };
}

interface Row {
  name: string;
  grants: GrantRecord[];
  request: GrantRequest;
  allows: boolean;
}

function table(rows: readonly Row[]): void {
  for (const row of rows) {
    it(`${row.allows ? 'allows' : 'refuses'} ${row.name}`, () => {
      assert.equal(grantAllows(row.grants, row.request), row.allows);
    });
  }
}

describe('grantAllows: EncryptionContextEquals ("Using grant constraints": Decrypt with "Department": "IT")', () => {
  const equals = grant(['Decrypt'], { EncryptionContextEquals: { Department: 'IT' } });
  table([
    { name: 'Decrypt with exactly Department=IT', grants: [equals], request: { operation: 'Decrypt', encryptionContext: { Department: 'IT' } }, allows: true },
    {
      name: 'Decrypt with Department=IT,Purpose=Test (satisfies Subset, fails Equals)',
      grants: [equals],
      request: { operation: 'Decrypt', encryptionContext: { Department: 'IT', Purpose: 'Test' } },
      allows: false,
    },
    { name: 'Decrypt with no encryption context', grants: [equals], request: { operation: 'Decrypt' }, allows: false },
    { name: 'Decrypt with an empty encryption context', grants: [equals], request: { operation: 'Decrypt', encryptionContext: {} }, allows: false },
    { name: 'Decrypt with another value', grants: [equals], request: { operation: 'Decrypt', encryptionContext: { Department: 'HR' } }, allows: false },
    { name: 'Decrypt with the value in another case (values are case-sensitive)', grants: [equals], request: { operation: 'Decrypt', encryptionContext: { Department: 'it' } }, allows: false },
    {
      name: 'Decrypt with the key in another case (API reference: in a grant constraint the key is not case-sensitive)',
      grants: [equals],
      request: { operation: 'Decrypt', encryptionContext: { department: 'IT' } },
      allows: true,
    },
    { name: 'Encrypt, which the grant does not list', grants: [equals], request: { operation: 'Encrypt', encryptionContext: { Department: 'IT' } }, allows: false },
  ]);
});

describe('grantAllows: EncryptionContextSubset ("Using grant constraints")', () => {
  const subset = grant(['Decrypt'], { EncryptionContextSubset: { Department: 'IT' } });
  table([
    { name: 'Decrypt with Department=IT', grants: [subset], request: { operation: 'Decrypt', encryptionContext: { Department: 'IT' } }, allows: true },
    {
      name: 'Decrypt with Department=IT,Purpose=Test',
      grants: [subset],
      request: { operation: 'Decrypt', encryptionContext: { Purpose: 'Test', Department: 'IT' } },
      allows: true,
    },
    { name: 'Decrypt with Purpose=Test only', grants: [subset], request: { operation: 'Decrypt', encryptionContext: { Purpose: 'Test' } }, allows: false },
    { name: 'Decrypt with no encryption context', grants: [subset], request: { operation: 'Decrypt' }, allows: false },
    { name: 'Decrypt with Department=It (value case)', grants: [subset], request: { operation: 'Decrypt', encryptionContext: { Department: 'It' } }, allows: false },
    { name: 'Decrypt with DEPARTMENT=IT (key case)', grants: [subset], request: { operation: 'Decrypt', encryptionContext: { DEPARTMENT: 'IT', Purpose: 'Test' } }, allows: true },
  ]);
});

describe("grantAllows: the DynamoDB grant of \"Using grant constraints\" (an AWS managed key's EncryptionContextSubset)", () => {
  const dynamo = grant(['Decrypt', 'Encrypt', 'GenerateDataKey', 'ReEncryptFrom', 'ReEncryptTo', 'RetireGrant', 'DescribeKey'], {
    EncryptionContextSubset: { 'aws:dynamodb:tableName': 'Services', 'aws:dynamodb:subscriberId': ACCOUNT },
  }, { granteePrincipal: 'dynamodb.us-west-2.amazonaws.com', retiringPrincipal: 'dynamodb.us-west-2.amazonaws.com' });
  const table_ = { 'aws:dynamodb:tableName': 'Services', 'aws:dynamodb:subscriberId': ACCOUNT };
  table([
    { name: 'GenerateDataKey for the table', grants: [dynamo], request: { operation: 'GenerateDataKey', encryptionContext: { ...table_, extra: 'x' } }, allows: true },
    { name: 'ReEncryptTo for the table', grants: [dynamo], request: { operation: 'ReEncryptTo', encryptionContext: table_ }, allows: true },
    {
      name: 'GenerateDataKey for another table',
      grants: [dynamo],
      request: { operation: 'GenerateDataKey', encryptionContext: { ...table_, 'aws:dynamodb:tableName': 'Other' } },
      allows: false,
    },
    { name: 'Decrypt without the subscriber id', grants: [dynamo], request: { operation: 'Decrypt', encryptionContext: { 'aws:dynamodb:tableName': 'Services' } }, allows: false },
    { name: 'DescribeKey, which has no context: the constraint does not apply', grants: [dynamo], request: { operation: 'DescribeKey' }, allows: true },
    { name: 'GenerateDataKeyPair, which the grant does not list', grants: [dynamo], request: { operation: 'GenerateDataKeyPair', encryptionContext: table_ }, allows: false },
  ]);
});

describe('grantAllows: operations, and grants without constraints', () => {
  const pairs = grant(['GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext', 'Decrypt']);
  const signing = grant(['Sign', 'Verify', 'GetPublicKey']);
  table([
    { name: 'GenerateDataKeyPair with any context', grants: [pairs], request: { operation: 'GenerateDataKeyPair', encryptionContext: { any: 'thing' } }, allows: true },
    { name: 'GenerateDataKeyPairWithoutPlaintext with none', grants: [pairs], request: { operation: 'GenerateDataKeyPairWithoutPlaintext' }, allows: true },
    { name: 'GenerateDataKey, not listed', grants: [pairs], request: { operation: 'GenerateDataKey' }, allows: false },
    { name: 'DescribeKey, not listed', grants: [pairs], request: { operation: 'DescribeKey' }, allows: false },
    { name: 'Sign with a signing grant', grants: [signing], request: { operation: 'Sign' }, allows: true },
    { name: 'anything with no grants at all', grants: [], request: { operation: 'Decrypt' }, allows: false },
  ]);
});

describe('grantAllows: a constrained grant allows no operation without an encryption context', () => {
  // CreateGrant refuses such grants; one that got stored anyway must not widen into them.
  const odd = grant(['Sign', 'GetPublicKey', 'GenerateMac', 'DescribeKey'], { EncryptionContextSubset: { a: '1' } });
  table([
    { name: 'Sign under a context constraint', grants: [odd], request: { operation: 'Sign' }, allows: false },
    { name: 'GetPublicKey under a context constraint, even given a matching context', grants: [odd], request: { operation: 'GetPublicKey', encryptionContext: { a: '1' } }, allows: false },
    { name: 'GenerateMac under a context constraint', grants: [odd], request: { operation: 'GenerateMac' }, allows: false },
    { name: 'DescribeKey, which a constraint never applies to', grants: [odd], request: { operation: 'DescribeKey' }, allows: true },
  ]);
});

describe('grantAllows: each grant alone (permissions of two grants do not add up)', () => {
  const decryptIt = grant(['Decrypt'], { EncryptionContextEquals: { team: 'it' } }, { grantId: 'a'.repeat(64) });
  const encryptAny = grant(['Encrypt'], undefined, { grantId: 'b'.repeat(64) });
  table([
    { name: 'Decrypt with the first grant’s context', grants: [encryptAny, decryptIt], request: { operation: 'Decrypt', encryptionContext: { team: 'it' } }, allows: true },
    { name: 'Decrypt with another context, though another grant is unconstrained', grants: [encryptAny, decryptIt], request: { operation: 'Decrypt', encryptionContext: { team: 'hr' } }, allows: false },
    { name: 'Encrypt with any context', grants: [decryptIt, encryptAny], request: { operation: 'Encrypt', encryptionContext: { team: 'hr' } }, allows: true },
  ]);
});

describe('grantAllows: CreateGrant from a grant ("Granting CreateGrant permission")', () => {
  // The parent grant of the guide: GenerateDataKey, Decrypt and CreateGrant, Subset Department=IT.
  const parent = grant(['GenerateDataKey', 'Decrypt', 'CreateGrant'], { EncryptionContextSubset: { Department: 'IT' } });
  const child = (operations: GrantOperation[], constraints?: GrantConstraintsRecord): GrantRequest => ({
    operation: 'CreateGrant',
    newGrant: { operations, constraints },
  });
  table([
    { name: 'the guide’s child grant: CreateGrant and Decrypt, Equals Department=IT', grants: [parent], request: child(['CreateGrant', 'Decrypt'], { EncryptionContextEquals: { Department: 'IT' } }), allows: true },
    { name: 'a child that adds a pair to the Subset', grants: [parent], request: child(['Decrypt'], { EncryptionContextSubset: { Department: 'IT', Project: 'X' } }), allows: true },
    { name: 'a child with the same Subset', grants: [parent], request: child(['GenerateDataKey'], { EncryptionContextSubset: { department: 'IT' } }), allows: true },
    { name: 'a child with an operation the parent lacks (ReEncryptFrom)', grants: [parent], request: child(['Decrypt', 'ReEncryptFrom'], { EncryptionContextSubset: { Department: 'IT' } }), allows: false },
    { name: 'a child without constraints', grants: [parent], request: child(['Decrypt']), allows: false },
    { name: 'a child whose Subset drops the pair', grants: [parent], request: child(['Decrypt'], { EncryptionContextSubset: { Project: 'X' } }), allows: false },
    { name: 'a child whose Subset changes the value', grants: [parent], request: child(['Decrypt'], { EncryptionContextSubset: { Department: 'HR' } }), allows: false },
    { name: 'a CreateGrant request with no grant to judge', grants: [parent], request: { operation: 'CreateGrant' }, allows: false },
  ]);

  const equalsParent = grant(['Decrypt', 'CreateGrant'], { EncryptionContextEquals: { Department: 'IT' } });
  table([
    { name: 'under an Equals parent, a child with the same Equals', grants: [equalsParent], request: child(['Decrypt'], { EncryptionContextEquals: { Department: 'IT' } }), allows: true },
    { name: 'under an Equals parent, a child turning it into a Subset (never the reverse)', grants: [equalsParent], request: child(['Decrypt'], { EncryptionContextSubset: { Department: 'IT' } }), allows: false },
    { name: 'under an Equals parent, a child with a wider Equals', grants: [equalsParent], request: child(['Decrypt'], { EncryptionContextEquals: { Department: 'IT', Project: 'X' } }), allows: false },
  ]);

  const free = grant(['Encrypt', 'CreateGrant']);
  table([
    { name: 'under an unconstrained parent, any constraints', grants: [free], request: child(['Encrypt'], { EncryptionContextSubset: { a: '1' } }), allows: true },
    { name: 'under an unconstrained parent, none', grants: [free], request: child(['Encrypt', 'CreateGrant']), allows: true },
    { name: 'from a grant without CreateGrant', grants: [grant(['Encrypt'])], request: child(['Encrypt']), allows: false },
  ]);
});

describe('grantAllows: RetireGrant and SourceArn', () => {
  const retiring = grant(['Decrypt', 'RetireGrant'], { EncryptionContextEquals: { a: '1' } });
  const service = grant(['Decrypt', 'RetireGrant'], { SourceArn: `arn:aws:rds:us-west-2:${ACCOUNT}:db:orders` }, { grantId: 'c'.repeat(64) });
  table([
    { name: 'retiring the grant itself (the constraint does not apply)', grants: [retiring], request: { operation: 'RetireGrant', grantId: retiring.grantId }, allows: true },
    { name: 'retiring another grant', grants: [retiring], request: { operation: 'RetireGrant', grantId: 'f'.repeat(64) }, allows: false },
    { name: 'retiring with no grant named', grants: [retiring], request: { operation: 'RetireGrant' }, allows: false },
    { name: 'Decrypt under a SourceArn constraint, by a caller acting for no resource (every Trent caller)', grants: [service], request: { operation: 'Decrypt' }, allows: false },
    { name: 'Decrypt under a SourceArn constraint, for another resource', grants: [service], request: { operation: 'Decrypt', sourceArn: `arn:aws:rds:us-west-2:${ACCOUNT}:db:other` }, allows: false },
    { name: 'Decrypt under a SourceArn constraint, for that resource', grants: [service], request: { operation: 'Decrypt', sourceArn: `arn:aws:rds:us-west-2:${ACCOUNT}:db:orders` }, allows: true },
    { name: 'retiring a SourceArn grant itself (AWS: SourceArn does not apply to RetireGrant)', grants: [service], request: { operation: 'RetireGrant', grantId: service.grantId }, allows: true },
  ]);
});

describe('grantOperationOf', () => {
  const rows: [string, GrantOperation | undefined][] = [
    ['kms:Decrypt', 'Decrypt'],
    ['kms:GenerateDataKeyPairWithoutPlaintext', 'GenerateDataKeyPairWithoutPlaintext'],
    ['kms:ReEncryptFrom', 'ReEncryptFrom'],
    ['kms:RetireGrant', 'RetireGrant'],
    ['kms:ReEncrypt', undefined],
    ['kms:ScheduleKeyDeletion', undefined],
    ['kms:RevokeGrant', undefined],
    ['kms:toString', undefined],
    ['kms:__proto__', undefined],
  ];
  for (const [action, operation] of rows) {
    it(`${action} -> ${operation ?? 'no grant operation'}`, () => {
      assert.equal(grantOperationOf(action as `kms:${string}`), operation);
    });
  }
});

describe('grantsOfCaller: the grants that count for a caller on a key', () => {
  it('its stored grants as grantee, and those its tokens name on this key for it, each once', async () => {
    const store = new MemoryStore();
    const key = testKeyRecord(KEY_ID, { ...SCOPE });
    const otherKey = testKeyRecord('00000000-0000-4000-8000-000000000002', { ...SCOPE });
    await store.createKey(key);
    await store.createKey(otherKey);
    const stored = grant(['Decrypt'], undefined, { grantId: '1'.repeat(64) });
    await store.createGrant(stored);
    await store.createGrant(grant(['Decrypt'], undefined, { grantId: '2'.repeat(64), granteePrincipal: ADMIN_ROLE }));
    const fromToken = grant(['Encrypt'], undefined, { grantId: '3'.repeat(64) });
    const tokens = [
      stored,
      fromToken,
      grant(['Encrypt'], undefined, { grantId: '4'.repeat(64), keyId: otherKey.keyId }),
      grant(['Encrypt'], undefined, { grantId: '5'.repeat(64), granteePrincipal: ADMIN_ROLE }),
      grant(['Encrypt'], undefined, { grantId: '6'.repeat(64), region: 'eu-west-1' }),
    ];
    const grants = await grantsOfCaller(store, key, EXAMPLE_USER, tokens);
    assert.deepEqual(grants.map((g) => g.grantId).sort(), ['1'.repeat(64), '3'.repeat(64)]);
    assert.deepEqual((await grantsOfCaller(store, key, ADMIN_ROLE)).map((g) => g.grantId), ['2'.repeat(64)]);
  });
});

describe('retirableByGrant: who may retire a grant without any policy', () => {
  const g = grant(['Decrypt']);
  const withRetire = grant(['Decrypt', 'RetireGrant']);
  const as = (arn: string): Principal => principalOf(arn);
  const rows: [string, GrantRecord, string, boolean][] = [
    ['its retiring principal', g, ADMIN_ROLE, true],
    ['its grantee, when the grant allows RetireGrant', withRetire, EXAMPLE_USER, true],
    ['its grantee, when it does not', g, EXAMPLE_USER, false],
    ['the account root (it needs kms:RetireGrant from a policy)', g, `arn:aws:iam::${ACCOUNT}:root`, false],
    ['anyone else', g, `arn:aws:iam::${ACCOUNT}:user/other`, false],
  ];
  for (const [name, record, principal, allowed] of rows) {
    it(`${allowed ? 'lets' : 'does not let'} ${name}`, () => {
      assert.equal(retirableByGrant(record, as(principal)), allowed);
    });
  }
  it('does not let anyone by a grant without a retiring principal, but its grantee with RetireGrant', () => {
    const noRetiring: GrantRecord = { ...withRetire };
    delete noRetiring.retiringPrincipal;
    assert.equal(retirableByGrant(noRetiring, as(ADMIN_ROLE)), false);
    assert.equal(retirableByGrant(noRetiring, as(EXAMPLE_USER)), true);
  });
});

describe('principals a grant may name', () => {
  const valid: [string, string][] = [
    [`arn:aws:iam::${ACCOUNT}:root`, ACCOUNT],
    [`arn:aws:iam::${ACCOUNT}:user/exampleUser`, ACCOUNT],
    [`arn:aws:iam::${ACCOUNT}:user/division_abc/subdivision_xyz/Bob`, ACCOUNT],
    ['arn:aws:iam::444455556666:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling', '444455556666'],
    [`arn:aws:sts::${ACCOUNT}:assumed-role/keyUserRole/session@example.com`, ACCOUNT],
    [`arn:aws:sts::${ACCOUNT}:federated-user/Bob`, ACCOUNT],
    [`arn:aws-cn:iam::${ACCOUNT}:root`, ACCOUNT],
    [`arn:aws-us-gov:iam::${ACCOUNT}:role/r`, ACCOUNT],
  ];
  for (const [arn, account] of valid) {
    it(`${arn} (account ${account})`, () => assert.equal(principalAccount(arn), account));
  }
  const invalid = [
    'exampleUser',
    ACCOUNT,
    `arn:aws:iam::${ACCOUNT}:group/admins`,
    `arn:aws:iam::${ACCOUNT}:policy/p`,
    `arn:aws:iam::${ACCOUNT}:user/`,
    `arn:aws:iam:us-east-1:${ACCOUNT}:root`,
    `arn:aws:sts::${ACCOUNT}:assumed-role/keyUserRole`,
    `arn:aws:kms:us-east-1:${ACCOUNT}:key/${KEY_ID}`,
    'arn:aws:iam::*:root',
    'dynamodb.amazonaws.com',
  ];
  for (const text of invalid) {
    it(`not ${text}`, () => assert.equal(principalAccount(text), undefined));
  }
  it('service principals', () => {
    for (const name of ['rds.amazonaws.com', 'dynamodb.us-west-2.amazonaws.com', 'us-east-1.supportauthz.amazonaws.com', 'ec2.amazonaws.com.cn']) {
      assert.equal(isServicePrincipal(name), true, name);
    }
    for (const name of ['rds', 'amazonaws.com', '.amazonaws.com', `arn:aws:iam::${ACCOUNT}:root`, 'rds.example.com']) assert.equal(isServicePrincipal(name), false, name);
  });
});

describe('grantableOperations: what a grant on each kind of key may allow', () => {
  const always = ['CreateGrant', 'RetireGrant', 'DescribeKey'];
  const rows: [KeySpec, KeyUsageType, string[]][] = [
    ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', ['Decrypt', 'Encrypt', 'ReEncryptFrom', 'ReEncryptTo', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext']],
    ['RSA_4096', 'ENCRYPT_DECRYPT', ['Decrypt', 'Encrypt', 'ReEncryptFrom', 'ReEncryptTo', 'GetPublicKey']],
    ['RSA_2048', 'SIGN_VERIFY', ['Sign', 'Verify', 'GetPublicKey']],
    ['SM2', 'ENCRYPT_DECRYPT', ['Decrypt', 'Encrypt', 'ReEncryptFrom', 'ReEncryptTo', 'GetPublicKey']],
    ['ECC_NIST_P521', 'KEY_AGREEMENT', ['GetPublicKey', 'DeriveSharedSecret']],
    ['ECC_NIST_EDWARDS25519', 'SIGN_VERIFY', ['Sign', 'Verify', 'GetPublicKey']],
    ['ML_DSA_65', 'SIGN_VERIFY', ['Sign', 'Verify', 'GetPublicKey']],
    ['ML_KEM_1024', 'ENCAPSULATE_DECAPSULATE', ['GetPublicKey', 'Encapsulate', 'Decapsulate']],
    ['HMAC_512', 'GENERATE_VERIFY_MAC', ['GenerateMac', 'VerifyMac']],
  ];
  for (const [keySpec, keyUsage, operations] of rows) {
    it(`${keySpec} ${keyUsage}: ${operations.join(', ')}`, () => {
      const key = testKeyRecord(KEY_ID, { keySpec, keyUsage });
      assert.deepEqual([...grantableOperations(key)].sort(), [...operations, ...always].sort());
    });
  }
});
