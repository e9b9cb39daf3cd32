/**
 * Trent's additions to the aws CLI: keys and plaintexts written to files instead of printed.
 *
 * A file is written atomically: to a fresh temporary file beside it (created with mode 0600 and
 * O_EXCL, so nobody else can have it open), flushed to disk, then renamed over the target. A
 * reader sees the old file or the whole new one, never half a private key, and a private key or
 * plaintext is never readable by other users, not even for a moment.
 *
 * PEM is RFC 7468's textual encoding: `PRIVATE KEY` for PKCS#8, `PUBLIC KEY` for
 * SubjectPublicKeyInfo, base64 in lines of 64 characters.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export type PemLabel = 'PRIVATE KEY' | 'PUBLIC KEY';

export function pem(der: Buffer, label: PemLabel): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export function writeFileAtomically(path: string, content: Buffer | string, mode: number): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(temporary, 'wx', mode);
  try {
    try {
      writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (err) {
    try {
      unlinkSync(temporary);
    } catch {
      // Already renamed or never there: nothing to clean up.
    }
    throw err;
  }
}
