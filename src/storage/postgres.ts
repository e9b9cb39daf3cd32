/**
 * The PostgreSQL Store: several stateless Trent servers share one PostgreSQL database (which the
 * operator runs, replicates or buys managed; Trent adds no clustering of its own).
 *
 * - Connections come from a pool (pg.Pool); every statement is parameterised, and the hot ones
 *   are named, so each connection prepares them once.
 * - Migrations (migrations/postgres.ts) run once, however many servers start together: the
 *   starting server takes a session advisory lock, reads which versions `trent_migrations`
 *   holds and applies the others, each in its own transaction.
 * - A key is a row per (key_id, region) (a multi-Region key has one per Region); its material,
 *   aliases, grants and usage rows name the Region of their record, under composite foreign keys.
 * - Key records are cached in the process, since every request reads one, and a cached read
 *   costs no round trip. A trigger on every table sends NOTIFY in the writer's transaction, and
 *   one dedicated connection per store LISTENs: a change committed by another server drops the
 *   key it names, and is announced on the change signal (onChange) as a change to anything.
 *   A write to a key is acknowledged only once every other server has confirmed it took the
 *   change in (fence(): a fence notification after the commit, acked by each server that hears
 *   it), so a client told of the write finds no server still answering from the old record.
 *   A server answers from its cache only while it holds a lease, renewed by its own heartbeats
 *   coming back through the database; a server cut off from the database loses it within
 *   LEASE_MS, which is how long a writer waits at most for a server that does not ack. While
 *   the listening connection is down nothing is cached, and the cache is emptied when listening
 *   starts again.
 * - A change to one key by two servers is settled by the optimistic revision of types.ts
 *   (UPDATE ... WHERE revision = expected); a name taken twice (alias, named grant) by the
 *   primary key or unique index, so exactly one of two racing servers wins.
 * - Faults: a connection that cannot be made, a statement that does not answer in time or a
 *   connection lost mid-statement become DependencyTimeoutException (HTTP 500, which AWS's
 *   clients retry), with a fixed message; the pool drops the broken connection and opens new
 *   ones when the database is back, so the server recovers by itself.
 *
 * As in the SQLite store, `transaction(fn)` holds the store in this process: other callers wait
 * until it ends. Across servers, a transaction's writes are isolated by PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DependencyTimeoutException } from '../errors.js';
import { CHANGE_CHANNEL, postgresMigrations } from './migrations/postgres.js';
import { copyKey, grantIdentity, sameScope } from './records.js';
import { aliasFromRow, grantFromRow, keyFromRow, materialFromRow, usageFromRow, type AliasRow, type GrantRow, type KeyRow, type MaterialRow, type UsageRow } from './rows.js';
import type {
  AliasRecord,
  ChangeListener,
  KeyLocation,
  KeyUsageRecord,
  ReservedPairRecord,
  GrantRecord,
  KeyMaterialRecord,
  KeyRecord,
  PageRequest,
  Scope,
  Store,
} from './types.js';

export interface PostgresStoreOptions {
  /** Connections in the pool; default 10. */
  maxConnections?: number;
  /** How long to wait for a connection, and for a statement's answer; default 5000 ms each. */
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Told of a connection lost while idle, or of the listening connection failing. */
  onError?: (err: Error) => void;
}

type Queryable = pg.Pool | pg.PoolClient;

/** A key's columns in KEY_COLUMNS order. */
function keyValues(key: KeyRecord): unknown[] {
  return [
    key.keyId,
    key.account,
    key.region,
    key.createdAt,
    key.description,
    key.keySpec,
    key.keyUsage,
    key.origin,
    key.state,
    key.deletionDate ?? null,
    key.pendingWindowInDays ?? null,
    key.policy,
    JSON.stringify(key.tags),
    key.currentMaterialVersion,
    key.publicKey ?? null,
    key.rotationPeriodInDays ?? null,
    key.nextRotationDate ?? null,
    key.usageTrackedSince ?? null,
    key.expirationModel ?? null,
    key.validTo ?? null,
    key.primaryRegion ?? null,
    key.revision,
  ];
}

/** A material's columns in MATERIAL_COLUMNS order. */
function materialValues(m: KeyMaterialRecord): unknown[] {
  return [m.keyId, m.region, m.version, m.materialId, m.wrapped, m.createdAt, m.rotationType ?? null, m.importState ?? null, m.description ?? null];
}

const MATERIAL_COLUMNS = 'key_id, region, version, material_id, wrapped, created_at, rotation_type, import_state, description';

/** A grant's columns in GRANT_COLUMNS order. */
function grantValues(grant: GrantRecord): unknown[] {
  return [
    grant.grantId,
    grant.keyId,
    grant.account,
    grant.region,
    grant.name ?? null,
    grant.granteePrincipal,
    grant.retiringPrincipal ?? null,
    grant.granteeServicePrincipal ?? null,
    grant.retiringServicePrincipal ?? null,
    JSON.stringify(grant.operations),
    grant.constraints === undefined ? null : JSON.stringify(grant.constraints),
    grant.issuingAccount,
    grant.createdAt,
    grantIdentity(grant),
  ];
}

const KEY_COLUMNS =
  'key_id, account, region, created_at, description, key_spec, key_usage, origin, state, deletion_date, ' +
  'pending_window_days, policy, tags, current_material_version, public_key, rotation_period_days, next_rotation_date, ' +
  'usage_tracked_since, expiration_model, valid_to, primary_region, revision';
