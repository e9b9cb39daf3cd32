/**
 * The stages of the request pipeline, one concern each, in the order app.ts lists them. Each is
 * built from what it needs (the logger, the registry, the model's validator, the authenticator,
 * access control, the services), never from module globals.
 */
import { randomId } from '../crypto/random.js';
import type { AccessControl } from '../domain/access.js';
import { keyLocationOfArn } from '../domain/arn.js';
import { attestRecipient } from '../domain/attestation.js';
import type { Clock } from '../domain/clock.js';
import { checkGrantTokens } from '../domain/grants.js';
import { TRACKED_OPERATIONS } from '../domain/key-usage.js';
import { KMSInternalException, KmsError, messages, UnknownOperationException, UnsupportedOperationException, ValidationException } from '../errors.js';
import type { KeyLastUsageTrackingOperation } from '../kms-types.generated.js';
import type { RequestContext, Services } from '../operations/context.js';
import { requestFacts } from '../operations/core/keys.js';
import type { Registry } from '../operations/index.js';
import type { Authenticator } from '../protocol/authenticate.js';
import { checkContentType, CONTENT_TYPE, operationName, parseBody, serializeOutput, toWire } from '../protocol/json11.js';
import type { ServiceModel } from '../protocol/shapes.js';
import type { Validator } from '../protocol/validate.js';
import type { AuditLog } from './audit-log.js';
import { auditRecord } from './audit-record.js';
import { checkBrowserGuard } from './browser-guard.js';
import { earlier, type AppResponse, type Exchange, type Stage } from './pipeline.js';

/** Every AWS JSON 1.1 answer carries the content type and a request id. */
export function awsResponse(status: number, body: string, requestId: string): AppResponse {
  return { status, headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId }, body };
}

/** The wire form of an error (KMSInternalException for anything that is not a KmsError). */
export function errorResponse(error: unknown, requestId: string = randomId()): AppResponse {
  const wire = toWire(error);
  return awsResponse(wire.status, wire.body, requestId);
}

const elapsedMs = (started: bigint): number => Number(process.hrtime.bigint() - started) / 1e6;

/** 1. Every response, whatever produced it, carries x-amzn-RequestId. */
export function requestId(): Stage {
  return async (exchange, next) => {
    await next();
    if (exchange.response) exchange.response.headers['x-amzn-requestid'] = exchange.requestId;
  };
}

/**
 * 2. One log line per request (debug), naming no input or output member. Every line logged for a
 * request, here and in its operation, carries its requestId (the exchange's child logger).
 */
export function logRequest(): Stage {
  return async (exchange, next) => {
    await next();
    const { error, logger } = exchange;
    if (!logger.isLevelEnabled('debug')) return;
    logger.debug(
      {
        operation: exchange.operation?.name ?? '-',
        status: exchange.response?.status,
        ...(error instanceof KmsError && { error: error.type }),
        ms: elapsedMs(exchange.started),
      },
      'request',
    );
  };
}

/** What the metrics stage reports to (metrics.ts). */
export interface RequestMetrics {
  request(operation: string, errorCode: string, seconds: number): void;
}

/**
 * 3. Every AWS request answered is counted and timed, by operation and error code ("none" when
 * it succeeded); GET /health and GET /metrics are not.
 */
export function countRequests(metrics: RequestMetrics | undefined): Stage {
  if (metrics === undefined) return (_exchange, next) => next();
  return async (exchange, next) => {
    await next();
    const { operation, error } = exchange;
    if (operation === undefined && error === undefined) return;
    const errorCode = error === undefined ? 'none' : error instanceof KmsError ? error.type : 'KMSInternalException';
    metrics.request(operation?.name ?? '-', errorCode, elapsedMs(exchange.started) / 1000);
  };
}

/**
 * 4. Every request that reached an operation, with a known caller, leaves one record in the
 * audit log (audit-record.ts) before its response does: the stage waits for the record to be
 * durably written (audit-log.ts). A record that cannot be written is logged; with
 * `required`, the request then fails with KMSInternalException rather than go unaudited. The
 * record's eventID is given to the exchange before the request goes on, so the key use it
 * records (trackKeyUsage) names the same event.
 */
export function audit(log: AuditLog | undefined, options: { model: ServiceModel; clock: Clock; required: boolean }): Stage {
  if (log === undefined) return (_exchange, next) => next();
  return async (exchange, next) => {
    exchange.eventId = randomId();
    await next();
    const record = auditRecord(exchange, options.model, options.clock.now());
    if (record === undefined) return;
    try {
      await log.append(JSON.stringify(record));
    } catch (err) {
      exchange.logger.error({ operation: record.eventName, err }, 'audit record not written');
      if (!options.required) return;
      exchange.error = new KMSInternalException(messages.internal);
      exchange.response = errorResponse(exchange.error, exchange.requestId);
    }
  };
}

