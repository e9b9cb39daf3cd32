/**
 * DeriveSharedSecret: the raw ECDH shared secret of a KEY_AGREEMENT key (ECC_NIST_P256/P384/P521,
 * SM2) and a peer's public key (DER SubjectPublicKeyInfo on the same curve). A public key that is
 * not one gives ValidationException with an empty message, as AWS answers. With a Recipient the
 * shared secret leaves as CiphertextForRecipient (core/recipient.ts).
 */
import { deriveSharedSecret } from '../crypto/key-agreement.js';
import { arnOf } from '../domain/arn.js';
import { keyAgreementAlgorithm } from '../domain/key-specs.js';
import { ValidationException } from '../errors.js';
import { defineOperation } from './context.js';
import { resolveKeyFor, supported } from './core/key-operations.js';
import { finishDryRun } from './core/symmetric.js';

export const deriveSharedSecretOperation = defineOperation('DeriveSharedSecret', { readOnly: true, resources: ['key'], recipient: { secret: 'SharedSecret' } }, async (input, ctx) => {
  const { key, spec } = await resolveKeyFor(ctx, input.KeyId, 'KEY_AGREEMENT', { keyAgreementAlgorithm: input.KeyAgreementAlgorithm });
  const algorithm = supported(keyAgreementAlgorithm(spec, key.keyUsage, input.KeyAgreementAlgorithm), input.KeyAgreementAlgorithm, spec);
  const { privateKey } = await ctx.services.materials.privateKey(key);
  const sharedSecret = deriveSharedSecret(privateKey, input.PublicKey);
  if (!sharedSecret) throw new ValidationException('');
  finishDryRun(input.DryRun);
  return { KeyId: arnOf(key), SharedSecret: sharedSecret, KeyAgreementAlgorithm: algorithm.name, KeyOrigin: key.origin };
});
