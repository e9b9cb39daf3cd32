/**
 * fast-check arbitraries built from the AWS model: for any shape, values that are well typed and
 * near its constraints (lengths at and past the bounds, enum values, pattern matches, integers
 * around the range), values of the wrong JSON type, malformed base64 for blobs, and structures
 * with a random subset of their members plus, now and then, a member that does not exist
 * (including the names every plain object inherits, such as `constructor` and `__proto__`).
 *
 * Bodies are built as objects whose keys are all own properties (`__proto__` included, as
 * JSON.parse makes them) and sent as JSON text.
 */
import fc from 'fast-check';
import { kmsModel } from '../../src/protocol/kms-model.generated.js';
import { shapeNamed } from './oracle.js';

/** Property names of Object.prototype: member names and map keys a server must treat as data. */
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
] as const;

export const MODEL_OPERATIONS: readonly string[] = Object.keys(kmsModel.operations);

/**
 * Enum values the fuzz tests never send: RSA key generation costs up to 2 s (RSA_4096), and a
 * fuzz run must stay fast. The functional tests cover RSA.
 */
const SLOW_ENUM_VALUE = /^RSA_\d+$/;

/** `arbitrary` one time in `oneIn`, null otherwise (fc.option's `freq` is the chance of null). */
export function sometimes<T>(arbitrary: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
}

/** An object whose entries are all own, enumerable properties (last one wins, as in JSON.parse). */
export function objectOf(entries: Iterable<readonly [string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Key references a request may carry, good and bad, for the real keys of a test app. */
export interface KeyFixtures {
  keyId: string;
  keyArn: string;
  aliasName: string;
  aliasArn: string;
}

export function keyReference(fixtures: KeyFixtures): fc.Arbitrary<string> {
  const { keyId, keyArn, aliasName, aliasArn } = fixtures;
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(keyId, keyArn, aliasName, aliasArn) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        keyId.toUpperCase(),
        keyId.replaceAll('-', ''),
        `${keyId} `,
        'fake-key-id',
        '00000000-0000-0000-0000-000000000000',
        `mrk-${'0'.repeat(32)}`,
        keyArn.replace('us-east-1', 'eu-west-1'),
        keyArn.replace('111122223333', '444455556666'),
        keyArn.replace('arn:aws:', 'arn:aws-cn:'),
        aliasArn.replace('111122223333', '444455556666'),
        'alias/does-not-exist',
        'alias/aws/ebs',
        'alias/',
        'arn:',
        'arn:aws:kms:us-east-1:111122223333:',
        'arn:aws:kms:us-east-1:111122223333:key/',
        'arn:aws:kms:::key/x',
        ...PROTOTYPE_NAMES,
      ),
    },
    { weight: 1, arbitrary: anyString(64) },
  );
}

/** Strings of every kind: ASCII, any code point (lone surrogates included), and oddities. */
export function anyString(maxLength: number): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.constantFrom('', ' ', '\u0000', 'null', 'undefined', '\ufeff', '\ud800', '%00', '../', '${x}', ...PROTOTYPE_NAMES),
  );
}

/** A JSON value of some type, for the wrong-type cases. */
export function anyJson(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    anyString(16),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
    fc.dictionary(anyString(8), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  );
}

/** A string of exactly `length` characters, cheap for any length. */
function stringOfLength(length: number): fc.Arbitrary<string> {
  return fc.string({ minLength: 1, maxLength: 8 }).map((unit) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));
}

/** Bytes of exactly `length`, cheap for any length (a random block repeated). */
export function bytesOfLength(length: number): fc.Arbitrary<Buffer> {
  if (length === 0) return fc.constant(Buffer.alloc(0));
  return fc.uint8Array({ minLength: 1, maxLength: 64 }).map((block) => {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i += block.length) out.set(block.subarray(0, Math.min(block.length, length - i)), i);
    return out;
  });
}

/** Lengths at and around a shape's bounds, plus a few in between. */
function lengthNear(min: number | undefined, max: number | undefined, cap: number): fc.Arbitrary<number> {
  const lo = min ?? 0;
  const hi = max ?? Math.max(lo + 64, 64);
  const edges = [lo - 1, lo, lo + 1, hi - 1, hi, hi + 1].filter((n) => n >= 0);
  return fc.oneof(fc.constantFrom(...edges), fc.integer({ min: lo, max: Math.min(hi, cap) }));
}

/**
 * Strings that are almost base64: valid base64 with one defect (padding removed or doubled, a
 * URL-safe letter, whitespace, a character outside the alphabet, a length that is not a multiple
 * of four), and, for contrast, valid base64 too.
 */
export function almostBase64(): fc.Arbitrary<string> {
  const valid = fc.uint8Array({ minLength: 1, maxLength: 48 }).map((bytes) => Buffer.from(bytes).toString('base64'));
  return fc.oneof(
    valid,
    fc.tuple(valid, fc.nat(), fc.constantFrom('-', '_', ' ', '\n', '\r\n', '\t', '=', '==', '!', '.', '\u00e9', '\u0000', '%', '*'))
      .map(([text, at, defect]) => {
        const i = at % (text.length + 1);
        return text.slice(0, i) + defect + text.slice(i);
      }),
    valid.map((text) => text.replace(/=+$/, '')),
    valid.map((text) => `${text}=`),
    valid.map((text) => text.slice(0, -1)),
    valid.map((text) => text.replaceAll('+', '-').replaceAll('/', '_')),
    valid.map((text) => `data:application/octet-stream;base64,${text}`),
    fc.constantFrom('=', '==', '===', 'A', 'AA', 'AAA', 'A===', '====', 'AA=A', '\u0000\u0000\u0000\u0000'),
  );
}

