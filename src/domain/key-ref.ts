/**
 * Resolution of the KeyId a request names, in every form AWS accepts: key id, key ARN, alias
 * name (`alias/x`) and alias ARN, with AWS's errors:
 *
 *   malformed id          NotFoundException "Invalid keyId 'fake-key-id'"
 *   unknown id or ARN     NotFoundException "Key 'arn:aws:kms:<region>:<account>:key/<id>' does not exist"
 *   ARN of another region NotFoundException "Invalid arn <that-region>"
 *   unknown alias         NotFoundException "Alias <alias-arn> is not found."
 *   ARN whose partition is not its region's (arn:zz-top:kms:us-east-1:...)
 *                         NotFoundException "Invalid keyId '<text>'"
 *
 * Access to the key is decided here too, through AccessControl (access.ts), right after it is
 * resolved: a key or alias ARN naming another account is refused with AccessDeniedException
 * until key policies (which are what grant cross-account use) arrive.
 */
import { NotFoundException, type KmsError } from '../errors.js';
import type { KeyRecord, Scope, Store } from '../storage/types.js';
import type { AccessControl, AccessFacts, Caller, KmsAction, Resource } from './access.js';
import { aliasArn, arnOf, keyArn, parseKmsArn, partitionOf } from './arn.js';

const KEY_ID = /^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|mrk-[0-9a-fA-F]{32})$/;

export type KeyReference =
  | { kind: 'key'; scope: Scope; keyId: string }
  | { kind: 'alias'; scope: Scope; aliasName: string };

export function isWellFormedKeyId(text: string): boolean {
  return KEY_ID.test(text);
}

/** Parses a KeyId parameter. `allowAlias` is false for operations that take only keys. */
export function parseKeyReference(text: string, scope: Scope, allowAlias: boolean): KeyReference {
  // Built only when needed: an Error captures a stack trace, which costs more than the parse.
  const invalid = () => new NotFoundException(`Invalid keyId '${text}'`);
  if (text.startsWith('arn:')) {
    const arn = parseKmsArn(text);
    if (!arn || arn.partition !== partitionOf(arn.region)) throw invalid();
    if (arn.region !== scope.region) throw new NotFoundException(`Invalid arn ${arn.region}`);
    const arnScope = { account: arn.account, region: arn.region };
    if (arn.resource.startsWith('alias/')) {
      if (!allowAlias) throw invalid();
      return { kind: 'alias', scope: arnScope, aliasName: arn.resource };
    }
    const keyId = arn.resource.slice('key/'.length);
    if (!isWellFormedKeyId(keyId)) throw invalid();
    return { kind: 'key', scope: arnScope, keyId };
  }
  if (text.startsWith('alias/')) {
    if (!allowAlias) throw invalid();
    return { kind: 'alias', scope, aliasName: text };
  }
  if (!isWellFormedKeyId(text)) throw invalid();
  return { kind: 'key', scope, keyId: text };
}

export interface ResolveOptions {
  /** Whether aliases are accepted (cryptographic operations and DescribeKey accept them). */
  allowAlias: boolean;
  /** The IAM action the key is used for (`kms:Encrypt`). */
  action: KmsAction;
  /** Request values for the access decision (encryption context, grant tokens, ...). */
  facts?: AccessFacts;
  /**
   * The error for a key that does not exist, when not AWS's NotFoundException: Decrypt names a
   * key by its ciphertext, and an unknown one means the ciphertext is not valid.
   */
  ifMissing?: () => KmsError;
}

/**
 * Resolves the key `text` names, for `caller`, then authorizes `options.action` on it: the one
 * place a key named by a request is looked up and access to it decided. A key that does not
 * exist is reported only after the access decision, so a caller learns nothing about another
 * account's keys.
 */
export async function resolveKey(store: Store, access: AccessControl, caller: Caller, text: string, options: ResolveOptions): Promise<KeyRecord> {
  const ref = parseKeyReference(text, caller.scope, options.allowAlias);
  let keyId: string | undefined;
  let missing: KmsError | undefined;
  if (ref.kind === 'alias') {
    keyId = (await store.getAlias(ref.scope, ref.aliasName))?.targetKeyId;
    if (keyId === undefined) missing = new NotFoundException(`Alias ${aliasArn(ref.scope, ref.aliasName)} is not found.`);
  } else {
    keyId = ref.keyId;
  }
  const key = keyId === undefined ? undefined : await store.getKey(ref.scope, keyId);
  if (keyId !== undefined && !key) missing = options.ifMissing?.() ?? new NotFoundException(`Key '${keyArn(ref.scope, keyId)}' does not exist`);
  const facts: AccessFacts = ref.kind === 'alias' ? { ...options.facts, requestAlias: ref.aliasName } : options.facts ?? {};
  const resource: Resource =
    key !== undefined
      ? { type: 'key', arn: arnOf(key), account: key.account, region: key.region, key }
      : ref.kind === 'key'
        ? { type: 'key', arn: keyArn(ref.scope, ref.keyId), ...ref.scope }
        : { type: 'alias', arn: aliasArn(ref.scope, ref.aliasName), ...ref.scope };
  await access.authorize(caller, options.action, resource, facts);
  if (missing) throw missing;
  return key as KeyRecord;
}
