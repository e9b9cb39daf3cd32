/**
 * The crash harness's ledger: what the server has acknowledged, kept in the client's memory,
 * against which the restarted server is checked. A write enters the ledger only when its
 * request was answered 200. A write whose request got no answer (it was in flight at the
 * kill) is recorded beside the acknowledged value as "in flight": after the restart the server
 * may show either, and verification then settles the ledger on what it found.
 *
 * Each key and alias belongs to one client loop, which sends at most one request at a time, so
 * the order of a key's acknowledged writes is the order they were applied, and at most one
 * write per item can be in flight at a kill.
 *
 * Keys with imported material (Origin EXTERNAL) are in the ledger from their CreateKey, in
 * PendingImport; an acknowledged ImportKeyMaterial makes them Enabled, or, once they have
 * material, leaves new material pending rotation, which an acknowledged RotateKeyOnDemand makes
 * current: both are held to their acknowledgement like any other write.
 *
 * Grants belong to the loop that owns their key. Each has an Expected<boolean> for "exists":
 * an acknowledged CreateGrant sets it true, an acknowledged RetireGrant or RevokeGrant false, and
 * one in flight at the kill leaves either acceptable. A CreateGrant in flight has no grant id
 * yet; its grantee principal is unique, so the grant is recognised if the server shows it.
 */
export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion' | 'PendingImport';

export interface Tag {
  TagKey: string;
  TagValue: string;
}

/**
 * A value the server must show: the one the last acknowledged write set (`by` names that
 * write), or, when a later write was in flight at the kill, the value that write would set.
 */
export interface Expected<T> {
  acked: T;
  by: string;
  inFlight?: { value: T; by: string };
}

export interface KeyEntry {
  keyId: string;
  arn: string;
  /** The client loop that owns the key: the only one that changes it. */
  owner: number;
  /** The CreateKey that made it. */
  createdBy: string;
  description: string;
  state: Expected<KeyState>;
  /** Sorted by TagKey, as ListResourceTags returns them. */
  tags: Expected<Tag[]>;
  /** Origin EXTERNAL: created PendingImport, its material imported by the workload. */
  external: boolean;
  /** GetParametersForImport's answer, reused for the key's later imports (valid 24 hours). */
  importParameters?: { publicKey: Uint8Array; token: Uint8Array };
  /**
   * How many RotateKeyOnDemand were applied (ListKeyRotations must list that many), and for a
   * key with imported material whether new material imported for the next one is pending
   * rotation: one expectation, since a RotateKeyOnDemand changes both at once.
   */
  materials: Expected<Materials>;
}

export interface Materials {
  rotations: number;
  pending: boolean;
}

export const sameMaterials = (a: Materials, b: Materials): boolean => a.rotations === b.rotations && a.pending === b.pending;
export const formatMaterials = (m: Materials): string => `${m.rotations} on-demand rotations${m.pending ? ' and material pending rotation' : ''}`;

export interface AliasEntry {
  aliasName: string;
  owner: number;
  /** The target key id; undefined for "no such alias" (kept after DeleteAlias, so that an alias
   * that comes back is reported against the DeleteAlias that removed it). */
  target: Expected<string | undefined>;
}

export interface CiphertextEntry {
  /** Encrypt or GenerateDataKeyPair, the round, the client loop. */
  source: string;
  keyId: string;
  arn: string;
  blob: Uint8Array;
  context: Record<string, string>;
  plaintext: Uint8Array;
  /** Checked after at least one kill. */
  checked: boolean;
}

export interface GrantEntry {
  grantId: string;
  keyId: string;
  /** The client loop that owns the grant's key. */
  owner: number;
  /** Unique to this grant. */
  grantee: string;
  /** Undefined for a grant whose CreateGrant was in flight (its answer never came). */
  token: string | undefined;
  createdBy: string;
  exists: Expected<boolean>;
}

/** A CreateGrant in flight at a kill: its grant id is unknown, its grantee is unique. */
export interface GrantCreateInFlight {
  owner: number;
  keyId: string;
  grantee: string;
  by: string;
}