export interface ShapeValueOptions {
  fixtures: KeyFixtures;
  /** Chance, out of 10, that a value has the wrong JSON type. */
  wrongTypeWeight?: number;
  /**
   * Leave out keys named like Object.prototype properties, for properties about something else
   * that such a key (a separate finding) would otherwise mask.
   */
  avoidPrototypeNames?: boolean;
}

/** Whether any object key in `value`, at any depth, is an Object.prototype property name. */
export function hasPrototypeKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasPrototypeKey);
  if (value === null || typeof value !== 'object') return false;
  return Object.keys(value).some((key) => key in Object.prototype || hasPrototypeKey((value as Record<string, unknown>)[key]));
}

/** Values for shape `shapeName`: mostly well typed and near its constraints, sometimes not. */
export function valueFor(shapeName: string, options: ShapeValueOptions, depth = 0): fc.Arbitrary<unknown> {
  const wrongWeight = options.wrongTypeWeight ?? 2;
  const typed = typedValueFor(shapeName, options, depth);
  if (depth > 3) return typed;
  return fc.oneof({ weight: 10 - wrongWeight, arbitrary: typed }, { weight: wrongWeight, arbitrary: anyJson() });
}

function typedValueFor(shapeName: string, options: ShapeValueOptions, depth: number): fc.Arbitrary<unknown> {
  const shape = shapeNamed(shapeName);
  switch (shape.type) {
    case 'string': {
      if (shapeName === 'KeyIdType') return keyReference(options.fixtures);
      const choices: fc.Arbitrary<string>[] = [anyString(40), lengthNear(shape.min, shape.max, 300).chain(stringOfLength)];
      if (shape.enum) {
        const values = shape.enum.filter((v) => !SLOW_ENUM_VALUE.test(v));
        if (values.length > 0) {
          choices.push(fc.constantFrom(...values), fc.constantFrom(...values).map((v) => v.toLowerCase()));
        }
      }
      if (shape.pattern) {
        const pattern = new RegExp(`^(?:${shape.pattern})$`, 'u');
        choices.push(
          fc
            .stringMatching(pattern, { size: 'small' })
            .filter((s) => s.length <= (shape.max ?? Infinity) + 1),
        );
      }
      if (shapeName === 'AliasNameType') choices.push(fc.constantFrom('alias/fuzz', 'alias/aws/x', 'alias/', 'ALIAS/x', 'alias/a b'));
      return fc.oneof(...choices);
    }
    case 'blob':
      return fc.oneof(
        { weight: 4, arbitrary: lengthNear(shape.min, shape.max, 256).chain(bytesOfLength).map((b) => b.toString('base64')) },
        { weight: 1, arbitrary: almostBase64() },
      );
    case 'integer':
    case 'long': {
      const lo = shape.min ?? -(2 ** 31);
      const hi = shape.max ?? 2 ** 31 - 1;
      return fc.oneof(
        fc.integer({ min: lo - 2, max: hi + 2 }),
        fc.constantFrom(0, -1, -0, lo - 1, hi + 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e308, -1e308),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
      );
    }
    case 'boolean':
      return fc.boolean();
    case 'timestamp':
      return fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
    case 'list':
      return fc.array(valueFor(shape.member, options, depth + 1), { maxLength: Math.min((shape.max ?? 4) + 1, 12) });
    case 'map':
      return fc
        .array(fc.tuple(fc.oneof(anyString(16), fc.constantFrom(...PROTOTYPE_NAMES)), valueFor(shape.value, options, depth + 1)), {
          maxLength: 5,
        })
        .map(objectOf);
    case 'structure':
      return structureFor(shapeName, options, depth);
  }
}

/** A random subset of a structure's members, in random order, sometimes with an unknown member. */
export function structureFor(shapeName: string, options: ShapeValueOptions, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const shape = shapeNamed(shapeName);
  if (shape.type !== 'structure') throw new Error(`${shapeName} is not a structure`);
  const memberNames = Object.keys(shape.members);
  const members = memberNames.map((name) => valueFor(shape.members[name] as string, options, depth + 1).map((v) => [name, v] as const));
  const unknownMember = fc.tuple(
    fc.oneof(
      fc.constantFrom(...PROTOTYPE_NAMES),
      anyString(12),
      fc.constantFrom(...memberNames.map((n) => n.toLowerCase()), 'Unknown'),
    ),
    anyJson(),
  );
  const structures = fc
    .tuple(
      members.length === 0 ? fc.constant([]) : fc.tuple(...members).chain((all) => fc.shuffledSubarray(all)),
      sometimes(unknownMember, 6),
      fc.nat(),
    )
    .map(([entries, extra, at]) => {
      const list: (readonly [string, unknown])[] = [...entries];
      if (extra !== null) list.splice(at % (list.length + 1), 0, extra);
      return objectOf(list);
    });
  return options.avoidPrototypeNames === true && depth === 0 ? structures.filter((s) => !hasPrototypeKey(s)) : structures;
}
