/**
 * The values of the IAM policy language: wildcard patterns, ARN segments, policy variables and the
 * condition operators, one descriptor per operator. `policies.ts` parses documents and decides
 * statements; this module answers one question for it: does a `Condition` block hold for the
 * values of one request?
 *
 * Sources, all in the IAM User Guide: "IAM JSON policy elements: Condition operators"
 * (reference_policies_elements_condition_operators), "Creating a condition with multiple keys or
 * values" (reference_policies_multi-value-conditions), "IAM policy elements: Variables and tags"
 * (reference_policies_variables) and "IAM JSON policy elements: Resource" for ARN wildcards.
 *
 * Wildcards are matched by a two-pointer scan over code points, never by a regular expression
 * built from policy text: a pattern such as `*a*a*a*b` costs at most |pattern| x |value| steps.
 */
import { BlockList, isIP } from 'node:net';

// ---- Wildcard patterns --------------------------------------------------------------------------

/** A compiled pattern: Unicode code points, with these two (negative) values as the wildcards. */
export type Pattern = readonly number[];
const STAR = -1;
const QMARK = -2;

/** The code points of `text`, so that `?` stands for one character, not one UTF-16 unit. */
export function codePoints(text: string): number[] {
  const points: number[] = [];
  for (const char of text) points.push(char.codePointAt(0) ?? 0);
  return points;
}

/** The text of code points, in slices small enough for String.fromCodePoint's argument list. */
function textOf(points: readonly number[]): string {
  let text = '';
  for (let i = 0; i < points.length; i += 4096) text += String.fromCodePoint(...points.slice(i, i + 4096));
  return text;
}

/** `*` matches any run of characters (also none), `?` exactly one; everything else itself. */
export function wildcardPattern(text: string): number[] {
  return codePoints(text).map((c) => (c === 0x2a ? STAR : c === 0x3f ? QMARK : c));
}

/**
 * Whether `value` matches `pattern` as a whole. The classic greedy scan: on a mismatch it retries
 * from the last `*` one character further, so each (pattern, value) position pair is visited at
 * most once per star: O(|pattern| x |value|) in the worst case, never exponential.
 */
export function matchesPattern(pattern: Pattern, value: readonly number[]): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let starValue = 0;
  while (v < value.length) {
    const token = pattern[p];
    if (token === QMARK || (token !== undefined && token === value[v])) {
      p++;
      v++;
    } else if (token === STAR) {
      star = p++;
      starValue = v;
    } else if (star >= 0) {
      p = star + 1;
      v = ++starValue;
    } else {
      return false;
    }
  }
  while (pattern[p] === STAR) p++;
  return p === pattern.length;
}

/** Matches `value` against the wildcard pattern `text` (for actions: lower-case both first). */
export function wildcardMatch(text: string, value: string): boolean {
  return matchesPattern(wildcardPattern(text), codePoints(value));
}

// ---- Policy variables ---------------------------------------------------------------------------

/**
 * Looks up the value a policy variable `${name}` stands for; `name` is in lower case, because
 * condition keys are case-insensitive. Undefined when the request has no (single) value for it.
 */
export type VariableResolver = (name: string) => string | undefined;

/** The three variables that stand for characters which would otherwise be special (IAM "Special characters"). */
const SPECIAL_VARIABLES = new Map([
  ['*', 0x2a],
  ['?', 0x3f],
  ['$', 0x24],
]);

/**
 * Compiles a policy value into segments of pattern tokens, resolving `${variable}` and
 * `${variable, 'default'}` when `resolve` is given (only policies of Version 2012-10-17 have
 * variables; in older ones `${...}` is literal text). A resolved value is literal: a `*` in a
 * user name is not a wildcard. With `wildcards`, `*` and `?` in the policy text are wildcards.
 * With `arnSegments`, the first five colons of the policy text (not those inside a variable's
 * value) separate the six segments of an ARN. Returns undefined when a variable has no value and
 * no default: AWS then treats the value as null, which equals or is like nothing.
 */
export function compileValue(
  text: string,
  options: { resolve: VariableResolver | undefined; wildcards: boolean; arnSegments?: boolean },
): number[][] | undefined {
  const segments: number[][] = [[]];
  let current = segments[0] as number[];
  const points = codePoints(text);
  for (let i = 0; i < points.length; i++) {
    const c = points[i] as number;
    if (c === 0x24 && points[i + 1] === 0x7b && options.resolve) {
      const variable = readVariable(points, i + 2);
      if (variable) {
        const special = SPECIAL_VARIABLES.get(variable.name);
        if (special !== undefined) {
          current.push(special);
        } else {
          const value = options.resolve(variable.name.toLowerCase()) ?? variable.fallback;
          if (value === undefined) return undefined;
          current.push(...codePoints(value));
        }
        i = variable.end;
        continue;
      }
    }
    if (c === 0x3a && options.arnSegments && segments.length < 6) {
      current = [];
      segments.push(current);
    } else if (options.wildcards && c === 0x2a) {
      current.push(STAR);
    } else if (options.wildcards && c === 0x3f) {
      current.push(QMARK);
    } else {
      current.push(c);
    }
  }
  return segments;
}

