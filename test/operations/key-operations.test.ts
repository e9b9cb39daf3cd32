/**
 * The errors of the operations of asymmetric, HMAC and ML-KEM keys, in-process: GetPublicKey,
 * Sign, Verify, GenerateMac, VerifyMac, DeriveSharedSecret, Encapsulate, Decapsulate, and
 * Encrypt / Decrypt with an RSA or SM2 key. Key state, key usage, algorithm against key spec, message
 * type and length, DryRun (after every check, and losing to a failing one), GrantTokens, and
 * the condition keys kms:SigningAlgorithm, kms:MessageType, kms:MacAlgorithm and
 * kms:KeyAgreementAlgorithm in a key policy. AWS's recorded wordings are quoted where known
 * (src/operations/core/key-operations.ts names their source); the others are errors.ts's
 * `messages`. The happy paths, checked by independent implementations, are in
 * test/functional/signing.test.ts and test/functional/key-operations.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { messages } from '../../src/errors.js';
import { b64, keyArn, type CreatedKey, type TestApp } from '../helpers/in-process.js';
import { errorRows, inProcessFixture, unknownKeyRow, type ErrorRow } from './error-table.js';

const DRY_RUN = 'The request would have succeeded, but the DryRun option is set.';
const ROOT = 'arn:aws:iam::111122223333:root';
const usage = (key: CreatedKey, actual: string, operation: string) => `${key.arn} key usage is ${actual} which is not valid for ${operation}.`;
const incompatible = (algorithm: string, spec: string) => `Algorithm ${algorithm} is incompatible with key spec ${spec}.`;

interface Keys {
  rsaSign: CreatedKey;
  rsaEncrypt: CreatedKey;
  p256Sign: CreatedKey;
  p256Agree: CreatedKey;
  ed25519: CreatedKey;
  mlDsa: CreatedKey;
  mlKem: CreatedKey;
  hmac: CreatedKey;
  symmetric: CreatedKey;
  sm2Sign: CreatedKey;
  sm2Encrypt: CreatedKey;
  disabled: CreatedKey;
  pendingDeletion: CreatedKey;
  pendingImport: CreatedKey;
  /** Its key policy denies by the new condition keys. */
  guarded: CreatedKey;
  guardedMac: CreatedKey;
  guardedAgree: CreatedKey;
  /** A P-256 public key, for DeriveSharedSecret. */
  peer: string;
  /** A valid RSAES_OAEP_SHA_256 ciphertext under rsaEncrypt. */
  rsaCiphertext: string;
  /** A valid SM2PKE ciphertext of 'x' under sm2Encrypt. */
  sm2Ciphertext: string;
}

function denyPolicy(action: string, conditionKey: string, value: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' },
      { Effect: 'Deny', Principal: { AWS: '*' }, Action: action, Resource: '*', Condition: { StringEquals: { [conditionKey]: value } } },
    ],
  });
}

