/**
 * GetParametersForImport: a fresh wrapping key and an import token for it, valid 24 hours, for
 * an EXTERNAL key: an RSA key pair (RSA_2048/3072/4096) for the RSAES_OAEP and RSA_AES_KEY_WRAP
 * algorithms, or, where SM2 is served, an SM2 key pair for SM2PKE (domain/key-import.ts
 * `wrappingParameters` pairs them as AWS does). Both come from the key-pair pool; PublicKey is
 * the pair's DER SubjectPublicKeyInfo. The token carries the wrapping private key encrypted under
 * a root-derived key (crypto/key-import.ts), so nothing is stored.
 */
import { arnOf, isChinaRegion } from '../domain/arn.js';
import { assertParametersAvailable, IMPORT_PARAMETERS_VALID_MS, wrappingParameters } from '../domain/key-import.js';
import { dataKeyPairSpec } from '../domain/key-specs.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';

export const getParametersForImportOperation = defineOperation('GetParametersForImport', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const key = await useKey(ctx, input.KeyId, { allowAlias: false });
  assertParametersAvailable(key);
  const sm2Served = isChinaRegion(ctx.scope.region) || ctx.services.config.allowSm2Everywhere;
  const { algorithm, spec } = wrappingParameters(key, input.WrappingAlgorithm, input.WrappingKeySpec, sm2Served);
  const pair = await ctx.services.keyPairs.take(spec, dataKeyPairSpec(spec).params);
  const validTo = ctx.services.clock.now() + IMPORT_PARAMETERS_VALID_MS;
  try {
    const token = ctx.services.materials.importer.issue({ account: key.account, region: key.region, keyId: key.keyId, algorithm, spec, validTo, privateKey: pair.privateKey });
    return { KeyId: arnOf(key), ImportToken: token, PublicKey: pair.publicKey, ParametersValidTo: validTo / 1000 };
  } finally {
    pair.privateKey.fill(0);
  }
});
