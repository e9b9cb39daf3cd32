/**
 * Post-quantum data key pairs (ML_KEM_512, ML_KEM_768, ML_KEM_1024) through @aws-sdk/client-kms,
 * checked by implementations Trent does not use: Python's `cryptography` (OpenSSL 4) for
 * ML-KEM-768 and -1024, which it can load, and the `mlkem` package for ML-KEM-512. ML-KEM and
 * ML-DSA KMS keys refused as wrapping keys are error rows of
 * test/operations/generate-data-key-pair.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { DecryptCommand, GenerateDataKeyPairCommand, GenerateDataKeyPairWithoutPlaintextCommand, type KMSClient } from '@aws-sdk/client-kms';
import { MlKem512 } from 'mlkem';
import { awsError } from '../helpers/clients.js';
import { createKey, useServer } from '../helpers/functional.js';

const CHECKER = fileURLToPath(new URL('../../../test/checkers/ml_kem_check.py', import.meta.url));

const specs = [
  { spec: 'ML_KEM_512', oidLast: 1, publicKeyBytes: 800 },
  { spec: 'ML_KEM_768', oidLast: 2, publicKeyBytes: 1184 },
  { spec: 'ML_KEM_1024', oidLast: 3, publicKeyBytes: 1568 },
] as const;

const OID_PREFIX = '06096086480165030404'; // 2.16.840.1.101.3.4.4.<n>, the last arc appended

/** DER length bytes for a definite length. */
function derLength(n: number): string {
  if (n < 0x80) return n.toString(16).padStart(2, '0');
  const hex = n.toString(16).padStart(n > 0xff ? 4 : 2, '0');
  return (0x80 + hex.length / 2).toString(16) + hex;
}

/** SubjectPublicKeyInfo ::= SEQ { SEQ { OID } , BIT STRING (0x00 || ek) }, no parameters. */
function expectedSpkiPrefix(oidLast: number, keyBytes: number): string {
  const algorithm = `300b${OID_PREFIX}${oidLast.toString(16).padStart(2, '0')}`;
  const bitString = `03${derLength(keyBytes + 1)}00`;
  const total = algorithm.length / 2 + bitString.length / 2 + keyBytes;
  return `30${derLength(total)}${algorithm}${bitString}`;
}

/** PKCS#8 v0 with the seed form: [0] IMPLICIT OCTET STRING (SIZE (64)). */
function expectedPkcs8Prefix(oidLast: number): string {
  return `3054020100300b${OID_PREFIX}${oidLast.toString(16).padStart(2, '0')}04428040`;
}

