/**
 * The core shared by every operation that encrypts or decrypts under a symmetric KMS key
 * (Encrypt, Decrypt, ReEncrypt, GenerateDataKey*, GenerateDataKeyPair*): resolving the key and
 * checking its state and usage in AWS's order, the DryRun answer, and sealing or opening a
 * ciphertext blob. Decryption failures of every kind collapse to InvalidCiphertextException with
 * an empty message; the cause is logged at debug level only.
 */
import { InvalidCiphertextError, open, readHeader, seal } from '../../crypto/envelope.js';
import type { EncryptionContext } from '../../crypto/encryption-context.js';
import { arnOf } from '../../domain/arn.js';
import { resolveKey } from '../../domain/key-ref.js';
import { assertUsable } from '../../domain/key-state.js';
import {
  DryRunOperationException,
  IncorrectKeyException,
  InvalidCiphertextException,
  InvalidKeyUsageException,
  messages,
  UnsupportedOperationException,
  ValidationException,
} from '../../errors.js';
import type { KeyRecord } from '../../storage/types.js';
import type { RequestContext } from '../context.js';

export const SYMMETRIC_DEFAULT = 'SYMMETRIC_DEFAULT';

/** Resolves a KeyId that must name an enabled symmetric encryption key. */
export async function resolveSymmetricKey(ctx: RequestContext, keyIdText: string, operation: string): Promise<KeyRecord> {
  const key = await resolveKey(ctx.services.store, keyIdText, {
    allowAlias: true,
    caller: ctx.scope,
    action: `kms:${operation}`,
  });
  assertSymmetricEncryptionKey(key, operation);
  return key;
}

export function assertSymmetricEncryptionKey(key: KeyRecord, operation: string): void {
  assertUsable(key);
  const arn = arnOf(key);
  if (key.keyUsage !== 'ENCRYPT_DECRYPT') throw new InvalidKeyUsageException(messages.keyUsage(arn, key.keyUsage, operation));
  if (key.keySpec !== SYMMETRIC_DEFAULT) throw new InvalidKeyUsageException(messages.keySpec(arn, key.keySpec, operation));
}

/** Symmetric keys only take SYMMETRIC_DEFAULT; asymmetric encryption is not served yet. */
export function assertSymmetricAlgorithm(key: KeyRecord, algorithm: string | undefined): void {
  if (algorithm !== undefined && algorithm !== SYMMETRIC_DEFAULT) {
    throw new InvalidKeyUsageException(
      `The encryption algorithm ${algorithm} is not valid for ${arnOf(key)}, whose key spec is ${key.keySpec}.`,
    );
  }
}

/**
 * CiphertextBlob is optional in the model (Decrypt and ReEncrypt may take other inputs in newer
 * APIs) but Trent needs it: its absence is reported as AWS reports a missing required member.
 */
export function requireCiphertextBlob(blob: Buffer | undefined): Buffer {
  if (blob === undefined) {
    throw new ValidationException(
      "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null",
    );
  }
  return blob;
}

/** After every check a real call makes, a DryRun stops with AWS's answer. */
export function finishDryRun(dryRun: boolean | undefined): void {
  if (dryRun === true) {
    throw new DryRunOperationException('The request would have succeeded, but the DryRun option is set.');
  }
}

/** Nitro Enclaves attestation arrives with its own issue; until then Recipient is refused clearly. */
export function refuseRecipient(recipient: unknown): void {
  if (recipient !== undefined) throw new UnsupportedOperationException(messages.recipientUnsupported);
}

export interface Sealed {
  blob: Buffer;
  materialId: string;
}

export async function encryptUnder(
  ctx: RequestContext,
  key: KeyRecord,
  plaintext: Buffer,
  context: EncryptionContext | undefined,
): Promise<Sealed> {
  const material = await ctx.services.materials.symmetric(key.keyId, key.currentMaterialVersion);
  const blob = seal(material.secret, { keyId: key.keyId, materialVersion: key.currentMaterialVersion }, plaintext, context);
  return { blob, materialId: material.materialId };
}

export interface Opened {
  key: KeyRecord;
  plaintext: Buffer;
  materialId: string;
}

function invalidCiphertext(ctx: RequestContext, cause: string): InvalidCiphertextException {
  ctx.services.logger.debug({ requestId: ctx.requestId, cause }, 'ciphertext refused');
  return new InvalidCiphertextException('');
}

/**
 * Decrypts a ciphertext blob. `keyIdText`, when given, must name the blob's key
 * (IncorrectKeyException otherwise).
 */
export async function decryptBlob(
  ctx: RequestContext,
  blob: Buffer,
  context: EncryptionContext | undefined,
  keyIdText: string | undefined,
  operation: string,
): Promise<Opened> {
  let named: KeyRecord | undefined;
  if (keyIdText !== undefined) {
    named = await resolveKey(ctx.services.store, keyIdText, { allowAlias: true, caller: ctx.scope, action: `kms:${operation}` });
  }
  let header;
  try {
    header = readHeader(blob);
  } catch {
    throw invalidCiphertext(ctx, 'unreadable header');
  }
  if (named && named.keyId !== header.keyId) {
    throw new IncorrectKeyException('The key ID in the request does not identify a CMK that can perform this operation.');
  }
  const key = named ?? (await ctx.services.store.getKey(ctx.scope, header.keyId));
  if (!key) throw invalidCiphertext(ctx, 'unknown key');
  assertSymmetricEncryptionKey(key, operation);
  try {
    const material = await ctx.services.materials.symmetric(key.keyId, header.materialVersion);
    return { key, plaintext: open(material.secret, blob, context), materialId: material.materialId };
  } catch (err) {
    if (err instanceof InvalidCiphertextError) throw invalidCiphertext(ctx, 'authentication failed');
    throw err;
  }
}
