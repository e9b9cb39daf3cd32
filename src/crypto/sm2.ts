/**
 * SM2 as AWS KMS uses it (Key spec reference, "SM2 key spec (China Regions only)"), on the
 * curve arithmetic, SM2 signature steps and SM3 KDF of sm-crypto-v2 (itself on @noble/curves);
 * Node 20's OpenSSL signs SM2 only with an empty distinguishing id and does not encrypt with SM2.
 *
 * SM2DSA (GB/T 32918.2 / GM/T 0003.2): e = SM3(Z_A || M), where
 * Z_A = SM3(ENTL || ID || a || b || x_G || y_G || x_A || y_A) with AWS's fixed distinguishing id
 * `1234567812345678` (GM/T 0009's default). Over a DIGEST the caller's 32 bytes are e itself,
 * computed outside with whatever id the caller chose, as AWS documents ("Offline verification
 * with SM2 key pairs"). Signature: DER SEQUENCE { INTEGER r, INTEGER s }.
 *
 * SM2PKE (GB/T 32918.4 / GM/T 0003.4): C1 = [k]G, (x2, y2) = [k]P_B, t = KDF(x2 || y2, |M|),
 * C2 = M xor t, C3 = SM3(x2 || M || y2). AWS's ciphertext is GM/T 0009's DER structure
 * SEQUENCE { INTEGER x1, INTEGER y1, OCTET STRING C3, OCTET STRING C2 }, the form
 * `openssl pkeyutl -encrypt` writes and AWS's SM2OfflineOperationHelper builds.
 *
 * Verification and decryption read their input as strict DER and answer false / undefined for
 * anything else; C1 must be a point of the curve (the KDF input is never computed from a point
 * off it), and C3 is compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { kdf, sm2 } from 'sm-crypto-v2';
import { OCTET_STRING, readSequence, readUnsignedInteger, SEQUENCE, tlv, unsignedInteger } from './der.js';

/** The distinguishing id AWS KMS signs with; callers cannot choose another for RAW messages. */
export const SM2_DEFAULT_DISTINGUISHING_ID = '1234567812345678';

/** The field prime p and group order n of the SM2 curve (GB/T 32918.5). */
const P = BigInt('0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffff');
const N = BigInt('0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123');

const hex32 = (value: bigint): string => value.toString(16).padStart(64, '0');
const sm3 = (...parts: Uint8Array[]): Buffer => parts.reduce((hash, part) => hash.update(part), createHash('sm3')).digest();

/** e = SM3(Z_A || M) for the public key `point` (04 || X || Y) and the default distinguishing id. */
export function sm2SignedDigest(point: Buffer, message: Buffer): Buffer {
  return sm3(sm2.getZ(point.toString('hex'), SM2_DEFAULT_DISTINGUISHING_ID), message);
}

/**
 * An SM2DSA signature (DER) over `data`: the message (e is computed here) or e itself, by the key
 * d = `scalar` whose public point (04 || X || Y, for Z_A) is `point`.
 */
export function sm2Sign(scalar: Buffer, point: Buffer, form: 'message' | 'digest', data: Buffer): Buffer {
  const privateKey = scalar.toString('hex');
  const e = form === 'digest' ? data : sm2SignedDigest(point, data);
  const rs = sm2.doSignature(e, privateKey, { hash: false });
  return tlv(SEQUENCE, unsignedInteger(BigInt(`0x${rs.slice(0, 64)}`)), unsignedInteger(BigInt(`0x${rs.slice(64)}`)));
}

