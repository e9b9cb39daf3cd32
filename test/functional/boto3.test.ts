/**
 * boto3, the AWS SDK for Python, against a Trent server: the key life cycle, both data key pair
 * operations for every spec (each private key decrypted and checked against its public key by
 * Python's `cryptography`, openssl or the `mlkem` package), and the error paths as boto3 raises
 * them (botocore ClientError with the code, message and status, and the model's own exception
 * class). One Python process makes every call (test/clients/boto3_kms.py) and prints what boto3
 * parsed; the tests here judge it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { ACCOUNT, aliasArn, keyArn, useServer } from '../helpers/functional.js';
import { awsEnvironment, checkPairs, DATA_KEY_PAIR_SPECS, EXPECTED_KIND, regionFor, type Pair } from '../helpers/real-clients.js';

const DRIVER = fileURLToPath(new URL('../../../test/clients/boto3_kms.py', import.meta.url));

type Json = Record<string, unknown>;
interface ServiceError {
  code: string;
  message: string;
  status: number;
  modeled: boolean;
}
type Outcome = { ok: Json } | { error: ServiceError };

const suffix = randomBytes(4).toString('hex');
const workDir = mkdtempSync(join(tmpdir(), 'trent-boto3-'));
let results: Record<string, Outcome> = {};

/** Runs the driver once the server is up (in useServer's hook: Node 20 runs `before` hooks at once). */
async function runDriver(url: string): Promise<void> {
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile('python3', [DRIVER, url, suffix], { env: awsEnvironment(workDir), maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (error, out, err) =>
      error ? reject(new Error(`boto3_kms.py failed: ${err}`)) : resolve(out),
    );
    child.stdin?.end(JSON.stringify(DATA_KEY_PAIR_SPECS));
  });
  results = JSON.parse(stdout) as Record<string, Outcome>;
}

useServer({ setUp: (server) => runDriver(server.url) });
after(() => rmSync(workDir, { recursive: true, force: true }));

function ok(label: string): Json {
  const outcome = results[label];
  assert.ok(outcome, `boto3 made no call "${label}"`);
  assert.ok('ok' in outcome, `${label}: ${JSON.stringify(outcome)}`);
  return outcome.ok;
}

function failed(label: string): ServiceError {
  const outcome = results[label];
  assert.ok(outcome, `boto3 made no call "${label}"`);
  assert.ok('error' in outcome, `${label} succeeded: ${JSON.stringify(outcome)}`);
  return outcome.error;
}

/**
 * A ClientError as boto3 raises it: AWS's code and message, HTTP 400, and the KMS model's own
 * exception class (kms.exceptions.X) for every error but ValidationException, which is common
 * to all AWS services and not in KMS's model.
 */
function assertServiceError(label: string, code: string, message: string): void {
  assert.deepEqual(failed(label), { code, message, status: 400, modeled: code !== 'ValidationException' }, label);
}

function base64(value: unknown, what: string): Buffer {
  assert.equal(typeof value, 'string', `${what} is not base64`);
  return Buffer.from(value as string, 'base64');
}