async function setUp(t: TestApp): Promise<Keys> {
  const sign = (KeySpec: string) => t.createKey({ KeySpec, KeyUsage: 'SIGN_VERIFY' });
  const keys = {
    rsaSign: await sign('RSA_2048'),
    rsaEncrypt: await t.createKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }),
    p256Sign: await sign('ECC_NIST_P256'),
    p256Agree: await t.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' }),
    ed25519: await sign('ECC_NIST_EDWARDS25519'),
    mlDsa: await sign('ML_DSA_44'),
    mlKem: await t.createKey({ KeySpec: 'ML_KEM_512', KeyUsage: 'ENCAPSULATE_DECAPSULATE' }),
    hmac: await t.createKey({ KeySpec: 'HMAC_224', KeyUsage: 'GENERATE_VERIFY_MAC' }),
    symmetric: await t.createKey(),
    sm2Sign: await sign('SM2'),
    sm2Encrypt: await t.createKey({ KeySpec: 'SM2', KeyUsage: 'ENCRYPT_DECRYPT' }),
    disabled: await sign('ECC_NIST_P256'),
    pendingDeletion: await sign('ECC_NIST_P256'),
    pendingImport: await t.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Origin: 'EXTERNAL' }),
    guarded: await t.createKey({
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' },
          { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:Verify', Resource: '*', Condition: { StringEquals: { 'kms:MessageType': 'DIGEST' } } },
          { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:Sign', Resource: '*', Condition: { StringNotEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256' } } },
        ],
      }),
    }),
    guardedMac: await t.createKey({ KeySpec: 'HMAC_224', KeyUsage: 'GENERATE_VERIFY_MAC', Policy: denyPolicy('kms:GenerateMac', 'kms:MacAlgorithm', 'HMAC_SHA_224') }),
    guardedAgree: await t.createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT', Policy: denyPolicy('kms:DeriveSharedSecret', 'kms:KeyAgreementAlgorithm', 'ECDH') }),
  };
  await t.ok('DisableKey', { KeyId: keys.disabled.keyId });
  await t.ok('ScheduleKeyDeletion', { KeyId: keys.pendingDeletion.keyId, PendingWindowInDays: 7 });
  const peer = b64(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }));
  const encrypted = await t.ok('Encrypt', { KeyId: keys.rsaEncrypt.keyId, Plaintext: b64('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' });
  const sm2Encrypted = await t.ok('Encrypt', { KeyId: keys.sm2Encrypt.keyId, Plaintext: b64('x'), EncryptionAlgorithm: 'SM2PKE' });
  return { ...keys, peer, rsaCiphertext: encrypted.CiphertextBlob as string, sm2Ciphertext: sm2Encrypted.CiphertextBlob as string };
}

