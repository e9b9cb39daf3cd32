/**
 * What every operation handler receives: the request's scope (account and region from the SigV4
 * credential scope, or the defaults) and the server's services.
 */
import type { Logger } from 'pino';
import type { KeyPairPool } from '../crypto/key-pair-pool.js';
import type { Clock } from '../domain/clock.js';
import type { KeyMaterials } from '../domain/key-material.js';
import type { Scope, Store } from '../storage/types.js';

export interface ServiceConfig {
  defaultAccount: string;
  defaultRegion: string;
  /** AWS offers SM2 only in China Regions; a self-hosted server may allow it everywhere. */
  allowSm2Everywhere: boolean;
}

export interface Services {
  store: Store;
  materials: KeyMaterials;
  keyPairs: KeyPairPool;
  clock: Clock;
  config: ServiceConfig;
  logger: Logger;
}

export interface RequestContext {
  requestId: string;
  scope: Scope;
  accessKeyId?: string;
  services: Services;
}

export interface Operation<Input = never> {
  /** The AWS operation name, as in `X-Amz-Target: TrentService.<name>`. */
  name: string;
  handle(input: Input, ctx: RequestContext): Promise<object>;
}

/** Declares an operation; the input type is what the model's validation guarantees. */
export function defineOperation<Input>(
  name: string,
  handle: (input: Input, ctx: RequestContext) => Promise<object>,
): Operation<Input> {
  return { name, handle };
}
