/**
 * `trent kms <operation> [parameters]`: the command line read as the aws CLI reads it, into the
 * operation's JSON request. Every parameter comes from the model: member `NumberOfBytes` is
 * `--number-of-bytes`, typed by its shape.
 *
 * - scalars take one value; booleans are flags (`--dry-run`, `--no-dry-run`);
 * - lists take one or more values (`--grant-tokens a b`), or one JSON list;
 * - structures and maps take shorthand (`--encryption-context purpose=backup,team=infra`) or JSON;
 * - any value may be `file://PATH` (the file's text) and a blob `fileb://PATH` (its bytes);
 * - blobs given as text are base64, as in aws CLI v2 (`--cli-binary-format base64`), or the
 *   text's own bytes with `--cli-binary-format raw-in-base64-out`, as in aws CLI v1;
 * - `--cli-input-json` / `--cli-input-yaml` give members as a document (strings, file:// too);
 *   a member also on the command line takes the command line's value.
 *
 * Nothing here talks to the server: a bad parameter is a UsageError (exit code 252) before any
 * request is sent, like the aws CLI's parameter validation.
 */
import { homedir } from 'node:os';
import jmespath from 'jmespath';
import { parse as parseYaml } from 'yaml';
import type { Shape } from '../../protocol/shapes.js';
import { kebabName, operationByCommand, paginatorOf, shape, type CliOperation, type Paginator } from './model.js';
import { parseShorthand, ShorthandError } from './shorthand.js';

/** A mistake on the command line: exit code 252, with the usage lines. */
export class UsageError extends Error {}

/** A bad parameter value: exit code 252, its message alone (as the aws CLI's ParamValidationError). */
export class ParameterError extends Error {}

export type OutputFormat = 'json' | 'text' | 'table' | 'yaml' | 'yaml-stream' | 'off';
export type BinaryFormat = 'base64' | 'raw-in-base64-out';
export type KeyFileFormat = 'pem' | 'der';

export interface GlobalOptions {
  endpointUrl?: string;
  region?: string;
  profile?: string;
  output?: OutputFormat;
  query?: string;
  binaryFormat?: BinaryFormat;
  paginate: boolean;
  /** Trent's own: where generate-data-key-pair and get-public-key write keys, and in what form. */
  privateKeyOut?: string;
  publicKeyOut?: string;
  keyFormat?: KeyFileFormat;
  plaintextOut?: string;
}

export interface PagingOptions {
  startingToken?: string;
  pageSize?: number;
  maxItems?: number;
}

export type Parsed =
  | { kind: 'help'; operation?: CliOperation }
  | { kind: 'skeleton'; operation: CliOperation; which: 'input' | 'output' | 'yaml-input'; globals: GlobalOptions }
  | {
      kind: 'call';
      operation: CliOperation;
      /** The request body as JSON 1.1 sends it: blobs in base64, timestamps in epoch seconds. */
      input: Record<string, unknown>;
      globals: GlobalOptions;
      /** Set when the aws CLI would page through the results itself. */
      paginator?: Paginator;
      paging: PagingOptions;
    };

export interface FileReader {
  readFile(path: string): Buffer;
}

const OUTPUTS: readonly OutputFormat[] = ['json', 'text', 'table', 'yaml', 'yaml-stream', 'off'];

/** Options of the whole CLI, each with whether it takes a value. */
const GLOBAL_FLAGS: Record<string, 'value' | 'flag' | 'optional'> = {
  '--endpoint-url': 'value',
  '--region': 'value',
  '--profile': 'value',
  '--output': 'value',
  '--query': 'value',
  '--cli-input-json': 'value',
  '--cli-input-yaml': 'value',
  '--generate-cli-skeleton': 'optional',
  '--cli-binary-format': 'value',
  '--no-paginate': 'flag',
  '--no-cli-pager': 'flag',
  '--color': 'value',
  '--starting-token': 'value',
  '--page-size': 'value',
  '--max-items': 'value',
  '--private-key-out': 'value',
  '--public-key-out': 'value',
  '--format': 'value',
  '--plaintext-out': 'value',
};

