/**
 * Hostile policies, in-process. parsePolicy takes any text a CreateKey or PutKeyPolicy request can
 * carry and any object a YAML config can hold: it must return a document or throw
 * MalformedPolicyDocumentException (LimitExceededException only for a key policy over 32768
 * bytes), nothing else, and a document it returns must evaluate any request to Allow, Deny or
 * None without throwing. Wildcard matching must agree with an escaped, anchored regular
 * expression on short inputs, and must finish on the inputs that make a naive regex backtrack
 * for ever (`*a*a*a*...b` against `aaaa...`).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import {
  conditionContext,
  evaluatePolicy,
  KEY_POLICY_MAX_BYTES,
  parsePolicy,
  type PolicyDocument,
  type PolicyKind,
  type PolicyRequest,
} from '../../src/domain/policies.js';
import { wildcardMatch } from '../../src/domain/policy-conditions.js';
import { LimitExceededException, MalformedPolicyDocumentException } from '../../src/errors.js';
import { objectOf, PROTOTYPE_NAMES } from './model-arbitraries.js';
import { count, FUZZ_SEED, runs } from './settings.js';

const ELEMENTS = ['Version', 'Id', 'Statement', 'Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition', 'AWS', 'Service'];
const OPERATORS = ['StringEquals', 'StringNotLike', 'StringEqualsIgnoreCase', 'NumericLessThan', 'DateGreaterThan', 'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnLike', 'Null'];
const VALUES = [
  '*', '?', '', 'kms:*', 'kms:Decrypt', 'Allow', 'Deny', 'allow', '2012-10-17', '2008-10-17', '111122223333', 'arn:aws:iam::111122223333:root',
  'arn:aws:iam::111122223333:user/alice', 'arn:aws:kms:*:111122223333:key/*', '${aws:username}', "${aws:username, 'x'}", '${*}', '${', '203.0.113.0/24',
  '2020-01-01T00:00:00Z', '1577836800', 'true', 'QUJD', 'kms:EncryptionContext:app', 'aws:ResourceTag/x',
];

const name = fc.oneof(fc.constantFrom(...ELEMENTS, ...PROTOTYPE_NAMES), fc.string({ maxLength: 8 }));
const operatorName = fc.oneof(
  fc.tuple(fc.constantFrom('', 'ForAnyValue:', 'ForAllValues:'), fc.constantFrom(...OPERATORS), fc.constantFrom('', 'IfExists')).map(([a, b, c]) => a + b + c),
  fc.string({ maxLength: 12 }),
);
const scalar = fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 12 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const leaf = fc.oneof(scalar, fc.array(scalar, { maxLength: 4 }));
const condition = fc.dictionary(operatorName, fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom(...VALUES), name), leaf, { maxKeys: 3 }), leaf), { maxKeys: 3 });
const principal = fc.oneof(fc.constant('*'), fc.dictionary(fc.constantFrom('AWS', 'Service', 'Federated', 'CanonicalUser', 'Users'), leaf, { maxKeys: 2 }), scalar);

/** Any mix of statement elements, with stray ones: parsing must refuse most of these. */
const hostileStatement = fc
  .record(
    {
      Sid: fc.oneof(fc.string({ maxLength: 6 }), scalar),
      Effect: fc.oneof(fc.constantFrom('Allow', 'Deny'), scalar),
      Principal: principal,
      NotPrincipal: principal,
      Action: leaf,
      NotAction: leaf,
      Resource: leaf,
      NotResource: leaf,
      Condition: fc.oneof(condition, scalar),
    },
    { requiredKeys: [] },
  )
  .chain((fields) => fc.array(fc.tuple(name, leaf), { maxLength: 2 }).map((extra) => objectOf([...Object.entries(fields), ...extra])));

