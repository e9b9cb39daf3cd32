/**
 * VerifyMac: recomputes the HMAC and compares it in constant time. A match answers MacValid
 * true; anything else KMSInvalidMacException with an empty message, as AWS answers.
 */
import { hmacMatches } from '../crypto/hmac.js';
import { arnOf } from '../domain/arn.js';
import { macAlgorithm } from '../domain/key-specs.js';
import { KMSInvalidMacException } from '../errors.js';
import { defineOperation } from './context.js';
import { resolveKeyFor, supported } from './core/key-operations.js';
import { finishDryRun } from './core/symmetric.js';

export const verifyMacOperation = defineOperation('VerifyMac', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const { key, spec } = await resolveKeyFor(ctx, input.KeyId, 'GENERATE_VERIFY_MAC', { macAlgorithm: input.MacAlgorithm });
  const algorithm = supported(macAlgorithm(spec, key.keyUsage, input.MacAlgorithm), input.MacAlgorithm, spec);
  finishDryRun(input.DryRun);
  const material = await ctx.services.materials.symmetric(key, key.currentMaterialVersion);
  if (!hmacMatches(material.secret, algorithm.hash, input.Message, input.Mac)) throw new KMSInvalidMacException('');
  return { KeyId: arnOf(key), MacValid: true, MacAlgorithm: algorithm.name };
});
