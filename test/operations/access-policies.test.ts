/**
 * Who may do what, in authenticated mode, in-process: key policies, identity policies and grants
 * combined as AWS KMS combines them (the KMS Developer Guide's "Determining access to an AWS KMS
 * key" and the IAM User Guide's "Policy evaluation logic"). Every request is SigV4-signed with a
 * configured principal's credentials; every refusal is checked for AWS's AccessDeniedException
 * wording.
 *
 * The cast: the root of account 111122223333; alice, an IAM user whose identity policy allows
 * GenerateDataKeyPair(WithoutPlaintext) of RSA_2048 pairs only and Decrypt with the encryption
 * context {"app": "demo"} only; bob, a role with no identity policy; dave, a user allowed kms:*
 * but denied kms:Decrypt; carol, a user of account 444455556666 whose identity policy allows
 * kms:Encrypt and kms:DescribeKey on the first account's keys.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { AccountConfig } from '../../src/domain/identities.js';
import { b64, createTestApp, type CallOptions, type TestApp, type WireError } from '../helpers/in-process.js';
import type { Credentials } from '../helpers/sigv4.js';

const HOME = '111122223333';
const OTHER = '444455556666';
const credentials = (name: string): Credentials => ({ accessKeyId: `AKIA${name.toUpperCase().padEnd(16, '0')}`, secretAccessKey: `${name}/secret` });
const ROOT = credentials('root');
const ALICE = credentials('alice');
const BOB = credentials('bob');
const DAVE = credentials('dave');
const CAROL = credentials('carol');
const ARN = {
  root: `arn:aws:iam::${HOME}:root`,
  alice: `arn:aws:iam::${HOME}:user/alice`,
  bob: `arn:aws:iam::${HOME}:role/bob`,
  dave: `arn:aws:iam::${HOME}:user/dave`,
  carol: `arn:aws:iam::${OTHER}:user/carol`,
};

const statement = (effect: 'Allow' | 'Deny', action: string | string[], extra: Record<string, unknown> = {}) => ({
  Effect: effect,
  Action: action,
  Resource: '*',
  ...extra,
});

const ACCOUNTS: AccountConfig[] = [
  {
    id: HOME,
    principals: [
      { arn: ARN.root, accessKeys: [{ accessKeyId: ROOT.accessKeyId, secretAccessKey: ROOT.secretAccessKey }], policies: [] },
      {
        arn: ARN.alice,
        accessKeys: [{ accessKeyId: ALICE.accessKeyId, secretAccessKey: ALICE.secretAccessKey }],
        policies: [
          {
            Version: '2012-10-17',
            Statement: [
              statement('Allow', ['kms:GenerateDataKeyPair', 'kms:GenerateDataKeyPairWithoutPlaintext'], {
                Condition: { StringEquals: { 'kms:DataKeyPairSpec': 'RSA_2048' } },
              }),
              statement('Allow', 'kms:Decrypt', { Condition: { StringEquals: { 'kms:EncryptionContext:app': 'demo' } } }),
              statement('Allow', ['kms:DescribeKey', 'kms:ListKeys', 'kms:PutKeyPolicy']),
            ],
          },
        ],
      },
      { arn: ARN.bob, accessKeys: [{ accessKeyId: BOB.accessKeyId, secretAccessKey: BOB.secretAccessKey }], policies: [] },
      {
        arn: ARN.dave,
        accessKeys: [{ accessKeyId: DAVE.accessKeyId, secretAccessKey: DAVE.secretAccessKey }],
        policies: [{ Version: '2012-10-17', Statement: [statement('Allow', 'kms:*'), statement('Deny', 'kms:Decrypt')] }],
      },
    ],
  },
  {
    id: OTHER,
    principals: [
      {
        arn: ARN.carol,
        accessKeys: [{ accessKeyId: CAROL.accessKeyId, secretAccessKey: CAROL.secretAccessKey }],
        policies: [
          {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: ['kms:Encrypt', 'kms:DescribeKey'], Resource: `arn:aws:kms:*:${HOME}:key/*` },
              // ListKeys acts on no key: IAM's authorization reference gives it Resource "*" only.
              { Effect: 'Allow', Action: 'kms:ListKeys', Resource: '*' },
            ],
          },
        ],
      },
    ],
  },
];

const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
/** The default key policy's statement: the account's root, and through it the account's identity policies. */
const delegateToAccount = { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: ARN.root }, Action: 'kms:*', Resource: '*' };

