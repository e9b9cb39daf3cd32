/**
 * Grants, as AWS KMS has them ("Grants in AWS KMS" and "Creating grants" in the KMS developer
 * guide; GrantConstraints and CreateGrant in the API reference): what a grant may allow on a
 * key, what CreateGrant accepts, when a grant allows a request (`grantAllows`, pure, for the
 * access decision), who may retire one, and grant tokens, which name a grant so that it counts
 * in the very next request.
 *
 * A grant lets its grantee call its grant operations on one key, under its constraints:
 *   - EncryptionContextEquals / EncryptionContextSubset apply to the operations that take an
 *     encryption context (every cryptographic operation with a symmetric encryption key): the
 *     request's context must be exactly / include those pairs. In a constraint a key matches
 *     whatever its case, a value only exactly (the API reference's GrantConstraints). They do
 *     not apply to DescribeKey and RetireGrant; for CreateGrant they require the new grant to be
 *     at least as strict. Any other operation is not allowed by a constrained grant.
 *   - SourceArn (newest API) allows a request only on behalf of that AWS resource; no Trent
 *     caller acts on behalf of one, so such grants (given to service principals) allow nothing
 *     here but their own retirement.
 */
import type { GrantTokenSigner } from '../crypto/grant-token.js';
import { InvalidArnException, InvalidGrantTokenException, messages, validationFailed, ValidationException, violation } from '../errors.js';
import type { GrantConstraints, GrantOperation } from '../kms-types.generated.js';
import type { GrantConstraintsRecord, GrantRecord, KeyRecord, Store } from '../storage/types.js';
import type { KmsAction, Principal } from './access.js';
import { arnOf } from './arn.js';
import { keySpec } from './key-specs.js';

// ---- Grant operations -------------------------------------------------------------------------

/** What a key must do for a grant to allow an operation on it. */
type Capability = 'any' | 'symmetric-encryption' | 'encryption' | 'signing' | 'mac' | 'key-agreement' | 'encapsulation' | 'public-key';

interface GrantOperationTraits {
  needs: Capability;
  /** Takes an EncryptionContext (with a symmetric encryption key): context constraints apply. */
  encryptionContext: boolean;
}

/** Every grant operation of the API (the record's type makes a new one a compile error here). */
const GRANT_OPERATIONS: Record<GrantOperation, GrantOperationTraits> = {
  Decrypt: { needs: 'encryption', encryptionContext: true },
  Encrypt: { needs: 'encryption', encryptionContext: true },
  ReEncryptFrom: { needs: 'encryption', encryptionContext: true },
  ReEncryptTo: { needs: 'encryption', encryptionContext: true },
  GenerateDataKey: { needs: 'symmetric-encryption', encryptionContext: true },
  GenerateDataKeyWithoutPlaintext: { needs: 'symmetric-encryption', encryptionContext: true },
  GenerateDataKeyPair: { needs: 'symmetric-encryption', encryptionContext: true },
  GenerateDataKeyPairWithoutPlaintext: { needs: 'symmetric-encryption', encryptionContext: true },
  Sign: { needs: 'signing', encryptionContext: false },
  Verify: { needs: 'signing', encryptionContext: false },
  GetPublicKey: { needs: 'public-key', encryptionContext: false },
  GenerateMac: { needs: 'mac', encryptionContext: false },
  VerifyMac: { needs: 'mac', encryptionContext: false },
  DeriveSharedSecret: { needs: 'key-agreement', encryptionContext: false },
  Encapsulate: { needs: 'encapsulation', encryptionContext: false },
  Decapsulate: { needs: 'encapsulation', encryptionContext: false },
  CreateGrant: { needs: 'any', encryptionContext: false },
  RetireGrant: { needs: 'any', encryptionContext: false },
  DescribeKey: { needs: 'any', encryptionContext: false },
};

