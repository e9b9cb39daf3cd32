/**
 * Every condition operator of the IAM User Guide's "IAM JSON policy elements: Condition
 * operators", each with rows that hold, rows that fail, and the absent key; the set operators and
 * missing keys as "Creating a condition with multiple keys or values" lays them out; policy
 * variables as "IAM policy elements: Variables and tags" does; and the wildcard matcher.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionContext } from '../../src/domain/policies.js';
import {
  compileArnPattern,
  conditionsHold,
  parseDate,
  parseOperator,
  wildcardMatch,
  type VariableResolver,
} from '../../src/domain/policy-conditions.js';

interface Row {
  name: string;
  condition: Record<string, Record<string, string[]>>;
  /** The request's condition values; a key left out is absent. */
  request: Record<string, string | string[]>;
  holds: boolean;
}

const resolverOf = (request: Record<string, string | string[]>): VariableResolver => {
  const context = conditionContext(request);
  return (name) => {
    const values = context.get(name);
    return values?.length === 1 ? values[0] : undefined;
  };
};

function table(title: string, rows: Row[]): void {
  describe(title, () => {
    for (const row of rows) {
      it(row.name, () => assert.equal(conditionsHold(row.condition, conditionContext(row.request), resolverOf(row.request)), row.holds));
    }
  });
}

const c = (operator: string, key: string, ...values: string[]) => ({ [operator]: { [key]: values } });

table('String operators (Conditions_String)', [
  { name: 'StringEquals: same value holds', condition: c('StringEquals', 'aws:PrincipalTag/job-category', 'iamuser-admin'), request: { 'aws:PrincipalTag/job-category': 'iamuser-admin' }, holds: true },
  { name: 'StringEquals: "exact matching, case sensitive"', condition: c('StringEquals', 'aws:PrincipalTag/job-category', 'iamuser-admin'), request: { 'aws:PrincipalTag/job-category': 'IAMUser-Admin' }, holds: false },
  { name: 'StringEquals: wildcards are literal', condition: c('StringEquals', 'k', 'a*'), request: { k: 'abc' }, holds: false },
  { name: 'StringEquals: absent key is false', condition: c('StringEquals', 'aws:PrincipalTag/job-category', 'iamuser-admin'), request: {}, holds: false },
  { name: 'StringEquals: several values are ORed', condition: c('StringEquals', 'k', 'a', 'b'), request: { k: 'b' }, holds: true },
  { name: 'StringEquals: the condition key is case-insensitive', condition: c('StringEquals', 'AWS:PrincipalTag/Job-Category', 'x'), request: { 'aws:principaltag/job-category': 'x' }, holds: true },
  { name: 'StringEqualsIfExists: absent key holds', condition: c('StringEqualsIfExists', 'k', 'a'), request: {}, holds: true },
  { name: 'StringEqualsIfExists: present key is still compared', condition: c('StringEqualsIfExists', 'k', 'a'), request: { k: 'b' }, holds: false },
  { name: 'StringNotEquals: another value holds', condition: c('StringNotEquals', 'k', 'a'), request: { k: 'b' }, holds: true },
  { name: 'StringNotEquals: the same value fails', condition: c('StringNotEquals', 'k', 'a'), request: { k: 'a' }, holds: false },
  { name: 'StringNotEquals: absent key holds ("the right key is not present, the condition is true")', condition: c('StringNotEquals', 'k', 'a'), request: {}, holds: true },
  { name: 'StringNotEquals: several values act as AND (NOR of the matches)', condition: c('StringNotEquals', 'k', 'a', 'b'), request: { k: 'b' }, holds: false },
  { name: 'StringNotEqualsIfExists: absent key holds', condition: c('StringNotEqualsIfExists', 'k', 'a'), request: {}, holds: true },
  { name: 'StringEqualsIgnoreCase: "exact matching, ignoring case"', condition: c('StringEqualsIgnoreCase', 'k', 'Finance'), request: { k: 'FINANCE' }, holds: true },
  { name: 'StringEqualsIgnoreCase: another value fails', condition: c('StringEqualsIgnoreCase', 'k', 'Finance'), request: { k: 'HR' }, holds: false },
  { name: 'StringEqualsIgnoreCase: absent key is false', condition: c('StringEqualsIgnoreCase', 'k', 'Finance'), request: {}, holds: false },
  { name: 'StringNotEqualsIgnoreCase: the same value in another case fails', condition: c('StringNotEqualsIgnoreCase', 'k', 'Finance'), request: { k: 'finance' }, holds: false },
  { name: 'StringNotEqualsIgnoreCase: another value holds', condition: c('StringNotEqualsIgnoreCase', 'k', 'Finance'), request: { k: 'HR' }, holds: true },
  { name: 'StringNotEqualsIgnoreCase: absent key holds', condition: c('StringNotEqualsIgnoreCase', 'k', 'Finance'), request: {}, holds: true },
  { name: 'StringLike: * matches any run of characters', condition: c('StringLike', 's3:prefix', 'home/*'), request: { 's3:prefix': 'home/David/docs' }, holds: true },
  { name: 'StringLike: ? matches one character', condition: c('StringLike', 'k', 'RSA_?048'), request: { k: 'RSA_2048' }, holds: true },
  { name: 'StringLike: ? does not match two', condition: c('StringLike', 'k', 'RSA_?48'), request: { k: 'RSA_2048' }, holds: false },
  { name: 'StringLike: ? matches one character outside the BMP', condition: c('StringLike', 'k', 'a?b'), request: { k: 'a😀b' }, holds: true },
  { name: 'StringLike: "case-sensitive matching"', condition: c('StringLike', 'k', 'RSA*'), request: { k: 'rsa_2048' }, holds: false },
  { name: 'StringLike: "You must specify wildcards to achieve partial string matches"', condition: c('StringLike', 'k', 'home/'), request: { k: 'home/David/' }, holds: false },
  { name: 'StringLike: an empty pattern matches the empty string', condition: c('StringLike', 's3:prefix', ''), request: { 's3:prefix': '' }, holds: true },
  { name: 'StringLike: absent key is false', condition: c('StringLike', 'k', '*'), request: {}, holds: false },
  { name: 'StringNotLike: a value outside the pattern holds', condition: c('StringNotLike', 'k', 'RSA*'), request: { k: 'ECC_NIST_P256' }, holds: true },
  { name: 'StringNotLike: a value inside fails', condition: c('StringNotLike', 'k', 'RSA*'), request: { k: 'RSA_2048' }, holds: false },
  { name: 'StringNotLike: absent key holds', condition: c('StringNotLike', 'k', 'RSA*'), request: {}, holds: true },
  { name: 'StringLikeIfExists: absent key holds', condition: c('StringLikeIfExists', 'ec2:InstanceType', 't2.*'), request: {}, holds: true },
]);

