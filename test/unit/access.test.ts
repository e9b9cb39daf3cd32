/**
 * The access seam, in-process: every request carries a principal, every served operation is
 * authorized through AccessControl.authorize (a deny-all policy must stop each one, and leave
 * nothing changed), with the action, resource and facts (encryption context, grant tokens, key
 * pair spec, request alias) a policy would read; and what each operation declares of itself
 * (its IAM actions, read-only or not, and the members the model marks sensitive).
 */
import assert from 'node:assert/strict';
import { constants, createPublicKey, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { AccessControl, type AccessFacts, type Caller, type KmsAction, type Resource } from '../../src/domain/access.js';
import { systemClock } from '../../src/domain/clock.js';
import { MemoryStore } from '../../src/storage/memory.js';
import type { Store } from '../../src/storage/types.js';
import { AccessDeniedException } from '../../src/errors.js';
import { createRegistry } from '../../src/operations/index.js';
import { kmsModel } from '../../src/protocol/kms-model.generated.js';
import { createTestApp, type TestApp } from '../helpers/in-process.js';

const ACCOUNT = '111122223333';
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const arn = (keyId: string) => `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}`;

interface Decision {
  principal: string;
  accessKeyId: string | undefined;
  action: KmsAction;
  resource: string;
  facts: AccessFacts;
}

/** Allows everything, as today's account rule does for the caller's own account, and records it. */
class RecordingAccess extends AccessControl {
  constructor(store: Store) {
    super({ clock: systemClock, store });
  }

  readonly decisions: Decision[] = [];
  override async authorize(caller: Caller, action: KmsAction, resource: Resource, facts: AccessFacts): Promise<void> {
    // Plain objects (validated maps have no prototype), so they compare with deepEqual.
    const plainFacts = JSON.parse(JSON.stringify(facts)) as AccessFacts;
    this.decisions.push({ principal: caller.principal.arn, accessKeyId: caller.principal.accessKeyId, action, resource: resource.arn, facts: plainFacts });
    return super.authorize(caller, action, resource, facts);
  }
}

class DenyAll extends AccessControl {
  constructor() {
    super({ clock: systemClock, store: new MemoryStore() });
  }

  override async authorize(_caller: Caller, action: KmsAction): Promise<void> {
    throw new AccessDeniedException(`denied ${action}`);
  }
}

interface Fixture {
  t: TestApp;
  keyId: string;
  otherKeyId: string;
  /** A key pending deletion, for CancelKeyDeletion. */
  doomedKeyId: string;
  blob: string;
  /** A grant on keyId to another principal, retired by yet another. */
  grantId: string;
  grantToken: string;
  /** Keys of the other usages: signing (ECC_NIST_P256), HMAC_256, key agreement (P-256), ML_KEM_512. */
  signKeyId: string;
  macKeyId: string;
  agreeKeyId: string;
  kemKeyId: string;
  signature: string;
  mac: string;
  kemCiphertext: string;
  /** An EXTERNAL key: for ImportKeyMaterial pending import, with `importBody` to import into it; for DeleteImportedKeyMaterial with material. */
  externalKeyId: string;
  importBody: Record<string, unknown>;
  /** A multi-Region primary key in us-east-1 with a replica in eu-west-1. */
  mrkId: string;
}

const GRANTEE = `arn:aws:iam::${ACCOUNT}:role/app`;
const RETIREE = `arn:aws:iam::${ACCOUNT}:user/ops`;

/** Import parameters cost an RSA key generation: made only for the operations that need them. */
async function importFixture(t: ReturnType<typeof createTestApp>, forOperation: string | undefined): Promise<Pick<Fixture, 'externalKeyId' | 'importBody'>> {
  const externalKeyId = ((await t.call('CreateKey', { Origin: 'EXTERNAL' })).body.KeyMetadata as { KeyId: string }).KeyId;
  if (forOperation !== 'ImportKeyMaterial' && forOperation !== 'DeleteImportedKeyMaterial') return { externalKeyId, importBody: {} };
  const params = (await t.call('GetParametersForImport', { KeyId: externalKeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' })).body;
  const publicKey = createPublicKey({ key: Buffer.from(params.PublicKey as string, 'base64'), format: 'der', type: 'spki' });
  const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, randomBytes(32));
  const importBody = { KeyId: externalKeyId, ImportToken: params.ImportToken, EncryptedKeyMaterial: wrapped.toString('base64'), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' };
  if (forOperation === 'DeleteImportedKeyMaterial') assert.equal((await t.call('ImportKeyMaterial', importBody)).status, 200);
  return { externalKeyId, importBody };
}

async function fixture(forOperation?: string): Promise<Fixture> {
  const t = createTestApp();
  const keyId = (await t.call('CreateKey', {})).body.KeyMetadata as { KeyId: string };
  const other = (await t.call('CreateKey', {})).body.KeyMetadata as { KeyId: string };
  const doomed = (await t.call('CreateKey', {})).body.KeyMetadata as { KeyId: string };
  await t.call('ScheduleKeyDeletion', { KeyId: doomed.KeyId });
  await t.call('CreateAlias', { AliasName: 'alias/app', TargetKeyId: keyId.KeyId });
  const encrypted = await t.call('Encrypt', { KeyId: keyId.KeyId, Plaintext: Buffer.from('secret').toString('base64'), EncryptionContext: { app: 'a' } });
  const grant = await t.call('CreateGrant', { KeyId: keyId.KeyId, GranteePrincipal: GRANTEE, RetiringPrincipal: RETIREE, Operations: ['Decrypt'] });
  const created = async (body: object) => ((await t.call('CreateKey', body)).body.KeyMetadata as { KeyId: string }).KeyId;
  const signKeyId = await created({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
  const macKeyId = await created({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
  const agreeKeyId = await created({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' });
  const kemKeyId = await created({ KeySpec: 'ML_KEM_512', KeyUsage: 'ENCAPSULATE_DECAPSULATE' });
  const message = Buffer.from('m').toString('base64');
  const signature = (await t.call('Sign', { KeyId: signKeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' })).body.Signature as string;
  const mac = (await t.call('GenerateMac', { KeyId: macKeyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' })).body.Mac as string;
  const kemCiphertext = (await t.call('Encapsulate', { KeyId: kemKeyId, EncapsulationAlgorithm: 'ML_KEM' })).body.SharedSecretCiphertextBlob as string;
  const mrkId = await created({ MultiRegion: true });
  assert.equal((await t.call('ReplicateKey', { KeyId: mrkId, ReplicaRegion: 'eu-west-1' })).status, 200);
  return {
    mrkId,
    signKeyId,
    macKeyId,
    agreeKeyId,
    kemKeyId,
    signature,
    mac,
    kemCiphertext,
    t,
    keyId: keyId.KeyId,
    otherKeyId: other.KeyId,
    doomedKeyId: doomed.KeyId,
    blob: encrypted.body.CiphertextBlob as string,
    grantId: grant.body.GrantId as string,
    grantToken: grant.body.GrantToken as string,
    ...(await importFixture(t, forOperation)),
  };
}

/** A valid request for every served operation; a new operation must be added here. */
function requests(f: Fixture): Record<string, object> {
  return {
    CancelKeyDeletion: { KeyId: f.doomedKeyId },
    CreateAlias: { AliasName: 'alias/new', TargetKeyId: f.keyId },
    CreateGrant: { KeyId: f.keyId, GranteePrincipal: GRANTEE, Operations: ['Encrypt'] },
    CreateKey: {},
    Decapsulate: { KeyId: f.kemKeyId, EncapsulationAlgorithm: 'ML_KEM', SharedSecretCiphertextBlob: f.kemCiphertext },
    Decrypt: { CiphertextBlob: f.blob, EncryptionContext: { app: 'a' } },
    DeleteAlias: { AliasName: 'alias/app' },
    DeleteImportedKeyMaterial: { KeyId: f.externalKeyId },
    DeriveSharedSecret: { KeyId: f.agreeKeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: PEER },
    DescribeKey: { KeyId: f.keyId },
    DisableKeyRotation: { KeyId: f.keyId },
    DisableKey: { KeyId: f.keyId },
    EnableKey: { KeyId: f.keyId },
    EnableKeyRotation: { KeyId: f.keyId, RotationPeriodInDays: 90 },
    Encapsulate: { KeyId: f.kemKeyId, EncapsulationAlgorithm: 'ML_KEM' },
    Encrypt: { KeyId: f.keyId, Plaintext: Buffer.from('x').toString('base64') },
    GenerateDataKey: { KeyId: f.keyId, KeySpec: 'AES_256' },
    GenerateDataKeyPair: { KeyId: f.keyId, KeyPairSpec: 'ECC_NIST_P256' },
    GenerateDataKeyPairWithoutPlaintext: { KeyId: f.keyId, KeyPairSpec: 'ECC_NIST_P256' },
    GenerateDataKeyWithoutPlaintext: { KeyId: f.keyId, KeySpec: 'AES_256' },
    GenerateMac: { KeyId: f.macKeyId, Message: MESSAGE, MacAlgorithm: 'HMAC_SHA_256' },
    GenerateRandom: { NumberOfBytes: 16 },
    GetKeyLastUsage: { KeyId: f.keyId },
    GetParametersForImport: { KeyId: f.externalKeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' },
    GetKeyPolicy: { KeyId: f.keyId },
    GetKeyRotationStatus: { KeyId: f.keyId },
    GetPublicKey: { KeyId: f.signKeyId },
    ImportKeyMaterial: f.importBody,
    ListAliases: {},
    ListGrants: { KeyId: f.keyId },
    ListKeyPolicies: { KeyId: f.keyId },
    ListKeyRotations: { KeyId: f.keyId },
    ListKeys: {},
    ListResourceTags: { KeyId: f.keyId },
    ListRetirableGrants: { RetiringPrincipal: RETIREE },
    PutKeyPolicy: { KeyId: f.keyId, Policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}' },
    ReEncrypt: { CiphertextBlob: f.blob, SourceEncryptionContext: { app: 'a' }, DestinationKeyId: f.otherKeyId },
    ReplicateKey: { KeyId: f.mrkId, ReplicaRegion: 'ap-southeast-2', Tags: [{ TagKey: 'team', TagValue: 'x' }] },
    // The caller (the account root) is neither the grant's retiring principal nor its grantee:
    // retiring it takes kms:RetireGrant from a policy, which a deny-all policy does not give.
    RetireGrant: { KeyId: f.keyId, GrantId: f.grantId },
    RevokeGrant: { KeyId: f.keyId, GrantId: f.grantId },
    RotateKeyOnDemand: { KeyId: f.keyId },
    ScheduleKeyDeletion: { KeyId: f.keyId },
    Sign: { KeyId: f.signKeyId, Message: MESSAGE, SigningAlgorithm: 'ECDSA_SHA_256' },
    TagResource: { KeyId: f.keyId, Tags: [{ TagKey: 'team', TagValue: 'x' }] },
    UntagResource: { KeyId: f.keyId, TagKeys: ['team'] },
    UpdateAlias: { AliasName: 'alias/app', TargetKeyId: f.otherKeyId },
    UpdateKeyDescription: { KeyId: f.keyId, Description: 'changed' },
    UpdatePrimaryRegion: { KeyId: f.mrkId, PrimaryRegion: 'eu-west-1' },
    Verify: { KeyId: f.signKeyId, Message: MESSAGE, SigningAlgorithm: 'ECDSA_SHA_256', Signature: f.signature },
    VerifyMac: { KeyId: f.macKeyId, Message: MESSAGE, MacAlgorithm: 'HMAC_SHA_256', Mac: f.mac },
  };
}

/** The message Sign, Verify, GenerateMac and VerifyMac requests carry, and a peer's P-256 public key. */
const MESSAGE = Buffer.from('m').toString('base64');
const PEER = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

const served = [...createRegistry(kmsModel).keys()].sort();

describe('every served operation is authorized', () => {
  it('the table below names every served operation', async () => {
    assert.deepEqual(Object.keys(requests(await fixture())).sort(), served);
  });

  for (const operation of served) {
    it(`${operation}: succeeds when allowed, and a deny-all policy refuses it with AccessDeniedException, changing nothing`, async () => {
      const allowed = await fixture(operation);
      const ok = await allowed.t.call(operation, requests(allowed)[operation]);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));

      const f = await fixture(operation);
      const before = JSON.stringify(await f.t.services.store.listKeys({ account: ACCOUNT, region: 'us-east-1' }, { limit: 10 }));
      // listKeys returns whole records (state, tags, revision), so any change shows.
      const aliasesBefore = JSON.stringify(await f.t.services.store.listAliases({ account: ACCOUNT, region: 'us-east-1' }, { limit: 10 }));
      const grantsBefore = JSON.stringify(await f.t.services.store.listGrants({ account: ACCOUNT, region: 'us-east-1' }, f.keyId, { limit: 10 }));
      f.t.services.access = new DenyAll();
      const denied = await f.t.call(operation, requests(f)[operation]);
      assert.equal(denied.status, 400);
      assert.equal(denied.body.__type, 'AccessDeniedException', JSON.stringify(denied.body));
      assert.equal(JSON.stringify(await f.t.services.store.listKeys({ account: ACCOUNT, region: 'us-east-1' }, { limit: 10 })), before);
      assert.equal(JSON.stringify(await f.t.services.store.listAliases({ account: ACCOUNT, region: 'us-east-1' }, { limit: 10 })), aliasesBefore);
      assert.equal(JSON.stringify(await f.t.services.store.listGrants({ account: ACCOUNT, region: 'us-east-1' }, f.keyId, { limit: 10 })), grantsBefore);
    });
  }
});

describe('what each access decision is told', () => {
  async function recorded(operation: string, body: (f: Fixture) => object, region?: string): Promise<{ f: Fixture; decisions: Decision[] }> {
    const f = await fixture();
    const access = new RecordingAccess(f.t.services.store);
    f.t.services.access = access;
    const response = await f.t.call(operation, body(f), { region: region ?? 'us-east-1' });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return { f, decisions: access.decisions };
  }

  it('GenerateDataKeyPair by alias: the key, the action, the context, the grant tokens and their grants, the spec and the alias', async () => {
    const { f, decisions } = await recorded('GenerateDataKeyPair', (x) => ({
      KeyId: 'alias/app',
      KeyPairSpec: 'RSA_2048',
      EncryptionContext: { purpose: 'test', team: 'crypto' },
      GrantTokens: [x.grantToken, x.grantToken],
    }));
    const grant = await f.t.services.store.getGrant({ account: ACCOUNT, region: 'us-east-1' }, f.keyId, f.grantId);
    assert.deepEqual(decisions, [
      {
        principal: ROOT,
        accessKeyId: 'AKIDTEST',
        action: 'kms:GenerateDataKeyPair',
        resource: arn(f.keyId),
        facts: {
          grantTokens: [f.grantToken, f.grantToken],
          grantsFromTokens: [grant],
          encryptionContext: { purpose: 'test', team: 'crypto' },
          dataKeyPairSpec: 'RSA_2048',
          requestAlias: 'alias/app',
        },
      },
    ]);
  });

  it('Sign, Verify, GenerateMac and DeriveSharedSecret: their algorithms and message type', async () => {
    const told = async (operation: string, body: (f: Fixture) => object) => (await recorded(operation, body)).decisions.map((d) => [d.action, d.facts]);
    assert.deepEqual(await told('Sign', (f) => ({ KeyId: f.signKeyId, Message: MESSAGE, SigningAlgorithm: 'ECDSA_SHA_256' })), [
      ['kms:Sign', { grantTokens: [], signingAlgorithm: 'ECDSA_SHA_256', messageType: 'RAW' }],
    ]);
    const digest = Buffer.alloc(32).toString('base64');
    assert.deepEqual(await told('Sign', (f) => ({ KeyId: f.signKeyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' })), [
      ['kms:Sign', { grantTokens: [], signingAlgorithm: 'ECDSA_SHA_256', messageType: 'DIGEST' }],
    ]);
    assert.deepEqual(await told('Verify', (f) => ({ KeyId: f.signKeyId, Message: MESSAGE, SigningAlgorithm: 'ECDSA_SHA_256', Signature: f.signature })), [
      ['kms:Verify', { grantTokens: [], signingAlgorithm: 'ECDSA_SHA_256', messageType: 'RAW' }],
    ]);
    assert.deepEqual(await told('GenerateMac', (f) => ({ KeyId: f.macKeyId, Message: MESSAGE, MacAlgorithm: 'HMAC_SHA_256' })), [
      ['kms:GenerateMac', { grantTokens: [], macAlgorithm: 'HMAC_SHA_256' }],
    ]);
    assert.deepEqual(await told('DeriveSharedSecret', (f) => ({ KeyId: f.agreeKeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: PEER })), [
      ['kms:DeriveSharedSecret', { grantTokens: [], keyAgreementAlgorithm: 'ECDH' }],
    ]);
  });

  it('Decrypt without a KeyId: the key the ciphertext names, with its context', async () => {
    const { f, decisions } = await recorded('Decrypt', (x) => ({ CiphertextBlob: x.blob, EncryptionContext: { app: 'a' } }));
    assert.deepEqual(
      decisions.map((d) => [d.action, d.resource, d.facts.encryptionContext, d.facts.encryptionAlgorithm]),
      [['kms:Decrypt', arn(f.keyId), { app: 'a' }, 'SYMMETRIC_DEFAULT']],
    );
  });

  it('ReEncrypt: kms:ReEncryptTo on the destination, kms:ReEncryptFrom on the source, each with its own context', async () => {
    const { f, decisions } = await recorded('ReEncrypt', (x) => ({
      CiphertextBlob: x.blob,
      SourceEncryptionContext: { app: 'a' },
      DestinationKeyId: x.otherKeyId,
      DestinationEncryptionContext: { app: 'b' },
    }));
    assert.deepEqual(
      decisions.map((d) => [d.action, d.resource, d.facts.encryptionContext]),
      [
        ['kms:ReEncryptTo', arn(f.otherKeyId), { app: 'b' }],
        ['kms:ReEncryptFrom', arn(f.keyId), { app: 'a' }],
      ],
    );
  });

  it('CreateKey: an account-level action on *, with the key spec, usage and origin asked for', async () => {
    const { decisions } = await recorded('CreateKey', () => ({ KeySpec: 'ECC_NIST_P384', KeyUsage: 'SIGN_VERIFY' }));
    assert.deepEqual(decisions, [
      {
        principal: ROOT,
        accessKeyId: 'AKIDTEST',
        action: 'kms:CreateKey',
        resource: '*',
        facts: { grantTokens: [], keySpec: 'ECC_NIST_P384', keyUsage: 'SIGN_VERIFY', keyOrigin: 'AWS_KMS', multiRegion: false },
      },
    ]);
    const multiRegion = await recorded('CreateKey', () => ({ MultiRegion: true }));
    assert.deepEqual(multiRegion.decisions.map((d) => d.facts), [
      { grantTokens: [], keySpec: 'SYMMETRIC_DEFAULT', keyOrigin: 'AWS_KMS', keyUsage: 'ENCRYPT_DECRYPT', multiRegion: true, multiRegionKeyType: 'PRIMARY' },
    ]);
  });

  it('ReplicateKey: kms:ReplicateKey on the primary with kms:ReplicaRegion, kms:CreateKey in the replica Region, kms:TagResource on the replica', async () => {
    const { f, decisions } = await recorded('ReplicateKey', (x) => ({ KeyId: x.mrkId, ReplicaRegion: 'ap-southeast-2', Tags: [{ TagKey: 'team', TagValue: 'x' }] }));
    const tags = [{ TagKey: 'team', TagValue: 'x' }];
    assert.deepEqual(
      decisions.map((d) => [d.action, d.resource, d.facts]),
      [
        ['kms:ReplicateKey', arn(f.mrkId), { grantTokens: [], replicaRegion: 'ap-southeast-2' }],
        [
          'kms:CreateKey',
          '*',
          { grantTokens: [], keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', keyOrigin: 'AWS_KMS', multiRegion: true, multiRegionKeyType: 'REPLICA', requestTags: tags },
        ],
        ['kms:TagResource', `arn:aws:kms:ap-southeast-2:${ACCOUNT}:key/${f.mrkId}`, { grantTokens: [], requestTags: tags }],
      ],
    );
  });

  it('UpdatePrimaryRegion: kms:UpdatePrimaryRegion on the primary and on the replica, with kms:PrimaryRegion', async () => {
    const { f, decisions } = await recorded('UpdatePrimaryRegion', (x) => ({ KeyId: x.mrkId, PrimaryRegion: 'eu-west-1' }));
    assert.deepEqual(
      decisions.map((d) => [d.action, d.resource, d.facts]),
      [
        ['kms:UpdatePrimaryRegion', arn(f.mrkId), { grantTokens: [], primaryRegion: 'eu-west-1' }],
        ['kms:UpdatePrimaryRegion', `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${f.mrkId}`, { grantTokens: [], primaryRegion: 'eu-west-1' }],
      ],
    );
  });

  it('CreateGrant: the key, and the grant being made (kms:GrantOperations, kms:GranteePrincipal, kms:RetiringPrincipal, constraints)', async () => {
    const { f, decisions } = await recorded('CreateGrant', (x) => ({
      KeyId: x.keyId,
      GranteePrincipal: GRANTEE,
      RetiringPrincipal: RETIREE,
      Operations: ['Decrypt', 'Encrypt', 'Decrypt'],
      Constraints: { EncryptionContextSubset: { app: 'a' } },
    }));
    assert.deepEqual(decisions, [
      {
        principal: ROOT,
        accessKeyId: 'AKIDTEST',
        action: 'kms:CreateGrant',
        resource: arn(f.keyId),
        facts: {
          grantTokens: [],
          newGrant: { operations: ['Decrypt', 'Encrypt'], granteePrincipal: GRANTEE, retiringPrincipal: RETIREE, constraints: { EncryptionContextSubset: { app: 'a' } } },
        },
      },
    ]);
  });

  it('RetireGrant by the account root, neither retiring principal nor grantee: kms:RetireGrant on the grant\'s key', async () => {
    const asRoot = await recorded('RetireGrant', (x) => ({ GrantToken: x.grantToken }));
    assert.deepEqual(asRoot.decisions.map((d) => [d.action, d.resource]), [['kms:RetireGrant', arn(asRoot.f.keyId)]]);
  });

  it('CreateAlias: the alias and the key, both', async () => {
    const { f, decisions } = await recorded('CreateAlias', (x) => ({ AliasName: 'alias/second', TargetKeyId: x.keyId }));
    assert.deepEqual(
      decisions.map((d) => [d.action, d.resource]),
      [
        ['kms:CreateAlias', `arn:aws:kms:us-east-1:${ACCOUNT}:alias/second`],
        ['kms:CreateAlias', arn(f.keyId)],
      ],
    );
  });

  it('UpdateAlias: the alias, the key it names now and the key it will name', async () => {
    const { f, decisions } = await recorded('UpdateAlias', (x) => ({ AliasName: 'alias/app', TargetKeyId: x.otherKeyId }));
    assert.deepEqual(
      decisions.map((d) => [d.action, d.resource]),
      [
        ['kms:UpdateAlias', `arn:aws:kms:us-east-1:${ACCOUNT}:alias/app`],
        ['kms:UpdateAlias', arn(f.keyId)],
        ['kms:UpdateAlias', arn(f.otherKeyId)],
      ],
    );
  });

  it('DeleteAlias: the alias and the key it names', async () => {
    const { f, decisions } = await recorded('DeleteAlias', () => ({ AliasName: 'alias/app' }));
    assert.deepEqual(
      decisions.map((d) => [d.action, d.resource]),
      [
        ['kms:DeleteAlias', `arn:aws:kms:us-east-1:${ACCOUNT}:alias/app`],
        ['kms:DeleteAlias', arn(f.keyId)],
      ],
    );
  });

  it('the region of the SigV4 credential scope is the region the caller acts in', async () => {
    const t = createTestApp();
    const access = new RecordingAccess(t.services.store);
    t.services.access = access;
    await t.call('ListKeys', {}, { region: 'eu-west-1' });
    assert.deepEqual(
      access.decisions.map((d) => [d.principal, d.accessKeyId, d.action, d.resource]),
      [[ROOT, 'AKIDTEST', 'kms:ListKeys', '*']],
    );
  });
});

describe('the credential scope and the ARN partition', () => {
  it("refuses a credential scope for another service, with AWS's InvalidSignatureException wording", async () => {
    const t = createTestApp();
    const response = await t.app.handle({
      method: 'POST',
      path: '/',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'TrentService.ListKeys',
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00',
      },
      body: Buffer.from('{}'),
    });
    assert.equal(response.status, 400);
    assert.deepEqual(JSON.parse(response.body), {
      __type: 'InvalidSignatureException',
      message: "Credential should be scoped to correct service: 'kms'. ",
    });
  });

  for (const partition of ['zz-top', 'aws-cn', 'aws-us-gov']) {
    it(`refuses a key ARN whose partition (${partition}) is not its region's`, async () => {
      const f = await fixture();
      const text = `arn:${partition}:kms:us-east-1:${ACCOUNT}:key/${f.keyId}`;
      const response = await f.t.call('DescribeKey', { KeyId: text });
      assert.deepEqual(response.body, { __type: 'NotFoundException', message: `Invalid keyId '${text}'` });
    });
  }

  it('accepts the aws-cn partition in a China region', async () => {
    const t = createTestApp();
    const created = await t.call('CreateKey', {}, { region: 'cn-north-1' });
    const keyArn = (created.body.KeyMetadata as { Arn: string }).Arn;
    assert.match(keyArn, /^arn:aws-cn:kms:cn-north-1:/);
    assert.equal((await t.call('DescribeKey', { KeyId: keyArn }, { region: 'cn-north-1' })).status, 200);
  });
});

describe('operations declare themselves', () => {
  const registry = createRegistry(kmsModel);

  it('each is authorized as kms:<its name>, but ReEncrypt, which is kms:ReEncryptFrom and kms:ReEncryptTo', () => {
    for (const [name, operation] of registry) {
      assert.deepEqual(operation.actions, name === 'ReEncrypt' ? ['kms:ReEncryptFrom', 'kms:ReEncryptTo'] : [`kms:${name}`], name);
    }
  });

  it('the ones that change stored state are not read-only (CloudTrail readOnly)', () => {
    const writers = [...registry.values()].filter((op) => !op.readOnly).map((op) => op.name).sort();
    assert.deepEqual(writers, [
      'CancelKeyDeletion', 'CreateAlias', 'CreateGrant', 'CreateKey', 'DeleteAlias', 'DeleteImportedKeyMaterial', 'DisableKey',
      'DisableKeyRotation', 'EnableKey', 'EnableKeyRotation', 'ImportKeyMaterial', 'PutKeyPolicy', 'ReplicateKey', 'RetireGrant', 'RevokeGrant',
      'RotateKeyOnDemand', 'ScheduleKeyDeletion', 'TagResource', 'UntagResource', 'UpdateAlias', 'UpdateKeyDescription', 'UpdatePrimaryRegion',
    ]);
  });

  it('account-level actions declare no resource; alias operations act on the alias and the key', () => {
    const resources = Object.fromEntries([...registry].map(([name, op]) => [name, op.resources.join('+')]));
    for (const name of ['CreateKey', 'GenerateRandom', 'ListAliases', 'ListKeys', 'ListRetirableGrants']) assert.equal(resources[name], '', name);
    for (const name of ['CreateAlias', 'DeleteAlias', 'UpdateAlias']) assert.equal(resources[name], 'alias+key', name);
    for (const name of ['GenerateDataKeyPair', 'CreateGrant', 'ListGrants', 'RetireGrant', 'RevokeGrant']) assert.equal(resources[name], 'key', name);
  });

  it("sensitive members come from the model's sensitive trait", () => {
    const sensitive = (name: string) => registry.get(name)?.sensitive;
    assert.deepEqual(sensitive('Encrypt'), { input: ['Plaintext'], output: [] });
    assert.deepEqual(sensitive('Decrypt'), { input: [], output: ['Plaintext'] });
    assert.deepEqual(sensitive('GenerateDataKey'), { input: [], output: ['Plaintext'] });
    assert.deepEqual(sensitive('GenerateDataKeyPair'), { input: [], output: ['PrivateKeyPlaintext'] });
    assert.deepEqual(sensitive('GenerateDataKeyPairWithoutPlaintext'), { input: [], output: [] });
    assert.deepEqual(sensitive('GenerateRandom'), { input: [], output: ['Plaintext'] });
    assert.deepEqual(sensitive('DescribeKey'), { input: [], output: [] });
  });
});

describe('the README lists what is not served', () => {
  it('names exactly the operations of the model that the registry does not serve', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const paragraph = /Not served yet[^:]*:\n([\s\S]*?)\.\n/.exec(readme)?.[1];
    assert.ok(paragraph, 'README has its "Not served yet" paragraph');
    const listed = paragraph.split(/,\s*/).map((name) => name.trim()).sort();
    const unserved = Object.keys(kmsModel.operations).filter((name) => !createRegistry(kmsModel).has(name)).sort();
    assert.deepEqual(listed, unserved);
  });
});
