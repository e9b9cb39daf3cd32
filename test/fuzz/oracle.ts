/**
 * What the fuzz tests hold every answer to: the AWS JSON 1.1 error shape, the set of error names
 * Trent may send (read from the error classes in src/protocol/errors.ts, not kept by hand), and
 * an independent statement of which JSON bodies the AWS JSON protocol refuses as a
 * SerializationException (a value of the wrong JSON type, malformed base64, an unknown member, a
 * string that is not well-formed Unicode),
 * as opposed to a ValidationException (a well-typed value outside a constraint).
 */
import assert from 'node:assert/strict';
import * as errors from '../../src/errors.js';
import { kmsModel } from '../../src/protocol/kms-model.generated.js';
import type { Shape } from '../../src/protocol/shapes.js';
import type { AppResponse } from '../../src/server/app.js';
import { createRegistry } from '../../src/operations/index.js';

const registry = createRegistry(kmsModel);

type ErrorClass = new (message: string) => errors.KmsError;

const errorClasses = (Object.values(errors) as unknown[]).filter(
  (value): value is ErrorClass => typeof value === 'function' && value.prototype instanceof errors.KmsError,
);

/** Every `__type` a client fault may carry. */
export const CLIENT_ERROR_NAMES: ReadonlySet<string> = new Set(
  errorClasses.map((Class) => new Class('')).filter((e) => e.fault === 'client').map((e) => e.type),
);

export const INTERNAL_ERROR_NAME = new errors.KMSInternalException('').type;

const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JSON11 = 'application/x-amz-json-1.1';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** `__type` of an error answer, undefined for 200. */
  type: string | undefined;
  message: string | undefined;
  text: string;
}

/**
 * Checks that a response is a 200 or an AWS-shaped client error: status 400, body exactly
 * `{__type, message}` with a known client error name and a string message, the request id header
 * and the JSON 1.1 content type. A 500 (or anything else) fails with the whole answer shown.
 */
export function awsAnswer(response: AppResponse, what: string): Answer {
  const shown = `${what}\n  -> ${response.status} ${response.body.slice(0, 600)}`;
  assert.match(response.headers['x-amzn-requestid'] ?? '', REQUEST_ID, `x-amzn-RequestId missing: ${shown}`);
  assert.equal(response.headers['content-type'], JSON11, `content type: ${shown}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body);
  } catch {
    assert.fail(`the body is not JSON: ${shown}`);
  }
  assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), `the body is not a JSON object: ${shown}`);
  const body = parsed as Record<string, unknown>;
  if (response.status === 200) return { status: 200, body, type: undefined, message: undefined, text: response.body };
  assert.equal(response.status, 400, `a client fault must be answered 400: ${shown}`);
  assert.deepEqual(Object.keys(body).sort(), ['__type', 'message'], `error body: ${shown}`);
  assert.equal(typeof body.__type, 'string', shown);
  assert.equal(typeof body.message, 'string', shown);
  assert.ok(CLIENT_ERROR_NAMES.has(body.__type as string), `unknown error name ${String(body.__type)}: ${shown}`);
  return { status: 400, body, type: body.__type as string, message: body.message as string, text: response.body };
}

/** Like awsAnswer, and the answer must be an error of `type` (and `message`, when given). */
export function awsError(response: AppResponse, what: string, type: string, message?: string | RegExp): Answer {
  const answer = awsAnswer(response, what);
  const shown = `${what}\n  -> ${response.status} ${response.body.slice(0, 600)}`;
  assert.equal(answer.type, type, `expected ${type}: ${shown}`);
  if (typeof message === 'string') assert.equal(answer.message, message, shown);
  else if (message !== undefined) assert.match(answer.message ?? '', message, shown);
  return answer;
}

/* ---------------------------------------------------------------------------------------------
 * The model, read the way a client reads it.
 */

/** Whether `name` is an operation of the AWS model (an own entry, not an Object.prototype one). */
export function isModelledOperation(name: string): boolean {
  return Object.hasOwn(kmsModel.operations, name);
}

export function isServedOperation(name: string): boolean {
  return registry.has(name);
}

export function shapeNamed(name: string): Shape {
  assert.ok(Object.hasOwn(kmsModel.shapes, name), `shape ${name} missing from the model`);
  return kmsModel.shapes[name] as Shape;
}

export function inputShapeName(operation: string): string {
  assert.ok(isModelledOperation(operation), `operation ${operation} missing from the model`);
  return (kmsModel.operations[operation] as { input: string }).input;
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 (RFC 4648 section 4) with its padding, no whitespace, no URL-safe letters. */
export function isStrictBase64(text: string): boolean {
  if (text.length % 4 !== 0) return false;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  for (const char of text.slice(0, text.length - padding)) if (!BASE64_ALPHABET.includes(char)) return false;
  return true;
}

/** A lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Why the AWS JSON protocol cannot even read `value` as shape `shapeName` (wrong JSON type,
 * malformed base64, unknown member), or undefined when it can. JSON null counts as absent.
 */
export function serializationFault(shapeName: string, value: unknown, path = ''): string | undefined {
  const shape = shapeNamed(shapeName);
  switch (shape.type) {
    case 'structure': {
      if (!isPlainObject(value)) return `${path || 'body'}: not an object`;
      for (const member of Object.keys(value)) {
        if (!Object.hasOwn(shape.members, member)) return `${path}.${member}: not a member of ${shapeName}`;
        const memberValue = value[member];
        if (memberValue === null) continue;
        const fault = serializationFault(shape.members[member] as string, memberValue, `${path}.${member}`);
        if (fault !== undefined) return fault;
      }
      return undefined;
    }
    case 'list': {
      if (!Array.isArray(value)) return `${path}: not a list`;
      for (const [i, item] of value.entries()) {
        const fault = serializationFault(shape.member, item, `${path}[${i}]`);
        if (fault !== undefined) return fault;
      }
      return undefined;
    }
    case 'map': {
      if (!isPlainObject(value)) return `${path}: not a map`;
      for (const [key, item] of Object.entries(value)) {
        if (hasLoneSurrogate(key)) return `${path}: a map key is not well-formed Unicode`;
        const fault = serializationFault(shape.value, item, `${path}{${key}}`);
        if (fault !== undefined) return fault;
      }
      return undefined;
    }
    case 'string':
      if (typeof value !== 'string') return `${path}: not a string`;
      return hasLoneSurrogate(value) ? `${path}: not well-formed Unicode` : undefined;
    case 'blob':
      if (typeof value !== 'string') return `${path}: not a base64 string`;
      return isStrictBase64(value) ? undefined : `${path}: malformed base64`;
    case 'integer':
    case 'long':
      return typeof value === 'number' && Number.isInteger(value) ? undefined : `${path}: not an integer`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${path}: not a boolean`;
    case 'timestamp':
      return typeof value === 'number' ? undefined : `${path}: not a timestamp`;
  }
}
