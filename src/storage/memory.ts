/**
 * In-memory Store for unit tests. Behaves exactly like the durable stores (it passes the same
 * contract suite) but keeps nothing across restarts. Records are copied in and out so callers
 * can never change stored state by mutating what they hold.
 */
import { copyKey, sameScope } from './records.js';
import type { AliasRecord, KeyMaterialRecord, KeyRecord, PageRequest, Scope, Store } from './types.js';

function page<T>(items: T[], name: (item: T) => string, request: PageRequest): T[] {
  const sorted = items.sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
  const after = request.after;
  return (after === undefined ? sorted : sorted.filter((item) => name(item) > after)).slice(0, request.limit);
}

export class MemoryStore implements Store {
  private readonly keys = new Map<string, KeyRecord>();
  private readonly materials = new Map<string, KeyMaterialRecord>();
  private readonly aliases = new Map<string, AliasRecord>();
  private rootKeyCheckValue: string | undefined;

  private static aliasKey(scope: Scope, name: string): string {
    return `${scope.account}/${scope.region}/${name}`;
  }

  async createKey(key: KeyRecord, material?: KeyMaterialRecord): Promise<void> {
    if (this.keys.has(key.keyId)) throw new Error(`key ${key.keyId} already exists`);
    this.keys.set(key.keyId, copyKey(key));
    if (material) this.materials.set(`${material.keyId}/${material.version}`, { ...material, wrapped: Buffer.from(material.wrapped) });
  }

  async getKey(scope: Scope, keyId: string): Promise<KeyRecord | undefined> {
    const key = this.keys.get(keyId);
    return key && sameScope(key, scope) ? copyKey(key) : undefined;
  }

  async updateKey(key: KeyRecord, expectedRevision: number): Promise<boolean> {
    const stored = this.keys.get(key.keyId);
    if (!stored || !sameScope(stored, key) || stored.revision !== expectedRevision) return false;
    this.keys.set(key.keyId, { ...copyKey(key), revision: expectedRevision + 1 });
    return true;
  }

  async deleteKey(scope: Scope, keyId: string, expectedRevision?: number): Promise<boolean> {
    const stored = this.keys.get(keyId);
    if (!stored || !sameScope(stored, scope)) return false;
    if (expectedRevision !== undefined && stored.revision !== expectedRevision) return false;
    this.keys.delete(keyId);
    for (const id of [...this.materials.keys()]) if (id.startsWith(`${keyId}/`)) this.materials.delete(id);
    for (const [id, alias] of [...this.aliases]) if (alias.targetKeyId === keyId) this.aliases.delete(id);
    return true;
  }

  async listKeys(scope: Scope, request: PageRequest): Promise<KeyRecord[]> {
    const inScope = [...this.keys.values()].filter((k) => sameScope(k, scope));
    return page(inScope, (k) => k.keyId, request).map(copyKey);
  }

  async keysDueForDeletion(now: number, limit: number): Promise<KeyRecord[]> {
    return [...this.keys.values()]
      .filter((k) => k.state === 'PendingDeletion' && k.deletionDate !== undefined && k.deletionDate <= now)
      .slice(0, limit)
      .map(copyKey);
  }

  async getMaterial(keyId: string, version: number): Promise<KeyMaterialRecord | undefined> {
    const material = this.materials.get(`${keyId}/${version}`);
    return material && { ...material, wrapped: Buffer.from(material.wrapped) };
  }

  async createAlias(alias: AliasRecord): Promise<boolean> {
    const id = MemoryStore.aliasKey(alias, alias.aliasName);
    if (this.aliases.has(id)) return false;
    this.aliases.set(id, { ...alias });
    return true;
  }

  async getAlias(scope: Scope, aliasName: string): Promise<AliasRecord | undefined> {
    const alias = this.aliases.get(MemoryStore.aliasKey(scope, aliasName));
    return alias && { ...alias };
  }

  async updateAlias(alias: AliasRecord): Promise<boolean> {
    const id = MemoryStore.aliasKey(alias, alias.aliasName);
    const stored = this.aliases.get(id);
    if (!stored) return false;
    this.aliases.set(id, { ...stored, targetKeyId: alias.targetKeyId, updatedAt: alias.updatedAt });
    return true;
  }

  async deleteAlias(scope: Scope, aliasName: string): Promise<boolean> {
    return this.aliases.delete(MemoryStore.aliasKey(scope, aliasName));
  }

  async listAliases(scope: Scope, request: PageRequest & { keyId?: string }): Promise<AliasRecord[]> {
    const matching = [...this.aliases.values()].filter(
      (a) => sameScope(a, scope) && (request.keyId === undefined || a.targetKeyId === request.keyId),
    );
    return page(matching, (a) => a.aliasName, request).map((a) => ({ ...a }));
  }

  async anyMaterial(): Promise<KeyMaterialRecord | undefined> {
    const material = this.materials.values().next().value;
    return material && { ...material, wrapped: Buffer.from(material.wrapped) };
  }

  async rootKeyCheck(): Promise<string | undefined> {
    return this.rootKeyCheckValue;
  }

  async setRootKeyCheckIfAbsent(value: string): Promise<string> {
    this.rootKeyCheckValue ??= value;
    return this.rootKeyCheckValue;
  }

  /** Nothing to scrub: deleted records are unreachable, and nothing is on disk. */
  async scrubDeleted(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}
}
