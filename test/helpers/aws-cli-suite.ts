/**
 * Functional tests through the aws CLI, v1 (botocore, from pip) and v2 (Debian's awscli
 * package), clients written by someone else in another language; aws-cli-v1.test.ts and
 * aws-cli-v2.test.ts run this suite, each against a server of its own, so the two can run side
 * by side. Each version runs the key life cycle, every data key pair spec with both operations
 * (each pair checked by Python's `cryptography`, the openssl CLI or the `mlkem` package), the
 * private key decrypted by the CLI itself, the asymmetric and HMAC commands, and the error paths
 * with their exit codes. Where v2's older model (2.9.19 in Debian 12) lacks a member, what it
 * does instead is asserted: it prints no KeyMaterialId, has no --dry-run, and sends the newer
 * key pair specs as the plain strings they are. A version that is not installed is skipped,
 * saying so (.ci/run installs both). Each call costs a Python start-up (a third of a second on
 * an idle core), so calls are few and each checks a lot.
 */
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DecryptCommand, DescribeKeyCommand, EncryptCommand, VerifyMacCommand } from '@aws-sdk/client-kms';
import { ACCOUNT, aliasArn, keyArn, uniqueAlias, useServer, type FunctionalServer } from './functional.js';
import {
  awsEnvironment,
  checkPairs,
  DATA_KEY_PAIR_SPECS,
  EXPECTED_KIND,
  findAwsCli,
  regionFor,
  run,
  type AwsCli,
  type Pair,
  type Run,
} from './real-clients.js';

type Json = Record<string, unknown>;

function base64(value: unknown, what: string): Buffer {
  assert.equal(typeof value, 'string', `${what} is not a base64 string`);
  return Buffer.from(value as string, 'base64');
}

/** Runs `work` over `items`, at most `limit` at a time: CLI calls are Python start-ups on two cores. */
async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The specs whose WithoutPlaintext private key the CLI decrypts (the SDK does the others): the
 * largest blob, the smallest, and the one from a China region. */
const DECRYPTED_BY_THE_CLI = new Set(['RSA_4096', 'ML_KEM_512', 'SM2']);

/** The suite for the aws CLI of `major`, or a skipped suite saying why it is not here. */
export function awsCliSuite(major: 1 | 2): void {
  const cli = findAwsCli(major);
  if (typeof cli === 'string') {
    describe(`aws CLI v${major}`, { skip: cli }, () => {});
    return;
  }
  const server = useServer();
  let workDir = '';
  before(() => {
    workDir = mkdtempSync(join(tmpdir(), `trent-cli-v${major}-`));
  });
  after(() => rmSync(workDir, { recursive: true, force: true }));
  suite(cli, server, () => workDir);
}

