/**
 * GetParametersForImport: a fresh RSA wrapping key (RSA_2048/3072/4096, from the key-pair pool)
 * and an import token for it, valid 24 hours, for an EXTERNAL key. The token carries the
 * wrapping private key encrypted under a root-derived key (crypto/key-import.ts), so nothing is
 * stored. RSAES_PKCS1_V1_5 is refused (AWS no longer offers it), and SM2 and SM2PKE are refused
 * as AWS refuses them where SM2 is not offered: Trent cannot do SM2PKE.
 */
import type { RsaWrappingAlgorithm, RsaWrappingKeySpec } from '../crypto/key-import.js';
import { arnOf, isChinaRegion } from '../domain/arn.js';
import { assertParametersAvailable, IMPORT_PARAMETERS_VALID_MS } from '../domain/key-import.js';
import { dataKeyPairSpec } from '../domain/key-specs.js';
import { messages, UnsupportedOperationException } from '../errors.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';

export const getParametersForImportOperation = defineOperation('GetParametersForImport', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const key = await useKey(ctx, input.KeyId, { allowAlias: false });
  assertParametersAvailable(key);
  if (input.WrappingKeySpec === 'SM2' || input.WrappingAlgorithm === 'SM2PKE') {
    const servedHere = isChinaRegion(ctx.scope.region) || ctx.services.config.allowSm2Everywhere;
    throw new UnsupportedOperationException(servedHere ? messages.algorithmNotServed('SM2PKE') : messages.sm2OutsideChina);
  }
  if (input.WrappingAlgorithm === 'RSAES_PKCS1_V1_5') throw new UnsupportedOperationException(messages.pkcs1Deprecated);
  const algorithm = input.WrappingAlgorithm as RsaWrappingAlgorithm;
  const spec = input.WrappingKeySpec as RsaWrappingKeySpec;
  const pair = await ctx.services.keyPairs.take(spec, dataKeyPairSpec(spec).params);
  const validTo = ctx.services.clock.now() + IMPORT_PARAMETERS_VALID_MS;
  try {
    const token = ctx.services.materials.importer.issue({ account: key.account, region: key.region, keyId: key.keyId, algorithm, spec, validTo, privateKey: pair.privateKey });
    return { KeyId: arnOf(key), ImportToken: token, PublicKey: pair.publicKey, ParametersValidTo: validTo / 1000 };
  } finally {
    pair.privateKey.fill(0);
  }
});
