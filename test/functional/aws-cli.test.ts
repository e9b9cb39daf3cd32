/**
 * Functional tests through clients written by someone else in another language: the `aws` CLI
 * (v1, botocore) and a short boto3 script. They prove the wire protocol (SigV4 scope, JSON 1.1
 * framing, base64 blobs, error shapes) works for the Python SDK as well as for the JavaScript
 * one, and the asymmetric and HMAC commands (get-public-key, sign, verify, generate-mac) too,
 * SM2DSA in cn-north-1 included.
 * Each CLI call costs about a second, so the calls are few and each one checks a lot.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DecryptCommand, VerifyMacCommand } from '@aws-sdk/client-kms';
import { ACCOUNT, uniqueAlias, useServer } from '../helpers/functional.js';

const server = useServer();
const workDir = mkdtempSync(join(tmpdir(), 'trent-cli-test-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

/** The environment of a fresh AWS user: only our credentials and region, no profile files. */
function awsEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('AWS_')) env[name] = value;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(workDir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '1',
  };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: awsEnvironment(), timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

/** Runs `aws kms <args>` against the server and parses its JSON output; fails on a non-zero exit. */
async function awsKms(args: string[]): Promise<Record<string, unknown>> {
  const result = await run('aws', ['--endpoint-url', server.url, '--output', 'json', 'kms', ...args]);
  assert.equal(result.code, 0, `aws kms ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim() === '' ? {} : (JSON.parse(result.stdout) as Record<string, unknown>);
}

function base64(value: unknown, what: string): Buffer {
  assert.equal(typeof value, 'string', `${what} is not a base64 string`);
  return Buffer.from(value as string, 'base64');
}

/** True when the PKCS#8 private key belongs to the SubjectPublicKeyInfo public key. */
function samePair(privateKeyDer: Buffer, publicKeyDer: Buffer): boolean {
  const derived = createPublicKey(createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' }));
  return derived.export({ format: 'der', type: 'spki' }).equals(publicKeyDer);
}

describe('aws CLI v1', () => {
  let keyId: string;
  let keyArn: string;
  const alias = uniqueAlias('cli');

  test('create-key', async () => {
    const out = await awsKms(['create-key', '--description', 'made by the aws CLI']);
    const metadata = out.KeyMetadata as Record<string, unknown>;
    keyId = metadata.KeyId as string;
    keyArn = metadata.Arn as string;
    assert.equal(keyArn, `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}`);
    assert.equal(metadata.Description, 'made by the aws CLI');
    assert.equal(metadata.KeySpec, 'SYMMETRIC_DEFAULT');
    assert.equal(metadata.KeyState, 'Enabled');
    // CLI v1 prints timestamps as they came over the wire: epoch seconds.
    assert.equal(typeof metadata.CreationDate, 'number');
    assert.ok(Math.abs((metadata.CreationDate as number) * 1000 - Date.now()) < 60_000, String(metadata.CreationDate));
  });

  test('create-alias, then describe-key by the alias', async () => {
    assert.deepEqual(await awsKms(['create-alias', '--alias-name', alias, '--target-key-id', keyId]), {});
    const out = await awsKms(['describe-key', '--key-id', alias]);
    const metadata = out.KeyMetadata as Record<string, unknown>;
    assert.equal(metadata.KeyId, keyId);
    assert.equal(metadata.Arn, keyArn);
  });

  test('generate-data-key-pair: a matching pair whose encrypted private key decrypts under the context', async () => {
    const out = await awsKms([
      'generate-data-key-pair',
      '--key-id',
      alias,
      '--key-pair-spec',
      'ECC_NIST_P256',
      '--encryption-context',
      'purpose=cli-test',
    ]);
    assert.equal(out.KeyId, keyArn);
    assert.equal(out.KeyPairSpec, 'ECC_NIST_P256');
    const publicKey = base64(out.PublicKey, 'PublicKey');
    const privateKey = base64(out.PrivateKeyPlaintext, 'PrivateKeyPlaintext');
    assert.ok(samePair(privateKey, publicKey), 'the private key does not match the public key');
    const decrypted = await server.kms.send(
      new DecryptCommand({
        CiphertextBlob: base64(out.PrivateKeyCiphertextBlob, 'PrivateKeyCiphertextBlob'),
        EncryptionContext: { purpose: 'cli-test' },
      }),
    );
    assert.deepEqual(Buffer.from(decrypted.Plaintext as Uint8Array), privateKey);
  });

  test('encrypt and decrypt binary files (fileb://)', async () => {
    const plaintext = randomBytes(300);
    const plainFile = join(workDir, 'plain.bin');
    writeFileSync(plainFile, plaintext);
    const encrypted = await awsKms(['encrypt', '--key-id', keyId, '--plaintext', `fileb://${plainFile}`]);
    assert.equal(encrypted.KeyId, keyArn);
    assert.equal(encrypted.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');

    const blobFile = join(workDir, 'blob.bin');
    writeFileSync(blobFile, base64(encrypted.CiphertextBlob, 'CiphertextBlob'));
    const decrypted = await awsKms(['decrypt', '--ciphertext-blob', `fileb://${blobFile}`]);
    assert.equal(decrypted.KeyId, keyArn);
    assert.deepEqual(base64(decrypted.Plaintext, 'Plaintext'), plaintext);
  });

  test('get-public-key, sign and verify with an ECC_NIST_P256 key; the openssl CLI verifies the signature', async () => {
    const created = await awsKms(['create-key', '--key-spec', 'ECC_NIST_P256', '--key-usage', 'SIGN_VERIFY']);
    const signingKeyId = (created.KeyMetadata as Record<string, unknown>).KeyId as string;
    const publicKey = await awsKms(['get-public-key', '--key-id', signingKeyId]);
    assert.deepEqual([publicKey.KeySpec, publicKey.KeyUsage, publicKey.SigningAlgorithms], ['ECC_NIST_P256', 'SIGN_VERIFY', ['ECDSA_SHA_256']]);
    const spki = base64(publicKey.PublicKey, 'PublicKey');
    const messageFile = join(workDir, 'message.txt');
    writeFileSync(messageFile, 'signed by the aws CLI');
    const signed = await awsKms(['sign', '--key-id', signingKeyId, '--message', `fileb://${messageFile}`, '--message-type', 'RAW', '--signing-algorithm', 'ECDSA_SHA_256']);
    assert.equal(signed.SigningAlgorithm, 'ECDSA_SHA_256');
    const signatureFile = join(workDir, 'signature.der');
    writeFileSync(signatureFile, base64(signed.Signature, 'Signature'));
    const verified = await awsKms([
      'verify', '--key-id', signingKeyId, '--message', `fileb://${messageFile}`, '--signature', `fileb://${signatureFile}`, '--signing-algorithm', 'ECDSA_SHA_256',
    ]);
    assert.deepEqual([verified.SignatureValid, verified.KeyId], [true, `arn:aws:kms:us-east-1:${ACCOUNT}:key/${signingKeyId}`]);
    const publicKeyFile = join(workDir, 'public.der');
    writeFileSync(publicKeyFile, spki);
    const openssl = await run('openssl', ['dgst', '-sha256', '-verify', publicKeyFile, '-keyform', 'DER', '-signature', signatureFile, messageFile]);
    assert.equal(openssl.code, 0, `openssl: ${openssl.stdout}${openssl.stderr}`);
  });

  test('in cn-north-1: sign with an SM2 key (SM2DSA); the openssl CLI verifies it with the distinguishing id 1234567812345678', async () => {
    const cn = ['--region', 'cn-north-1'];
    const created = await awsKms([...cn, 'create-key', '--key-spec', 'SM2', '--key-usage', 'SIGN_VERIFY']);
    const sm2KeyId = (created.KeyMetadata as Record<string, unknown>).KeyId as string;
    const publicKey = await awsKms([...cn, 'get-public-key', '--key-id', sm2KeyId]);
    assert.deepEqual([publicKey.KeyId, publicKey.SigningAlgorithms], [`arn:aws-cn:kms:cn-north-1:${ACCOUNT}:key/${sm2KeyId}`, ['SM2DSA']]);
    const publicKeyFile = join(workDir, 'sm2-public.der');
    writeFileSync(publicKeyFile, base64(publicKey.PublicKey, 'PublicKey'));
    const messageFile = join(workDir, 'sm2-message.txt');
    writeFileSync(messageFile, 'signed with SM2DSA by the aws CLI');
    const signed = await awsKms([...cn, 'sign', '--key-id', sm2KeyId, '--message', `fileb://${messageFile}`, '--signing-algorithm', 'SM2DSA']);
    assert.equal(signed.SigningAlgorithm, 'SM2DSA');
    const signatureFile = join(workDir, 'sm2-signature.der');
    writeFileSync(signatureFile, base64(signed.Signature, 'Signature'));
    const openssl = await run('openssl', [
      'pkeyutl', '-verify', '-pubin', '-inkey', publicKeyFile, '-keyform', 'DER', '-rawin', '-in', messageFile, '-sigfile', signatureFile,
      '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678',
    ]);
    assert.equal(openssl.code, 0, `openssl: ${openssl.stdout}${openssl.stderr}`);
  });

  test('generate-mac with an HMAC_256 key; the SDK verifies the MAC', async () => {
    const created = await awsKms(['create-key', '--key-spec', 'HMAC_256', '--key-usage', 'GENERATE_VERIFY_MAC']);
    const macKeyId = (created.KeyMetadata as Record<string, unknown>).KeyId as string;
    const messageFile = join(workDir, 'webhook.json');
    writeFileSync(messageFile, '{"event":"paid"}');
    const out = await awsKms(['generate-mac', '--key-id', macKeyId, '--message', `fileb://${messageFile}`, '--mac-algorithm', 'HMAC_SHA_256']);
    assert.equal(out.MacAlgorithm, 'HMAC_SHA_256');
    const mac = base64(out.Mac, 'Mac');
    assert.equal(mac.length, 32);
    const verified = await server.kms.send(
      new VerifyMacCommand({ KeyId: macKeyId, Message: Buffer.from('{"event":"paid"}'), MacAlgorithm: 'HMAC_SHA_256', Mac: mac }),
    );
    assert.equal(verified.MacValid, true);
  });

  test('an error exits non-zero and names the AWS error', async () => {
    const result = await run('aws', [
      '--endpoint-url',
      server.url,
      '--output',
      'json',
      'kms',
      'describe-key',
      '--key-id',
      'alias/no-such-alias',
    ]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /\(NotFoundException\)/);
    assert.ok(
      result.stderr.includes(`Alias arn:aws:kms:us-east-1:${ACCOUNT}:alias/no-such-alias is not found.`),
      `stderr: ${result.stderr}`,
    );
    assert.equal(result.stdout, '');
  });
});

