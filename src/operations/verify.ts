/**
 * Verify: checks a signature with the public key of an asymmetric SIGN_VERIFY key, under the
 * same algorithm and message type rules as Sign. A valid signature answers SignatureValid true;
 * any other gives KMSInvalidSignatureException with an empty message, as AWS answers.
 */
import { verify } from '../crypto/signing.js';
import { arnOf } from '../domain/arn.js';
import { KMSInvalidSignatureException } from '../errors.js';
import { defineOperation } from './context.js';
import { resolveKeyFor, signatureRequest } from './core/key-operations.js';
import { finishDryRun } from './core/symmetric.js';

export const verifyOperation = defineOperation('Verify', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const messageType = input.MessageType ?? 'RAW';
  const { key, spec } = await resolveKeyFor(ctx, input.KeyId, 'SIGN_VERIFY', { signingAlgorithm: input.SigningAlgorithm, messageType });
  const { algorithm, form } = signatureRequest(spec, key, input.SigningAlgorithm, messageType, input.Message);
  finishDryRun(input.DryRun);
  if (!verify(ctx.services.materials.publicKey(key), algorithm, form, input.Message, input.Signature)) {
    throw new KMSInvalidSignatureException('');
  }
  return { KeyId: arnOf(key), SignatureValid: true, SigningAlgorithm: algorithm.name };
});
