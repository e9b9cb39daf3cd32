/**
 * One audit record per request, in CloudTrail's shape for AWS KMS events (the KMS Developer
 * Guide's "Logging AWS KMS API calls with AWS CloudTrail" and its per-operation examples, such
 * as ct-generatedatakeypair): eventVersion 1.11, the caller as `userIdentity`, the request's
 * members as `requestParameters` (lowerCamelCase, as CloudTrail writes them), `responseElements`
 * (null for reads and cryptographic operations, as CloudTrail writes them), the keys used as
 * `resources`, `additionalEventData` (the key material used, and for a request with an attested
 * Recipient what CloudTrail logs of its document: "Monitoring attested requests"), and the
 * request id the response carried.
 *
 * What never reaches a record (the model walks every member):
 * - blobs of any kind: plaintexts, data keys, private keys, ciphertexts, public keys, messages,
 *   signatures, MACs, shared secrets, CiphertextForRecipient, attestation documents. CloudTrail
 *   omits them all, secret or not;
 * - the operation's sensitive members (operations/context.ts: the model's sensitive strings and
 *   what the operation declares, such as CreateGrant's GrantToken);
 * - a request's GrantTokens, which stand for grants.
 */
import type { Principal } from '../domain/access.js';
import type { VerifiedAttestation } from '../domain/attestation.js';
import { KmsError, KMSInternalException, messages } from '../errors.js';
import type { ServiceModel } from '../protocol/shapes.js';
import { earlier, type Exchange } from './pipeline.js';

/**
 * A request's GrantTokens, in every operation that takes them: each stands for its grant, so
 * none is written (CreateGrant declares the GrantToken it answers with as sensitive).
 */
const GRANT_TOKENS = 'GrantTokens';

export interface AuditUserIdentity {
  type: 'Root' | 'IAMUser' | 'AssumedRole';
  principalId: string;
  arn: string;
  accountId: string;
  accessKeyId?: string;
  userName?: string;
}

export interface AuditResource {
  accountId: string;
  type: 'AWS::KMS::Key';
  ARN: string;
}

export interface AuditRecord {
  eventVersion: '1.11';
  userIdentity: AuditUserIdentity;
  eventTime: string;
  eventSource: 'kms.amazonaws.com';
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  additionalEventData?: { keyMaterialId?: string; recipient?: Record<string, string> };
  requestID: string;
  eventID: string;
  readOnly: boolean;
  resources: AuditResource[];
  eventType: 'AwsApiCall';
  managementEvent: true;
  recipientAccountId: string;
  eventCategory: 'Management';
}

/**
 * A stable stand-in for IAM's unique ids (AIDA... for users, AROA... for roles), which Trent's
 * configured principals do not have: derived from the principal's ARN, so one principal always
 * has the same id. The root user's principalId is its account id, as in CloudTrail.
 */
export function principalIdOf(principal: Principal): string {
  if (principal.type === 'root') return principal.account;
  let hash = 0xcbf29ce484222325n; // FNV-1a 64: an identifier, not a secret
  for (const byte of Buffer.from(principal.arn, 'utf8')) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  const id = hash.toString(36).toUpperCase().padStart(13, '0');
  return `${principal.type === 'user' ? 'AIDA' : 'AROA'}${id}`;
}

export function userIdentityOf(principal: Principal): AuditUserIdentity {
  const identity: AuditUserIdentity = {
    type: principal.type === 'root' ? 'Root' : principal.type === 'user' ? 'IAMUser' : 'AssumedRole',
    principalId: principalIdOf(principal),
    arn: principal.arn,
    accountId: principal.account,
  };
  if (principal.accessKeyId !== undefined) identity.accessKeyId = principal.accessKeyId;
  if (principal.type === 'user' && principal.name !== undefined) identity.userName = principal.name;
  return identity;
}

