/** GenerateMac: an HMAC of 1..4096 bytes under an HMAC KMS key (GENERATE_VERIFY_MAC). */
import { hmac } from '../crypto/hmac.js';
import { arnOf } from '../domain/arn.js';
import { macAlgorithm } from '../domain/key-specs.js';
import { defineOperation } from './context.js';
import { resolveKeyFor, supported } from './core/key-operations.js';
import { finishDryRun } from './core/symmetric.js';

export const generateMacOperation = defineOperation('GenerateMac', { readOnly: true, resources: ['key'] }, async (input, ctx) => {
  const { key, spec } = await resolveKeyFor(ctx, input.KeyId, 'GENERATE_VERIFY_MAC', { macAlgorithm: input.MacAlgorithm });
  const algorithm = supported(macAlgorithm(spec, key.keyUsage, input.MacAlgorithm), input.MacAlgorithm, spec);
  finishDryRun(input.DryRun);
  const material = await ctx.services.materials.symmetric(key, key.currentMaterialVersion);
  return { Mac: hmac(material.secret, algorithm.hash, input.Message), MacAlgorithm: algorithm.name, KeyId: arnOf(key) };
});
