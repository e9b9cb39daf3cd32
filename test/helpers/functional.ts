/**
 * The one set-up of the functional suite: a Trent server to drive over HTTP with real clients.
 *
 * By default each file (or suite) spawns its own server (spawn-server.ts). With
 * TRENT_TEST_ENDPOINT set (e.g. http://127.0.0.1:4599), the tests that only need an endpoint run
 * against that server instead, so the same suite can judge a server started elsewhere or another
 * KMS (STYLE.md habit 14, as local-kms's suite can face real AWS); the suites that need a server
 * of their own (restart, kill, data dir, logs, configuration, pool sizes) skip and say why
 * (`needsOwnServer`). Tests run against an endpoint may find what earlier runs left there, so
 * they name their aliases with `uniqueAlias` and never assume an empty region.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { CreateKeyCommand, type CreateKeyCommandInput, type KeyMetadata, type KMSClient } from '@aws-sdk/client-kms';
import { kmsClient } from './clients.js';
import { removeDataDir, spawnServer, type SpawnedServer } from './spawn-server.js';

/** The server the functional tests are aimed at, if not one they spawn. */
export const TEST_ENDPOINT: string | undefined = process.env.TRENT_TEST_ENDPOINT || undefined;

/** The account of a Trent server in development mode, in every ARN the tests expect. */
export const ACCOUNT = '111122223333';

/**
 * The `skip` option of a suite (or the argument of a test's `t.skip()`) that needs a server
 * this suite spawns: false when it spawns servers, else the reason, which node:test prints.
 */
export function needsOwnServer(why: string): string | false {
  return TEST_ENDPOINT === undefined ? false : `needs a server this suite spawns: ${why}`;
}

export interface FunctionalServer {
  readonly url: string;
  /** A client of us-east-1. */
  readonly kms: KMSClient;
  /** A client of `region`, made once and destroyed after the tests. */
  client(region: string): KMSClient;
}

export interface OwnServer extends FunctionalServer {
  readonly spawned: SpawnedServer;
}

class Clients {
  private readonly byRegion = new Map<string, KMSClient>();
  constructor(readonly url: string) {}
  client(region: string): KMSClient {
    let client = this.byRegion.get(region);
    if (!client) {
      client = kmsClient(this.url, region);
      this.byRegion.set(region, client);
    }
    return client;
  }
  destroy(): void {
    for (const client of this.byRegion.values()) client.destroy();
    this.byRegion.clear();
  }
}

/**
 * Hooks of the calling file or suite: `start()` then `then()` before its tests, `start()`'s
 * `stop()` after them.
 */
function setUpAround<T>(start: () => Promise<{ value: T; stop: () => Promise<void> }>, then?: () => Promise<void> | undefined): () => T {
  let value: T | undefined;
  let stop: (() => Promise<void>) | undefined;
  before(async () => {
    ({ value, stop } = await start());
    await then?.();
  });
  after(async () => {
    await stop?.();
  });
  return () => {
    assert.ok(value !== undefined, 'the server is set up in before()');
    return value;
  };
}

function serverOf(current: () => Clients): FunctionalServer {
  return {
    get url() {
      return current().url;
    },
    get kms() {
      return current().client('us-east-1');
    },
    client: (region) => current().client(region),
  };
}

function endpoint(url: string): { value: Clients; stop: () => Promise<void> } {
  const clients = new Clients(url);
  return { value: clients, stop: async () => clients.destroy() };
}

async function spawned(env: Record<string, string> | undefined): Promise<{ value: Clients & { spawned: SpawnedServer }; stop: () => Promise<void> }> {
  const server = await spawnServer(env ? { env } : {});
  const clients = Object.assign(new Clients(server.url), { spawned: server });
  return {
    value: clients,
    async stop() {
      clients.destroy();
      await server.stop();
      removeDataDir(server.dataDir);
    },
  };
}