/** A CreateKey in flight at a kill: its key id is unknown, its description is unique. */
export interface CreateInFlight {
  owner: number;
  by: string;
  description: string;
  tags: Tag[];
  external: boolean;
}

export class Ledger {
  readonly keys = new Map<string, KeyEntry>();
  readonly aliases = new Map<string, AliasEntry>();
  /** By grant id; a grant retired or revoked stays, with exists.acked false. */
  readonly grants = new Map<string, GrantEntry>();
  readonly ciphertexts: CiphertextEntry[] = [];
  createsInFlight: CreateInFlight[] = [];
  grantCreatesInFlight: GrantCreateInFlight[] = [];
  /** Grants written (or with a write in flight) since the last verification. */
  readonly touchedGrants = new Set<string>();
  /** Keys written (or with a write in flight) since the last verification. */
  readonly touched = new Set<string>();
  /** Keys, aliases and grants found on the server that nothing explains; reported once, then ignored. */
  readonly foreign = new Set<string>();
  acknowledgedWrites = 0;
  unknownWrites = 0;
  /** Acknowledged ImportKeyMaterial, and RotateKeyOnDemand of keys with imported material. */
  readonly importedMaterial = { imports: 0, rotations: 0 };
  /** How the writes in flight at a kill turned out, where the two outcomes differ. */
  readonly inFlightOutcomes = { applied: 0, notApplied: 0 };
  private serial = 0;

  /** A number unique in this campaign, for descriptions and alias names. */
  nextSerial(): number {
    return ++this.serial;
  }

  keysOf(owner: number, states: readonly KeyState[]): KeyEntry[] {
    return [...this.keys.values()].filter((k) => k.owner === owner && states.includes(k.state.acked));
  }

  /** The aliases of `owner` that exist (a deleted alias stays in the map), with no write in doubt. */
  aliasesOf(owner: number): AliasEntry[] {
    return [...this.aliases.values()].filter((a) => a.owner === owner && a.target.acked !== undefined && !a.target.inFlight);
  }

  /** The grants of `owner` that exist, with no write in doubt. */
  grantsOf(owner: number): GrantEntry[] {
    return [...this.grants.values()].filter((g) => g.owner === owner && g.exists.acked && !g.exists.inFlight);
  }

  /**
   * Checks what the server shows against an expectation and settles the expectation on it.
   * Returns a description of the mismatch, or undefined when the value is acceptable.
   */
  settle<T>(expected: Expected<T>, found: T, equal: (a: T, b: T) => boolean, show: (value: T) => string): string | undefined {
    const inFlight = expected.inFlight;
    delete expected.inFlight;
    const outcomesDiffer = inFlight !== undefined && !equal(inFlight.value, expected.acked);
    if (equal(found, expected.acked)) {
      if (outcomesDiffer) this.inFlightOutcomes.notApplied++;
      return undefined;
    }
    if (inFlight && equal(found, inFlight.value)) {
      this.inFlightOutcomes.applied++;
      expected.acked = found;
      expected.by = `${inFlight.by} (in flight at the kill, found applied)`;
      return undefined;
    }
    const alternative = inFlight ? `, or ${show(inFlight.value)} if ${inFlight.by}, in flight at the kill, was applied` : '';
    const problem = `expected ${show(expected.acked)} after ${expected.by}${alternative}; found ${show(found)}`;
    expected.acked = found;
    expected.by = 'what the server showed after a violation';
    return problem;
  }
}

export function sortTags(tags: readonly Tag[]): Tag[] {
  return [...tags].sort((a, b) => (a.TagKey < b.TagKey ? -1 : a.TagKey > b.TagKey ? 1 : 0));
}

export function formatTags(tags: readonly Tag[]): string {
  return `{${tags.map((t) => `${t.TagKey}=${t.TagValue}`).join(',')}}`;
}

/** Sets an expectation after an acknowledged write. */
export function acknowledge<T>(expected: Expected<T>, value: T, by: string): void {
  expected.acked = value;
  expected.by = by;
  delete expected.inFlight;
}
