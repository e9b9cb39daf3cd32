/**
 * The core of the grant operations (CreateGrant, ListGrants, ListRetirableGrants, RetireGrant,
 * RevokeGrant): a grant as ListGrants shows it, a GrantId checked and looked up on its key, and
 * the paging of grant lists (by grant id, Limit 1..100, default 50, as AWS documents).
 */
import { arnOf } from '../../domain/arn.js';
import { isWellFormedGrantId } from '../../domain/grants.js';
import { InvalidGrantIdException, messages, NotFoundException } from '../../errors.js';
import type { GrantListEntry } from '../../kms-types.generated.js';
import type { GrantRecord, KeyRecord, Store } from '../../storage/types.js';
import { markerPosition, pageLimit, pageOf, type PageInput } from './paging.js';

/** A grant as ListGrants and ListRetirableGrants return it: CreationDate in seconds, the key's ARN. */
export function grantListEntry(grant: GrantRecord): GrantListEntry {
  const entry: GrantListEntry = {
    KeyId: arnOf(grant),
    GrantId: grant.grantId,
    CreationDate: grant.createdAt / 1000,
    GranteePrincipal: grant.granteePrincipal,
    IssuingAccount: grant.issuingAccount,
    Operations: [...grant.operations],
  };
  if (grant.name !== undefined) entry.Name = grant.name;
  if (grant.retiringPrincipal !== undefined) entry.RetiringPrincipal = grant.retiringPrincipal;
  if (grant.constraints !== undefined) entry.Constraints = { ...grant.constraints };
  if (grant.granteeServicePrincipal !== undefined) entry.GranteeServicePrincipal = grant.granteeServicePrincipal;
  if (grant.retiringServicePrincipal !== undefined) entry.RetiringServicePrincipal = grant.retiringServicePrincipal;
  return entry;
}

/** A GrantId the request gives: InvalidGrantIdException unless it has the form of one. */
export function checkGrantId(grantId: string): string {
  if (!isWellFormedGrantId(grantId)) throw new InvalidGrantIdException(messages.invalidGrantId(grantId));
  return grantId;
}

/** The grant `grantId` names on `key`: NotFoundException when there is none (any more). */
export async function grantOfKey(store: Store, key: KeyRecord, grantId: string): Promise<GrantRecord> {
  const grant = await store.getGrant(key, key.keyId, checkGrantId(grantId));
  if (!grant) throw new NotFoundException(messages.grantNotFound(grantId, arnOf(key)));
  return grant;
}

/** One page of grants: `list` is asked for limit + 1 after the marker's grant id. */
export async function grantPage(
  input: PageInput,
  list: (page: { limit: number; after?: string }) => Promise<GrantRecord[]>,
): Promise<{ Grants: GrantListEntry[]; Truncated: boolean; NextMarker?: string }> {
  const limit = pageLimit(input, 50, 100);
  const after = markerPosition(input, isWellFormedGrantId);
  const page = pageOf(await list({ limit: limit + 1, ...(after !== undefined && { after }) }), limit, (g) => g.grantId);
  return {
    Grants: page.items.map(grantListEntry),
    Truncated: page.Truncated,
    ...(page.NextMarker !== undefined && { NextMarker: page.NextMarker }),
  };
}