/**
 * Reads `name}` or `name, 'default'}` starting at `start` (just after `${`). Returns the index of
 * the closing brace, or undefined when the text is not a variable (it then stays literal).
 */
function readVariable(points: readonly number[], start: number): { name: string; fallback?: string; end: number } | undefined {
  let i = start;
  while (i < points.length && points[i] !== 0x7d && points[i] !== 0x2c) i++;
  if (i >= points.length || i === start) return undefined;
  const name = textOf(points.slice(start, i)).trim();
  if (name === '') return undefined;
  if (points[i] === 0x7d) return { name, end: i };
  // `${aws:PrincipalTag/team, 'company-wide'}`: a comma, spaces, a quoted default, the brace.
  i++;
  while (points[i] === 0x20) i++;
  if (points[i] !== 0x27) return undefined;
  const quoted = ++i;
  while (i < points.length && points[i] !== 0x27) i++;
  if (i >= points.length) return undefined;
  const fallback = textOf(points.slice(quoted, i));
  i++;
  while (points[i] === 0x20) i++;
  if (points[i] !== 0x7d) return undefined;
  return { name, fallback, end: i };
}

/** The text a value stands for, variables resolved, no wildcards; undefined when unresolved. */
function expand(text: string, resolve: VariableResolver | undefined): string | undefined {
  const segments = compileValue(text, { resolve, wildcards: false });
  return segments ? textOf(segments[0] ?? []) : undefined;
}

/**
 * Splits an ARN into its six colon-separated segments (the sixth keeps any further colons),
 * padding a short one with empty segments.
 */
function arnSegments(arn: string): number[][] {
  const segments = codePointsSplit(arn, 5);
  while (segments.length < 6) segments.push([]);
  return segments;
}

function codePointsSplit(text: string, maxColons: number): number[][] {
  const segments: number[][] = [[]];
  let current = segments[0] as number[];
  for (const c of codePoints(text)) {
    if (c === 0x3a && segments.length <= maxColons) {
      current = [];
      segments.push(current);
    } else {
      current.push(c);
    }
  }
  return segments;
}

/**
 * An ARN pattern as IAM reads it in `Resource` and the Arn operators: each of the six segments
 * is matched separately, so a `*` never crosses a colon of the first five ("Amazon Resource Name
 * (ARN) condition operators"). A pattern with fewer segments is completed with `*` segments, as
 * IAM does (it reports `a:b:c` as `arn:b:c:*:*:*`), and the pattern `*` alone matches anything.
 */
export function compileArnPattern(text: string, resolve: VariableResolver | undefined): ((arn: string) => boolean) | undefined {
  if (text === '*') return () => true;
  const segments = compileValue(text, { resolve, wildcards: true, arnSegments: true });
  if (!segments) return undefined;
  while (segments.length < 6) segments.push([STAR]);
  return (arn) => {
    const value = arnSegments(arn);
    return segments.every((pattern, i) => matchesPattern(pattern, value[i] ?? []));
  };
}

// ---- Condition operators ------------------------------------------------------------------------

/**
 * A request value matcher for one policy value, in the operator's positive sense (for
 * StringNotEquals, the StringEquals test); undefined when the policy value is null (an unresolved
 * variable) or cannot be read as the operator's type, so that it matches no request value.
 */
type Matcher = (requestValue: string) => boolean;

export interface ConditionOperator {
  name: string;
  /** StringNotEquals, NotIpAddress, ...: the condition holds when no policy value matches. */
  negated: boolean;
  /**
   * Reads one policy value. Only the String, Arn and Bool matchers use `resolve`: "You can not
   * use a policy variable with" the Numeric, Date, Binary and IP address operators, so `${...}`
   * there is literal text (and no number, date, base64 or address).
   */
  matcher(policyValue: string, resolve: VariableResolver | undefined): Matcher | undefined;
}

function operator(name: string, negated: boolean, matcher: ConditionOperator['matcher']): ConditionOperator {
  return { name, negated, matcher };
}

const stringEquals: ConditionOperator['matcher'] = (value, resolve) => {
  const expected = expand(value, resolve);
  return expected === undefined ? undefined : (actual) => actual === expected;
};

const stringEqualsIgnoreCase: ConditionOperator['matcher'] = (value, resolve) => {
  const expected = expand(value, resolve)?.toLowerCase();
  return expected === undefined ? undefined : (actual) => actual.toLowerCase() === expected;
};

