/**
 * The IAM policy language as AWS evaluates it, for KMS key policies (sent as JSON text with
 * CreateKey and PutKeyPolicy) and identity policies (parsed from the accounts config). A policy is
 * parsed once, with AWS's MalformedPolicyDocumentException wording, into a normalised document;
 * `evaluatePolicy` then decides one request against it: an explicit Deny in any statement that
 * applies wins, else an Allow, else nothing ("Policy evaluation logic", IAM User Guide).
 *
 * A statement applies when its principal (key policies), action, resource and condition all
 * match. Actions match case-insensitively with `*` and `?`; resources are ARNs matched segment by
 * segment, case-sensitively; conditions and policy variables live in `policy-conditions.ts`.
 *
 * Sources: the IAM User Guide's "Grammar of the IAM JSON policy language", its element pages
 * (Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition, Version) and
 * "Policy evaluation logic"; the KMS Developer Guide's "Creating a key policy"
 * (key-policy-overview) and "AWS KMS condition keys" (conditions-kms); the KMS API reference's
 * CreateKey and PutKeyPolicy `Policy` parameter. Error wordings: see `faults` below.
 */
import { LimitExceededException, MalformedPolicyDocumentException, messages } from '../errors.js';
import { compileArnPattern, conditionsHold, parseOperator, wildcardMatch, type VariableResolver } from './policy-conditions.js';

export type PolicyKind = 'key' | 'identity';

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  /** Normalised: values always arrays; an account id `NNNNNNNNNNNN` becomes `arn:aws:iam::NNNNNNNNNNNN:root`. */
  Principal?: '*' | Record<string, string[]>;
  NotPrincipal?: '*' | Record<string, string[]>;
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  /** operator -> condition key -> values, all as strings, as AWS compares them. */
  Condition?: Record<string, Record<string, string[]>>;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: PolicyStatement[];
}

/** Condition values of one request, by condition key in lower case (IAM compares keys case-insensitively); values as strings. A key that is absent is not in the map. */
export type ConditionContext = ReadonlyMap<string, readonly string[]>;

export interface PolicyRequest {
  /**
   * The Principal values that count as the caller in this evaluation: e.g.
   * ['arn:aws:iam::111122223333:user/alice'] for a direct match, or
   * ['arn:aws:iam::111122223333:root'] when the caller asks whether the key policy delegates to
   * its account. '*' in a policy matches anyone. (Ignored for identity policies.)
   */
  principals: readonly string[];
  /** `kms:Decrypt` */
  action: string;
  /** A key ARN, an alias ARN, or '*'. */
  resource: string;
  /** Includes aws:username, aws:PrincipalArn, aws:PrincipalAccount, aws:userid... for policy variables. */
  context: ConditionContext;
}

export type PolicyEffect = 'Allow' | 'Deny' | 'None';

/** "Key policy document size: 32 KB (32,768 bytes)" (KMS Developer Guide, key-policy-overview). */
export const KEY_POLICY_MAX_BYTES = 32_768;

/** The only Version values the grammar allows; policy variables need the newer one. */
const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const VARIABLES_VERSION = '2012-10-17';

/** Wording AWS has recorded for key policies, for the callers that check more than syntax. */
export const keyPolicyMessages = {
  /** Terraform and CloudFormation users' reports of CreateKey/PutKeyPolicy (aws-sdk-go debug logs). */
  invalidPrincipals: 'Policy contains a statement with one or more invalid principals.',
  noPrincipal: 'Policy contains a statement with no principal.',
  /** The lock-out safety check of CreateKey and PutKeyPolicy (AWS knowledge center, "update-key-policy-future"). */
  lockout: 'The new key policy will not allow you to update the key policy in the future.',
  /** A 2022 PutKeyPolicy event quoted in awsdocs/aws-kms-developer-guide#47. */
  conditionKeysNotPermitted: 'These condition keys are not permitted in a key policy: aws:ResourceTag, kms:ResourceTag, kms:ResourceAliases',
  /** "AWS KMS condition keys", kms:EncryptionContext:context-key. */
  overlyPermissiveEncryptionContext:
    'OverlyPermissiveCondition:EncryptionContext: Using the ForAllValues set operator with a single-valued condition key ' +
    'matches requests without the specified encryption context or with an unspecified encryption context. To fix, remove ForAllValues.',
} as const;