const GRANT_COLUMNS =
  'grant_id, key_id, account, region, name, grantee_principal, retiring_principal, grantee_service_principal, ' +
  'retiring_service_principal, operations, constraints, issuing_account, created_at, identity';
const placeholders = (columns: string) => columns.split(', ').map((_, i) => `$${i + 1}`).join(', ');
/** In INSERT ... SELECT, PostgreSQL types parameters from the SELECT, not the target columns. */
const GRANT_PLACEHOLDERS_TYPED = GRANT_COLUMNS.split(', ')
  .map((column, i) => `$${i + 1}::${column === 'created_at' ? 'bigint' : 'text'}`)
  .join(', ');

const KEY_CACHE_LIMIT = 10_000;
/**
 * A server may answer from its cache for this long after it sent a heartbeat that came back to
 * it; it sends one every third of it. A writer waits for a server it has not heard from for
 * longer (plus LEASE_MARGIN_MS for clock rates and scheduling) no more: that one's cache is off.
 */
const LEASE_MS = 3000;
const LEASE_MARGIN_MS = 500;
const ROOT_KEY_CHECK = 'root_key_check';
/** Advisory lock ids are 64-bit; this one is 'trent' and the schema, hashed by PostgreSQL. */
const MIGRATION_LOCK = "hashtextextended('trent migrations ' || current_schema(), 0)";

/** The named, parameterised statements of the hot paths (prepared once per connection). */
const SQL = {
  getKey: { name: 'trent_get_key', text: 'SELECT * FROM keys WHERE key_id = $1 AND account = $2 AND region = $3' },
  getMaterial: { name: 'trent_get_material', text: 'SELECT * FROM key_materials WHERE key_id = $1 AND region = $2 AND version = $3' },
  getAlias: { name: 'trent_get_alias', text: 'SELECT * FROM aliases WHERE account = $1 AND region = $2 AND alias_name = $3' },
  grantsOfGrantee: {
    name: 'trent_grants_of_grantee',
    text:
      'SELECT * FROM grants WHERE key_id = $1 AND account = $2 AND region = $3 AND grantee_principal = $4 AND grant_id > $5 ' +
      'ORDER BY grant_id LIMIT $6',
  },
};

/** pg's SQLSTATE classes and socket errors that mean "the database is not answering". */
function isUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (/^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE, EHOSTUNREACH ...
    // 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now;
    // 57014: statement_timeout cancelled the statement.
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '57014') return true;
  }
  return /timeout|Connection terminated|not queryable|Client has encountered a connection error/i.test(err.message);
}

const UNREACHABLE_MESSAGE = 'The key store database did not answer in time. Retry the request.';

/** What a store and its transaction views share: the pool, the listener, the cache. */
interface Shared {
  pool: pg.Pool;
  schema: string;
  /** This store's application_name: notifications carrying it are its own writes. */
  writer: string;
  /** By key id, then Region: a key id's change (a notification names no Region) drops them all. */
  keyCache: Map<string, Map<string, KeyRecord>>;
  /** Moves on every invalidation, so a read that raced one does not fill the cache. */
  generation: number;
  /** True while the listening connection is up and LISTENing. */
  listening: boolean;
  /** The cache answers until then (performance.now()): see LEASE_MS. */
  leaseUntil: number;
  /** Heartbeats sent and not yet heard back: their number and when they were sent. */
  heartbeatsSent: Map<string, number>;
  heartbeatCount: number;
  /** Other servers on this schema, by writer name: when this one last heard from them. */
  peers: Map<string, number>;
  listeners: Set<ChangeListener>;
  held?: Promise<void>;
  closed: boolean;
  listener?: pg.Client;
  reconnectTimer?: NodeJS.Timeout;
  heartbeat?: NodeJS.Timeout;
  /** This store's fences under way, by number: told when it comes back and of each server's ack. */
  fences: Map<string, { echoed: () => void; acked: (peer: string) => void }>;
  fenceCount: number;
  onError: (err: Error) => void;
  connection: pg.ClientConfig;
}

/** Forgets what a write is about to change; reads already under way will not cache it either. */
function invalidate(s: Shared, keyId?: string): void {
  s.generation++;
  if (keyId === undefined) s.keyCache.clear();
  else s.keyCache.delete(keyId);
}

/** Announces this store's own write (after it, so nothing read meanwhile stays cached). */
function changed(s: Shared, keyId?: string): void {
  invalidate(s, keyId);
  for (const listener of s.listeners) listener(keyId);
}

/** Whether the cache may answer now: listening, and the lease renewed by a heartbeat. */
function cacheUsable(s: Shared): boolean {
  return s.listening && performance.now() < s.leaseUntil;
}

/** Sends a control message on the listening connection (no reply awaited). */
function tell(s: Shared, client: pg.Client, word: string, lost: (err: Error) => void): void {
  client.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, `${s.schema} ${s.writer} ${word}`]).catch(lost);
}

/**
 * One notification on the channel, in commit order. Payloads are `<schema> <writer> <word>`,
 * the word being a key id (a commit's trigger), `hb:<n>` (a heartbeat), `bye`, `fence:<n>` (a
 * writer asks every server to confirm it has taken in its commits) or
 * `ack:<writer>:<fence>` (a server confirms). Another server's commit drops the key it names
 * and is announced on the change signal as a change to anything.
 */
