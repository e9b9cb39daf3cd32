/**
 * The request pipeline's machinery: an Exchange (one request, its response and what the stages
 * learn about it on the way) and `compose`, which runs an ordered list of stages the way
 * hono's compose() runs middleware. Each stage does one thing, may stop the request by setting
 * a response or throwing an AWS error, and otherwise calls `next()`; code after `next()` runs on
 * the way back out (the request id header, logging, error mapping).
 *
 * The list itself, which reads top to bottom as a request is handled, is in app.ts.
 */
import type { Logger } from 'pino';
import type { Caller } from '../domain/access.js';
import type { AttestedRecipient } from '../domain/attestation.js';
import type { Operation } from '../operations/context.js';
import type { GrantRecord } from '../storage/types.js';

export interface AppRequest {
  method: string;
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  body: Buffer;
  /** Set when the body was over the limit and was not read. */
  oversized?: boolean;
  /** The client's IP address, from the socket (IPv4 addresses in their dotted form). */
  remoteAddress?: string;
}

export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface Exchange {
  readonly request: AppRequest;
  readonly requestId: string;
  /**
   * The eventID of the request's audit record, set by the audit stage before the request goes
   * on (so the operation's key use can name it: GetKeyLastUsage's CloudTrailEventId); none
   * with the audit log off.
   */
  eventId: string | undefined;
  /** The server's logger with this request's id on every line it writes. */
  readonly logger: Logger;
  /** process.hrtime.bigint() when the request arrived. */
  readonly started: bigint;
  response: AppResponse | undefined;
  /** The error the response reports, for the stages that log (and later audit) it. */
  error: unknown;
  /** Set by the target stage. */
  operation: Operation | undefined;
  /** Set by the authenticate stage. */
  caller: Caller | undefined;
  /** The parsed JSON body, set by the parse stage. */
  body: unknown;
  /** The validated input, set by the validate stage. */
  input: Record<string, unknown> | undefined;
  /** The grants the input's GrantTokens name, set by the grantTokens stage. */
  tokenGrants: readonly GrantRecord[] | undefined;
  /** The operation's output, set by the dispatch stage (the audit stage reads it). */
  output: object | undefined;
  /** ARNs of the KMS keys the request was authorized on, in order (the audit record's resources). */
  keyArns: string[];
  /** The request's Recipient once its attestation document verified, set by the attest stage. */
  recipient: AttestedRecipient | undefined;
}

/** A new exchange: every field there from the start, so the object keeps one shape through the stages. */
export function newExchange(request: AppRequest, requestId: string, logger: Logger): Exchange {
  return {
    request,
    requestId,
    eventId: undefined,
    logger: logger.child({ requestId }),
    started: process.hrtime.bigint(),
    response: undefined,
    error: undefined,
    operation: undefined,
    caller: undefined,
    body: undefined,
    input: undefined,
    tokenGrants: undefined,
    output: undefined,
    keyArns: [],
    recipient: undefined,
  };
}

export type Stage = (exchange: Exchange, next: () => Promise<void>) => Promise<void>;

const done = Promise.resolve();

/**
 * Runs `stages` in order; a stage that does not call next() ends the request there. A stage that
 * has nothing to do after next() returns its promise rather than awaiting it, and an error
 * thrown by any stage reaches the stages before it as a rejection (mapErrors catches it).
 */
export function compose(stages: readonly Stage[]): (exchange: Exchange) => Promise<void> {
  return (exchange) => {
    let reached = -1;
    const run = (i: number): Promise<void> => {
      if (i <= reached) return Promise.reject(new Error('a pipeline stage called next() twice'));
      reached = i;
      const stage = stages[i];
      if (!stage) return done;
      try {
        return stage(exchange, () => run(i + 1));
      } catch (err) {
        return Promise.reject(err);
      }
    };
    return run(0);
  };
}

/** What an earlier stage set; a stage running out of order is a bug, not a client error. */
export function earlier<T>(value: T | undefined, stage: string): T {
  if (value === undefined) throw new Error(`the ${stage} stage must run before this one`);
  return value;
}
