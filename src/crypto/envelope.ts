/**
 * Trent's ciphertext blob. Every blob that Encrypt, GenerateDataKey* and GenerateDataKeyPair*
 * return is one of these; Decrypt needs nothing else to find the key. Three formats share the
 * first 21 bytes (format, key id, key material version), so the key is found the same way.
 *
 * Format 2, written by seal() since key material can rotate (issue 21):
 *
 *   offset  size  field
 *   0       1     format, 0x02
 *   1       16    key id (the KMS key's UUID, binary)
 *   17      4     key material version, u32 big-endian
 *   21      16    salt (random)
 *   37      12    nonce (random)
 *   49      16    AES-256-GCM tag
 *   65      n     ciphertext
 *
 * A fresh data-encryption key is derived for every ciphertext, as AWS KMS does:
 *   DEK = HKDF-SHA-256(IKM = key material, salt = salt, info = "trent envelope v2" || bytes 0..21, L = 32)
 * (RFC 5869). The cipher is AES-256-GCM under the DEK; its additional authenticated data is
 * bytes 0..37 of the blob (header and salt) followed by the canonical encryption context
 * (encryption-context.ts). Since no two ciphertexts share a DEK (2^-128 per pair of salts),
 * NIST SP 800-38D's limit of 2^32 random-nonce encryptions per key no longer bounds how many
 * ciphertexts one key material version may make.
 *
 * Format 3, written by seal() for multi-Region keys (ids `mrk-` + 32 hex digits): the format-2
 * layout and derivation byte for byte, with format byte 0x03, and bytes 1..17 the 16 bytes those
 * 32 hex digits spell. Sixteen binary bytes cannot say whether they were a UUID or an `mrk-` id,
 * so the format byte does; since the format byte is in the HKDF info and the AAD, a blob
 * relabelled from one format to the other does not open. A multi-Region key has one id and
 * the same material in every Region, so a blob made in one Region names the key the request's
 * Region holds under that id (operations/decrypt.ts looks it up there).
 *
 * Format 1, the original (still opened, never written):
 *
 *   0  1  format, 0x01 | 1  16  key id | 17  4  version | 21  12  nonce | 33  16  tag | 49  n  ciphertext
 *
 * AES-256-GCM directly under the key material, AAD = bytes 0..21 || canonical context; random
 * 96-bit nonces keep a material version safe for 2^32 encryptions.
 *
 * Any failure to parse or authenticate is reported as one InvalidCiphertextError with no detail;
 * the protocol layer turns it into InvalidCiphertextException with an empty message.
 */
import { createCipheriv, createDecipheriv, hkdfSync, type KeyObject } from 'node:crypto';
import { encodeEncryptionContext, type EncryptionContext } from './encryption-context.js';
import { RandomPool } from './random-pool.js';

export const FORMAT_V1 = 0x01;
export const FORMAT_V2 = 0x02;
/** Format 2's layout for multi-Region key ids (`mrk-<32 hex>`). */
export const FORMAT_V3 = 0x03;
/** Format, key id and material version: the part both formats share. */
const HEADER_LENGTH = 21;
const SALT_LENGTH = 16;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const DEK_LENGTH = 32;
const HKDF_INFO_LABEL = Buffer.from('trent envelope v2', 'ascii');

/** The byte layout of one format: where its nonce, tag and ciphertext begin. */
interface Layout {
  /** Bytes 0..authenticatedHeader are the AAD's prefix. */
  authenticatedHeader: number;
  nonceAt: number;
  tagAt: number;
  /** Where the ciphertext begins: the format's overhead. */
  bodyAt: number;
}

const V1: Layout = { authenticatedHeader: HEADER_LENGTH, nonceAt: HEADER_LENGTH, tagAt: HEADER_LENGTH + NONCE_LENGTH, bodyAt: HEADER_LENGTH + NONCE_LENGTH + TAG_LENGTH };
const V2: Layout = {
  authenticatedHeader: HEADER_LENGTH + SALT_LENGTH,
  nonceAt: HEADER_LENGTH + SALT_LENGTH,
  tagAt: HEADER_LENGTH + SALT_LENGTH + NONCE_LENGTH,
  bodyAt: HEADER_LENGTH + SALT_LENGTH + NONCE_LENGTH + TAG_LENGTH,
};

/** The overhead of the blobs seal() writes (format 2): 65 bytes. */
export const ENVELOPE_OVERHEAD = V2.bodyAt;
/** The overhead of a format-1 blob: 49 bytes. */
export const ENVELOPE_V1_OVERHEAD = V1.bodyAt;

const randomness = new RandomPool();