function flipLast(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

const message = b64('a message');
const digest256 = b64(createHash('sha256').update('a message').digest());
const signBody = (key: CreatedKey, SigningAlgorithm: string, extra: Record<string, unknown> = {}) => ({ KeyId: key.keyId, Message: message, SigningAlgorithm, ...extra });

describe('errors of the operations of asymmetric, HMAC and ML-KEM keys', () => {
  const fixture = inProcessFixture(setUp, { allowSm2Everywhere: true });

  describe('key state and key usage, in every operation', () => {
    const requests: [string, (f: Keys, key: CreatedKey) => Record<string, unknown>][] = [
      ['GetPublicKey', (_f, key) => ({ KeyId: key.keyId })],
      ['Sign', (_f, key) => signBody(key, 'ECDSA_SHA_256')],
      ['Verify', (_f, key) => signBody(key, 'ECDSA_SHA_256', { Signature: b64('sig') })],
      ['GenerateMac', (_f, key) => ({ KeyId: key.keyId, Message: message, MacAlgorithm: 'HMAC_SHA_224' })],
      ['VerifyMac', (_f, key) => ({ KeyId: key.keyId, Message: message, MacAlgorithm: 'HMAC_SHA_224', Mac: b64('mac') })],
      ['DeriveSharedSecret', (f, key) => ({ KeyId: key.keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: f.peer })],
      ['Encapsulate', (_f, key) => ({ KeyId: key.keyId, EncapsulationAlgorithm: 'ML_KEM' })],
      ['Decapsulate', (_f, key) => ({ KeyId: key.keyId, EncapsulationAlgorithm: 'ML_KEM', SharedSecretCiphertextBlob: b64(Buffer.alloc(768)) })],
    ];
    const rows: ErrorRow<Keys>[] = requests.flatMap(([operation, body]): ErrorRow<Keys>[] => [
      { name: `${operation} with a disabled key`, operation, body: (f) => body(f, f.disabled), error: 'DisabledException', message: (f) => `${f.disabled.arn} is disabled.` },
      {
        name: `${operation} with a key pending deletion`,
        operation,
        body: (f) => body(f, f.pendingDeletion),
        error: 'KMSInvalidStateException',
        message: (f) => messages.pendingDeletion(f.pendingDeletion.arn),
      },
      {
        name: `${operation} with a key pending import`,
        operation,
        body: (f) => body(f, f.pendingImport),
        error: 'KMSInvalidStateException',
        message: (f) => messages.pendingImport(f.pendingImport.arn),
      },
      unknownKeyRow(`${operation} with an unknown key`, operation, (keyId) => body({ peer: b64('p') } as Keys, { keyId } as CreatedKey)),
    ]);
    const usageRows: [string, keyof Keys, string][] = [
      ['Sign', 'symmetric', 'ENCRYPT_DECRYPT'],
      ['Sign', 'hmac', 'GENERATE_VERIFY_MAC'],
      ['Sign', 'rsaEncrypt', 'ENCRYPT_DECRYPT'],
      ['Sign', 'p256Agree', 'KEY_AGREEMENT'],
      ['Verify', 'symmetric', 'ENCRYPT_DECRYPT'],
      ['GenerateMac', 'symmetric', 'ENCRYPT_DECRYPT'],
      ['GenerateMac', 'rsaSign', 'SIGN_VERIFY'],
      ['VerifyMac', 'mlKem', 'ENCAPSULATE_DECAPSULATE'],
      ['DeriveSharedSecret', 'p256Sign', 'SIGN_VERIFY'],
      ['DeriveSharedSecret', 'symmetric', 'ENCRYPT_DECRYPT'],
      ['Encapsulate', 'symmetric', 'ENCRYPT_DECRYPT'],
      ['Encapsulate', 'mlDsa', 'SIGN_VERIFY'],
      ['Decapsulate', 'rsaEncrypt', 'ENCRYPT_DECRYPT'],
    ];
    for (const [operation, keyName, keyUsage] of usageRows) {
      const body = requests.find(([name]) => name === operation)?.[1];
      assert.ok(body);
      rows.push({
        name: `${operation} with a ${keyUsage} key (${keyName})`,
        operation,
        body: (f) => body(f, f[keyName] as CreatedKey),
        error: 'InvalidKeyUsageException',
        message: (f) => usage(f[keyName] as CreatedKey, keyUsage, operation),
      });
    }
    errorRows(fixture, rows);
  });

  describe('GetPublicKey', () => {
    errorRows(fixture, [
      { name: 'of a symmetric key', operation: 'GetPublicKey', body: (f) => ({ KeyId: f.symmetric.keyId }), error: 'UnsupportedOperationException', message: (f) => messages.noPublicKey(f.symmetric.arn, 'SYMMETRIC_DEFAULT') },
      { name: 'of an HMAC key', operation: 'GetPublicKey', body: (f) => ({ KeyId: f.hmac.keyId }), error: 'UnsupportedOperationException', message: (f) => messages.noPublicKey(f.hmac.arn, 'HMAC_224') },
    ]);

    it('answers every field AWS gives for an RSA encryption key, by alias too', async () => {
      const { t, f } = fixture;
      await t.ok('CreateAlias', { AliasName: 'alias/rsa-encryption', TargetKeyId: f.rsaEncrypt.keyId });
      const out = await t.ok('GetPublicKey', { KeyId: 'alias/rsa-encryption' });
      assert.deepEqual(Object.keys(out).sort(), ['CustomerMasterKeySpec', 'EncryptionAlgorithms', 'KeyId', 'KeySpec', 'KeyUsage', 'PublicKey']);
      assert.deepEqual(
        [out.KeyId, out.KeySpec, out.CustomerMasterKeySpec, out.KeyUsage, out.EncryptionAlgorithms],
        [f.rsaEncrypt.arn, 'RSA_2048', 'RSA_2048', 'ENCRYPT_DECRYPT', ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']],
      );
    });
  });

  describe('Sign and Verify', () => {
    const signRows = (operation: 'Sign' | 'Verify'): ErrorRow<Keys>[] => {
      const extra = operation === 'Verify' ? { Signature: b64('not a signature') } : {};
      const body = (key: CreatedKey, algorithm: string, more: Record<string, unknown> = {}) => signBody(key, algorithm, { ...extra, ...more });
      return [
        { name: `${operation}: ECDSA with an RSA key`, operation, body: (f) => body(f.rsaSign, 'ECDSA_SHA_256'), error: 'InvalidKeyUsageException', message: incompatible('ECDSA_SHA_256', 'RSA_2048') },
        { name: `${operation}: ECDSA_SHA_384 with a P-256 key (the curve decides the hash)`, operation, body: (f) => body(f.p256Sign, 'ECDSA_SHA_384'), error: 'InvalidKeyUsageException', message: incompatible('ECDSA_SHA_384', 'ECC_NIST_P256') },
        { name: `${operation}: RSASSA-PSS with an ML-DSA key`, operation, body: (f) => body(f.mlDsa, 'RSASSA_PSS_SHA_256'), error: 'InvalidKeyUsageException', message: incompatible('RSASSA_PSS_SHA_256', 'ML_DSA_44') },
        { name: `${operation}: a DIGEST of the wrong length`, operation, body: (f) => body(f.rsaSign, 'RSASSA_PSS_SHA_384', { MessageType: 'DIGEST', Message: digest256 }), error: 'ValidationException', message: 'Digest is invalid length for algorithm RSASSA_PSS_SHA_384.' },
        { name: `${operation}: ED25519_SHA_512 over a DIGEST`, operation, body: (f) => body(f.ed25519, 'ED25519_SHA_512', { MessageType: 'DIGEST' }), error: 'ValidationException', message: messages.messageTypeNotValid('DIGEST', 'ED25519_SHA_512') },
        { name: `${operation}: ED25519_PH_SHA_512 over a RAW message`, operation, body: (f) => body(f.ed25519, 'ED25519_PH_SHA_512'), error: 'ValidationException', message: messages.messageTypeNotValid('RAW', 'ED25519_PH_SHA_512') },
        { name: `${operation}: ED25519_PH_SHA_512 over a 32-byte DIGEST`, operation, body: (f) => body(f.ed25519, 'ED25519_PH_SHA_512', { MessageType: 'DIGEST', Message: digest256 }), error: 'ValidationException', message: 'Digest is invalid length for algorithm ED25519_PH_SHA_512.' },
        { name: `${operation}: ML-DSA over a DIGEST`, operation, body: (f) => body(f.mlDsa, 'ML_DSA_SHAKE_256', { MessageType: 'DIGEST', Message: digest256 }), error: 'ValidationException', message: messages.messageTypeNotValid('DIGEST', 'ML_DSA_SHAKE_256') },
        { name: `${operation}: an EXTERNAL_MU of 63 bytes`, operation, body: (f) => body(f.mlDsa, 'ML_DSA_SHAKE_256', { MessageType: 'EXTERNAL_MU', Message: b64(Buffer.alloc(63)) }), error: 'ValidationException', message: messages.externalMuLength('ML_DSA_SHAKE_256', 64) },
        { name: `${operation}: EXTERNAL_MU with ECDSA`, operation, body: (f) => body(f.p256Sign, 'ECDSA_SHA_256', { MessageType: 'EXTERNAL_MU', Message: b64(Buffer.alloc(64)) }), error: 'ValidationException', message: messages.messageTypeNotValid('EXTERNAL_MU', 'ECDSA_SHA_256') },
        { name: `${operation}: ECDSA_SHA_256 with an SM2 key`, operation, body: (f) => body(f.sm2Sign, 'ECDSA_SHA_256'), error: 'InvalidKeyUsageException', message: incompatible('ECDSA_SHA_256', 'SM2') },
        { name: `${operation}: SM2DSA with a P-256 key`, operation, body: (f) => body(f.p256Sign, 'SM2DSA'), error: 'InvalidKeyUsageException', message: incompatible('SM2DSA', 'ECC_NIST_P256') },
        { name: `${operation}: SM2DSA over a DIGEST of 31 bytes`, operation, body: (f) => body(f.sm2Sign, 'SM2DSA', { MessageType: 'DIGEST', Message: b64(Buffer.alloc(31)) }), error: 'ValidationException', message: 'Digest is invalid length for algorithm SM2DSA.' },
        { name: `${operation}: SM2DSA over an EXTERNAL_MU`, operation, body: (f) => body(f.sm2Sign, 'SM2DSA', { MessageType: 'EXTERNAL_MU', Message: b64(Buffer.alloc(64)) }), error: 'ValidationException', message: messages.messageTypeNotValid('EXTERNAL_MU', 'SM2DSA') },
        { name: `${operation}: SM2DSA: DryRun`, operation, body: (f) => body(f.sm2Sign, 'SM2DSA', { DryRun: true }), error: 'DryRunOperationException', message: DRY_RUN },
        {
          name: `${operation}: a message of 4097 bytes (sensitive: not echoed)`,
          operation,
          body: (f) => body(f.p256Sign, 'ECDSA_SHA_256', { Message: b64(Buffer.alloc(4097)) }),
          error: 'ValidationException',
          message: "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096",
        },
        { name: `${operation}: DryRun after every check`, operation, body: (f) => body(f.p256Sign, 'ECDSA_SHA_256', { DryRun: true }), error: 'DryRunOperationException', message: DRY_RUN },
        { name: `${operation}: DryRun loses to a failing check`, operation, body: (f) => body(f.p256Sign, 'ECDSA_SHA_512', { DryRun: true }), error: 'InvalidKeyUsageException', message: incompatible('ECDSA_SHA_512', 'ECC_NIST_P256') },
        { name: `${operation}: a malformed grant token`, operation, body: (f) => body(f.p256Sign, 'ECDSA_SHA_256', { GrantTokens: ['not-a-token'] }), error: 'InvalidGrantTokenException', message: messages.invalidGrantToken },
      ];
    };
    errorRows(fixture, [
      ...signRows('Sign'),
      ...signRows('Verify'),
      { name: 'Verify: a signature that does not verify', operation: 'Verify', body: (f) => signBody(f.p256Sign, 'ECDSA_SHA_256', { Signature: b64(Buffer.alloc(72, 1)) }), error: 'KMSInvalidSignatureException', message: '' },
      {
        name: 'Sign denied by kms:SigningAlgorithm in the key policy (access is decided before the key spec)',
        operation: 'Sign',
        body: (f) => signBody(f.guarded, 'ECDSA_SHA_384'),
        error: 'AccessDeniedException',
        message: (f) => `User: ${ROOT} is not authorized to perform: kms:Sign on resource: ${f.guarded.arn} with an explicit deny in a resource-based policy`,
      },
      {
        name: 'Verify denied by kms:MessageType in the key policy',
        operation: 'Verify',
        body: (f) => signBody(f.guarded, 'ECDSA_SHA_256', { MessageType: 'DIGEST', Message: b64(Buffer.alloc(32)), Signature: b64('s') }),
        error: 'AccessDeniedException',
        message: (f) => `User: ${ROOT} is not authorized to perform: kms:Verify on resource: ${f.guarded.arn} with an explicit deny in a resource-based policy`,
      },
    ]);

    it('the condition keys let through what they do not deny', async () => {
      const { t, f } = fixture;
      const signed = await t.ok('Sign', signBody(f.guarded, 'ECDSA_SHA_256'));
      assert.equal((await t.ok('Verify', signBody(f.guarded, 'ECDSA_SHA_256', { Signature: signed.Signature }))).SignatureValid, true);
      const digest = b64(createHash('sha256').update('a message').digest());
      assert.ok((await t.ok('Sign', signBody(f.guarded, 'ECDSA_SHA_256', { MessageType: 'DIGEST', Message: digest }))).Signature);
    });
  });

  describe('GenerateMac and VerifyMac', () => {
    const mac = (key: (f: Keys) => CreatedKey, algorithm: string, extra: Record<string, unknown> = {}) => (f: Keys) => ({ KeyId: key(f).keyId, Message: message, MacAlgorithm: algorithm, ...extra });
    errorRows(fixture, [
      { name: 'GenerateMac: HMAC_SHA_256 with an HMAC_224 key', operation: 'GenerateMac', body: mac((f) => f.hmac, 'HMAC_SHA_256'), error: 'InvalidKeyUsageException', message: incompatible('HMAC_SHA_256', 'HMAC_224') },
      { name: 'VerifyMac: HMAC_SHA_512 with an HMAC_224 key', operation: 'VerifyMac', body: mac((f) => f.hmac, 'HMAC_SHA_512', { Mac: b64('m') }), error: 'InvalidKeyUsageException', message: incompatible('HMAC_SHA_512', 'HMAC_224') },
      { name: 'VerifyMac: a MAC that does not match', operation: 'VerifyMac', body: mac((f) => f.hmac, 'HMAC_SHA_224', { Mac: b64(Buffer.alloc(28)) }), error: 'KMSInvalidMacException', message: '' },
      { name: 'VerifyMac: a MAC of the wrong length', operation: 'VerifyMac', body: mac((f) => f.hmac, 'HMAC_SHA_224', { Mac: b64(Buffer.alloc(27)) }), error: 'KMSInvalidMacException', message: '' },
      { name: 'GenerateMac: DryRun', operation: 'GenerateMac', body: mac((f) => f.hmac, 'HMAC_SHA_224', { DryRun: true }), error: 'DryRunOperationException', message: DRY_RUN },
      { name: 'VerifyMac: DryRun', operation: 'VerifyMac', body: mac((f) => f.hmac, 'HMAC_SHA_224', { DryRun: true, Mac: b64('m') }), error: 'DryRunOperationException', message: DRY_RUN },
      {
        name: 'GenerateMac: an empty message',
        operation: 'GenerateMac',
        body: mac((f) => f.hmac, 'HMAC_SHA_224', { Message: '' }),
        error: 'ValidationException',
        message: "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length greater than or equal to 1",
      },
      {
        name: 'GenerateMac denied by kms:MacAlgorithm in the key policy',
        operation: 'GenerateMac',
        body: mac((f) => f.guardedMac, 'HMAC_SHA_224'),
        error: 'AccessDeniedException',
        message: (f) => `User: ${ROOT} is not authorized to perform: kms:GenerateMac on resource: ${f.guardedMac.arn} with an explicit deny in a resource-based policy`,
      },
    ]);
  });

  describe('DeriveSharedSecret, Encapsulate and Decapsulate', () => {
    errorRows(fixture, [
      { name: 'DeriveSharedSecret: a public key that is not one', operation: 'DeriveSharedSecret', body: (f) => ({ KeyId: f.p256Agree.keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: b64('InvalidPublicKey') }), error: 'ValidationException', message: '' },
      {
        name: 'DeriveSharedSecret: a point off the curve',
        operation: 'DeriveSharedSecret',
        body: (f) => {
          const spki = Buffer.from(f.peer, 'base64');
          spki[spki.length - 1] = (spki[spki.length - 1] ?? 0) ^ 0x01;
          return { KeyId: f.p256Agree.keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: b64(spki) };
        },
        error: 'ValidationException',
        message: '',
      },
      { name: 'DeriveSharedSecret: DryRun', operation: 'DeriveSharedSecret', body: (f) => ({ KeyId: f.p256Agree.keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: f.peer, DryRun: true }), error: 'DryRunOperationException', message: DRY_RUN },
      {
        name: 'DeriveSharedSecret denied by kms:KeyAgreementAlgorithm in the key policy',
        operation: 'DeriveSharedSecret',
        body: (f) => ({ KeyId: f.guardedAgree.keyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: f.peer }),
        error: 'AccessDeniedException',
        message: (f) => `User: ${ROOT} is not authorized to perform: kms:DeriveSharedSecret on resource: ${f.guardedAgree.arn} with an explicit deny in a resource-based policy`,
      },
      { name: 'Encapsulate: DryRun', operation: 'Encapsulate', body: (f) => ({ KeyId: f.mlKem.keyId, EncapsulationAlgorithm: 'ML_KEM', DryRun: true }), error: 'DryRunOperationException', message: DRY_RUN },
      {
        name: 'Encapsulate: an algorithm outside the enum',
        operation: 'Encapsulate',
        body: (f) => ({ KeyId: f.mlKem.keyId, EncapsulationAlgorithm: 'ML_KEM_768' }),
        error: 'ValidationException',
        message: "1 validation error detected: Value 'ML_KEM_768' at 'encapsulationAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [ML_KEM]",
      },
      { name: 'Decapsulate: a ciphertext one byte short', operation: 'Decapsulate', body: (f) => ({ KeyId: f.mlKem.keyId, EncapsulationAlgorithm: 'ML_KEM', SharedSecretCiphertextBlob: b64(Buffer.alloc(767)) }), error: 'InvalidCiphertextException', message: '' },
      { name: 'Decapsulate: a ciphertext of ML_KEM_768 to an ML_KEM_512 key', operation: 'Decapsulate', body: (f) => ({ KeyId: f.mlKem.keyId, EncapsulationAlgorithm: 'ML_KEM', SharedSecretCiphertextBlob: b64(Buffer.alloc(1088)) }), error: 'InvalidCiphertextException', message: '' },
      { name: 'Decapsulate: DryRun', operation: 'Decapsulate', body: (f) => ({ KeyId: f.mlKem.keyId, EncapsulationAlgorithm: 'ML_KEM', SharedSecretCiphertextBlob: b64(Buffer.alloc(768)), DryRun: true }), error: 'DryRunOperationException', message: DRY_RUN },
    ]);
  });

  describe('Encrypt and Decrypt with asymmetric keys', () => {
    errorRows(fixture, [
      { name: 'Encrypt with an RSA key and no algorithm (SYMMETRIC_DEFAULT)', operation: 'Encrypt', body: (f) => ({ KeyId: f.rsaEncrypt.keyId, Plaintext: b64('x') }), error: 'InvalidKeyUsageException', message: incompatible('SYMMETRIC_DEFAULT', 'RSA_2048') },
      { name: 'Encrypt with an RSA signing key', operation: 'Encrypt', body: (f) => ({ KeyId: f.rsaSign.keyId, Plaintext: b64('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' }), error: 'InvalidKeyUsageException', message: (f) => usage(f.rsaSign, 'SIGN_VERIFY', 'Encrypt') },
      {
        name: 'Encrypt of 191 bytes with RSAES_OAEP_SHA_256 and RSA_2048',
        operation: 'Encrypt',
        body: (f) => ({ KeyId: f.rsaEncrypt.keyId, Plaintext: b64(Buffer.alloc(191)), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
        error: 'ValidationException',
        message: 'Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes.',
      },
      {
        name: 'Encrypt of 1025 bytes with SM2PKE',
        operation: 'Encrypt',
        body: (f) => ({ KeyId: f.sm2Encrypt.keyId, Plaintext: b64(Buffer.alloc(1025)), EncryptionAlgorithm: 'SM2PKE' }),
        error: 'ValidationException',
        message: 'Algorithm SM2PKE and key spec SM2 cannot encrypt data larger than 1024 bytes.',
      },
      { name: 'Encrypt with an SM2 key and RSAES_OAEP_SHA_256', operation: 'Encrypt', body: (f) => ({ KeyId: f.sm2Encrypt.keyId, Plaintext: b64('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }), error: 'InvalidKeyUsageException', message: incompatible('RSAES_OAEP_SHA_256', 'SM2') },
      { name: 'Encrypt with an RSA key and SM2PKE', operation: 'Encrypt', body: (f) => ({ KeyId: f.rsaEncrypt.keyId, Plaintext: b64('x'), EncryptionAlgorithm: 'SM2PKE' }), error: 'InvalidKeyUsageException', message: incompatible('SM2PKE', 'RSA_2048') },
      { name: 'Encrypt with an SM2 signing key', operation: 'Encrypt', body: (f) => ({ KeyId: f.sm2Sign.keyId, Plaintext: b64('x'), EncryptionAlgorithm: 'SM2PKE' }), error: 'InvalidKeyUsageException', message: (f) => usage(f.sm2Sign, 'SIGN_VERIFY', 'Encrypt') },
      { name: 'Encrypt with SM2PKE: DryRun', operation: 'Encrypt', body: (f) => ({ KeyId: f.sm2Encrypt.keyId, Plaintext: b64('x'), EncryptionAlgorithm: 'SM2PKE', DryRun: true }), error: 'DryRunOperationException', message: DRY_RUN },
      { name: 'Decrypt of bytes that are no SM2 ciphertext', operation: 'Decrypt', body: (f) => ({ KeyId: f.sm2Encrypt.keyId, CiphertextBlob: b64(Buffer.alloc(120, 3)), EncryptionAlgorithm: 'SM2PKE' }), error: 'InvalidCiphertextException', message: '' },
      { name: 'Decrypt with an SM2 key and no algorithm', operation: 'Decrypt', body: (f) => ({ KeyId: f.sm2Encrypt.keyId, CiphertextBlob: f.sm2Ciphertext }), error: 'InvalidKeyUsageException', message: incompatible('SYMMETRIC_DEFAULT', 'SM2') },
      { name: 'Decrypt of an SM2 ciphertext with a flipped bit', operation: 'Decrypt', body: (f) => ({ KeyId: f.sm2Encrypt.keyId, CiphertextBlob: flipLast(f.sm2Ciphertext), EncryptionAlgorithm: 'SM2PKE' }), error: 'InvalidCiphertextException', message: '' },
      { name: 'Decrypt of an SM2 ciphertext without a KeyId (read as a symmetric blob)', operation: 'Decrypt', body: (f) => ({ CiphertextBlob: f.sm2Ciphertext, EncryptionAlgorithm: 'SM2PKE' }), error: 'InvalidCiphertextException', message: '' },
      { name: 'Encrypt with an RSA key: DryRun', operation: 'Encrypt', body: (f) => ({ KeyId: f.rsaEncrypt.keyId, Plaintext: b64('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_1', DryRun: true }), error: 'DryRunOperationException', message: DRY_RUN },
      { name: 'Encrypt with a disabled asymmetric key', operation: 'Encrypt', body: (f) => ({ KeyId: f.disabled.keyId, Plaintext: b64('x') }), error: 'DisabledException', message: (f) => `${f.disabled.arn} is disabled.` },
      { name: 'Decrypt of bytes that are no RSA ciphertext', operation: 'Decrypt', body: (f) => ({ KeyId: f.rsaEncrypt.keyId, CiphertextBlob: b64(Buffer.alloc(256, 3)), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }), error: 'InvalidCiphertextException', message: '' },
      { name: 'Decrypt of a short blob with an RSA key', operation: 'Decrypt', body: (f) => ({ KeyId: f.rsaEncrypt.keyId, CiphertextBlob: b64('short'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }), error: 'InvalidCiphertextException', message: '' },
      { name: 'Decrypt with an RSA key and another OAEP hash', operation: 'Decrypt', body: (f) => ({ KeyId: f.rsaEncrypt.keyId, CiphertextBlob: f.rsaCiphertext, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' }), error: 'InvalidCiphertextException', message: '' },
      { name: 'Decrypt with an RSA key and no algorithm', operation: 'Decrypt', body: (f) => ({ KeyId: f.rsaEncrypt.keyId, CiphertextBlob: f.rsaCiphertext }), error: 'InvalidKeyUsageException', message: incompatible('SYMMETRIC_DEFAULT', 'RSA_2048') },
      { name: 'Decrypt with an RSA key: DryRun', operation: 'Decrypt', body: (f) => ({ KeyId: f.rsaEncrypt.keyId, CiphertextBlob: f.rsaCiphertext, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256', DryRun: true }), error: 'DryRunOperationException', message: DRY_RUN },
    ]);

    it('Decrypt of an SM2PKE ciphertext answers the plaintext, without KeyMaterialId', async () => {
      const { t, f } = fixture;
      const out = await t.ok('Decrypt', { KeyId: f.sm2Encrypt.keyId, CiphertextBlob: f.sm2Ciphertext, EncryptionAlgorithm: 'SM2PKE' });
      assert.deepEqual(out, { KeyId: keyArn(f.sm2Encrypt.keyId), Plaintext: b64('x'), EncryptionAlgorithm: 'SM2PKE' });
    });

    it('Decrypt of an RSA ciphertext answers without KeyMaterialId', async () => {
      const { t, f } = fixture;
      const out = await t.ok('Decrypt', { KeyId: f.rsaEncrypt.keyId, CiphertextBlob: f.rsaCiphertext, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' });
      assert.deepEqual(out, { KeyId: keyArn(f.rsaEncrypt.keyId), Plaintext: b64('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' });
    });
  });
});
