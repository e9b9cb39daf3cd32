/**
 * DeleteImportedKeyMaterial: the key's imported material (the current one, or the one
 * KeyMaterialId names, which must be it) is deleted at once and the key becomes PendingImport;
 * importing the same material again restores it (domain/key-import.ts).
 */
import { arnOf } from '../domain/arn.js';
import { assertExternal, deleteImportedMaterial } from '../domain/key-import.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';

export const deleteImportedKeyMaterialOperation = defineOperation('DeleteImportedKeyMaterial', { readOnly: false, resources: ['key'] }, async (input, ctx) => {
  const key = await useKey(ctx, input.KeyId, { allowAlias: false });
  assertExternal(key);
  const materialId = await deleteImportedMaterial(ctx.services.store, key, input.KeyMaterialId);
  return { KeyId: arnOf(key), KeyMaterialId: materialId };
});
