/**
 * EMSA-PSS encoding and verification (RFC 8017 §9.1.1 and §9.1.2) with MGF1 (§B.2.1), for
 * RSASSA-PSS over a digest the caller already computed (Sign and Verify with MessageType
 * DIGEST). node:crypto signs PSS only over a message it hashes itself, and its one raw RSA
 * operation (privateEncrypt / publicDecrypt with RSA_NO_PADDING) is what this encoding feeds, so
 * the encoding is written here; OpenSSL still does the RSA arithmetic. The salt is as long as
 * the digest and MGF1 uses the message digest's hash, as AWS KMS's RSASSA_PSS_* algorithms do.
 * Checked against `openssl pkeyutl` in both directions (test/unit/signing.test.ts).
 */
import { createHash, randomBytes } from 'node:crypto';

function mgf1(hash: string, seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  let produced = 0;
  for (let counter = 0; produced < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(seed).update(c).digest();
    blocks.push(block);
    produced += block.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** H = Hash(0x00 * 8 || mHash || salt), the value EM carries. */
function saltedHash(hash: string, mHash: Buffer, salt: Buffer): Buffer {
  return createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
}

/**
 * The encoded message EM for a modulus of `modulusBits` bits, left-padded with zero bytes to
 * the modulus length, ready for the raw RSA private-key operation.
 */
export function emsaPssEncode(hash: string, mHash: Buffer, modulusBits: number): Buffer {
  const hLen = mHash.length;
  const sLen = hLen;
  const emBits = modulusBits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (emLen < hLen + sLen + 2) throw new Error('modulus too short for EMSA-PSS');
  const salt = randomBytes(sLen);
  const h = saltedHash(hash, mHash, salt);
  const db = Buffer.alloc(emLen - hLen - 1);
  db[emLen - sLen - hLen - 2] = 0x01;
  salt.copy(db, emLen - sLen - hLen - 1);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] ?? 0) ^ (mask[i] ?? 0);
  db[0] = (db[0] ?? 0) & (0xff >> (8 * emLen - emBits));
  const em = Buffer.concat([db, h, Buffer.from([0xbc])]);
  const k = Math.ceil(modulusBits / 8);
  return k === emLen ? em : Buffer.concat([Buffer.alloc(k - emLen), em]);
}

/** Whether `m` (the raw RSA public-key operation on a signature) is EMSA-PSS of `mHash`. */
export function emsaPssVerify(hash: string, mHash: Buffer, m: Buffer, modulusBits: number): boolean {
  const hLen = mHash.length;
  const sLen = hLen;
  const emBits = modulusBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const k = Math.ceil(modulusBits / 8);
  if (m.length !== k || emLen < hLen + sLen + 2) return false;
  for (let i = 0; i < k - emLen; i++) if (m[i] !== 0) return false;
  const em = m.subarray(k - emLen);
  if (em[emLen - 1] !== 0xbc) return false;
  const masked = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topBits = 0xff >> (8 * emLen - emBits);
  if (((masked[0] ?? 0) & ~topBits) !== 0) return false;
  const mask = mgf1(hash, h, masked.length);
  const db = Buffer.alloc(masked.length);
  for (let i = 0; i < db.length; i++) db[i] = (masked[i] ?? 0) ^ (mask[i] ?? 0);
  db[0] = (db[0] ?? 0) & topBits;
  const separator = emLen - hLen - sLen - 2;
  for (let i = 0; i < separator; i++) if (db[i] !== 0) return false;
  if (db[separator] !== 0x01) return false;
  const salt = db.subarray(db.length - sLen);
  return saltedHash(hash, mHash, salt).equals(h);
}