const stringLike: ConditionOperator['matcher'] = (value, resolve) => {
  const segments = compileValue(value, { resolve, wildcards: true });
  const pattern = segments?.[0];
  return pattern === undefined ? undefined : (actual) => matchesPattern(pattern, codePoints(actual));
};

const arnLike: ConditionOperator['matcher'] = (value, resolve) => compileArnPattern(value, resolve);

/** Integers and decimals, as in `"s3:max-keys": "10"` or `"kms:ValidTo": "1546257599.0"`. */
function parseNumber(text: string): number | undefined {
  return /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/.test(text.trim()) ? Number(text) : undefined;
}

function numeric(compare: (actual: number, expected: number) => boolean): ConditionOperator['matcher'] {
  return (value) => {
    const expected = parseNumber(value);
    return expected === undefined ? undefined : (actual) => {
      const n = parseNumber(actual);
      return n !== undefined && compare(n, expected);
    };
  };
}

/**
 * Date/time values: the W3C profile of ISO 8601 the guide names (YYYY-MM-DD, with optional
 * Thh:mm, :ss and fraction, and Z or +hh:mm), or epoch (UNIX) seconds. A string of digits alone
 * is read as epoch seconds. Returns milliseconds since the epoch.
 */
export function parseDate(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^-?\d+(?:\.\d+)?$/.test(trimmed)) {
    const ms = Number(trimmed) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2}))?)?)?$/.exec(trimmed);
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', fraction = '', zone = 'Z'] = m;
  const [year, month, day, hours, minutes, seconds] = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)];
  const moment = new Date(0);
  // setUTCFullYear, not Date.UTC, which reads the years 0-99 as 1900-1999.
  moment.setUTCFullYear(year, month, day);
  moment.setUTCHours(hours, minutes, seconds);
  // Dates roll 2021-02-30 over to March; a date that does not round-trip is not a date.
  if (moment.getUTCMonth() !== month || moment.getUTCDate() !== day || hours > 23 || minutes > 59 || seconds > 59) {
    return undefined;
  }
  const utc = moment.getTime();
  let offset = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return utc + (fraction ? Number(`0${fraction}`) * 1000 : 0) - offset;
}

function date(compare: (actual: number, expected: number) => boolean): ConditionOperator['matcher'] {
  return (value) => {
    const expected = parseDate(value);
    return expected === undefined ? undefined : (actual) => {
      const t = parseDate(actual);
      return t !== undefined && compare(t, expected);
    };
  };
}

/** Bool compares "true" and "false" (a policy may write the JSON booleans, parsed to these strings). */
const bool: ConditionOperator['matcher'] = (value, resolve) => {
  const expected = expand(value, resolve)?.toLowerCase();
  return expected === 'true' || expected === 'false' ? (actual) => actual.toLowerCase() === expected : undefined;
};

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** BinaryEquals: byte for byte against the base64 policy value; request values are base64 too. */
const binaryEquals: ConditionOperator['matcher'] = (value) => {
  if (!BASE64.test(value)) return undefined;
  const expected = Buffer.from(value, 'base64');
  return (actual) => BASE64.test(actual) && Buffer.from(actual, 'base64').equals(expected);
};

/**
 * IpAddress: an IPv4 or IPv6 address or CIDR range; an address without a prefix means that one
 * address (/32, or /128 for IPv6). node:net's BlockList also matches IPv4-mapped IPv6 addresses.
 */
const ipAddress: ConditionOperator['matcher'] = (value) => {
  const [address = '', prefix, extra] = value.trim().split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return undefined;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const bits = prefix === undefined ? (family === 4 ? 32 : 128) : /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
  if (bits < 0 || bits > (family === 4 ? 32 : 128)) return undefined;
  const range = new BlockList();
  range.addSubnet(address, bits, type);
  return (actual) => {
    const actualFamily = isIP(actual.trim());
    return actualFamily !== 0 && range.check(actual.trim(), actualFamily === 4 ? 'ipv4' : 'ipv6');
  };
};

