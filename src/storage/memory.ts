/**
 * In-memory Store for unit tests. Behaves exactly like the durable stores (it passes the same
 * contract suite) but keeps nothing across restarts. Records are copied in and out so callers
 * can never change stored state by mutating what they hold.
 *
 * A transaction holds the store: other callers wait until it ends. It works on the live maps
 * and, if its function throws, puts back a copy taken when it began.
 *
 * Keys, their material and their usage are keyed by key id and Region (a multi-Region key has a
 * record per Region), as the SQL stores' primary keys are.
 */
import { copyGrant, copyKey, grantIdentity, sameScope } from './records.js';
import type {
  AliasRecord,
  ChangeListener,
  GrantRecord,
  KeyLocation,
  KeyMaterialRecord,
  KeyRecord,
  KeyUsageRecord,
  PageRequest,
  ReservedPairRecord,
  Scope,
  Store,
} from './types.js';

function page<T>(items: T[], name: (item: T) => string, request: PageRequest): T[] {
  const sorted = items.sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
  const after = request.after;
  return (after === undefined ? sorted : sorted.filter((item) => name(item) > after)).slice(0, request.limit);
}

/** Orders by key id, then Region: the order of listAllKeys (and of the SQL stores' primary key). */
function compareLocations(a: KeyLocation, b: KeyLocation): number {
  if (a.keyId !== b.keyId) return a.keyId < b.keyId ? -1 : 1;
  return a.region < b.region ? -1 : a.region > b.region ? 1 : 0;
}

/** The map key of a regional key: neither key ids nor Regions contain a space. */
const locationKey = (key: KeyLocation): string => `${key.keyId} ${key.region}`;

const copyMaterial = (material: KeyMaterialRecord): KeyMaterialRecord => ({ ...material, wrapped: Buffer.from(material.wrapped) });
const copyPair = (pair: ReservedPairRecord): ReservedPairRecord => ({
  ...pair,
  publicKey: Buffer.from(pair.publicKey),
  wrapped: Buffer.from(pair.wrapped),
});

interface State {
  /** By locationKey. */
  keys: Map<string, KeyRecord>;
  /** By locationKey and version. */
  materials: Map<string, KeyMaterialRecord>;
  aliases: Map<string, AliasRecord>;
  /** By grant id. */
  grants: Map<string, GrantRecord>;
  /** The last use of each regional key, by locationKey. */
  usage: Map<string, KeyUsageRecord>;
  /** The key-pair reserve by id, in insertion order (Map order): oldest first. */
  reservedPairs: Map<string, ReservedPairRecord>;
  /** Called after every write: the change signal. */
  listeners: Set<ChangeListener>;
  /** The root key check value, once recorded. */
  rootKeyCheck?: string;
  /** Resolves when the open transaction ends; undefined when none is open. */
  held?: Promise<void>;
}

function snapshot(state: State): Pick<State, 'keys' | 'materials' | 'aliases' | 'grants' | 'usage' | 'reservedPairs'> {
  return {
    usage: new Map([...state.usage].map(([id, u]) => [id, { ...u }])),
    keys: new Map([...state.keys].map(([id, key]) => [id, copyKey(key)])),
    materials: new Map([...state.materials].map(([id, m]) => [id, copyMaterial(m)])),
    aliases: new Map([...state.aliases].map(([id, a]) => [id, { ...a }])),
    grants: new Map([...state.grants].map(([id, g]) => [id, copyGrant(g)])),
    reservedPairs: new Map([...state.reservedPairs].map(([id, p]) => [id, copyPair(p)])),
  };
}

class MemoryAccess implements Store {
  constructor(
    protected readonly state: State,
    /** True for the view a transaction's function gets: it never waits for itself. */
    private readonly insideTransaction: boolean,
  ) {}

  private static aliasKey(scope: Scope, name: string): string {
    return `${scope.account}/${scope.region}/${name}`;
  }

  private static materialKey(key: KeyLocation, version: number): string {
    return `${locationKey(key)} ${version}`;
  }

  /** The regional key at `location` if it is in `scope`'s account (and Region). */
  private keyIn(scope: Scope, location: KeyLocation): KeyRecord | undefined {
    const key = this.state.keys.get(locationKey(location));
    return key && sameScope(key, scope) ? key : undefined;
  }