describe('ML-KEM data key pairs', () => {
  let kms: KMSClient;
  let keyArn: string;
  const dir = mkdtempSync(join(tmpdir(), 'trent-mlkem-'));

  const server = useServer({
    async setUp() {
      kms = server.kms;
      keyArn = (await createKey(kms, { Description: 'ml-kem wrapping key' })).Arn;
    },
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const { spec, oidLast, publicKeyBytes } of specs) {
    describe(spec, () => {
      it('GenerateDataKeyPair returns the LAMPS SPKI and the 86-byte seed PKCS#8, decryptable with the context', async () => {
        const context = { purpose: 'pq-test', spec };
        const pair = await kms.send(
          new GenerateDataKeyPairCommand({ KeyId: keyArn, KeyPairSpec: spec, EncryptionContext: context }),
        );
        assert.equal(pair.KeyPairSpec, spec);
        assert.equal(pair.KeyId, keyArn);
        const publicKey = Buffer.from(pair.PublicKey as Uint8Array);
        const privateKey = Buffer.from(pair.PrivateKeyPlaintext as Uint8Array);
        const prefix = expectedSpkiPrefix(oidLast, publicKeyBytes);
        assert.equal(publicKey.subarray(0, prefix.length / 2).toString('hex'), prefix);
        assert.equal(publicKey.length, prefix.length / 2 + publicKeyBytes);
        assert.equal(privateKey.length, 86);
        assert.equal(privateKey.subarray(0, 22).toString('hex'), expectedPkcs8Prefix(oidLast));

        const decrypted = await kms.send(
          new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: context }),
        );
        assert.deepEqual(Buffer.from(decrypted.Plaintext as Uint8Array), privateKey);
        const wrong = await awsError(() =>
          kms.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: { purpose: 'other' } })),
        );
        assert.equal(wrong.name, 'InvalidCiphertextException');
      });

      it('WithoutPlaintext returns no private key, and its blob decrypts to a seed matching the public key', async () => {
        const pair = await kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: keyArn, KeyPairSpec: spec }));
        assert.equal('PrivateKeyPlaintext' in pair, false);
        assert.equal(pair.KeyMaterialId?.length, 64);
        const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob }));
        const privateKey = Buffer.from(Plaintext as Uint8Array);
        assert.equal(privateKey.length, 86);
        if (spec === 'ML_KEM_512') {
          const kem = new MlKem512();
          const [ek] = await kem.deriveKeyPair(privateKey.subarray(22));
          assert.deepEqual(Buffer.from(ek), Buffer.from(pair.PublicKey as Uint8Array).subarray(-publicKeyBytes));
        }
      });

      it('gives a distinct pair on every call', async () => {
        const [a, b] = await Promise.all([
          kms.send(new GenerateDataKeyPairCommand({ KeyId: keyArn, KeyPairSpec: spec })),
          kms.send(new GenerateDataKeyPairCommand({ KeyId: keyArn, KeyPairSpec: spec })),
        ]);
        assert.notDeepEqual(Buffer.from(a.PublicKey as Uint8Array), Buffer.from(b.PublicKey as Uint8Array));
        assert.notDeepEqual(Buffer.from(a.PrivateKeyPlaintext as Uint8Array), Buffer.from(b.PrivateKeyPlaintext as Uint8Array));
      });

      if (spec === 'ML_KEM_512') {
        it('the mlkem package regenerates the public key from the seed and completes encapsulate/decapsulate', async () => {
          const pair = await kms.send(new GenerateDataKeyPairCommand({ KeyId: keyArn, KeyPairSpec: spec }));
          const seed = Buffer.from(pair.PrivateKeyPlaintext as Uint8Array).subarray(22);
          const kem = new MlKem512();
          const [ek, dk] = await kem.deriveKeyPair(seed);
          const publicKey = Buffer.from(pair.PublicKey as Uint8Array).subarray(-publicKeyBytes);
          assert.deepEqual(Buffer.from(ek), publicKey);
          const [ciphertext, sharedSecret] = await new MlKem512().encap(publicKey);
          assert.deepEqual(Buffer.from(await kem.decap(ciphertext, dk)), Buffer.from(sharedSecret));
        });
      } else {
        it("Python's cryptography (OpenSSL 4) loads both keys and encapsulates/decapsulates to the same secret", async () => {
          const pair = await kms.send(new GenerateDataKeyPairCommand({ KeyId: keyArn, KeyPairSpec: spec }));
          const publicPath = join(dir, `${spec}.pub.der`);
          const privatePath = join(dir, `${spec}.key.der`);
          writeFileSync(publicPath, pair.PublicKey as Uint8Array);
          writeFileSync(privatePath, pair.PrivateKeyPlaintext as Uint8Array);
          const report = JSON.parse(execFileSync('python3', [CHECKER, publicPath, privatePath], { encoding: 'utf8' })) as Record<string, unknown>;
          assert.deepEqual(report, {
            publicType: spec === 'ML_KEM_768' ? 'MLKEM768PublicKey' : 'MLKEM1024PublicKey',
            privateType: spec === 'ML_KEM_768' ? 'MLKEM768PrivateKey' : 'MLKEM1024PrivateKey',
            sharedSecretsMatch: true,
            sharedSecretLength: 32,
            derivedPublicKeyMatches: true,
            publicDerRoundTrips: true,
          });
        });
      }
    });
  }
});