/** A well-formed statement of random content, so that evaluation gets exercised too. */
const conditionValue = fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 8 }), fc.integer(), fc.boolean());
const validStatement = fc.record(
  {
    Effect: fc.constantFrom('Allow', 'Deny'),
    Principal: fc.oneof(
      fc.constant('*'),
      fc.record({ AWS: fc.oneof(fc.constantFrom('*', '111122223333', 'arn:aws:iam::111122223333:user/alice'), fc.constant(['arn:aws:iam::111122223333:root', 'arn:aws:iam::111122223333:role/r'])) }),
    ),
    Action: fc.array(fc.oneof({ weight: 6, arbitrary: fc.constantFrom('kms:*', 'kms:Decrypt', 'kms:Gen*', '*', 'kms:?ncrypt') }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }), { minLength: 1, maxLength: 3 }),
    Resource: fc.array(fc.oneof({ weight: 6, arbitrary: fc.constantFrom('*', 'arn:aws:kms:*:111122223333:key/*', 'arn:aws:kms:${aws:username}', 'arn:*') }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }), { minLength: 1, maxLength: 2 }),
    Condition: fc.dictionary(
      fc.tuple(fc.constantFrom('', 'ForAnyValue:', 'ForAllValues:'), fc.constantFrom(...OPERATORS), fc.constantFrom('', 'IfExists')).map(([a, b, c]) => (b === 'Null' ? a + b : a + b + c)),
      fc.dictionary(fc.oneof(fc.constantFrom('kms:CallerAccount', 'aws:username', 'k', 'aws:SourceIp'), fc.string({ maxLength: 6 })), fc.oneof(conditionValue, fc.array(conditionValue, { maxLength: 3 })), { maxKeys: 2 }),
      { maxKeys: 2 },
    ),
  },
  { requiredKeys: ['Effect', 'Principal', 'Action', 'Resource'] },
);

/** Identity policies name no principal: their well-formed statements drop it. */
const statementFor = (kind: PolicyKind) =>
  fc.oneof(
    { weight: 4, arbitrary: kind === 'key' ? validStatement : validStatement.map(({ Principal: _, ...rest }) => rest) },
    { weight: 1, arbitrary: hostileStatement },
  );

/** Mostly well-formed documents; one in five has a stray top-level element. */
const documentFor = (kind: PolicyKind) =>
  fc
    .record(
      {
        Version: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('2012-10-17', '2008-10-17') }, { weight: 1, arbitrary: scalar }),
        Id: fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 6 }) }, { weight: 1, arbitrary: scalar }),
        Statement: fc.oneof({ weight: 4, arbitrary: fc.array(statementFor(kind), { maxLength: 4 }) }, { weight: 1, arbitrary: statementFor(kind) }, { weight: 1, arbitrary: scalar }),
      },
      { requiredKeys: ['Statement'] },
    )
    .chain((fields) =>
      fc
        .oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.tuple(name, leaf).map((extra) => [extra]) })
        .map((extra) => objectOf([...Object.entries(fields), ...extra])),
    );

/** Text as a request body could carry it: JSON of a near-policy, any JSON, or any string. */
const policyText = fc.oneof(
  { weight: 6, arbitrary: documentFor('key').map((d) => JSON.stringify(d)) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 64 }) },
  { weight: 1, arbitrary: fc.constantFrom('{"Statement":' + '['.repeat(10_000), '{'.repeat(5000) + '}'.repeat(5000)) },
);

/** Parses, and answers with the document or the error, failing the property on anything else. */
function parseOrRefuse(source: unknown, kind: PolicyKind): PolicyDocument | undefined {
  try {
    return parsePolicy(source, kind, (arn) => !arn.includes('bob'));
  } catch (error) {
    if (error instanceof MalformedPolicyDocumentException) return undefined;
    const oversized = typeof source === 'string' && kind === 'key' && Buffer.byteLength(source, 'utf8') > KEY_POLICY_MAX_BYTES;
    if (error instanceof LimitExceededException && oversized) return undefined;
    throw error;
  }
}

const contextValues = fc.dictionary(fc.oneof(fc.constantFrom(...VALUES), name), fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 8 }), fc.array(fc.constantFrom(...VALUES), { maxLength: 3 })), { maxKeys: 5 });
const request: fc.Arbitrary<PolicyRequest> = fc.record({
  principals: fc.array(fc.constantFrom('arn:aws:iam::111122223333:root', 'arn:aws:iam::111122223333:user/alice', '*'), { maxLength: 2 }),
  action: fc.oneof(fc.constantFrom('kms:Decrypt', 'KMS:DECRYPT', 'kms:*'), fc.string({ maxLength: 8 })),
  resource: fc.oneof(fc.constantFrom('*', 'arn:aws:kms:us-east-1:111122223333:key/1', 'arn:aws:kms:us-east-1:111122223333:alias/a'), fc.string({ maxLength: 12 })),
  context: contextValues.map((values) => conditionContext(values)),
});

