/**
 * What the attestation tests share: a test kit (root, intermediate) made once per process with
 * `trent attestation`'s own functions, an enclave RSA key pair kept in a temporary directory for
 * openssl, the independent Python signer (test/checkers/nitro_document.py), the openssl oracles
 * (`cms -decrypt`, `asn1parse`), and the real AWS vectors of ../shared/vectors/attestation/,
 * read from there and never copied (tests skip, saying why, when the folder is absent).
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDocument, initRoot, type DocumentRequest } from '../../src/cli/attestation-kit.js';
import { parsePemCertificates, type Certificate } from '../../src/crypto/certificate-chain.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SIGNER = join(REPO, 'test/checkers/nitro_document.py');

/** ../shared/vectors/attestation/ beside the repository (or TRENT_ATTESTATION_VECTORS), if present. */
const VECTORS = [process.env.TRENT_ATTESTATION_VECTORS, join(REPO, '../shared/vectors/attestation')].find((dir) => dir !== undefined && dir !== '' && existsSync(dir));

export const vectorsSkip: string | false = VECTORS === undefined ? 'the real AWS vectors (../shared/vectors/attestation/) are absent' : false;

/** The real AWS-signed Nitro Enclaves document (decoded from its base64 file). */
export function awsDocument(): Buffer {
  return Buffer.from(readFileSync(join(VECTORS!, 'aws-nitro-enclave-2024-09-07.b64'), 'utf8'), 'base64');
}
export const AWS_DOCUMENT_PATH = (): string => join(VECTORS!, 'aws-nitro-enclave-2024-09-07.b64');
/** Its timestamp, 2024-09-07T14:37:39.545Z (the vector's README and its payload). */
export const AWS_DOCUMENT_TIME = 1725719859545;

/** The real CiphertextForRecipient AWS KMS returned (BER). */
export function awsCiphertextForRecipient(): Buffer {
  return readFileSync(join(VECTORS!, 'aws-kms-ciphertext-for-recipient.ber'));
}

export interface Enclave {
  privateKey: KeyObject;
  /** DER SubjectPublicKeyInfo. */
  spki: Buffer;
  /** PEM PKCS#8 private key file, for openssl. */
  keyFile: string;
}

export interface Kit {
  dir: string;
  rootPemFile: string;
  roots: Certificate[];
  enclave: Enclave;
  /** A document for `enclave`'s key (or `publicKey`), signed under the kit. */
  document(request?: Omit<DocumentRequest, 'rootDir' | 'publicKey'> & { publicKey?: Buffer | null }): Promise<Buffer>;
  /** openssl cms -decrypt with the enclave's key. */
  decrypt(cms: Buffer): Buffer;
  cleanup(): void;
}

export function newEnclave(dir: string, bits = 2048): Enclave {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const keyFile = join(dir, `enclave-${bits}.key`);
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return { privateKey, spki: publicKey.export({ type: 'spki', format: 'der' }), keyFile };
}

/** Runs `openssl cms -decrypt -inform DER -inkey keyFile` on `cms` and returns the plaintext. */
export function opensslCmsDecrypt(cms: Buffer, keyFile: string): Buffer {
  return execFileSync('openssl', ['cms', '-decrypt', '-inform', 'DER', '-inkey', keyFile], { input: cms });
}

/** `openssl asn1parse -inform DER` of `der`, one line per element. */
export function opensslAsn1(der: Buffer): string[] {
  return execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: der }).toString('utf8').trim().split('\n');
}

export async function newKit(now?: number): Promise<Kit> {
  const dir = mkdtempSync(join(tmpdir(), 'trent-attest-'));
  const files = await initRoot(join(dir, 'kit'), now);
  const enclave = newEnclave(dir);
  return {
    dir: join(dir, 'kit'),
    rootPemFile: files.rootPem,
    roots: parsePemCertificates(readFileSync(files.rootPem, 'utf8')),
    enclave,
    document: (request = {}) => {
      const { publicKey, ...rest } = request;
      return createDocument({ rootDir: join(dir, 'kit'), publicKey: publicKey === undefined ? enclave.spki : publicKey, ...rest });
    },
    decrypt: (cms) => opensslCmsDecrypt(cms, enclave.keyFile),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A document from the independent Python signer, with its own root. */
export function pythonDocument(request: { publicKey: Buffer | null; timestamp: number; pcrs: Record<string, string>; kind?: 'enclave' | 'tpm' }): {
  document: Buffer;
  roots: Certificate[];
  rootPem: string;
} {
  const out = execFileSync('python3', [SIGNER], {
    input: JSON.stringify({ public_key: request.publicKey?.toString('base64') ?? null, timestamp: request.timestamp, pcrs: request.pcrs, kind: request.kind ?? 'enclave' }),
  });
  const parsed = JSON.parse(out.toString('utf8')) as { document: string; root_pem: string };
  return { document: Buffer.from(parsed.document, 'base64'), roots: parsePemCertificates(parsed.root_pem), rootPem: parsed.root_pem };
}
