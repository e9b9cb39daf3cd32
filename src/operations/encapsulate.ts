/**
 * Encapsulate: a fresh 32-byte shared secret and its ML-KEM ciphertext (768, 1088 or 1568 bytes)
 * under the public key of an ML_KEM_* key (ENCAPSULATE_DECAPSULATE), as the newest AWS API does.
 */
import { encapsulate } from '../crypto/ml-kem.js';
import { arnOf } from '../domain/arn.js';
import { encapsulationAlgorithm } from '../domain/key-specs.js';
import { defineOperation } from './context.js';
import { resolveKeyFor, supported } from './core/key-operations.js';
import { finishDryRun } from './core/symmetric.js';

export const encapsulateOperation = defineOperation('Encapsulate', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const { key, spec } = await resolveKeyFor(ctx, input.KeyId, 'ENCAPSULATE_DECAPSULATE');
  const algorithm = supported(encapsulationAlgorithm(spec, key.keyUsage, input.EncapsulationAlgorithm), input.EncapsulationAlgorithm, spec);
  finishDryRun(input.DryRun);
  const { ciphertext, sharedSecret } = encapsulate(ctx.services.materials.publicKey(key));
  return { KeyId: arnOf(key), SharedSecret: sharedSecret, SharedSecretCiphertextBlob: ciphertext, EncapsulationAlgorithm: algorithm.name };
});
