/**
 * The durable key-pair reserve: pairs generated in the background (server/reserve-refiller.ts)
 * and stored, sealed by the root key (crypto/reserved-pair.ts), until one request claims them.
 * A claim deletes the pairs from the store in one durable transaction before they are used
 * (Store.claimReservedPairs), so a pair is handed out at most once across worker processes,
 * restarts and servers sharing a database, and one claimed by a process that then dies is
 * simply lost. Because the store keeps them, the reserve is there at once after a restart.
 */
import type { DerKeyPair } from '../crypto/asymmetric.js';
import { openPair, sealPair } from '../crypto/reserved-pair.js';
import type { RootKey } from '../crypto/root-key.js';
import type { Store } from '../storage/types.js';
import type { Clock } from './clock.js';

export class KeyPairReserve {
  constructor(
    private readonly store: Store,
    private readonly rootKey: RootKey,
    private readonly clock: Clock,
    /** Told of a stored pair that does not unwrap (it is dropped); never given the pair itself. */
    private readonly onUnreadable: (spec: string, id: string) => void = () => {},
  ) {}

  /** Stores `pairs` of `spec`, all or none. The caller still owns (and wipes) the plaintext. */
  async put(spec: string, pairs: readonly DerKeyPair[]): Promise<void> {
    if (pairs.length === 0) return;
    const createdAt = this.clock.now();
    await this.store.addReservedPairs(pairs.map((pair) => ({ ...sealPair(this.rootKey, spec, pair), spec, createdAt })));
  }

  /** Up to `limit` pairs of `spec`, now deleted from the store; [] when the reserve has none. */
  async claim(spec: string, limit: number): Promise<DerKeyPair[]> {
    const claimed = await this.store.claimReservedPairs(spec, limit);
    const pairs: DerKeyPair[] = [];
    for (const record of claimed) {
      try {
        pairs.push(openPair(this.rootKey, spec, record));
      } catch {
        this.onUnreadable(spec, record.id);
      }
    }
    return pairs;
  }

  /** Pairs stored per spec. */
  counts(): Promise<Record<string, number>> {
    return this.store.reservedPairCounts();
  }
}
