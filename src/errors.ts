/**
 * AWS KMS errors. One class per wire name (`__type`), each carrying whether it is the client's
 * fault (HTTP 400) or the server's (HTTP 500). Every error that reaches a client goes through
 * `toWire` in json11.ts; anything that is not a KmsError becomes KMSInternalException with a
 * fixed message, so no stack trace or internal detail ever leaves the process.
 *
 * Messages that quote AWS's exact wording live next to the code that raises them; the ones AWS
 * has not recorded are kept in `messages` below so there is one place to correct them.
 */

export type Fault = 'client' | 'server';

export abstract class KmsError extends Error {
  abstract readonly type: string;
  readonly fault: Fault = 'client';
  get status(): number {
    return this.fault === 'client' ? 400 : 500;
  }
}

export class AccessDeniedException extends KmsError { readonly type = 'AccessDeniedException'; }
export class AlreadyExistsException extends KmsError { readonly type = 'AlreadyExistsException'; }
export class DisabledException extends KmsError { readonly type = 'DisabledException'; }
export class DryRunOperationException extends KmsError { readonly type = 'DryRunOperationException'; }
export class IncompleteSignatureException extends KmsError { readonly type = 'IncompleteSignatureException'; }
export class IncorrectKeyException extends KmsError { readonly type = 'IncorrectKeyException'; }
export class InvalidAliasNameException extends KmsError { readonly type = 'InvalidAliasNameException'; }
export class InvalidArnException extends KmsError { readonly type = 'InvalidArnException'; }
export class InvalidCiphertextException extends KmsError { readonly type = 'InvalidCiphertextException'; }
export class InvalidGrantIdException extends KmsError { readonly type = 'InvalidGrantIdException'; }
export class InvalidGrantTokenException extends KmsError { readonly type = 'InvalidGrantTokenException'; }
export class InvalidKeyUsageException extends KmsError { readonly type = 'InvalidKeyUsageException'; }
export class InvalidMarkerException extends KmsError { readonly type = 'InvalidMarkerException'; }
export class InvalidSignatureException extends KmsError { readonly type = 'InvalidSignatureException'; }
export class KeyUnavailableException extends KmsError { readonly type = 'KeyUnavailableException'; }
export class KMSInvalidStateException extends KmsError { readonly type = 'KMSInvalidStateException'; }
export class LimitExceededException extends KmsError { readonly type = 'LimitExceededException'; }
export class MalformedPolicyDocumentException extends KmsError { readonly type = 'MalformedPolicyDocumentException'; }
export class MissingAuthenticationTokenException extends KmsError { readonly type = 'MissingAuthenticationTokenException'; }
export class NotFoundException extends KmsError { readonly type = 'NotFoundException'; }
export class SerializationException extends KmsError { readonly type = 'SerializationException'; }
export class TagException extends KmsError { readonly type = 'TagException'; }
export class ThrottlingException extends KmsError { readonly type = 'ThrottlingException'; }
export class UnknownOperationException extends KmsError { readonly type = 'UnknownOperationException'; }
export class UnrecognizedClientException extends KmsError { readonly type = 'UnrecognizedClientException'; }
export class UnsupportedOperationException extends KmsError { readonly type = 'UnsupportedOperationException'; }
export class ValidationException extends KmsError { readonly type = 'ValidationException'; }

export class ExpiredImportTokenException extends KmsError { readonly type = 'ExpiredImportTokenException'; }
export class IncorrectKeyMaterialException extends KmsError { readonly type = 'IncorrectKeyMaterialException'; }
export class InvalidImportTokenException extends KmsError { readonly type = 'InvalidImportTokenException'; }
export class KMSInvalidMacException extends KmsError { readonly type = 'KMSInvalidMacException'; }
export class KMSInvalidSignatureException extends KmsError { readonly type = 'KMSInvalidSignatureException'; }

/** AWS: "The system timed out while trying to fulfill the request. You can retry the request." */
export class DependencyTimeoutException extends KmsError {
  readonly type = 'DependencyTimeoutException';
  override readonly fault: Fault = 'server';
}

export class KMSInternalException extends KmsError {
  readonly type = 'KMSInternalException';
  override readonly fault: Fault = 'server';
}

