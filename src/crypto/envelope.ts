/**
 * Trent's ciphertext blob, format 1. Every blob that Encrypt, GenerateDataKey* and
 * GenerateDataKeyPair* return is one of these; Decrypt needs nothing else to find the key.
 *
 *   offset  size  field
 *   0       1     format, 0x01
 *   1       16    key id (the KMS key's UUID, binary)
 *   17      4     key material version, u32 big-endian
 *   21      12    nonce (random)
 *   33      16    AES-256-GCM tag
 *   49      n     ciphertext
 *
 * The cipher is AES-256-GCM under the key material named by (key id, version). Its additional
 * authenticated data is bytes 0..21 of the blob followed by the canonical encryption context
 * (encryption-context.ts), so neither the header nor the context can be changed without the
 * tag failing. Random 96-bit nonces keep a key safe for 2^32 encryptions per key material
 * version (NIST SP 800-38D, 8.3).
 *
 * Any failure to parse or authenticate is reported as one InvalidCiphertextError with no detail;
 * the protocol layer turns it into InvalidCiphertextException with an empty message.
 */
import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { encodeEncryptionContext, type EncryptionContext } from './encryption-context.js';
import { RandomPool } from './random-pool.js';

export const FORMAT_V1 = 0x01;
const HEADER_LENGTH = 21;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
export const ENVELOPE_OVERHEAD = HEADER_LENGTH + NONCE_LENGTH + TAG_LENGTH;

const nonces = new RandomPool();

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

function uuidToBytes(uuid: string): Buffer {
  if (!UUID.test(uuid)) throw new Error('the envelope key id must be a lowercase UUID');
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

function bytesToUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function seal(
  material: KeyObject,
  header: EnvelopeHeader,
  plaintext: Buffer,
  context: EncryptionContext | undefined,
): Buffer {
  const keyIdBytes = uuidToBytes(header.keyId);
  const blob = Buffer.allocUnsafe(ENVELOPE_OVERHEAD + plaintext.length);
  blob[0] = FORMAT_V1;
  keyIdBytes.copy(blob, 1);
  blob.writeUInt32BE(header.materialVersion, 17);
  const nonce = nonces.take(NONCE_LENGTH);
  nonce.copy(blob, HEADER_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', material, nonce);
  cipher.setAAD(Buffer.concat([blob.subarray(0, HEADER_LENGTH), encodeEncryptionContext(context)]));
  const body = cipher.update(plaintext);
  const final = cipher.final();
  body.copy(blob, ENVELOPE_OVERHEAD);
  final.copy(blob, ENVELOPE_OVERHEAD + body.length);
  cipher.getAuthTag().copy(blob, HEADER_LENGTH + NONCE_LENGTH);
  return blob;
}

/** Reads the header without authenticating anything: the caller then fetches the key and opens. */
export function readHeader(blob: Buffer): EnvelopeHeader {
  if (blob.length < ENVELOPE_OVERHEAD || blob[0] !== FORMAT_V1) throw new InvalidCiphertextError();
  return { keyId: bytesToUuid(blob.subarray(1, 17)), materialVersion: blob.readUInt32BE(17) };
}

export function open(material: KeyObject, blob: Buffer, context: EncryptionContext | undefined): Buffer {
  readHeader(blob);
  try {
    const decipher = createDecipheriv('aes-256-gcm', material, blob.subarray(HEADER_LENGTH, HEADER_LENGTH + NONCE_LENGTH));
    decipher.setAuthTag(blob.subarray(HEADER_LENGTH + NONCE_LENGTH, ENVELOPE_OVERHEAD));
    decipher.setAAD(Buffer.concat([blob.subarray(0, HEADER_LENGTH), encodeEncryptionContext(context)]));
    return Buffer.concat([decipher.update(blob.subarray(ENVELOPE_OVERHEAD)), decipher.final()]);
  } catch {
    throw new InvalidCiphertextError();
  }
}