/** The operations context constraints are ignored for (AWS: they have no context). */
const CONSTRAINTS_IGNORED: ReadonlySet<GrantOperation> = new Set(['DescribeKey', 'RetireGrant']);

function isGrantOperation(name: string): name is GrantOperation {
  return Object.hasOwn(GRANT_OPERATIONS, name);
}

/** The grant operation an IAM action is, if grants can allow it (kms:Decrypt -> Decrypt). */
export function grantOperationOf(action: KmsAction): GrantOperation | undefined {
  const name = action.slice('kms:'.length);
  return isGrantOperation(name) ? name : undefined;
}

/** What a key can do, from its spec's descriptor and usage (domain/key-specs.ts). */
function capabilities(key: KeyRecord): Set<Capability> {
  const spec = keySpec(key.keySpec);
  const usage = spec.usages[key.keyUsage] ?? {};
  const can = new Set<Capability>(['any']);
  if (usage.encryption) can.add('encryption');
  if (usage.encryption && spec.kind === 'symmetric') can.add('symmetric-encryption');
  if (usage.signing) can.add('signing');
  if (usage.mac) can.add('mac');
  if (usage.keyAgreement) can.add('key-agreement');
  if (usage.encapsulation) can.add('encapsulation');
  if (spec.kind !== 'symmetric' && spec.kind !== 'hmac') can.add('public-key');
  return can;
}

/**
 * The grant operations a grant on `key` may allow (AWS: "The grant operations must be supported
 * by the KMS key in the grant"): CreateGrant, RetireGrant and DescribeKey on any key, and the
 * operations of its spec and usage, e.g. no Sign on a symmetric key, no GenerateDataKey on an
 * asymmetric one.
 */
export function grantableOperations(key: KeyRecord): GrantOperation[] {
  const can = capabilities(key);
  return (Object.keys(GRANT_OPERATIONS) as GrantOperation[]).filter((op) => can.has(GRANT_OPERATIONS[op].needs));
}

// ---- Grant ids and principals -----------------------------------------------------------------

const GRANT_ID = /^[0-9a-f]{64}$/;

/** AWS's grant ids are 64 lowercase hex digits. */
export function isWellFormedGrantId(text: string): boolean {
  return GRANT_ID.test(text);
}

/**
 * The ARN of an AWS principal a grant may name (AWS: "accounts (root), IAM users, IAM roles,
 * federated users, and assumed role users"; not groups, not service principals): its account,
 * or undefined when `text` is not one. Whether it exists is not checked (see the README).
 */
export function principalAccount(text: string): string | undefined {
  const match =
    /^arn:aws(?:-cn|-us-gov|-iso(?:-[a-z])?)?:(?:iam::(\d{12}):(?:root|(?:user|role)\/[\w+=,.@/-]+)|sts::(\d{12}):(?:assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+|federated-user\/[\w+=,.@-]+))$/.exec(
      text,
    );
  return match ? (match[1] ?? match[2]) : undefined;
}

/** An AWS service principal (`rds.amazonaws.com`, `us-east-1.supportauthz.amazonaws.com`). */
export function isServicePrincipal(text: string): boolean {
  return /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.amazonaws\.com(?:\.cn)?$/.test(text);
}

