/**
 * GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext, driven through
 * @aws-sdk/client-kms over HTTP against a real Trent server process. Every pair is checked by
 * implementations Trent does not use to make it: node:crypto parses, signs and verifies, and the
 * openssl CLI parses both DER encodings and derives the public key from the private one. One
 * error of each kind runs here so that the SDK's parsing of errors is exercised; every error row
 * (AWS-BEHAVIOUR.md) runs in-process in test/operations/generate-data-key-pair.test.ts. ML_KEM_*
 * specs have their own tests, and pairs served from the pool are in key-pair-pool.test.ts.
 *
 * Generation is slow for RSA (RSA_4096 takes seconds), so each spec is generated once per
 * operation, all of them started together in `before`, and each test awaits its own result.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  CreateAliasCommand,
  DecryptCommand,
  DescribeKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  type CreateKeyCommandInput,
  type DataKeyPairSpec,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { awsError, kmsClient } from '../helpers/clients.js';
import { aliasArn as aliasArnOf, createKey as create, uniqueAlias, useServer } from '../helpers/functional.js';

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

interface TestKey {
  keyId: string;
  arn: string;
}

describe('GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext over the AWS SDK', () => {
  let client: KMSClient;
  let cnClient: KMSClient;
  let key: TestKey;
  let cnKey: TestKey;
  const aliasName = uniqueAlias('data-key-pairs');
  const aliasArn = aliasArnOf(aliasName);
  const materialIds = new Map<string, string>();

  async function createKey(kms: KMSClient, input: CreateKeyCommandInput = {}): Promise<TestKey> {
    const metadata = await create(kms, input);
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

  const server = useServer({
    async setUp() {
      client = server.kms;
      cnClient = server.client('cn-north-1');
      key = await createKey(client, { Description: 'wraps data key pairs' });
      cnKey = await createKey(cnClient, { Description: 'wraps SM2 data key pairs' });
      await client.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: key.keyId }));
      materialIds.set(key.keyId, await currentMaterialId(client, key.keyId));
      materialIds.set(cnKey.keyId, await currentMaterialId(cnClient, cnKey.keyId));
      // Start every generation now; each test awaits its own (failures are reported there).
      for (const row of SPECS) for (const operation of OPERATIONS) void generated(row, operation);
    },
  });

  after(() => rmSync(scratch, { recursive: true, force: true }));

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
    it('with a different context: InvalidCiphertextException, and an empty message on the wire', async () => {
      const recording = kmsClient(server.url);
      const wire = recordWireBodies(recording);
      try {
        const response = await generate(client, 'GenerateDataKeyPair', { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256', EncryptionContext: { tenant: 'a' } });
        const blob = bytes(response.PrivateKeyCiphertextBlob, 'PrivateKeyCiphertextBlob');
        const error = await awsError(() => recording.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { tenant: 'b' } })));
        assert.equal(error.name, 'InvalidCiphertextException');
        assert.equal(error.status, 400);
        // AWS sends an empty message; nothing about the cause may leave the server.
        assert.deepEqual(wire.last(), { __type: 'InvalidCiphertextException', message: '' });
      } finally {
        recording.destroy();
      }
    });
  });

  describe('DryRun', () => {
    it('GenerateDataKeyPair with DryRun: DryRunOperationException', async () => {
      const error = await awsError(() => generate(client, 'GenerateDataKeyPair', { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256', DryRun: true }));
      assert.deepEqual(error, { name: 'DryRunOperationException', message: DRY_RUN_MESSAGE, status: 400 });
    });

    for (const operation of OPERATIONS) {
      it(`${operation} with DryRun false generates a pair`, async () => {
        const response = await generate(client, operation, { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256', DryRun: false });
        assert.equal(response.KeyId, key.arn);
        bytes(response.PublicKey, 'PublicKey');
      });
    }
  });

  describe('errors', () => {
    it('GenerateDataKeyPair naming an unknown alias: NotFoundException', async () => {
      const error = await awsError(() => generate(client, 'GenerateDataKeyPair', { KeyId: 'alias/nope', KeyPairSpec: 'ECC_NIST_P256' }));
      assert.deepEqual(error, { name: 'NotFoundException', message: `Alias ${aliasArnOf('alias/nope')} is not found.`, status: 400 });
    });

    it('GenerateDataKeyPairWithoutPlaintext with an unknown KeyPairSpec: ValidationException', async () => {
      const error = await awsError(() =>
        generate(client, 'GenerateDataKeyPairWithoutPlaintext', { KeyId: key.keyId, KeyPairSpec: 'RSA_1024' as DataKeyPairSpec }),
      );
      assert.deepEqual(error, {
        name: 'ValidationException',
        message: `1 validation error detected: Value 'RSA_1024' at 'keyPairSpec' failed to satisfy constraint: Member must satisfy enum value set: ${KEY_PAIR_SPEC_ENUM}`,
        status: 400,
      });
    });

    it('GenerateDataKeyPair wrapped by an HMAC key: InvalidKeyUsageException', async () => {
      const hmac = await createKey(client, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
      const error = await awsError(() => generate(client, 'GenerateDataKeyPair', { KeyId: hmac.keyId, KeyPairSpec: 'ECC_NIST_P256' }));
      assert.deepEqual(error, {
        name: 'InvalidKeyUsageException',
        message: `${hmac.arn} key usage is GENERATE_VERIFY_MAC which is not valid for GenerateDataKeyPair.`,
        status: 400,
      });
    });
  });

  describe('GrantTokens (every row is in test/operations/grant-tokens.test.ts; a grant through the SDK in grants.test.ts)', () => {
    for (const operation of OPERATIONS) {
      it(`${operation} with an empty GrantTokens list generates a pair`, async () => {
        const response = await generate(client, operation, { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256', GrantTokens: [] });
        assert.equal(response.KeyId, key.arn);
      });
    }

    it('GenerateDataKeyPair with 10 well-formed tokens Trent never issued: InvalidGrantTokenException', async () => {
      const tokens = Array.from({ length: 10 }, (_, i) => `${i}`.repeat(i === 9 ? 8192 : 1));
      const error = await awsError(() => generate(client, 'GenerateDataKeyPair', { KeyId: key.keyId, KeyPairSpec: 'ECC_NIST_P256', GrantTokens: tokens }));
      assert.deepEqual(error, { name: 'InvalidGrantTokenException', message: 'Invalid grant token.', status: 400 });
    });
  });
});