table('Numeric operators (Conditions_Numeric)', [
  { name: 'NumericEquals: 10 equals 10.0', condition: c('NumericEquals', 'n', '10'), request: { n: '10.0' }, holds: true },
  { name: 'NumericEquals: 10 is not 11', condition: c('NumericEquals', 'n', '10'), request: { n: '11' }, holds: false },
  { name: 'NumericEquals: a request value that is not a number fails', condition: c('NumericEquals', 'n', '10'), request: { n: 'ten' }, holds: false },
  { name: 'NumericEquals: a policy value that is not a number matches nothing', condition: c('NumericEquals', 'n', 'ten'), request: { n: 'ten' }, holds: false },
  { name: 'NumericEquals: absent key is false', condition: c('NumericEquals', 'n', '10'), request: {}, holds: false },
  { name: 'NumericNotEquals: 11 is not 10', condition: c('NumericNotEquals', 'n', '10'), request: { n: '11' }, holds: true },
  { name: 'NumericNotEquals: 10 fails', condition: c('NumericNotEquals', 'n', '10'), request: { n: '10' }, holds: false },
  { name: 'NumericNotEquals: absent key holds', condition: c('NumericNotEquals', 'n', '10'), request: {}, holds: true },
  { name: 'NumericLessThan: 9 < 10', condition: c('NumericLessThan', 'n', '10'), request: { n: '9' }, holds: true },
  { name: 'NumericLessThan: 10 is not < 10', condition: c('NumericLessThan', 'n', '10'), request: { n: '10' }, holds: false },
  { name: 'NumericLessThanEquals: 10 <= 10 (s3:max-keys example)', condition: c('NumericLessThanEquals', 's3:max-keys', '10'), request: { 's3:max-keys': '10' }, holds: true },
  { name: 'NumericLessThanEquals: 10.5 is not <= 10', condition: c('NumericLessThanEquals', 's3:max-keys', '10'), request: { 's3:max-keys': '10.5' }, holds: false },
  { name: 'NumericGreaterThan: -1 > -2', condition: c('NumericGreaterThan', 'n', '-2'), request: { n: '-1' }, holds: true },
  { name: 'NumericGreaterThan: 2 is not > 2', condition: c('NumericGreaterThan', 'n', '2'), request: { n: '2' }, holds: false },
  { name: 'NumericGreaterThanEquals: 2 >= 2', condition: c('NumericGreaterThanEquals', 'n', '2'), request: { n: '2' }, holds: true },
  { name: 'NumericGreaterThanEquals: 1.99 is not >= 2', condition: c('NumericGreaterThanEquals', 'n', '2'), request: { n: '1.99' }, holds: false },
  { name: 'NumericLessThanIfExists: absent key holds', condition: c('NumericLessThanIfExists', 'n', '10'), request: {}, holds: true },
  { name: '"You can not use a policy variable with the Numeric condition operator": ${n} is literal', condition: c('NumericEquals', 'n', '${m}'), request: { n: '5', m: '5' }, holds: false },
]);

