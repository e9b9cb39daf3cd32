/**
 * The policy language end to end: AWS's documented example policies decide the requests their
 * pages describe (test/vectors/policy-examples.json), explicit Deny beats Allow, and parsing
 * refuses malformed policies with AWS's MalformedPolicyDocumentException wording: IAM's, recorded
 * by moto against real IAM, for identity policies; KMS's where it is recorded (invalid and
 * missing principals, IAM-only condition keys, OverlyPermissiveCondition), else the wording kept
 * in errors.ts `messages`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  conditionContext,
  evaluatePolicy,
  KEY_POLICY_MAX_BYTES,
  keyPolicyMessages,
  parsePolicy,
  principalsNamed,
  type PolicyEffect,
  type PolicyKind,
  type PolicyRequest,
} from '../../src/domain/policies.js';
import { LimitExceededException, MalformedPolicyDocumentException, messages } from '../../src/errors.js';

const KEY = 'arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ROOT = 'arn:aws:iam::111122223333:root';

interface VectorRequest {
  name: string;
  action: string;
  resource?: string;
  principals?: string[];
  context?: Record<string, string | string[]>;
  expect: PolicyEffect;
}

interface Vector {
  name: string;
  kind?: PolicyKind;
  caller?: string[];
  policy: unknown;
  requests: VectorRequest[];
}

const vectorFile = new URL('../../../test/vectors/policy-examples.json', import.meta.url);
const { examples } = JSON.parse(readFileSync(vectorFile, 'utf8')) as { examples: Vector[] };

describe('AWS documentation examples (test/vectors/policy-examples.json)', () => {
  for (const example of examples) {
    describe(example.name, () => {
      const kind = example.kind ?? 'key';
      // Key policies arrive as JSON text, identity policies as parsed objects.
      const policy = parsePolicy(kind === 'key' ? JSON.stringify(example.policy) : example.policy, kind);
      for (const request of example.requests) {
        it(request.name, () => {
          const evaluated: PolicyRequest = {
            principals: request.principals ?? example.caller ?? [],
            action: request.action,
            resource: request.resource ?? KEY,
            context: conditionContext(request.context ?? {}),
          };
          assert.equal(evaluatePolicy(policy, evaluated), request.expect);
        });
      }
    });
  }
});

function request(action: string, extra: Partial<PolicyRequest> = {}): PolicyRequest {
  return { principals: [ROOT], action, resource: KEY, context: conditionContext({}), ...extra };
}

function keyPolicy(...statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

const allowAll = { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' };

describe('evaluatePolicy: an explicit deny beats an allow in the same document (IAM "Policy evaluation logic")', () => {
  const deny = { Effect: 'Deny', Principal: '*', Action: 'kms:Decrypt', Resource: '*' };
  const rows: { name: string; policy: string; action: string; expect: PolicyEffect }[] = [
    { name: 'Allow kms:* then Deny kms:Decrypt: Decrypt is denied', policy: keyPolicy(allowAll, deny), action: 'kms:Decrypt', expect: 'Deny' },
    { name: 'Deny kms:Decrypt then Allow kms:*: Decrypt is denied', policy: keyPolicy(deny, allowAll), action: 'kms:Decrypt', expect: 'Deny' },
    { name: 'the deny does not reach Encrypt: allowed', policy: keyPolicy(allowAll, deny), action: 'kms:Encrypt', expect: 'Allow' },
    { name: 'nothing allows: None, the implicit deny', policy: keyPolicy(deny), action: 'kms:Encrypt', expect: 'None' },
  ];
  for (const row of rows) {
    it(row.name, () => assert.equal(evaluatePolicy(parsePolicy(row.policy, 'key'), request(row.action)), row.expect));
  }
});

describe('evaluatePolicy: principals, actions and resources', () => {
  const rows: { name: string; statement: object; request: PolicyRequest; expect: PolicyEffect }[] = [
    { name: 'Principal "*" matches any caller (reference_policies_elements_principal, all principals)', statement: { Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }, request: request('kms:Decrypt', { principals: ['arn:aws:iam::444455556666:user/x'] }), expect: 'Allow' },
    { name: 'Principal {"AWS": "*"} is the same as "*"', statement: { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' }, request: request('kms:Decrypt', { principals: [] }), expect: 'Allow' },
    { name: 'an account id means its root ARN ("AWS": "123456789012")', statement: { Effect: 'Allow', Principal: { AWS: '111122223333' }, Action: 'kms:Decrypt', Resource: '*' }, request: request('kms:Decrypt'), expect: 'Allow' },
    { name: 'the account root does not name a user of the account', statement: { Effect: 'Allow', Principal: { AWS: '111122223333' }, Action: 'kms:Decrypt', Resource: '*' }, request: request('kms:Decrypt', { principals: ['arn:aws:iam::111122223333:user/alice'] }), expect: 'None' },
    { name: 'a user is named in a list of principals', statement: { Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::111122223333:user/bob', 'arn:aws:iam::111122223333:user/alice'] }, Action: 'kms:Decrypt', Resource: '*' }, request: request('kms:Decrypt', { principals: ['arn:aws:iam::111122223333:user/alice'] }), expect: 'Allow' },
    { name: 'a Service principal never matches a caller here', statement: { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'kms:Decrypt', Resource: '*' }, request: request('kms:Decrypt', { principals: ['ec2.amazonaws.com'] }), expect: 'None' },
    { name: 'NotPrincipal: a Deny for everyone but alice spares alice', statement: { Effect: 'Deny', NotPrincipal: { AWS: 'arn:aws:iam::111122223333:user/alice' }, Action: 'kms:*', Resource: '*' }, request: request('kms:Decrypt', { principals: ['arn:aws:iam::111122223333:user/alice'] }), expect: 'None' },
    { name: 'NotPrincipal: and denies bob', statement: { Effect: 'Deny', NotPrincipal: { AWS: 'arn:aws:iam::111122223333:user/alice' }, Action: 'kms:*', Resource: '*' }, request: request('kms:Decrypt', { principals: ['arn:aws:iam::111122223333:user/bob'] }), expect: 'Deny' },
    { name: 'Action "*" matches any action', statement: { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }, request: request('kms:GenerateDataKeyPair'), expect: 'Allow' },
    { name: 'Action kms:Generate* matches kms:GenerateRandom', statement: { Effect: 'Allow', Principal: '*', Action: 'kms:Generate*', Resource: '*' }, request: request('kms:GenerateRandom'), expect: 'Allow' },
    { name: 'Action ? matches one character: kms:?ncrypt matches kms:Encrypt', statement: { Effect: 'Allow', Principal: '*', Action: 'kms:?ncrypt', Resource: '*' }, request: request('kms:Encrypt'), expect: 'Allow' },
    { name: 'Action ? matches exactly one: kms:?ncrypt does not match kms:ReEncrypt', statement: { Effect: 'Allow', Principal: '*', Action: 'kms:?ncrypt', Resource: '*' }, request: request('kms:ReEncrypt'), expect: 'None' },
    { name: 'Action kms:Decrypt does not match kms:DecryptX (whole-string match)', statement: { Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' }, request: request('kms:DecryptX'), expect: 'None' },
    { name: 'NotAction applies to every other action', statement: { Effect: 'Allow', Principal: '*', NotAction: ['kms:ScheduleKeyDeletion', 'kms:Put*'], Resource: '*' }, request: request('kms:Decrypt'), expect: 'Allow' },
    { name: 'NotAction excludes the actions it lists', statement: { Effect: 'Allow', Principal: '*', NotAction: ['kms:ScheduleKeyDeletion', 'kms:Put*'], Resource: '*' }, request: request('kms:PutKeyPolicy'), expect: 'None' },
    { name: 'Resource "*" matches the account resource "*" of CreateKey', statement: { Effect: 'Allow', Principal: '*', Action: 'kms:CreateKey', Resource: '*' }, request: request('kms:CreateKey', { resource: '*' }), expect: 'Allow' },
    { name: 'a key ARN pattern does not match the account resource "*"', statement: { Effect: 'Allow', Principal: '*', Action: 'kms:CreateKey', Resource: 'arn:aws:kms:*:111122223333:key/*' }, request: request('kms:CreateKey', { resource: '*' }), expect: 'None' },
    { name: 'Resource ARNs are case-sensitive', statement: { Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: KEY.toUpperCase() }, request: request('kms:Decrypt'), expect: 'None' },
    { name: 'a * in the region segment does not cross a colon', statement: { Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: 'arn:aws:kms:*:key/*' }, request: request('kms:Decrypt'), expect: 'None' },
    { name: 'a short ARN pattern is completed with * segments: arn:aws:kms matches every KMS ARN', statement: { Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: 'arn:aws:kms' }, request: request('kms:Decrypt'), expect: 'Allow' },
    { name: 'NotResource: an alias ARN outside the listed keys', statement: { Effect: 'Allow', Principal: '*', Action: 'kms:*', NotResource: 'arn:aws:kms:*:*:key/*' }, request: request('kms:CreateAlias', { resource: 'arn:aws:kms:us-west-2:111122223333:alias/app' }), expect: 'Allow' },
    { name: 'a statement without Action has no effect (key-policy-overview)', statement: { Effect: 'Allow', Principal: '*', Resource: '*' }, request: request('kms:Decrypt'), expect: 'None' },
    { name: 'a statement without Resource has no effect (key-policy-overview)', statement: { Effect: 'Allow', Principal: '*', Action: 'kms:*' }, request: request('kms:Decrypt'), expect: 'None' },
  ];
  for (const row of rows) {
    it(row.name, () => assert.equal(evaluatePolicy(parsePolicy(keyPolicy(row.statement), 'key'), row.request), row.expect));
  }

  it('a variable stands only for a single-valued key ("You can\'t use a multivalued condition key as a variable")', () => {
    const policy = parsePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/${aws:TagKeys}' }] }, 'identity');
    const get = (resource: string, tags: string[]) => evaluatePolicy(policy, request('s3:GetObject', { resource, context: conditionContext({ 'aws:TagKeys': tags }) }));
    assert.equal(get('arn:aws:s3:::b/x', ['x']), 'Allow');
    assert.equal(get('arn:aws:s3:::b/x', ['x', 'y']), 'None');
  });

  it('an identity policy applies to its holder whatever the principals', () => {
    const policy = parsePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' }] }, 'identity');
    assert.equal(evaluatePolicy(policy, request('kms:Decrypt', { principals: [] })), 'Allow');
  });
});

describe('parsePolicy: the normalised document', () => {
  it('writes every value as a list, account ids as root ARNs and condition values as strings', () => {
    const text = JSON.stringify({
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: {
        Sid: 'One statement, not a list',
        Effect: 'Allow',
        Principal: { AWS: '444455556666', Service: 'ec2.amazonaws.com' },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { NumericLessThanEquals: { 'kms:ValidTo': 1546257599 }, Bool: { 'kms:GrantIsForAWSResource': true }, StringEquals: { 'kms:ViaService': ['a', 'b'] } },
      },
    });
    assert.deepEqual(parsePolicy(text, 'key'), {
      Version: '2012-10-17',
      Id: 'key-default-1',
      Statement: [{
        Sid: 'One statement, not a list',
        Effect: 'Allow',
        Principal: { AWS: ['arn:aws:iam::444455556666:root'], Service: ['ec2.amazonaws.com'] },
        Action: ['kms:Decrypt'],
        Resource: ['*'],
        Condition: { NumericLessThanEquals: { 'kms:ValidTo': ['1546257599'] }, Bool: { 'kms:GrantIsForAWSResource': ['true'] }, StringEquals: { 'kms:ViaService': ['a', 'b'] } },
      }],
    });
  });

  it('keeps Principal "*" as "*" and accepts Version 2008-10-17 and no Version', () => {
    const statement = { Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*' };
    assert.deepEqual(parsePolicy(JSON.stringify({ Version: '2008-10-17', Statement: [statement] }), 'key').Statement[0]?.Principal, '*');
    assert.equal(parsePolicy(JSON.stringify({ Statement: [statement] }), 'key').Version, undefined);
  });

  it('keeps a key named __proto__ as data, not as a prototype', () => {
    const text = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"__proto__":"x"}}}]}';
    const policy = parsePolicy(text, 'key');
    assert.deepEqual(Object.keys(policy.Statement[0]?.Condition?.StringEquals ?? {}), ['__proto__']);
    assert.equal(evaluatePolicy(policy, request('kms:Decrypt', { context: conditionContext(Object.fromEntries([['__proto__', 'x']])) })), 'Allow');
    assert.equal(evaluatePolicy(policy, request('kms:Decrypt')), 'None');
  });
});

interface ErrorRow {
  name: string;
  kind: PolicyKind;
  source: unknown;
  message: string;
}

const S = (statement: object, extra: object = {}) => JSON.stringify({ Version: '2012-10-17', Statement: [statement], ...extra });
const keyStatement = { Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' };
const idStatement = { Effect: 'Allow', Action: 'kms:*', Resource: '*' };
const IAM_SYNTAX = 'Syntax errors in policy.';

describe('parsePolicy: malformed key policies (KMS wording)', () => {
  const rows: ErrorRow[] = [
    { name: 'text that is not JSON', kind: 'key', source: '{"Version": "2012-10-17",', message: messages.keyPolicyNotJson },
    { name: 'a JSON array', kind: 'key', source: '[]', message: messages.keyPolicyNotObject },
    { name: 'a JSON string', kind: 'key', source: '"policy"', message: messages.keyPolicyNotObject },
    { name: 'an unknown top-level element', kind: 'key', source: S(keyStatement, { Extra: 'x' }), message: messages.keyPolicyUnsupportedElement },
    { name: 'an unknown statement element', kind: 'key', source: S({ ...keyStatement, Extra: 'x' }), message: messages.keyPolicyUnsupportedElement },
    { name: 'Version 2013-10-17', kind: 'key', source: JSON.stringify({ Version: '2013-10-17', Statement: [keyStatement] }), message: messages.keyPolicyVersion },
    { name: 'Version as a number', kind: 'key', source: JSON.stringify({ Version: 2012, Statement: [keyStatement] }), message: messages.keyPolicyVersion },
    { name: 'no Statement ("A key policy document must have at least one statement")', kind: 'key', source: '{"Version":"2012-10-17"}', message: messages.keyPolicyNoStatement },
    { name: 'an empty Statement list', kind: 'key', source: '{"Version":"2012-10-17","Statement":[]}', message: messages.keyPolicyNoStatement },
    { name: 'a statement that is a string', kind: 'key', source: '{"Version":"2012-10-17","Statement":["afd"]}', message: messages.keyPolicyMalformedElement },
    { name: 'a missing Effect', kind: 'key', source: S({ Principal: '*', Action: 'kms:*', Resource: '*' }), message: messages.keyPolicyEffect },
    { name: 'Effect "Permit"', kind: 'key', source: S({ ...keyStatement, Effect: 'Permit' }), message: messages.keyPolicyEffect },
    { name: 'Effect "allow" in the wrong case', kind: 'key', source: S({ ...keyStatement, Effect: 'allow' }), message: messages.keyPolicyEffect },
    { name: 'Action and NotAction together', kind: 'key', source: S({ ...keyStatement, NotAction: 'kms:Decrypt' }), message: messages.keyPolicyBothElements('Action', 'NotAction') },
    { name: 'Resource and NotResource together', kind: 'key', source: S({ ...keyStatement, NotResource: '*' }), message: messages.keyPolicyBothElements('Resource', 'NotResource') },
    { name: 'Principal and NotPrincipal together', kind: 'key', source: S({ ...keyStatement, NotPrincipal: { AWS: ROOT } }), message: messages.keyPolicyBothElements('Principal', 'NotPrincipal') },
    { name: 'an Action that is a number', kind: 'key', source: S({ ...keyStatement, Action: 5 }), message: messages.keyPolicyMalformedElement },
    { name: 'a condition operator IAM does not define', kind: 'key', source: S({ ...keyStatement, Condition: { StringEqualsMaybe: { 'kms:CallerAccount': '111122223333' } } }), message: messages.keyPolicyConditionOperator },
    { name: 'NullIfExists ("You can add IfExists to ... any condition operator name except the Null condition")', kind: 'key', source: S({ ...keyStatement, Condition: { NullIfExists: { 'kms:CallerAccount': 'true' } } }), message: messages.keyPolicyConditionOperator },
    { name: 'a condition operator in another case', kind: 'key', source: S({ ...keyStatement, Condition: { stringequals: { 'kms:CallerAccount': '111122223333' } } }), message: messages.keyPolicyConditionOperator },
    { name: 'a condition value that is an object', kind: 'key', source: S({ ...keyStatement, Condition: { StringEquals: { 'kms:CallerAccount': { a: 1 } } } }), message: messages.keyPolicyMalformedElement },
    { name: 'a Condition that is a list', kind: 'key', source: S({ ...keyStatement, Condition: [] }), message: messages.keyPolicyMalformedElement },
    { name: 'no Principal: "Policy contains a statement with no principal." (terraform-aws-eks#2163)', kind: 'key', source: S({ Effect: 'Allow', Action: 'kms:*', Resource: '*' }), message: keyPolicyMessages.noPrincipal },
    { name: 'an empty AWS principal list: no principal', kind: 'key', source: S({ ...keyStatement, Principal: { AWS: [] } }), message: keyPolicyMessages.noPrincipal },
    { name: 'a principal that is not an ARN: "Policy contains a statement with one or more invalid principals." (kms-policy-error-invalid-principals)', kind: 'key', source: S({ ...keyStatement, Principal: { AWS: 'alice' } }), message: keyPolicyMessages.invalidPrincipals },
    { name: 'a wildcard in part of a principal ARN (reference_policies_elements_principal)', kind: 'key', source: S({ ...keyStatement, Principal: { AWS: 'arn:aws:iam::111122223333:user/*' } }), message: keyPolicyMessages.invalidPrincipals },
    { name: 'a user group is not a principal (key-policy-overview)', kind: 'key', source: S({ ...keyStatement, Principal: { AWS: 'arn:aws:iam::111122223333:group/admins' } }), message: keyPolicyMessages.invalidPrincipals },
    { name: 'a principal type the grammar does not define', kind: 'key', source: S({ ...keyStatement, Principal: { Users: 'alice' } }), message: keyPolicyMessages.invalidPrincipals },
    { name: 'a Principal string other than "*"', kind: 'key', source: S({ ...keyStatement, Principal: ROOT }), message: keyPolicyMessages.invalidPrincipals },
    { name: 'aws:ResourceTag is for IAM policies only (awsdocs/aws-kms-developer-guide#47)', kind: 'key', source: S({ ...keyStatement, Condition: { StringEquals: { 'aws:ResourceTag/Project': 'Alpha' } } }), message: keyPolicyMessages.conditionKeysNotPermitted },
    { name: 'kms:ResourceAliases is for IAM policies only (conditions-kms)', kind: 'key', source: S({ ...keyStatement, Condition: { 'ForAnyValue:StringEquals': { 'KMS:ResourceAliases': 'alias/finance-key' } } }), message: keyPolicyMessages.conditionKeysNotPermitted },
    { name: 'ForAllValues with kms:EncryptionContext:<key>: OverlyPermissiveCondition (conditions-kms)', kind: 'key', source: S({ ...keyStatement, Condition: { 'ForAllValues:StringEquals': { 'kms:EncryptionContext:Department': 'IT' } } }), message: keyPolicyMessages.overlyPermissiveEncryptionContext },
    { name: 'ForAllValues with aws:RequestTag/<key>: OverlyPermissiveCondition (conditions-kms)', kind: 'key', source: S({ ...keyStatement, Condition: { 'ForAllValues:StringLike': { 'aws:RequestTag/Project': 'A*' } } }), message: messages.overlyPermissiveRequestTag },
    { name: 'duplicate Sids (kms-policy-error-invalid-principals: "Remove duplicate ... SID values")', kind: 'key', source: keyPolicy(allowAll, allowAll), message: 'Statement IDs (SID) in a single policy must be unique.' },
  ];
  for (const row of rows) {
    it(row.name, () => assert.throws(() => parsePolicy(row.source, row.kind), new MalformedPolicyDocumentException(row.message)));
  }

  it('accepts ForAllValues with kms:EncryptionContextKeys, which is multi-valued', () => {
    assert.doesNotThrow(() => parsePolicy(S({ ...keyStatement, Condition: { 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': 'AppName' } } }), 'key'));
  });
});

describe('parsePolicy: malformed identity policies (IAM wording, recorded by moto test_iam_policies.py)', () => {
  const rows: ErrorRow[] = [
    { name: '"This is not a json document": Syntax errors in policy.', kind: 'identity', source: 'This is not a json document', message: IAM_SYNTAX },
    { name: 'Version 2013-10-17: Syntax errors in policy.', kind: 'identity', source: { Version: '2013-10-17', Statement: idStatement }, message: IAM_SYNTAX },
    { name: 'no Statement: Syntax errors in policy.', kind: 'identity', source: { Version: '2012-10-17' }, message: IAM_SYNTAX },
    { name: 'Statement ["afd"]: Syntax errors in policy.', kind: 'identity', source: { Version: '2012-10-17', Statement: ['afd'] }, message: IAM_SYNTAX },
    { name: 'an extra top-level field: Syntax errors in policy.', kind: 'identity', source: { Version: '2012-10-17', Statement: idStatement, 'Extra field': 'value' }, message: IAM_SYNTAX },
    { name: 'an extra statement field: Syntax errors in policy.', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, 'Extra field': 'value' } }, message: IAM_SYNTAX },
    { name: 'Id as a list: Syntax errors in policy.', kind: 'identity', source: { Version: '2012-10-17', Id: ['x'], Statement: idStatement }, message: IAM_SYNTAX },
    { name: 'Effect "invalid": Syntax errors in policy.', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, Effect: 'invalid' } }, message: IAM_SYNTAX },
    { name: 'Effect "denY": The policy failed legacy parsing', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, Effect: 'denY' } }, message: 'The policy failed legacy parsing' },
    { name: 'a statement without Effect: Syntax errors in policy.', kind: 'identity', source: { Version: '2012-10-17', Statement: { Action: 's3:ListBucket', Resource: 'arn:aws:s3:::example_bucket' } }, message: IAM_SYNTAX },
    { name: 'NotAction with Action: Syntax errors in policy.', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, NotAction: 's3:ListBucket' } }, message: IAM_SYNTAX },
    { name: 'Resource with NotResource: Syntax errors in policy.', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, NotResource: '*' } }, message: IAM_SYNTAX },
    { name: 'Action {}: Syntax errors in policy.', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, Action: {} } }, message: IAM_SYNTAX },
    { name: 'Action [[]]: Syntax errors in policy.', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, Action: [[]] } }, message: IAM_SYNTAX },
    { name: 'Condition "a": Syntax errors in policy.', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, Condition: 'a' } }, message: IAM_SYNTAX },
    { name: 'Condition {"a": "b"}: Syntax errors in policy.', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, Condition: { a: 'b' } } }, message: IAM_SYNTAX },
    { name: 'Condition {"x": {"a": "1"}}: Syntax errors in policy.', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, Condition: { x: { a: '1' } } } }, message: IAM_SYNTAX },
    { name: 'Condition ForAnyValue::StringEqualsIfExists: Syntax errors in policy.', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, Condition: { 'ForAnyValue::StringEqualsIfExists': { a: 'asf' } } } }, message: IAM_SYNTAX },
    { name: 'Sid {}: Syntax errors in policy.', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, Sid: {} } }, message: IAM_SYNTAX },
    { name: 'a Principal: Policy document should not specify a principal.', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, Principal: '*' } }, message: 'Policy document should not specify a principal.' },
    { name: 'Statement {"Effect": "Allow"}: Policy statement must contain actions.', kind: 'identity', source: { Version: '2012-10-17', Statement: { Effect: 'Allow' } }, message: 'Policy statement must contain actions.' },
    { name: 'Action []: Policy statement must contain actions.', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, Action: [] } }, message: 'Policy statement must contain actions.' },
    { name: 'no Resource: Policy statement must contain resources.', kind: 'identity', source: { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 's3:ListBucket' } }, message: 'Policy statement must contain resources.' },
    { name: 'duplicate Sids: Statement IDs (SID) in a single policy must be unique.', kind: 'identity', source: { Version: '2012-10-17', Statement: [{ ...idStatement, Sid: 'sdf' }, { Sid: 'sdf', Effect: 'Allow' }] }, message: 'Statement IDs (SID) in a single policy must be unique.' },
    { name: 'Action "invalid": Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, Action: 'invalid' } }, message: 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.' },
    { name: 'Action "s3:List:Bucket": Actions/Condition can contain only one colon.', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, Action: 's3:List:Bucket' } }, message: 'Actions/Condition can contain only one colon.' },
    { name: 'Action "a a:ListBucket": Vendor a a is not valid', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, Action: 'a a:ListBucket' } }, message: 'Vendor a a is not valid' },
    { name: 'Resource "invalid resource": must be in ARN format or "*".', kind: 'identity', source: { Version: '2012-10-17', Statement: { ...idStatement, Resource: 'invalid resource' } }, message: 'Resource invalid resource must be in ARN format or "*".' },
  ];
  for (const row of rows) {
    it(row.name, () => assert.throws(() => parsePolicy(row.source, row.kind), new MalformedPolicyDocumentException(row.message)));
  }

  it('accepts moto\'s valid documents: "iam: asdf safdsf af ", Resource ["arn:...", "*"], Condition {}', () => {
    for (const statement of [
      { Effect: 'Allow', Action: 'iam: asdf safdsf af ', Resource: 'arn:aws:s3:::example_bucket' },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: ['arn:aws:s3:::example_bucket', '*'] },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::example_bucket', Condition: {} },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::example_bucket', Condition: { DateGreaterThan: { a: [] } } },
    ]) {
      assert.doesNotThrow(() => parsePolicy({ Version: '2012-10-17', Statement: statement }, 'identity'));
    }
  });
});

describe('parsePolicy: the key policy size limit, 32768 bytes of the text as sent (key-policy-overview)', () => {
  /** A valid key policy of exactly `bytes` UTF-8 bytes, padded in its Sid with `pad`. */
  function policyOf(bytes: number, pad: string): string {
    const empty = keyPolicy({ ...allowAll, Sid: '' });
    const padBytes = Buffer.byteLength(pad, 'utf8');
    const room = bytes - Buffer.byteLength(empty, 'utf8');
    const text = keyPolicy({ ...allowAll, Sid: pad.repeat(Math.floor(room / padBytes)) + 'x'.repeat(room % padBytes) });
    assert.equal(Buffer.byteLength(text, 'utf8'), bytes);
    return text;
  }

  it('accepts 32768 bytes', () => assert.doesNotThrow(() => parsePolicy(policyOf(KEY_POLICY_MAX_BYTES, 'x'), 'key')));
  it('refuses 32769 bytes with LimitExceededException, as CreateKey and PutKeyPolicy document', () => {
    assert.throws(() => parsePolicy(policyOf(KEY_POLICY_MAX_BYTES + 1, 'x'), 'key'), new LimitExceededException(messages.keyPolicyTooLarge(KEY_POLICY_MAX_BYTES)));
  });
  it('counts bytes, not characters: 32769 bytes of Latin-1 letters are too many', () => {
    const text = policyOf(KEY_POLICY_MAX_BYTES + 1, 'é');
    assert.ok(text.length <= KEY_POLICY_MAX_BYTES);
    assert.throws(() => parsePolicy(text, 'key'), LimitExceededException);
  });
  it('does not limit identity policies', () => assert.doesNotThrow(() => parsePolicy(policyOf(KEY_POLICY_MAX_BYTES + 1, 'x').replace(/"Principal":\{[^}]*\},/, ''), 'identity')));
});

