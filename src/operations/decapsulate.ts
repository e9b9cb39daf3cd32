/**
 * Decapsulate: the shared secret of an ML-KEM ciphertext, with the private key of an ML_KEM_* key.
 * As AWS (and FIPS 203), only a ciphertext of the wrong length is an error
 * (InvalidCiphertextException); any other ciphertext yields a 32-byte value, the real secret or
 * ML-KEM's implicit rejection, so the answer is never an oracle on the ciphertext.
 */
import { ciphertextLength, decapsulate } from '../crypto/ml-kem.js';
import { arnOf } from '../domain/arn.js';
import { encapsulationAlgorithm } from '../domain/key-specs.js';
import { InvalidCiphertextException } from '../errors.js';
import { defineOperation } from './context.js';
import { resolveKeyFor, supported } from './core/key-operations.js';
import { finishDryRun } from './core/symmetric.js';

export const decapsulateOperation = defineOperation('Decapsulate', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const { key, spec } = await resolveKeyFor(ctx, input.KeyId, 'ENCAPSULATE_DECAPSULATE');
  const algorithm = supported(encapsulationAlgorithm(spec, key.keyUsage, input.EncapsulationAlgorithm), input.EncapsulationAlgorithm, spec);
  const { privateKey } = await ctx.services.materials.privateKey(key);
  if (input.SharedSecretCiphertextBlob.length !== ciphertextLength(privateKey)) throw new InvalidCiphertextException('');
  finishDryRun(input.DryRun);
  return { KeyId: arnOf(key), SharedSecret: decapsulate(privateKey, input.SharedSecretCiphertextBlob), EncapsulationAlgorithm: algorithm.name };
});
