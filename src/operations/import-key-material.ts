/**
 * ImportKeyMaterial: key material (secret bytes, or an asymmetric key's PKCS#8 private key,
 * crypto/key-import.ts) wrapped under GetParametersForImport's public key (RSAES_OAEP_SHA_1/256,
 * RSA_AES_KEY_WRAP_SHA_1/256, or SM2PKE with an SM2 wrapping key: the token says which), with
 * ExpirationModel (default
 * KEY_MATERIAL_EXPIRES, which needs ValidTo, at most 365 days ahead), ImportType,
 * KeyMaterialDescription and KeyMaterialId (domain/key-import.ts). A first import, or the last
 * missing material imported again, makes the key Enabled; NEW_KEY_MATERIAL into a symmetric key
 * that has material stores it pending an on-demand rotation (RotateKeyOnDemand makes it current);
 * into a multi-Region primary, its replicas learn of it and take it with EXISTING_KEY_MATERIAL.
 * Token faults: InvalidImportTokenException (not ours, or for another key) and
 * ExpiredImportTokenException; material that does not unwrap: InvalidCiphertextException.
 */
import { importedKeyPair, unwrapImported } from '../crypto/key-import.js';
import { arnOf } from '../domain/arn.js';
import { announcePendingToReplicas, assertExternal, checkExpiry, importShape, importTarget, keyAfterImport } from '../domain/key-import.js';
import { keySpec } from '../domain/key-specs.js';
import {
  ExpiredImportTokenException,
  InvalidCiphertextException,
  InvalidImportTokenException,
  messages,
  ValidationException,
} from '../errors.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';

export const importKeyMaterialOperation = defineOperation('ImportKeyMaterial', { readOnly: false, resources: ['key'] }, async (input, ctx) => {
  const key = await useKey(ctx, input.KeyId, { allowAlias: false });
  assertExternal(key);
  const shape = importShape(key);
  // AWS: these three are only usable with symmetric encryption keys.
  if (keySpec(key.keySpec).kind !== 'symmetric' && (input.ImportType ?? input.KeyMaterialId ?? input.KeyMaterialDescription) !== undefined) {
    throw new ValidationException(messages.symmetricImportOnly);
  }
  const now = ctx.services.clock.now();
  const model = input.ExpirationModel ?? 'KEY_MATERIAL_EXPIRES';
  const validTo = checkExpiry(model, input.ValidTo, now);

  const { importer } = ctx.services.materials;
  const claims = importer.open(input.ImportToken);
  if (!claims || claims.keyId !== key.keyId || claims.account !== key.account || claims.region !== key.region) {
    throw new InvalidImportTokenException(messages.invalidImportToken);
  }
  if (claims.validTo <= now) throw new ExpiredImportTokenException(messages.expiredImportToken);
  const unwrapped = unwrapImported(claims, input.EncryptedKeyMaterial);
  claims.privateKey.fill(0);
  if (!unwrapped) throw new InvalidCiphertextException('');
  let material = unwrapped;
  let publicKey: Buffer | undefined;
  try {
    if (shape.kind === 'secret' && (material.length < shape.min || material.length > shape.max)) {
      throw new ValidationException(messages.importMaterialLength(key.keySpec, shape));
    }
    if (shape.kind === 'key-pair') {
      const pair = importedKeyPair(shape.params, material);
      if (!pair) throw new ValidationException(messages.importNotPrivateKey(key.keySpec));
      material = pair.pkcs8;
      publicKey = pair.spki;
    }
    const computedId = importer.materialId(key.keyId, material);
    const request = { importType: input.ImportType, materialId: input.KeyMaterialId, expirationModel: model };
    const materialId = await ctx.services.store.transaction(async (tx) => {
      const current = await tx.getKey(key, key.keyId);
      if (!current) throw new Error(`key ${key.keyId} was deleted during its import`);
      const versions = await tx.listMaterials(current, { limit: 10_000 });
      const target = importTarget(current, versions, computedId, request);
      const description = input.KeyMaterialDescription ?? target.existing?.description;
      const record = {
        ...ctx.services.materials.wrap(current, target.version, material, target.existing?.createdAt ?? now, computedId),
        importState: 'IMPORTED' as const,
        ...(target.existing?.rotationType !== undefined && { rotationType: target.existing.rotationType }),
        ...(description !== undefined && { description }),
      };
      await tx.putMaterial(record);
      // New material pending rotation: a multi-Region primary's replicas learn its KeyMaterialId.
      if (!target.first && target.existing === undefined) await announcePendingToReplicas(tx, current, record);
      const next = keyAfterImport(current, versions, target, model, validTo, publicKey);
      // Material pending rotation leaves the key record as it was, but its revision moves: a
      // RotateKeyOnDemand racing this import (another server) then fails instead of undoing it.
      if (!(await tx.updateKey(next, current.revision))) throw new Error(`key ${key.keyId} changed inside its import's transaction`);
      return record.materialId;
    });
    return { KeyId: arnOf(key), KeyMaterialId: materialId };
  } finally {
    unwrapped.fill(0);
    material.fill(0);
  }
});
