/**
 * Helpers every Store implementation uses on records: the same scope test, deep copies so that
 * no caller can change stored (or cached) state by mutating a record it holds, and what makes
 * two CreateGrant requests the same grant.
 */
import type { GrantConstraintsRecord, GrantRecord, KeyRecord, Scope } from './types.js';

export function sameScope(a: Scope, b: Scope): boolean {
  return a.account === b.account && a.region === b.region;
}

export function copyKey(key: KeyRecord): KeyRecord {
  const copy: KeyRecord = { ...key, tags: key.tags.map((t) => ({ ...t })) };
  if (key.publicKey) copy.publicKey = Buffer.from(key.publicKey);
  return copy;
}

/** A copy of a string map as a plain object (own `__proto__` keys stay data, never prototypes). */
function copyMap(map: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(map));
}

function copyConstraints(constraints: GrantConstraintsRecord): GrantConstraintsRecord {
  const copy: GrantConstraintsRecord = {};
  if (constraints.EncryptionContextEquals) copy.EncryptionContextEquals = copyMap(constraints.EncryptionContextEquals);
  if (constraints.EncryptionContextSubset) copy.EncryptionContextSubset = copyMap(constraints.EncryptionContextSubset);
  if (constraints.SourceArn !== undefined) copy.SourceArn = constraints.SourceArn;
  return copy;
}

export function copyGrant(grant: GrantRecord): GrantRecord {
  const copy: GrantRecord = { ...grant, operations: [...grant.operations] };
  if (grant.constraints) copy.constraints = copyConstraints(grant.constraints);
  return copy;
}

const sortedEntries = (map: Readonly<Record<string, string>> | undefined) =>
  map === undefined ? null : Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * What makes a CreateGrant request with a Name a retry of an earlier one (besides key and name):
 * the same grantee, retiring principal, operations (in any order) and constraints. Canonical
 * text, so a store can index it.
 */
export function grantIdentity(grant: GrantRecord): string {
  return JSON.stringify([
    grant.granteePrincipal,
    grant.granteeServicePrincipal ?? null,
    grant.retiringPrincipal ?? null,
    grant.retiringServicePrincipal ?? null,
    [...new Set(grant.operations)].sort(),
    sortedEntries(grant.constraints?.EncryptionContextEquals),
    sortedEntries(grant.constraints?.EncryptionContextSubset),
    grant.constraints?.SourceArn ?? null,
  ]);
}
