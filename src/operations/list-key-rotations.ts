/**
 * ListKeyRotations: a key's material versions, oldest first. ROTATIONS_ONLY (the default) lists
 * the versions rotations made, with RotationDate and RotationType; ALL_KEY_MATERIAL adds the
 * first material and imported material pending rotation. Each entry names its KeyMaterialId and
 * KeyMaterialState (CURRENT, NON_CURRENT, or PENDING_ROTATION for imported material not yet made
 * current by RotateKeyOnDemand; for a multi-Region key PENDING_MULTI_REGION_IMPORT_AND_ROTATION
 * while the primary holds it and a replica does not), and for imported material its ImportState,
 * KeyMaterialDescription, ExpirationModel and ValidTo.
 * Paged by version with AWS's Limit (1..1000, default 100) and an opaque Marker.
 */
import { awaitsReplicaImport, isPendingRotation, materialExpiry } from '../domain/key-import.js';
import { assertRotatableKind } from '../domain/rotation.js';
import type { KeyMaterialState, RotationsListEntry } from '../kms-types.generated.js';
import type { KeyMaterialRecord, KeyRecord, Store } from '../storage/types.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';
import { markerPosition, pageLimit, pageOf } from './core/paging.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const VERSION = /^[1-9][0-9]{0,9}$/;

async function materialState(store: Store, key: KeyRecord, material: KeyMaterialRecord): Promise<KeyMaterialState> {
  if (material.version === key.currentMaterialVersion) return 'CURRENT';
  if (!isPendingRotation(key, material)) return 'NON_CURRENT';
  return (await awaitsReplicaImport(store, key, material)) ? 'PENDING_MULTI_REGION_IMPORT_AND_ROTATION' : 'PENDING_ROTATION';
}

async function entry(store: Store, key: KeyRecord, material: KeyMaterialRecord): Promise<RotationsListEntry> {
  const state = await materialState(store, key, material);
  const listed: RotationsListEntry = { KeyId: key.keyId, KeyMaterialId: material.materialId, KeyMaterialState: state };
  if (material.rotationType !== undefined) {
    listed.RotationDate = material.createdAt / 1000;
    listed.RotationType = material.rotationType;
  }
  if (material.importState !== undefined) {
    listed.ImportState = material.importState;
    if (material.description !== undefined) listed.KeyMaterialDescription = material.description;
    const expiry = materialExpiry(key, material);
    if (expiry !== undefined) {
      listed.ExpirationModel = expiry.model;
      if (expiry.validTo !== undefined) listed.ValidTo = expiry.validTo / 1000;
    }
  }
  return listed;
}

export const listKeyRotationsOperation = defineOperation('ListKeyRotations', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const key = await useKey(ctx, input.KeyId, { allowAlias: false });
  assertRotatableKind(key);
  const limit = pageLimit(input, DEFAULT_LIMIT, MAX_LIMIT);
  const after = markerPosition(input, (name) => VERSION.test(name));
  const all = input.IncludeKeyMaterial === 'ALL_KEY_MATERIAL';
  // Reads on until a page is full of listed versions: ROTATIONS_ONLY skips the first material.
  const listed: KeyMaterialRecord[] = [];
  let position = after === undefined ? undefined : Number(after);
  for (;;) {
    const batch = await ctx.services.store.listMaterials(key, { limit: limit + 1, ...(position !== undefined && { after: position }) });
    listed.push(...batch.filter((m) => all || m.rotationType !== undefined));
    if (batch.length < limit + 1 || listed.length > limit) break;
    position = (batch[batch.length - 1] as KeyMaterialRecord).version;
  }
  const page = pageOf(listed.slice(0, limit + 1), limit, (m) => String(m.version));
  return {
    Rotations: await Promise.all(page.items.map((m) => entry(ctx.services.store, key, m))),
    Truncated: page.Truncated,
    ...(page.NextMarker !== undefined && { NextMarker: page.NextMarker }),
  };
});
