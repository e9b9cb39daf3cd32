/**
 * GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext, driven through
 * @aws-sdk/client-kms over HTTP against a real Trent server process. Every pair is checked by
 * implementations Trent does not use to make it: node:crypto parses, signs and verifies, and the
 * openssl CLI parses both DER encodings and derives the public key from the private one. The
 * error rows assert AWS's error name and message (AWS-BEHAVIOUR.md). ML_KEM_* specs have their
 * own tests.
 *
 * Generation is slow for RSA (RSA_4096 takes seconds), so each spec is generated once per
 * operation, all of them started together in `before`, and each test awaits its own result.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, randomBytes, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  ScheduleKeyDeletionCommand,
  type CreateKeyCommandInput,
  type DataKeyPairSpec,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { awsError, kmsClient } from '../helpers/clients.js';
import { removeDataDir, spawnServer, type SpawnedServer } from '../helpers/spawn-server.js';

const ACCOUNT = '111122223333';
const DRY_RUN_MESSAGE = 'The request would have succeeded, but the DryRun option is set.';
const KEY_PAIR_SPEC_ENUM =
  '[RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SM2, ' +
  'ECC_NIST_EDWARDS25519, ML_KEM_512, ML_KEM_768, ML_KEM_1024]';

type Operation = 'GenerateDataKeyPair' | 'GenerateDataKeyPairWithoutPlaintext';
const OPERATIONS: readonly Operation[] = ['GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext'];

interface PairRequest {
  KeyId: string;
  KeyPairSpec: DataKeyPairSpec;
  EncryptionContext?: Record<string, string>;
  GrantTokens?: string[];
  DryRun?: boolean;
}

/** The union of both operations' outputs; PrivateKeyPlaintext only comes from GenerateDataKeyPair. */
interface PairResponse {
  KeyId?: string | undefined;
  KeyPairSpec?: string | undefined;
  PublicKey?: Uint8Array | undefined;
  PrivateKeyPlaintext?: Uint8Array | undefined;
  PrivateKeyCiphertextBlob?: Uint8Array | undefined;
  KeyMaterialId?: string | undefined;
}

function generate(client: KMSClient, operation: Operation, request: PairRequest): Promise<PairResponse> {
  return operation === 'GenerateDataKeyPair'
    ? client.send(new GenerateDataKeyPairCommand(request))
    : client.send(new GenerateDataKeyPairWithoutPlaintextCommand(request));
}

/**
 * Records the JSON body of each response the client receives, before the SDK's deserializer
 * drops members the model does not list for the operation (it would hide a PrivateKeyPlaintext
 * sent by WithoutPlaintext). Use the recording client for one request at a time.
 */
function recordWireBodies(client: KMSClient): { last(): Record<string, unknown> } {
  let last: Record<string, unknown> | undefined;
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as { body?: unknown };
      const chunks: Buffer[] = [];
      if (response.body instanceof Uint8Array) chunks.push(Buffer.from(response.body));
      else if (response.body) for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
      const body = Buffer.concat(chunks);
      response.body = body;
      last = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      return result;
    },
    // Inside the deserializer (lower priority in the same step), so it sees the raw response.
    { step: 'deserialize', priority: 'low', name: 'recordWireBody' },
  );
  return {
    last() {
      assert.ok(last, 'no response recorded');
      return last;
    },
  };
}

interface SpecRow {
  spec: DataKeyPairSpec;
  /** SM2 is served in China Regions only. */
  region: 'us-east-1' | 'cn-north-1';
  /** How node:crypto describes the key; node 20 does not name SM2 keys, openssl checks those. */
  node?: { type: string; details: Record<string, unknown> };
  /** Digest for a signature with the pair; null for Ed25519 (PureEdDSA takes none). */
  digest: string | null;
  /** What `openssl pkey -pubin -text_pub` must print about the public key. */
  openssl: RegExp[];
}

function rsaRow(bits: 2048 | 3072 | 4096): SpecRow {
  return {
    spec: `RSA_${bits}`,
    region: 'us-east-1',
    node: { type: 'rsa', details: { modulusLength: bits, publicExponent: 65537n } },
    digest: 'sha256',
    openssl: [new RegExp(`^Public-Key: \\(${bits} bit\\)$`, 'm'), /^Exponent: 65537 \(0x10001\)$/m],
  };
}