export interface ServerOptions {
  /** Environment on top of spawn-server.ts's defaults, for a spawned server only. */
  env?: Record<string, string>;
  /**
   * Runs once the server is up, in the same hook: Node 20 runs a file's top-level `before`
   * hooks concurrently, so a second one could not count on the server.
   */
  setUp?: (server: FunctionalServer) => Promise<void>;
}

/**
 * The server for the tests of the calling file or suite: TRENT_TEST_ENDPOINT, or one spawned
 * (with `env`) in `before` and stopped, its data dir removed, in `after`.
 */
export function useServer(options: ServerOptions = {}): FunctionalServer {
  const server = serverOf(
    setUpAround<Clients>(
      async () => (TEST_ENDPOINT === undefined ? spawned(options.env) : endpoint(TEST_ENDPOINT)),
      () => options.setUp?.(server),
    ),
  );
  return server;
}

/**
 * A server this suite spawns, with `env` on top of spawn-server.ts's defaults, for tests that
 * need its process, data dir, logs or configuration. Its suite must skip with
 * `needsOwnServer(...)` when TRENT_TEST_ENDPOINT is set (a skipped suite sets nothing up).
 */
export function useOwnServer(options: Pick<ServerOptions, 'env'> = {}): OwnServer {
  const current = setUpAround(() => spawned(options.env));
  return Object.defineProperty(serverOf(current), 'spawned', { get: () => current().spawned }) as OwnServer;
}

/** Run-unique, so that a test run against a long-lived endpoint never meets an earlier run's. */
const RUN = randomBytes(4).toString('hex');

/** `alias/<name>-<run>`: an alias name no earlier run has used. */
export function uniqueAlias(name: string): string {
  return `alias/${name}-${RUN}`;
}

/** CreateKey, which must answer with a key id and ARN. */
export async function createKey(kms: KMSClient, input: CreateKeyCommandInput = {}): Promise<KeyMetadata & { KeyId: string; Arn: string }> {
  const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand(input));
  assert.ok(metadata?.KeyId && metadata.Arn, 'CreateKey returned no KeyMetadata.KeyId and Arn');
  return metadata as KeyMetadata & { KeyId: string; Arn: string };
}

export function keyArn(keyId: string, region = 'us-east-1', partition = 'aws'): string {
  return `arn:${partition}:kms:${region}:${ACCOUNT}:key/${keyId}`;
}

export function aliasArn(aliasName: string, region = 'us-east-1'): string {
  return `arn:aws:kms:${region}:${ACCOUNT}:${aliasName}`;
}

interface Page {
  NextMarker?: string | undefined;
  Truncated?: boolean | undefined;
}

/**
 * Every page of a List* operation, following NextMarker from the first page on; `entries` reads
 * a page's entries. Checks AWS's paging contract on the way: every page but the last is
 * Truncated with a NextMarker and holds `limit` entries; the last is neither.
 */
export async function allPages<P extends Page, E>(
  fetchPage: (marker: string | undefined) => Promise<P>,
  entries: (page: P) => E[] | undefined,
  limit: number,
): Promise<{ pages: P[]; entries: E[] }> {
  const pages: P[] = [];
  let marker: string | undefined;
  do {
    const page = await fetchPage(marker);
    pages.push(page);
    marker = page.NextMarker;
    assert.ok(pages.length <= 1000, 'paging does not end');
  } while (marker !== undefined);
  const all = pages.flatMap((page) => entries(page) ?? []);
  const lastSize = all.length - (pages.length - 1) * limit;
  assert.deepEqual(
    pages.map((page) => [entries(page)?.length, page.Truncated, page.NextMarker !== undefined]),
    pages.map((_, i) => (i < pages.length - 1 ? [limit, true, true] : [lastSize, false, false])),
    'pages of Limit entries, Truncated with a NextMarker, then a last page without',
  );
  assert.ok(lastSize >= 0 && lastSize <= limit, `the last page holds ${lastSize} entries`);
  return { pages, entries: all };
}
