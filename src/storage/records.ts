/**
 * Helpers every Store implementation uses on records: the same scope test, and deep copies so
 * that no caller can change stored (or cached) state by mutating a record it holds.
 */
import type { KeyRecord, Scope } from './types.js';

export function sameScope(a: Scope, b: Scope): boolean {
  return a.account === b.account && a.region === b.region;
}

export function copyKey(key: KeyRecord): KeyRecord {
  const copy: KeyRecord = { ...key, tags: key.tags.map((t) => ({ ...t })) };
  if (key.publicKey) copy.publicKey = Buffer.from(key.publicKey);
  return copy;
}