describe('boto3', () => {
  // create_key, generate_data_key_pair_without_plaintext and decrypt of the private key;
  // the Python side prints what it got, and node:crypto checks the pair.
  const script = `
import base64, json, sys
import boto3
kms = boto3.client('kms', endpoint_url=sys.argv[1])
key = kms.create_key(Description='made by boto3')['KeyMetadata']
context = {'purpose': 'boto3-test'}
pair = kms.generate_data_key_pair_without_plaintext(KeyId=key['Arn'], KeyPairSpec='ECC_NIST_P384', EncryptionContext=context)
private = kms.decrypt(CiphertextBlob=pair['PrivateKeyCiphertextBlob'], EncryptionContext=context)
try:
    kms.decrypt(CiphertextBlob=pair['PrivateKeyCiphertextBlob'])
    wrong_context_error = None
except kms.exceptions.InvalidCiphertextException as e:
    wrong_context_error = e.response['Error']['Code']
print(json.dumps({
    'keyId': key['KeyId'],
    'pairKeyId': pair['KeyId'],
    'keyPairSpec': pair['KeyPairSpec'],
    'hasPlaintext': 'PrivateKeyPlaintext' in pair,
    'publicKey': base64.b64encode(pair['PublicKey']).decode(),
    'privateKey': base64.b64encode(private['Plaintext']).decode(),
    'decryptKeyId': private['KeyId'],
    'wrongContextError': wrong_context_error,
}))
`;

  test('create_key, generate_data_key_pair_without_plaintext, decrypt', async () => {
    const result = await run('python3', ['-c', script, server.url]);
    assert.equal(result.code, 0, `python3 failed: ${result.stderr}`);
    const out = JSON.parse(result.stdout) as Record<string, unknown>;
    const arn = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${out.keyId as string}`;
    assert.equal(out.pairKeyId, arn);
    assert.equal(out.decryptKeyId, arn);
    assert.equal(out.keyPairSpec, 'ECC_NIST_P384');
    assert.equal(out.hasPlaintext, false);
    assert.equal(out.wrongContextError, 'InvalidCiphertextException');
    assert.ok(samePair(base64(out.privateKey, 'privateKey'), base64(out.publicKey, 'publicKey')), 'the decrypted private key does not match');
  });
});