/**
 * 5. Errors become AWS's wire form: a KmsError as itself, anything else as KMSInternalException
 * with a fixed message, logged with the request id and never sent.
 */
export function mapErrors(): Stage {
  return async (exchange, next) => {
    try {
      await next();
      if (!exchange.response) throw new Error('no stage answered the request');
    } catch (err) {
      exchange.error = err;
      exchange.response = errorResponse(err, exchange.requestId);
      if (!(err instanceof KmsError)) {
        exchange.logger.error({ operation: exchange.operation?.name ?? '-', err }, 'unexpected error');
      }
    }
  };
}

/**
 * 6. Development mode (no signature verified) answers nothing a web page could send: a Host that
 * is not loopback (DNS rebinding) or any Origin (browser-guard.ts). Off in authenticated mode.
 */
export function guardBrowsers(enabled: boolean): Stage {
  return (exchange, next) => {
    checkBrowserGuard(exchange.request.headers, enabled);
    return next();
  };
}

export type MetricsText = () => Promise<{ contentType: string; body: string }>;

/** 7. GET (and HEAD) /metrics: the whole server's metrics in the Prometheus text format (metrics.ts). */
export function metricsEndpoint(text: MetricsText | undefined): Stage {
  return async (exchange, next) => {
    const { method, path } = exchange.request;
    if (text === undefined || (method !== 'GET' && method !== 'HEAD') || path.split('?')[0] !== '/metrics') return next();
    const { contentType, body } = await text();
    exchange.response = { status: 200, headers: { 'content-type': contentType }, body };
  };
}

export type HealthReport = () => Record<string, unknown> | Promise<Record<string, unknown>>;

/**
 * 8. GET and HEAD /health: 200 with the server's figures as JSON. HEAD gets GET's answer, whose
 * body node:http leaves out while keeping its Content-Length (RFC 9110, 9.3.2).
 */
export function health(report: HealthReport | undefined): Stage {
  const answer = async (exchange: Exchange): Promise<void> => {
    const body = JSON.stringify({ status: 'ok', ...(await report?.()) });
    exchange.response = { status: 200, headers: { 'content-type': 'application/json' }, body };
  };
  return (exchange, next) => {
    const { method, path } = exchange.request;
    if ((method !== 'GET' && method !== 'HEAD') || path.split('?')[0] !== '/health') return next();
    return answer(exchange);
  };
}

/** 9. Every other request is an AWS call: `POST /`. */
export function route(): Stage {
  return (exchange, next) => {
    const { method, path } = exchange.request;
    if (method !== 'POST' || path.split('?')[0] !== '/') throw new UnknownOperationException('');
    return next();
  };
}

/** 10. Bodies past the limit are refused (the HTTP layer stops reading them). */
export function limitBody(maxBodyBytes: number): Stage {
  return (exchange, next) => {
    if (exchange.request.oversized === true || exchange.request.body.length > maxBodyBytes) {
      throw new ValidationException(`The request body exceeds the limit of ${maxBodyBytes} bytes.`);
    }
    return next();
  };
}

/** 11. The AWS JSON 1.1 media type. */
export function contentType(): Stage {
  return (exchange, next) => {
    checkContentType(exchange.request.headers['content-type']);
    return next();
  };
}

/** 12. X-Amz-Target names an operation the model knows and Trent serves. */
export function target(registry: Registry, model: ServiceModel): Stage {
  return (exchange, next) => {
    const name = operationName(exchange.request.headers['x-amz-target']);
    const operation = registry.get(name);
    if (!operation) {
      if (!Object.hasOwn(model.operations, name)) throw new UnknownOperationException('');
      throw new UnsupportedOperationException(messages.notImplemented(name));
    }
    exchange.operation = operation;
    return next();
  };
}

/**
 * 13. Who is calling: the principal, and the account and region the request acts in. The
 * authenticator reads the whole request (a signature covers its body) and the clock's time.
 */
export function authenticate(authenticator: Authenticator, clock: Clock): Stage {
  return async (exchange, next) => {
    exchange.caller = await authenticator.authenticate(exchange.request, clock.now());
    return next();
  };
}

/** 14. The JSON body (strict UTF-8). */
export function parse(): Stage {
  return (exchange, next) => {
    exchange.body = parseBody(exchange.request.body);
    return next();
  };
}

/** 15. The model's shapes, with AWS's wording. */
export function validate(validator: Validator): Stage {
  return (exchange, next) => {
    exchange.input = validator.validate(earlier(exchange.operation, 'target').name, exchange.body);
    return next();
  };
}

/**
 * 16. Every grant token the request carries (GrantTokens) names a grant that exists, in the
 * request's region: InvalidGrantTokenException otherwise (domain/grants.ts). The grants they
 * name count for every access decision of the request from here on.
 */
