/**
 * GetPublicKey: the DER SubjectPublicKeyInfo of an asymmetric KMS key, with its KeySpec, KeyUsage
 * and the algorithm lists AWS returns for that spec and usage. Only the public half ever leaves
 * Trent; symmetric and HMAC keys have none (UnsupportedOperationException, as AWS).
 */
import { arnOf } from '../domain/arn.js';
import { algorithmLists, keyPairParams, keySpec } from '../domain/key-specs.js';
import { assertUsable } from '../domain/key-state.js';
import { messages, UnsupportedOperationException } from '../errors.js';
import type { GetPublicKeyResponse } from '../kms-types.generated.js';
import { defineOperation } from './context.js';
import { useKey } from './core/keys.js';

export const getPublicKeyOperation = defineOperation('GetPublicKey', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const key = await useKey(ctx, input.KeyId, { allowAlias: true });
  assertUsable(key);
  const spec = keySpec(key.keySpec);
  if (keyPairParams(spec) === undefined || key.publicKey === undefined) {
    throw new UnsupportedOperationException(messages.noPublicKey(arnOf(key), key.keySpec));
  }
  // GetPublicKeyResponse has no MacAlgorithms: no key with a public key has any.
  const { EncryptionAlgorithms, SigningAlgorithms, KeyAgreementAlgorithms, EncapsulationAlgorithms } = algorithmLists(spec, key.keyUsage);
  const output: GetPublicKeyResponse = {
    KeyId: arnOf(key),
    PublicKey: key.publicKey,
    KeySpec: key.keySpec,
    KeyUsage: key.keyUsage,
    ...(EncryptionAlgorithms && { EncryptionAlgorithms }),
    ...(SigningAlgorithms && { SigningAlgorithms }),
    ...(KeyAgreementAlgorithms && { KeyAgreementAlgorithms }),
    ...(EncapsulationAlgorithms && { EncapsulationAlgorithms }),
  };
  if (spec.customerMasterKeySpec !== undefined) output.CustomerMasterKeySpec = spec.customerMasterKeySpec;
  return output;
});