/** Whether `signature` is a DER SM2DSA signature of `data` by the key whose point is `point`. */
export function sm2Verify(point: Buffer, form: 'message' | 'digest', data: Buffer, signature: Buffer): boolean {
  const parts = readSequence(signature);
  if (parts?.length !== 2) return false;
  const [r, s] = [readUnsignedInteger(parts[0]), readUnsignedInteger(parts[1])];
  // GB/T 32918.2 §7.1 B1, B2: r and s in [1, n - 1].
  if (r === undefined || s === undefined || r < 1n || r >= N || s < 1n || s >= N) return false;
  const e = form === 'digest' ? data : sm2SignedDigest(point, data);
  return sm2.doVerifySignature(e, hex32(r) + hex32(s), point.toString('hex'), { hash: false });
}

/** (x2, y2) = [d]Q as 64 bytes, or undefined when Q (04 || X || Y) is not a point of the curve. */
function sharedPoint(scalar: Buffer | string, point: string): Buffer | undefined {
  try {
    return Buffer.from(sm2.ecdh(scalar, point, false)).subarray(1);
  } catch {
    return undefined;
  }
}

function xor(data: Uint8Array, mask: Uint8Array): Buffer {
  return Buffer.from(data.map((byte, i) => byte ^ (mask[i] ?? 0)));
}

/** The SM2PKE ciphertext of `plaintext` (1 byte or more) to `point`, in GM/T 0009's DER form. */
export function sm2Encrypt(point: Buffer, plaintext: Buffer): Buffer {
  for (;;) {
    const ephemeral = sm2.generateKeyPairHex();
    const shared = sharedPoint(ephemeral.privateKey, point.toString('hex'));
    if (!shared) throw new Error('the SM2 public key is not a point of the curve');
    const mask = kdf(shared, plaintext.length);
    // GB/T 32918.4 §6.1 A5: a KDF output of zeros only (which would leave M in clear) takes another k.
    if (mask.every((byte) => byte === 0)) continue;
    const c1 = Buffer.from(ephemeral.publicKey, 'hex');
    const c3 = sm3(shared.subarray(0, 32), plaintext, shared.subarray(32));
    const c2 = xor(plaintext, mask);
    shared.fill(0);
    const coordinate = (from: number) => unsignedInteger(BigInt(`0x${c1.subarray(from, from + 32).toString('hex')}`));
    return tlv(SEQUENCE, coordinate(1), coordinate(33), tlv(OCTET_STRING, c3), tlv(OCTET_STRING, c2));
  }
}

/** The plaintext of a GM/T 0009 SM2PKE ciphertext, or undefined when it does not decrypt (causes not told apart). */
export function sm2Decrypt(scalar: Buffer, ciphertext: Buffer): Buffer | undefined {
  const parts = readSequence(ciphertext);
  if (parts?.length !== 4) return undefined;
  const [x, y] = [readUnsignedInteger(parts[0]), readUnsignedInteger(parts[1])];
  const [c3, c2] = [parts[2], parts[3]];
  if (x === undefined || y === undefined || x >= P || y >= P) return undefined;
  if (c3?.tag !== OCTET_STRING || c3.content.length !== 32 || c2?.tag !== OCTET_STRING || c2.content.length === 0) return undefined;
  // GB/T 32918.4 §7.1 B1: C1 must satisfy the curve equation (checked by the point decoding).
  const shared = sharedPoint(scalar, `04${hex32(x)}${hex32(y)}`);
  if (!shared) return undefined;
  // GB/T 32918.4 §7.1 B4 calls a KDF output of zeros only an error; OpenSSL 3.0, the tool AWS
  // names for offline SM2PKE, neither avoids nor refuses it (1 in 256 of its one-byte
  // ciphertexts), so it is accepted here: C3 still authenticates the plaintext, which such a
  // ciphertext carries in clear anyway. Trent's own ciphertexts never have one (A5 above).
  const mask = kdf(shared, c2.content.length);
  const plaintext = xor(c2.content, mask);
  const u = sm3(shared.subarray(0, 32), plaintext, shared.subarray(32));
  shared.fill(0);
  if (!timingSafeEqual(u, c3.content)) {
    plaintext.fill(0);
    return undefined;
  }
  return plaintext;
}