function ecRow(spec: DataKeyPairSpec, namedCurve: string, bits: number, digest: string, nistName?: string): SpecRow {
  const openssl = [new RegExp(`^Public-Key: \\(${bits} bit\\)$`, 'm'), new RegExp(`^ASN1 OID: ${namedCurve}$`, 'm')];
  if (nistName) openssl.push(new RegExp(`^NIST CURVE: ${nistName}$`, 'm'));
  return { spec, region: 'us-east-1', node: { type: 'ec', details: { namedCurve } }, digest, openssl };
}

const SPECS: readonly SpecRow[] = [
  rsaRow(2048),
  rsaRow(3072),
  rsaRow(4096),
  ecRow('ECC_NIST_P256', 'prime256v1', 256, 'sha256', 'P-256'),
  ecRow('ECC_NIST_P384', 'secp384r1', 384, 'sha384', 'P-384'),
  ecRow('ECC_NIST_P521', 'secp521r1', 521, 'sha512', 'P-521'),
  ecRow('ECC_SECG_P256K1', 'secp256k1', 256, 'sha256'),
  {
    spec: 'ECC_NIST_EDWARDS25519',
    region: 'us-east-1',
    node: { type: 'ed25519', details: {} },
    digest: null,
    openssl: [/^ED25519 Public-Key:$/m],
  },
  { spec: 'SM2', region: 'cn-north-1', digest: 'sm3', openssl: [/^Public-Key: \(256 bit\)$/m, /^ASN1 OID: SM2$/m] },
];

const scratch = mkdtempSync(join(tmpdir(), 'trent-gdkp-openssl-'));

function openssl(args: string[]): Buffer {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** openssl parses the SPKI and prints what the row expects; returns the printed text. */
function opensslPublicKeyText(row: SpecRow, spki: Buffer): string {
  const file = join(scratch, `${randomUUID()}.pub.der`);
  writeFileSync(file, spki);
  const text = openssl(['pkey', '-pubin', '-inform', 'DER', '-in', file, '-noout', '-text_pub']).toString('utf8');
  for (const pattern of row.openssl) assert.match(text, pattern, `openssl's view of the ${row.spec} public key`);
  return text;
}

/** openssl parses the PKCS#8 and derives from it exactly the SPKI the server returned. */
function opensslChecksPrivateKey(pkcs8: Buffer, spki: Buffer): void {
  const file = join(scratch, `${randomUUID()}.key.der`);
  writeFileSync(file, pkcs8, { mode: 0o600 });
  openssl(['pkey', '-inform', 'DER', '-in', file, '-noout']);
  const derived = openssl(['pkey', '-inform', 'DER', '-in', file, '-pubout', '-outform', 'DER']);
  assert.deepEqual(derived, spki, 'openssl derives a different public key from PrivateKeyPlaintext');
}

function publicKeyOf(row: SpecRow, spki: Buffer): KeyObject {
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  if (row.node) {
    assert.equal(key.asymmetricKeyType, row.node.type);
    assert.deepEqual(key.asymmetricKeyDetails, row.node.details);
  }
  return key;
}

/** node:crypto parses the PKCS#8, it matches the public key, and a signature verifies. */
function checkPrivateKey(row: SpecRow, pkcs8: Buffer, spki: Buffer): void {
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const publicKey = publicKeyOf(row, spki);
  if (row.node) {
    assert.equal(privateKey.asymmetricKeyType, row.node.type);
    assert.deepEqual(privateKey.asymmetricKeyDetails, row.node.details);
  }
  assert.deepEqual(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }), spki, 'public key derived from the private key');
  // The PKCS#8 is the canonical DER that node itself writes for this key.
  assert.deepEqual(privateKey.export({ type: 'pkcs8', format: 'der' }), pkcs8);
  const message = Buffer.from(`signed with a ${row.spec} data key pair`);
  const signature = sign(row.digest, message, privateKey);
  assert.equal(verify(row.digest, message, publicKey, signature), true, 'signature made with the private key verifies');
  assert.equal(verify(row.digest, Buffer.from('another message'), publicKey, signature), false, 'signature of another message');
  opensslChecksPrivateKey(pkcs8, spki);
}

