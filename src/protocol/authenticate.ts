/**
 * Authentication: who sent a request. The pipeline's authenticate stage asks an Authenticator,
 * which answers with the Caller every later stage and operation sees.
 *
 * Development mode (no accounts configured) authenticates nobody: any well-formed request,
 * signed or not, acts as the root user of the default account, in the region of its SigV4
 * credential scope (or the default region when unsigned). The credential scope is still checked
 * (well-formed, service `kms`). Verifying signatures against configured accounts is the
 * identity issue's Authenticator.
 */
import { accountRoot, type Caller } from '../domain/access.js';
import { parseCredentialScope } from './sigv4.js';

export interface Authenticator {
  /** The verified caller of a request, or an AWS error (IncompleteSignature, InvalidSignature, ...). */
  authenticate(headers: Readonly<Record<string, string | undefined>>): Promise<Caller>;
}

export class DevelopmentAuthenticator implements Authenticator {
  constructor(
    private readonly account: string,
    private readonly defaultRegion: string,
  ) {}

  async authenticate(headers: Readonly<Record<string, string | undefined>>): Promise<Caller> {
    const scope = parseCredentialScope(headers['authorization']);
    const principal = accountRoot(this.account);
    if (scope) principal.accessKeyId = scope.accessKeyId;
    return { principal, scope: { account: this.account, region: scope?.region ?? this.defaultRegion } };
  }
}