/** IAM's MalformedPolicyDocument wording, recorded against real IAM by moto's test_iam_policies.py. */
const iam = {
  syntax: 'Syntax errors in policy.',
  legacyParsing: 'The policy failed legacy parsing',
  noActions: 'Policy statement must contain actions.',
  noResources: 'Policy statement must contain resources.',
  principal: 'Policy document should not specify a principal.',
  duplicateSid: 'Statement IDs (SID) in a single policy must be unique.',
  noVendor: 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.',
  oneColon: 'Actions/Condition can contain only one colon.',
  vendor: (vendor: string) => `Vendor ${vendor} is not valid`,
  resourceFormat: (resource: string) => `Resource ${resource} must be in ARN format or "*".`,
} as const;

/**
 * Each fault either kind of policy can have, with its wording in a key policy (KMS) and in an
 * identity policy (IAM). KMS has recorded few of its wordings; the others are kept in `messages`
 * (errors.ts). Faults of one kind only (principals, IAM's action and resource checks) are raised
 * where they are checked, with the wording above.
 */
const faults = {
  notJson: { key: messages.keyPolicyNotJson, identity: iam.syntax },
  notObject: { key: messages.keyPolicyNotObject, identity: iam.syntax },
  unsupportedElement: { key: messages.keyPolicyUnsupportedElement, identity: iam.syntax },
  version: { key: messages.keyPolicyVersion, identity: iam.syntax },
  noStatement: { key: messages.keyPolicyNoStatement, identity: iam.syntax },
  malformedElement: { key: messages.keyPolicyMalformedElement, identity: iam.syntax },
  effect: { key: messages.keyPolicyEffect, identity: iam.syntax },
  // IAM takes "allow" and "denY" as Effects at first, then fails them in its legacy parser.
  effectCase: { key: messages.keyPolicyEffect, identity: iam.legacyParsing },
  bothActions: { key: messages.keyPolicyBothElements('Action', 'NotAction'), identity: iam.syntax },
  bothResources: { key: messages.keyPolicyBothElements('Resource', 'NotResource'), identity: iam.syntax },
  bothPrincipals: { key: messages.keyPolicyBothElements('Principal', 'NotPrincipal'), identity: iam.syntax },
  conditionOperator: { key: messages.keyPolicyConditionOperator, identity: iam.syntax },
  // KMS's wording is unrecorded ("Remove duplicate JSON policy elements and SID values", says the
  // knowledge center's kms-policy-error-invalid-principals); IAM's stands in for it.
  duplicateSid: { key: iam.duplicateSid, identity: iam.duplicateSid },
} as const satisfies Record<string, { key: string; identity: string }>;

type Fault = keyof typeof faults;

function malformed(fault: Fault, kind: PolicyKind): MalformedPolicyDocumentException {
  return new MalformedPolicyDocumentException(faults[fault][kind]);
}

// ---- Parsing ------------------------------------------------------------------------------------

const TOP_ELEMENTS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_ELEMENTS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
/** `<principal_map_entry> = ("AWS" | "Federated" | "Service" | "CanonicalUser")` */
const PRINCIPAL_TYPES = new Set(['AWS', 'Federated', 'Service', 'CanonicalUser']);
const ACCOUNT_ID = /^\d{12}$/;
/**
 * Principals a key policy may name in `AWS`: an account, a user or role, or an STS session. A
 * wildcard in part of an ARN is refused ("You cannot use a wildcard to match part of a principal
 * name or ARN"), and so are user groups ("IAM user groups are not a valid principal").
 */
const PRINCIPAL_ARN = /^arn:aws(?:-[a-z]+)*:(?:iam::\d{12}:(?:root|user\/[^*?]+|role\/[^*?]+)|sts::\d{12}:(?:assumed-role|federated-user)\/[^*?]+)$/;

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function has(object: Record<string, Json>, name: string): boolean {
  return Object.hasOwn(object, name);
}

/**
 * Parses and validates a policy: JSON text (as CreateKey/PutKeyPolicy send it) or an
 * already-parsed object (identity policies come from YAML config). Throws
 * MalformedPolicyDocumentException with AWS's wording for: text that is not JSON, a document that
 * is not an object, unknown top-level or statement elements, a missing/invalid Effect, Action and
 * NotAction together (same for Resource and Principal pairs), a statement with neither Action nor
 * NotAction (identity policies), Principal in an identity policy / missing Principal in a key
 * policy, an unknown condition operator, Version other than "2012-10-17"/"2008-10-17". A key
 * policy over 32768 bytes gives LimitExceededException, as the CreateKey and PutKeyPolicy
 * references say. `principalExists`, when given, is asked about every principal ARN a key policy
 * names (not '*', not account roots, which always exist) and an unknown one gives AWS's
 * invalid-principal error.
 *
 * A key policy statement without Action or Resource is accepted and has no effect: "the CreateKey
 * and PutKeyPolicy APIs succeed, even though the policy statement is ineffective"
 * (key-policy-overview). IAM refuses such an identity policy statement.
 */
