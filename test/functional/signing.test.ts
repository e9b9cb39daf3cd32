/**
 * GetPublicKey, Sign and Verify through @aws-sdk/client-kms for every (KeySpec, signing
 * algorithm, message type) AWS allows, and a sample of what it refuses. The table below is
 * written from AWS's documentation (the KMS Developer Guide's "Key spec reference" and the API
 * reference of Sign's MessageType), not from Trent's descriptor table, and checked against the
 * model's enums. Every signature Trent makes is verified by implementations Trent does not use
 * for it: Python's `cryptography` (OpenSSL 4; test/checkers/signature_check.py, which also
 * checks Ed25519ph with RFC 8032's reference code), the `openssl` 3.0 CLI (`dgst -verify`,
 * `pkeyutl -verify`; for SM2DSA with `-pkeyopt distid:1234567812345678`, AWS's distinguishing id,
 * over the message, with e = SM3(Z_A || M) of a DIGEST computed here from GB/T 32918's curve) and,
 * for ML-DSA, @noble/post-quantum; and signatures made outside Trent with a key of the same kind
 * are refused by Verify. SM2 keys are made in cn-north-1, as AWS serves them in China Regions.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { constants, createHash, generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { GetPublicKeyCommand, SignCommand, VerifyCommand, type KMSClient, type KeySpec, type KeyUsageType, type SigningAlgorithmSpec } from '@aws-sdk/client-kms';
import { ed25519ph } from '@noble/curves/ed25519.js';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { kmsModel } from '../../src/protocol/kms-model.generated.js';
import { awsError } from '../helpers/clients.js';
import { createKey, keyArn, useServer } from '../helpers/functional.js';

const CHECKER = fileURLToPath(new URL('../../../test/checkers/signature_check.py', import.meta.url));

type MessageType = 'RAW' | 'DIGEST' | 'EXTERNAL_MU';
const RSA = [
  'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512',
] as const;

/** AWS's signing key specs, each with its algorithms and, per algorithm, the message types it takes. */
const SIGNING: readonly { spec: KeySpec; algorithms: readonly { name: SigningAlgorithmSpec; types: readonly MessageType[] }[] }[] = [
  ...(['RSA_2048', 'RSA_3072', 'RSA_4096'] as const).map((spec) => ({ spec, algorithms: RSA.map((name) => ({ name, types: ['RAW', 'DIGEST'] as const })) })),
  { spec: 'ECC_NIST_P256', algorithms: [{ name: 'ECDSA_SHA_256', types: ['RAW', 'DIGEST'] }] },
  { spec: 'ECC_NIST_P384', algorithms: [{ name: 'ECDSA_SHA_384', types: ['RAW', 'DIGEST'] }] },
  { spec: 'ECC_NIST_P521', algorithms: [{ name: 'ECDSA_SHA_512', types: ['RAW', 'DIGEST'] }] },
  { spec: 'ECC_SECG_P256K1', algorithms: [{ name: 'ECDSA_SHA_256', types: ['RAW', 'DIGEST'] }] },
  { spec: 'ECC_NIST_EDWARDS25519', algorithms: [{ name: 'ED25519_SHA_512', types: ['RAW'] }, { name: 'ED25519_PH_SHA_512', types: ['DIGEST'] }] },
  ...(['ML_DSA_44', 'ML_DSA_65', 'ML_DSA_87'] as const).map((spec) => ({ spec, algorithms: [{ name: 'ML_DSA_SHAKE_256' as const, types: ['RAW', 'EXTERNAL_MU'] as const }] })),
];

/** SM2 keys are served in China Regions: their rows run against a cn-north-1 client. */
const SM2_SIGNING = { spec: 'SM2', algorithms: [{ name: 'SM2DSA', types: ['RAW', 'DIGEST'] }] } as const;

/** GB/T 32918.5-2017's curve: a || b || xG || yG, as Z_A hashes them. */
const SM2_CURVE = Buffer.from(
  'fffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffc' +
    '28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93' +
    '32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7' +
    'bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0',
  'hex',
);

