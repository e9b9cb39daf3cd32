/**
 * GrantTokens in every operation Trent serves that takes them (the list comes from the model, so
 * a new one must join the table): the model's shape (at most 10 tokens of 1..8192 characters),
 * then each token must name a grant that exists, checked once for all of them by the pipeline's
 * grantTokens stage (src/server/stages.ts). A token of a grant just created works in the very
 * next request; a token Trent did not issue, a tampered one, one made under another root key or
 * in another region, and one whose grant was revoked, retired or deleted with its key are refused
 * with InvalidGrantTokenException (AWS-BEHAVIOUR.md, "Grants"), before anything else is done.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { GrantTokenSigner } from '../../src/crypto/grant-token.js';
import { RootKey } from '../../src/crypto/root-key.js';
import { deleteDueKeys } from '../../src/domain/key-state.js';
import { createRegistry } from '../../src/operations/index.js';
import { kmsModel } from '../../src/protocol/kms-model.generated.js';
import { ACCOUNT, b64, type CreatedKey, type TestApp } from '../helpers/in-process.js';
import { errorRows, inProcessFixture, type ErrorRow } from './error-table.js';

const INVALID = 'Invalid grant token.';
const GRANTEE = `arn:aws:iam::${ACCOUNT}:role/app`;
const DAY_MS = 24 * 60 * 60 * 1000;

interface Fixture {
  key: CreatedKey;
  blob: string;
  /** A token of a live grant on `key`, and one of a grant on another key. */
  live: string;
  otherKeys: string;
  revoked: string;
  retired: string;
  keyDeleted: string;
  otherRegion: string;
  otherRootKey: string;
  /** Keys of the other usages, with what their verifying operations take. */
  sign: CreatedKey;
  mac: CreatedKey;
  agree: CreatedKey;
  kem: CreatedKey;
  signature: string;
  macValue: string;
  peer: string;
  kemCiphertext: string;
}

/**
 * Each operation that takes GrantTokens, with a request that succeeds without them, and the key
 * it names when not the fixture's symmetric `key`.
 */
const OPERATIONS: Record<string, { body: (f: Fixture) => Record<string, unknown>; answer: (response: Record<string, unknown>) => unknown; key?: (f: Fixture) => CreatedKey }> = {
  CreateGrant: { body: (f) => ({ KeyId: f.key.keyId, GranteePrincipal: GRANTEE, Operations: ['Decrypt'] }), answer: (r) => typeof r.GrantId },
  DescribeKey: { body: (f) => ({ KeyId: f.key.keyId }), answer: (r) => (r.KeyMetadata as { Arn: string }).Arn },
  Encrypt: { body: (f) => ({ KeyId: f.key.keyId, Plaintext: b64('x') }), answer: (r) => r.KeyId },
  Decrypt: { body: (f) => ({ CiphertextBlob: f.blob }), answer: (r) => r.KeyId },
  ReEncrypt: { body: (f) => ({ CiphertextBlob: f.blob, DestinationKeyId: f.key.keyId }), answer: (r) => r.KeyId },
  GenerateDataKey: { body: (f) => ({ KeyId: f.key.keyId, KeySpec: 'AES_256' }), answer: (r) => r.KeyId },
  GenerateDataKeyWithoutPlaintext: { body: (f) => ({ KeyId: f.key.keyId, NumberOfBytes: 16 }), answer: (r) => r.KeyId },
  GenerateDataKeyPair: { body: (f) => ({ KeyId: f.key.keyId, KeyPairSpec: 'ECC_NIST_P256' }), answer: (r) => r.KeyId },
  GenerateDataKeyPairWithoutPlaintext: { body: (f) => ({ KeyId: f.key.keyId, KeyPairSpec: 'ECC_NIST_EDWARDS25519' }), answer: (r) => r.KeyId },
  GetPublicKey: { body: (f) => ({ KeyId: f.sign.keyId }), answer: (r) => r.KeyId, key: (f) => f.sign },
  Sign: { body: (f) => ({ KeyId: f.sign.keyId, Message: b64('m'), SigningAlgorithm: 'ECDSA_SHA_256' }), answer: (r) => r.KeyId, key: (f) => f.sign },
  Verify: { body: (f) => ({ KeyId: f.sign.keyId, Message: b64('m'), SigningAlgorithm: 'ECDSA_SHA_256', Signature: f.signature }), answer: (r) => r.KeyId, key: (f) => f.sign },
  GenerateMac: { body: (f) => ({ KeyId: f.mac.keyId, Message: b64('m'), MacAlgorithm: 'HMAC_SHA_256' }), answer: (r) => r.KeyId, key: (f) => f.mac },
  VerifyMac: { body: (f) => ({ KeyId: f.mac.keyId, Message: b64('m'), MacAlgorithm: 'HMAC_SHA_256', Mac: f.macValue }), answer: (r) => r.KeyId, key: (f) => f.mac },
  DeriveSharedSecret: { body: (f) => ({ KeyId: f.agree.keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: f.peer }), answer: (r) => r.KeyId, key: (f) => f.agree },
  Encapsulate: { body: (f) => ({ KeyId: f.kem.keyId, EncapsulationAlgorithm: 'ML_KEM' }), answer: (r) => r.KeyId, key: (f) => f.kem },
  Decapsulate: { body: (f) => ({ KeyId: f.kem.keyId, EncapsulationAlgorithm: 'ML_KEM', SharedSecretCiphertextBlob: f.kemCiphertext }), answer: (r) => r.KeyId, key: (f) => f.kem },
};