/** CloudTrail's eventTime: ISO 8601 in UTC to the second. */
export function eventTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Timestamps inside responseElements as CloudTrail writes them: `Dec 3, 2026, 10:25:12 AM` (UTC). */
export function cloudTrailDate(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const hour = d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${hour}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCHours() < 12 ? 'AM' : 'PM'}`;
}

/**
 * Request parameters CloudTrail writes even when the request left them out: "The CloudTrail log
 * entry for a Decrypt operation always includes the encryptionAlgorithm in the
 * requestParameters even if the encryption algorithm wasn't specified in the request" (KMS
 * Developer Guide, ct-decrypt); its Encrypt example shows the same default.
 */
const DEFAULT_PARAMETERS: Readonly<Record<string, Record<string, string>>> = {
  Decrypt: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
  Encrypt: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
};

const lowerCamel = (member: string) => member.charAt(0).toLowerCase() + member.slice(1);

/**
 * `value` as CloudTrail shows a value of shape `shapeName`: structure members renamed to
 * lowerCamelCase; blobs, strings the model marks sensitive and the member paths in `sensitive`
 * (the operation's declaration: `Plaintext`, `Items.member.Secret`, as sensitivePaths names
 * them) left out. Undefined when nothing is left of it.
 */
export function auditView(model: ServiceModel, shapeName: string, value: unknown, sensitive: readonly string[] = [], path = ''): unknown {
  const shape = Object.hasOwn(model.shapes, shapeName) ? model.shapes[shapeName] : undefined;
  if (shape === undefined || value === undefined || value === null || (path !== '' && sensitive.includes(path))) return undefined;
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object') return undefined;
      const out: Record<string, unknown> = {};
      for (const [member, memberShape] of Object.entries(shape.members)) {
        if ((path === '' && member === GRANT_TOKENS) || !Object.hasOwn(value, member)) continue;
        const view = auditView(model, memberShape, (value as Record<string, unknown>)[member], sensitive, path === '' ? member : `${path}.${member}`);
        if (view !== undefined) out[lowerCamel(member)] = view;
      }
      return out;
    }
    case 'list':
      return Array.isArray(value)
        ? value.map((item) => auditView(model, shape.member, item, sensitive, `${path}.member`)).filter((item) => item !== undefined)
        : undefined;
    case 'map': {
      if (typeof value !== 'object') return undefined;
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        const view = auditView(model, shape.value, item, sensitive, `${path}.value`);
        if (view !== undefined) out[key] = view;
      }
      return out;
    }
    case 'blob':
      return undefined;
    case 'string':
      return shape.sensitive === true || typeof value !== 'string' ? undefined : value;
    case 'timestamp':
      return typeof value === 'number' ? cloudTrailDate(value) : value instanceof Date ? cloudTrailDate(value.getTime() / 1000) : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    default:
      return typeof value === 'number' ? value : undefined;
  }
}

function nonEmpty(view: unknown): Record<string, unknown> | null {
  return view !== null && typeof view === 'object' && Object.keys(view).length > 0 ? (view as Record<string, unknown>) : null;
}

/**
 * The PCRs CloudTrail logs of an attested request, per kind of document, under its member names
 * ("Monitoring requests for Nitro enclaves" and "... for NitroTPM"): an enclave's PCR0 is its
 * image digest. A PCR the document lacks is left out.
 */
const LOGGED_PCRS: Record<VerifiedAttestation['kind'], readonly (readonly [number, string])[]> = {
  'nitro-enclave': [
    [0, 'attestationDocumentEnclaveImageDigest'],
    ...[1, 2, 3, 4, 8].map((n) => [n, `attestationDocumentEnclavePCR${n}`] as const),
  ],
  'nitro-tpm': [4, 7, 8, 9, 16, 23].map((n) => [n, `attestationDocumentNitroTPMPCR${n}`] as const),
};

/** `additionalEventData.recipient`: the document's module id and PCRs (base64), never its key. */
export function recipientEventData(attestation: VerifiedAttestation): Record<string, string> {
  const logged: Record<string, string> = { attestationDocumentModuleId: attestation.moduleId };
  for (const [index, member] of LOGGED_PCRS[attestation.kind]) {
    const value = attestation.pcrs.get(index);
    if (value !== undefined) logged[member] = value.toString('base64');
  }
  return logged;
}

function additionalEventData(exchange: Exchange, output: Record<string, unknown> | undefined): AuditRecord['additionalEventData'] {
  const materialId = output?.KeyMaterialId ?? output?.DestinationKeyMaterialId;
  const data: NonNullable<AuditRecord['additionalEventData']> = {
    ...(typeof materialId === 'string' && { keyMaterialId: materialId }),
    ...(exchange.recipient !== undefined && { recipient: recipientEventData(exchange.recipient.attestation) }),
  };
  return Object.keys(data).length > 0 ? data : undefined;
}

/** The KMS key ARNs a record names: those the request was authorized on, then a created key's (a replica's too). */
function resourcesOf(exchange: Exchange, output: Record<string, unknown> | undefined): AuditResource[] {
  const arns = [...exchange.keyArns];
  const created = ((output?.KeyMetadata ?? output?.ReplicaKeyMetadata) as { Arn?: unknown } | undefined)?.Arn;
  if (typeof created === 'string') arns.push(created);
  return [...new Set(arns)].map((arn) => ({ accountId: arn.split(':')[4] ?? '', type: 'AWS::KMS::Key', ARN: arn }));
}

/**
 * The record of a request that reached an operation with a known caller. `exchange` has its
 * final response: the error it reports, or the operation's output.
 */
export function auditRecord(exchange: Exchange, model: ServiceModel, now: number): AuditRecord | undefined {
  const { operation, caller } = exchange;
  if (operation === undefined || caller === undefined) return undefined;
  const shapes = model.operations[operation.name];
  const output = exchange.error === undefined ? (exchange.output as Record<string, unknown> | undefined) : undefined;
  const input = exchange.input ?? exchange.body;
  const error = exchange.error === undefined ? undefined : exchange.error instanceof KmsError ? exchange.error : new KMSInternalException(messages.internal);
  const additional = additionalEventData(exchange, output);
  // Members in CloudTrail's order.
  const record: AuditRecord = {
    eventVersion: '1.11',
    userIdentity: userIdentityOf(caller.principal),
    eventTime: eventTime(now),
    eventSource: 'kms.amazonaws.com',
    eventName: operation.name,
    awsRegion: caller.scope.region,
    sourceIPAddress: caller.sourceIp ?? exchange.request.remoteAddress ?? '',
    userAgent: exchange.request.headers['user-agent'] ?? '',
    ...(error && { errorCode: error.type }),
    ...(error && error.message !== '' && { errorMessage: error.message }),
    requestParameters: shapes === undefined ? null : nonEmpty({ ...DEFAULT_PARAMETERS[operation.name], ...(auditView(model, shapes.input, input, operation.sensitive.input) as object) }),
    // CloudTrail writes null for reads and cryptographic operations; changes show what they made.
    responseElements: operation.readOnly || shapes?.output === undefined ? null : nonEmpty(auditView(model, shapes.output, output, operation.sensitive.output)),
    ...(additional !== undefined && { additionalEventData: additional }),
    requestID: exchange.requestId,
    eventID: earlier(exchange.eventId, 'audit'),
    readOnly: operation.readOnly,
    resources: resourcesOf(exchange, output),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: caller.scope.account,
    eventCategory: 'Management',
  };
  return record;
}