function suite(cli: AwsCli, server: FunctionalServer, workDirOf: () => string): void {
  let files = 0;
  /** A file holding `bytes`, to pass as fileb://. */
  const binaryFile = (bytes: Buffer): string => {
    const path = join(workDirOf(), `blob-${++files}.bin`);
    writeFileSync(path, bytes);
    return `fileb://${path}`;
  };
  const env = (region: string): NodeJS.ProcessEnv => awsEnvironment(workDirOf(), region);
  const invoke = (args: string[], region = 'us-east-1'): Promise<Run> =>
    run(cli.path, ['--endpoint-url', server.url, '--output', 'json', 'kms', ...args], env(region));

  /** Runs `aws kms <args>` and parses its JSON output; fails on a non-zero exit. */
  const awsKms = async (args: string[], region = 'us-east-1'): Promise<Json> => {
    const result = await invoke(args, region);
    assert.equal(result.code, 0, `aws kms ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    return result.stdout.trim() === '' ? {} : (JSON.parse(result.stdout) as Json);
  };

  /** Runs a command that must fail with `type` and `message`, as the CLI reports a service error. */
  const awsKmsError = async (args: string[], operation: string, type: string, message: string): Promise<void> => {
    const result = await invoke(args);
    assert.equal(result.code, cli.serviceErrorCode, `exit code of aws kms ${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr.trim(), `An error occurred (${type}) when calling the ${operation} operation: ${message}`.trim());
  };

  /** v1 prints timestamps as they came over the wire (epoch seconds), v2 as ISO 8601. */
  const timeOf = (value: unknown, what: string): number => {
    if (cli.major === 1) {
      assert.equal(typeof value, 'number', `${what}: ${String(value)}`);
      return (value as number) * 1000;
    }
    assert.match(String(value), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/, what);
    return Date.parse(value as string);
  };

  /** KeyMaterialId is in v1's model; Debian's v2 (2.9.19) predates it and drops it from its output. */
  const assertKeyMaterialId = (out: Json): void => {
    if (cli.major === 1) assert.match(String(out.KeyMaterialId), /^[0-9a-f]{64}$/);
    else assert.equal('KeyMaterialId' in out, false);
  };

  describe(`aws CLI v${cli.major} (${cli.version}, ${cli.path})`, () => {
    test('key life cycle: create, describe, list, alias, disable and enable, schedule and cancel deletion', async () => {
      const created = (await awsKms(['create-key', '--description', `made by the aws CLI v${cli.major}`, '--tags', 'TagKey=team,TagValue=infra']))
        .KeyMetadata as Json;
      const keyId = created.KeyId as string;
      const arn = keyArn(keyId);
      assert.equal(created.Arn, arn);
      assert.equal(created.AWSAccountId, ACCOUNT);
      assert.deepEqual(
        [created.Description, created.KeySpec, created.KeyUsage, created.KeyState, created.Enabled, created.KeyManager, created.Origin],
        [`made by the aws CLI v${cli.major}`, 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'Enabled', true, 'CUSTOMER', 'AWS_KMS'],
      );
      assert.ok(Math.abs(timeOf(created.CreationDate, 'CreationDate') - Date.now()) < 120_000, String(created.CreationDate));

      const keys = (await awsKms(['list-keys'])).Keys as Json[];
      assert.ok(keys.some((k) => k.KeyId === keyId && k.KeyArn === arn), 'list-keys does not list the new key');
      const alias = uniqueAlias(`cli-v${cli.major}`);
      assert.deepEqual(await awsKms(['create-alias', '--alias-name', alias, '--target-key-id', keyId]), {});
      const aliases = (await awsKms(['list-aliases', '--key-id', keyId])).Aliases as Json[];
      assert.deepEqual(
        aliases.map((a) => [a.AliasName, a.AliasArn, a.TargetKeyId]),
        [[alias, aliasArn(alias), keyId]],
      );
      assert.deepEqual((await awsKms(['describe-key', '--key-id', alias])).KeyMetadata, created);

      // DisableKey and its kin take a key id or ARN, not an alias (AWS's "Invalid keyId").
      assert.deepEqual(await awsKms(['disable-key', '--key-id', arn]), {});
      const disabled = (await awsKms(['describe-key', '--key-id', keyId])).KeyMetadata as Json;
      assert.deepEqual([disabled.KeyState, disabled.Enabled], ['Disabled', false]);
      await awsKmsError(['encrypt', '--key-id', alias, '--plaintext', binaryFile(Buffer.from('x'))], 'Encrypt', 'DisabledException', `${arn} is disabled.`);
      assert.deepEqual(await awsKms(['enable-key', '--key-id', keyId]), {});

      const scheduled = await awsKms(['schedule-key-deletion', '--key-id', keyId, '--pending-window-in-days', '7']);
      assert.deepEqual([scheduled.KeyId, scheduled.KeyState, scheduled.PendingWindowInDays], [arn, 'PendingDeletion', 7]);
      const sevenDays = 7 * 24 * 3600 * 1000;
      assert.ok(Math.abs(timeOf(scheduled.DeletionDate, 'DeletionDate') - Date.now() - sevenDays) < 120_000, String(scheduled.DeletionDate));
      const pending = (await awsKms(['describe-key', '--key-id', keyId])).KeyMetadata as Json;
      assert.deepEqual([pending.KeyState, pending.Enabled, pending.DeletionDate], ['PendingDeletion', false, scheduled.DeletionDate]);
      assert.deepEqual(await awsKms(['cancel-key-deletion', '--key-id', keyId]), { KeyId: arn });
      const cancelled = (await awsKms(['describe-key', '--key-id', keyId])).KeyMetadata as Json;
      assert.deepEqual([cancelled.KeyState, 'DeletionDate' in cancelled], ['Disabled', false]);
      assert.deepEqual(await awsKms(['delete-alias', '--alias-name', alias]), {});
    });

    test('every data key pair spec: generate-data-key-pair and -without-plaintext, the private key decrypted and checked', async () => {
      // SM2 pairs are served in China regions only: its spec uses a key made there.
      const usKey = (await awsKms(['create-key'])).KeyMetadata as Json;
      const alias = uniqueAlias(`cli-v${cli.major}-pairs`);
      await awsKms(['create-alias', '--alias-name', alias, '--target-key-id', usKey.KeyId as string]);
      const cnKey = (await awsKms(['create-key'], 'cn-north-1')).KeyMetadata as Json;
      assert.equal(cnKey.Arn, keyArn(cnKey.KeyId as string, 'cn-north-1', 'aws-cn'));

      const pairs = await inBatches(DATA_KEY_PAIR_SPECS, 3, async (spec): Promise<Pair[]> => {
        const region = regionFor(spec);
        const arn = region === 'us-east-1' ? (usKey.Arn as string) : (cnKey.Arn as string);
        const context = ['--encryption-context', `purpose=cli-test,spec=${spec}`];
        const withPlaintext = await awsKms(['generate-data-key-pair', '--key-id', region === 'us-east-1' ? alias : arn, '--key-pair-spec', spec, ...context], region);
        assert.deepEqual([withPlaintext.KeyId, withPlaintext.KeyPairSpec], [arn, spec]);
        assertKeyMaterialId(withPlaintext);

        const without = await awsKms(['generate-data-key-pair-without-plaintext', '--key-id', arn, '--key-pair-spec', spec, ...context], region);
        assert.deepEqual([without.KeyId, without.KeyPairSpec, 'PrivateKeyPlaintext' in without], [arn, spec, false]);
        assertKeyMaterialId(without);
        const blob = base64(without.PrivateKeyCiphertextBlob, 'PrivateKeyCiphertextBlob');
        let withoutPrivateKey: Buffer;
        if (DECRYPTED_BY_THE_CLI.has(spec)) {
          const decrypted = await awsKms(['decrypt', '--ciphertext-blob', binaryFile(blob), ...context], region);
          assert.deepEqual([decrypted.KeyId, decrypted.EncryptionAlgorithm], [arn, 'SYMMETRIC_DEFAULT']);
          withoutPrivateKey = base64(decrypted.Plaintext, 'Plaintext');
        } else {
          const decrypted = await server.client(region).send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { purpose: 'cli-test', spec } }));
          withoutPrivateKey = Buffer.from(decrypted.Plaintext as Uint8Array);
        }

        // The first pair's blob must decrypt to exactly its PrivateKeyPlaintext.
        const privateKey = base64(withPlaintext.PrivateKeyPlaintext, 'PrivateKeyPlaintext');
        const sdkDecrypted = await server
          .client(region)
          .send(new DecryptCommand({ CiphertextBlob: base64(withPlaintext.PrivateKeyCiphertextBlob, 'blob'), EncryptionContext: { purpose: 'cli-test', spec } }));
        assert.deepEqual(Buffer.from(sdkDecrypted.Plaintext as Uint8Array), privateKey);
        return [
          { name: `${spec} GenerateDataKeyPair`, publicKey: base64(withPlaintext.PublicKey, 'PublicKey'), privateKey },
          { name: `${spec} GenerateDataKeyPairWithoutPlaintext`, publicKey: base64(without.PublicKey, 'PublicKey'), privateKey: withoutPrivateKey },
        ];
      });
      const kinds = await checkPairs(pairs.flat());
      for (const spec of DATA_KEY_PAIR_SPECS) {
        assert.equal(kinds[`${spec} GenerateDataKeyPair`], EXPECTED_KIND[spec], spec);
        assert.equal(kinds[`${spec} GenerateDataKeyPairWithoutPlaintext`], EXPECTED_KIND[spec], spec);
      }
    });

    test(`error paths: exit code ${cli.serviceErrorCode} and the AWS error on stderr, nothing on stdout`, async () => {
      const keyId = ((await awsKms(['create-key'])).KeyMetadata as Json).KeyId as string;
      await awsKmsError(['describe-key', '--key-id', 'alias/no-such-alias'], 'DescribeKey', 'NotFoundException', `Alias ${aliasArn('alias/no-such-alias')} is not found.`);
      await awsKmsError(
        ['generate-data-key-pair', '--key-id', keyId, '--key-pair-spec', 'RSA_1024'],
        'GenerateDataKeyPair',
        'ValidationException',
        "1 validation error detected: Value 'RSA_1024' at 'keyPairSpec' failed to satisfy constraint: Member must satisfy enum value set: " +
          '[RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SM2, ECC_NIST_EDWARDS25519, ML_KEM_512, ML_KEM_768, ML_KEM_1024]',
      );
      const pair = await awsKms(['generate-data-key-pair-without-plaintext', '--key-id', keyId, '--key-pair-spec', 'ECC_NIST_P256', '--encryption-context', 'purpose=right']);
      const blob = binaryFile(base64(pair.PrivateKeyCiphertextBlob, 'PrivateKeyCiphertextBlob'));
      await awsKmsError(['decrypt', '--ciphertext-blob', blob, '--encryption-context', 'purpose=wrong'], 'Decrypt', 'InvalidCiphertextException', '');
      const dryRun = await invoke(['generate-data-key-pair', '--key-id', keyId, '--key-pair-spec', 'ECC_NIST_P256', '--dry-run']);
      if (cli.major === 1) {
        assert.equal(dryRun.code, 255);
        assert.equal(
          dryRun.stderr.trim(),
          'An error occurred (DryRunOperationException) when calling the GenerateDataKeyPair operation: The request would have succeeded, but the DryRun option is set.',
        );
      } else {
        // Debian's v2 predates DryRun (2023): a usage error (252) before any request is sent.
        assert.equal(dryRun.code, 252, dryRun.stderr);
        assert.match(dryRun.stderr, /Unknown options: --dry-run/);
      }
    });

    test('encrypt and decrypt binary files (fileb://)', async () => {
      const keyId = ((await awsKms(['create-key'])).KeyMetadata as Json).KeyId as string;
      const plaintext = randomBytes(300);
      const encrypted = await awsKms(['encrypt', '--key-id', keyId, '--plaintext', binaryFile(plaintext)]);
      assert.equal(encrypted.KeyId, keyArn(keyId));
      assert.equal(encrypted.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
      const decrypted = await awsKms(['decrypt', '--ciphertext-blob', binaryFile(base64(encrypted.CiphertextBlob, 'CiphertextBlob'))]);
      assert.equal(decrypted.KeyId, keyArn(keyId));
      assert.deepEqual(base64(decrypted.Plaintext, 'Plaintext'), plaintext);
    });

    test('get-public-key, sign and verify with an ECC_NIST_P256 key; the openssl CLI verifies the signature', async () => {
      const created = await awsKms(['create-key', '--key-spec', 'ECC_NIST_P256', '--key-usage', 'SIGN_VERIFY']);
      const signingKeyId = (created.KeyMetadata as Json).KeyId as string;
      const publicKey = await awsKms(['get-public-key', '--key-id', signingKeyId]);
      assert.deepEqual([publicKey.KeySpec, publicKey.KeyUsage, publicKey.SigningAlgorithms], ['ECC_NIST_P256', 'SIGN_VERIFY', ['ECDSA_SHA_256']]);
      const messageFile = join(workDirOf(), 'message.txt');
      writeFileSync(messageFile, 'signed by the aws CLI');
      const signed = await awsKms(['sign', '--key-id', signingKeyId, '--message', `fileb://${messageFile}`, '--message-type', 'RAW', '--signing-algorithm', 'ECDSA_SHA_256']);
      assert.equal(signed.SigningAlgorithm, 'ECDSA_SHA_256');
      const signatureFile = join(workDirOf(), 'signature.der');
      writeFileSync(signatureFile, base64(signed.Signature, 'Signature'));
      const verified = await awsKms([
        'verify', '--key-id', signingKeyId, '--message', `fileb://${messageFile}`, '--signature', `fileb://${signatureFile}`, '--signing-algorithm', 'ECDSA_SHA_256',
      ]);
      assert.deepEqual([verified.SignatureValid, verified.KeyId], [true, keyArn(signingKeyId)]);
      const publicKeyFile = join(workDirOf(), 'public.der');
      writeFileSync(publicKeyFile, base64(publicKey.PublicKey, 'PublicKey'));
      const openssl = await run('openssl', ['dgst', '-sha256', '-verify', publicKeyFile, '-keyform', 'DER', '-signature', signatureFile, messageFile], process.env);
      assert.equal(openssl.code, 0, `openssl: ${openssl.stdout}${openssl.stderr}`);
    });

    test('generate-mac with an HMAC_256 key; the SDK verifies the MAC', async () => {
      const created = await awsKms(['create-key', '--key-spec', 'HMAC_256', '--key-usage', 'GENERATE_VERIFY_MAC']);
      const macKeyId = (created.KeyMetadata as Json).KeyId as string;
      const out = await awsKms(['generate-mac', '--key-id', macKeyId, '--message', binaryFile(Buffer.from('{"event":"paid"}')), '--mac-algorithm', 'HMAC_SHA_256']);
      assert.equal(out.MacAlgorithm, 'HMAC_SHA_256');
      const mac = base64(out.Mac, 'Mac');
      assert.equal(mac.length, 32);
      const verified = await server.kms.send(
        new VerifyMacCommand({ KeyId: macKeyId, Message: Buffer.from('{"event":"paid"}'), MacAlgorithm: 'HMAC_SHA_256', Mac: mac }),
      );
      assert.equal(verified.MacValid, true);
    });
    test('in cn-north-1: sign with an SM2 key (SM2DSA); the openssl CLI verifies it with the distinguishing id 1234567812345678', async () => {
      const region = 'cn-north-1';
      const created = await awsKms(['create-key', '--key-spec', 'SM2', '--key-usage', 'SIGN_VERIFY'], region);
      const sm2KeyId = (created.KeyMetadata as Json).KeyId as string;
      const publicKey = await awsKms(['get-public-key', '--key-id', sm2KeyId], region);
      assert.deepEqual([publicKey.KeyId, publicKey.SigningAlgorithms], [`arn:aws-cn:kms:cn-north-1:${ACCOUNT}:key/${sm2KeyId}`, ['SM2DSA']]);
      const publicKeyFile = join(workDirOf(), 'sm2-public.der');
      writeFileSync(publicKeyFile, base64(publicKey.PublicKey, 'PublicKey'));
      const messageFile = join(workDirOf(), 'sm2-message.txt');
      writeFileSync(messageFile, 'signed with SM2DSA by the aws CLI');
      const signed = await awsKms(['sign', '--key-id', sm2KeyId, '--message', `fileb://${messageFile}`, '--signing-algorithm', 'SM2DSA'], region);
      assert.equal(signed.SigningAlgorithm, 'SM2DSA');
      const signatureFile = join(workDirOf(), 'sm2-signature.der');
      writeFileSync(signatureFile, base64(signed.Signature, 'Signature'));
      const openssl = await run('openssl', [
        'pkeyutl', '-verify', '-pubin', '-inkey', publicKeyFile, '-keyform', 'DER', '-rawin', '-in', messageFile, '-sigfile', signatureFile,
        '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678',
      ], process.env);
      assert.equal(openssl.code, 0, `openssl: ${openssl.stdout}${openssl.stderr}`);
    });

    const noRotations = cli.major === 2 ? "Debian's v2 model (2.9.19) predates RotateKeyOnDemand and ListKeyRotations' key material" : false;
    test('rotate-key-on-demand twice, then list-key-rotations: the material ids, and a ciphertext from before decrypts', { skip: noRotations }, async () => {
      const created = await awsKms(['create-key', '--description', 'rotated by the aws CLI']);
      const rotatingId = (created.KeyMetadata as Json).KeyId as string;
      const firstMaterial = (created.KeyMetadata as Json).CurrentKeyMaterialId as string;
      const before = await server.kms.send(new EncryptCommand({ KeyId: rotatingId, Plaintext: Buffer.from('before rotations') }));
      const materialIds = [firstMaterial];
      for (let i = 0; i < 2; i++) {
        const rotated = await awsKms(['rotate-key-on-demand', '--key-id', rotatingId]);
        assert.equal(rotated.KeyId, keyArn(rotatingId));
        const described = await server.kms.send(new DescribeKeyCommand({ KeyId: rotatingId }));
        materialIds.push(described.KeyMetadata?.CurrentKeyMaterialId as string);
      }
      const listed = await awsKms(['list-key-rotations', '--key-id', rotatingId, '--include-key-material', 'ALL_KEY_MATERIAL']);
      const rotations = listed.Rotations as Json[];
      assert.deepEqual(rotations.map((r) => r.KeyMaterialId), materialIds);
      assert.deepEqual(rotations.map((r) => r.KeyMaterialState), ['NON_CURRENT', 'NON_CURRENT', 'CURRENT']);
      assert.deepEqual(rotations.map((r) => r.RotationType), [undefined, 'ON_DEMAND', 'ON_DEMAND']);
      timeOf(rotations[1]?.RotationDate, 'RotationDate');
      assert.equal(new Set(materialIds).size, 3);
      const decrypted = await server.kms.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob }));
      assert.equal(Buffer.from(decrypted.Plaintext as Uint8Array).toString(), 'before rotations');
      assert.equal(decrypted.KeyMaterialId, firstMaterial);
    });

    test('create-key --multi-region, replicate-key, update-primary-region: a ciphertext of us-east-1 decrypts in eu-west-1', async () => {
      const created = await awsKms(['create-key', '--multi-region', '--description', 'multi-Region by the aws CLI']);
      const mrkId = (created.KeyMetadata as Json).KeyId as string;
      assert.match(mrkId, /^mrk-[0-9a-f]{32}$/);
      assert.equal((created.KeyMetadata as Json).MultiRegion, true);
      const encrypted = await server.kms.send(new EncryptCommand({ KeyId: mrkId, Plaintext: Buffer.from('replicated by the CLI') }));
      const replicated = await awsKms(['replicate-key', '--key-id', mrkId, '--replica-region', 'eu-west-1', '--description', 'replica', '--tags', 'TagKey=site,TagValue=dublin']);
      const metadata = replicated.ReplicaKeyMetadata as Json;
      assert.equal(metadata.Arn, keyArn(mrkId, 'eu-west-1'));
      assert.deepEqual(metadata.MultiRegionConfiguration, {
        MultiRegionKeyType: 'REPLICA',
        PrimaryKey: { Arn: keyArn(mrkId), Region: 'us-east-1' },
        ReplicaKeys: [{ Arn: keyArn(mrkId, 'eu-west-1'), Region: 'eu-west-1' }],
      });
      assert.deepEqual(replicated.ReplicaTags, [{ TagKey: 'site', TagValue: 'dublin' }]);
      const decrypted = await awsKms(['decrypt', '--ciphertext-blob', binaryFile(Buffer.from(encrypted.CiphertextBlob as Uint8Array))], 'eu-west-1');
      assert.equal(Buffer.from(decrypted.Plaintext as string, 'base64').toString(), 'replicated by the CLI');
      assert.equal(decrypted.KeyId, keyArn(mrkId, 'eu-west-1'));

      const moved = await invoke(['update-primary-region', '--key-id', mrkId, '--primary-region', 'eu-west-1']);
      assert.equal(moved.code, 0, moved.stderr);
      const described = await awsKms(['describe-key', '--key-id', mrkId], 'eu-west-1');
      assert.equal(((described.KeyMetadata as Json).MultiRegionConfiguration as Json).MultiRegionKeyType, 'PRIMARY');
      const again = await invoke(['replicate-key', '--key-id', mrkId, '--replica-region', 'eu-west-1']);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /UnsupportedOperationException.*is not a multi-Region primary key\./);
    });

    test('get-parameters-for-import: an RSA_3072 wrapping key and a token, 24 hours', async () => {
      const created = await awsKms(['create-key', '--origin', 'EXTERNAL']);
      const externalId = (created.KeyMetadata as Json).KeyId as string;
      assert.equal((created.KeyMetadata as Json).KeyState, 'PendingImport');
      const out = await awsKms(['get-parameters-for-import', '--key-id', externalId, '--wrapping-algorithm', 'RSA_AES_KEY_WRAP_SHA_256', '--wrapping-key-spec', 'RSA_3072']);
      assert.equal(out.KeyId, keyArn(externalId));
      const publicKey = createPublicKey({ key: base64(out.PublicKey, 'PublicKey'), format: 'der', type: 'spki' });
      assert.equal(publicKey.asymmetricKeyDetails?.modulusLength, 3072);
      assert.ok(base64(out.ImportToken, 'ImportToken').length > 100);
      const hours = (timeOf(out.ParametersValidTo, 'ParametersValidTo') - Date.now()) / 3_600_000;
      assert.ok(hours > 23.9 && hours <= 24, String(hours));
    });

    const noImportType = cli.major === 2 ? "Debian's v2 model (2.9.19) predates ImportType and ListKeyRotations' key material" : false;
    test('import-key-material (wrapped by openssl), then new material with --import-type NEW_KEY_MATERIAL, list-key-rotations, rotate-key-on-demand', { skip: noImportType }, async () => {
      const externalId = ((await awsKms(['create-key', '--origin', 'EXTERNAL'])).KeyMetadata as Json).KeyId as string;
      /** get-parameters-for-import, the material wrapped by openssl (RSAES-OAEP-SHA-256), import-key-material. */
      const importMaterial = async (extra: string[]): Promise<Json> => {
        const params = await awsKms(['get-parameters-for-import', '--key-id', externalId, '--wrapping-algorithm', 'RSAES_OAEP_SHA_256', '--wrapping-key-spec', 'RSA_2048']);
        const wrappedFile = join(workDirOf(), `wrapped-${++files}.bin`);
        const path = (bytes: Buffer) => binaryFile(bytes).slice('fileb://'.length);
        const openssl = await run('openssl', [
          'pkeyutl', '-encrypt', '-pubin', '-keyform', 'DER', '-inkey', path(base64(params.PublicKey, 'PublicKey')), '-in', path(randomBytes(32)),
          '-out', wrappedFile, '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256',
        ], process.env);
        assert.equal(openssl.code, 0, openssl.stderr);
        return awsKms([
          'import-key-material', '--key-id', externalId, '--import-token', binaryFile(base64(params.ImportToken, 'ImportToken')),
          '--encrypted-key-material', `fileb://${wrappedFile}`, '--expiration-model', 'KEY_MATERIAL_DOES_NOT_EXPIRE', ...extra,
        ]);
      };
      const first = (await importMaterial([])).KeyMaterialId as string;
      const before = await server.kms.send(new EncryptCommand({ KeyId: externalId, Plaintext: Buffer.from('before the rotation') }));
      const next = (await importMaterial(['--import-type', 'NEW_KEY_MATERIAL'])).KeyMaterialId as string;
      const states = async () =>
        ((await awsKms(['list-key-rotations', '--key-id', externalId, '--include-key-material', 'ALL_KEY_MATERIAL'])).Rotations as Json[]).map((r) => [r.KeyMaterialId, r.KeyMaterialState]);
      assert.deepEqual(await states(), [[first, 'CURRENT'], [next, 'PENDING_ROTATION']]);
      assert.equal((await awsKms(['rotate-key-on-demand', '--key-id', externalId])).KeyId, keyArn(externalId));
      assert.deepEqual(await states(), [[first, 'NON_CURRENT'], [next, 'CURRENT']]);
      const decrypted = await server.kms.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob }));
      assert.deepEqual([Buffer.from(decrypted.Plaintext as Uint8Array).toString(), decrypted.KeyMaterialId], ['before the rotation', first]);
    });
  });
}
