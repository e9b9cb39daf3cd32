/** DescribeKey: the KeyMetadata of a key named in any identifier form. */
import { keyMetadata } from '../domain/key.js';
import { resolveKey } from '../domain/key-ref.js';
import { defineOperation } from './context.js';

interface DescribeKeyInput {
  KeyId: string;
  GrantTokens?: string[];
}

export const describeKeyOperation = defineOperation<DescribeKeyInput>('DescribeKey', async (input, ctx) => {
  const key = await resolveKey(ctx.services.store, input.KeyId, { allowAlias: true, caller: ctx.scope, action: 'kms:DescribeKey' });
  let materialId: string | undefined;
  if (key.keySpec === 'SYMMETRIC_DEFAULT' && key.currentMaterialVersion > 0) {
    materialId = await ctx.services.materials.materialId(key.keyId, key.currentMaterialVersion);
  }
  return { KeyMetadata: keyMetadata(key, materialId) };
});
