/**
 * KMS keys as AWS describes them: the KeyMetadata structure of DescribeKey and CreateKey, and
 * read-modify-write of a key record under the store's optimistic revision check.
 */
import { NotFoundException } from '../errors.js';
import type { KeyRecord, Scope, Store } from '../storage/types.js';
import { arnOf, keyArn } from './arn.js';
import type { KeyMetadata } from '../kms-types.generated.js';
import { algorithmLists, keySpec } from './key-specs.js';
import { isMultiRegion, multiRegionConfiguration } from './multi-region.js';

const seconds = (ms: number): number => ms / 1000;

/**
 * The KeyMetadata of a key. `currentMaterialId` is shown as CurrentKeyMaterialId, which AWS
 * gives only for symmetric encryption keys (see `showsKeyMaterialId`). For a multi-Region key,
 * `regions` (every regional record, Store.keyRegions) gives its MultiRegionConfiguration.
 */
export function keyMetadata(key: KeyRecord, currentMaterialId: string | undefined, regions?: readonly KeyRecord[]): KeyMetadata {
  const spec = keySpec(key.keySpec);
  const metadata: KeyMetadata = {
    AWSAccountId: key.account,
    KeyId: key.keyId,
    Arn: arnOf(key),
    CreationDate: seconds(key.createdAt),
    Enabled: key.state === 'Enabled',
    Description: key.description,
    KeyUsage: key.keyUsage,
    KeyState: key.state,
    Origin: key.origin,
    KeyManager: 'CUSTOMER',
    KeySpec: key.keySpec,
    MultiRegion: isMultiRegion(key),
    ...algorithmLists(spec, key.keyUsage),
  };
  if (spec.customerMasterKeySpec !== undefined) metadata.CustomerMasterKeySpec = spec.customerMasterKeySpec;
  if (key.deletionDate !== undefined) metadata.DeletionDate = seconds(key.deletionDate);
  // AWS shows the waiting period only while a primary waits for its replicas' deletion.
  if (key.state === 'PendingReplicaDeletion' && key.pendingWindowInDays !== undefined) {
    metadata.PendingDeletionWindowInDays = key.pendingWindowInDays;
  }
  if (isMultiRegion(key)) metadata.MultiRegionConfiguration = multiRegionConfiguration(key, regions ?? [key]);
  if (key.expirationModel !== undefined) metadata.ExpirationModel = key.expirationModel;
  if (key.validTo !== undefined) metadata.ValidTo = seconds(key.validTo);
  if (currentMaterialId !== undefined && showsKeyMaterialId(key)) metadata.CurrentKeyMaterialId = currentMaterialId;
  return metadata;
}

/** AWS shows CurrentKeyMaterialId for symmetric encryption keys that have material. */
export function showsKeyMaterialId(key: KeyRecord): boolean {
  return keySpec(key.keySpec).kind === 'symmetric' && key.currentMaterialVersion > 0;
}

/**
 * Applies `change` to the stored key and writes it back, retrying when another request (or
 * another server) changed the key in between. `change` may throw to refuse the change.
 */
export async function updateKey(
  store: Store,
  scope: Scope,
  keyId: string,
  change: (key: KeyRecord) => KeyRecord,
): Promise<KeyRecord> {
  for (let attempt = 0; ; attempt++) {
    const current = await store.getKey(scope, keyId);
    if (!current) throw new NotFoundException(`Key '${keyArn(scope, keyId)}' does not exist`);
    const next = change(current);
    if (await store.updateKey(next, current.revision)) return { ...next, revision: current.revision + 1 };
    if (attempt >= 20) throw new Error(`key ${keyId} kept changing under concurrent updates`);
  }
}
