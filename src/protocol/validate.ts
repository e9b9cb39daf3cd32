/**
 * Request validation driven by the AWS service model: member types, required members, lengths,
 * ranges, enums and patterns, reported with AWS's wording:
 *
 *   1 validation error detected: Value 'X' at 'keyPairSpec' failed to satisfy constraint:
 *   Member must satisfy enum value set: [RSA_2048, ...]
 *
 * Type mismatches and malformed base64 are SerializationException, as the AWS JSON protocol
 * reports them. Sensitive members (Plaintext, ...) are never echoed. Blob members come out of
 * validation decoded to Buffers; everything else keeps its JSON type.
 */
import { SerializationException, validationFailed, violation } from '../errors.js';
import type { Shape, ServiceModel } from './shapes.js';

const serializationMessages = {
  notString: (json: string) => `${json} can not be converted to a String`,
  notNumber: (json: string) => `${json} can not be converted to an Integer`,
  notBoolean: (json: string) => `${json} can not be converted to a Boolean`,
  notBlob: (json: string) => `${json} can not be converted to a Blob`,
  unexpectedStructure: 'Start of structure or map found where not expected.',
  unexpectedList: 'Start of list found where not expected.',
  expectedStructure: (json: string) => `${json} can not be converted to a structure`,
  expectedList: (json: string) => `${json} can not be converted to a list`,
  invalidBase64: 'Base64 encoded value is invalid.',
  illFormedString: 'A string in the request is not well-formed Unicode (it has a lone surrogate).',
  unknownMember: (member: string) => `Unrecognized member '${member}' in the request.`,
};

