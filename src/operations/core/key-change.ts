/**
 * The core of the operations that change a key named by key id or key ARN (aliases are not
 * accepted, as in AWS): EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion,
 * TagResource, UntagResource.
 */
import { updateKey } from '../../domain/key.js';
import { resolveKey } from '../../domain/key-ref.js';
import type { KeyRecord } from '../../storage/types.js';
import type { RequestContext } from '../context.js';

export async function changeKey(
  ctx: RequestContext,
  keyIdText: string,
  operation: string,
  change: (key: KeyRecord) => KeyRecord,
): Promise<KeyRecord> {
  const { store } = ctx.services;
  const key = await resolveKey(store, keyIdText, { allowAlias: false, caller: ctx.scope, action: `kms:${operation}` });
  return updateKey(store, key, key.keyId, change);
}
