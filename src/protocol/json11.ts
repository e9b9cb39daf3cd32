/**
 * The AWS JSON 1.1 protocol: `POST /` with `Content-Type: application/x-amz-json-1.1` and
 * `X-Amz-Target: TrentService.<Operation>`; blobs travel as base64 strings; errors are
 * `{"__type": "<ErrorName>", "message": "..."}` with HTTP 400 (client fault) or 500.
 */
import { KMSInternalException, KmsError, messages, SerializationException, UnknownOperationException } from '../errors.js';

export const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** The largest request body Trent reads; a larger one is refused unread (ValidationException). */
export const MAX_BODY_BYTES = 1024 * 1024;
const TARGET_PREFIX = 'TrentService.';

/** Accepts the JSON 1.1 media type (and 1.0, which some clients send), with parameters. */
export function checkContentType(contentType: string | undefined): void {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== CONTENT_TYPE && mediaType !== 'application/x-amz-json-1.0') {
    throw new UnknownOperationException(
      `The request content type must be ${CONTENT_TYPE}, not ${mediaType === undefined || mediaType === '' ? 'empty' : mediaType}.`,
    );
  }
}

/** The operation name from `X-Amz-Target`. */
export function operationName(target: string | undefined): string {
  if (target === undefined || !target.startsWith(TARGET_PREFIX) || target.length === TARGET_PREFIX.length) {
    throw new UnknownOperationException('');
  }
  return target.slice(TARGET_PREFIX.length);
}

// Strict UTF-8: lossy decoding would map different byte strings (FF, FE) to the same text, and
// so let a ciphertext bound to one encryption context decrypt under another.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function parseBody(body: Buffer): unknown {
  if (body.length === 0) return {};
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new SerializationException('The request body is not valid UTF-8.');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SerializationException('The request body is not valid JSON.');
  }
}

/** Blobs become base64 strings; everything else is already JSON. */
function toJsonValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key in value) out[key] = toJsonValue((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/**
 * Serialises an operation's output. A conversion pass and a plain JSON.stringify cost about
 * half of a stringify replacer, which runs for every key (bench/hot-paths.ts).
 */
export function serializeOutput(output: object): string {
  return JSON.stringify(toJsonValue(output));
}

export interface WireError {
  status: number;
  body: string;
}

/** Every error leaves through here; unexpected ones become KMSInternalException, never a stack. */
export function toWire(err: unknown): WireError {
  const error = err instanceof KmsError ? err : new KMSInternalException(messages.internal);
  return { status: error.status, body: JSON.stringify({ __type: error.type, message: error.message }) };
}