/** Which of Trent's own options each operation takes. */
const KEY_FILE_OPTIONS: Record<string, readonly string[]> = {
  GenerateDataKeyPair: ['--private-key-out', '--public-key-out', '--format'],
  GenerateDataKeyPairWithoutPlaintext: ['--public-key-out', '--format'],
  GetPublicKey: ['--public-key-out', '--format'],
  Decrypt: ['--plaintext-out'],
};

interface Member {
  name: string;
  shapeName: string;
  shape: Shape;
  required: boolean;
}

function membersOf(operation: CliOperation): Map<string, Member> {
  const required = new Set(operation.input.required ?? []);
  const members = new Map<string, Member>();
  for (const [name, shapeName] of Object.entries(operation.input.members)) {
    members.set(`--${kebabName(name)}`, { name, shapeName, shape: shape(shapeName), required: required.has(name) });
  }
  return members;
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

/** A `file://` or `fileb://` value read (text or bytes); anything else as given. */
function paramFile(value: string, files: FileReader, option: string): string | Buffer {
  for (const [prefix, binary] of [
    ['fileb://', true],
    ['file://', false],
  ] as const) {
    if (!value.startsWith(prefix)) continue;
    const path = expandHome(value.slice(prefix.length));
    let bytes: Buffer;
    try {
      bytes = files.readFile(path);
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (err as Error).message;
      throw new ParameterError(`Error parsing parameter '${option}': Unable to load paramfile ${value}: ${reason}`);
    }
    return binary ? bytes : bytes.toString('utf8');
  }
  return value;
}

/**
 * Fits a value (from the command line, shorthand, JSON or YAML) to its shape and gives it as
 * JSON 1.1 sends it. `path` names the member in messages, as the aws CLI names it.
 */
function toWire(value: unknown, shapeName: string, path: string, binary: BinaryFormat): unknown {
  const s = shape(shapeName);
  // A member the model marks sensitive (Plaintext, ...) is never echoed, not even to its owner's terminal.
  const sensitive = 'sensitive' in s && s.sensitive === true;
  const wrong = (expected: string): never => {
    const shown = sensitive ? '(sensitive, not shown)' : describe(value);
    throw new ParameterError(`Parameter validation failed:\nInvalid type for parameter ${path}, value: ${shown}, type: ${typeName(value)}, valid types: ${expected}`);
  };
  switch (s.type) {
    case 'string':
      if (typeof value !== 'string') return wrong("<class 'str'>");
      return value;
    case 'integer':
    case 'long': {
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) return Number.parseInt(value, 10);
      return wrong("<class 'int'>");
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && ['true', 'false'].includes(value.toLowerCase())) return value.toLowerCase() === 'true';
      return wrong("<class 'bool'>");
    case 'timestamp': {
      if (typeof value === 'number') return value;
      if (typeof value === 'string') {
        const epoch = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Date.parse(value) / 1000;
        if (!Number.isNaN(epoch)) return epoch;
      }
      return wrong("<class 'datetime.datetime'>, <class 'str'>");
    }
    case 'blob':
      if (Buffer.isBuffer(value)) return value.toString('base64');
      if (typeof value !== 'string') return wrong("<class 'bytes'>, <class 'bytearray'>, file-like object");
      if (binary === 'raw-in-base64-out') return Buffer.from(value, 'utf8').toString('base64');
      return base64Blob(value, path, sensitive);
    case 'list': {
      const items = Array.isArray(value) ? value : [value];
      return items.map((item, i) => toWire(item, s.member, `${path}[${i}]`, binary));
    }
    case 'map': {
      if (!isRecord(value)) return wrong("<class 'dict'>");
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = toWire(v, s.value, `${path}.${k}`, binary);
      return out;
    }
    case 'structure': {
      if (!isRecord(value)) return wrong("<class 'dict'>");
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const memberShape = Object.hasOwn(s.members, k) ? s.members[k] : undefined;
        if (memberShape === undefined) {
          throw new ParameterError(`Parameter validation failed:\nUnknown parameter in ${path}: "${k}", must be one of: ${Object.keys(s.members).join(', ')}`);
        }
        out[k] = toWire(v, memberShape, `${path}.${k}`, binary);
      }
      for (const name of s.required ?? []) {
        if (!(name in out)) throw new ParameterError(`Parameter validation failed:\nMissing required parameter in ${path}: "${name}"`);
      }
      return out;
    }
  }
}