function notified(s: Shared, client: pg.Client, payload: string | undefined, lost: (err: Error) => void): void {
  const [schema, writer, word] = (payload ?? '').split(' ');
  if (schema !== s.schema || writer === undefined || word === undefined) return;
  const mine = writer === s.writer;
  if (!mine && word !== 'bye') s.peers.set(writer, performance.now());
  if (word.startsWith('hb:')) {
    const sent = mine ? s.heartbeatsSent.get(word) : undefined;
    if (sent !== undefined) {
      s.heartbeatsSent.delete(word);
      s.leaseUntil = Math.max(s.leaseUntil, sent + LEASE_MS);
    }
    return;
  }
  if (word === 'bye') {
    s.peers.delete(writer);
    return;
  }
  if (word.startsWith('fence:')) {
    if (mine) s.fences.get(word)?.echoed();
    else tell(s, client, `ack:${writer}:${word}`, lost); // every commit before it has been taken in
    return;
  }
  if (word.startsWith('ack:')) {
    const [, to, , n] = word.split(':');
    if (to === s.writer) s.fences.get(`fence:${n}`)?.acked(writer);
    return;
  }
  if (mine) return;
  s.generation++;
  s.keyCache.delete(word);
  for (const listener of s.listeners) listener(undefined);
}

function stopListening(s: Shared): void {
  s.listening = false;
  s.leaseUntil = 0;
  s.generation++;
  s.keyCache.clear();
}

async function listen(s: Shared): Promise<void> {
  if (s.closed) return;
  const client = new pg.Client(s.connection);
  s.listener = client;
  const lost = (err?: Error) => {
    if (s.listener !== client) return;
    delete s.listener;
    clearInterval(s.heartbeat);
    const wasListening = s.listening;
    stopListening(s);
    // Commits made while nobody listened are unknown: everything may have changed.
    for (const listener of s.listeners) listener(undefined);
    // Told once per outage, not at every attempt to listen again.
    if (err && wasListening) s.onError(err);
    client.end().catch(() => {});
    if (!s.closed) {
      s.reconnectTimer = setTimeout(() => void listen(s), 500);
      s.reconnectTimer.unref();
    }
  };
  client.on('error', lost);
  client.on('end', () => lost());
  client.on('notification', (message) => {
    if (message.channel === CHANGE_CHANNEL) notified(s, client, message.payload, lost);
  });
  try {
    await client.connect();
    await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    if (s.listener !== client) return;
    // Whatever was cached before this point may predate a commit nobody heard of.
    s.generation++;
    s.keyCache.clear();
    s.listening = true;
    // Heartbeats renew the lease when they come back, and tell the other servers this one is
    // here (so their writes wait for its ack); a connection cut without a reset stops them,
    // and the lease runs out within LEASE_MS, and the heartbeat's query_timeout ends it.
    const beat = () => {
      const word = `hb:${++s.heartbeatCount}`;
      s.heartbeatsSent.set(word, performance.now());
      if (s.heartbeatsSent.size > 100) s.heartbeatsSent.delete(s.heartbeatsSent.keys().next().value as string);
      tell(s, client, word, lost);
    };
    beat();
    s.heartbeat = setInterval(beat, LEASE_MS / 3);
    s.heartbeat.unref();
  } catch (err) {
    lost(err as Error);
  }
}

/**
 * Makes a committed write safe to acknowledge: every other server that may answer from its
 * cache has taken in the write's notification. This store sends a fence after the commit; each
 * server that hears it acks (it heard the commit first: notifications arrive in commit order),
 * and the servers to wait for are the ones heard from within a lease when the fence comes back
 * (so any server that announced itself before the commit is counted). A server that does not
 * ack in time has lost its lease meanwhile (it no longer hears its own heartbeats), so its
 * cache is off: the wait ends with the last such lease.
 */
async function fence(s: Shared): Promise<void> {
  const started = performance.now();
  if (!s.listening) {
    // Deaf to acks: outwait every other server's lease on what it may have cached.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS + LEASE_MARGIN_MS));
    return;
  }
  const id = `fence:${++s.fenceCount}`;
  let echoed = () => {};
  const echo = new Promise<void>((resolve) => (echoed = resolve));
  const acks = new Set<string>();
  let ackedAll = () => {};
  let waitingFor: Set<string> | undefined;
  const allAcked = new Promise<void>((resolve) => (ackedAll = resolve));
  const check = () => {
    if (waitingFor && [...waitingFor].every((peer) => acks.has(peer))) ackedAll();
  };
  s.fences.set(id, {
    echoed,
    acked: (peer) => {
      acks.add(peer);
      check();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await s.pool.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, `${s.schema} ${s.writer} ${id}`]);
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, LEASE_MS + LEASE_MARGIN_MS)));
    await Promise.race([echo, deadline]);
    const now = performance.now();
    waitingFor = new Set([...s.peers].filter(([, heard]) => heard + LEASE_MS + LEASE_MARGIN_MS > now).map(([peer]) => peer));
    check();
    await Promise.race([allAcked, deadline]);
  } catch {
    // Not even the fence could be sent (the database is away): outwait the leases.
    const left = started + LEASE_MS + LEASE_MARGIN_MS - performance.now();
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  } finally {
    clearTimeout(timer);
    s.fences.delete(id);
  }
}

