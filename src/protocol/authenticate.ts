/**
 * Authentication: who sent a request. The pipeline's authenticate stage hands an Authenticator
 * the raw request and the time (the injected clock's), and it answers with the Caller every
 * later stage and operation sees, or an AWS error.
 *
 * Development mode (no accounts configured) authenticates nobody: any well-formed request,
 * signed or not, acts as the root user of the default account, in the region of its SigV4
 * credential scope (or the default region when unsigned). The credential scope is still checked
 * (well-formed, service `kms`).
 *
 * Authenticated mode (SigV4Authenticator) verifies every request against the configured access
 * keys (domain/identities.ts), in this order, each failure with AWS's error:
 *
 *   presigned query-string authentication   IncompleteSignatureException (not supported)
 *   no Authorization header                 MissingAuthenticationTokenException
 *   a malformed Authorization header        IncompleteSignatureException
 *   a credential scope for another service  InvalidSignatureException
 *   X-Amz-Date missing or malformed         IncompleteSignatureException
 *   X-Amz-Date of another day than the scope, or over 5 minutes from the clock
 *                                           InvalidSignatureException
 *   an unknown access key, or a session token that is not the key's (missing, wrong, or sent
 *   for a key that has none)                UnrecognizedClientException
 *   host or x-amz-date unsigned, a signed header absent, x-amz-content-sha256 not the body's,
 *   a signature the secret does not give   InvalidSignatureException
 *
 * The caller is the access key's principal, acting in its own account and in the region of the
 * credential scope. Neither the secret nor the session token ever appears in an error.
 */
import { accountRoot, type Caller, type Principal } from '../domain/access.js';
import type { Identities } from '../domain/identities.js';
import { constantTimeEqual } from '../crypto/sha256.js';
import { IncompleteSignatureException, MissingAuthenticationTokenException, messages, UnrecognizedClientException } from '../errors.js';
import { checkRequestDate, checkSignedHeaders, parseAuthorization, parseCredentialScope, SignatureCheck, type SignedRequest } from './sigv4.js';

/** What an Authenticator reads of a request: all of it, and the client's address. */
export interface AuthenticationRequest extends SignedRequest {
  /** The client's IP address, as the transport saw it (aws:SourceIp). */
  remoteAddress?: string;
}

export interface Authenticator {
  /**
   * The verified caller of `request`, judged at `now` (milliseconds since the epoch, from the
   * server's injected clock), or an AWS error (MissingAuthenticationToken, IncompleteSignature,
   * InvalidSignature, UnrecognizedClient).
   */
  authenticate(request: Readonly<AuthenticationRequest>, now: number): Promise<Caller>;
}

/** The caller `principal` makes of `request`, in `region`. Trent serves plain HTTP, never TLS. */
function callerOf(principal: Principal, region: string, request: Readonly<AuthenticationRequest>): Caller {
  return {
    principal,
    scope: { account: principal.account, region },
    ...(request.remoteAddress !== undefined && { sourceIp: request.remoteAddress }),
    secureTransport: false,
  };
}

export class DevelopmentAuthenticator implements Authenticator {
  constructor(
    private readonly account: string,
    private readonly defaultRegion: string,
  ) {}

  async authenticate(request: Readonly<AuthenticationRequest>): Promise<Caller> {
    const scope = parseCredentialScope(request.headers['authorization']);
    const principal = accountRoot(this.account);
    if (scope) principal.accessKeyId = scope.accessKeyId;
    return callerOf(principal, scope?.region ?? this.defaultRegion, request);
  }
}

/** Query parameters of SigV4's query-string form (presigned URLs). */
const PRESIGNED = /(?:^|&)x-amz-(?:signature|credential|algorithm)=/i;

/** AWS's wordings (recorded from DynamoDB and KMS respectively). */
const MISSING_TOKEN = 'Request is missing Authentication Token';
const INVALID_TOKEN = 'The security token included in the request is invalid.';

export class SigV4Authenticator implements Authenticator {
  private readonly checks = new Map<string, SignatureCheck>();

  constructor(private readonly identities: Identities) {}

  async authenticate(request: Readonly<AuthenticationRequest>, now: number): Promise<Caller> {
    const queryAt = request.path.indexOf('?');
    if (queryAt >= 0 && PRESIGNED.test(request.path.slice(queryAt + 1))) throw new IncompleteSignatureException(messages.presignedUnsupported);
    const header = request.headers['authorization'];
    if (header === undefined) throw new MissingAuthenticationTokenException(MISSING_TOKEN);
    const authorization = parseAuthorization(header);
    const amzDate = checkRequestDate(request.headers['x-amz-date'], authorization, now);

    const identity = this.identities.byAccessKeyId(authorization.accessKeyId);
    if (!identity) throw new UnrecognizedClientException(INVALID_TOKEN);
    const token = request.headers['x-amz-security-token'];
    const tokenMatches = identity.sessionToken === undefined ? token === undefined : token !== undefined && constantTimeEqual(token, identity.sessionToken);
    if (!tokenMatches) throw new UnrecognizedClientException(INVALID_TOKEN);

    checkSignedHeaders(authorization.signedHeaders, request.headers);
    await this.checkFor(authorization.accessKeyId, identity.secret).verify(request, authorization, amzDate);
    return callerOf(identity.principal, authorization.region, request);
  }

  private checkFor(accessKeyId: string, secret: string): SignatureCheck {
    let check = this.checks.get(accessKeyId);
    if (!check) {
      check = new SignatureCheck(accessKeyId, secret);
      this.checks.set(accessKeyId, check);
    }
    return check;
  }
}
