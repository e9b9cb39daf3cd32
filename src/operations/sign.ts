/**
 * Sign: a signature by an asymmetric SIGN_VERIFY key over a message (MessageType RAW, the
 * default), a digest (DIGEST, exactly the hash's length) or, for ML-DSA, the 64-byte external mu
 * (EXTERNAL_MU). Which message types and lengths each algorithm takes is in the descriptor table
 * (domain/key-specs.ts); the cryptography in crypto/signing.ts. The private key never leaves.
 */
import { sign } from '../crypto/signing.js';
import { arnOf } from '../domain/arn.js';
import { defineOperation } from './context.js';
import { resolveKeyFor, signatureRequest } from './core/key-operations.js';
import { finishDryRun } from './core/symmetric.js';

export const signOperation = defineOperation('Sign', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const messageType = input.MessageType ?? 'RAW';
  const { key, spec } = await resolveKeyFor(ctx, input.KeyId, 'SIGN_VERIFY', { signingAlgorithm: input.SigningAlgorithm, messageType });
  const { algorithm, form } = signatureRequest(spec, key, input.SigningAlgorithm, messageType, input.Message);
  finishDryRun(input.DryRun);
  const { privateKey } = await ctx.services.materials.privateKey(key);
  return { KeyId: arnOf(key), Signature: sign(privateKey, algorithm, form, input.Message), SigningAlgorithm: algorithm.name };
});