const denied = (who: string, action: string, resource: string, why: 'identity' | 'resource' | 'explicit-identity' | 'explicit-resource'): WireError => {
  const head = `User: ${who} is not authorized to perform: ${action} on resource: ${resource}`;
  const tail = {
    identity: ` because no identity-based policy allows the ${action} action`,
    resource: ` because no resource-based policy allows the ${action} action`,
    'explicit-identity': ' with an explicit deny in an identity-based policy',
    'explicit-resource': ' with an explicit deny in a resource-based policy',
  }[why];
  return { status: 400, __type: 'AccessDeniedException', message: head + tail };
};

interface World {
  t: TestApp;
  /** The default key policy: delegates to the account. */
  shared: string;
  /** A key policy naming bob directly, and not delegating to the account's identity policies. */
  bobsOwn: string;
  /** Delegates to the account, and allows account 444455556666 Encrypt and DescribeKey. */
  crossAccount: string;
  /** Delegates to the account, and denies alice Decrypt with the context {"app": "demo"}. */
  denyingAlice: string;
}

const arnOf = (keyId: string) => `arn:aws:kms:us-east-1:${HOME}:key/${keyId}`;

async function world(): Promise<World> {
  const t = createTestApp({ accounts: ACCOUNTS });
  const as = { as: ROOT };
  const create = async (body: Record<string, unknown>) => (await t.createKey(body, as)).keyId;
  return {
    t,
    shared: await create({}),
    bobsOwn: await create({
      Policy: policy(
        { Effect: 'Allow', Principal: { AWS: ARN.root }, Action: ['kms:PutKeyPolicy', 'kms:GetKeyPolicy', 'kms:DescribeKey'], Resource: '*' },
        { Effect: 'Allow', Principal: { AWS: ARN.bob }, Action: ['kms:GenerateDataKeyPair', 'kms:Decrypt'], Resource: '*' },
      ),
    }),
    crossAccount: await create({
      Policy: policy(delegateToAccount, { Effect: 'Allow', Principal: { AWS: OTHER }, Action: ['kms:Encrypt', 'kms:DescribeKey'], Resource: '*' }),
    }),
    denyingAlice: await create({
      Policy: policy(delegateToAccount, {
        Effect: 'Deny',
        Principal: { AWS: ARN.alice },
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: { StringEquals: { 'kms:EncryptionContext:app': 'demo' } },
      }),
    }),
  };
}

