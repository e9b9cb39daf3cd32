/**
 * ARNs of keys and aliases. The partition follows the region: `aws-cn` for China Regions
 * (cn-*), `aws-us-gov` for GovCloud, `aws` elsewhere.
 */
import type { KeyLocation, Scope } from '../storage/types.js';

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function isChinaRegion(region: string): boolean {
  return region.startsWith('cn-');
}

export function keyArn(scope: Scope, keyId: string): string {
  return `arn:${partitionOf(scope.region)}:kms:${scope.region}:${scope.account}:key/${keyId}`;
}

/** The ARN of a stored key (or anything with a scope and a key id). */
export function arnOf(key: Scope & { keyId: string }): string {
  return keyArn(key, key.keyId);
}

/** `aliasName` includes its `alias/` prefix. */
export function aliasArn(scope: Scope, aliasName: string): string {
  return `arn:${partitionOf(scope.region)}:kms:${scope.region}:${scope.account}:${aliasName}`;
}

export interface ParsedArn {
  partition: string;
  region: string;
  account: string;
  /** `key/<id>` or `alias/<name>`. */
  resource: string;
}

export function parseKmsArn(text: string): ParsedArn | undefined {
  const match = /^arn:([a-z-]+):kms:([^:]*):([^:]*):((?:key|alias)\/.+)$/.exec(text);
  if (!match) return undefined;
  const [, partition = '', region = '', account = '', resource = ''] = match;
  return { partition, region, account, resource };
}

/** The key id of a key ARN (`arn:aws:kms:us-east-1:111122223333:key/<id>`); undefined for anything else. */
export function keyIdOfArn(text: string): string | undefined {
  const resource = parseKmsArn(text)?.resource;
  return resource?.startsWith('key/') === true ? resource.slice('key/'.length) : undefined;
}

/** The regional key a key ARN names (its key id and Region); undefined for anything else. */
export function keyLocationOfArn(text: string): KeyLocation | undefined {
  const keyId = keyIdOfArn(text);
  const region = parseKmsArn(text)?.region;
  return keyId === undefined || region === undefined ? undefined : { keyId, region };
}