function bytes(value: Uint8Array | undefined, what: string): Buffer {
  assert.ok(value instanceof Uint8Array && value.length > 0, `${what} is missing`);
  return Buffer.from(value);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface TestKey {
  keyId: string;
  arn: string;
}

describe('GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext over the AWS SDK', () => {
  let server: SpawnedServer;
  let client: KMSClient;
  let cnClient: KMSClient;
  let key: TestKey;
  let cnKey: TestKey;
  const aliasName = 'alias/data-key-pairs';
  const aliasArn = `arn:aws:kms:us-east-1:${ACCOUNT}:${aliasName}`;
  const materialIds = new Map<string, string>();

  async function createKey(kms: KMSClient, input: CreateKeyCommandInput = {}): Promise<TestKey> {
    const created = await kms.send(new CreateKeyCommand(input));
    const metadata = created.KeyMetadata;
    assert.ok(metadata?.KeyId && metadata.Arn);
    return { keyId: metadata.KeyId, arn: metadata.Arn };
  }

  async function currentMaterialId(kms: KMSClient, keyId: string): Promise<string> {
    const described = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    const id = described.KeyMetadata?.CurrentKeyMaterialId;
    assert.ok(id, 'DescribeKey has no CurrentKeyMaterialId');
    return id;
  }

  const contextFor = (row: SpecRow, operation: Operation) => ({ purpose: 'functional-test', spec: row.spec, operation });

  /** Each spec is generated once per operation; the first caller starts it. */
  const generations = new Map<string, Promise<PairResponse>>();
  function generated(row: SpecRow, operation: Operation): Promise<PairResponse> {
    const name = `${operation} ${row.spec}`;
    let pending = generations.get(name);
    if (!pending) {
      const kms = row.region === 'cn-north-1' ? cnClient : client;
      const target = row.region === 'cn-north-1' ? cnKey : key;
      pending = generate(kms, operation, { KeyId: target.keyId, KeyPairSpec: row.spec, EncryptionContext: contextFor(row, operation) });
      pending.catch(() => undefined); // the test awaiting it reports the failure
      generations.set(name, pending);
    }
    return pending;
  }

  before(async () => {
    server = await spawnServer();
    client = kmsClient(server.url);
    cnClient = kmsClient(server.url, 'cn-north-1');
    key = await createKey(client, { Description: 'wraps data key pairs' });
    cnKey = await createKey(cnClient, { Description: 'wraps SM2 data key pairs' });
    await client.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: key.keyId }));
    materialIds.set(key.keyId, await currentMaterialId(client, key.keyId));
    materialIds.set(cnKey.keyId, await currentMaterialId(cnClient, cnKey.keyId));
    // Start every generation now; each test awaits its own (failures are reported there).
    for (const row of SPECS) for (const operation of OPERATIONS) void generated(row, operation);
  });

  after(async () => {
    client?.destroy();
    cnClient?.destroy();
    await server?.stop();
    if (server) removeDataDir(server.dataDir);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('creates the China Region key under the aws-cn partition', () => {
    assert.match(cnKey.arn, /^arn:aws-cn:kms:cn-north-1:111122223333:key\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.match(key.arn, /^arn:aws:kms:us-east-1:111122223333:key\//);
  });

  describe('every key pair spec', { timeout: 60_000 }, () => {
    for (const row of SPECS) {
      for (const operation of OPERATIONS) {
        it(`${operation} ${row.spec} (${row.region}): a pair node:crypto and openssl accept`, async () => {
          const target = row.region === 'cn-north-1' ? cnKey : key;
          const response = await generated(row, operation);
          assert.equal(response.KeyPairSpec, row.spec);
          assert.equal(response.KeyId, target.arn);
          if (row.region === 'cn-north-1') assert.match(target.arn, /^arn:aws-cn:kms:cn-north-1:111122223333:key\//);
          assert.match(response.KeyMaterialId ?? '', /^[0-9a-f]{64}$/);
          assert.equal(response.KeyMaterialId, materialIds.get(target.keyId));

          const spki = bytes(response.PublicKey, 'PublicKey');
          publicKeyOf(row, spki);
          opensslPublicKeyText(row, spki);
          if (operation === 'GenerateDataKeyPair') {
            checkPrivateKey(row, bytes(response.PrivateKeyPlaintext, 'PrivateKeyPlaintext'), spki);
          } else {
            assert.equal(response.PrivateKeyPlaintext, undefined);
          }
        });

        it(`${operation} ${row.spec} (${row.region}): PrivateKeyCiphertextBlob decrypts with its context to the PKCS#8`, async () => {
          const kms = row.region === 'cn-north-1' ? cnClient : client;
          const target = row.region === 'cn-north-1' ? cnKey : key;
          const response = await generated(row, operation);
          const blob = bytes(response.PrivateKeyCiphertextBlob, 'PrivateKeyCiphertextBlob');
          const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: contextFor(row, operation) }));
          assert.equal(decrypted.KeyId, target.arn);
          assert.equal(decrypted.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
          assert.equal(decrypted.KeyMaterialId, response.KeyMaterialId);
          const pkcs8 = bytes(decrypted.Plaintext, 'Decrypt Plaintext');
          if (operation === 'GenerateDataKeyPair') {
            assert.deepEqual(pkcs8, bytes(response.PrivateKeyPlaintext, 'PrivateKeyPlaintext'));
          } else {
            checkPrivateKey(row, pkcs8, bytes(response.PublicKey, 'PublicKey'));
          }
          const withoutContext = await awsError(() => kms.send(new DecryptCommand({ CiphertextBlob: blob })));
          assert.equal(withoutContext.name, 'InvalidCiphertextException');
        });
      }
    }
  });

  describe('the response', () => {
    const keyIdForms: { form: string; keyId: () => string }[] = [
      { form: 'a bare key id', keyId: () => key.keyId },
      { form: 'a key ARN', keyId: () => key.arn },
      { form: 'an alias name', keyId: () => aliasName },
      { form: 'an alias ARN', keyId: () => aliasArn },
    ];
    for (const operation of OPERATIONS) {
      for (const { form, keyId } of keyIdForms) {
        it(`${operation} named by ${form} answers with the key ARN`, async () => {
          const response = await generate(client, operation, { KeyId: keyId(), KeyPairSpec: 'ECC_NIST_P256' });
          assert.equal(response.KeyId, key.arn);
          assert.equal(response.KeyMaterialId, materialIds.get(key.keyId));
        });
      }

      it(`${operation}: two calls give two distinct pairs`, async () => {
        const [first, second] = await Promise.all([
          generate(client, operation, { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_EDWARDS25519' }),
          generate(client, operation, { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_EDWARDS25519' }),
        ]);
        assert.notDeepEqual(bytes(first.PublicKey, 'PublicKey'), bytes(second.PublicKey, 'PublicKey'));
        assert.notDeepEqual(
          bytes(first.PrivateKeyCiphertextBlob, 'PrivateKeyCiphertextBlob'),
          bytes(second.PrivateKeyCiphertextBlob, 'PrivateKeyCiphertextBlob'),
        );
        const [a, b] = await Promise.all(
          [first, second].map((r) => client.send(new DecryptCommand({ CiphertextBlob: r.PrivateKeyCiphertextBlob }))),
        );
        assert.notDeepEqual(bytes(a?.Plaintext, 'first private key'), bytes(b?.Plaintext, 'second private key'));
        if (operation === 'GenerateDataKeyPair') {
          assert.notDeepEqual(bytes(first.PrivateKeyPlaintext, 'first'), bytes(second.PrivateKeyPlaintext, 'second'));
        }
      });
    }

    it('on the wire, WithoutPlaintext sends no PrivateKeyPlaintext and GenerateDataKeyPair does', async () => {
      const recording = kmsClient(server.url);
      const wire = recordWireBodies(recording);
      try {
        await generate(recording, 'GenerateDataKeyPairWithoutPlaintext', { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256' });
        assert.deepEqual(Object.keys(wire.last()).sort(), ['KeyId', 'KeyMaterialId', 'KeyPairSpec', 'PrivateKeyCiphertextBlob', 'PublicKey']);
        await generate(recording, 'GenerateDataKeyPair', { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256' });
        assert.deepEqual(Object.keys(wire.last()).sort(), [
          'KeyId',
          'KeyMaterialId',
          'KeyPairSpec',
          'PrivateKeyCiphertextBlob',
          'PrivateKeyPlaintext',
          'PublicKey',
        ]);
      } finally {
        recording.destroy();
      }
    });
  });

  describe('Decrypt of PrivateKeyCiphertextBlob', () => {
    const rows: { title: string; generatedWith?: Record<string, string>; decryptWith?: Record<string, string> }[] = [
      { title: 'a different value', generatedWith: { tenant: 'a' }, decryptWith: { tenant: 'b' } },
      { title: 'a context key differing only in case', generatedWith: { tenant: 'a' }, decryptWith: { Tenant: 'a' } },
      { title: 'no context for a blob made with one', generatedWith: { tenant: 'a' } },
      { title: 'a context for a blob made without one', decryptWith: { tenant: 'a' } },
      { title: 'one pair of two', generatedWith: { tenant: 'a', stage: 'prod' }, decryptWith: { tenant: 'a' } },
      { title: 'an extra pair', generatedWith: { tenant: 'a' }, decryptWith: { tenant: 'a', stage: 'prod' } },
      { title: '{"a":"bc"} for a blob made with {"ab":"c"}', generatedWith: { ab: 'c' }, decryptWith: { a: 'bc' } },
      { title: '{"ab":"c"} for a blob made with {"a":"bc"}', generatedWith: { a: 'bc' }, decryptWith: { ab: 'c' } },
    ];
    for (const operation of OPERATIONS) {
      for (const row of rows) {
        it(`${operation}, decrypted with ${row.title}: InvalidCiphertextException with an empty message`, async () => {
          const recording = kmsClient(server.url);
          const wire = recordWireBodies(recording);
          try {
            const request: PairRequest = { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256' };
            if (row.generatedWith) request.EncryptionContext = row.generatedWith;
            const response = await generate(client, operation, request);
            const blob = bytes(response.PrivateKeyCiphertextBlob, 'PrivateKeyCiphertextBlob');
            // The blob is good: with the context it was made with, it decrypts.
            await client.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: row.generatedWith }));
            const error = await awsError(() =>
              recording.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: row.decryptWith })),
            );
            assert.equal(error.name, 'InvalidCiphertextException');
            assert.equal(error.status, 400);
            // AWS sends an empty message; nothing about the cause may leave the server.
            const body = wire.last();
            assert.equal(body.__type, 'InvalidCiphertextException');
            assert.equal(body.message ?? '', '');
            assert.deepEqual(Object.keys(body).filter((k) => k !== '__type' && k !== 'message'), []);
          } finally {
            recording.destroy();
          }
        });
      }
    }

    it('a blob with one byte changed: InvalidCiphertextException', async () => {
      const context = { tenant: 'a' };
      const response = await generate(client, 'GenerateDataKeyPair', { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256', EncryptionContext: context });
      const blob = bytes(response.PrivateKeyCiphertextBlob, 'PrivateKeyCiphertextBlob');
      blob[blob.length - 1] = (blob[blob.length - 1] ?? 0) ^ 0x01;
      const error = await awsError(() => client.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: context })));
      assert.equal(error.name, 'InvalidCiphertextException');
    });

    it('naming another key: IncorrectKeyException', async () => {
      const other = await createKey(client);
      const response = await generate(client, 'GenerateDataKeyPairWithoutPlaintext', { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256' });
      const error = await awsError(() =>
        client.send(new DecryptCommand({ CiphertextBlob: response.PrivateKeyCiphertextBlob, KeyId: other.keyId })),
      );
      assert.deepEqual(
        { name: error.name, message: error.message },
        { name: 'IncorrectKeyException', message: 'The key ID in the request does not identify a CMK that can perform this operation.' },
      );
    });
  });

  describe('DryRun', () => {
    for (const operation of OPERATIONS) {
      it(`${operation} with DryRun: DryRunOperationException`, async () => {
        const error = await awsError(() => generate(client, operation, { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256', DryRun: true }));
        assert.deepEqual({ name: error.name, message: error.message }, { name: 'DryRunOperationException', message: DRY_RUN_MESSAGE });
      });

      it(`${operation} with DryRun false generates a pair`, async () => {
        const response = await generate(client, operation, { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256', DryRun: false });
        assert.equal(response.KeyId, key.arn);
        bytes(response.PublicKey, 'PublicKey');
      });

      it(`${operation} with DryRun on a disabled key: DisabledException wins`, async () => {
        const disabled = await createKey(client);
        await client.send(new DisableKeyCommand({ KeyId: disabled.keyId }));
        const error = await awsError(() => generate(client, operation, { KeyId: disabled.keyId, KeyPairSpec: 'ECC_NIST_P256', DryRun: true }));
        assert.deepEqual({ name: error.name, message: error.message }, { name: 'DisabledException', message: `${disabled.arn} is disabled.` });
      });

      it(`${operation} with DryRun on an unknown alias: NotFoundException wins`, async () => {
        const error = await awsError(() => generate(client, operation, { KeyId: 'alias/dry-run-nope', KeyPairSpec: 'ECC_NIST_P256', DryRun: true }));
        assert.deepEqual(
          { name: error.name, message: error.message },
          { name: 'NotFoundException', message: `Alias arn:aws:kms:us-east-1:${ACCOUNT}:alias/dry-run-nope is not found.` },
        );
      });

      it(`${operation} with DryRun and an invalid KeyPairSpec: ValidationException wins`, async () => {
        const error = await awsError(() =>
          generate(client, operation, { KeyId: key.keyId, KeyPairSpec: 'RSA_1024' as DataKeyPairSpec, DryRun: true }),
        );
        assert.equal(error.name, 'ValidationException');
      });
    }
  });

  describe('errors', () => {
    interface Fixtures {
      disabled: TestKey;
      pendingDeletion: TestKey;
      external: TestKey;
      rsaSigning: TestKey;
      eccSigning: TestKey;
      rsaEncryption: TestKey;
      hmac: TestKey;
    }
    let f: Fixtures;
    const unknownId = randomUUID();

    before(async () => {
      const [disabled, pendingDeletion, external, rsaSigning, eccSigning, rsaEncryption, hmac] = await Promise.all([
        createKey(client),
        createKey(client),
        createKey(client, { Origin: 'EXTERNAL' }),
        createKey(client, { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }),
        createKey(client, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }),
        createKey(client, { KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }),
        createKey(client, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }),
      ]);
      await client.send(new DisableKeyCommand({ KeyId: disabled.keyId }));
      await client.send(new ScheduleKeyDeletionCommand({ KeyId: pendingDeletion.keyId, PendingWindowInDays: 7 }));
      f = { disabled, pendingDeletion, external, rsaSigning, eccSigning, rsaEncryption, hmac };
    });

    interface ErrorRow {
      title: string;
      keyId: (f: Fixtures) => string;
      keyPairSpec?: string;
      grantTokens?: string[];
      name: string;
      message: (f: Fixtures) => string | RegExp;
    }
    const usageRow = (title: string, pick: (f: Fixtures) => TestKey): ErrorRow => ({
      title,
      keyId: (x) => pick(x).keyId,
      name: 'InvalidKeyUsageException',
      message: (x) => new RegExp(escapeRegExp(pick(x).arn)),
    });
    const tooLong = 'g'.repeat(8193);
    const rows: ErrorRow[] = [
      {
        title: 'a malformed key id',
        keyId: () => 'fake-key-id',
        name: 'NotFoundException',
        message: () => "Invalid keyId 'fake-key-id'",
      },
      {
        title: 'a UUID without dashes',
        keyId: () => unknownId.replaceAll('-', ''),
        name: 'NotFoundException',
        message: () => `Invalid keyId '${unknownId.replaceAll('-', '')}'`,
      },
      {
        title: 'an unknown key id',
        keyId: () => unknownId,
        name: 'NotFoundException',
        message: () => `Key 'arn:aws:kms:us-east-1:${ACCOUNT}:key/${unknownId}' does not exist`,
      },
      {
        title: 'an unknown key ARN',
        keyId: () => `arn:aws:kms:us-east-1:${ACCOUNT}:key/${unknownId}`,
        name: 'NotFoundException',
        message: () => `Key 'arn:aws:kms:us-east-1:${ACCOUNT}:key/${unknownId}' does not exist`,
      },
      {
        title: 'the ARN of an existing key id in another region',
        keyId: () => key.arn.replace(':us-east-1:', ':us-west-2:'),
        name: 'NotFoundException',
        message: () => 'Invalid arn us-west-2',
      },
      {
        title: 'an unknown alias name',
        keyId: () => 'alias/nope',
        name: 'NotFoundException',
        message: () => `Alias arn:aws:kms:us-east-1:${ACCOUNT}:alias/nope is not found.`,
      },
      {
        title: 'an unknown alias ARN',
        keyId: () => `arn:aws:kms:us-east-1:${ACCOUNT}:alias/nope`,
        name: 'NotFoundException',
        message: () => `Alias arn:aws:kms:us-east-1:${ACCOUNT}:alias/nope is not found.`,
      },
      {
        title: 'a disabled key',
        keyId: (x) => x.disabled.keyId,
        name: 'DisabledException',
        message: (x) => `${x.disabled.arn} is disabled.`,
      },
      {
        title: 'a disabled key named by its ARN',
        keyId: (x) => x.disabled.arn,
        name: 'DisabledException',
        message: (x) => `${x.disabled.arn} is disabled.`,
      },
      {
        title: 'a key pending deletion',
        keyId: (x) => x.pendingDeletion.keyId,
        name: 'KMSInvalidStateException',
        message: (x) => `${x.pendingDeletion.arn} is pending deletion.`,
      },
      {
        title: 'an Origin EXTERNAL key without material',
        keyId: (x) => x.external.keyId,
        name: 'KMSInvalidStateException',
        message: (x) => `${x.external.arn} is pending import.`,
      },
      usageRow('an RSA_2048 SIGN_VERIFY key', (x) => x.rsaSigning),
      usageRow('an ECC_NIST_P256 SIGN_VERIFY key', (x) => x.eccSigning),
      usageRow('an RSA_2048 ENCRYPT_DECRYPT key', (x) => x.rsaEncryption),
      usageRow('an HMAC_256 key', (x) => x.hmac),
      {
        title: 'an unknown KeyPairSpec',
        keyId: () => key.keyId,
        keyPairSpec: 'RSA_1024',
        name: 'ValidationException',
        message: () =>
          `1 validation error detected: Value 'RSA_1024' at 'keyPairSpec' failed to satisfy constraint: ` +
          `Member must satisfy enum value set: ${KEY_PAIR_SPEC_ENUM}`,
      },
      {
        title: 'a KeyPairSpec in the wrong case',
        keyId: () => key.keyId,
        keyPairSpec: 'ecc_nist_p256',
        name: 'ValidationException',
        message: () =>
          `1 validation error detected: Value 'ecc_nist_p256' at 'keyPairSpec' failed to satisfy constraint: ` +
          `Member must satisfy enum value set: ${KEY_PAIR_SPEC_ENUM}`,
      },
      {
        title: '11 grant tokens',
        keyId: () => key.keyId,
        grantTokens: Array.from({ length: 11 }, (_, i) => `token-${i + 1}`),
        name: 'ValidationException',
        message: () =>
          "1 validation error detected: Value '[token-1, token-2, token-3, token-4, token-5, token-6, token-7, token-8, token-9, " +
          "token-10, token-11]' at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10",
      },
      {
        title: 'an empty grant token',
        keyId: () => key.keyId,
        grantTokens: [''],
        name: 'ValidationException',
        message: () =>
          "1 validation error detected: Value '' at 'grantTokens.1.member' failed to satisfy constraint: " +
          'Member must have length greater than or equal to 1',
      },
      {
        title: 'a grant token of 8193 characters',
        keyId: () => key.keyId,
        grantTokens: ['ok', tooLong],
        name: 'ValidationException',
        message: () =>
          `1 validation error detected: Value '${tooLong}' at 'grantTokens.2.member' failed to satisfy constraint: ` +
          'Member must have length less than or equal to 8192',
      },
    ];

    for (const operation of OPERATIONS) {
      for (const row of rows) {
        it(`${operation} with ${row.title}: ${row.name}`, async () => {
          const request: PairRequest = { KeyId: row.keyId(f), KeyPairSpec: (row.keyPairSpec ?? 'ECC_NIST_P256') as DataKeyPairSpec };
          if (row.grantTokens) request.GrantTokens = row.grantTokens;
          const error = await awsError(() => generate(client, operation, request));
          assert.equal(error.name, row.name, `error name (message: ${error.message})`);
          const expected = row.message(f);
          if (typeof expected === 'string') assert.equal(error.message, expected);
          else assert.match(error.message, expected);
          assert.equal(error.status, 400);
        });
      }

      it(`${operation} with SM2 in us-east-1: UnsupportedOperationException`, async () => {
        const error = await awsError(() => generate(client, operation, { KeyId: key.keyId, KeyPairSpec: 'SM2' }));
        assert.equal(error.name, 'UnsupportedOperationException');
        assert.match(error.message, /SM2/);
        assert.equal(error.status, 400);
      });

      it(`${operation} in cn-north-1 naming a us-east-1 key ARN: NotFoundException`, async () => {
        const error = await awsError(() => generate(cnClient, operation, { KeyId: key.arn, KeyPairSpec: 'SM2' }));
        assert.deepEqual({ name: error.name, message: error.message }, { name: 'NotFoundException', message: 'Invalid arn us-east-1' });
      });

      it(`${operation} with an empty GrantTokens list generates a pair`, async () => {
        const response = await generate(client, operation, { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256', GrantTokens: [] });
        assert.equal(response.KeyId, key.arn);
      });

      it(`${operation} with 10 well-formed grant tokens passes validation`, async () => {
        // Trent has no grants yet, so no token can be checked against one: the list is accepted.
        // AWS (and Trent once grants exist) answers InvalidGrantTokenException for tokens it never
        // issued, which is not a validation failure either.
        const tokens = Array.from({ length: 10 }, (_, i) => `${i}`.repeat(i === 9 ? 8192 : 1));
        const outcome = await generate(client, operation, { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256', GrantTokens: tokens }).then(
          (response) => response.KeyId,
          (err: Error) => err.name,
        );
        assert.ok([key.arn, 'InvalidGrantTokenException'].includes(outcome ?? ''), `outcome: ${outcome}`);
      });
    }

    it('GenerateDataKeyPair with a Recipient: UnsupportedOperationException', async () => {
      const error = await awsError(() =>
        client.send(
          new GenerateDataKeyPairCommand({
            KeyId: key.keyId,
            KeyPairSpec: 'ECC_NIST_P256',
            Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: randomBytes(64) },
          }),
        ),
      );
      assert.equal(error.name, 'UnsupportedOperationException');
      assert.match(error.message, /Recipient/);
      assert.equal(error.status, 400);
    });
  });
});

describe('GenerateDataKeyPair served from the key-pair pool', () => {
  // Pools for two fast specs and RSA_2048 only, so background refills stay small on two cores.
  const POOL = {
    RSA_2048: 2,
    RSA_3072: 0,
    RSA_4096: 0,
    ECC_NIST_P256: 8,
    ECC_NIST_P384: 0,
    ECC_NIST_P521: 0,
    ECC_SECG_P256K1: 0,
    SM2: 0,
    ECC_NIST_EDWARDS25519: 8,
    ML_KEM_512: 0,
    ML_KEM_768: 0,
    ML_KEM_1024: 0,
  };
  let server: SpawnedServer;
  let client: KMSClient;
  let keyId: string;

  before(async () => {
    server = await spawnServer({ env: { TRENT_KEY_PAIR_POOL: Object.entries(POOL).map(([spec, n]) => `${spec}=${n}`).join(',') } });
    client = kmsClient(server.url);
    const created = await client.send(new CreateKeyCommand({}));
    assert.ok(created.KeyMetadata?.KeyId);
    keyId = created.KeyMetadata.KeyId;
  });

  after(async () => {
    client?.destroy();
    await server?.stop();
    if (server) removeDataDir(server.dataDir);
  });

  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Each response's private key (decrypted from its blob) belongs to its public key; no pair repeats. */
  async function checkDistinctPairs(spec: DataKeyPairSpec, responses: PairResponse[]): Promise<void> {
    const publicKeys = new Set<string>();
    const privateKeys = new Set<string>();
    for (const response of responses) {
      assert.equal(response.KeyPairSpec, spec);
      const spki = bytes(response.PublicKey, 'PublicKey');
      const decrypted = await client.send(new DecryptCommand({ CiphertextBlob: response.PrivateKeyCiphertextBlob, EncryptionContext: { pool: spec } }));
      const pkcs8 = bytes(decrypted.Plaintext, 'Plaintext');
      if (response.PrivateKeyPlaintext) assert.deepEqual(pkcs8, Buffer.from(response.PrivateKeyPlaintext));
      const derived = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
      assert.deepEqual(derived.export({ type: 'spki', format: 'der' }), spki, 'private key does not belong to PublicKey');
      publicKeys.add(spki.toString('base64'));
      privateKeys.add(pkcs8.toString('base64'));
    }
    assert.equal(publicKeys.size, responses.length, 'a public key was handed out twice');
    assert.equal(privateKeys.size, responses.length, 'a private key was handed out twice');
  }

  for (const spec of ['ECC_NIST_P256', 'ECC_NIST_EDWARDS25519'] as const) {
    it(`${spec}: three rounds of 8 concurrent calls, emptying and refilling the pool, give 24 distinct pairs`, async () => {
      const responses: PairResponse[] = [];
      for (let round = 0; round < 3; round++) {
        await pause(100); // time for the pool to refill (these specs take well under a millisecond)
        const batch = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            generate(client, OPERATIONS[i % 2] as Operation, { KeyId: keyId, KeyPairSpec: spec, EncryptionContext: { pool: spec } }),
          ),
        );
        responses.push(...batch);
      }
      await checkDistinctPairs(spec, responses);
    });
  }

  it('RSA_2048: more calls than the pool holds give distinct 2048-bit pairs', { timeout: 30_000 }, async () => {
    const responses = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        generate(client, OPERATIONS[i % 2] as Operation, { KeyId: keyId, KeyPairSpec: 'RSA_2048', EncryptionContext: { pool: 'RSA_2048' } }),
      ),
    );
    for (const response of responses) {
      const details = createPublicKey({ key: bytes(response.PublicKey, 'PublicKey'), format: 'der', type: 'spki' }).asymmetricKeyDetails;
      assert.equal(details?.modulusLength, 2048);
    }
    await checkDistinctPairs('RSA_2048', responses);
  });
});