/** aws CLI v2 decodes a blob given as text from base64, and refuses text that is not. */
function base64Blob(value: string, path: string, sensitive: boolean): string {
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    const shown = sensitive ? '' : ` "${value}"`;
    throw new ParameterError(`Invalid base64:${shown} (parameter ${path}; give bytes as fileb://FILE, or text with --cli-binary-format raw-in-base64-out)`);
  }
  return compact;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function typeName(value: unknown): string {
  if (typeof value === 'string') return "<class 'str'>";
  if (typeof value === 'number') return Number.isInteger(value) ? "<class 'int'>" : "<class 'float'>";
  if (typeof value === 'boolean') return "<class 'bool'>";
  if (Array.isArray(value)) return "<class 'list'>";
  return "<class 'dict'>";
}

function describe(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function parseJson(text: string, option: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ParameterError(`Error parsing parameter '${option}': Invalid JSON: ${(err as Error).message}\nJSON received: ${text}`);
  }
}

/** One option's raw values (after file:// and fileb://) fitted to the member's shape. */
function memberValue(member: Member, option: string, raw: (string | Buffer)[], binary: BinaryFormat): unknown {
  const s = member.shape;
  const path = member.name;
  const looksJson = (v: string | Buffer | undefined, open: string) => typeof v === 'string' && v.trimStart().startsWith(open);
  const shorthand = (v: string): unknown => {
    try {
      return parseShorthand(v);
    } catch (err) {
      if (err instanceof ShorthandError) throw new ParameterError(`Error parsing parameter '${option}': ${err.message}`);
      throw err;
    }
  };
  switch (s.type) {
    case 'list': {
      if (raw.length === 1 && looksJson(raw[0], '[')) return toWire(parseJson(raw[0] as string, option), member.shapeName, path, binary);
      const memberShape = shape(s.member);
      const items = raw.map((v) => {
        if (typeof v !== 'string') return v;
        if (memberShape.type === 'structure' || memberShape.type === 'map') return looksJson(v, '{') ? parseJson(v, option) : shorthand(v);
        return v;
      });
      return toWire(items, member.shapeName, path, binary);
    }
    case 'structure':
    case 'map': {
      const v = raw[0];
      if (typeof v !== 'string') throw new ParameterError(`Error parsing parameter '${option}': expected text, not bytes`);
      return toWire(looksJson(v, '{') ? parseJson(v, option) : shorthand(v), member.shapeName, path, binary);
    }
    default:
      return toWire(raw[0], member.shapeName, path, binary);
  }
}

function positiveInteger(value: string, option: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`argument ${option}: invalid int value: '${value}'`);
  return Number(value);
}

/** Reads `--cli-input-json` / `--cli-input-yaml` (text, or file://). */
function cliInput(text: string, yaml: boolean, files: FileReader, option: string): Record<string, unknown> {
  const source = paramFile(text, files, option);
  const content = typeof source === 'string' ? source : source.toString('utf8');
  let parsed: unknown;
  try {
    parsed = yaml ? parseYaml(content) : JSON.parse(content);
  } catch (err) {
    throw new ParameterError(`Error parsing parameter '${option}': Invalid ${yaml ? 'YAML' : 'JSON'} received: ${(err as Error).message}`);
  }
  if (!isRecord(parsed)) throw new ParameterError(`Error parsing parameter '${option}': the input must be a ${yaml ? 'mapping' : 'JSON object'}`);
  return parsed;
}