const ARN = /^arn:[a-z][a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$/;

// ---- CreateGrant ------------------------------------------------------------------------------

/** What a CreateGrant request asks for, as the API names it. */
export interface GrantRequestParameters {
  GranteePrincipal?: string;
  GranteeServicePrincipal?: string;
  RetiringPrincipal?: string;
  RetiringServicePrincipal?: string;
  Operations: GrantOperation[];
  Constraints?: GrantConstraints;
}

/** A grant as CreateGrant checked it, before it is given an id and stored. */
export type GrantTerms = Pick<
  GrantRecord,
  'granteePrincipal' | 'retiringPrincipal' | 'granteeServicePrincipal' | 'retiringServicePrincipal' | 'operations' | 'constraints'
>;

function normalizedConstraints(constraints: GrantConstraints | undefined): GrantConstraintsRecord | undefined {
  if (constraints === undefined) return undefined;
  const normal: GrantConstraintsRecord = {};
  // An empty map constrains nothing, and is not a second constraint.
  const nonEmpty = (map: Record<string, string> | undefined) => (map && Object.keys(map).length > 0 ? Object.fromEntries(Object.entries(map)) : undefined);
  const equals = nonEmpty(constraints.EncryptionContextEquals);
  const subset = nonEmpty(constraints.EncryptionContextSubset);
  if (equals) normal.EncryptionContextEquals = equals;
  if (subset) normal.EncryptionContextSubset = subset;
  if (constraints.SourceArn !== undefined) normal.SourceArn = constraints.SourceArn;
  return Object.keys(normal).length > 0 ? normal : undefined;
}

/**
 * Checks what a CreateGrant request asks for that does not depend on its key: who the grant is
 * for and who may retire it, its operations and its constraints. Returns the grant's terms.
 */
export function checkGrantParameters(input: GrantRequestParameters): GrantTerms {
  if ((input.GranteePrincipal === undefined) === (input.GranteeServicePrincipal === undefined)) {
    throw new ValidationException(messages.eitherNotBoth('GranteePrincipal', 'GranteeServicePrincipal'));
  }
  if (input.RetiringPrincipal !== undefined && input.RetiringServicePrincipal !== undefined) {
    throw new ValidationException(messages.notBoth('RetiringPrincipal', 'RetiringServicePrincipal'));
  }
  for (const [member, value] of [['GranteePrincipal', input.GranteePrincipal], ['RetiringPrincipal', input.RetiringPrincipal]] as const) {
    if (value !== undefined && principalAccount(value) === undefined) throw new InvalidArnException(messages.invalidPrincipal(member));
  }
  for (const [member, value] of [['GranteeServicePrincipal', input.GranteeServicePrincipal], ['RetiringServicePrincipal', input.RetiringServicePrincipal]] as const) {
    if (value !== undefined && !isServicePrincipal(value)) throw new ValidationException(messages.invalidServicePrincipal(member));
  }
  const operations = [...new Set(input.Operations)];
  if (operations.length === 0) {
    throw validationFailed([violation('[]', 'operations', 'have length greater than or equal to 1')]);
  }
  // AWS's recorded wording (a ValidationException seen through boto3, ansible/ansible#31960).
  if (operations.length === 1 && operations[0] === 'CreateGrant') {
    throw new ValidationException('Grants must not contain only the CreateGrant operation.');
  }
  const constraints = normalizedConstraints(input.Constraints);
  // AWS's recorded wording (terraform-provider-aws, internal/service/kms/grant.go).
  if (constraints?.EncryptionContextEquals && constraints.EncryptionContextSubset) {
    throw new ValidationException('More than one constraint supplied');
  }
  if (constraints?.SourceArn !== undefined && !ARN.test(constraints.SourceArn)) throw new InvalidArnException(messages.invalidSourceArn);
  if (input.GranteeServicePrincipal !== undefined) {
    if (constraints?.SourceArn === undefined) throw new ValidationException(messages.servicePrincipalNeedsSourceArn);
    if (input.RetiringPrincipal === undefined && input.RetiringServicePrincipal === undefined) {
      throw new ValidationException(messages.servicePrincipalNeedsRetiring);
    }
  }
  // A service principal is listed as the grantee (and retiring) principal too, as AWS lists it.
  const terms: GrantTerms = { granteePrincipal: (input.GranteePrincipal ?? input.GranteeServicePrincipal) as string, operations };
  const retiring = input.RetiringPrincipal ?? input.RetiringServicePrincipal;
  if (retiring !== undefined) terms.retiringPrincipal = retiring;
  if (input.GranteeServicePrincipal !== undefined) terms.granteeServicePrincipal = input.GranteeServicePrincipal;
  if (input.RetiringServicePrincipal !== undefined) terms.retiringServicePrincipal = input.RetiringServicePrincipal;
  if (constraints) terms.constraints = constraints;
  return terms;
}

/** Checks a grant's terms against its key: operations it supports, and context constraints. */
export function checkGrantForKey(key: KeyRecord, terms: GrantTerms): void {
  const allowed = new Set(grantableOperations(key));
  const refused = terms.operations.filter((op) => !allowed.has(op));
  if (refused.length > 0) {
    throw new ValidationException(messages.grantOperationsNotValid(refused, arnOf(key), key.keySpec, key.keyUsage));
  }
  const contextConstrained = terms.constraints?.EncryptionContextEquals ?? terms.constraints?.EncryptionContextSubset;
  if (contextConstrained && !capabilities(key).has('symmetric-encryption')) {
    throw new ValidationException(messages.grantConstraintsNotValid(arnOf(key), key.keySpec, key.keyUsage));
  }
}

// ---- Evaluation -------------------------------------------------------------------------------

/** A request as a grant judges it. */
export interface GrantRequest {
  /** The operation, by its grant operation name (ReEncrypt is ReEncryptFrom or ReEncryptTo). */
  operation: GrantOperation;
  /** The request's encryption context (none is the empty context). */
  encryptionContext?: Readonly<Record<string, string>> | undefined;
  /** aws:SourceArn: the AWS resource a service calls for. Trent's callers never have one. */
  sourceArn?: string | undefined;
  /** CreateGrant: the grant being created, which must be no wider than the one allowing it. */
  newGrant?: { operations: readonly GrantOperation[]; constraints?: GrantConstraintsRecord | undefined } | undefined;
  /** RetireGrant: the grant being retired; a grant allows retiring only itself. */
  grantId?: string | undefined;
}

const fold = (key: string): string => key.toLowerCase();

/** The value of `key` in a context, a constraint's key matching whatever its case. */
function pairIn(context: Readonly<Record<string, string>>, key: string, value: string): boolean {
  return Object.entries(context).some(([k, v]) => fold(k) === fold(key) && v === value);
}

/** Every pair of `required` is in `context` (constraint semantics). */
function includes(context: Readonly<Record<string, string>>, required: Readonly<Record<string, string>>): boolean {
  return Object.entries(required).every(([k, v]) => pairIn(context, k, v));
}

function sameContext(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  return includes(a, b) && includes(b, a);
}

/** Whether a request's encryption context satisfies a grant's context constraints. */
function contextSatisfies(constraints: GrantConstraintsRecord | undefined, context: Readonly<Record<string, string>>): boolean {
  if (constraints?.EncryptionContextEquals) return sameContext(context, constraints.EncryptionContextEquals);
  if (constraints?.EncryptionContextSubset) return includes(context, constraints.EncryptionContextSubset);
  return true;
}

/**
 * Whether a grant created under `parent` is at least as strict (AWS: a child grant may add pairs
 * to a Subset constraint, or turn it into Equals, never the reverse; an Equals stays the same).
 */
function atLeastAsStrict(child: GrantConstraintsRecord | undefined, parent: GrantConstraintsRecord | undefined): boolean {
  if (parent?.SourceArn !== undefined && child?.SourceArn !== parent.SourceArn) return false;
  if (parent?.EncryptionContextEquals) {
    return child?.EncryptionContextEquals !== undefined && sameContext(child.EncryptionContextEquals, parent.EncryptionContextEquals);
  }
  if (parent?.EncryptionContextSubset) {
    const childContext = child?.EncryptionContextEquals ?? child?.EncryptionContextSubset;
    return childContext !== undefined && includes(childContext, parent.EncryptionContextSubset);
  }
  return true;
}

function hasContextConstraint(constraints: GrantConstraintsRecord | undefined): boolean {
  return constraints?.EncryptionContextEquals !== undefined || constraints?.EncryptionContextSubset !== undefined;
}

/** Whether one grant allows the request. */
export function oneGrantAllows(grant: GrantRecord, request: GrantRequest): boolean {
  const { operation } = request;
  if (!grant.operations.includes(operation)) return false;
  const constraints = grant.constraints;
  if (operation === 'RetireGrant') return request.grantId === grant.grantId;
  if (constraints?.SourceArn !== undefined && request.sourceArn !== constraints.SourceArn) return false;
  if (operation === 'CreateGrant') {
    const child = request.newGrant;
    return child !== undefined && child.operations.every((op) => grant.operations.includes(op)) && atLeastAsStrict(child.constraints, constraints);
  }
  if (CONSTRAINTS_IGNORED.has(operation) || !hasContextConstraint(constraints)) return true;
  return GRANT_OPERATIONS[operation].encryptionContext && contextSatisfies(constraints, request.encryptionContext ?? {});
}

/**
 * Whether any of `grants` allows the request. The grants are those of the caller on the key
 * being used (`grantsOfCaller`); each is judged alone, as AWS does: permissions of two grants
 * do not add up to one a single grant would not give.
 */
export function grantAllows(grants: readonly GrantRecord[], request: GrantRequest): boolean {
  return grants.some((grant) => oneGrantAllows(grant, request));
}

/**
 * The grants that count for `principalArn` using `key`: those stored for it as grantee, and those
 * the request's grant tokens name on this key for it (counted at once, before anything else
 * would see them; in Trent both are current, a token saves nothing but costs nothing either).
 */
export async function grantsOfCaller(store: Store, key: KeyRecord, principalArn: string, fromTokens: readonly GrantRecord[] = []): Promise<GrantRecord[]> {
  const stored = await store.grantsForGrantee(key, key.keyId, principalArn);
  const seen = new Set(stored.map((g) => g.grantId));
  const named = fromTokens.filter(
    (g) => g.keyId === key.keyId && g.account === key.account && g.region === key.region && g.granteePrincipal === principalArn && !seen.has(g.grantId),
  );
  return [...stored, ...named];
}

/**
 * Who may retire a grant by the grant alone, without any policy (AWS, "Retiring and revoking
 * grants"): its retiring principal, and its grantee when it allows RetireGrant. Anyone else,
 * the account that created the grant included, needs kms:RetireGrant from a policy.
 */
export function retirableByGrant(grant: GrantRecord, principal: Principal): boolean {
  if (grant.retiringPrincipal !== undefined && grant.retiringPrincipal === principal.arn) return true;
  return grant.granteePrincipal === principal.arn && oneGrantAllows(grant, { operation: 'RetireGrant', grantId: grant.grantId });
}

// ---- Grant tokens -----------------------------------------------------------------------------

/** A new token naming `grant` (crypto/grant-token.ts). */
export function issueGrantToken(signer: GrantTokenSigner, grant: GrantRecord): string {
  return signer.issue({ account: grant.account, region: grant.region, keyId: grant.keyId, grantId: grant.grantId });
}

/**
 * The grants a request's grant tokens name. A token that is malformed, was not made with this
 * server's root key, names a grant of another region than the request's (KMS is regional), or
 * names a grant that no longer exists (retired, revoked, its key deleted) is refused with
 * InvalidGrantTokenException. A token naming a grant of another key is valid; it just allows
 * nothing on this one.
 */
export async function checkGrantTokens(tokens: readonly string[], store: Store, signer: GrantTokenSigner, region: string): Promise<GrantRecord[]> {
  const grants = new Map<string, GrantRecord>();
  for (const token of new Set(tokens)) {
    const claims = signer.verify(token);
    const grant =
      claims && claims.region === region
        ? await store.getGrant({ account: claims.account, region: claims.region }, claims.keyId, claims.grantId)
        : undefined;
    if (!grant) throw new InvalidGrantTokenException(messages.invalidGrantToken);
    grants.set(grant.grantId, grant);
  }
  return [...grants.values()];
}