/** A run of a statement: rows, and how many rows it changed. */
async function query<R extends pg.QueryResultRow>(
  q: Queryable,
  statement: string | { name: string; text: string },
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  try {
    const config = typeof statement === 'string' ? { text: statement, values } : { ...statement, values };
    return await q.query<R>(config);
  } catch (err) {
    if (isUnreachable(err)) throw new DependencyTimeoutException(UNREACHABLE_MESSAGE, { cause: err });
    throw err;
  }
}

class PostgresAccess implements Store {
  constructor(
    protected readonly shared: Shared,
    /** The transaction's connection for the view a transaction's function gets; else the pool. */
    private readonly client?: pg.PoolClient,
  ) {}

  private get q(): Queryable {
    return this.client ?? this.shared.pool;
  }

  /** Waits, outside a transaction, until no transaction of this store holds it. */
  private async turn(): Promise<void> {
    if (this.client) return;
    while (this.shared.held) await this.shared.held;
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.client) return fn(this); // nested: part of the enclosing transaction
    const s = this.shared;
    while (s.held) await s.held;
    let release = () => {};
    s.held = new Promise<void>((resolve) => (release = resolve));
    try {
      let client: pg.PoolClient;
      try {
        client = await s.pool.connect();
      } catch (err) {
        if (isUnreachable(err)) throw new DependencyTimeoutException(UNREACHABLE_MESSAGE, { cause: err });
        throw err;
      }
      let broken: Error | undefined;
      try {
        await query(client, 'BEGIN');
        try {
          const result = await fn(new PostgresAccess(s, client));
          await query(client, 'COMMIT');
          await fence(s);
          return result;
        } catch (err) {
          await query(client, 'ROLLBACK').catch((rollbackFailed: Error) => (broken = rollbackFailed));
          // What was read or written inside the transaction may never have been committed.
          changed(s);
          throw err;
        }
      } finally {
        client.release(broken);
      }
    } finally {
      delete s.held;
      release();
    }
  }

  /**
   * Runs a write: the key it changes (undefined: not one key's record) is forgotten before the
   * statement and again after it, when the write is announced, whether or not it succeeded.
   * A committed write to a key is fenced (fence()) before it is acknowledged.
   */
  private async write<T>(keyId: string | undefined, body: (q: Queryable) => Promise<T>): Promise<T> {
    await this.turn();
    invalidate(this.shared, keyId);
    let result: T;
    try {
      result = await body(this.q);
    } finally {
      changed(this.shared, keyId);
    }
    if (keyId !== undefined && !this.client) await fence(this.shared);
    return result;
  }

  onChange(listener: ChangeListener): () => void {
    this.shared.listeners.add(listener);
    return () => this.shared.listeners.delete(listener);
  }

  async createKey(key: KeyRecord, material?: KeyMaterialRecord): Promise<void> {
    const insertKey = `INSERT INTO keys (${KEY_COLUMNS}) VALUES (${placeholders(KEY_COLUMNS)})`;
    if (!material) {
      await this.write(key.keyId, (q) => query(q, insertKey, keyValues(key)));
      return;
    }
    // One statement, so the key and its material commit together without a transaction's round trips.
    await this.write(key.keyId, (q) => query(
      q,
      `WITH k AS (${insertKey} RETURNING key_id, region)
       INSERT INTO key_materials (${MATERIAL_COLUMNS})
       SELECT key_id, region, $23::integer, $24::text, $25::bytea, $26::bigint, $27::text, $28::text, $29::text FROM k`,
      [...keyValues(key), ...materialValues(material).slice(2)],
    ));
  }

  async getKey(scope: Scope, keyId: string): Promise<KeyRecord | undefined> {
    await this.turn();
    const s = this.shared;
    const useCache = !this.client && cacheUsable(s);
    if (useCache) {
      // No round trip: another server's change was taken in before it was acknowledged (fence()).
      const cached = s.keyCache.get(keyId)?.get(scope.region);
      if (cached) return sameScope(cached, scope) ? copyKey(cached) : undefined;
    }
    const generation = s.generation;
    const { rows } = await query<KeyRow>(this.q, SQL.getKey, [keyId, scope.account, scope.region]);
    const row = rows[0];
    if (!row) return undefined;
    const key = keyFromRow(row);
    if (useCache && cacheUsable(s) && generation === s.generation) {
      if (s.keyCache.size >= KEY_CACHE_LIMIT) s.keyCache.clear();
      const regions = s.keyCache.get(keyId) ?? new Map<string, KeyRecord>();
      regions.set(key.region, key);
      s.keyCache.set(keyId, regions);
      return copyKey(key);
    }
    return key;
  }

  async updateKey(key: KeyRecord, expectedRevision: number): Promise<boolean> {
    const result = await this.write(key.keyId, (q) => query(
      q,
      `UPDATE keys SET description = $4, key_spec = $5, key_usage = $6, origin = $7, state = $8, deletion_date = $9,
         pending_window_days = $10, policy = $11, tags = $12, current_material_version = $13, public_key = $14,
         rotation_period_days = $16, next_rotation_date = $17, usage_tracked_since = $18, expiration_model = $19, valid_to = $20,
         primary_region = $21, revision = $15 + 1
       WHERE key_id = $1 AND account = $2 AND region = $3 AND revision = $15`,
      [
        key.keyId, key.account, key.region, key.description, key.keySpec, key.keyUsage, key.origin, key.state,
        key.deletionDate ?? null, key.pendingWindowInDays ?? null, key.policy, JSON.stringify(key.tags),
        key.currentMaterialVersion, key.publicKey ?? null, expectedRevision,
        key.rotationPeriodInDays ?? null, key.nextRotationDate ?? null, key.usageTrackedSince ?? null,
        key.expirationModel ?? null, key.validTo ?? null, key.primaryRegion ?? null,
      ],
    ));
    return result.rowCount === 1;
  }

  async deleteKey(scope: Scope, keyId: string, expectedRevision?: number): Promise<boolean> {
    const result = await this.write(keyId, (q) =>
      expectedRevision === undefined
        ? query(q, 'DELETE FROM keys WHERE key_id = $1 AND account = $2 AND region = $3', [keyId, scope.account, scope.region])
        : query(q, 'DELETE FROM keys WHERE key_id = $1 AND account = $2 AND region = $3 AND revision = $4', [
            keyId, scope.account, scope.region, expectedRevision,
          ]),
    );
    return result.rowCount === 1;
  }

  async listKeys(scope: Scope, page: PageRequest): Promise<KeyRecord[]> {
    await this.turn();
    const { rows } = await query<KeyRow>(
      this.q,
      'SELECT * FROM keys WHERE account = $1 AND region = $2 AND key_id > $3 ORDER BY key_id LIMIT $4',
      [scope.account, scope.region, page.after ?? '', page.limit],
    );
    return rows.map(keyFromRow);
  }

  async listAllKeys(page: { limit: number; after?: KeyLocation }): Promise<KeyRecord[]> {
    await this.turn();
    const { rows } = await query<KeyRow>(
      this.q,
      'SELECT * FROM keys WHERE (key_id, region) > ($1, $2) ORDER BY key_id, region LIMIT $3',
      [page.after?.keyId ?? '', page.after?.region ?? '', page.limit],
    );
    return rows.map(keyFromRow);
  }

  async keyRegions(account: string, keyId: string): Promise<KeyRecord[]> {
    await this.turn();
    const { rows } = await query<KeyRow>(this.q, 'SELECT * FROM keys WHERE key_id = $1 AND account = $2 ORDER BY region', [keyId, account]);
    return rows.map(keyFromRow);
  }

  async countKeysByState(): Promise<Record<string, number>> {
    await this.turn();
    const { rows } = await query<{ state: string; count: number }>(this.q, 'SELECT state, count(*) AS count FROM keys GROUP BY state');
    return Object.fromEntries(rows.map((row) => [row.state, Number(row.count)]));
  }

  async keysDueForDeletion(now: number, limit: number): Promise<KeyRecord[]> {
    await this.turn();
    const { rows } = await query<KeyRow>(
      this.q,
      "SELECT * FROM keys WHERE state = 'PendingDeletion' AND deletion_date <= $1 ORDER BY deletion_date LIMIT $2",
      [now, limit],
    );
    return rows.map(keyFromRow);
  }

  async getMaterial(key: KeyLocation, version: number): Promise<KeyMaterialRecord | undefined> {
    await this.turn();
    const { rows } = await query<MaterialRow>(this.q, SQL.getMaterial, [key.keyId, key.region, version]);
    return materialFromRow(rows[0]);
  }

  async addMaterial(scope: Scope, material: KeyMaterialRecord, expectedRevision: number): Promise<boolean> {
    // One statement: the insert happens only if the key moved, and the key moves only if the
    // version is new (the NOT EXISTS); the primary key settles two racing inserts of one version,
    // the loser's whole statement failing with a unique violation.
    try {
      const result = await this.write(material.keyId, (q) => query(
        q,
        `WITH moved AS (
           UPDATE keys SET current_material_version = $2, revision = revision + 1
           WHERE key_id = $1 AND account = $3 AND region = $4 AND revision = $5
             AND NOT EXISTS (SELECT 1 FROM key_materials WHERE key_id = $1 AND region = $4 AND version = $2)
           RETURNING key_id, region)
         INSERT INTO key_materials (${MATERIAL_COLUMNS})
         SELECT key_id, region, $2::integer, $6::text, $7::bytea, $8::bigint, $9::text, $10::text, $11::text FROM moved`,
        [
          material.keyId, material.version, scope.account, scope.region, expectedRevision, material.materialId, material.wrapped,
          material.createdAt, material.rotationType ?? null, material.importState ?? null, material.description ?? null,
        ],
      ));
      return result.rowCount === 1;
    } catch (err) {
      if ((err as { code?: unknown }).code === '23505') return false;
      throw err;
    }
  }

  async listMaterials(key: KeyLocation, page: { limit: number; after?: number }): Promise<KeyMaterialRecord[]> {
    await this.turn();
    const { rows } = await query<MaterialRow>(
      this.q,
      'SELECT * FROM key_materials WHERE key_id = $1 AND region = $2 AND version > $3 ORDER BY version LIMIT $4',
      [key.keyId, key.region, page.after ?? 0, page.limit],
    );
    return rows.map((row) => materialFromRow(row) as KeyMaterialRecord);
  }

  async keysDueForRotation(now: number, limit: number): Promise<KeyRecord[]> {
    await this.turn();
    const { rows } = await query<KeyRow>(
      this.q,
      "SELECT * FROM keys WHERE state = 'Enabled' AND next_rotation_date <= $1 ORDER BY next_rotation_date LIMIT $2",
      [now, limit],
    );
    return rows.map(keyFromRow);
  }

  async putMaterial(material: KeyMaterialRecord): Promise<boolean> {
    const result = await this.write(material.keyId, (q) =>
      query(
        q,
        `INSERT INTO key_materials (${MATERIAL_COLUMNS})
         SELECT $1::text, $2::text, $3::integer, $4::text, $5::bytea, $6::bigint, $7::text, $8::text, $9::text
         WHERE EXISTS (SELECT 1 FROM keys WHERE key_id = $1 AND region = $2)
         ON CONFLICT (key_id, region, version) DO UPDATE SET material_id = excluded.material_id, wrapped = excluded.wrapped,
           created_at = excluded.created_at, rotation_type = excluded.rotation_type, import_state = excluded.import_state,
           description = excluded.description`,
        materialValues(material),
      ),
    );
    return result.rowCount === 1;
  }

  async keysWithExpiredMaterial(now: number, limit: number): Promise<KeyRecord[]> {
    await this.turn();
    const { rows } = await query<KeyRow>(this.q, 'SELECT * FROM keys WHERE valid_to <= $1 ORDER BY valid_to LIMIT $2', [now, limit]);
    return rows.map(keyFromRow);
  }

  /** One statement for the batch; not announced and not fenced: a use changes no key. */
  async recordKeyUsage(usages: readonly KeyUsageRecord[]): Promise<void> {
    await this.turn();
    if (usages.length === 0) return;
    // The latest use per regional key in this batch, so one statement never touches a row twice.
    const latest = new Map<string, KeyUsageRecord>();
    for (const u of usages) {
      const id = `${u.keyId} ${u.region}`;
      const seen = latest.get(id);
      if (!seen || u.at >= seen.at) latest.set(id, u);
    }
    const batch = [...latest.values()];
    await query(
      this.q,
      `INSERT INTO key_usage (key_id, region, operation, used_at, request_id, event_id)
       SELECT u.key_id, u.region, u.operation, u.used_at, u.request_id, u.event_id
       FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[]) AS u (key_id, region, operation, used_at, request_id, event_id)
       WHERE EXISTS (SELECT 1 FROM keys WHERE key_id = u.key_id AND region = u.region)
       ON CONFLICT (key_id, region) DO UPDATE SET operation = excluded.operation, used_at = excluded.used_at, request_id = excluded.request_id, event_id = excluded.event_id
       WHERE excluded.used_at >= key_usage.used_at`,
      [batch.map((u) => u.keyId), batch.map((u) => u.region), batch.map((u) => u.operation), batch.map((u) => u.at), batch.map((u) => u.requestId), batch.map((u) => u.eventId ?? null)],
    );
  }

  async getKeyUsage(key: KeyLocation): Promise<KeyUsageRecord | undefined> {
    await this.turn();
    const { rows } = await query<UsageRow>(this.q, 'SELECT * FROM key_usage WHERE key_id = $1 AND region = $2', [key.keyId, key.region]);
    const row = rows[0];
    return row && usageFromRow(row);
  }

  /** One statement for the batch: all pairs or none. Not announced: no key changed. */
  async addReservedPairs(pairs: readonly ReservedPairRecord[]): Promise<void> {
    await this.turn();
    if (pairs.length === 0) return;
    await query(
      this.q,
      `INSERT INTO reserved_pairs (id, spec, public_key, wrapped, created_at)
       SELECT id, spec, public_key, wrapped, created_at
       FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bytea[], $5::bigint[]) WITH ORDINALITY AS p (id, spec, public_key, wrapped, created_at, n)
       ORDER BY n`,
      [pairs.map((p) => p.id), pairs.map((p) => p.spec), pairs.map((p) => p.publicKey), pairs.map((p) => p.wrapped), pairs.map((p) => p.createdAt)],
    );
  }

  /**
   * One statement: the rows it deletes are the rows it returns; SKIP LOCKED lets servers
   * claiming at once take different pairs instead of waiting for each other.
   */
  async claimReservedPairs(spec: string, limit: number): Promise<ReservedPairRecord[]> {
    await this.turn();
    if (limit <= 0) return [];
    const { rows } = await query<{ seq: number; id: string; spec: string; public_key: Buffer; wrapped: Buffer; created_at: number }>(
      this.q,
      `DELETE FROM reserved_pairs WHERE seq IN (
         SELECT seq FROM reserved_pairs WHERE spec = $1 ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [spec, limit],
    );
    return rows
      .sort((a, b) => a.seq - b.seq)
      .map((row) => ({ id: row.id, spec: row.spec, publicKey: row.public_key, wrapped: row.wrapped, createdAt: row.created_at }));
  }

  async reservedPairCounts(): Promise<Record<string, number>> {
    await this.turn();
    const { rows } = await query<{ spec: string; n: number }>(this.q, 'SELECT spec, count(*) AS n FROM reserved_pairs GROUP BY spec');
    return Object.fromEntries(rows.map((row) => [row.spec, Number(row.n)]));
  }

  async createAlias(alias: AliasRecord): Promise<boolean> {
    const result = await this.write(undefined, (q) => query(
      q,
      `INSERT INTO aliases (account, region, alias_name, target_key_id, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [alias.account, alias.region, alias.aliasName, alias.targetKeyId, alias.createdAt, alias.updatedAt],
    ));
    return result.rowCount === 1;
  }

  async getAlias(scope: Scope, aliasName: string): Promise<AliasRecord | undefined> {
    await this.turn();
    const { rows } = await query<AliasRow>(this.q, SQL.getAlias, [scope.account, scope.region, aliasName]);
    return rows[0] && aliasFromRow(rows[0]);
  }

  async updateAlias(alias: AliasRecord): Promise<boolean> {
    const result = await this.write(undefined, (q) => query(
      q,
      'UPDATE aliases SET target_key_id = $1, updated_at = $2 WHERE account = $3 AND region = $4 AND alias_name = $5',
      [alias.targetKeyId, alias.updatedAt, alias.account, alias.region, alias.aliasName],
    ));
    return result.rowCount === 1;
  }

  async deleteAlias(scope: Scope, aliasName: string): Promise<boolean> {
    const result = await this.write(undefined, (q) =>
      query(q, 'DELETE FROM aliases WHERE account = $1 AND region = $2 AND alias_name = $3', [scope.account, scope.region, aliasName]),
    );
    return result.rowCount === 1;
  }

  async listAliases(scope: Scope, page: PageRequest & { keyId?: string }): Promise<AliasRecord[]> {
    await this.turn();
    const { rows } =
      page.keyId === undefined
        ? await query<AliasRow>(
            this.q,
            'SELECT * FROM aliases WHERE account = $1 AND region = $2 AND alias_name > $3 ORDER BY alias_name LIMIT $4',
            [scope.account, scope.region, page.after ?? '', page.limit],
          )
        : await query<AliasRow>(
            this.q,
            `SELECT * FROM aliases WHERE account = $1 AND region = $2 AND target_key_id = $3 AND alias_name > $4
             ORDER BY alias_name LIMIT $5`,
            [scope.account, scope.region, page.keyId, page.after ?? '', page.limit],
          );
    return rows.map(aliasFromRow);
  }

  async createGrant(grant: GrantRecord): Promise<GrantRecord | undefined> {
    await this.turn();
    const values = grantValues(grant);
    // One statement: insert if the key is in the grant's scope, unless the same named grant exists.
    const inserted = await query<GrantRow>(
      this.q,
      `INSERT INTO grants (${GRANT_COLUMNS})
       SELECT ${GRANT_PLACEHOLDERS_TYPED} WHERE EXISTS (SELECT 1 FROM keys WHERE key_id = $2 AND account = $3 AND region = $4)
       ON CONFLICT (key_id, region, name, identity) WHERE name IS NOT NULL DO NOTHING
       RETURNING *`,
      values,
    );
    if (inserted.rows[0]) {
      changed(this.shared, grant.keyId);
      return grantFromRow(inserted.rows[0]);
    }
    if (grant.name === undefined) return undefined; // no key in that scope
    const { rows } = await query<GrantRow>(
      this.q,
      'SELECT * FROM grants WHERE key_id = $1 AND account = $2 AND region = $3 AND name = $4 AND identity = $5',
      [grant.keyId, grant.account, grant.region, grant.name, grantIdentity(grant)],
    );
    return rows[0] && grantFromRow(rows[0]);
  }

  async getGrant(scope: Scope, keyId: string, grantId: string): Promise<GrantRecord | undefined> {
    await this.turn();
    const { rows } = await query<GrantRow>(
      this.q,
      'SELECT * FROM grants WHERE grant_id = $1 AND key_id = $2 AND account = $3 AND region = $4',
      [grantId, keyId, scope.account, scope.region],
    );
    return rows[0] && grantFromRow(rows[0]);
  }

  async listGrants(scope: Scope, keyId: string, page: PageRequest & { grantId?: string; granteePrincipal?: string }): Promise<GrantRecord[]> {
    await this.turn();
    const conditions = ['key_id = $1', 'account = $2', 'region = $3', 'grant_id > $4'];
    const values: unknown[] = [keyId, scope.account, scope.region, page.after ?? ''];
    if (page.grantId !== undefined) {
      values.push(page.grantId);
      conditions.push(`grant_id = $${values.length}`);
    }
    if (page.granteePrincipal !== undefined) {
      values.push(page.granteePrincipal);
      conditions.push(`grantee_principal = $${values.length}`);
    }
    values.push(page.limit);
    const { rows } = await query<GrantRow>(
      this.q,
      `SELECT * FROM grants WHERE ${conditions.join(' AND ')} ORDER BY grant_id LIMIT $${values.length}`,
      values,
    );
    return rows.map(grantFromRow);
  }

  async listRetirableGrants(region: string, retiringPrincipal: string, page: PageRequest): Promise<GrantRecord[]> {
    await this.turn();
    const { rows } = await query<GrantRow>(
      this.q,
      'SELECT * FROM grants WHERE retiring_principal = $1 AND region = $2 AND grant_id > $3 ORDER BY grant_id LIMIT $4',
      [retiringPrincipal, region, page.after ?? '', page.limit],
    );
    return rows.map(grantFromRow);
  }

  async grantsForGrantee(scope: Scope, keyId: string, granteePrincipal: string): Promise<GrantRecord[]> {
    await this.turn();
    const { rows } = await query<GrantRow>(this.q, SQL.grantsOfGrantee, [keyId, scope.account, scope.region, granteePrincipal, '', null]);
    return rows.map(grantFromRow);
  }

  async deleteGrant(scope: Scope, keyId: string, grantId: string): Promise<boolean> {
    await this.turn();
    const result = await query(this.q, 'DELETE FROM grants WHERE grant_id = $1 AND key_id = $2 AND account = $3 AND region = $4', [
      grantId, keyId, scope.account, scope.region,
    ]);
    const deleted = result.rowCount === 1;
    if (deleted) changed(this.shared, keyId);
    return deleted;
  }

  async anyMaterial(): Promise<KeyMaterialRecord | undefined> {
    await this.turn();
    const { rows } = await query<MaterialRow>(this.q, 'SELECT * FROM key_materials LIMIT 1');
    return materialFromRow(rows[0]);
  }

  async rootKeyCheck(): Promise<string | undefined> {
    await this.turn();
    const { rows } = await query<{ value: string }>(this.q, 'SELECT value FROM settings WHERE name = $1', [ROOT_KEY_CHECK]);
    return rows[0]?.value;
  }

  async setRootKeyCheckIfAbsent(value: string): Promise<string> {
    await this.turn();
    await query(this.q, 'INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [ROOT_KEY_CHECK, value]);
    // A new statement, so a value another server committed while the insert waited is seen.
    const { rows } = await query<{ value: string }>(this.q, 'SELECT value FROM settings WHERE name = $1', [ROOT_KEY_CHECK]);
    return (rows[0] as { value: string }).value;
  }

  /**
   * VACUUM marks the space of deleted rows reusable in the tables that held key material. The
   * bytes stay in PostgreSQL's write-ahead log and base backups until they are recycled: that
   * is the operator's PostgreSQL, and its retention is theirs (README, "Several servers").
   */
  async scrubDeleted(): Promise<boolean> {
    await this.turn();
    if (this.client) return false; // VACUUM cannot run inside a transaction
    await query(this.q, 'VACUUM key_materials, keys, key_usage');
    return true;
  }

  async close(): Promise<void> {
    const s = this.shared;
    while (s.held) await s.held;
    if (s.closed) return;
    s.closed = true;
    clearTimeout(s.reconnectTimer);
    clearInterval(s.heartbeat);
    stopListening(s);
    const listener = s.listener;
    delete s.listener;
    // So the other servers' writes stop waiting for this one's acks at once.
    await listener?.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, `${s.schema} ${s.writer} bye`]).catch(() => {});
    await listener?.end().catch(() => {});
    await s.pool.end();
  }
}