/** The name Jackson gives each JSON token, which the AWS JSON protocol's messages use. */
function jsonTokenName(value: unknown): string {
  if (value === null) return 'VALUE_NULL';
  if (typeof value === 'string') return 'STRING_VALUE';
  if (typeof value === 'number') return 'NUMBER_VALUE';
  if (typeof value === 'boolean') return value ? 'TRUE_VALUE' : 'FALSE_VALUE';
  if (Array.isArray(value)) return 'START_ARRAY';
  return 'START_OBJECT';
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeBase64(text: string): Buffer {
  if (!BASE64.test(text)) throw new SerializationException(serializationMessages.invalidBase64);
  return Buffer.from(text, 'base64');
}

/** AWS member paths use lowerCamelCase names: KeyPairSpec -> keyPairSpec. */
function pathSegment(member: string): string {
  return member.charAt(0).toLowerCase() + member.slice(1);
}

/** How AWS (a Java service) prints a value in a validation message. */
function render(value: unknown): string {
  if (Buffer.isBuffer(value)) {
    return `java.nio.HeapByteBuffer[pos=0 lim=${value.length} cap=${value.length}]`;
  }
  if (Array.isArray(value)) return `[${value.map(render).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${k}=${render(v)}`).join(', ')}}`;
  }
  return String(value);
}

/**
 * Validates requests against one model. Built once per model: it keeps the compiled pattern of
 * every shape it has met, so no request compiles a regular expression twice.
 */
export class Validator {
  private readonly patterns = new Map<string, RegExp>();

  constructor(private readonly model: ServiceModel) {}

  /**
   * Validates the parsed JSON body of `operation`. Throws SerializationException for type
   * errors and ValidationException listing every constraint violation.
   */
  validate(operation: string, body: unknown): Record<string, unknown> {
    const inputShape = Object.hasOwn(this.model.operations, operation) ? this.model.operations[operation]?.input : undefined;
    if (inputShape === undefined) throw new Error(`operation ${operation} missing from the model`);
    const violations: string[] = [];
    const input = this.check(inputShape, body, '', violations) as Record<string, unknown>;
    if (violations.length > 0) throw validationFailed(violations);
    return input;
  }

  private shape(name: string): Shape {
    const shape = Object.hasOwn(this.model.shapes, name) ? this.model.shapes[name] : undefined;
    if (!shape) throw new Error(`shape ${name} missing from the model`);
    return shape;
  }

  private lengthOf(
    shape: { min?: number; max?: number },
    length: number,
    value: unknown,
    path: string,
    violations: string[],
    sensitive = false,
  ): void {
    const shown = sensitive ? undefined : render(value);
    if (shape.min !== undefined && length < shape.min) {
      violations.push(violation(shown, path, `have length greater than or equal to ${shape.min}`, sensitive));
    }
    if (shape.max !== undefined && length > shape.max) {
      violations.push(violation(shown, path, `have length less than or equal to ${shape.max}`, sensitive));
    }
  }

  private pattern(source: string): RegExp {
    let re = this.patterns.get(source);
    if (!re) {
      // Java's String.matches() anchors the whole value; JavaScript needs it spelt out.
      re = new RegExp(`^(?:${source})$`, 'u');
      this.patterns.set(source, re);
    }
    return re;
  }

  /** Checks `value` against shape `name` and returns it converted (blobs decoded). */
  private check(name: string, value: unknown, path: string, violations: string[]): unknown {
    const shape = this.shape(name);
    switch (shape.type) {
      case 'structure': {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          throw new SerializationException(serializationMessages.expectedStructure(jsonTokenName(value)));
        }
        const out: Record<string, unknown> = {};
        for (const [member, memberValue] of Object.entries(value)) {
          // Own members only: `constructor` or `__proto__` in a request are unknown members.
          const memberShape = Object.hasOwn(shape.members, member) ? shape.members[member] : undefined;
          if (memberShape === undefined) throw new SerializationException(serializationMessages.unknownMember(member));
          if (memberValue === null) continue; // JSON null is the same as absent
          const memberPath = path === '' ? pathSegment(member) : `${path}.${pathSegment(member)}`;
          out[member] = this.check(memberShape, memberValue, memberPath, violations);
        }
        for (const member of shape.required ?? []) {
          if (out[member] === undefined) {
            violations.push(violation(undefined, path === '' ? pathSegment(member) : `${path}.${pathSegment(member)}`, 'not be null'));
          }
        }
        return out;
      }
      case 'list': {
        if (!Array.isArray(value)) {
          if (value !== null && typeof value === 'object') throw new SerializationException(serializationMessages.unexpectedStructure);
          throw new SerializationException(serializationMessages.expectedList(jsonTokenName(value)));
        }
        const items = value.map((item, i) => this.check(shape.member, item, `${path}.${i + 1}.member`, violations));
        this.lengthOf(shape, items.length, items, path, violations);
        return items;
      }
      case 'map': {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          throw new SerializationException(
            Array.isArray(value) ? serializationMessages.unexpectedList : serializationMessages.expectedStructure(jsonTokenName(value)),
          );
        }
        // A null-prototype object: a map key such as `__proto__` is data, and must stay an entry
        // (an encryption context {"__proto__": "x"} is not the empty context).
        const out = Object.create(null) as Record<string, unknown>;
        for (const [k, v] of Object.entries(value)) {
          // Keys are strings whatever the shape says; they must be well-formed like any other.
          if (!k.isWellFormed()) throw new SerializationException(serializationMessages.illFormedString);
          this.check(shape.key, k, path, violations);
          out[k] = this.check(shape.value, v, path, violations);
        }
        this.lengthOf(shape, Object.keys(out).length, out, path, violations);
        return out;
      }
      case 'string': {
        if (typeof value !== 'string') this.typeMismatch(value, serializationMessages.notString);
        const text = value as string;
        // "\ud800" and "\udc00" would both become EF BF BD in UTF-8: refuse rather than conflate.
        if (!text.isWellFormed()) throw new SerializationException(serializationMessages.illFormedString);
        const sensitive = shape.sensitive === true;
        this.lengthOf(shape, text.length, text, path, violations, sensitive);
        const shown = sensitive ? undefined : text;
        if (shape.enum && !shape.enum.includes(text)) {
          violations.push(violation(shown, path, `satisfy enum value set: [${shape.enum.join(', ')}]`, sensitive));
        }
        if (shape.pattern && !this.pattern(shape.pattern).test(text)) {
          violations.push(violation(shown, path, `satisfy regular expression pattern: ${shape.pattern}`, sensitive));
        }
        return text;
      }
      case 'blob': {
        if (typeof value !== 'string') this.typeMismatch(value, serializationMessages.notBlob);
        const bytes = decodeBase64(value as string);
        this.lengthOf(shape, bytes.length, bytes, path, violations, shape.sensitive === true);
        return bytes;
      }
      case 'integer':
      case 'long': {
        if (typeof value !== 'number' || !Number.isInteger(value)) this.typeMismatch(value, serializationMessages.notNumber);
        const n = value as number;
        if (shape.min !== undefined && n < shape.min) violations.push(violation(String(n), path, `have value greater than or equal to ${shape.min}`));
        if (shape.max !== undefined && n > shape.max) violations.push(violation(String(n), path, `have value less than or equal to ${shape.max}`));
        return n;
      }
      case 'boolean':
        if (typeof value !== 'boolean') this.typeMismatch(value, serializationMessages.notBoolean);
        return value;
      case 'timestamp':
        if (typeof value !== 'number') this.typeMismatch(value, serializationMessages.notNumber);
        return value;
    }
  }

  private typeMismatch(value: unknown, message: (token: string) => string): never {
    if (Array.isArray(value)) throw new SerializationException(serializationMessages.unexpectedList);
    if (value !== null && typeof value === 'object') throw new SerializationException(serializationMessages.unexpectedStructure);
    throw new SerializationException(message(jsonTokenName(value)));
  }
}

const validators = new WeakMap<ServiceModel, Validator>();

/** Validates with the (cached) Validator of `model`: for tests and tools without one at hand. */
export function validateInput(model: ServiceModel, operation: string, body: unknown): Record<string, unknown> {
  let validator = validators.get(model);
  if (!validator) {
    validator = new Validator(model);
    validators.set(model, validator);
  }
  return validator.validate(operation, body);
}
