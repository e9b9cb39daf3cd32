/**
 * In-process cost of the request hot paths, without HTTP, side by side in one run: the whole
 * app pipeline per operation (SQLite store, as served), and its parts: key lookup, envelope
 * seal/open, request validation, response serialisation, and the SigV4 verification an
 * authenticated server adds, and a Recipient's cost (attestation document verification, the CMS
 * envelope to an RSA-2048 enclave key). Prints microseconds per call and each part's share of an
 * Encrypt.
 * Usage: npm run bench:hot-paths
 */
import { randomBytes, createSecretKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createDocument, initRoot } from '../src/cli/attestation-kit.js';
import { parsePemCertificates } from '../src/crypto/certificate-chain.js';
import { envelopeFor } from '../src/crypto/cms.js';
import { verifyAttestationDocument } from '../src/domain/attestation.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, seal } from '../src/crypto/envelope.js';
import { kmsModel } from '../src/protocol/kms-model.generated.js';
import { serializeOutput } from '../src/protocol/json11.js';
import { validateInput } from '../src/protocol/validate.js';
import { createKmsApp } from '../src/server/app.js';
import { loadAttestationRoots } from '../src/domain/attestation-roots.js';
import { Identities } from '../src/domain/identities.js';
import { SigV4Authenticator } from '../src/protocol/authenticate.js';
import { prepare } from './load.js';
import { SqliteStore } from '../src/storage/sqlite.js';
import { benchServices } from './in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'trent-hot-'));
const store = new SqliteStore(join(dir, 'trent.db'));
const kit = await initRoot(join(dir, 'kit'));
const enclave = generateKeyPairSync('rsa', { modulusLength: 2048 });
const document = await createDocument({ rootDir: join(dir, 'kit'), publicKey: enclave.publicKey.export({ type: 'spki', format: 'der' }) });
const services = benchServices(store, {
  attestationRoots: [...loadAttestationRoots(undefined), ...parsePemCertificates(readFileSync(kit.rootPem, 'utf8'))],
});
const app = createKmsApp(services);

function request(operation: string, input: object) {
  return {
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${operation}` },
    body: Buffer.from(JSON.stringify(input)),
  };
}

async function microseconds(fn: () => unknown, ms = 600): Promise<number> {
  for (let i = 0; i < 200; i++) await fn(); // warm up
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < ms) {
    await fn();
    n++;
  }
  return ((performance.now() - started) * 1000) / n;
}

const created = JSON.parse((await app.handle(request('CreateKey', {}))).body) as { KeyMetadata: { KeyId: string } };
const keyId = created.KeyMetadata.KeyId;
const plaintext = randomBytes(32);
const encryptInput = { KeyId: keyId, Plaintext: plaintext.toString('base64'), EncryptionContext: { app: 'bench' } };
const { CiphertextBlob } = JSON.parse((await app.handle(request('Encrypt', encryptInput))).body) as { CiphertextBlob: string };
const material = createSecretKey(randomBytes(32));
const blob = seal(material, { keyId, materialVersion: 1 }, plaintext, { app: 'bench' });
const scope = { account: '111122223333', region: 'us-east-1' };
const user = { accessKeyId: 'AKIAHOTPATHS00000001', secretAccessKey: 'hot/paths+secret' };
const authenticator = new SigV4Authenticator(
  new Identities([{ id: '111122223333', principals: [{ arn: 'arn:aws:iam::111122223333:user/bench', accessKeys: [user], policies: [] }] }]),
);
const signed = await prepare('http://127.0.0.1:4599', 'Decrypt', { CiphertextBlob, EncryptionContext: { app: 'bench' } }, user);
const signedDecrypt = { method: 'POST', path: '/', headers: signed.headers, body: Buffer.from(signed.body) };

const rows: Array<[string, number]> = [
  ['app: Encrypt (32 bytes)', await microseconds(() => app.handle(request('Encrypt', encryptInput)))],
  ['app: Decrypt', await microseconds(() => app.handle(request('Decrypt', { CiphertextBlob, EncryptionContext: { app: 'bench' } })))],
  ['app: GenerateDataKey AES_256', await microseconds(() => app.handle(request('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256' })))],
  ['app: GenerateDataKeyPair ECC_NIST_P256', await microseconds(() => app.handle(request('GenerateDataKeyPair', { KeyId: keyId, KeyPairSpec: 'ECC_NIST_P256' })))],
  [
    'app: GenerateDataKey AES_256 + Recipient',
    await microseconds(() => app.handle(request('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', Recipient: { AttestationDocument: document.toString('base64') } }))),
  ],
  ['attestation document verification', await microseconds(() => verifyAttestationDocument(document, services.attestationRoots, Date.now()))],
  ['CMS envelope to an RSA-2048 key', await microseconds(() => envelopeFor(enclave.publicKey, plaintext))],
  ['app: DescribeKey', await microseconds(() => app.handle(request('DescribeKey', { KeyId: keyId })))],
  ['key lookup (SQLite getKey)', await microseconds(() => store.getKey(scope, keyId))],
  ['envelope seal (32 bytes + context)', await microseconds(() => seal(material, { keyId, materialVersion: 1 }, plaintext, { app: 'bench' }))],
  ['envelope open', await microseconds(() => open(material, blob, { app: 'bench' }))],
  ['validate Encrypt input', await microseconds(() => validateInput(kmsModel, 'Encrypt', JSON.parse(JSON.stringify(encryptInput))))],
  ['SigV4 verification of a Decrypt request', await microseconds(() => authenticator.authenticate(signedDecrypt, Date.now()))],
  ['serialise Encrypt output', await microseconds(() => serializeOutput({ CiphertextBlob: blob, KeyId: keyId, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }))],
];
const encrypt = rows[0]?.[1] ?? NaN;
process.stdout.write(`${'path'.padEnd(42)} ${'µs/call'.padStart(9)} ${'of Encrypt'.padStart(11)}\n`);
for (const [name, us] of rows) {
  process.stdout.write(`${name.padEnd(42)} ${us.toFixed(1).padStart(9)} ${((us / encrypt) * 100).toFixed(0).padStart(10)}%\n`);
}
await store.close();
rmSync(dir, { recursive: true, force: true });
