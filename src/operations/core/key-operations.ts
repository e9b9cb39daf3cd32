/**
 * The core shared by the operations of asymmetric, HMAC and ML-KEM keys (GetPublicKey, Sign,
 * Verify, GenerateMac, VerifyMac, DeriveSharedSecret, Encapsulate, Decapsulate, and Encrypt and
 * Decrypt with an RSA or SM2 key): resolving the key and checking, in AWS's order, its state,
 * its key usage and the algorithm the request names against the descriptor table
 * (domain/key-specs.ts).
 *
 * AWS's recorded wordings: `<arn> key usage is SIGN_VERIFY which is not valid for Encrypt.`,
 * `Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224.` (also recorded for Encrypt
 * with SYMMETRIC_DEFAULT on an RSA_4096 key), `Digest is invalid length for algorithm
 * ECDSA_SHA_256.`, and `Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data
 * larger than 190 bytes.` (LocalStack's snapshots validated against AWS). The others are in
 * errors.ts's `messages`.
 */
import type { AccessFacts } from '../../domain/access.js';
import { arnOf } from '../../domain/arn.js';
import { keySpec, signedInput, signingAlgorithm, type KeySpecDescriptor, type KeyUsage, type SigningAlgorithm } from '../../domain/key-specs.js';
import { assertUsable } from '../../domain/key-state.js';
import { InvalidKeyUsageException, messages, UnsupportedOperationException, ValidationException } from '../../errors.js';
import type { SignedForm } from '../../crypto/signing.js';
import type { MessageType, SigningAlgorithmSpec } from '../../kms-types.generated.js';
import type { KeyRecord } from '../../storage/types.js';
import type { RequestContext } from '../context.js';
import { useKey } from './keys.js';

/** Checks that a resolved key is enabled and of `usage`, in AWS's order: state first, then usage. */
export function assertKeyFor(key: KeyRecord, usage: KeyUsage, operation: string): KeySpecDescriptor {
  assertUsable(key);
  if (key.keyUsage !== usage) throw new InvalidKeyUsageException(messages.keyUsage(arnOf(key), key.keyUsage, operation));
  return keySpec(key.keySpec);
}

/** Resolves and authorizes the KeyId of a request that needs an enabled key of `usage`. */
export async function resolveKeyFor(
  ctx: RequestContext,
  keyIdText: string,
  usage: KeyUsage,
  facts: AccessFacts = {},
): Promise<{ key: KeyRecord; spec: KeySpecDescriptor }> {
  const key = await useKey(ctx, keyIdText, { allowAlias: true, facts });
  return { key, spec: assertKeyFor(key, usage, ctx.operation.name) };
}

/** AWS's recorded answer to an algorithm the key's spec does not support. */
export function incompatibleAlgorithm(algorithm: string, spec: string): InvalidKeyUsageException {
  return new InvalidKeyUsageException(`Algorithm ${algorithm} is incompatible with key spec ${spec}.`);
}

/** The table's entry for `name`, if the key may use it and this server performs it. */
export function supported<A extends { name: string; notServed?: true }>(found: A | undefined, name: string, spec: KeySpecDescriptor): A {
  if (!found) throw incompatibleAlgorithm(name, spec.name);
  if (found.notServed) throw new UnsupportedOperationException(messages.algorithmNotServed(name));
  return found;
}

export interface SignatureRequest {
  algorithm: SigningAlgorithm;
  form: SignedForm;
}

/**
 * The signing algorithm and the form of the Message of a Sign or Verify request, once the
 * algorithm suits the key and the message suits the algorithm and message type.
 */
export function signatureRequest(
  spec: KeySpecDescriptor,
  key: KeyRecord,
  name: SigningAlgorithmSpec,
  messageType: MessageType,
  message: Buffer,
): SignatureRequest {
  const algorithm = supported(signingAlgorithm(spec, key.keyUsage, name), name, spec);
  const input = signedInput(algorithm, messageType);
  if (!input) throw new ValidationException(messages.messageTypeNotValid(messageType, name));
  if (input.length !== undefined && message.length !== input.length) {
    throw new ValidationException(
      input.form === 'mu' ? messages.externalMuLength(name, input.length) : `Digest is invalid length for algorithm ${name}.`,
    );
  }
  return { algorithm, form: input.form };
}
