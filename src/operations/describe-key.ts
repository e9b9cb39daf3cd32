/**
 * DescribeKey: the KeyMetadata of a key named in any identifier form; for a multi-Region key,
 * its MultiRegionConfiguration from every regional record.
 */
import { keyMetadata, showsKeyMaterialId } from '../domain/key.js';
import { regionalRecords } from '../domain/multi-region.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';

export const describeKeyOperation = defineOperation('DescribeKey', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const key = await useKey(ctx, input.KeyId, { allowAlias: true });
  const materialId = showsKeyMaterialId(key)
    ? await ctx.services.materials.materialId(key, key.currentMaterialVersion)
    : undefined;
  return { KeyMetadata: keyMetadata(key, materialId, await regionalRecords(ctx.services.store, key)) };
});
