/**
 * `trent attestation init-root|create|verify`, run as a user runs it: a test root whose keys are
 * mode 0600 and whose certificates openssl verifies as a chain; a document for a PEM or DER key
 * that `verify` accepts under that root and refuses under AWS's; and `verify --at` of the real
 * AWS-signed Nitro document, accepted at its own timestamp and refused a day later.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { decode } from 'cbor2';
import { AWS_DOCUMENT_PATH, vectorsSkip } from '../helpers/attestation.js';

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'trent-attest-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function trent(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const environment = { ...process.env, ...env };
  if (env.TRENT_ATTESTATION_ROOTS === undefined) delete environment.TRENT_ATTESTATION_ROOTS;
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, 'attestation', ...args], { timeout: 60_000, env: environment }, (error, stdout, stderr) => {
      resolve({ code: typeof error?.code === 'number' ? error.code : error ? -1 : 0, stdout, stderr });
    });
  });
}

describe('trent attestation', () => {
  const kit = join(work, 'kit');
  const enclave = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pemKey = join(work, 'enclave.pub.pem');
  const derKey = join(work, 'enclave.pub.der');
  before(() => {
    writeFileSync(pemKey, enclave.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(derKey, enclave.publicKey.export({ type: 'spki', format: 'der' }));
  });

  it('init-root makes a test root and intermediate: keys 0600, a chain openssl verifies, named as a test root', async () => {
    const result = await trent(['init-root', '--out', kit]);
    assert.equal(result.code, 0, result.stderr);
    for (const file of ['root.key', 'intermediate.key']) assert.equal(statSync(join(kit, file)).mode & 0o777, 0o600, file);
    const verified = execFileSync('openssl', ['verify', '-CAfile', join(kit, 'root.pem'), join(kit, 'intermediate.pem')]).toString('utf8');
    assert.match(verified, /: OK/);
    const subject = execFileSync('openssl', ['x509', '-in', join(kit, 'root.pem'), '-noout', '-subject']).toString('utf8');
    assert.match(subject, /TEST ONLY/);
    assert.doesNotMatch(subject, /CN ?= ?aws\.nitro-enclaves\s*$/);
  });

  it('create signs a document for a PEM key; verify accepts it under the test root and prints its fields', async () => {
    const out = join(work, 'doc.cbor');
    const pcr4 = '44'.repeat(48);
    const image = 'ab'.repeat(48);
    const created = await trent(['create', '--root', kit, '--public-key', pemKey, '--pcr', `4=${pcr4}`, '--image-sha384', image, '--user-data', 'dXNlcg==', '--nonce', 'AAEC', '--out', out]);
    assert.equal(created.code, 0, created.stderr);
    // The leaf certificate in the document chains to the root and intermediate, by openssl.
    const [, , payload] = decode(readFileSync(out)) as [unknown, unknown, Uint8Array];
    const leaf = (decode(payload, { preferMap: true }) as Map<string, Uint8Array>).get('certificate')!;
    writeFileSync(join(work, 'leaf.der'), leaf);
    const leafPem = execFileSync('openssl', ['x509', '-inform', 'DER', '-in', join(work, 'leaf.der')]);
    writeFileSync(join(work, 'leaf.pem'), leafPem);
    assert.match(execFileSync('openssl', ['verify', '-CAfile', join(kit, 'root.pem'), '-untrusted', join(kit, 'intermediate.pem'), join(work, 'leaf.pem')]).toString('utf8'), /: OK/);

    const verified = await trent(['verify', out, '--trusted-root', join(kit, 'root.pem')]);
    assert.equal(verified.code, 0, verified.stderr);
    const fields = JSON.parse(verified.stdout) as Record<string, unknown>;
    assert.equal(fields.valid, true);
    assert.equal(fields.digest, 'SHA384');
    assert.equal((fields.pcrs as Record<string, string>)['0'], image);
    assert.equal((fields.pcrs as Record<string, string>)['4'], pcr4);
    assert.equal(fields.user_data, 'dXNlcg==');
    assert.equal(fields.nonce, 'AAEC');
    const spki = enclave.publicKey.export({ type: 'spki', format: 'der' });
    const fingerprint = execFileSync('openssl', ['dgst', '-sha256', '-r'], { input: spki }).toString('utf8').split(' ')[0];
    assert.deepEqual(fields.public_key, { sha256: fingerprint, bytes: spki.length, type: 'rsa-2048' });

    const underAws = await trent(['verify', out]);
    assert.notEqual(underAws.code, 0);
    assert.match(underAws.stderr, /its certificate chain does not lead to a trusted root/);
    // Without --trusted-root, the server's setting decides, as it would for the server.
    const underServerRoots = await trent(['verify', out], { TRENT_ATTESTATION_ROOTS: join(kit, 'root.pem') });
    assert.equal(underServerRoots.code, 0, underServerRoots.stderr);
  });

  it('create takes a DER key and prints base64 without --out; verify reads base64 files', async () => {
    const created = await trent(['create', '--root', kit, '--public-key', derKey]);
    assert.equal(created.code, 0, created.stderr);
    const file = join(work, 'doc.b64');
    writeFileSync(file, created.stdout);
    const verified = await trent(['verify', file, '--trusted-root', join(kit, 'root.pem')]);
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal((JSON.parse(verified.stdout) as { kind: string }).kind, 'nitro-enclave');
  });

  it('usage errors: a bad PCR, a missing key file, a bad --at', async () => {
    const badPcr = await trent(['create', '--root', kit, '--public-key', pemKey, '--pcr', '4=abcd']);
    assert.equal(badPcr.code, 1);
    assert.match(badPcr.stderr, /PCR4 must be 48 bytes of hex/);
    const missing = await trent(['create', '--root', kit, '--public-key', join(work, 'nope.pem')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read .*nope\.pem: ENOENT/);
    const badAt = await trent(['verify', join(work, 'doc.cbor'), '--at', 'yesterday']);
    assert.equal(badAt.code, 1);
    assert.match(badAt.stderr, /not an ISO-8601 time/);
  });

  it('verify --at: the real AWS document is valid at its timestamp and refused a day later', { skip: vectorsSkip }, async () => {
    const atTime = await trent(['verify', AWS_DOCUMENT_PATH(), '--at', '2024-09-07T14:37:39.545Z']);
    assert.equal(atTime.code, 0, atTime.stderr);
    const fields = JSON.parse(atTime.stdout) as Record<string, unknown>;
    assert.equal(fields.module_id, 'i-0a22e5c5f24d22174-enc0191cceb4289903f');
    assert.equal(fields.timestamp, 1725719859545);
    assert.equal(Object.keys(fields.pcrs as object).length, 16);
    assert.deepEqual((fields.public_key as Record<string, unknown>).type, 'not a SubjectPublicKeyInfo');
    const dayLater = await trent(['verify', AWS_DOCUMENT_PATH(), '--at', '2024-09-08T14:37:39.545Z']);
    assert.equal(dayLater.code, 1);
    assert.match(dayLater.stderr, /cabundle\[3\] has expired/);
    assert.equal(dayLater.stdout, '');
  });
});
