/**
 * The core shared by every operation that encrypts or decrypts under a symmetric KMS key
 * (Encrypt, Decrypt, ReEncrypt, GenerateDataKey*, GenerateDataKeyPair*): resolving the key and
 * checking its state and usage in AWS's order, the DryRun answer, and sealing or opening a
 * ciphertext blob. Decryption failures of every kind collapse to InvalidCiphertextException with
 * an empty message; the cause is logged at debug level only.
 */
import { InvalidCiphertextError, open, readHeader, seal } from '../../crypto/envelope.js';
import type { EncryptionContext } from '../../crypto/encryption-context.js';
import type { AccessFacts, KmsAction } from '../../domain/access.js';
import { arnOf } from '../../domain/arn.js';
import { encryptionAlgorithm, keySpec, SYMMETRIC_ENCRYPTION } from '../../domain/key-specs.js';
import { assertUsable } from '../../domain/key-state.js';
import {
  DryRunOperationException,
  IncorrectKeyException,
  InvalidCiphertextException,
  InvalidKeyUsageException,
  messages,
  missingMember,
} from '../../errors.js';
import type { EncryptionAlgorithmSpec } from '../../kms-types.generated.js';
import type { KeyRecord } from '../../storage/types.js';
import type { RequestContext } from '../context.js';
import { useKey } from './keys.js';

/** The EncryptionAlgorithm symmetric operations answer with. */
export const SYMMETRIC_DEFAULT = SYMMETRIC_ENCRYPTION.name;

/** Resolves and authorizes a KeyId that must name an enabled symmetric encryption key. */
export async function resolveSymmetricKey(
  ctx: RequestContext,
  keyIdText: string,
  facts: AccessFacts,
  action?: KmsAction,
): Promise<KeyRecord> {
  const key = await useKey(ctx, keyIdText, { allowAlias: true, facts, ...(action && { action }) });
  assertSymmetricEncryptionKey(key, ctx.operation.name);
  return key;
}

export function assertSymmetricEncryptionKey(key: KeyRecord, operation: string): void {
  assertUsable(key);
  if (key.keyUsage !== 'ENCRYPT_DECRYPT') throw new InvalidKeyUsageException(messages.keyUsage(arnOf(key), key.keyUsage, operation));
  if (keySpec(key.keySpec).kind !== 'symmetric') throw new InvalidKeyUsageException(messages.keySpec(arnOf(key), key.keySpec, operation));
}

/** A symmetric key takes only the encryption algorithms its spec lists (SYMMETRIC_DEFAULT). */
export function assertSymmetricAlgorithm(key: KeyRecord, algorithm: EncryptionAlgorithmSpec | undefined): void {
  if (algorithm !== undefined && encryptionAlgorithm(keySpec(key.keySpec), key.keyUsage, algorithm) === undefined) {
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
  if (blob === undefined) throw missingMember('ciphertextBlob');
  return blob;
}

/** After every check a real call makes, a DryRun stops with AWS's answer. */
export function finishDryRun(dryRun: boolean | undefined): void {
  if (dryRun === true) {
    throw new DryRunOperationException('The request would have succeeded, but the DryRun option is set.');
  }
}

/**
 * DryRun with DryRunModifiers [IGNORE_CIPHERTEXT] (Decrypt, ReEncrypt; API of 2026-02) checks
 * only permission: the key is the one KeyId names, or failing that the one a readable blob
 * names, and no ciphertext is opened. Returns whether the request is such a dry run; it then
 * ends with DryRunOperationException once the key is authorized.
 */
export async function dryRunIgnoringCiphertext(
  ctx: RequestContext,
  request: { dryRun: boolean | undefined; modifiers: readonly string[] | undefined; blob: Buffer | undefined; keyIdText: string | undefined },
  use: { action?: KmsAction; facts?: AccessFacts },
): Promise<void> {
  if (request.dryRun !== true || !request.modifiers?.includes('IGNORE_CIPHERTEXT')) return;
  let keyIdText = request.keyIdText;
  if (keyIdText === undefined && request.blob !== undefined) {
    try {
      keyIdText = readHeader(request.blob).keyId;
    } catch {
      // Not a ciphertext Trent can read a key from: the request must name the key.
    }
  }
  if (keyIdText === undefined) throw missingMember(ctx.operation.name === 'ReEncrypt' ? 'sourceKeyId' : 'keyId');
  await useKey(ctx, keyIdText, { allowAlias: true, ...use });
  finishDryRun(true);
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
  const material = await ctx.services.materials.symmetric(key, key.currentMaterialVersion);
  const blob = seal(material.secret, { keyId: key.keyId, materialVersion: key.currentMaterialVersion }, plaintext, context);
  return { blob, materialId: material.materialId };
}

export interface Opened {
  key: KeyRecord;
  plaintext: Buffer;
  materialId: string;
}

function invalidCiphertext(ctx: RequestContext, cause: string): InvalidCiphertextException {
  ctx.services.logger.debug({ cause }, 'ciphertext refused');
  return new InvalidCiphertextException('');
}

export interface DecryptRequest {
  blob: Buffer;
  context: EncryptionContext | undefined;
  /** The KeyId the request named, if any: it must then name the blob's key. */
  keyIdText: string | undefined;
  /** That key, when the caller has resolved and authorized it already (with these facts). */
  named?: KeyRecord | undefined;
  /** The action the blob's key is authorized for (kms:Decrypt, kms:ReEncryptFrom). */
  action?: KmsAction;
  facts?: AccessFacts;
}

/**
 * Decrypts a ciphertext blob. The key is the one the request names (IncorrectKeyException if the
 * blob is not under it), else the one the blob names; either is authorized like any other.
 */
export async function decryptBlob(ctx: RequestContext, request: DecryptRequest): Promise<Opened> {
  const facts: AccessFacts = { encryptionContext: request.context ?? {}, ...request.facts };
  const use = { allowAlias: true, facts, ...(request.action && { action: request.action }) };
  const named = request.named ?? (request.keyIdText === undefined ? undefined : await useKey(ctx, request.keyIdText, use));
  let header;
  try {
    header = readHeader(request.blob);
  } catch {
    throw invalidCiphertext(ctx, 'unreadable header');
  }
  if (named && named.keyId !== header.keyId) {
    throw new IncorrectKeyException('The key ID in the request does not identify a CMK that can perform this operation.');
  }
  const key = named ?? (await useKey(ctx, header.keyId, { ...use, ifMissing: () => invalidCiphertext(ctx, 'unknown key') }));
  assertSymmetricEncryptionKey(key, ctx.operation.name);
  try {
    const material = await ctx.services.materials.symmetric(key, header.materialVersion);
    return { key, plaintext: open(material.secret, request.blob, request.context), materialId: material.materialId };
  } catch (err) {
    if (err instanceof InvalidCiphertextError) throw invalidCiphertext(ctx, 'authentication failed');
    throw err;
  }
}