function evaluatesCleanly(policy: PolicyDocument | undefined, requests: readonly PolicyRequest[]): void {
  if (!policy) return;
  count('policies parsed and evaluated');
  for (const r of requests) assert.ok(['Allow', 'Deny', 'None'].includes(evaluatePolicy(policy, r)));
}

describe('parsePolicy on hostile input', () => {
  it('key policy text: a document or MalformedPolicyDocumentException, and the document evaluates', () => {
    fc.assert(
      fc.property(policyText, fc.array(request, { maxLength: 3 }), (text, requests) => {
        count('policy text');
        evaluatesCleanly(parseOrRefuse(text, 'key'), requests);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('identity policy objects from config: the same, for any value YAML could produce', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 3, arbitrary: documentFor('identity') }, { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) }), fc.array(request, { maxLength: 3 }), (source, requests) => {
        count('policy object');
        evaluatesCleanly(parseOrRefuse(source, 'identity'), requests);
      }),
      { numRuns: runs(1000) },
    );
  });

  it('oversized key policy text: LimitExceededException before any parsing', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), (pad) => {
        count('oversized policy');
        const text = pad.repeat(Math.ceil((KEY_POLICY_MAX_BYTES + 1) / Buffer.byteLength(pad, 'utf8')));
        assert.throws(() => parsePolicy(text, 'key'), LimitExceededException);
      }),
      { numRuns: runs(50) },
    );
  });
});

/** The oracle: a regular expression built from the pattern with every other character escaped. */
function regexMatch(pattern: string, value: string): boolean {
  const source = [...pattern].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 'su').test(value);
}

describe('wildcard matching', () => {
  it('agrees with an escaped, anchored regular expression on short inputs', () => {
    const text = (max: number) => fc.array(fc.constantFrom('a', 'b', '*', '?', '.', '$', '😀', '\n'), { maxLength: max }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(text(8), text(12), (pattern, value) => {
        count('wildcard oracle');
        assert.equal(wildcardMatch(pattern, value), regexMatch(pattern, value), `${JSON.stringify(pattern)} ~ ${JSON.stringify(value)}`);
      }),
      { numRuns: runs(2000) },
    );
  });

  // A backtracking matcher blocks its thread, where no test timeout can reach it, so the worst
  // cases run in a worker that is stopped after a minute: a guard against a hang, not a timing.
  it('finishes on the inputs that make a backtracking regex explode', async () => {
    const fixed = [2, 8, 32, 128].flatMap((stars) => [`${'*a'.repeat(stars)}*b`, `${'*a?'.repeat(stars)}*`]).map((pattern) => [pattern, 20_000] as const);
    const random = fc.sample(
      fc.tuple(fc.array(fc.constantFrom('*', 'a', '?', '*a'), { maxLength: 64 }).map((parts) => `${parts.join('')}b`), fc.integer({ min: 0, max: 4000 })),
      { numRuns: runs(100), seed: FUZZ_SEED },
    );
    const cases = [...fixed, ...random];
    count('wildcard worst case');
    const moduleUrl = new URL('../../src/domain/policy-conditions.js', import.meta.url).href;
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       import(${JSON.stringify(moduleUrl)}).then(({ wildcardMatch }) => {
         parentPort.postMessage(workerData.map(([pattern, n]) => wildcardMatch(pattern, 'a'.repeat(n))));
       });`,
      { eval: true, workerData: cases },
    );
    let timer: NodeJS.Timeout | undefined;
    const answers = await Promise.race([
      once(worker, 'message').then(([message]) => message as boolean[]),
      new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), 60_000))),
    ]);
    clearTimeout(timer);
    await worker.terminate();
    assert.notEqual(answers, 'hang', 'wildcard matching did not finish within a minute');
    // Every random pattern ends in b, which a run of a never matches; of the fixed ones, *a?...* match.
    assert.deepEqual(answers, cases.map(([pattern]) => pattern.endsWith('*') && !pattern.endsWith('b')));
  });
});