/**
 * One violation in AWS's validation wording: `Value 'X' at 'keyPairSpec' failed to satisfy
 * constraint: Member must <constraint>`. `shown` is the value as AWS prints it (undefined for a
 * missing member: `Value null`); a sensitive value is never shown (`Value at ...`).
 */
export function violation(shown: string | undefined, path: string, constraint: string, sensitive = false): string {
  const value = sensitive ? 'Value' : shown === undefined ? 'Value null' : `Value '${shown}'`;
  return `${value} at '${path}' failed to satisfy constraint: Member must ${constraint}`;
}

/** `N validation error(s) detected: ...; ...`, AWS's ValidationException for a list of violations. */
export function validationFailed(violations: readonly string[]): ValidationException {
  const count = violations.length;
  return new ValidationException(`${count} validation error${count === 1 ? '' : 's'} detected: ${violations.join('; ')}`);
}

/** A required member that is absent, for members the model leaves optional but Trent needs. */
export function missingMember(path: string): ValidationException {
  return validationFailed([violation(undefined, path, 'not be null')]);
}

/** Wording AWS has not recorded publicly, kept in one place so it is easy to correct. */
export const messages = {
  internal: 'An internal error occurred. Check the server log for the request id.',
  pendingDeletion: (arn: string) => `${arn} is pending deletion.`,
  pendingImport: (arn: string) => `${arn} is pending import.`,
  unavailable: (arn: string) => `${arn} is unavailable.`,
  notPendingDeletion: (arn: string) => `${arn} is not pending deletion.`,
  pendingReplicaDeletion: (arn: string) => `${arn} is pending replica deletion.`,
  invalidState: (arn: string, state: string) => `${arn} is in state ${state}, which is not valid for this operation.`,
  keyUsage: (arn: string, usage: string, operation: string) =>
    `${arn} key usage is ${usage} which is not valid for ${operation}.`,
  keySpec: (arn: string, spec: string, operation: string) =>
    `${arn} key spec is ${spec} which is not valid for ${operation}.`,
  sm2OutsideChina: 'The SM2 key spec is available only in China Regions.',
  incompatibleUsage: (usage: string, spec: string) =>
    `KeyUsage ${usage} is not compatible with KeySpec ${spec}.`,
  // Asymmetric, HMAC and ML-KEM keys (src/operations/core/key-operations.ts); AWS's recorded
  // wordings for these live there.
  messageTypeNotValid: (messageType: string, algorithm: string) =>
    `The ${messageType} message type is not valid for the ${algorithm} signing algorithm.`,
  externalMuLength: (algorithm: string, length: number) =>
    `An EXTERNAL_MU message must be ${length} bytes for algorithm ${algorithm}.`,
  algorithmNotServed: (algorithm: string) => `The ${algorithm} algorithm is not supported by this Trent server yet.`,
  noPublicKey: (arn: string, spec: string) => `${arn} has key spec ${spec}, which has no public key; GetPublicKey is valid only for asymmetric KMS keys.`,
  // Recipient (src/domain/attestation.ts): AWS's error for a bad attestation document is
  // unrecorded; the check that failed is named, the document never echoed.
  invalidAttestation: (check: string) => `The attestation document in Recipient is not valid: ${check}.`,
  noSuchKeyPolicy: (name: string) => `No key policy named ${name} exists; the only key policy name is default.`,
  notImplemented: (operation: string) => `${operation} is not supported by this Trent server yet.`,
  throttled: 'You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.',
  malformedHttp: 'The request is not a valid HTTP/1.1 request.',
  headersTooLarge: (limit: number) => `The request headers exceed the limit of ${limit} bytes.`,
  requestTimeout: 'The request was not received in time.',
  unsupportedExpect: 'The Expect header is not supported (only 100-continue is).',
  notLoopbackHost:
    'This Trent server has no accounts configured, so it answers only requests addressed to a loopback host ' +
    '(localhost, 127.0.0.1 or [::1]); the Host header names another.',
  browserOrigin:
    'This Trent server has no accounts configured, so it does not answer requests from web browsers ' +
    '(requests with an Origin header).',
  tooManyConnections: 'The server has too many open connections, all of them busy. Retry later.',
  // Key policy faults (src/domain/policies.ts): KMS's wording for these is unrecorded. The ones
  // AWS has recorded live in policies.ts; identity policies use IAM's recorded wording.
  keyPolicyTooLarge: (limit: number) => `The key policy exceeds the maximum size of ${limit} bytes.`,
  keyPolicyNotJson: 'Policy is not valid JSON.',
  keyPolicyNotObject: 'Policy must be a JSON object.',
  keyPolicyUnsupportedElement: 'Policy contains an unsupported element.',
  keyPolicyVersion: 'Policy has an unsupported Version; use "2012-10-17".',
  keyPolicyNoStatement: 'Policy contains no statements.',
  keyPolicyMalformedElement: 'Policy contains an element that is not well formed.',
  keyPolicyEffect: 'Policy contains a statement with a missing or invalid Effect; use "Allow" or "Deny".',
  keyPolicyBothElements: (element: string, notElement: string) =>
    `Policy contains a statement with both ${element} and ${notElement}.`,
  keyPolicyConditionOperator: 'Policy contains a statement with an unsupported condition operator.',
  // The form of the recorded EncryptionContext message, with "tag" for "encryption context" as
  // the KMS Developer Guide's template has it.
  overlyPermissiveRequestTag:
    'OverlyPermissiveCondition:RequestTag: Using the ForAllValues set operator with a single-valued condition key ' +
    'matches requests without the specified tag or with an unspecified tag. To fix, remove ForAllValues.',
  // Grants (domain/grants.ts). AWS's recorded wordings stay with the code that raises them.
  invalidGrantToken: 'Invalid grant token.',
  invalidGrantId: (grantId: string) => `Invalid grantId '${grantId}'`,
  grantNotFound: (grantId: string, keyArn: string) => `Grant ${grantId} does not exist for ${keyArn}.`,
  invalidPrincipal: (member: string) =>
    `${member} must be the ARN of an AWS principal: an account (root), an IAM user, an IAM role, a federated user or an assumed role user.`,
  invalidServicePrincipal: (member: string) => `${member} must be an AWS service principal, such as rds.amazonaws.com.`,
  invalidSourceArn: 'The SourceArn grant constraint must be an ARN.',
  eitherNotBoth: (a: string, b: string) => `You must specify either ${a} or ${b}, but not both.`,
  // Imported key material (src/operations/import-key-material.ts and its siblings).
  invalidImportToken: 'The import token is invalid or was not issued for this KMS key.',
  expiredImportToken: 'The import token has expired. Call GetParametersForImport for a new one.',
  incorrectKeyMaterial: 'The key material does not match the key material previously imported into this KMS key.',
  importMaterialLength: (spec: string, lengths: { min: number; max: number }) =>
    lengths.min === lengths.max
      ? `Key material for a ${spec} KMS key must be ${lengths.min} bytes.`
      : `Key material for a ${spec} KMS key must be ${lengths.min} to ${lengths.max} bytes.`,
  importNotPrivateKey: (spec: string) => `The key material is not a DER PKCS#8 private key of key spec ${spec}.`,
  symmetricImportOnly: 'ImportType, KeyMaterialId and KeyMaterialDescription are only usable with symmetric encryption keys.',
  importNotServed: (spec: string) => `Importing key material into ${spec} KMS keys is not supported by this Trent server yet.`,
  // AWS's recorded wordings (LocalStack's AWS-validated snapshots, 2025-11).
  anotherPendingRotation: (newId: string, arn: string, pendingId: string) =>
    `New key material (id: ${newId}) cannot be imported into KMS key ${arn}, because another key material (id: ${pendingId}) is pending rotation.`,
  noPendingRotation: (arn: string) => `No available key material pending rotation for the key: ${arn}.`,
  expiryPerMaterial:
    'This Trent server keeps one expiration per KMS key: KEY_MATERIAL_EXPIRES is only supported for the only key material of a key. ' +
    'Import every key material of a key with several, and the current one before new key material, with KEY_MATERIAL_DOES_NOT_EXPIRE.',
  materialNotNew: (arn: string, id: string) => `This key material is already associated with ${arn} as key material ${id}; use ImportType EXISTING_KEY_MATERIAL.`,
  // Trent's wordings (AWS documents these refusals but has not recorded their messages).
  newMaterialIntoReplica: (arn: string) =>
    `You cannot import new key material directly into the replica Region key ${arn}. Import it into the primary Region key with ImportType NEW_KEY_MATERIAL, then into this key with ImportType EXISTING_KEY_MATERIAL.`,
  pendingMultiRegionImport: (id: string, arn: string) =>
    `Key material ${id} is pending rotation but has not been imported into the replica Region key ${arn}; import it there with ImportType EXISTING_KEY_MATERIAL first.`,
  pkcs1Deprecated: 'The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported. Choose an RSAES_OAEP or RSA_AES_KEY_WRAP algorithm.',
  wrappingPairInvalid: (algorithm: string, spec: string) =>
    `The wrapping algorithm ${algorithm} cannot be used with the wrapping key spec ${spec}: use SM2PKE with SM2, and the RSAES_OAEP and RSA_AES_KEY_WRAP algorithms with RSA_2048, RSA_3072 and RSA_4096.`,
  sm2pkeRsaMaterial: (spec: string) =>
    `The SM2PKE wrapping algorithm cannot wrap key material for a ${spec} KMS key: an RSA private key must be wrapped with an RSA_AES_KEY_WRAP algorithm.`,
  validToForbidden: 'A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE',
  validToInPast: 'The validTo date must be in the future.',
  validToTooLate: 'The validTo date must be at most 365 days from now.',
  materialIdWithNew: 'You cannot specify a KeyMaterialId with ImportType NEW_KEY_MATERIAL.',
  noMaterialToReimport: (arn: string) => `No key material has been imported into ${arn}; use ImportType NEW_KEY_MATERIAL.`,
  unknownMaterialId: (id: string, arn: string) => `Key material ${id} is not associated with ${arn}.`,
  // Multi-Region keys (src/domain/multi-region.ts, operations/replicate-key.ts,
  // operations/update-primary-region.ts).
  notMultiRegionPrimary: (arn: string) => `${arn} is not a multi-Region primary key.`,
  replicaExists: (arn: string) => `${arn} already exists.`,
  replicaRegionIsPrimary: (region: string) => `The ReplicaRegion ${region} is the Region of the primary key; a replica must be in another Region.`,
  replicaOtherPartition: (region: string, partition: string) =>
    `The Region ${region} is not in the ${partition} partition of the primary key; a replica must be in the same partition.`,
  alreadyPrimaryRegion: (region: string) => `${region} is already the primary Region of this multi-Region key.`,
  notBoth: (a: string, b: string) => `You can specify either ${a} or ${b}, but not both.`,
  servicePrincipalNeedsSourceArn: 'When you specify a GranteeServicePrincipal, you must also specify a SourceArn grant constraint.',
  servicePrincipalNeedsRetiring:
    'When you specify a GranteeServicePrincipal, you must also specify a RetiringPrincipal or a RetiringServicePrincipal.',
  grantOperationsNotValid: (operations: readonly string[], arn: string, spec: string, usage: string) =>
    `The grant operations ${operations.join(', ')} are not valid for ${arn}, whose key spec is ${spec} and key usage ${usage}.`,
  grantConstraintsNotValid: (arn: string, spec: string, usage: string) =>
    `Encryption context grant constraints are valid only in grants for symmetric encryption KMS keys; ${arn} has key spec ${spec} and key usage ${usage}.`,
  retireGrantWhich: 'Specify the grant to retire: a GrantToken, or a GrantId and a KeyId.',
  retireGrantMismatch: 'The GrantToken and the GrantId or KeyId name different grants.',
  // SigV4 (protocol/sigv4.ts, protocol/authenticate.ts); AWS's recorded wordings live there.
  presignedUnsupported:
    'Query-string authentication (presigned URLs) is not supported by this Trent server; ' +
    'sign the request in its Authorization header, as AWS SDKs do.',
  missingAmzDate: "Authorization header requires existence of a 'X-Amz-Date' header. Authorization=AWS4-HMAC-SHA256",
  malformedAmzDate: "X-Amz-Date must be in ISO-8601 'basic format' (yyyyMMdd'T'HHmmss'Z').",
  amzDateUnsigned: "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
  signedHeaderAbsent: (name: string) => `'${name}' is listed in SignedHeaders but is not a header of the request.`,
  scopeDateMismatch: (scopeDate: string, amzDate: string) =>
    `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
  contentSha256Mismatch: "The provided 'x-amz-content-sha256' header does not match what was computed.",
} as const;