export function parsePolicy(source: string | unknown, kind: PolicyKind, principalExists?: (arn: string) => boolean): PolicyDocument {
  let json: Json = source;
  if (typeof source === 'string') {
    if (kind === 'key' && Buffer.byteLength(source, 'utf8') > KEY_POLICY_MAX_BYTES) {
      throw new LimitExceededException(messages.keyPolicyTooLarge(KEY_POLICY_MAX_BYTES));
    }
    try {
      json = JSON.parse(source);
    } catch {
      throw malformed('notJson', kind);
    }
  }
  if (!isObject(json)) throw malformed('notObject', kind);
  for (const name of Object.keys(json)) if (!TOP_ELEMENTS.has(name)) throw malformed('unsupportedElement', kind);

  const version = json.Version;
  if (version !== undefined && (typeof version !== 'string' || !VERSIONS.has(version))) throw malformed('version', kind);
  const id = json.Id;
  if (id !== undefined && typeof id !== 'string') throw malformed('malformedElement', kind);
  // "Statement" may be one statement or a list of them; a policy needs at least one.
  const statements = Array.isArray(json.Statement) ? json.Statement : has(json, 'Statement') ? [json.Statement] : [];
  if (statements.length === 0) throw malformed('noStatement', kind);
  const document: PolicyDocument = {
    ...(version !== undefined && { Version: version }),
    ...(id !== undefined && { Id: id }),
    Statement: statements.map((statement) => parseStatement(statement, kind)),
  };

  if (kind === 'identity') checkIdentityPolicy(document);
  else checkKeyPolicy(document, principalExists);
  return document;
}

function parseStatement(json: Json, kind: PolicyKind): PolicyStatement {
  if (!isObject(json)) throw malformed('malformedElement', kind);
  for (const name of Object.keys(json)) if (!STATEMENT_ELEMENTS.has(name)) throw malformed('unsupportedElement', kind);
  if (has(json, 'Action') && has(json, 'NotAction')) throw malformed('bothActions', kind);
  if (has(json, 'Resource') && has(json, 'NotResource')) throw malformed('bothResources', kind);
  if (has(json, 'Principal') && has(json, 'NotPrincipal')) throw malformed('bothPrincipals', kind);

  const effect = json.Effect;
  if (typeof effect !== 'string' || !/^(?:allow|deny)$/i.test(effect)) throw malformed('effect', kind);
  if (effect !== 'Allow' && effect !== 'Deny') throw malformed('effectCase', kind);
  const statement: PolicyStatement = { Effect: effect };
  if (has(json, 'Sid')) {
    if (typeof json.Sid !== 'string') throw malformed('malformedElement', kind);
    statement.Sid = json.Sid;
  }
  for (const element of ['Principal', 'NotPrincipal'] as const) {
    if (has(json, element)) {
      if (kind === 'identity') throw new MalformedPolicyDocumentException(iam.principal);
      statement[element] = parsePrincipal(json[element]);
    }
  }
  for (const element of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
    if (has(json, element)) statement[element] = stringList(json[element], kind);
  }
  if (has(json, 'Condition')) statement.Condition = parseCondition(json.Condition, kind);
  return statement;
}

/** A string or a list of strings, as Action, Resource and principal values are written. */
function stringList(json: Json, kind: PolicyKind): string[] {
  const list = Array.isArray(json) ? json : [json];
  if (!list.every((item): item is string => typeof item === 'string')) throw malformed('malformedElement', kind);
  return list;
}

/** `"*"` or a map of principal types to a value or a list of values; account ids become root ARNs. */
function parsePrincipal(json: Json): '*' | Record<string, string[]> {
  if (json === '*') return '*';
  const invalid = new MalformedPolicyDocumentException(keyPolicyMessages.invalidPrincipals);
  if (!isObject(json)) throw invalid;
  const entries = Object.entries(json).map(([type, values]): [string, string[]] => {
    if (!PRINCIPAL_TYPES.has(type)) throw invalid;
    const list = stringList(values, 'key');
    return [type, type === 'AWS' ? list.map((value) => (ACCOUNT_ID.test(value) ? `arn:aws:iam::${value}:root` : value)) : list];
  });
  return Object.fromEntries(entries);
}

