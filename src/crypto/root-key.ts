/**
 * The root key wraps every KMS key's material before it reaches storage, so a copy of the
 * database alone reveals no key. Sources, in order: an explicit 32-byte key (TRENT_ROOT_KEY or
 * the config file, base64; needed when several servers share one database), else a file
 * `root.key` created with mode 0600 in the data directory on first start (development).
 *
 * Wrapped material: nonce(12) || tag(16) || AES-256-GCM(root, material), with the key id and
 * material version as additional data so a wrapped row cannot be moved to another key.
 */
import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { closeSync, constants, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT_KEY_FILE = 'root.key';

export class RootKey {
  private constructor(private readonly key: KeyObject) {}

  static fromBytes(bytes: Buffer): RootKey {
    if (bytes.length !== 32) throw new Error('the root key must be 32 bytes (base64 of 32 random bytes)');
    return new RootKey(createSecretKey(bytes));
  }

  /**
   * Reads `<dataDir>/root.key`, creating it (mode 0600) on first start. The key is written to
   * a private temporary file, synced, then hard-linked into place: the link either appears
   * complete or fails because another process won the race, so no reader sees a partial file.
   */
  static loadOrCreate(dataDir: string): RootKey {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, ROOT_KEY_FILE);
    const temporary = join(dataDir, `.${ROOT_KEY_FILE}.${process.pid}.${randomBytes(6).toString('hex')}`);
    const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      writeSync(fd, randomBytes(32).toString('base64') + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temporary, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(temporary);
    }
    return RootKey.fromBytes(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64'));
  }

  /** A short public fingerprint, so operators can tell which root key a server uses. */
  fingerprint(): string {
    return createHash('sha256').update(this.key.export()).digest('hex').slice(0, 16);
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