/** What a successful answer of `operation` shows: the key's ARN (CreateGrant: a grant id's type). */
const expected = (operation: string, f: Fixture) => (operation === 'CreateGrant' ? 'string' : (OPERATIONS[operation]?.key?.(f) ?? f.key).arn);

async function grantToken(t: TestApp, keyId: string, region?: string): Promise<{ GrantId: string; GrantToken: string }> {
  const body = { KeyId: keyId, GranteePrincipal: GRANTEE, Operations: ['Decrypt', 'Encrypt'] };
  return (await t.ok('CreateGrant', body, region === undefined ? {} : { region })) as { GrantId: string; GrantToken: string };
}

const fixture = inProcessFixture<Fixture>(async (t) => {
  const key = await t.createKey();
  const other = await t.createKey();
  const blob = (await t.ok('Encrypt', { KeyId: key.keyId, Plaintext: b64('granted') })).CiphertextBlob as string;
  const revoked = await grantToken(t, key.keyId);
  await t.ok('RevokeGrant', { KeyId: key.keyId, GrantId: revoked.GrantId });
  const retired = await grantToken(t, key.keyId);
  await t.ok('RetireGrant', { GrantToken: retired.GrantToken });
  const doomed = await t.createKey();
  const keyDeleted = await grantToken(t, doomed.keyId);
  await t.ok('ScheduleKeyDeletion', { KeyId: doomed.keyId, PendingWindowInDays: 7 });
  t.clock.advance(8 * DAY_MS);
  assert.equal(await deleteDueKeys(t.services.store, t.clock.now()), 1);
  const euKey = await t.createKey({}, { region: 'eu-west-1' });
  const live = await grantToken(t, key.keyId);
  // A token of a grant that exists, for every claim it makes, but signed under another root key.
  const otherRootKey = GrantTokenSigner.fromRootKey(RootKey.fromBytes(randomBytes(32))).issue({ account: ACCOUNT, region: 'us-east-1', keyId: key.keyId, grantId: live.GrantId });
  const sign = await t.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
  const mac = await t.createKey({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
  const agree = await t.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' });
  const kem = await t.createKey({ KeySpec: 'ML_KEM_768', KeyUsage: 'ENCAPSULATE_DECAPSULATE' });
  return {
    sign,
    mac,
    agree,
    kem,
    signature: (await t.ok('Sign', { KeyId: sign.keyId, Message: b64('m'), SigningAlgorithm: 'ECDSA_SHA_256' })).Signature as string,
    macValue: (await t.ok('GenerateMac', { KeyId: mac.keyId, Message: b64('m'), MacAlgorithm: 'HMAC_SHA_256' })).Mac as string,
    peer: b64(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' })),
    kemCiphertext: (await t.ok('Encapsulate', { KeyId: kem.keyId, EncapsulationAlgorithm: 'ML_KEM' })).SharedSecretCiphertextBlob as string,
    key,
    blob,
    live: live.GrantToken,
    otherKeys: (await grantToken(t, other.keyId)).GrantToken,
    revoked: revoked.GrantToken,
    retired: retired.GrantToken,
    keyDeleted: keyDeleted.GrantToken,
    otherRegion: (await grantToken(t, euKey.keyId, 'eu-west-1')).GrantToken,
    otherRootKey,
  };
});

describe('the operations that take GrantTokens', () => {
  it('are every served operation whose input has GrantTokens, all in the table here', () => {
    const served = [...createRegistry(kmsModel).keys()];
    const taking = served.filter((name) => {
      const input = kmsModel.shapes[kmsModel.operations[name]?.input ?? ''];
      return input?.type === 'structure' && Object.hasOwn(input.members, 'GrantTokens');
    });
    assert.deepEqual(Object.keys(OPERATIONS).sort(), taking.sort());
  });
});

describe('grant tokens that name live grants are accepted', () => {
  const accepted: { title: string; tokens: (f: Fixture) => string[] }[] = [
    { title: 'an empty list', tokens: () => [] },
    { title: 'the token of a grant created in the request before', tokens: (f) => [f.live] },
    { title: 'the same token twice', tokens: (f) => [f.live, f.live] },
    { title: "a token of a grant on another key (valid, though it allows nothing on this one)", tokens: (f) => [f.otherKeys, f.live] },
  ];
  for (const [operation, { body, answer }] of Object.entries(OPERATIONS)) {
    for (const row of accepted) {
      it(`${operation} with ${row.title}`, async () => {
        const { t, f } = fixture;
        assert.equal(answer(await t.ok(operation, { ...body(f), GrantTokens: row.tokens(f) })), expected(operation, f));
      });
    }
  }
});

describe('grant tokens that name no live grant are refused with InvalidGrantTokenException', () => {
  const refused: { title: string; tokens: (f: Fixture) => string[] }[] = [
    { title: 'a token shaped like one AWS issues', tokens: () => ['AQpAM2RhZTk1MGMyNTk2ZmZmMzEyYWVhOWViN2I1MWM4Mzc0MWFiYjc0ZDE1ODkyNGFlNTIzODZhMzgyZjBlNGY3NiKIAgEBAgB4Pa6VDCWW'] },
    // Ten tokens, the last 8192 characters long: both limits of the model reached, neither passed.
    { title: '10 tokens Trent never issued, one of 8192 characters', tokens: () => Array.from({ length: 10 }, (_, i) => `${i}`.repeat(i === 9 ? 8192 : 1)) },
    { title: 'a live token with one character changed', tokens: (f) => [f.live.slice(0, 20) + (f.live[20] === 'A' ? 'B' : 'A') + f.live.slice(21)] },
    { title: 'a live token cut short', tokens: (f) => [f.live.slice(0, -1)] },
    { title: 'a token made under another root key', tokens: (f) => [f.otherRootKey] },
    { title: 'the token of a revoked grant', tokens: (f) => [f.revoked] },
    { title: 'the token of a retired grant', tokens: (f) => [f.retired] },
    { title: 'the token of a grant whose key was deleted', tokens: (f) => [f.keyDeleted] },
    { title: 'the token of a grant in another region', tokens: (f) => [f.otherRegion] },
    { title: 'a live token and a revoked one', tokens: (f) => [f.live, f.revoked] },
  ];
  const rows: ErrorRow<Fixture>[] = [];
  for (const [operation, { body }] of Object.entries(OPERATIONS)) {
    for (const row of refused) {
      rows.push({ name: `${operation} with ${row.title}`, operation, body: (f) => ({ ...body(f), GrantTokens: row.tokens(f) }), error: 'InvalidGrantTokenException', message: INVALID });
    }
  }
  rows.push(
    {
      name: 'a bad token wins over an unknown key',
      operation: 'Encrypt',
      body: () => ({ KeyId: '0badc0de-0000-4000-8000-00000000dead', Plaintext: b64('x'), GrantTokens: ['nope'] }),
      error: 'InvalidGrantTokenException',
      message: INVALID,
    },
    {
      name: 'a bad token wins over DryRun',
      operation: 'GenerateDataKeyPair',
      body: (f) => ({ KeyId: f.key.keyId, KeyPairSpec: 'ECC_NIST_P256', DryRun: true, GrantTokens: [f.revoked] }),
      error: 'InvalidGrantTokenException',
      message: INVALID,
    },
  );
  errorRows(fixture, rows);

  it('the refused CreateGrant requests created no grant', async () => {
    const { t, f } = fixture;
    const grants = (await t.ok('ListGrants', { KeyId: f.key.keyId })).Grants as unknown[];
    // The live grant, and one for each CreateGrant accepted above.
    assert.equal(grants.length, 1 + 4);
  });

  it('names the key the token is for nowhere in the error', async () => {
    const { t, f } = fixture;
    const { message } = await t.error('Decrypt', { CiphertextBlob: f.blob, GrantTokens: [f.revoked] });
    assert.equal(String(message).includes(f.key.keyId), false);
  });
});

describe('malformed GrantTokens are refused by model validation', () => {
  const tooLong = 'g'.repeat(8193);
  const refused: { title: string; tokens: string[]; message: string }[] = [
    {
      title: '11 tokens',
      tokens: Array.from({ length: 11 }, (_, i) => `token-${i + 1}`),
      message:
        "1 validation error detected: Value '[token-1, token-2, token-3, token-4, token-5, token-6, token-7, token-8, token-9, " +
        "token-10, token-11]' at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10",
    },
    {
      title: 'an empty token',
      tokens: [''],
      message: "1 validation error detected: Value '' at 'grantTokens.1.member' failed to satisfy constraint: Member must have length greater than or equal to 1",
    },
    {
      title: 'a second token of 8193 characters',
      tokens: ['ok', tooLong],
      message: `1 validation error detected: Value '${tooLong}' at 'grantTokens.2.member' failed to satisfy constraint: Member must have length less than or equal to 8192`,
    },
  ];
  const rows: ErrorRow<Fixture>[] = [];
  for (const [operation, { body }] of Object.entries(OPERATIONS)) {
    for (const row of refused) {
      rows.push({ name: `${operation} with ${row.title}`, operation, body: (f) => ({ ...body(f), GrantTokens: row.tokens }), error: 'ValidationException', message: row.message });
    }
  }
  errorRows(fixture, rows);
});