/** Condition values may be strings, numbers or booleans; AWS compares them as strings. */
function parseCondition(json: Json, kind: PolicyKind): Record<string, Record<string, string[]>> {
  if (!isObject(json)) throw malformed('malformedElement', kind);
  const operators = Object.entries(json).map(([name, keys]): [string, Record<string, string[]>] => {
    if (!parseOperator(name)) throw malformed('conditionOperator', kind);
    if (!isObject(keys)) throw malformed('malformedElement', kind);
    const entries = Object.entries(keys).map(([key, values]): [string, string[]] => {
      const list = Array.isArray(values) ? values : [values];
      return [key, list.map((value) => {
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw malformed('malformedElement', kind);
        return String(value);
      })];
    });
    return [name, Object.fromEntries(entries)];
  });
  return Object.fromEntries(operators);
}

function checkDuplicateSids(document: PolicyDocument, kind: PolicyKind): void {
  const seen = new Set<string>();
  for (const { Sid } of document.Statement) {
    if (Sid === undefined || Sid === '') continue;
    if (seen.has(Sid)) throw malformed('duplicateSid', kind);
    seen.add(Sid);
  }
}

/** IAM's checks, in the order IAM reports them (as moto's recordings show). */
function checkIdentityPolicy(document: PolicyDocument): void {
  checkDuplicateSids(document, 'identity');
  for (const s of document.Statement) {
    if ((s.Action ?? s.NotAction ?? []).length === 0) throw new MalformedPolicyDocumentException(iam.noActions);
  }
  for (const s of document.Statement) {
    if ((s.Resource ?? s.NotResource ?? []).length === 0) throw new MalformedPolicyDocumentException(iam.noResources);
  }
  for (const s of document.Statement) {
    for (const resource of s.Resource ?? s.NotResource ?? []) {
      if (resource !== '*' && !resource.includes(':')) throw new MalformedPolicyDocumentException(iam.resourceFormat(resource));
    }
  }
  for (const s of document.Statement) {
    for (const action of s.Action ?? s.NotAction ?? []) {
      if (action === '*') continue;
      const parts = action.split(':');
      if (parts.length === 1) throw new MalformedPolicyDocumentException(iam.noVendor);
      if (parts.length > 2) throw new MalformedPolicyDocumentException(iam.oneColon);
      const vendor = parts[0] ?? '';
      if (!/^[a-zA-Z0-9.-]+$/.test(vendor)) throw new MalformedPolicyDocumentException(iam.vendor(vendor));
    }
  }
}

/** Condition keys "IAM policy only" (ABAC for AWS KMS): refused in a key policy. */
const IAM_ONLY_CONDITION_KEYS = /^(?:aws:resourcetag(?:\/|$)|kms:resourcetag|kms:resourcealiases$)/;

function checkKeyPolicy(document: PolicyDocument, principalExists: ((arn: string) => boolean) | undefined): void {
  for (const s of document.Statement) {
    const principal = s.Principal ?? s.NotPrincipal;
    if (principal === undefined) throw new MalformedPolicyDocumentException(keyPolicyMessages.noPrincipal);
    if (principal === '*') continue;
    const values = Object.values(principal).flat();
    if (values.length === 0) throw new MalformedPolicyDocumentException(keyPolicyMessages.noPrincipal);
    for (const [type, list] of Object.entries(principal)) {
      for (const value of list) {
        if (value === '' || (type === 'AWS' && value !== '*' && !PRINCIPAL_ARN.test(value))) {
          throw new MalformedPolicyDocumentException(keyPolicyMessages.invalidPrincipals);
        }
      }
    }
  }
  for (const s of document.Statement) {
    for (const [name, keys] of Object.entries(s.Condition ?? {})) {
      for (const key of Object.keys(keys).map((k) => k.toLowerCase())) {
        if (IAM_ONLY_CONDITION_KEYS.test(key)) throw new MalformedPolicyDocumentException(keyPolicyMessages.conditionKeysNotPermitted);
        // "If you create or update a policy that includes a ForAllValues set operator with the
        // kms:EncryptionContext:context-key or aws:RequestTag/tag-key condition keys, AWS KMS
        // returns the following error message" (AWS KMS condition keys).
        if (name.startsWith('ForAllValues:')) {
          if (key.startsWith('kms:encryptioncontext:')) throw new MalformedPolicyDocumentException(keyPolicyMessages.overlyPermissiveEncryptionContext);
          if (key.startsWith('aws:requesttag/')) throw new MalformedPolicyDocumentException(messages.overlyPermissiveRequestTag);
        }
      }
    }
  }
  checkDuplicateSids(document, 'key');
  if (principalExists) {
    for (const arn of principalsNamed(document)) {
      if (!/^arn:[^:]+:iam::\d{12}:root$/.test(arn) && !principalExists(arn)) {
        throw new MalformedPolicyDocumentException(keyPolicyMessages.invalidPrincipals);
      }
    }
  }
}

