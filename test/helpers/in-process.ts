/**
 * Drives the app in-process (no socket) with a memory store and a manual clock, for fast,
 * table-driven tests of the protocol and the operations. `call()` sends any body; `ok()`,
 * `error()` and `createKey()` are the conveniences the operation tables share.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Certificate } from '../../src/crypto/certificate-chain.js';
import { pino, type Logger } from 'pino';
import { generateKeyPair } from '../../src/crypto/asymmetric.js';
import { GrantTokenSigner } from '../../src/crypto/grant-token.js';
import { KeyPairPool } from '../../src/crypto/key-pair-pool.js';
import { RootKey } from '../../src/crypto/root-key.js';
import { accessControlFor } from '../../src/domain/access.js';
import { loadAttestationRoots } from '../../src/domain/attestation-roots.js';
import { ManualClock } from '../../src/domain/clock.js';
import { Identities, type AccountConfig } from '../../src/domain/identities.js';
import { KeyMaterials } from '../../src/domain/key-material.js';
import { KeyUsageTracker } from '../../src/domain/key-usage.js';
import type { Services } from '../../src/operations/context.js';
import { createKmsApp, type App } from '../../src/server/app.js';
import type { AuditLog } from '../../src/server/audit-log.js';
import { MemoryStore } from '../../src/storage/memory.js';
import type { Store } from '../../src/storage/types.js';
import { signedRequest, type Credentials } from './sigv4.js';

export interface CallOptions {
  /** The region, sent in a SigV4 credential scope; unsigned requests get the default region. */
  region?: string;
  /** Sign the request with these credentials at the app's clock time (authenticated mode). */
  as?: Credentials;
}

export interface CallResult {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/** An AWS error as the wire carries it: the HTTP status and the body's two members. */
export interface WireError {
  status: number;
  __type: unknown;
  message: unknown;
}

export interface CreatedKey {
  keyId: string;
  /** The Region the key was created in (its ARN's): with keyId, where the store keeps it. */
  region: string;
  arn: string;
  /** CurrentKeyMaterialId: only symmetric encryption keys with material have one. */
  materialId: string | undefined;
}

export interface TestApp {
  app: App;
  services: Services;
  clock: ManualClock;
  /** Calls an operation with a JSON body (an object, or a string sent as it is). */
  call(operation: string, body: unknown, options?: CallOptions): Promise<CallResult>;
  /** Calls an operation that must succeed (HTTP 200) and returns its response body. */
  ok(operation: string, body: unknown, options?: CallOptions): Promise<Record<string, unknown>>;
  /** Calls an operation that must fail; its body must hold exactly `__type` and `message`. */
  error(operation: string, body: unknown, options?: CallOptions): Promise<WireError>;
  /** CreateKey with `body`, which must succeed. */
  createKey(body?: Record<string, unknown>, options?: CallOptions): Promise<CreatedKey>;
}

/** The account every request of the test app acts in (development mode's default account). */
export const ACCOUNT = '111122223333';

/** The ARN of a key, and of an alias, of ACCOUNT in a region of the aws partition. */
export const keyArn = (keyId: string, region = 'us-east-1'): string => `arn:aws:kms:${region}:${ACCOUNT}:key/${keyId}`;
export const aliasArn = (aliasName: string, region = 'us-east-1'): string => `arn:aws:kms:${region}:${ACCOUNT}:${aliasName}`;

/** The error a client fault gives: HTTP 400 and exactly this body. */
export const clientError = (__type: string, message: string): WireError => ({ status: 400, __type, message });

/** Base64 of text or bytes, as the JSON protocol carries blobs. */
export const b64 = (bytes: Buffer | Uint8Array | string): string => Buffer.from(bytes).toString('base64');

export interface TestAppOptions {
  store?: Store;
  allowSm2Everywhere?: boolean;
  /** Accounts to verify signatures against: an authenticated-mode app (test/helpers/sigv4.ts signs for it). */
  accounts?: AccountConfig[];
  /** Where audit records go, and whether a request fails when its record cannot be written. */
  auditLog?: AuditLog;
  auditLogRequired?: boolean;
  /** The services' logger (silent unless given). */
  logger?: Logger;
  /** The roots attestation documents must chain to (default: AWS's, as a server). */
  attestationRoots?: readonly Certificate[];
}

export function createTestApp(options: TestAppOptions = {}): TestApp {
  const store = options.store ?? new MemoryStore();
  const clock = new ManualClock();
  const identities = options.accounts ? new Identities(options.accounts) : undefined;
  const rootKey = RootKey.fromBytes(randomBytes(32));
  const services: Services = {
    store,
    materials: new KeyMaterials(store, rootKey),
    // Never flushed on a timer here: a test flushes when it wants the store to hold the uses.
    keyUsage: new KeyUsageTracker(store, clock),
    keyPairs: new KeyPairPool([], generateKeyPair, 1),
    grantTokenSigner: GrantTokenSigner.fromRootKey(rootKey),
    access: accessControlFor(store, clock, identities),
    clock,
    attestationRoots: options.attestationRoots ?? loadAttestationRoots(undefined),
    config: { defaultAccount: ACCOUNT, defaultRegion: 'us-east-1', allowSm2Everywhere: options.allowSm2Everywhere ?? false },
    logger: options.logger ?? pino({ level: 'silent' }),
  };
  const app = createKmsApp(services, {
    ...(identities && { identities }),
    ...(options.auditLog && { auditLog: options.auditLog }),
    ...(options.auditLogRequired !== undefined && { auditLogRequired: options.auditLogRequired }),
  });

  const call: TestApp['call'] = async (operation, body, callOptions = {}) => {
    if (callOptions.as) {
      const signed = await signedRequest({
        operation,
        body,
        credentials: callOptions.as,
        date: clock.now(),
        ...(callOptions.region !== undefined && { region: callOptions.region }),
      });
      const response = await app.handle(signed);
      return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown>, headers: response.headers };
    }
    const headers: Record<string, string> = {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `TrentService.${operation}`,
    };
    if (callOptions.region !== undefined) {
      headers['authorization'] =
        `AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/${callOptions.region}/kms/aws4_request, SignedHeaders=host, Signature=00`;
    }
    const response = await app.handle({
      method: 'POST',
      path: '/',
      headers,
      body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    });
    return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown>, headers: response.headers };
  };

  const ok: TestApp['ok'] = async (operation, body, callOptions) => {
    const response = await call(operation, body, callOptions);
    assert.equal(response.status, 200, `${operation}: ${JSON.stringify(response.body)}`);
    return response.body;
  };

  return {
    app,
    services,
    clock,
    call,
    ok,
    async error(operation, body, callOptions) {
      const response = await call(operation, body, callOptions);
      assert.deepEqual(Object.keys(response.body).sort(), ['__type', 'message'], `${operation} answered ${response.status}: ${JSON.stringify(response.body)}`);
      return { status: response.status, __type: response.body.__type, message: response.body.message };
    },
    async createKey(body = {}, callOptions) {
      const metadata = (await ok('CreateKey', body, callOptions)).KeyMetadata as { KeyId: string; Arn: string; CurrentKeyMaterialId?: string };
      const region = metadata.Arn.split(':')[3] as string;
      return { keyId: metadata.KeyId, region, arn: metadata.Arn, materialId: metadata.CurrentKeyMaterialId };
    },
  };
}
