/**
 * The app: Trent's request pipeline, independent of any socket so tests drive it in-process with
 * `app.handle()`. A request passes these stages in order (stages.ts), each one concern:
 *
 *   requestId      every response carries x-amzn-RequestId
 *   logRequest     one debug line per request, no member values
 *   countRequests  Prometheus counters and latency by operation and error code
 *   audit          one CloudTrail-shaped record per request, durably written before it is answered
 *   mapErrors      KmsError -> its wire form; anything else -> KMSInternalException, logged
 *   guardBrowsers  development mode only: a loopback Host and no Origin (DNS rebinding, web pages)
 *   metrics        GET /metrics (the Prometheus text format)
 *   health         GET / HEAD /health
 *   route          POST / (anything else: UnknownOperationException)
 *   limitBody      ValidationException past the body limit
 *   contentType    application/x-amz-json-1.1
 *   target         X-Amz-Target names a known, served operation
 *   authenticate   the caller: principal, account and region. Authenticated mode verifies the
 *                  SigV4 signature against the access key's secret (the caller is its principal);
 *                  development mode takes the default account's root, region from the scope
 *   parse          the JSON body (SerializationException)
 *   validate       the model's shapes (ValidationException / SerializationException)
 *   grantTokens    every grant token names a grant that exists (InvalidGrantTokenException)
 *   attest         a Recipient's attestation document verified (ValidationException), before
 *                  any access decision, so its PCRs are condition keys, and before any secret
 *   authorize      account-level actions; key actions are authorized as their key is resolved
 *   trackKeyUsage  the keys a successful cryptographic operation used, for GetKeyLastUsage
 *   dispatch       the operation's handler -> 200 with its output
 */
import { randomId } from '../crypto/random.js';
import type { Services } from '../operations/context.js';
import { createRegistry, type Registry } from '../operations/index.js';
import type { Identities } from '../domain/identities.js';
import { DevelopmentAuthenticator, SigV4Authenticator, type Authenticator } from '../protocol/authenticate.js';
import { MAX_BODY_BYTES } from '../protocol/json11.js';
import { kmsModel } from '../protocol/kms-model.generated.js';
import type { ServiceModel } from '../protocol/shapes.js';
import { Validator } from '../protocol/validate.js';
import { compose, newExchange, type AppRequest, type AppResponse } from './pipeline.js';
import type { AuditLog } from './audit-log.js';
import {
  attest,
  audit,
  authenticate,
  authorize,
  contentType,
  countRequests,
  dispatch,
  grantTokens,
  guardBrowsers,
  health,
  limitBody,
  logRequest,
  mapErrors,
  metricsEndpoint,
  parse,
  requestId,
  route,
  target,
  trackKeyUsage,
  validate,
  type HealthReport,
  type MetricsText,
  type RequestMetrics,
} from './stages.js';

export type { AppRequest, AppResponse } from './pipeline.js';
export { awsResponse, errorResponse } from './stages.js';

export interface AppDependencies {
  services: Services;
  model: ServiceModel;
  registry: Registry;
  authenticator: Authenticator;
  /** The body limit (MAX_BODY_BYTES unless a test wants a smaller one). */
  maxBodyBytes?: number;
  /** The server's figures for GET /health (version, workers, pools, ...). */
  health?: HealthReport;
  /**
   * No accounts configured, so no signature is verified: refuse what a web page could send
   * (browser-guard.ts). Off in authenticated mode, where every request is verified.
   */
  developmentMode: boolean;
  /** Where audit records go (audit-log.ts); none when the audit log is off. */
  auditLog?: AuditLog;
  /** A request whose audit record cannot be written fails (KMSInternalException) instead. */
  auditLogRequired?: boolean;
  /** Where requests are counted and timed (metrics.ts). */
  metrics?: RequestMetrics;
  /** The text GET /metrics answers (the whole server's, in a cluster). */
  metricsText?: MetricsText;
}

export interface App {
  handle(request: AppRequest): Promise<AppResponse>;
}

export function createApp(deps: AppDependencies): App {
  const { logger } = deps.services;
  const pipeline = compose([
    requestId(),
    logRequest(),
    countRequests(deps.metrics),
    audit(deps.auditLog, { model: deps.model, clock: deps.services.clock, required: deps.auditLogRequired ?? false }),
    mapErrors(),
    guardBrowsers(deps.developmentMode),
    metricsEndpoint(deps.metricsText),
    health(deps.health),
    route(),
    limitBody(deps.maxBodyBytes ?? MAX_BODY_BYTES),
    contentType(),
    target(deps.registry, deps.model),
    authenticate(deps.authenticator, deps.services.clock),
    parse(),
    validate(new Validator(deps.model)),
    grantTokens(deps.services),
    attest(deps.services),
    authorize(deps.services),
    trackKeyUsage(deps.services),
    dispatch(deps.services),
  ]);
  return {
    async handle(request) {
      const exchange = newExchange(request, randomId(), logger);
      await pipeline(exchange);
      // mapErrors always answers; this guards a pipeline assembled without it.
      return exchange.response ?? { status: 500, headers: { 'x-amzn-requestid': exchange.requestId }, body: '' };
    },
  };
}

/**
 * The app a server runs: the KMS model and every served operation. Given `identities` with at
 * least one account, it is in authenticated mode: every request's signature is verified
 * (SigV4Authenticator) and the browser guard is off. Otherwise it is in development mode:
 * requests act as the root of `services.config.defaultAccount`.
 */
export function createKmsApp(
  services: Services,
  options: Partial<Pick<AppDependencies, 'maxBodyBytes' | 'health' | 'auditLog' | 'auditLogRequired' | 'metrics' | 'metricsText'>> & { identities?: Identities } = {},
): App {
  const { identities, ...rest } = options;
  const authenticated = identities !== undefined && identities.accounts().length > 0;
  return createApp({
    services,
    model: kmsModel,
    registry: createRegistry(kmsModel),
    authenticator: authenticated
      ? new SigV4Authenticator(identities)
      : new DevelopmentAuthenticator(services.config.defaultAccount, services.config.defaultRegion),
    developmentMode: !authenticated,
    ...rest,
  });
}