table('Date operators (Conditions_Date): ISO 8601 and epoch seconds', [
  { name: 'DateEquals: the same moment in ISO 8601 and epoch seconds', condition: c('DateEquals', 'aws:CurrentTime', '2020-01-01T00:00:00Z'), request: { 'aws:CurrentTime': '1577836800' }, holds: true },
  { name: 'DateEquals: the same moment with an offset', condition: c('DateEquals', 'aws:CurrentTime', '2020-01-01T00:00:00Z'), request: { 'aws:CurrentTime': '2020-01-01T01:00:00+01:00' }, holds: true },
  { name: 'DateEquals: one second apart fails', condition: c('DateEquals', 'aws:CurrentTime', '2020-01-01T00:00:00Z'), request: { 'aws:CurrentTime': '2020-01-01T00:00:01Z' }, holds: false },
  { name: 'DateEquals: a date alone is its midnight UTC', condition: c('DateEquals', 'aws:CurrentTime', '2020-01-01'), request: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' }, holds: true },
  { name: 'DateEquals: absent key is false', condition: c('DateEquals', 'aws:CurrentTime', '2020-01-01'), request: {}, holds: false },
  { name: 'DateNotEquals: another moment holds', condition: c('DateNotEquals', 'aws:CurrentTime', '2020-01-01T00:00:00Z'), request: { 'aws:CurrentTime': '2021-01-01T00:00:00Z' }, holds: true },
  { name: 'DateNotEquals: the same moment fails', condition: c('DateNotEquals', 'aws:CurrentTime', '2020-01-01T00:00:00Z'), request: { 'aws:CurrentTime': '2020-01-01T00:00:00.000Z' }, holds: false },
  { name: 'DateNotEquals: absent key holds', condition: c('DateNotEquals', 'aws:CurrentTime', '2020-01-01'), request: {}, holds: true },
  { name: 'DateLessThan: 2017-12-31T23:59:58Z before 2017-12-31T23:59:59Z', condition: c('DateLessThan', 'aws:CurrentTime', '2017-12-31T23:59:59Z'), request: { 'aws:CurrentTime': '2017-12-31T23:59:58Z' }, holds: true },
  { name: 'DateLessThan: the same moment fails', condition: c('DateLessThan', 'aws:CurrentTime', '2017-12-31T23:59:59Z'), request: { 'aws:CurrentTime': '2017-12-31T23:59:59Z' }, holds: false },
  { name: 'DateLessThanEquals: the same moment holds', condition: c('DateLessThanEquals', 'aws:CurrentTime', '2017-12-31T23:59:59Z'), request: { 'aws:CurrentTime': '2017-12-31T23:59:59Z' }, holds: true },
  { name: 'DateLessThanEquals: a millisecond later fails', condition: c('DateLessThanEquals', 'aws:CurrentTime', '2017-12-31T23:59:59Z'), request: { 'aws:CurrentTime': '2017-12-31T23:59:59.001Z' }, holds: false },
  { name: 'DateGreaterThan: aws:EpochTime after 2017-07-01', condition: c('DateGreaterThan', 'aws:EpochTime', '2017-07-01T00:00:00Z'), request: { 'aws:EpochTime': '1498867201' }, holds: true },
  { name: 'DateGreaterThan: the moment itself fails', condition: c('DateGreaterThan', 'aws:EpochTime', '2017-07-01T00:00:00Z'), request: { 'aws:EpochTime': '1498867200' }, holds: false },
  { name: 'DateGreaterThanEquals: the moment itself holds', condition: c('DateGreaterThanEquals', 'aws:EpochTime', '1498867200'), request: { 'aws:EpochTime': '2017-07-01T00:00:00Z' }, holds: true },
  { name: 'DateGreaterThanEquals: a request value that is not a date fails', condition: c('DateGreaterThanEquals', 'aws:CurrentTime', '2017-07-01'), request: { 'aws:CurrentTime': 'yesterday' }, holds: false },
  { name: 'DateGreaterThan: a policy value that is not a date matches nothing', condition: c('DateGreaterThan', 'aws:CurrentTime', 'sdfdsf'), request: { 'aws:CurrentTime': '2017-07-01' }, holds: false },
  { name: 'DateLessThanIfExists: absent key holds', condition: c('DateLessThanIfExists', 'aws:TokenIssueTime', '2020-01-01'), request: {}, holds: true },
]);

table('Bool, BinaryEquals, IP address, ARN and Null operators', [
  { name: 'Bool: "true" matches true', condition: c('Bool', 'aws:SecureTransport', 'true'), request: { 'aws:SecureTransport': 'true' }, holds: true },
  { name: 'Bool: "false" does not match true', condition: c('Bool', 'aws:SecureTransport', 'false'), request: { 'aws:SecureTransport': 'true' }, holds: false },
  { name: 'Bool: absent key is false', condition: c('Bool', 'aws:SecureTransport', 'false'), request: {}, holds: false },
  { name: 'Bool: a policy value that is not a boolean matches nothing', condition: c('Bool', 'k', 'yes'), request: { k: 'yes' }, holds: false },
  { name: 'BoolIfExists: absent key holds', condition: c('BoolIfExists', 'aws:MultiFactorAuthPresent', 'false'), request: {}, holds: true },
  { name: 'Bool: a policy variable is resolved ("You can use a policy variable with the Boolean condition operator")', condition: c('Bool', 'k', '${other}'), request: { k: 'true', other: 'true' }, holds: true },
  { name: 'BinaryEquals: the same bytes', condition: c('BinaryEquals', 'key', 'QmluYXJ5VmFsdWVJbkJhc2U2NA=='), request: { key: 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' }, holds: true },
  { name: 'BinaryEquals: other bytes fail', condition: c('BinaryEquals', 'key', 'QmluYXJ5VmFsdWVJbkJhc2U2NA=='), request: { key: 'AAAA' }, holds: false },
  { name: 'BinaryEquals: a request value that is not base64 fails', condition: c('BinaryEquals', 'key', 'AAAA'), request: { key: 'AA*A' }, holds: false },
  { name: 'BinaryEquals: a request value with a space is not base64, though a lenient decoder reads the same bytes', condition: c('BinaryEquals', 'key', 'AAAA'), request: { key: 'AA AA' }, holds: false },
  { name: 'BinaryEquals: absent key is false', condition: c('BinaryEquals', 'key', 'AAAA'), request: {}, holds: false },
  { name: 'BinaryEqualsIfExists: absent key holds', condition: c('BinaryEqualsIfExists', 'key', 'AAAA'), request: {}, holds: true },
  { name: 'IpAddress: inside 203.0.113.0/24', condition: c('IpAddress', 'aws:SourceIp', '203.0.113.0/24'), request: { 'aws:SourceIp': '203.0.113.200' }, holds: true },
  { name: 'IpAddress: outside 203.0.113.0/24', condition: c('IpAddress', 'aws:SourceIp', '203.0.113.0/24'), request: { 'aws:SourceIp': '198.51.100.1' }, holds: false },
  { name: 'IpAddress: "without the associated routing prefix, IAM uses ... /32"', condition: c('IpAddress', 'aws:SourceIp', '203.0.113.7'), request: { 'aws:SourceIp': '203.0.113.8' }, holds: false },
  { name: 'IpAddress: the single address itself', condition: c('IpAddress', 'aws:SourceIp', '203.0.113.7'), request: { 'aws:SourceIp': '203.0.113.7' }, holds: true },
  { name: 'IpAddress: 2001:DB8:1234:5678::/64 contains 2001:db8:1234:5678:ffff::1', condition: c('IpAddress', 'aws:SourceIp', '2001:DB8:1234:5678::/64'), request: { 'aws:SourceIp': '2001:db8:1234:5678:ffff::1' }, holds: true },
  { name: 'IpAddress: an IPv4 address is not in an IPv6 range', condition: c('IpAddress', 'aws:SourceIp', '2001:DB8::/32'), request: { 'aws:SourceIp': '203.0.113.7' }, holds: false },
  { name: 'IpAddress: a prefix beyond /32 is no range', condition: c('IpAddress', 'aws:SourceIp', '203.0.113.0/33'), request: { 'aws:SourceIp': '203.0.113.7' }, holds: false },
  { name: 'IpAddress: absent key is false', condition: c('IpAddress', 'aws:SourceIp', '0.0.0.0/0'), request: {}, holds: false },
  { name: 'NotIpAddress: outside the range holds', condition: c('NotIpAddress', 'aws:SourceIp', '203.0.113.0/24'), request: { 'aws:SourceIp': '198.51.100.1' }, holds: true },
  { name: 'NotIpAddress: inside the range fails', condition: c('NotIpAddress', 'aws:SourceIp', '203.0.113.0/24'), request: { 'aws:SourceIp': '203.0.113.1' }, holds: false },
  { name: 'NotIpAddress: absent key holds', condition: c('NotIpAddress', 'aws:SourceIp', '203.0.113.0/24'), request: {}, holds: true },
  { name: 'ArnEquals: the same ARN', condition: c('ArnEquals', 'aws:SourceArn', 'arn:aws:sns:us-east-2:123456789012:TOPIC-ID'), request: { 'aws:SourceArn': 'arn:aws:sns:us-east-2:123456789012:TOPIC-ID' }, holds: true },
  { name: 'ArnEquals: wildcards work as in ArnLike ("behave identically")', condition: c('ArnEquals', 'aws:SourceArn', 'arn:aws:sns:*:123456789012:*'), request: { 'aws:SourceArn': 'arn:aws:sns:us-east-2:123456789012:TOPIC-ID' }, holds: true },
  { name: 'ArnLike: "case-sensitive matching of the ARN"', condition: c('ArnLike', 'aws:SourceArn', 'arn:aws:sns:*:123456789012:topic-id'), request: { 'aws:SourceArn': 'arn:aws:sns:us-east-2:123456789012:TOPIC-ID' }, holds: false },
  { name: 'ArnLike: the last segment keeps its colons', condition: c('ArnLike', 'aws:SourceArn', 'arn:aws:someservice:*:111122223333:store/*'), request: { 'aws:SourceArn': 'arn:aws:someservice:us-east-2:111122223333:store/abc:x' }, holds: true },
  { name: 'ArnLike: absent key is false', condition: c('ArnLike', 'aws:SourceArn', '*'), request: {}, holds: false },
  { name: 'ArnNotEquals: another ARN holds', condition: c('ArnNotEquals', 'aws:SourceArn', 'arn:aws:sns:us-east-2:123456789012:TOPIC-ID'), request: { 'aws:SourceArn': 'arn:aws:sns:us-east-2:123456789012:OTHER' }, holds: true },
  { name: 'ArnNotEquals: the same ARN fails', condition: c('ArnNotEquals', 'aws:SourceArn', 'arn:aws:sns:us-east-2:123456789012:TOPIC-ID'), request: { 'aws:SourceArn': 'arn:aws:sns:us-east-2:123456789012:TOPIC-ID' }, holds: false },
  { name: 'ArnNotLike: outside the pattern holds', condition: c('ArnNotLike', 'aws:PrincipalArn', 'arn:aws:iam::*:role/admin-*'), request: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/dev' }, holds: true },
  { name: 'ArnNotLike: inside the pattern fails', condition: c('ArnNotLike', 'aws:PrincipalArn', 'arn:aws:iam::*:role/admin-*'), request: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/admin-1' }, holds: false },
  { name: 'ArnNotLike: absent key holds', condition: c('ArnNotLike', 'aws:PrincipalArn', 'arn:aws:iam::*:role/admin-*'), request: {}, holds: true },
  { name: 'ArnLike: a policy variable ${aws:PrincipalAccount} in the account segment', condition: c('ArnLike', 'aws:SourceArn', 'arn:aws:sns:*:${aws:PrincipalAccount}:*'), request: { 'aws:SourceArn': 'arn:aws:sns:us-east-2:123456789012:T', 'aws:PrincipalAccount': '123456789012' }, holds: true },
  { name: 'ArnLike: a variable value with colons stays within its segment', condition: c('ArnLike', 'aws:SourceArn', 'arn:aws:sns:${x}:*'), request: { 'aws:SourceArn': 'arn:aws:sns:a:b:c', x: 'a:b' }, holds: false },
  { name: 'Null true: absent key holds', condition: c('Null', 'aws:TokenIssueTime', 'true'), request: {}, holds: true },
  { name: 'Null true: present key fails', condition: c('Null', 'aws:TokenIssueTime', 'true'), request: { 'aws:TokenIssueTime': '2020-01-01' }, holds: false },
  { name: 'Null false: present key holds', condition: c('Null', 'kms:EncryptionContextKeys', 'false'), request: { 'kms:EncryptionContextKeys': ['a'] }, holds: true },
  { name: 'Null false: absent key fails', condition: c('Null', 'kms:EncryptionContextKeys', 'false'), request: {}, holds: false },
]);

table('Set operators on multivalued keys (reference_policies_multi-value-conditions)', [
  { name: 'ForAnyValue:StringEquals: one request value matches', condition: c('ForAnyValue:StringEquals', 'aws:TagKeys', 'a', 'b'), request: { 'aws:TagKeys': ['x', 'b'] }, holds: true },
  { name: 'ForAnyValue:StringEquals: none matches', condition: c('ForAnyValue:StringEquals', 'aws:TagKeys', 'a', 'b'), request: { 'aws:TagKeys': ['x', 'y'] }, holds: false },
  { name: 'ForAnyValue:StringEquals: absent key is false ("For no matching key ... the condition returns false")', condition: c('ForAnyValue:StringEquals', 'aws:TagKeys', 'a'), request: {}, holds: false },
  { name: 'ForAllValues:StringEquals: every request value matches', condition: c('ForAllValues:StringEquals', 'aws:TagKeys', 'a', 'b', 'c'), request: { 'aws:TagKeys': ['a', 'c'] }, holds: true },
  { name: 'ForAllValues:StringEquals: one request value matches nothing', condition: c('ForAllValues:StringEquals', 'aws:TagKeys', 'a', 'b'), request: { 'aws:TagKeys': ['a', 'x'] }, holds: false },
  { name: 'ForAllValues:StringEquals: absent key holds ("It also returns true if there are no keys in the request")', condition: c('ForAllValues:StringEquals', 'aws:TagKeys', 'a'), request: {}, holds: true },
  { name: 'ForAllValues:StringEquals: an empty list is an empty data set, true', condition: c('ForAllValues:StringEquals', 'aws:TagKeys', 'a'), request: { 'aws:TagKeys': [] }, holds: true },
  { name: 'ForAnyValue:StringNotEquals: a request value outside the policy values holds', condition: c('ForAnyValue:StringNotEquals', 'aws:TagKeys', 'a', 'b'), request: { 'aws:TagKeys': ['a', 'x'] }, holds: true },
  { name: 'ForAnyValue:StringNotEquals: every request value listed fails', condition: c('ForAnyValue:StringNotEquals', 'aws:TagKeys', 'a', 'b'), request: { 'aws:TagKeys': ['a', 'b'] }, holds: false },
  { name: 'ForAnyValue:StringNotEquals: absent key is false', condition: c('ForAnyValue:StringNotEquals', 'aws:TagKeys', 'a'), request: {}, holds: false },
  { name: 'ForAllValues:StringNotEquals: no request value listed holds', condition: c('ForAllValues:StringNotEquals', 'aws:TagKeys', 'a', 'b'), request: { 'aws:TagKeys': ['x', 'y'] }, holds: true },
  { name: 'ForAllValues:StringNotEquals: one request value listed fails', condition: c('ForAllValues:StringNotEquals', 'aws:TagKeys', 'a', 'b'), request: { 'aws:TagKeys': ['x', 'b'] }, holds: false },
  { name: 'ForAllValues:StringNotEquals: absent key holds', condition: c('ForAllValues:StringNotEquals', 'aws:TagKeys', 'a'), request: {}, holds: true },
  { name: 'ForAnyValue:StringLikeIfExists: absent key holds (IfExists)', condition: c('ForAnyValue:StringLikeIfExists', 'aws:TagKeys', 'a*'), request: {}, holds: true },
  { name: 'ForAnyValue:StringLikeIfExists: present key is still compared', condition: c('ForAnyValue:StringLikeIfExists', 'aws:TagKeys', 'a*'), request: { 'aws:TagKeys': ['b'] }, holds: false },
  { name: 'ForAllValues:NumericLessThan: every value below 10', condition: c('ForAllValues:NumericLessThan', 'n', '10'), request: { n: ['1', '9'] }, holds: true },
  { name: 'ForAnyValue:IpAddress: one address in the range', condition: c('ForAnyValue:IpAddress', 'ips', '10.0.0.0/8'), request: { ips: ['192.0.2.1', '10.1.2.3'] }, holds: true },
  { name: 'no set operator, several request values: holds when any matches', condition: c('StringEquals', 'aws:TagKeys', 'a'), request: { 'aws:TagKeys': ['x', 'a'] }, holds: true },
  { name: 'no set operator, negated, several request values: fails when any matches', condition: c('StringNotEquals', 'aws:TagKeys', 'a'), request: { 'aws:TagKeys': ['x', 'a'] }, holds: false },
]);

table('Several keys and operators are ANDed (reference_policies_multi-value-conditions)', [
  { name: 'two keys under one operator, both hold', condition: { StringEquals: { a: ['1'], b: ['2'] } }, request: { a: '1', b: '2' }, holds: true },
  { name: 'two keys under one operator, one fails', condition: { StringEquals: { a: ['1'], b: ['2'] } }, request: { a: '1', b: '3' }, holds: false },
  { name: 'two operators, both hold', condition: { StringEquals: { a: ['1'] }, NumericLessThan: { n: ['5'] } }, request: { a: '1', n: '4' }, holds: true },
  { name: 'two operators, one fails', condition: { StringEquals: { a: ['1'] }, NumericLessThan: { n: ['5'] } }, request: { a: '1', n: '6' }, holds: false },
  { name: 'an empty Condition holds', condition: {}, request: {}, holds: true },
  { name: 'an operator with no keys holds', condition: { StringEquals: {} }, request: {}, holds: true },
  { name: 'a key with no policy values: positive fails', condition: { StringEquals: { a: [] } }, request: { a: '1' }, holds: false },
  { name: 'an operator this module does not know never holds', condition: { StringEqualsMaybe: { a: ['1'] } }, request: { a: '1' }, holds: false },
]);

table('Policy variables in condition values (reference_policies_variables)', [
  { name: '${aws:username} resolves (the variable name is case-insensitive)', condition: c('StringEquals', 'kms:EncryptionContext:user', '${AWS:UserName}'), request: { 'aws:username': 'bob', 'kms:EncryptionContext:user': 'bob' }, holds: true },
  { name: '${aws:userid}, the unique id of a role session, in a key', condition: c('StringEquals', 'kms:EncryptionContext:owner', '${aws:userid}'), request: { 'aws:userid': 'AROAEXAMPLEID:alice', 'kms:EncryptionContext:owner': 'AROAEXAMPLEID:alice' }, holds: true },
  { name: 'a variable inside a StringLike pattern', condition: c('StringLike', 's3:prefix', 'home/${aws:username}/*'), request: { 'aws:username': 'bob', 's3:prefix': 'home/bob/docs' }, holds: true },
  { name: 'a resolved value is literal: user a* does not match abc', condition: c('StringLike', 'k', '${aws:username}'), request: { 'aws:username': 'a*', k: 'abc' }, holds: false },
  { name: 'a variable with no value is null, not empty: a${aws:username}* does not match abc', condition: c('StringLike', 'k', 'a${aws:username}*'), request: { k: 'abc' }, holds: false },
  { name: 'a variable with no value makes StringEquals fail', condition: c('StringEquals', 'k', '${aws:username}'), request: { k: '${aws:username}' }, holds: false },
  { name: '"Inverted condition operators like StringNotEquals ... do match against a null value"', condition: c('StringNotEquals', 'k', '${aws:username}'), request: { k: 'x' }, holds: true },
  { name: 'the default value stands in for a missing key', condition: c('StringEquals', 'k', "${aws:PrincipalTag/team, 'company-wide'}"), request: { k: 'company-wide' }, holds: true },
  { name: 'the default value is not used when the key has a value', condition: c('StringEquals', 'k', "${aws:PrincipalTag/team, 'company-wide'}"), request: { k: 'company-wide', 'aws:PrincipalTag/team': 'yellow' }, holds: false },
  { name: '${*} is a literal * in StringLike', condition: c('StringLike', 'k', 'a${*}'), request: { k: 'a*' }, holds: true },
  { name: '${*} is not a wildcard', condition: c('StringLike', 'k', 'a${*}'), request: { k: 'abc' }, holds: false },
  { name: '${?} and ${$} are literal ? and $', condition: c('StringEquals', 'k', '${?}${$}'), request: { k: '?$' }, holds: true },
  { name: 'a multivalued key cannot be a variable', condition: c('StringEquals', 'k', '${aws:TagKeys}'), request: { k: 'a', 'aws:TagKeys': ['a', 'b'] }, holds: false },
  { name: 'text that is not a variable stays literal: ${ without a closing brace', condition: c('StringEquals', 'k', 'a${b'), request: { k: 'a${b' }, holds: true },
]);

describe('without Version 2012-10-17 there are no variables', () => {
  it('${aws:username} is compared as literal text', () => {
    const condition = c('StringEquals', 'k', '${aws:username}');
    assert.equal(conditionsHold(condition, conditionContext({ k: '${aws:username}', 'aws:username': 'bob' }), undefined), true);
    assert.equal(conditionsHold(condition, conditionContext({ k: 'bob', 'aws:username': 'bob' }), undefined), false);
  });
});

describe('parseOperator', () => {
  const rows: { name: string; expect: ReturnType<typeof parseOperator> | 'unknown' }[] = [
    { name: 'StringEquals', expect: { base: parseOperator('StringEquals')?.base, set: undefined, ifExists: false } },
    { name: 'ForAnyValue:StringLikeIfExists', expect: { base: parseOperator('StringLike')?.base, set: 'ForAnyValue', ifExists: true } },
    { name: 'ForAllValues:Null', expect: { base: undefined, set: 'ForAllValues', ifExists: false } },
    { name: 'NullIfExists', expect: 'unknown' },
    { name: 'IfExists', expect: 'unknown' },
    { name: 'ForAnyValue:', expect: 'unknown' },
    { name: 'ForAnyValue:ForAllValues:StringEquals', expect: 'unknown' },
    { name: 'StringEqualsIfExistsIfExists', expect: 'unknown' },
    { name: 'toString', expect: 'unknown' },
  ];
  for (const row of rows) {
    it(row.name, () => assert.deepEqual(parseOperator(row.name) ?? 'unknown', row.expect));
  }
});

describe('parseDate: the W3C ISO 8601 profile and epoch seconds', () => {
  const rows: [string, number | undefined][] = [
    ['2020-01-01T00:00:01Z', Date.UTC(2020, 0, 1, 0, 0, 1)],
    ['2020-01-01T00:00Z', Date.UTC(2020, 0, 1)],
    ['2020-01-01', Date.UTC(2020, 0, 1)],
    ['2020-01', Date.UTC(2020, 0, 1)],
    ['2020-01-01T10:20:30.45+01:30', Date.UTC(2020, 0, 1, 8, 50, 30, 450)],
    ['1577836801', Date.UTC(2020, 0, 1, 0, 0, 1)],
    ['1546257599.5', 1546257599500],
    ['2021-02-30', undefined],
    ['2020-01-01T24:00:00Z', undefined],
    ['2016-12-13t2:00:00.593194+1', undefined],
    ['9'.repeat(400), undefined],
    ['sdfdsf', undefined],
    ['', undefined],
  ];
  for (const [text, expect] of rows) it(JSON.stringify(text), () => assert.equal(parseDate(text), expect));
});

describe('wildcard matching (no regular expressions built from policy text)', () => {
  const rows: [string, string, boolean][] = [
    ['kms:*', 'kms:Decrypt', true],
    ['*', '', true],
    ['', '', true],
    ['', 'a', false],
    ['?', '', false],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'aXbY', false],
    ['*.*', 'a.b.c', true],
    ['**', 'abc', true],
    ['a?c', 'abc', true],
    ['a?c', 'abbc', false],
    ['[a]', '[a]', true],
    ['(.*)+$', '(.*)+$', true],
    ['(.*)+$', 'x', false],
  ];
  for (const [pattern, value, expect] of rows) it(`${JSON.stringify(pattern)} against ${JSON.stringify(value)}`, () => assert.equal(wildcardMatch(pattern, value), expect));

  it('an ARN pattern "*" matches anything, even a value that is not an ARN', () => {
    assert.equal(compileArnPattern('*', undefined)?.('*'), true);
    assert.equal(compileArnPattern('arn:*', undefined)?.('*'), false);
  });
});
