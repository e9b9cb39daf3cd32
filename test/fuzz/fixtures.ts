/**
 * An in-process Trent (test/helpers/in-process.ts) with a symmetric key and an alias, and a way
 * to send it raw requests: any method, path, headers and body bytes, straight to app.handle().
 */
import assert from 'node:assert/strict';
import type { AppRequest, AppResponse } from '../../src/server/app.js';
import { createTestApp, type TestApp } from '../helpers/in-process.js';
import type { KeyFixtures } from './model-arbitraries.js';

export const JSON11 = 'application/x-amz-json-1.1';

export interface FuzzApp extends KeyFixtures {
  test: TestApp;
  /** POSTs `body` (JSON text or bytes) to operation `operation`, with extra or replaced headers. */
  post(operation: string, body: string | Buffer, headers?: Record<string, string | undefined>): Promise<AppResponse>;
  handle(request: AppRequest): Promise<AppResponse>;
  /** Creates another symmetric key and returns its id. */
  createKey(): Promise<string>;
}

export async function createFuzzApp(): Promise<FuzzApp> {
  const test = createTestApp();
  const handle = (request: AppRequest) => test.app.handle(request);
  const post = (operation: string, body: string | Buffer, headers: Record<string, string | undefined> = {}) =>
    handle({
      method: 'POST',
      path: '/',
      headers: { 'content-type': JSON11, 'x-amz-target': `TrentService.${operation}`, ...headers },
      body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
    });
  const createKey = async () => {
    const created = await test.call('CreateKey', {});
    assert.equal(created.status, 200, JSON.stringify(created.body));
    return (created.body.KeyMetadata as { KeyId: string }).KeyId;
  };
  const keyId = await createKey();
  const aliasName = 'alias/fuzz-key';
  const alias = await test.call('CreateAlias', { AliasName: aliasName, TargetKeyId: keyId });
  assert.equal(alias.status, 200, JSON.stringify(alias.body));
  return {
    test,
    post,
    handle,
    createKey,
    keyId,
    keyArn: `arn:aws:kms:us-east-1:111122223333:key/${keyId}`,
    aliasName,
    aliasArn: `arn:aws:kms:us-east-1:111122223333:${aliasName}`,
  };
}

/** AWS member paths in messages use lowerCamelCase: KeyPairSpec -> keyPairSpec. */
export function memberPath(member: string): string {
  return member.charAt(0).toLowerCase() + member.slice(1);
}
