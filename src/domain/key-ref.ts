/**
 * Resolution of the KeyId a request names, in every form AWS accepts: key id, key ARN, alias
 * name (`alias/x`) and alias ARN, with AWS's errors:
 *
 *   malformed id          NotFoundException "Invalid keyId 'fake-key-id'"
 *   unknown id or ARN     NotFoundException "Key 'arn:aws:kms:<region>:<account>:key/<id>' does not exist"
 *   ARN of another region NotFoundException "Invalid arn <that-region>"
 *   unknown alias         NotFoundException "Alias <alias-arn> is not found."
 *
 * A key or alias ARN naming another account is refused with AccessDeniedException until key
 * policies (which are what grant cross-account use) arrive.
 */
import { AccessDeniedException, NotFoundException } from '../errors.js';
import type { KeyRecord, Scope, Store } from '../storage/types.js';
import { aliasArn, keyArn, parseKmsArn } from './arn.js';

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
    if (!arn) throw invalid();
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
  /** The caller's scope: the account and region of the request. */
  caller: Scope;
  /** The AWS action name, for access-denied messages (`kms:Encrypt`). */
  action: string;
}

export async function resolveKey(store: Store, text: string, options: ResolveOptions): Promise<KeyRecord> {
  const ref = parseKeyReference(text, options.caller, options.allowAlias);
  if (ref.scope.account !== options.caller.account) {
    const resource = ref.kind === 'key' ? keyArn(ref.scope, ref.keyId) : aliasArn(ref.scope, ref.aliasName);
    throw new AccessDeniedException(
      `User: arn:aws:iam::${options.caller.account}:root is not authorized to perform: ${options.action} ` +
        `on resource: ${resource} because no resource-based policy allows the ${options.action} action`,
    );
  }
  let keyId: string;
  if (ref.kind === 'alias') {
    const alias = await store.getAlias(ref.scope, ref.aliasName);
    if (!alias) throw new NotFoundException(`Alias ${aliasArn(ref.scope, ref.aliasName)} is not found.`);
    keyId = alias.targetKeyId;
  } else {
    keyId = ref.keyId;
  }
  const key = await store.getKey(ref.scope, keyId);
  if (!key) throw new NotFoundException(`Key '${keyArn(ref.scope, keyId)}' does not exist`);
  return key;
}