describe('parsePolicy: principals that must exist', () => {
  const policy = keyPolicy(
    { Sid: 'a', Effect: 'Allow', Principal: { AWS: [ROOT, 'arn:aws:iam::111122223333:user/alice', '444455556666'] }, Action: 'kms:*', Resource: '*' },
    { Sid: 'b', Effect: 'Deny', NotPrincipal: { AWS: 'arn:aws:iam::111122223333:role/admin', Service: 'ec2.amazonaws.com' }, Action: 'kms:ScheduleKeyDeletion', Resource: '*' },
    { Sid: 'c', Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:DescribeKey', Resource: '*' },
  );

  it('asks about every named user and role, never "*" or account roots', () => {
    const asked: string[] = [];
    parsePolicy(policy, 'key', (arn) => (asked.push(arn), true));
    assert.deepEqual(asked, ['arn:aws:iam::111122223333:user/alice', 'arn:aws:iam::111122223333:role/admin']);
  });

  it('an unknown principal is an invalid principal (PutKeyPolicy "The principals in the key policy must exist")', () => {
    assert.throws(
      () => parsePolicy(policy, 'key', (arn) => !arn.endsWith('user/alice')),
      new MalformedPolicyDocumentException(keyPolicyMessages.invalidPrincipals),
    );
  });

  it('principalsNamed lists the AWS principals of Principal and NotPrincipal, account roots included', () => {
    assert.deepEqual(principalsNamed(parsePolicy(policy, 'key')), [
      ROOT,
      'arn:aws:iam::111122223333:user/alice',
      'arn:aws:iam::444455556666:root',
      'arn:aws:iam::111122223333:role/admin',
    ]);
  });
});

describe('conditionContext', () => {
  it('lower-cases keys, lists single values, and leaves out undefined and empty lists', () => {
    assert.deepEqual(
      [...conditionContext({ 'kms:CallerAccount': '111122223333', 'kms:EncryptionContextKeys': ['a', 'b'], 'aws:username': undefined, 'kms:GrantOperations': [] })],
      [['kms:calleraccount', ['111122223333']], ['kms:encryptioncontextkeys', ['a', 'b']]],
    );
  });
  it('pools the values of keys that differ only in case', () => {
    assert.deepEqual([...conditionContext({ 'kms:EncryptionContext:Dept': 'a', 'kms:EncryptionContext:dept': 'b' })], [['kms:encryptioncontext:dept', ['a', 'b']]]);
  });
});
