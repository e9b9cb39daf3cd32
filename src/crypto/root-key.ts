/**
 * The root key wraps every KMS key's material before it reaches storage, so a copy of the
 * database alone reveals no key. Sources, in order: an explicit 32-byte key (TRENT_ROOT_KEY or
 * the config file, base64; needed when several servers share one database), else a file
 * `root.key` created with mode 0600 in the data directory on the first start of a new database
 * (development). Where the file may live and who may own it is decided in server/data-dir.ts.
 *
 * Wrapped material: nonce(12) || tag(16) || AES-256-GCM(root, material), with the key id and
 * material version as additional data so a wrapped row cannot be moved to another key.
 *
 * Derived keys: `derive(label)` is HKDF-SHA256 (RFC 5869) of the root key with an empty salt and
 * the label as info, 32 bytes: one independent key per purpose (grant tokens, crypto/
 * grant-token.ts), the same on every server that shares the root key.
 *
 * Key check value: HMAC-SHA256(root key, CHECK_LABEL) in hex. The store keeps it from the
 * database's first start, so a server given another root key refuses to start instead of
 * answering every Decrypt with a 500. HMAC is a pseudorandom function: the value tells nothing
 * about the key except whether a candidate key is the same one. The public fingerprint shown in
 * logs and /health is its first 16 hex digits, never a plain hash of the key.
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { closeSync, constants, fsyncSync, linkSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const ROOT_KEY_FILE = 'root.key';

const CHECK_LABEL = 'trent root key check value v1';
const BASE64_OF_32_BYTES = /^[A-Za-z0-9+/]{43}=$/;

/** The public fingerprint of a root key, from its check value (as stored in a database). */
export function fingerprintOf(checkValue: string): string {
  return checkValue.slice(0, 16);
}

export class RootKey {
  private constructor(private readonly key: KeyObject) {}

  static fromBytes(bytes: Buffer): RootKey {
    if (bytes.length !== 32) throw new Error('the root key must be 32 bytes (base64 of 32 random bytes)');
    return new RootKey(createSecretKey(bytes));
  }

  /**
   * Reads a root key file's contents: base64 of 32 bytes, surrounding whitespace allowed. The
   * message of a malformed file names `source` and never quotes the contents.
   */
  static fromFileContents(contents: Buffer, source: string): RootKey {
    const text = contents.toString('latin1').trim();
    if (!BASE64_OF_32_BYTES.test(text)) throw new Error(`${source} must hold base64 of exactly 32 bytes`);
    const bytes = Buffer.from(text, 'base64');
    try {
      return RootKey.fromBytes(bytes);
    } finally {
      bytes.fill(0);
    }
  }

  /**
   * Writes a fresh random root key to `path` with mode 0600 unless a file is already there, and
   * returns whether it did (false: another process starting at the same time created it). The
   * key goes to a private temporary file in the same directory, synced, then hard-linked into
   * place: the link either appears complete or fails with EEXIST, so no reader sees a partial
   * file. The directory is synced too, so the name survives a power cut like the key it names.
   */
  static createFile(path: string): boolean {
    const dir = dirname(path);
    const temporary = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}`);
    const key = randomBytes(32);
    const contents = Buffer.from(key.toString('base64') + '\n');
    key.fill(0);
    const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, contents);
      fsyncSync(fd);
    } finally {
      contents.fill(0);
      closeSync(fd);
    }
    let created = true;
    try {
      linkSync(temporary, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      created = false;
    } finally {
      unlinkSync(temporary);
    }
    const dirFd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    return created;
  }

  /** The key check value: HMAC-SHA256 of a fixed label under this key, 64 hex digits. Public. */
  checkValue(): string {
    return createHmac('sha256', this.key).update(CHECK_LABEL).digest('hex');
  }

  /** A short public fingerprint, so operators can tell which root key a server uses. */
  fingerprint(): string {
    return fingerprintOf(this.checkValue());
  }

  /** A 32-byte key for one purpose, named by `label`: HKDF-SHA256(root key, salt empty, info label). */
  derive(label: string): KeyObject {
    const bytes = Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), label, 32));
    try {
      return createSecretKey(bytes);
    } finally {
      bytes.fill(0);
    }
  }

  wrap(material: Buffer, keyId: string, version: number): Buffer {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(`trent-key-material:${keyId}:${version}`));
    const body = Buffer.concat([cipher.update(material), cipher.final()]);
    return Buffer.concat([nonce, cipher.getAuthTag(), body]);
  }

  unwrap(wrapped: Buffer, keyId: string, version: number): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', this.key, wrapped.subarray(0, 12));
    decipher.setAuthTag(wrapped.subarray(12, 28));
    decipher.setAAD(Buffer.from(`trent-key-material:${keyId}:${version}`));
    return Buffer.concat([decipher.update(wrapped.subarray(28)), decipher.final()]);
  }
}
