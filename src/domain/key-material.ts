/**
 * Access to KMS key material. Material is stored wrapped by the root key; this module creates
 * it, unwraps it on first use and keeps the unwrapped form in a bounded in-process cache as
 * node:crypto KeyObjects, so the hot paths (Encrypt, Decrypt, GenerateDataKey*) cost one store
 * read for the key record and no unwrap.
 *
 * The cache follows the store's change signal (Store.onChange): whatever is committed, by this
 * process or another sharing the database (a key deleted, material added or removed), empties
 * it before a request can act on the change, so no process serves material another removed.
 */
import { secretBytes } from '../crypto/random.js';
import type { RootKey } from '../crypto/root-key.js';
import { secretKey, type SecretKey } from '../crypto/symmetric.js';
import { InvalidCiphertextError } from '../crypto/envelope.js';
import type { KeyMaterialRecord, Store } from '../storage/types.js';

export interface UnwrappedMaterial {
  /** The symmetric key, as a KeyObject. Secret. */
  secret: SecretKey;
  materialId: string;
}

const CACHE_LIMIT = 10_000;

export class KeyMaterials {
  private readonly cache = new Map<string, UnwrappedMaterial>();
  /** Counts the times the cache was emptied by the change signal. */
  private generation = 0;

  constructor(
    private readonly store: Store,
    private readonly rootKey: RootKey,
  ) {
    store.onChange((keyId) => {
      if (keyId === undefined) this.cache.clear();
      else this.forget(keyId);
      this.generation++;
    });
  }

  /** Wraps fresh (or given) material for storage as version `version` of a key. */
  wrap(keyId: string, version: number, material: Buffer, createdAt: number): KeyMaterialRecord {
    return {
      keyId,
      version,
      materialId: secretBytes(32).toString('hex'),
      wrapped: this.rootKey.wrap(material, keyId, version),
      createdAt,
    };
  }

  /**
   * The unwrapped symmetric material of (keyId, version). A missing version means the
   * ciphertext naming it is not ours: InvalidCiphertextError.
   */
  async symmetric(keyId: string, version: number): Promise<UnwrappedMaterial> {
    const cacheKey = `${keyId}/${version}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const generation = this.generation;
    const record = await this.store.getMaterial(keyId, version);
    if (!record) throw new InvalidCiphertextError();
    const raw = this.rootKey.unwrap(record.wrapped, keyId, version);
    const entry = { secret: secretKey(raw), materialId: record.materialId };
    raw.fill(0);
    // Cache only what was read since the last change signal: had one come while the record was
    // read, the record might be older than the change it announced.
    if (generation !== this.generation) return entry;
    if (this.cache.size >= CACHE_LIMIT) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(cacheKey, entry);
    return entry;
  }

  /**
   * The public KeyMaterialId of (keyId, version), read without unwrapping the material: showing
   * an identifier must not put a secret in memory. Undefined if there is no such version.
   */
  async materialId(keyId: string, version: number): Promise<string | undefined> {
    const cached = this.cache.get(`${keyId}/${version}`);
    if (cached) return cached.materialId;
    return (await this.store.getMaterial(keyId, version))?.materialId;
  }

  /** Drops a deleted key's material from the cache. */
  forget(keyId: string): void {
    for (const cacheKey of [...this.cache.keys()]) if (cacheKey.startsWith(`${keyId}/`)) this.cache.delete(cacheKey);
  }
}