/** BIGINT columns hold milliseconds since the epoch, well inside Number's exact range. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export class PostgresStore extends PostgresAccess {
  private constructor(shared: Shared) {
    super(shared);
  }

  /**
   * Connects to `url` (libpq-style, `postgres://user:pass@host:5432/db?sslmode=...`; a schema
   * other than the user's default with `options=-c search_path=<schema>`), applies pending
   * migrations under the advisory lock and starts listening for other servers' changes.
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    const statementTimeoutMs = options.statementTimeoutMs ?? 5000;
    const writer = `trent-${randomUUID()}`;
    const connection: pg.ClientConfig = {
      connectionString: url,
      application_name: writer,
      connectionTimeoutMillis: connectTimeoutMs,
      // The server cancels a statement that runs too long; the client gives up on one whose
      // answer does not come (a database that stopped answering, a cut network) a little later.
      statement_timeout: statementTimeoutMs,
      query_timeout: statementTimeoutMs + 1000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      types,
    };
    const pool = new pg.Pool({ ...connection, max: options.maxConnections ?? 10, idleTimeoutMillis: 30_000 });
    const onError = options.onError ?? (() => {});
    // A pooled connection that breaks while idle is dropped by the pool; without a listener
    // the error would end the process.
    pool.on('error', onError);
    try {
      const schema = await migrate(pool);
      const shared: Shared = {
        pool,
        schema,
        writer,
        keyCache: new Map(),
        generation: 0,
        listening: false,
        listeners: new Set(),
        closed: false,
        fences: new Map(),
        fenceCount: 0,
        leaseUntil: 0,
        heartbeatsSent: new Map(),
        heartbeatCount: 0,
        peers: new Map(),
        onError,
        connection,
      };
      await listen(shared);
      return new PostgresStore(shared);
    } catch (err) {
      await pool.end().catch(() => {});
      if (isUnreachable(err)) throw new DependencyTimeoutException(UNREACHABLE_MESSAGE, { cause: err });
      throw err;
    }
  }
}

/** Applies pending migrations once, whoever else starts now; returns the schema they live in. */
async function migrate(pool: pg.Pool): Promise<string> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS trent_migrations (
           version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query<{ version: number }>('SELECT version FROM trent_migrations');
      const applied = new Set(rows.map((r) => r.version));
      for (const migration of postgresMigrations) {
        if (applied.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO trent_migrations (version, description) VALUES ($1, $2)', [migration.version, migration.description]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      }
      const schema = await client.query<{ schema: string }>('SELECT current_schema() AS schema');
      return (schema.rows[0] as { schema: string }).schema;
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}