/** SM2DSA's e = SM3(Z_A || M), Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA) (GB/T 32918.2 §5.5). */
function sm2Digest(spki: Buffer, message: Buffer, id: string): Buffer {
  const idBytes = Buffer.from(id, 'utf8');
  const entl = Buffer.from([(idBytes.length * 8) >> 8, (idBytes.length * 8) & 0xff]);
  const z = createHash('sm3').update(Buffer.concat([entl, idBytes, SM2_CURVE, spki.subarray(spki.length - 64)])).digest();
  return createHash('sm3').update(z).update(message).digest();
}

/** The hash an algorithm's name ends with, by node's name. */
function hashOf(algorithm: string): string {
  if (algorithm === 'ML_DSA_SHAKE_256') return 'shake256';
  return `sha${algorithm.slice(-3)}`;
}

const ML_DSA = { ML_DSA_44: ml_dsa44, ML_DSA_65: ml_dsa65, ML_DSA_87: ml_dsa87 } as const;
const ML_DSA_PUBLIC_BYTES = { ML_DSA_44: 1312, ML_DSA_65: 1952, ML_DSA_87: 2592 } as const;

/** FIPS 204 §6.2 (Algorithm 2, step 6 with an empty context): mu = H(H(pk, 64) || 0 || 0 || M, 64). */
function externalMu(rawPublicKey: Buffer, message: Buffer): Buffer {
  const tr = createHash('shake256', { outputLength: 64 }).update(rawPublicKey).digest();
  return createHash('shake256', { outputLength: 64 }).update(tr).update(Buffer.from([0, 0])).update(message).digest();
}

function flipBit(bytes: Uint8Array, index = 0): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

interface Made {
  spec: KeySpec;
  spki: Buffer;
  algorithm: SigningAlgorithmSpec;
  messageType: MessageType;
  /** What was sent as Message. */
  sent: Buffer;
  /** What the independent checkers verify against (the message for EXTERNAL_MU, else `sent`). */
  checked: Buffer;
  signature: Buffer;
}

/** Verifies with the openssl 3.0 CLI: `dgst -verify` over a message, `pkeyutl -verify` over a digest. */
function opensslVerifies(dir: string, made: Made): boolean {
  const pub = join(dir, 'pub.der');
  const data = join(dir, 'data.bin');
  const sig = join(dir, 'sig.bin');
  writeFileSync(pub, made.spki);
  writeFileSync(data, made.checked);
  writeFileSync(sig, made.signature);
  const pss = made.algorithm.startsWith('RSASSA_PSS_');
  const hash = hashOf(made.algorithm);
  let args: string[];
  if (made.algorithm === 'ED25519_SHA_512') {
    args = ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-keyform', 'DER', '-rawin', '-in', data, '-sigfile', sig];
  } else if (made.messageType === 'RAW') {
    const pssOptions = pss ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest'] : [];
    args = ['dgst', `-${hash}`, '-verify', pub, '-keyform', 'DER', ...pssOptions, '-signature', sig, data];
  } else {
    const pssOptions = pss ? ['-pkeyopt', 'rsa_padding_mode:pss', '-pkeyopt', 'rsa_pss_saltlen:digest'] : [];
    args = ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-keyform', 'DER', '-in', data, '-sigfile', sig, '-pkeyopt', `digest:${hash}`, ...pssOptions];
  }
  return spawnSync('openssl', args, { encoding: 'utf8' }).status === 0;
}

const outsideRsaKeys = new Map<number, KeyObject>();
function outsideRsaKey(bits: number): KeyObject {
  let key = outsideRsaKeys.get(bits);
  if (!key) {
    key = generateKeyPairSync('rsa', { modulusLength: bits }).privateKey;
    outsideRsaKeys.set(bits, key);
  }
  return key;
}