/** The principal ARNs a policy's Principal/NotPrincipal elements name (for existence checks and the lock-out check). */
export function principalsNamed(policy: PolicyDocument): string[] {
  const named = new Set<string>();
  for (const s of policy.Statement) {
    for (const principal of [s.Principal, s.NotPrincipal]) {
      if (principal === undefined || principal === '*') continue;
      for (const value of principal.AWS ?? []) if (value !== '*') named.add(value);
    }
  }
  return [...named];
}

// ---- Evaluation ---------------------------------------------------------------------------------

/**
 * Builds a ConditionContext from a plain record: keys in lower case, a single value or a list;
 * undefined and empty lists are left out (the key is absent). Keys that differ only in case, such
 * as two encryption context keys `Dept` and `dept`, share one condition key and pool their values.
 */
export function conditionContext(values: Record<string, string | readonly string[] | undefined>): ConditionContext {
  const context = new Map<string, string[]>();
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const list = typeof value === 'string' ? [value] : [...value];
    if (list.length === 0) continue;
    const name = key.toLowerCase();
    context.set(name, [...(context.get(name) ?? []), ...list]);
  }
  return context;
}

/**
 * Policy variables resolve to single-valued context keys ("You can use any single-valued
 * condition key as a variable. You can't use a multivalued condition key as a variable").
 */
function variablesOf(context: ConditionContext): VariableResolver {
  return (name) => {
    const values = context.get(name);
    return values?.length === 1 ? values[0] : undefined;
  };
}

function principalMatches(statement: PolicyStatement, principals: readonly string[]): boolean {
  const named = (element: '*' | Record<string, string[]>) =>
    element === '*' || (element.AWS ?? []).some((value) => value === '*' || principals.includes(value));
  if (statement.Principal !== undefined) return named(statement.Principal);
  if (statement.NotPrincipal !== undefined) return !named(statement.NotPrincipal);
  // Identity policies have no Principal: they apply to whoever holds them.
  return true;
}

function actionMatches(statement: PolicyStatement, action: string): boolean {
  const matches = (patterns: readonly string[]) => patterns.some((pattern) => wildcardMatch(pattern.toLowerCase(), action.toLowerCase()));
  if (statement.Action) return matches(statement.Action);
  if (statement.NotAction) return !matches(statement.NotAction);
  return false;
}

/**
 * A resource pattern whose variable has no value "will not match any resource", in Resource and
 * NotResource alike ("Policy variables with no value").
 */
function resourceMatches(statement: PolicyStatement, resource: string, resolve: VariableResolver | undefined): boolean {
  const matches = (patterns: readonly string[]) => patterns.some((pattern) => compileArnPattern(pattern, resolve)?.(resource) === true);
  if (statement.Resource) return matches(statement.Resource);
  if (statement.NotResource) return !matches(statement.NotResource);
  return false;
}

/** 'Deny' if any statement that applies to the request denies, else 'Allow' if one allows, else 'None'. */
export function evaluatePolicy(policy: PolicyDocument, request: PolicyRequest): PolicyEffect {
  const resolve = policy.Version === VARIABLES_VERSION ? variablesOf(request.context) : undefined;
  let effect: PolicyEffect = 'None';
  for (const statement of policy.Statement) {
    const applies =
      principalMatches(statement, request.principals) &&
      actionMatches(statement, request.action) &&
      resourceMatches(statement, request.resource, resolve) &&
      conditionsHold(statement.Condition ?? {}, request.context, resolve);
    if (!applies) continue;
    if (statement.Effect === 'Deny') return 'Deny';
    effect = 'Allow';
  }
  return effect;
}
