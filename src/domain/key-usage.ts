/**
 * GetKeyLastUsage's records: the last successful cryptographic operation of each key (its name,
 * time, request id and, when it was audited, its audit record's eventID), kept without a
 * database write per request. A request only sets the key's entry in an in-process map (the
 * latest use wins, O(1)); a timer writes the map to the store in one batch
 * (Store.recordKeyUsage, one transaction) every `flushMs`, one second by default, and on close.
 * So the hot paths pay a map write, a server answers its own uses at once, and the uses another
 * server saw are visible within one flush interval. A use is bookkeeping, not state: at worst
 * the last interval's uses are lost with a killed process.
 */
import type { KeyLastUsageTrackingOperation } from '../kms-types.generated.js';
import type { Clock } from './clock.js';
import type { KeyLocation, KeyUsageRecord, Store } from '../storage/types.js';

/**
 * The operations AWS counts as a key's use: the model's KeyLastUsageTrackingOperation values
 * (which do not list Encapsulate and Decapsulate). A DryRun or a failed call is not a use.
 */
export const TRACKED_OPERATIONS: ReadonlySet<KeyLastUsageTrackingOperation> = new Set<KeyLastUsageTrackingOperation>([
  'Decrypt',
  'DeriveSharedSecret',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateMac',
  'ReEncrypt',
  'Sign',
  'Verify',
  'VerifyMac',
]);

export const DEFAULT_USAGE_FLUSH_MS = 1000;

/** The pending map's key: each regional key (a multi-Region key's replica too) has its own last use. */
const pendingKey = (key: KeyLocation) => `${key.keyId} ${key.region}`;

export class KeyUsageTracker {
  /** Uses not yet written, by pendingKey. */
  private pending = new Map<string, KeyUsageRecord>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /**
   * Notes a successful cryptographic operation with a regional key: its request id and, when the
   * request was audited, its audit record's eventID.
   */
  record(key: KeyLocation, operation: string, requestId: string, eventId?: string): void {
    const usage: KeyUsageRecord = { keyId: key.keyId, region: key.region, operation, at: this.clock.now(), requestId };
    if (eventId !== undefined) usage.eventId = eventId;
    this.pending.set(pendingKey(key), usage);
  }

  /** The key's last use: this process's unwritten one, or the stored one, whichever is later. */
  async last(key: KeyLocation): Promise<KeyUsageRecord | undefined> {
    const stored = await this.store.getKeyUsage(key);
    const mine = this.pending.get(pendingKey(key));
    if (mine === undefined) return stored;
    return stored !== undefined && stored.at > mine.at ? stored : { ...mine };
  }

  /** Writes the pending uses in one batch; a failed batch is kept for the next flush. */
  flush(): Promise<void> {
    this.flushing ??= this.writePending().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.store.recordKeyUsage([...batch.values()]);
    } catch (err) {
      // Put back what no newer use replaced meanwhile, for the next flush.
      for (const [id, usage] of batch) if (!this.pending.has(id)) this.pending.set(id, usage);
      this.onError(err);
    }
  }

  /** Flushes every `flushMs` until stop(). */
  start(flushMs: number = DEFAULT_USAGE_FLUSH_MS): void {
    this.timer ??= setInterval(() => void this.flush(), flushMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is pending. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