describe('access decisions: key policies and identity policies', () => {
  let w: World;
  let blob: string;
  before(async () => {
    w = await world();
    blob = (await w.t.ok('Encrypt', { KeyId: w.shared, Plaintext: b64('secret'), EncryptionContext: { app: 'demo' } }, { as: ROOT }))
      .CiphertextBlob as string;
  });
  const call = (operation: string, body: object, as: Credentials, options: CallOptions = {}) => w.t.call(operation, body, { ...options, as });

  describe('GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext, by kms:DataKeyPairSpec', () => {
    for (const operation of ['GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext']) {
      it(`${operation}: alice may make an RSA_2048 pair under a key that delegates to the account`, async () => {
        const response = await call(operation, { KeyId: w.shared, KeyPairSpec: 'RSA_2048' }, ALICE);
        assert.equal(response.status, 200, JSON.stringify(response.body));
      });
      it(`${operation}: alice may not make an ECC_NIST_P256 pair (the condition fails): no identity-based policy allows it`, async () => {
        assert.deepEqual(
          await w.t.error(operation, { KeyId: w.shared, KeyPairSpec: 'ECC_NIST_P256' }, { as: ALICE }),
          denied(ARN.alice, `kms:${operation}`, arnOf(w.shared), 'identity'),
        );
      });
      it(`${operation}: bob, with no identity policy, is refused under the shared key`, async () => {
        assert.deepEqual(
          await w.t.error(operation, { KeyId: w.shared, KeyPairSpec: 'RSA_2048' }, { as: BOB }),
          denied(ARN.bob, `kms:${operation}`, arnOf(w.shared), 'identity'),
        );
      });
    }
    it('bob may use the key whose policy names him, with no identity policy at all', async () => {
      const response = await call('GenerateDataKeyPair', { KeyId: w.bobsOwn, KeyPairSpec: 'ECC_NIST_P256' }, BOB);
      assert.equal(response.status, 200, JSON.stringify(response.body));
    });
    it("alice's identity policy is no use under a key policy that does not delegate to the account", async () => {
      assert.deepEqual(
        await w.t.error('GenerateDataKeyPair', { KeyId: w.bobsOwn, KeyPairSpec: 'RSA_2048' }, { as: ALICE }),
        denied(ARN.alice, 'kms:GenerateDataKeyPair', arnOf(w.bobsOwn), 'resource'),
      );
    });
    it('bob is not allowed WithoutPlaintext, which his key policy does not list', async () => {
      assert.deepEqual(
        await w.t.error('GenerateDataKeyPairWithoutPlaintext', { KeyId: w.bobsOwn, KeyPairSpec: 'ECC_NIST_P256' }, { as: BOB }),
        denied(ARN.bob, 'kms:GenerateDataKeyPairWithoutPlaintext', arnOf(w.bobsOwn), 'resource'),
      );
    });
    it('the root user is governed by the key policy alone: allowed by the shared key, refused what bobsOwn does not give it', async () => {
      assert.equal((await call('GenerateDataKeyPair', { KeyId: w.shared, KeyPairSpec: 'ECC_NIST_P384' }, ROOT)).status, 200);
      assert.deepEqual(
        await w.t.error('GenerateDataKeyPair', { KeyId: w.bobsOwn, KeyPairSpec: 'RSA_2048' }, { as: ROOT }),
        denied(ARN.root, 'kms:GenerateDataKeyPair', arnOf(w.bobsOwn), 'resource'),
      );
    });
  });

  describe('kms:EncryptionContext: and explicit denies', () => {
    it('alice may decrypt with the context {"app": "demo"}', async () => {
      assert.equal((await call('Decrypt', { CiphertextBlob: blob, EncryptionContext: { app: 'demo' } }, ALICE)).status, 200);
    });
    it('alice may not decrypt with another context (before the ciphertext is even opened)', async () => {
      assert.deepEqual(
        await w.t.error('Decrypt', { CiphertextBlob: blob, EncryptionContext: { app: 'other' } }, { as: ALICE }),
        denied(ARN.alice, 'kms:Decrypt', arnOf(w.shared), 'identity'),
      );
    });
    it("an explicit Deny in dave's identity policy beats its own Allow kms:*", async () => {
      assert.deepEqual(
        await w.t.error('Decrypt', { CiphertextBlob: blob, EncryptionContext: { app: 'demo' } }, { as: DAVE }),
        denied(ARN.dave, 'kms:Decrypt', arnOf(w.shared), 'explicit-identity'),
      );
      assert.equal((await call('DescribeKey', { KeyId: w.shared }, DAVE)).status, 200, 'his Allow still works elsewhere');
    });
    it('an explicit Deny in a key policy beats an allowing identity policy', async () => {
      const sealed = await w.t.ok('Encrypt', { KeyId: w.denyingAlice, Plaintext: b64('x'), EncryptionContext: { app: 'demo' } }, { as: ROOT });
      assert.deepEqual(
        await w.t.error('Decrypt', { CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { app: 'demo' } }, { as: ALICE }),
        denied(ARN.alice, 'kms:Decrypt', arnOf(w.denyingAlice), 'explicit-resource'),
      );
    });
  });

  describe('across accounts', () => {
    it("carol may encrypt under a key whose policy allows her account, by key ARN: both sides allow", async () => {
      const response = await call('Encrypt', { KeyId: arnOf(w.crossAccount), Plaintext: b64('hello') }, CAROL);
      assert.equal(response.status, 200, JSON.stringify(response.body));
    });
    it('carol may not decrypt there: her identity policy does not allow it', async () => {
      const sealed = await w.t.ok('Encrypt', { KeyId: w.crossAccount, Plaintext: b64('x') }, { as: ROOT });
      assert.deepEqual(
        await w.t.error('Decrypt', { CiphertextBlob: sealed.CiphertextBlob, KeyId: arnOf(w.crossAccount) }, { as: CAROL }),
        denied(ARN.carol, 'kms:Decrypt', arnOf(w.crossAccount), 'resource'),
      );
    });
    it("carol may not use a key whose policy does not name her account, whatever her identity policy says", async () => {
      assert.deepEqual(
        await w.t.error('Encrypt', { KeyId: arnOf(w.shared), Plaintext: b64('hello') }, { as: CAROL }),
        denied(ARN.carol, 'kms:Encrypt', arnOf(w.shared), 'resource'),
      );
    });
    it("ListKeys shows carol her own account's keys only", async () => {
      assert.deepEqual((await w.t.ok('ListKeys', {}, { as: CAROL })).Keys, []);
    });
  });

  describe('DryRun checks permission first', () => {
    it('with permission: DryRunOperationException', async () => {
      assert.equal(
        (await w.t.error('GenerateDataKeyPair', { KeyId: w.shared, KeyPairSpec: 'RSA_2048', DryRun: true }, { as: ALICE })).__type,
        'DryRunOperationException',
      );
    });
    it('without permission: AccessDeniedException', async () => {
      assert.deepEqual(
        await w.t.error('GenerateDataKeyPair', { KeyId: w.shared, KeyPairSpec: 'RSA_4096', DryRun: true }, { as: ALICE }),
        denied(ARN.alice, 'kms:GenerateDataKeyPair', arnOf(w.shared), 'identity'),
      );
    });
    it('DryRunModifiers [IGNORE_CIPHERTEXT] checks Decrypt permission on KeyId without a valid ciphertext', async () => {
      const garbage = b64('not a ciphertext at all');
      const body = (context: string) => ({
        CiphertextBlob: garbage,
        KeyId: w.shared,
        EncryptionContext: { app: context },
        DryRun: true,
        DryRunModifiers: ['IGNORE_CIPHERTEXT'],
      });
      assert.equal((await w.t.error('Decrypt', body('demo'), { as: ALICE })).__type, 'DryRunOperationException');
      assert.deepEqual(await w.t.error('Decrypt', body('other'), { as: ALICE }), denied(ARN.alice, 'kms:Decrypt', arnOf(w.shared), 'identity'));
      assert.equal(
        (await w.t.error('Decrypt', { CiphertextBlob: garbage, KeyId: w.shared, EncryptionContext: { app: 'demo' }, DryRun: true }, { as: ALICE })).__type,
        'InvalidCiphertextException',
        'without the modifier the ciphertext is still checked',
      );
    });
  });
});