  /**
   * Runs `body` once no other caller's transaction holds the store. The last check and `body`
   * run in one synchronous step, so no transaction can begin in between.
   */
  private run<T>(body: () => T): Promise<T> {
    if (!this.insideTransaction && this.state.held) return this.afterTransaction(body);
    try {
      return Promise.resolve(body());
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  private async afterTransaction<T>(body: () => T): Promise<T> {
    while (this.state.held) await this.state.held;
    return body();
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.insideTransaction) return fn(this); // nested: part of the enclosing transaction
    while (this.state.held) await this.state.held;
    let release = () => {};
    this.state.held = new Promise<void>((resolve) => (release = resolve));
    const before = snapshot(this.state);
    try {
      return await fn(new MemoryAccess(this.state, true));
    } catch (err) {
      Object.assign(this.state, before);
      this.changed();
      throw err;
    } finally {
      delete this.state.held;
      release();
    }
  }

  onChange(listener: ChangeListener): () => void {
    this.state.listeners.add(listener);
    return () => this.state.listeners.delete(listener);
  }

  private changed(keyId?: string): void {
    for (const listener of this.state.listeners) listener(keyId);
  }

  createKey(key: KeyRecord, material?: KeyMaterialRecord): Promise<void> {
    return this.run(() => {
      if (this.state.keys.has(locationKey(key))) throw new Error(`key ${key.keyId} already exists in ${key.region}`);
      this.state.keys.set(locationKey(key), copyKey(key));
      // The first material is the new record's, in its Region.
      if (material) this.state.materials.set(MemoryAccess.materialKey(key, material.version), copyMaterial({ ...material, region: key.region }));
      this.changed(key.keyId);
    });
  }

  getKey(scope: Scope, keyId: string): Promise<KeyRecord | undefined> {
    return this.run(() => {
      const key = this.keyIn(scope, { keyId, region: scope.region });
      return key && copyKey(key);
    });
  }

  updateKey(key: KeyRecord, expectedRevision: number): Promise<boolean> {
    return this.run(() => {
      const stored = this.keyIn(key, key);
      if (!stored || stored.revision !== expectedRevision) return false;
      this.state.keys.set(locationKey(key), { ...copyKey(key), revision: expectedRevision + 1 });
      this.changed(key.keyId);
      return true;
    });
  }

  deleteKey(scope: Scope, keyId: string, expectedRevision?: number): Promise<boolean> {
    return this.run(() => {
      const location = { keyId, region: scope.region };
      const stored = this.keyIn(scope, location);
      if (!stored) return false;
      if (expectedRevision !== undefined && stored.revision !== expectedRevision) return false;
      // Only this Region's record and what it owns: the key id's other Regions keep theirs.
      this.state.keys.delete(locationKey(location));
      for (const [id, m] of [...this.state.materials]) if (m.keyId === keyId && m.region === scope.region) this.state.materials.delete(id);
      for (const [id, a] of [...this.state.aliases]) if (a.targetKeyId === keyId && a.region === scope.region) this.state.aliases.delete(id);
      for (const [id, g] of [...this.state.grants]) if (g.keyId === keyId && g.region === scope.region) this.state.grants.delete(id);
      this.state.usage.delete(locationKey(location));
      this.changed(keyId);
      return true;
    });
  }

  listKeys(scope: Scope, request: PageRequest): Promise<KeyRecord[]> {
    return this.run(() => {
      const inScope = [...this.state.keys.values()].filter((k) => sameScope(k, scope));
      return page(inScope, (k) => k.keyId, request).map(copyKey);
    });
  }

  listAllKeys(request: { limit: number; after?: KeyLocation }): Promise<KeyRecord[]> {
    return this.run(() => {
      const after = request.after;
      return [...this.state.keys.values()]
        .filter((k) => after === undefined || compareLocations(k, after) > 0)
        .sort(compareLocations)
        .slice(0, request.limit)
        .map(copyKey);
    });
  }

  keyRegions(account: string, keyId: string): Promise<KeyRecord[]> {
    return this.run(() =>
      [...this.state.keys.values()]
        .filter((k) => k.keyId === keyId && k.account === account)
        .sort(compareLocations)
        .map(copyKey),
    );
  }

  keysDueForDeletion(now: number, limit: number): Promise<KeyRecord[]> {
    return this.run(() => {
      return [...this.state.keys.values()]
        .filter((k) => k.state === 'PendingDeletion' && k.deletionDate !== undefined && k.deletionDate <= now)
        .slice(0, limit)
        .map(copyKey);
    });
  }

  countKeysByState(): Promise<Record<string, number>> {
    return this.run(() => {
      const counts: Record<string, number> = {};
      for (const key of this.state.keys.values()) counts[key.state] = (counts[key.state] ?? 0) + 1;
      return counts;
    });
  }

  getMaterial(key: KeyLocation, version: number): Promise<KeyMaterialRecord | undefined> {
    return this.run(() => {
      const material = this.state.materials.get(MemoryAccess.materialKey(key, version));
      return material && copyMaterial(material);
    });
  }

  addMaterial(scope: Scope, material: KeyMaterialRecord, expectedRevision: number): Promise<boolean> {
    return this.run(() => {
      const location = { keyId: material.keyId, region: scope.region };
      const stored = this.keyIn(scope, location);
      const id = MemoryAccess.materialKey(location, material.version);
      if (!stored || stored.revision !== expectedRevision || this.state.materials.has(id)) return false;
      this.state.materials.set(id, copyMaterial({ ...material, region: scope.region }));
      this.state.keys.set(locationKey(location), { ...copyKey(stored), currentMaterialVersion: material.version, revision: expectedRevision + 1 });
      this.changed(material.keyId);
      return true;
    });
  }

  listMaterials(key: KeyLocation, request: { limit: number; after?: number }): Promise<KeyMaterialRecord[]> {
    return this.run(() =>
      [...this.state.materials.values()]
        .filter((m) => m.keyId === key.keyId && m.region === key.region && (request.after === undefined || m.version > request.after))
        .sort((a, b) => a.version - b.version)
        .slice(0, request.limit)
        .map(copyMaterial),
    );
  }

  keysDueForRotation(now: number, limit: number): Promise<KeyRecord[]> {
    return this.run(() =>
      [...this.state.keys.values()]
        .filter((k) => k.state === 'Enabled' && k.nextRotationDate !== undefined && k.nextRotationDate <= now)
        .sort((a, b) => (a.nextRotationDate as number) - (b.nextRotationDate as number))
        .slice(0, limit)
        .map(copyKey),
    );
  }

  putMaterial(material: KeyMaterialRecord): Promise<boolean> {
    return this.run(() => {
      if (!this.state.keys.has(locationKey(material))) return false;
      this.state.materials.set(MemoryAccess.materialKey(material, material.version), copyMaterial(material));
      this.changed(material.keyId);
      return true;
    });
  }

  keysWithExpiredMaterial(now: number, limit: number): Promise<KeyRecord[]> {
    return this.run(() =>
      [...this.state.keys.values()]
        .filter((k) => k.validTo !== undefined && k.validTo <= now)
        .sort((a, b) => (a.validTo as number) - (b.validTo as number))
        .slice(0, limit)
        .map(copyKey),
    );
  }

  recordKeyUsage(usages: readonly KeyUsageRecord[]): Promise<void> {
    return this.run(() => {
      for (const usage of usages) {
        const id = locationKey(usage);
        if (!this.state.keys.has(id)) continue;
        const stored = this.state.usage.get(id);
        if (stored === undefined || stored.at <= usage.at) this.state.usage.set(id, { ...usage });
      }
    });
  }

  getKeyUsage(key: KeyLocation): Promise<KeyUsageRecord | undefined> {
    return this.run(() => {
      const usage = this.state.usage.get(locationKey(key));
      return usage && { ...usage };
    });
  }

  createAlias(alias: AliasRecord): Promise<boolean> {
    return this.run(() => {
      const id = MemoryAccess.aliasKey(alias, alias.aliasName);
      if (this.state.aliases.has(id)) return false;
      this.state.aliases.set(id, { ...alias });
      this.changed();
      return true;
    });
  }

  getAlias(scope: Scope, aliasName: string): Promise<AliasRecord | undefined> {
    return this.run(() => {
      const alias = this.state.aliases.get(MemoryAccess.aliasKey(scope, aliasName));
      return alias && { ...alias };
    });
  }

  updateAlias(alias: AliasRecord): Promise<boolean> {
    return this.run(() => {
      const id = MemoryAccess.aliasKey(alias, alias.aliasName);
      const stored = this.state.aliases.get(id);
      if (!stored) return false;
      this.state.aliases.set(id, { ...stored, targetKeyId: alias.targetKeyId, updatedAt: alias.updatedAt });
      this.changed();
      return true;
    });
  }

  deleteAlias(scope: Scope, aliasName: string): Promise<boolean> {
    return this.run(() => {
      const deleted = this.state.aliases.delete(MemoryAccess.aliasKey(scope, aliasName));
      if (deleted) this.changed();
      return deleted;
    });
  }

  listAliases(scope: Scope, request: PageRequest & { keyId?: string }): Promise<AliasRecord[]> {
    return this.run(() => {
      const matching = [...this.state.aliases.values()].filter(
        (a) => sameScope(a, scope) && (request.keyId === undefined || a.targetKeyId === request.keyId),
      );
      return page(matching, (a) => a.aliasName, request).map((a) => ({ ...a }));
    });
  }

  /** The grants of one key (in its scope), in no particular order. */
  private grantsOfKey(scope: Scope, keyId: string): GrantRecord[] {
    return [...this.state.grants.values()].filter((g) => g.keyId === keyId && sameScope(g, scope));
  }

  createGrant(grant: GrantRecord): Promise<GrantRecord | undefined> {
    return this.run(() => {
      if (!this.keyIn(grant, grant)) return undefined;
      if (grant.name !== undefined) {
        const identity = grantIdentity(grant);
        const existing = this.grantsOfKey(grant, grant.keyId).find((g) => g.name === grant.name && grantIdentity(g) === identity);
        if (existing) return copyGrant(existing);
      }
      if (this.state.grants.has(grant.grantId)) throw new Error(`grant ${grant.grantId} already exists`);
      this.state.grants.set(grant.grantId, copyGrant(grant));
      this.changed(grant.keyId);
      return copyGrant(grant);
    });
  }

  getGrant(scope: Scope, keyId: string, grantId: string): Promise<GrantRecord | undefined> {
    return this.run(() => {
      const grant = this.state.grants.get(grantId);
      return grant && grant.keyId === keyId && sameScope(grant, scope) ? copyGrant(grant) : undefined;
    });
  }

  listGrants(scope: Scope, keyId: string, request: PageRequest & { grantId?: string; granteePrincipal?: string }): Promise<GrantRecord[]> {
    return this.run(() => {
      const matching = this.grantsOfKey(scope, keyId).filter(
        (g) =>
          (request.grantId === undefined || g.grantId === request.grantId) &&
          (request.granteePrincipal === undefined || g.granteePrincipal === request.granteePrincipal),
      );
      return page(matching, (g) => g.grantId, request).map(copyGrant);
    });
  }

  listRetirableGrants(region: string, retiringPrincipal: string, request: PageRequest): Promise<GrantRecord[]> {
    return this.run(() => {
      const matching = [...this.state.grants.values()].filter((g) => g.region === region && g.retiringPrincipal === retiringPrincipal);
      return page(matching, (g) => g.grantId, request).map(copyGrant);
    });
  }

  grantsForGrantee(scope: Scope, keyId: string, granteePrincipal: string): Promise<GrantRecord[]> {
    return this.run(() =>
      this.grantsOfKey(scope, keyId)
        .filter((g) => g.granteePrincipal === granteePrincipal)
        .sort((a, b) => (a.grantId < b.grantId ? -1 : 1))
        .map(copyGrant),
    );
  }

  deleteGrant(scope: Scope, keyId: string, grantId: string): Promise<boolean> {
    return this.run(() => {
      const grant = this.state.grants.get(grantId);
      if (!grant || grant.keyId !== keyId || !sameScope(grant, scope)) return false;
      this.state.grants.delete(grantId);
      this.changed(keyId);
      return true;
    });
  }

  anyMaterial(): Promise<KeyMaterialRecord | undefined> {
    return this.run(() => {
      const material = this.state.materials.values().next().value;
      return material && copyMaterial(material);
    });
  }

  rootKeyCheck(): Promise<string | undefined> {
    return this.run(() => this.state.rootKeyCheck);
  }

  setRootKeyCheckIfAbsent(value: string): Promise<string> {
    return this.run(() => (this.state.rootKeyCheck ??= value));
  }

  addReservedPairs(pairs: readonly ReservedPairRecord[]): Promise<void> {
    return this.run(() => {
      const ids = new Set(pairs.map((pair) => pair.id));
      if (ids.size !== pairs.length || pairs.some((pair) => this.state.reservedPairs.has(pair.id))) {
        throw new Error('a reserved pair with that id already exists');
      }
      for (const pair of pairs) this.state.reservedPairs.set(pair.id, copyPair(pair));
    });
  }

  claimReservedPairs(spec: string, limit: number): Promise<ReservedPairRecord[]> {
    return this.run(() => {
      const claimed: ReservedPairRecord[] = [];
      for (const pair of this.state.reservedPairs.values()) {
        if (claimed.length >= limit) break;
        if (pair.spec === spec) claimed.push(pair);
      }
      for (const pair of claimed) this.state.reservedPairs.delete(pair.id);
      return claimed;
    });
  }

  reservedPairCounts(): Promise<Record<string, number>> {
    return this.run(() => {
      const counts: Record<string, number> = {};
      for (const pair of this.state.reservedPairs.values()) counts[pair.spec] = (counts[pair.spec] ?? 0) + 1;
      return counts;
    });
  }

  /** Nothing to scrub: deleted records are unreachable, and nothing is on disk. */
  async scrubDeleted(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}
}

export class MemoryStore extends MemoryAccess {
  constructor() {
    super({ keys: new Map(), materials: new Map(), aliases: new Map(), grants: new Map(), usage: new Map(), reservedPairs: new Map(), listeners: new Set() }, false);
  }
}
