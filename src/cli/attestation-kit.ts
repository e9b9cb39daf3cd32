/**
 * The attestation test kit behind `trent attestation init-root|create|verify`: a TEST root CA
 * and intermediate (never AWS's), attestation documents in the Nitro format signed under them
 * for any public key, and the server's own verification of a document at a chosen time, so
 * attested flows can be developed on a laptop and real documents checked after the fact.
 *
 * Files of a kit directory (init-root): root.pem, root.key (0600), intermediate.pem,
 * intermediate.key (0600). A document's cabundle is [root, intermediate] and its leaf, made
 * fresh for each document, is valid for three hours from the document's time, as AWS's are.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'cbor2';
import { certificatePem, issueCertificate, newP384KeyPair, publicKeyType, readPrivateKey } from '../crypto/certificate-authority.js';
import { parsePemCertificates, type Certificate } from '../crypto/certificate-chain.js';
import { plainBytes, signEs384 } from '../crypto/cose.js';
import { sha256Hex } from '../crypto/sha256.js';
import { verifyAttestationDocument, type AttestationKind, type VerifiedAttestation } from '../domain/attestation.js';

export const ROOT_NAME = 'TEST ONLY attestation root (Trent test kit, not aws.nitro-enclaves)';
export const INTERMEDIATE_NAME = 'TEST ONLY attestation intermediate (Trent test kit)';
const HOUR = 3_600_000;
const YEAR = 365 * 24 * HOUR;

export interface KitFiles {
  rootPem: string;
  rootKey: string;
  intermediatePem: string;
  intermediateKey: string;
}

function files(dir: string): KitFiles {
  return {
    rootPem: join(dir, 'root.pem'),
    rootKey: join(dir, 'root.key'),
    intermediatePem: join(dir, 'intermediate.pem'),
    intermediateKey: join(dir, 'intermediate.key'),
  };
}

function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600); // the mode of an existing file is kept by writeFileSync
}

/** `init-root`: a test root CA (valid 30 years) and an intermediate (10 years) in `dir`. */
export async function initRoot(dir: string, now = Date.now()): Promise<KitFiles> {
  mkdirSync(dir, { recursive: true });
  const root = newP384KeyPair();
  const intermediate = newP384KeyPair();
  const rootName = ROOT_NAME;
  const intermediateName = INTERMEDIATE_NAME;
  const notBefore = new Date(now - HOUR);
  const rootDer = await issueCertificate({
    subject: rootName,
    issuer: rootName,
    publicKey: root.publicKey,
    signingKey: root.privateKey,
    notBefore,
    notAfter: new Date(now + 30 * YEAR),
    ca: true,
  });
  const intermediateDer = await issueCertificate({
    subject: intermediateName,
    issuer: rootName,
    publicKey: intermediate.publicKey,
    signingKey: root.privateKey,
    notBefore,
    notAfter: new Date(now + 10 * YEAR),
    ca: true,
  });
  const out = files(dir);
  writeSecret(out.rootKey, root.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  writeSecret(out.intermediateKey, intermediate.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  writeFileSync(out.rootPem, certificatePem(rootDer));
  writeFileSync(out.intermediatePem, certificatePem(intermediateDer));
  return out;
}

export interface DocumentRequest {
  /** The kit directory of init-root. */
  rootDir: string;
  /** DER SubjectPublicKeyInfo, or null for a document without one. */
  publicKey: Buffer | null;
  /** PCR index -> 48 bytes; unnamed PCRs of 0..15 are zero. */
  pcrs?: ReadonlyMap<number, Buffer>;
  userData?: Buffer;
  nonce?: Buffer;
  /** The document's time (ms); the leaf is valid from then for three hours. */
  now?: number;
  /** A NitroTPM document (nitrotpm_pcrs, module id `i-...-tpm...`) instead of an enclave's. */
  kind?: AttestationKind;
  /** Under COSE's CBOR tag 18 (AWS's documents are untagged). */
  tagged?: boolean;
}

/** `create`: an attestation document in the Nitro format, signed by a fresh leaf under the kit's intermediate. */
export async function createDocument(request: DocumentRequest): Promise<Buffer> {
  const now = request.now ?? Date.now();
  const kit = files(request.rootDir);
  const [root] = parsePemCertificates(readFileSync(kit.rootPem, 'utf8'));
  const [intermediate] = parsePemCertificates(readFileSync(kit.intermediatePem, 'utf8'));
  if (!root || !intermediate) throw new Error(`no certificate in ${request.rootDir}`);
  const intermediateKey = readPrivateKey(readFileSync(kit.intermediateKey));
  const leaf = newP384KeyPair();
  const leafDer = await issueCertificate({
    subject: `TEST ONLY attestation leaf (Trent test kit) ${new Date(now).toISOString()}`,
    issuer: INTERMEDIATE_NAME,
    publicKey: leaf.publicKey,
    signingKey: intermediateKey,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3 * HOUR),
    ca: false,
  });
  const pcrs = new Map<number, Uint8Array>();
  for (let i = 0; i < 16; i++) pcrs.set(i, new Uint8Array(48));
  for (const [index, value] of request.pcrs ?? []) pcrs.set(index, plainBytes(value));
  const tpm = request.kind === 'nitro-tpm';
  const suffix = now.toString(16).padStart(16, '0');
  const payload = new Map<string, unknown>([
    ['module_id', tpm ? `i-0000000000test00-tpm${suffix}` : `i-0000000000test00-enc${suffix}`],
    ['digest', 'SHA384'],
    ['timestamp', now],
    [tpm ? 'nitrotpm_pcrs' : 'pcrs', pcrs],
    ['certificate', plainBytes(leafDer)],
    ['cabundle', [plainBytes(root.raw), plainBytes(intermediate.raw)]],
    ['public_key', request.publicKey ? plainBytes(request.publicKey) : null],
    ['user_data', request.userData ? plainBytes(request.userData) : null],
    ['nonce', request.nonce ? plainBytes(request.nonce) : null],
  ]);
  return signEs384(leaf.privateKey, encode(payload), request.tagged ?? false);
}

/** A document file: raw CBOR, or base64 text of it (as captured documents are often kept). */
export function documentFile(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1').trim();
  if (text.length > 0 && /^[A-Za-z0-9+/=\s]+$/.test(text)) return Buffer.from(text.replace(/\s+/g, ''), 'base64');
  return bytes;
}

/** The fields `verify` prints. */
export function describe(attestation: VerifiedAttestation): Record<string, unknown> {
  const publicKey = attestation.publicKey;
  return {
    valid: true,
    kind: attestation.kind,
    module_id: attestation.moduleId,
    digest: attestation.digest,
    timestamp: attestation.timestamp,
    time: new Date(attestation.timestamp).toISOString(),
    [attestation.kind === 'nitro-tpm' ? 'nitrotpm_pcrs' : 'pcrs']: Object.fromEntries([...attestation.pcrs].map(([i, v]) => [String(i), v.toString('hex')])),
    certificate_subject: attestation.certificate.subject.replace(/\n/g, ', '),
    public_key: publicKey ? { sha256: sha256Hex(publicKey), bytes: publicKey.length, type: publicKeyType(publicKey) ?? 'not a SubjectPublicKeyInfo' } : null,
    user_data: attestation.userData?.toString('base64') ?? null,
    nonce: attestation.nonce?.toString('base64') ?? null,
  };
}

/** `verify`: the server's own check of `document` against `trusted` at time `at`. */
export function verifyDocument(document: Buffer, trusted: readonly Certificate[], at: number): Record<string, unknown> {
  return describe(verifyAttestationDocument(document, trusted, at));
}