/** A signature of the same algorithm by a key made here, not Trent's, for Verify to refuse. */
function outsideSignature(spec: KeySpec, algorithm: SigningAlgorithmSpec, messageType: MessageType, message: Buffer): Buffer {
  if (spec in ML_DSA) {
    const dsa = ML_DSA[spec as keyof typeof ML_DSA];
    const { secretKey } = dsa.keygen();
    return Buffer.from(messageType === 'EXTERNAL_MU' ? dsa.internal.sign(message, secretKey, { externalMu: true }) : dsa.sign(message, secretKey));
  }
  if (algorithm === 'ED25519_PH_SHA_512') return Buffer.from(ed25519ph.sign(message, ed25519ph.utils.randomSecretKey()));
  if (algorithm === 'ED25519_SHA_512') return nodeSign(null, message, generateKeyPairSync('ed25519').privateKey);
  // Over a DIGEST this signs the digest's hash: still a well-formed signature of another key.
  const hash = hashOf(algorithm);
  if (spec.startsWith('RSA_')) {
    const privateKey = outsideRsaKey(Number(spec.slice(4)));
    const pss = { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
    return nodeSign(hash, message, algorithm.startsWith('RSASSA_PSS_') ? pss : privateKey);
  }
  const curves: Partial<Record<KeySpec, string>> = { ECC_NIST_P256: 'prime256v1', ECC_NIST_P384: 'secp384r1', ECC_NIST_P521: 'secp521r1', ECC_SECG_P256K1: 'secp256k1' };
  return nodeSign(hash, message, generateKeyPairSync('ec', { namedCurve: curves[spec] ?? 'prime256v1' }).privateKey);
}

describe('the signing table', () => {
  it('names only key specs, algorithms and message types of the model, and every signing algorithm', () => {
    const shapes = kmsModel.shapes as Record<string, { enum?: string[] }>;
    const specs = new Set(shapes.KeySpec?.enum);
    const algorithms = new Set(shapes.SigningAlgorithmSpec?.enum);
    const types = new Set(shapes.MessageType?.enum);
    for (const { spec, algorithms: list } of [...SIGNING, SM2_SIGNING]) {
      assert.ok(specs.has(spec), spec);
      for (const { name, types: t } of list) {
        assert.ok(algorithms.has(name), name);
        for (const type of t) assert.ok(types.has(type), type);
      }
    }
    const covered = new Set([...SIGNING, SM2_SIGNING].flatMap((s) => s.algorithms.map((a) => a.name)));
    assert.deepEqual([...algorithms].filter((a) => !covered.has(a as SigningAlgorithmSpec)), []);
  });
});

describe('GetPublicKey, Sign and Verify', () => {
  let kms: KMSClient;
  const server = useServer({
    setUp: async () => {
      kms = server.kms;
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'trent-signing-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const made: Made[] = [];
  const message = Buffer.from('Trent signs this message; 0123456789');

  for (const { spec, algorithms } of SIGNING) {
    describe(spec, () => {
      let key: { KeyId: string; Arn: string };
      let spki: Buffer;

      it('GetPublicKey gives the SPKI, the spec, SIGN_VERIFY and the algorithms AWS lists', async () => {
        key = await createKey(kms, { KeySpec: spec, KeyUsage: 'SIGN_VERIFY' });
        const out = await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
        assert.equal(out.KeyId, keyArn(key.KeyId));
        assert.equal(out.KeySpec, spec);
        assert.equal(out.KeyUsage, 'SIGN_VERIFY' satisfies KeyUsageType);
        assert.deepEqual(out.SigningAlgorithms, algorithms.map((a) => a.name));
        assert.equal(out.EncryptionAlgorithms, undefined);
        assert.equal(out.KeyAgreementAlgorithms, undefined);
        spki = Buffer.from(out.PublicKey as Uint8Array);
        if (spec in ML_DSA_PUBLIC_BYTES) assert.equal(spki.length, ML_DSA_PUBLIC_BYTES[spec as keyof typeof ML_DSA_PUBLIC_BYTES] + 22);
      });

      for (const { name: algorithm, types } of algorithms) {
        for (const messageType of types) {
          it(`${algorithm} over ${messageType}: Sign, then Verify, and refuses a flipped bit and another key's signature`, async () => {
            const raw = spki.subarray(22);
            const sent =
              messageType === 'RAW' ? message : messageType === 'DIGEST' ? createHash(hashOf(algorithm)).update(message).digest() : externalMu(raw, message);
            const signed = await kms.send(new SignCommand({ KeyId: key.KeyId, Message: sent, MessageType: messageType, SigningAlgorithm: algorithm }));
            assert.equal(signed.KeyId, keyArn(key.KeyId));
            assert.equal(signed.SigningAlgorithm, algorithm);
            const signature = Buffer.from(signed.Signature as Uint8Array);
            made.push({ spec, spki, algorithm, messageType, sent, checked: messageType === 'EXTERNAL_MU' ? message : sent, signature });

            const verified = await kms.send(
              new VerifyCommand({ KeyId: key.Arn, Message: sent, MessageType: messageType, SigningAlgorithm: algorithm, Signature: signature }),
            );
            assert.deepEqual([verified.KeyId, verified.SignatureValid, verified.SigningAlgorithm], [keyArn(key.KeyId), true, algorithm]);

            for (const [what, sig, msg] of [
              ['a flipped bit in the signature', flipBit(signature, signature.length >> 1), sent],
              ['a flipped bit in the message', signature, flipBit(sent)],
              ["another key's signature", outsideSignature(spec, algorithm, messageType, sent), sent],
            ] as const) {
              const refused = await awsError(() =>
                kms.send(new VerifyCommand({ KeyId: key.KeyId, Message: msg, MessageType: messageType, SigningAlgorithm: algorithm, Signature: sig })),
              );
              // AWS's message is empty, which the SDK shows as 'UnknownError' (the in-process table checks the wire).
              assert.deepEqual([refused.name, refused.status], ['KMSInvalidSignatureException', 400], what);
            }

            if (spec in ML_DSA) {
              const dsa = ML_DSA[spec as keyof typeof ML_DSA];
              assert.ok(dsa.verify(signature, message, raw), '@noble/post-quantum verifies the pure ML-DSA signature of the message');
            }
            if (messageType === 'EXTERNAL_MU') {
              // A signature over mu is the pure signature of the message: Verify agrees with RAW.
              const asRaw = await kms.send(new VerifyCommand({ KeyId: key.KeyId, Message: message, SigningAlgorithm: algorithm, Signature: signature }));
              assert.equal(asRaw.SignatureValid, true);
            }
          });
        }
      }
    });
  }

  describe('SM2 (cn-north-1)', () => {
    const ID = '1234567812345678';
    let cn: KMSClient;
    let key: { KeyId: string; Arn: string };
    let spki: Buffer;
    /** `openssl pkeyutl -verify` of a signature of `data` (SM3 over Z_A || data, Z_A with `id`). */
    const opensslVerifiesSm2 = (signature: Buffer, data: Buffer, id = ID): boolean => {
      writeFileSync(join(dir, 'sm2-pub.der'), spki);
      writeFileSync(join(dir, 'sm2-data.bin'), data);
      writeFileSync(join(dir, 'sm2-sig.bin'), signature);
      const args = ['-pubin', '-inkey', join(dir, 'sm2-pub.der'), '-keyform', 'DER', '-rawin', '-in', join(dir, 'sm2-data.bin'), '-sigfile', join(dir, 'sm2-sig.bin')];
      return spawnSync('openssl', ['pkeyutl', '-verify', ...args, '-digest', 'sm3', '-pkeyopt', `distid:${id}`]).status === 0;
    };
    /** A signature of `data` by an SM2 key openssl makes here, not Trent's. */
    const outsideSm2Signature = (data: Buffer): Buffer => {
      execFileSync('openssl', ['genpkey', '-algorithm', 'SM2', '-out', join(dir, 'outside-sm2.pem')]);
      writeFileSync(join(dir, 'sm2-data.bin'), data);
      execFileSync('openssl', ['pkeyutl', '-sign', '-inkey', join(dir, 'outside-sm2.pem'), '-rawin', '-in', join(dir, 'sm2-data.bin'), '-digest', 'sm3', '-pkeyopt', `distid:${ID}`, '-out', join(dir, 'outside-sig.bin')]);
      return readFileSync(join(dir, 'outside-sig.bin'));
    };

    it('GetPublicKey gives the SPKI, SM2, SIGN_VERIFY, SM2DSA and the aws-cn ARN', async () => {
      cn = server.client('cn-north-1');
      key = await createKey(cn, { KeySpec: 'SM2', KeyUsage: 'SIGN_VERIFY' });
      const out = await cn.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
      assert.deepEqual([out.KeyId, out.KeySpec, out.KeyUsage, out.SigningAlgorithms], [keyArn(key.KeyId, 'cn-north-1', 'aws-cn'), 'SM2', 'SIGN_VERIFY', ['SM2DSA']]);
      spki = Buffer.from(out.PublicKey as Uint8Array);
    });

    for (const messageType of SM2_SIGNING.algorithms[0].types) {
      it(`SM2DSA over ${messageType}: openssl verifies it with the distinguishing id ${ID}; Verify accepts it and refuses a flipped bit and another key's signature`, async () => {
        const sent = messageType === 'RAW' ? message : sm2Digest(spki, message, ID);
        const signed = await cn.send(new SignCommand({ KeyId: key.KeyId, Message: sent, MessageType: messageType, SigningAlgorithm: 'SM2DSA' }));
        assert.deepEqual([signed.KeyId, signed.SigningAlgorithm], [keyArn(key.KeyId, 'cn-north-1', 'aws-cn'), 'SM2DSA']);
        const signature = Buffer.from(signed.Signature as Uint8Array);
        assert.equal(opensslVerifiesSm2(signature, message), true, 'openssl verifies the signature of the message');
        assert.equal(opensslVerifiesSm2(signature, message, '8765432187654321'), false, 'not under another distinguishing id');

        const verified = await cn.send(new VerifyCommand({ KeyId: key.Arn, Message: sent, MessageType: messageType, SigningAlgorithm: 'SM2DSA', Signature: signature }));
        assert.deepEqual([verified.SignatureValid, verified.SigningAlgorithm], [true, 'SM2DSA']);
        for (const [what, sig, msg] of [
          ['a flipped bit in the signature', flipBit(signature, signature.length >> 1), sent],
          ['a flipped bit in the message', signature, flipBit(sent)],
          ["another key's signature", outsideSm2Signature(message), sent],
        ] as const) {
          const refused = await awsError(() => cn.send(new VerifyCommand({ KeyId: key.KeyId, Message: msg, MessageType: messageType, SigningAlgorithm: 'SM2DSA', Signature: sig })));
          assert.deepEqual([refused.name, refused.status], ['KMSInvalidSignatureException', 400], what);
        }
      });
    }

    it('SM2DSA over a DIGEST computed with a distinguishing id of the caller: openssl verifies it under that id', async () => {
      const id = 'ALICE123@YAHOO.COM';
      const signed = await cn.send(new SignCommand({ KeyId: key.KeyId, Message: sm2Digest(spki, message, id), MessageType: 'DIGEST', SigningAlgorithm: 'SM2DSA' }));
      const signature = Buffer.from(signed.Signature as Uint8Array);
      assert.equal(opensslVerifiesSm2(signature, message, id), true);
      assert.equal(opensslVerifiesSm2(signature, message), false, 'not under the default id');
    });

    it("Verify accepts openssl's signatures of the message only when made by the key (RAW)", async () => {
      const refused = await awsError(() => cn.send(new VerifyCommand({ KeyId: key.KeyId, Message: message, SigningAlgorithm: 'SM2DSA', Signature: outsideSm2Signature(message) })));
      assert.equal(refused.name, 'KMSInvalidSignatureException');
    });
  });

  it("Python's cryptography verifies every signature against GetPublicKey's key, and refuses each with a flipped bit", () => {
    assert.ok(made.length >= 30, `${made.length} signatures were made`);
    const cases = made.flatMap((m) => [m, { ...m, signature: flipBit(m.signature, m.signature.length >> 1) }]).map((m) => ({
      spki: m.spki.toString('base64'),
      algorithm: m.algorithm,
      messageType: m.messageType,
      message: m.checked.toString('base64'),
      signature: m.signature.toString('base64'),
    }));
    const results = JSON.parse(execFileSync('python3', [CHECKER], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 24 })) as boolean[];
    assert.deepEqual(
      results.map((ok, i) => `${made[i >> 1]?.spec} ${made[i >> 1]?.algorithm} ${made[i >> 1]?.messageType}${i % 2 ? ' flipped' : ''}: ${ok}`),
      made.flatMap((m) => [`${m.spec} ${m.algorithm} ${m.messageType}: true`, `${m.spec} ${m.algorithm} ${m.messageType} flipped: false`]),
    );
  });

  it('the openssl 3.0 CLI verifies every RSA, ECDSA and Ed25519 signature (dgst -verify, pkeyutl -verify)', () => {
    const classic = made.filter((m) => !(m.spec in ML_DSA) && m.algorithm !== 'ED25519_PH_SHA_512');
    assert.ok(classic.length >= 25);
    assert.deepEqual(
      classic.map((m) => `${m.spec} ${m.algorithm} ${m.messageType}: ${opensslVerifies(dir, m)}`),
      classic.map((m) => `${m.spec} ${m.algorithm} ${m.messageType}: true`),
    );
    const tampered = classic[0];
    assert.ok(tampered);
    assert.equal(opensslVerifies(dir, { ...tampered, signature: flipBit(tampered.signature, 9) }), false, 'openssl refuses a flipped bit');
  });
});

describe('Sign and Verify refusals (a sample; every row is in test/operations/key-operations.test.ts)', () => {
  const server = useServer();
  it('answer with AWS errors for the wrong algorithm, message type, digest length and key usage', async () => {
    const kms = server.kms;
    const rsa = await createKey(kms, { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
    const p256 = await createKey(kms, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const mlDsa = await createKey(kms, { KeySpec: 'ML_DSA_44', KeyUsage: 'SIGN_VERIFY' });
    const rsaEncryption = await createKey(kms, { KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
    const sm2 = await createKey(server.client('cn-north-1'), { KeySpec: 'SM2', KeyUsage: 'SIGN_VERIFY' });
    const rows = [
      [rsa, 'ECDSA_SHA_256', 'RAW', 16, 'InvalidKeyUsageException', 'Algorithm ECDSA_SHA_256 is incompatible with key spec RSA_2048.'],
      [p256, 'ECDSA_SHA_384', 'RAW', 16, 'InvalidKeyUsageException', 'Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_NIST_P256.'],
      [p256, 'ECDSA_SHA_256', 'DIGEST', 31, 'ValidationException', 'Digest is invalid length for algorithm ECDSA_SHA_256.'],
      [mlDsa, 'ML_DSA_SHAKE_256', 'DIGEST', 32, 'ValidationException', 'The DIGEST message type is not valid for the ML_DSA_SHAKE_256 signing algorithm.'],
      [mlDsa, 'ML_DSA_SHAKE_256', 'EXTERNAL_MU', 32, 'ValidationException', 'An EXTERNAL_MU message must be 64 bytes for algorithm ML_DSA_SHAKE_256.'],
      [rsa, 'RSASSA_PSS_SHA_256', 'EXTERNAL_MU', 64, 'ValidationException', 'The EXTERNAL_MU message type is not valid for the RSASSA_PSS_SHA_256 signing algorithm.'],
      [rsaEncryption, 'RSASSA_PSS_SHA_256', 'RAW', 16, 'InvalidKeyUsageException', `${keyArn(rsaEncryption.KeyId)} key usage is ENCRYPT_DECRYPT which is not valid for Sign.`],
    ] as const;
    for (const [key, algorithm, messageType, length, name, text] of rows) {
      const refused = await awsError(() =>
        kms.send(new SignCommand({ KeyId: key.KeyId, Message: Buffer.alloc(length, 1), MessageType: messageType, SigningAlgorithm: algorithm })),
      );
      assert.deepEqual([refused.name, refused.message], [name, text], `${algorithm} ${messageType}`);
    }
    const sm2Sign = await awsError(() =>
      server.client('cn-north-1').send(new SignCommand({ KeyId: sm2.KeyId, Message: Buffer.alloc(31), MessageType: 'DIGEST', SigningAlgorithm: 'SM2DSA' })),
    );
    assert.deepEqual([sm2Sign.name, sm2Sign.message], ['ValidationException', 'Digest is invalid length for algorithm SM2DSA.']);
    const sm2Ecdsa = await awsError(() =>
      server.client('cn-north-1').send(new SignCommand({ KeyId: sm2.KeyId, Message: Buffer.from('m'), SigningAlgorithm: 'ECDSA_SHA_256' })),
    );
    assert.deepEqual([sm2Ecdsa.name, sm2Ecdsa.message], ['InvalidKeyUsageException', 'Algorithm ECDSA_SHA_256 is incompatible with key spec SM2.']);
    const sm2Key = await server.client('cn-north-1').send(new GetPublicKeyCommand({ KeyId: sm2.KeyId }));
    assert.deepEqual(sm2Key.SigningAlgorithms, ['SM2DSA']);
    assert.equal(sm2Key.KeyId, keyArn(sm2.KeyId, 'cn-north-1', 'aws-cn'));
  });
});