export function grantTokens(services: Pick<Services, 'store' | 'grantTokenSigner'>): Stage {
  return async (exchange, next) => {
    const tokens = grantTokensOf(earlier(exchange.input, 'validate'));
    const region = earlier(exchange.caller, 'authenticate').scope.region;
    exchange.tokenGrants = tokens.length === 0 ? [] : await checkGrantTokens(tokens, services.store, services.grantTokenSigner, region);
    return next();
  };
}

/**
 * 17. A Recipient (operations that take one, as the model says) is judged here, once, before
 * any access decision or anything secret is produced: its attestation document is verified
 * against the trusted roots at the clock's time and must carry an RSA key
 * (domain/attestation.ts). Its PCRs then count as condition keys for every decision, and the
 * operation's secret leaves only as CiphertextForRecipient (operations/core/recipient.ts).
 */
export function attest(services: Pick<Services, 'attestationRoots' | 'clock'>): Stage {
  return (exchange, next) => {
    const recipient = earlier(exchange.input, 'validate').Recipient as { AttestationDocument?: Uint8Array } | undefined;
    if (recipient !== undefined && earlier(exchange.operation, 'target').recipient !== undefined) {
      exchange.recipient = attestRecipient(recipient, services.attestationRoots, services.clock.now());
    }
    return next();
  };
}

/**
 * 18. Account-level actions (CreateKey, ListKeys, GenerateRandom, ...) are authorized here, on
 * `*`. Actions on keys and aliases are authorized where the operation resolves them
 * (operations/core/keys.ts), with the facts of that use.
 */
export function authorize(services: Services): Stage {
  return (exchange, next) => {
    const operation = earlier(exchange.operation, 'target');
    if (operation.resources.length > 0) return next();
    const caller = earlier(exchange.caller, 'authenticate');
    const input = earlier(exchange.input, 'validate');
    const facts = {
      ...requestFacts({ grantTokens: grantTokensOf(input), tokenGrants: earlier(exchange.tokenGrants, 'grantTokens'), recipient: exchange.recipient }),
      ...operation.facts(input),
    };
    return services.access.authorize(caller, operation.actions[0], { type: 'account', arn: '*', ...caller.scope }, facts).then(next);
  };
}

function grantTokensOf(input: Record<string, unknown>): readonly string[] {
  return Array.isArray(input.GrantTokens) ? (input.GrantTokens as string[]) : [];
}

/**
 * 19. After a successful cryptographic operation, notes the use of each key it answers with
 * (KeyId, and ReEncrypt's SourceKeyId: key ARNs) for GetKeyLastUsage, with the request id and,
 * when an audit log is on, its record's eventID: a map write, flushed to the store in batches
 * (domain/key-usage.ts).
 */
export function trackKeyUsage(services: Pick<Services, 'keyUsage'>): Stage {
  return async (exchange, next) => {
    await next();
    const operation = exchange.operation;
    const output = exchange.output as { KeyId?: unknown; SourceKeyId?: unknown } | undefined;
    if (output === undefined || operation === undefined || !TRACKED_OPERATIONS.has(operation.name as KeyLastUsageTrackingOperation)) return;
    for (const arn of new Set([output.KeyId, output.SourceKeyId])) {
      const key = typeof arn === 'string' ? keyLocationOfArn(arn) : undefined;
      if (key !== undefined) services.keyUsage.record(key, operation.name, exchange.requestId, exchange.eventId);
    }
  };
}

/**
 * Access control that notes the ARN of every key an access decision is made on, allowed or not:
 * the keys the request used, which its audit record names as resources.
 */
function noteKeys(access: AccessControl, keyArns: string[]): AccessControl {
  const authorize: AccessControl['authorize'] = (caller, action, resource, facts) => {
    if (resource.type === 'key' && !keyArns.includes(resource.arn)) keyArns.push(resource.arn);
    return access.authorize(caller, action, resource, facts);
  };
  return new Proxy(access, {
    get(target, property) {
      if (property === 'authorize') return authorize;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** 20. The operation's handler, and its output as the response. */
export function dispatch(services: Services): Stage {
  return async (exchange) => {
    const operation = earlier(exchange.operation, 'target');
    const input = earlier(exchange.input, 'validate');
    const caller = earlier(exchange.caller, 'authenticate');
    const ctx: RequestContext = {
      ...caller,
      requestId: exchange.requestId,
      operation,
      grantTokens: grantTokensOf(input),
      tokenGrants: earlier(exchange.tokenGrants, 'grantTokens'),
      recipient: exchange.recipient,
      services: { ...services, logger: exchange.logger, access: noteKeys(services.access, exchange.keyArns) },
    };
    const output = await operation.handle(input, ctx);
    exchange.output = output;
    exchange.response = awsResponse(200, serializeOutput(output), exchange.requestId);
  };
}