/** Every operator of "IAM JSON policy elements: Condition operators", except Null (below). */
const operators: readonly ConditionOperator[] = [
  operator('StringEquals', false, stringEquals),
  operator('StringNotEquals', true, stringEquals),
  operator('StringEqualsIgnoreCase', false, stringEqualsIgnoreCase),
  operator('StringNotEqualsIgnoreCase', true, stringEqualsIgnoreCase),
  operator('StringLike', false, stringLike),
  operator('StringNotLike', true, stringLike),
  operator('NumericEquals', false, numeric((a, e) => a === e)),
  operator('NumericNotEquals', true, numeric((a, e) => a === e)),
  operator('NumericLessThan', false, numeric((a, e) => a < e)),
  operator('NumericLessThanEquals', false, numeric((a, e) => a <= e)),
  operator('NumericGreaterThan', false, numeric((a, e) => a > e)),
  operator('NumericGreaterThanEquals', false, numeric((a, e) => a >= e)),
  operator('DateEquals', false, date((a, e) => a === e)),
  operator('DateNotEquals', true, date((a, e) => a === e)),
  operator('DateLessThan', false, date((a, e) => a < e)),
  operator('DateLessThanEquals', false, date((a, e) => a <= e)),
  operator('DateGreaterThan', false, date((a, e) => a > e)),
  operator('DateGreaterThanEquals', false, date((a, e) => a >= e)),
  operator('Bool', false, bool),
  operator('BinaryEquals', false, binaryEquals),
  operator('IpAddress', false, ipAddress),
  operator('NotIpAddress', true, ipAddress),
  // "The ArnEquals and ArnLike condition operators behave identically."
  operator('ArnEquals', false, arnLike),
  operator('ArnLike', false, arnLike),
  operator('ArnNotEquals', true, arnLike),
  operator('ArnNotLike', true, arnLike),
];

const operatorsByName = new Map(operators.map((op) => [op.name, op]));

/** A condition operator as written in a policy: `ForAnyValue:StringLikeIfExists` and the like. */
export interface ParsedOperator {
  /** Undefined for Null, which tests only whether the key is present. */
  base: ConditionOperator | undefined;
  set: 'ForAnyValue' | 'ForAllValues' | undefined;
  ifExists: boolean;
}

/**
 * Reads an operator name, or returns undefined for one IAM does not define. `IfExists` may end
 * any operator but Null; `ForAnyValue:` and `ForAllValues:` may start any. Names are
 * case-sensitive, as the grammar writes them.
 */
export function parseOperator(name: string): ParsedOperator | undefined {
  let rest = name;
  let set: ParsedOperator['set'];
  for (const prefix of ['ForAnyValue', 'ForAllValues'] as const) {
    if (rest.startsWith(`${prefix}:`)) {
      set = prefix;
      rest = rest.slice(prefix.length + 1);
      break;
    }
  }
  if (rest === 'Null') return { base: undefined, set, ifExists: false };
  const ifExists = rest.endsWith('IfExists');
  const base = operatorsByName.get(ifExists ? rest.slice(0, -'IfExists'.length) : rest);
  return base ? { base, set, ifExists } : undefined;
}

/** The condition values of one request, by lower-case condition key (see policies.ts). */
export type ConditionValues = ReadonlyMap<string, readonly string[]>;

/**
 * Whether one `operator: {key: values}` entry holds. Missing keys, as the guide lays them out:
 * "If the key that you specify in a policy condition is not present in the request context, the
 * values do not match and the condition is false", true for a negated operator, true with
 * `...IfExists`; with a set operator, `ForAllValues` is true and `ForAnyValue` false
 * ("reference_policies_multi-value-conditions"). Several policy values for one key are ORed;
 * for a negated operator that makes a NOR. Without a set operator, a key with several request
 * values matches when any of them does.
 */
function keyHolds(op: ParsedOperator, requestValues: readonly string[] | undefined, policyValues: readonly string[], resolve: VariableResolver | undefined): boolean {
  const base = op.base;
  if (!base) {
    // Null: `true` holds when the key is absent, `false` when it is present.
    const expected = requestValues === undefined ? 'true' : 'false';
    return policyValues.some((value) => value.toLowerCase() === expected);
  }
  if (requestValues === undefined) {
    if (op.ifExists || op.set === 'ForAllValues') return true;
    if (op.set === 'ForAnyValue') return false;
    return base.negated;
  }
  const matchers = policyValues.flatMap((value) => base.matcher(value, resolve) ?? []);
  const matchesAny = (value: string) => matchers.some((matcher) => matcher(value));
  const holdsFor = (value: string) => matchesAny(value) !== base.negated;
  if (op.set === 'ForAllValues') return requestValues.every(holdsFor);
  if (op.set === 'ForAnyValue') return requestValues.some(holdsFor);
  return requestValues.some(matchesAny) !== base.negated;
}

/**
 * Whether a statement's `Condition` block holds for a request: every operator, and every key
 * under each operator, must hold (AND). An operator this module does not know never holds
 * (parsing refuses such policies, so this only guards hand-built documents).
 */
export function conditionsHold(
  condition: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>,
  values: ConditionValues,
  resolve: VariableResolver | undefined,
): boolean {
  for (const [name, keys] of Object.entries(condition)) {
    const op = parseOperator(name);
    if (!op) return false;
    for (const [key, policyValues] of Object.entries(keys)) {
      if (!keyHolds(op, values.get(key.toLowerCase()), policyValues, resolve)) return false;
    }
  }
  return true;
}
