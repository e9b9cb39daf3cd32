/**
 * The SigV4 `Authorization` header. This module reads the credential scope (access key id,
 * date, region, service) that decides a request's region, and refuses a scope for another
 * service as AWS does (InvalidSignatureException); verifying the signature against an account's
 * secret comes with the identity issue. An unsigned request has no scope and uses the server's
 * default region.
 *
 *   Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kms/aws4_request,
 *                  SignedHeaders=host;x-amz-date, Signature=<hex>
 */
import { IncompleteSignatureException, InvalidSignatureException } from '../errors.js';

export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

export function parseCredentialScope(authorization: string | undefined): CredentialScope | undefined {
  if (authorization === undefined) return undefined;
  const incomplete = (what: string) =>
    new IncompleteSignatureException(`Authorization header requires ${what}. Authorization=${authorization.split(' ')[0] ?? ''}`);
  if (!authorization.startsWith('AWS4-HMAC-SHA256 ')) throw incomplete("the 'AWS4-HMAC-SHA256' algorithm");
  const credential = /(?:^|[\s,])Credential=([^,\s]+)/.exec(authorization.slice('AWS4-HMAC-SHA256 '.length))?.[1];
  if (credential === undefined) throw incomplete("'Credential' parameter");
  const parts = credential.split('/');
  const [accessKeyId = '', date = '', region = '', service = '', terminator = ''] = parts;
  if (parts.length !== 5 || accessKeyId === '' || !/^\d{8}$/.test(date) || terminator !== 'aws4_request') {
    throw incomplete("a well-formed 'Credential' parameter (<access key>/<date>/<region>/kms/aws4_request)");
  }
  if (!REGION.test(region)) throw incomplete(`a valid region in the credential scope, not '${region}'`);
  // AWS's wording, trailing space included (recorded from AWS Batch's answer to a scope for 'es').
  if (service !== 'kms') throw new InvalidSignatureException("Credential should be scoped to correct service: 'kms'. ");
  return { accessKeyId, date, region, service };
}