describe('key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies and the lock-out check', () => {
  it("CreateKey without a Policy stores AWS's default key policy, as AWS lays it out", async () => {
    const { t, shared } = await world();
    const got = await t.ok('GetKeyPolicy', { KeyId: shared }, { as: ROOT });
    assert.equal(got.PolicyName, 'default');
    assert.equal(
      got.Policy,
      '{\n  "Version" : "2012-10-17",\n  "Id" : "key-default-1",\n  "Statement" : [ {\n    "Sid" : "Enable IAM User Permissions",\n' +
        '    "Effect" : "Allow",\n    "Principal" : {\n      "AWS" : "arn:aws:iam::111122223333:root"\n    },\n' +
        '    "Action" : "kms:*",\n    "Resource" : "*"\n  } ]\n}',
    );
    assert.deepEqual(await t.ok('ListKeyPolicies', { KeyId: shared }, { as: ROOT }), { PolicyNames: ['default'], Truncated: false });
  });

  it('PutKeyPolicy replaces the policy, and the new one decides at once', async () => {
    const { t, shared } = await world();
    assert.equal((await t.call('GenerateDataKeyPair', { KeyId: shared, KeyPairSpec: 'ECC_NIST_P256' }, { as: BOB })).status, 400);
    const next = policy(delegateToAccount, { Effect: 'Allow', Principal: { AWS: ARN.bob }, Action: 'kms:GenerateDataKeyPair', Resource: '*' });
    assert.deepEqual(await t.ok('PutKeyPolicy', { KeyId: shared, Policy: next }, { as: ROOT }), {});
    assert.equal((await t.ok('GetKeyPolicy', { KeyId: shared }, { as: ROOT })).Policy, next);
    assert.equal((await t.call('GenerateDataKeyPair', { KeyId: shared, KeyPairSpec: 'ECC_NIST_P256' }, { as: BOB })).status, 200);
  });

  it('refuses a policy that would lock its caller out of PutKeyPolicy, unless the check is bypassed', async () => {
    const { t, shared } = await world();
    const lockout = policy({ Effect: 'Allow', Principal: { AWS: ARN.bob }, Action: 'kms:*', Resource: '*' });
    assert.deepEqual(await t.error('PutKeyPolicy', { KeyId: shared, Policy: lockout }, { as: ALICE }), {
      status: 400,
      __type: 'MalformedPolicyDocumentException',
      message: 'The new key policy will not allow you to update the key policy in the future.',
    });
    assert.deepEqual(await t.ok('PutKeyPolicy', { KeyId: shared, Policy: lockout, BypassPolicyLockoutSafetyCheck: true }, { as: ALICE }), {});
    assert.deepEqual(
      await t.error('PutKeyPolicy', { KeyId: shared, Policy: lockout }, { as: ALICE }),
      denied(ARN.alice, 'kms:PutKeyPolicy', arnOf(shared), 'resource'),
      'now alice is locked out, as the check warned',
    );
  });

  it('CreateKey with a policy that locks its caller out is refused; bypassed, the key is made', async () => {
    const { t } = await world();
    const lockout = policy({ Effect: 'Allow', Principal: { AWS: ARN.bob }, Action: 'kms:*', Resource: '*' });
    assert.equal((await t.error('CreateKey', { Policy: lockout }, { as: ROOT })).__type, 'MalformedPolicyDocumentException');
    assert.equal((await t.call('CreateKey', { Policy: lockout, BypassPolicyLockoutSafetyCheck: true }, { as: ROOT })).status, 200);
  });

  it('refuses a key policy naming a principal that does not exist', async () => {
    const { t, shared } = await world();
    const ghost = policy(delegateToAccount, { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${HOME}:user/ghost` }, Action: 'kms:Decrypt', Resource: '*' });
    assert.deepEqual(await t.error('PutKeyPolicy', { KeyId: shared, Policy: ghost }, { as: ROOT }), {
      status: 400,
      __type: 'MalformedPolicyDocumentException',
      message: 'Policy contains a statement with one or more invalid principals.',
    });
  });

  it('GetKeyPolicy of a policy name other than default: NotFoundException', async () => {
    const { t, shared } = await world();
    assert.deepEqual(await t.error('GetKeyPolicy', { KeyId: shared, PolicyName: 'other' }, { as: ROOT }), {
      status: 400,
      __type: 'NotFoundException',
      message: 'No key policy named other exists; the only key policy name is default.',
    });
  });
});

describe('grants give access with no policy', () => {
  it("a grant token works in the very next call, a constraint limits the grant, and retire and revoke end it", async () => {
    const { t, shared } = await world();
    const sealed = async (context: Record<string, string>) =>
      (await t.ok('Encrypt', { KeyId: shared, Plaintext: b64('x'), EncryptionContext: context }, { as: ROOT })).CiphertextBlob as string;
    const demo = await sealed({ app: 'demo', team: 'a' });
    const other = await sealed({ app: 'other' });
    assert.deepEqual(
      await t.error('Decrypt', { CiphertextBlob: demo, EncryptionContext: { app: 'demo', team: 'a' } }, { as: BOB }),
      denied(ARN.bob, 'kms:Decrypt', arnOf(shared), 'identity'),
      'no grant yet',
    );
    const grant = await t.ok(
      'CreateGrant',
      { KeyId: shared, GranteePrincipal: ARN.bob, Operations: ['Decrypt'], Constraints: { EncryptionContextSubset: { app: 'demo' } } },
      { as: ROOT },
    );
    const tokens = { GrantTokens: [grant.GrantToken] };
    assert.equal((await t.call('Decrypt', { CiphertextBlob: demo, EncryptionContext: { app: 'demo', team: 'a' }, ...tokens }, { as: BOB })).status, 200);
    assert.deepEqual(
      await t.error('Decrypt', { CiphertextBlob: other, EncryptionContext: { app: 'other' }, ...tokens }, { as: BOB }),
      denied(ARN.bob, 'kms:Decrypt', arnOf(shared), 'identity'),
      'the EncryptionContextSubset constraint does not hold',
    );
    assert.deepEqual(
      await t.error('Encrypt', { KeyId: shared, Plaintext: b64('x'), ...tokens }, { as: BOB }),
      denied(ARN.bob, 'kms:Encrypt', arnOf(shared), 'identity'),
      'the grant allows Decrypt only',
    );
    await t.ok('RevokeGrant', { KeyId: shared, GrantId: grant.GrantId }, { as: ROOT });
    assert.deepEqual(
      await t.error('Decrypt', { CiphertextBlob: demo, EncryptionContext: { app: 'demo', team: 'a' } }, { as: BOB }),
      denied(ARN.bob, 'kms:Decrypt', arnOf(shared), 'identity'),
      'revoked',
    );
  });

  it("an explicit deny beats a grant", async () => {
    const { t, shared } = await world();
    const blob = (await t.ok('Encrypt', { KeyId: shared, Plaintext: b64('x') }, { as: ROOT })).CiphertextBlob;
    await t.ok('CreateGrant', { KeyId: shared, GranteePrincipal: ARN.dave, Operations: ['Decrypt'] }, { as: ROOT });
    assert.deepEqual(await t.error('Decrypt', { CiphertextBlob: blob }, { as: DAVE }), denied(ARN.dave, 'kms:Decrypt', arnOf(shared), 'explicit-identity'));
  });

  it('a retired grant allows nothing more', async () => {
    const { t, shared } = await world();
    const blob = (await t.ok('Encrypt', { KeyId: shared, Plaintext: b64('x') }, { as: ROOT })).CiphertextBlob;
    const grant = await t.ok(
      'CreateGrant',
      { KeyId: shared, GranteePrincipal: ARN.bob, RetiringPrincipal: ARN.bob, Operations: ['Decrypt'] },
      { as: ROOT },
    );
    assert.equal((await t.call('Decrypt', { CiphertextBlob: blob }, { as: BOB })).status, 200);
    assert.deepEqual(await t.ok('RetireGrant', { GrantToken: grant.GrantToken }, { as: BOB }), {});
    assert.equal((await t.error('Decrypt', { CiphertextBlob: blob }, { as: BOB })).__type, 'AccessDeniedException');
  });
});
