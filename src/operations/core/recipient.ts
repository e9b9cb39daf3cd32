/**
 * The one output path of a secret to an attested environment. An operation that takes a
 * Recipient declares which output member holds its secret (operations/context.ts); when the
 * request's Recipient verified (the pipeline's attest stage, domain/attestation.ts), that member
 * leaves the response, CiphertextForRecipient (a CMS EnvelopedData to the document's RSA key,
 * crypto/cms.ts) takes its place, and the members AWS omits with a Recipient go too
 * (KeyMaterialId of Decrypt and GenerateDataKey). The plaintext copy is wiped.
 */
import { envelopeFor } from '../../crypto/cms.js';
import type { AttestedRecipient } from '../../domain/attestation.js';
import type { RecipientOutput } from '../context.js';

export function sealForRecipient(output: object, declared: RecipientOutput, recipient: AttestedRecipient): object {
  const { [declared.secret]: secret, ...rest } = output as Record<string, unknown>;
  if (!(secret instanceof Uint8Array)) throw new Error(`the ${declared.secret} member is not bytes`);
  const secretBytes = Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength);
  try {
    const sealed: Record<string, unknown> = { ...rest, CiphertextForRecipient: envelopeFor(recipient.key, secretBytes) };
    for (const member of declared.omit ?? []) delete sealed[member];
    return sealed;
  } finally {
    secretBytes.fill(0);
  }
}
