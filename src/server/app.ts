/**
 * The request pipeline, independent of any socket so tests can drive it in-process:
 *
 *   1. request id          every response carries x-amzn-RequestId
 *   2. route               GET and HEAD /health, POST / (anything else: UnknownOperationException)
 *   3. body limit          ValidationException past maxBodyBytes
 *   4. content type        application/x-amz-json-1.1
 *   5. target              X-Amz-Target names a known, served operation
 *   6. credential scope    account and region of the request (SigV4 scope, else defaults)
 *   7. parse               JSON body (SerializationException)
 *   8. validate            the AWS model's shapes (ValidationException / SerializationException)
 *   9. dispatch            the operation's handler
 *  10. error mapping       KmsError -> its wire form; anything else -> KMSInternalException, logged
 */
import { randomId } from '../crypto/random.js';
import { kmsModel } from '../protocol/kms-model.generated.js';
import { checkContentType, CONTENT_TYPE, MAX_BODY_BYTES, operationName, parseBody, serializeOutput, toWire } from '../protocol/json11.js';
import { KmsError, messages, UnknownOperationException, UnsupportedOperationException, ValidationException } from '../errors.js';
import { parseCredentialScope } from '../protocol/sigv4.js';
import { validateInput } from '../protocol/validate.js';
import type { RequestContext, Services } from '../operations/context.js';
import { operationsByName } from '../operations/index.js';

export interface AppRequest {
  method: string;
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  body: Buffer;
  /** Set when the body was over the limit and was not read. */
  oversized?: boolean;
}

export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface AppOptions {
  /** The body limit (MAX_BODY_BYTES unless a test wants a smaller one). */
  maxBodyBytes?: number;
  /** Extra facts for GET /health (version, pool levels, ...); may be gathered asynchronously. */
  health?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
}

export interface App {
  handle(request: AppRequest): Promise<AppResponse>;
}

/** Every AWS JSON 1.1 answer carries the content type and a request id. */
export function awsResponse(status: number, body: string, requestId: string): AppResponse {
  return { status, headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId }, body };
}

/** The wire form of an error (KMSInternalException for anything that is not a KmsError). */
export function errorResponse(error: unknown, requestId: string = randomId()): AppResponse {
  const wire = toWire(error);
  return awsResponse(wire.status, wire.body, requestId);
}

export function createApp(services: Services, options: AppOptions): App {
  const { logger, config } = services;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;

  async function handle(request: AppRequest): Promise<AppResponse> {
    const requestId = randomId();
    const started = process.hrtime.bigint();
    let operation = '-';
    try {
      const path = request.path.split('?')[0];
      // HEAD gets GET's answer; node:http sends its headers without the body (RFC 9110, 9.3.2).
      if ((request.method === 'GET' || request.method === 'HEAD') && path === '/health') {
        return {
          status: 200,
          headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId },
          body: JSON.stringify({ status: 'ok', ...(await options.health?.()) }),
        };
      }
      if (request.method !== 'POST' || path !== '/') throw new UnknownOperationException('');
      if (request.oversized === true || request.body.length > maxBodyBytes) {
        throw new ValidationException(`The request body exceeds the limit of ${maxBodyBytes} bytes.`);
      }
      checkContentType(request.headers['content-type']);
      operation = operationName(request.headers['x-amz-target']);
      const handler = operationsByName.get(operation);
      if (!handler) {
        if (!Object.hasOwn(kmsModel.operations, operation)) throw new UnknownOperationException('');
        throw new UnsupportedOperationException(messages.notImplemented(operation));
      }
      const scope = parseCredentialScope(request.headers['authorization']);
      const ctx: RequestContext = {
        requestId,
        scope: { account: config.defaultAccount, region: scope?.region ?? config.defaultRegion },
        services,
        ...(scope && { accessKeyId: scope.accessKeyId }),
      };
      const input = validateInput(kmsModel, operation, parseBody(request.body));
      const output = await handler.handle(input as never, ctx);
      logger.debug({ requestId, operation, status: 200, ms: elapsed(started) }, 'request');
      return awsResponse(200, serializeOutput(output), requestId);
    } catch (err) {
      const response = errorResponse(err, requestId);
      if (err instanceof KmsError) {
        logger.debug({ requestId, operation, status: response.status, error: err.type, ms: elapsed(started) }, 'request');
      } else {
        logger.error({ requestId, operation, err }, 'unexpected error');
      }
      return response;
    }
  }

  return { handle };
}

function elapsed(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}