/** Raised for every malformed or unauthentic blob; deliberately carries no detail. */
export class InvalidCiphertextError extends Error {
  constructor() {
    super('invalid ciphertext');
  }
}

export interface EnvelopeHeader {
  keyId: string;
  materialVersion: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MULTI_REGION_KEY_ID = /^mrk-[0-9a-f]{32}$/;

/** The format byte and 16 id bytes of a key id: a lowercase UUID, or a lowercase `mrk-` id. */
function encodeKeyId(keyId: string): { format: number; bytes: Buffer } {
  if (UUID.test(keyId)) return { format: FORMAT_V2, bytes: Buffer.from(keyId.replaceAll('-', ''), 'hex') };
  if (MULTI_REGION_KEY_ID.test(keyId)) return { format: FORMAT_V3, bytes: Buffer.from(keyId.slice(4), 'hex') };
  throw new Error('the envelope key id must be a lowercase UUID or mrk- id');
}

function decodeKeyId(format: number, bytes: Buffer): string {
  const hex = bytes.toString('hex');
  if (format === FORMAT_V3) return `mrk-${hex}`;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The per-ciphertext key of a format-2 blob: HKDF-SHA-256 over the material, salted. */
function dataEncryptionKey(material: KeyObject, blob: Buffer): Buffer {
  const info = Buffer.concat([HKDF_INFO_LABEL, blob.subarray(0, HEADER_LENGTH)]);
  return Buffer.from(hkdfSync('sha256', material, blob.subarray(HEADER_LENGTH, HEADER_LENGTH + SALT_LENGTH), info, DEK_LENGTH));
}

function aad(blob: Buffer, layout: Layout, context: EncryptionContext | undefined): Buffer {
  return Buffer.concat([blob.subarray(0, layout.authenticatedHeader), encodeEncryptionContext(context)]);
}

/** Seals `plaintext` in a format-2 blob (format 3 for a multi-Region key) under a fresh key derived from `material`. */
export function seal(
  material: KeyObject,
  header: EnvelopeHeader,
  plaintext: Buffer,
  context: EncryptionContext | undefined,
): Buffer {
  const keyId = encodeKeyId(header.keyId);
  const blob = Buffer.allocUnsafe(V2.bodyAt + plaintext.length);
  blob[0] = keyId.format;
  keyId.bytes.copy(blob, 1);
  blob.writeUInt32BE(header.materialVersion, 17);
  // Salt and nonce in one draw: bytes 21..49.
  randomness.take(SALT_LENGTH + NONCE_LENGTH).copy(blob, HEADER_LENGTH);
  const dek = dataEncryptionKey(material, blob);
  try {
    const cipher = createCipheriv('aes-256-gcm', dek, blob.subarray(V2.nonceAt, V2.tagAt));
    cipher.setAAD(aad(blob, V2, context));
    const body = cipher.update(plaintext);
    const final = cipher.final();
    body.copy(blob, V2.bodyAt);
    final.copy(blob, V2.bodyAt + body.length);
    cipher.getAuthTag().copy(blob, V2.tagAt);
  } finally {
    dek.fill(0);
  }
  return blob;
}

function layoutOf(blob: Buffer): Layout {
  const layout = blob[0] === FORMAT_V2 || blob[0] === FORMAT_V3 ? V2 : blob[0] === FORMAT_V1 ? V1 : undefined;
  if (layout === undefined || blob.length < layout.bodyAt) throw new InvalidCiphertextError();
  return layout;
}

/** Reads the header without authenticating anything: the caller then fetches the key and opens. */
export function readHeader(blob: Buffer): EnvelopeHeader {
  layoutOf(blob);
  return { keyId: decodeKeyId(blob[0] as number, blob.subarray(1, 17)), materialVersion: blob.readUInt32BE(17) };
}

/** Opens a blob of any format. */
export function open(material: KeyObject, blob: Buffer, context: EncryptionContext | undefined): Buffer {
  const layout = layoutOf(blob);
  let dek: Buffer | undefined;
  try {
    if (layout === V2) dek = dataEncryptionKey(material, blob);
    const decipher = createDecipheriv('aes-256-gcm', dek ?? material, blob.subarray(layout.nonceAt, layout.tagAt));
    decipher.setAuthTag(blob.subarray(layout.tagAt, layout.bodyAt));
    decipher.setAAD(aad(blob, layout, context));
    return Buffer.concat([decipher.update(blob.subarray(layout.bodyAt)), decipher.final()]);
  } catch {
    throw new InvalidCiphertextError();
  } finally {
    dek?.fill(0);
  }
}