describe('boto3', () => {
  test('key life cycle: create, list (paginated), alias, describe, disable and enable, schedule and cancel deletion', () => {
    const created = ok('create').KeyMetadata as Json;
    const keyId = created.KeyId as string;
    const arn = keyArn(keyId);
    assert.deepEqual(
      [created.Arn, created.AWSAccountId, created.Description, created.KeySpec, created.KeyUsage, created.KeyState, created.Enabled],
      [arn, ACCOUNT, 'made by boto3', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'Enabled', true],
    );
    // boto3 parses the epoch seconds on the wire into a timezone-aware datetime.
    assert.ok(Math.abs(Date.parse(created.CreationDate as string) - Date.now()) < 120_000, String(created.CreationDate));
    assert.deepEqual(ok('list-keys (paginated)').Keys, [{ KeyId: keyId, KeyArn: arn }]);
    assert.deepEqual(ok('create-alias'), {});
    const alias = `alias/boto3-${suffix}`;
    const aliases = ok('list-aliases').Aliases as Json[];
    assert.deepEqual(aliases.map((a) => [a.AliasName, a.AliasArn, a.TargetKeyId]), [[alias, aliasArn(alias), keyId]]);
    assert.deepEqual(ok('describe by alias').KeyMetadata, created);
    assert.deepEqual(ok('disable'), {});
    assert.equal((ok('describe disabled').KeyMetadata as Json).KeyState, 'Disabled');
    assertServiceError('encrypt while disabled', 'DisabledException', `${arn} is disabled.`);
    assert.deepEqual(ok('enable'), {});
    const scheduled = ok('schedule deletion');
    assert.deepEqual([scheduled.KeyId, scheduled.KeyState, scheduled.PendingWindowInDays], [arn, 'PendingDeletion', 7]);
    const sevenDays = 7 * 24 * 3600 * 1000;
    assert.ok(Math.abs(Date.parse(scheduled.DeletionDate as string) - Date.now() - sevenDays) < 120_000, String(scheduled.DeletionDate));
    const pending = ok('describe pending deletion').KeyMetadata as Json;
    assert.deepEqual([pending.KeyState, pending.DeletionDate], ['PendingDeletion', scheduled.DeletionDate]);
    assert.deepEqual(ok('cancel deletion'), { KeyId: arn });
    const cancelled = ok('describe cancelled').KeyMetadata as Json;
    assert.deepEqual([cancelled.KeyState, 'DeletionDate' in cancelled], ['Disabled', false]);
    assert.deepEqual(ok('delete-alias'), {});
    assertServiceError('describe deleted alias', 'NotFoundException', `Alias ${aliasArn(alias)} is not found.`);
  });

  test('every data key pair spec, both operations: the private key decrypts under the context, matches the public key, and not under another', async () => {
    const pairs: Pair[] = [];
    for (const spec of DATA_KEY_PAIR_SPECS) {
      const region = regionFor(spec);
      const arn = (ok(`pair key ${region}`).KeyMetadata as Json).Arn as string;
      const made = ok(`${spec} GenerateDataKeyPair`);
      assert.deepEqual([made.KeyId, made.KeyPairSpec], [arn, spec]);
      assert.match(String(made.KeyMaterialId), /^[0-9a-f]{64}$/);
      const privateKey = base64(made.PrivateKeyPlaintext, 'PrivateKeyPlaintext');
      const decrypted = ok(`${spec} GenerateDataKeyPair decrypt`);
      assert.deepEqual([decrypted.KeyId, decrypted.EncryptionAlgorithm, decrypted.KeyMaterialId], [arn, 'SYMMETRIC_DEFAULT', made.KeyMaterialId]);
      assert.deepEqual(base64(decrypted.Plaintext, 'Plaintext'), privateKey);
      pairs.push({ name: `${spec} GenerateDataKeyPair`, publicKey: base64(made.PublicKey, 'PublicKey'), privateKey });

      const without = ok(`${spec} GenerateDataKeyPairWithoutPlaintext`);
      assert.deepEqual([without.KeyId, without.KeyPairSpec, 'PrivateKeyPlaintext' in without], [arn, spec, false]);
      const withoutDecrypted = ok(`${spec} GenerateDataKeyPairWithoutPlaintext decrypt`);
      pairs.push({
        name: `${spec} GenerateDataKeyPairWithoutPlaintext`,
        publicKey: base64(without.PublicKey, 'PublicKey'),
        privateKey: base64(withoutDecrypted.Plaintext, 'Plaintext'),
      });
      assertServiceError(`${spec} decrypt with another context`, 'InvalidCiphertextException', '');
    }
    const kinds = await checkPairs(pairs);
    for (const pair of pairs) assert.equal(kinds[pair.name], EXPECTED_KIND[pair.name.split(' ')[0] as keyof typeof EXPECTED_KIND], pair.name);
  });

  test('a multi-Region key: replicate_key, decrypt in eu-west-1, the modeled errors, update_primary_region', () => {
    const keyId = (ok('mrk create').KeyMetadata as Json).KeyId as string;
    assert.match(keyId, /^mrk-[0-9a-f]{32}$/);
    const replica = ok('mrk replicate').ReplicaKeyMetadata as Json;
    assert.deepEqual([replica.Arn, replica.Description, replica.MultiRegion], [keyArn(keyId, 'eu-west-1'), 'boto3 replica', true]);
    const decrypted = ok('mrk decrypt in eu-west-1');
    assert.equal(base64(decrypted.Plaintext, 'Plaintext').toString(), 'from us-east-1');
    assert.equal(decrypted.KeyId, keyArn(keyId, 'eu-west-1'));
    assertServiceError('mrk replicate again', 'AlreadyExistsException', `${keyArn(keyId, 'eu-west-1')} already exists.`);
    assertServiceError('mrk replicate a replica', 'UnsupportedOperationException', `${keyArn(keyId, 'eu-west-1')} is not a multi-Region primary key.`);
    assert.deepEqual(ok('mrk update primary region'), {});
    const configuration = (ok('mrk describe in us-east-1').KeyMetadata as Json).MultiRegionConfiguration as Json;
    assert.deepEqual(configuration, {
      MultiRegionKeyType: 'REPLICA',
      PrimaryKey: { Arn: keyArn(keyId, 'eu-west-1'), Region: 'eu-west-1' },
      ReplicaKeys: [{ Arn: keyArn(keyId), Region: 'us-east-1' }],
    });
  });

  test('error paths: ClientError with the code, message and status, raised as the model exception class', () => {
    assertServiceError('describe unknown alias', 'NotFoundException', `Alias ${aliasArn('alias/no-such-alias')} is not found.`);
    assertServiceError(
      'bad key pair spec',
      'ValidationException',
      "1 validation error detected: Value 'RSA_1024' at 'keyPairSpec' failed to satisfy constraint: Member must satisfy enum value set: " +
        '[RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SM2, ECC_NIST_EDWARDS25519, ML_KEM_512, ML_KEM_768, ML_KEM_1024]',
    );
    assertServiceError('dry run', 'DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.');
    assertServiceError('SM2 outside China', 'UnsupportedOperationException', 'The SM2 key spec is available only in China Regions.');
  });
});