export function parseKmsArguments(argv: readonly string[], files: FileReader): Parsed {
  const words = [...argv];
  const globals: GlobalOptions = { paginate: true };
  const raw = new Map<string, string[]>();
  const order: string[] = [];
  let command: string | undefined;
  let skeleton: 'input' | 'output' | 'yaml-input' | undefined;
  let help = false;
  const paging: PagingOptions = {};
  let cliInputJson: string | undefined;
  let cliInputYaml: string | undefined;

  // First pass: split the words into options and their values (`--opt=value` too). A global
  // option takes its fixed number of values; a member option, once the operation is known, one
  // value (a list member: all the words up to the next option; a boolean: none).
  let members = new Map<string, Member>();
  let operation: CliOperation | undefined;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (!word.startsWith('--')) {
      if (command === undefined) {
        command = word;
        operation = operationByCommand(command);
        if (operation) members = membersOf(operation);
      } else if (word === 'help') help = true;
      else throw new UsageError(`Unknown options: ${word}`);
      continue;
    }
    const eq = word.indexOf('=');
    const option = eq > 0 ? word.slice(0, eq) : word;
    const values: string[] = eq > 0 ? [word.slice(eq + 1)] : [];
    if (eq < 0) {
      const globalKind = Object.hasOwn(GLOBAL_FLAGS, option) ? GLOBAL_FLAGS[option] : undefined;
      const member = members.get(option);
      const next = () => words[i + 1];
      const isValue = (w: string | undefined) => w !== undefined && !w.startsWith('--');
      if (globalKind === 'value' || (globalKind === undefined && member !== undefined && member.shape.type !== 'list' && member.shape.type !== 'boolean')) {
        if (isValue(next())) values.push(words[++i] ?? '');
      } else if (globalKind === 'optional') {
        if (['input', 'output', 'yaml-input'].includes(next() ?? '')) values.push(words[++i] ?? '');
      } else if (globalKind === undefined && (member === undefined || member.shape.type === 'list')) {
        while (isValue(next())) values.push(words[++i] ?? '');
      }
    }
    if (raw.has(option)) throw new UsageError(`argument ${option}: expected one argument, given more than once`);
    raw.set(option, values);
    order.push(option);
  }
  if (command === 'help') return { kind: 'help' };
  if (command === undefined) throw new UsageError('the following arguments are required: operation');
  if (!operation) throw new UsageError(`argument operation: Invalid choice, valid choices are: see \`trent kms help\` (no operation '${command}')`);
  if (help) return { kind: 'help', operation };

  const paginator = paginatorOf(operation.name);
  const allowedOwn = KEY_FILE_OPTIONS[operation.name] ?? [];
  const given = new Map<string, unknown>();
  const one = (option: string, values: string[]): string => {
    if (values.length !== 1) throw new UsageError(`argument ${option}: expected one argument`);
    return values[0] ?? '';
  };

  for (const option of order) {
    const values = raw.get(option) ?? [];
    const globalKind = Object.hasOwn(GLOBAL_FLAGS, option) ? GLOBAL_FLAGS[option] : undefined;
    if (globalKind !== undefined) {
      if (['--starting-token', '--page-size', '--max-items'].includes(option) && !paginator) throw new UsageError(`Unknown options: ${option}`);
      if (['--private-key-out', '--public-key-out', '--format', '--plaintext-out'].includes(option) && !allowedOwn.includes(option)) {
        throw new UsageError(`Unknown options: ${option} (${allowedOwn.length > 0 ? `${operation.command} takes ${allowedOwn.join(', ')}` : `not an option of ${operation.command}`})`);
      }
      if (globalKind === 'flag' && values.length > 0) throw new UsageError(`Unknown options: ${values.join(', ')}`);
      switch (option) {
        case '--endpoint-url':
          globals.endpointUrl = one(option, values);
          break;
        case '--region':
          globals.region = one(option, values);
          break;
        case '--profile':
          globals.profile = one(option, values);
          break;
        case '--output': {
          const output = one(option, values);
          if (!(OUTPUTS as readonly string[]).includes(output)) throw new UsageError(`argument --output: Invalid choice, valid choices are:\n\n${OUTPUTS.join(' | ')}`);
          globals.output = output as OutputFormat;
          break;
        }
        case '--query': {
          const query = one(option, values);
          try {
            // A bad expression is refused before anything is sent (@types/jmespath lacks compile).
            (jmespath as unknown as { compile(expression: string): unknown }).compile(query);
          } catch (err) {
            throw new UsageError(`argument --query: Bad value for --query ${query}: ${(err as Error).message}`);
          }
          globals.query = query;
          break;
        }
        case '--cli-input-json':
          cliInputJson = one(option, values);
          break;
        case '--cli-input-yaml':
          cliInputYaml = one(option, values);
          break;
        case '--generate-cli-skeleton': {
          const which = values.length === 0 ? 'input' : one(option, values);
          if (!['input', 'output', 'yaml-input'].includes(which)) throw new UsageError(`argument --generate-cli-skeleton: Invalid choice, valid choices are:\n\ninput | output | yaml-input`);
          skeleton = which as 'input' | 'output' | 'yaml-input';
          break;
        }
        case '--cli-binary-format': {
          const format = one(option, values);
          if (format !== 'base64' && format !== 'raw-in-base64-out') throw new UsageError(`argument --cli-binary-format: Invalid choice, valid choices are:\n\nbase64 | raw-in-base64-out`);
          globals.binaryFormat = format;
          break;
        }
        case '--no-paginate':
          globals.paginate = false;
          break;
        case '--color':
          if (!['on', 'off', 'auto'].includes(one(option, values))) throw new UsageError('argument --color: Invalid choice, valid choices are:\n\non | off | auto');
          break;
        case '--starting-token':
          paging.startingToken = one(option, values);
          break;
        case '--page-size':
          paging.pageSize = positiveInteger(one(option, values), option);
          break;
        case '--max-items':
          paging.maxItems = positiveInteger(one(option, values), option);
          break;
        case '--private-key-out':
          globals.privateKeyOut = one(option, values);
          break;
        case '--public-key-out':
          globals.publicKeyOut = one(option, values);
          break;
        case '--plaintext-out':
          globals.plaintextOut = one(option, values);
          break;
        case '--format': {
          const format = one(option, values);
          if (format !== 'pem' && format !== 'der') throw new UsageError('argument --format: Invalid choice, valid choices are:\n\npem | der');
          globals.keyFormat = format;
          break;
        }
        default:
          break; // --no-cli-pager: Trent never pages its output
      }
      continue;
    }
    const negated = option.startsWith('--no-') ? members.get(`--${option.slice(5)}`) : undefined;
    if (negated && negated.shape.type === 'boolean') {
      if (values.length > 0) throw new UsageError(`Unknown options: ${values.join(', ')}`);
      given.set(negated.name, false);
      continue;
    }
    const member = members.get(option);
    if (!member) throw new UsageError(`Unknown options: ${option}`);
    if (member.shape.type === 'boolean') {
      if (values.length > 0) throw new UsageError(`Unknown options: ${values.join(', ')}`);
      given.set(member.name, true);
      continue;
    }
    if (values.length === 0) throw new UsageError(`argument ${option}: expected ${member.shape.type === 'list' ? 'at least one argument' : 'one argument'}`);
    if (member.shape.type !== 'list' && values.length > 1) throw new UsageError(`Unknown options: ${values.slice(1).join(', ')}`);
    const loaded = values.map((v) => paramFile(v, files, option));
    given.set(member.name, { raw: loaded, option, member });
  }

  if (skeleton !== undefined && skeleton !== 'output') return { kind: 'skeleton', operation, which: skeleton, globals };

  const binary = globals.binaryFormat ?? 'base64';
  const input: Record<string, unknown> = {};
  if (cliInputJson !== undefined || cliInputYaml !== undefined) {
    if (cliInputJson !== undefined && cliInputYaml !== undefined) throw new UsageError('Only one --cli-input-json or --cli-input-yaml may be given');
    const document = cliInput((cliInputJson ?? cliInputYaml) as string, cliInputYaml !== undefined, files, cliInputJson !== undefined ? '--cli-input-json' : '--cli-input-yaml');
    Object.assign(input, toWire(document, operation.inputShape, 'input', binary));
  }
  for (const [name, value] of given) {
    if (typeof value === 'boolean') input[name] = value;
    else {
      const { raw: loaded, option, member } = value as { raw: (string | Buffer)[]; option: string; member: Member };
      input[name] = memberValue(member, option, loaded, binary);
    }
  }
  const missing = [...members.entries()].filter(([, m]) => m.required && !(m.name in input)).map(([option]) => option);
  if (missing.length > 0) throw new UsageError(`the following arguments are required: ${missing.join(', ')}`);
  if (skeleton === 'output') return { kind: 'skeleton', operation, which: 'output', globals };

  // The aws CLI pages by itself unless told not to, or unless the caller pages by hand.
  const byHand = paginator !== undefined && (paginator.inputToken in input || paginator.limitKey in input);
  const result: Parsed = { kind: 'call', operation, input, globals, paging };
  if (paginator && globals.paginate && !byHand) result.paginator = paginator;
  return result;
}
