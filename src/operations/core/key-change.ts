/**
 * The core of the operations that change a key named by key id or key ARN (aliases are not
 * accepted, as in AWS): EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion,
 * TagResource, UntagResource. The key is resolved and authorized once, then changed under the
 * store's optimistic revision check (domain/key.ts).
 */
import type { AccessFacts } from '../../domain/access.js';
import { updateKey } from '../../domain/key.js';
import type { KeyRecord } from '../../storage/types.js';
import type { RequestContext } from '../context.js';
import { useKey } from './keys.js';

export async function changeKey(
  ctx: RequestContext,
  keyIdText: string,
  change: (key: KeyRecord) => KeyRecord,
  facts: AccessFacts = {},
): Promise<KeyRecord> {
  const key = await useKey(ctx, keyIdText, { allowAlias: false, facts });
  return updateKey(ctx.services.store, key, key.keyId, change);
}
