/**
 * `trent kms <operation> [parameters]`: one KMS call from the command line, as `aws kms` makes
 * it, printed as aws CLI v2 prints it. Exit codes as the aws CLI's: 0 done, 252 a usage or
 * parameter error (nothing sent), 253 unusable configuration (no credentials, no region), 255
 * the service answered with an error (`An error occurred (X) when calling the Y operation: ...`
 * on stderr) or could not be reached.
 *
 * Beyond the aws CLI: generate-data-key-pair(-without-plaintext) and get-public-key take
 * `--private-key-out FILE`, `--public-key-out FILE` and `--format pem|der`; decrypt takes
 * `--plaintext-out FILE`. What is written to a file is not printed.
 *
 * Loads no server code: the model, the signer and node:http only.
 */
import { readFileSync } from 'node:fs';
import { ParameterError, parseKmsArguments, UsageError, type GlobalOptions, type OutputFormat, type Parsed, type PagingOptions } from './arguments.js';
import { ConfigurationError, resolveSettings, type Environment } from './credentials.js';
import { pem, writeFileAtomically } from './key-files.js';
import { allOperations, kebabName, shape, type CliOperation, type Paginator } from './model.js';
import { applyQuery, formatOutput, readResponse } from './output.js';
import { skeleton } from './skeleton.js';
import { callKms, ConnectionError, ServiceError, type CallSettings } from './transport.js';

export interface CommandIo extends Environment {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Columns of the terminal stdout is, or undefined when it is not one (tables are 80 wide then). */
  columns?: number;
}

export const EXIT = { ok: 0, usage: 252, configuration: 253, failure: 255 } as const;

const USAGE = 'usage: trent kms <operation> [parameters]\nTo see help text, you can run:\n\n  trent kms help\n  trent kms <operation> help\n';

function help(operation: CliOperation | undefined): string {
  if (!operation) {
    const names = allOperations().map((op) => `  ${op.command}`);
    return `${USAGE}\nOperations (each sends the AWS KMS operation of the same name):\n${names.join('\n')}\n\nGlobal options: --endpoint-url URL (default http://127.0.0.1:4599), --region, --profile,\n--output json|text|table|yaml|yaml-stream|off, --query JMESPATH, --cli-input-json, --cli-input-yaml,\n--generate-cli-skeleton [input|output|yaml-input], --cli-binary-format base64|raw-in-base64-out, --no-paginate\n`;
  }
  const required = new Set(operation.input.required ?? []);
  const lines = Object.entries(operation.input.members).map(([member, shapeName]) => {
    const s = shape(shapeName);
    const type = s.type === 'string' && s.enum ? `${s.enum.join(' | ')}` : s.type === 'list' ? `list of ${shape(s.member).type}` : s.type;
    const flag = s.type === 'boolean' ? `--${kebabName(member)} | --no-${kebabName(member)}` : `--${kebabName(member)}`;
    return `  ${flag} (${type})${required.has(member) ? ' [required]' : ''}`;
  });
  return `trent kms ${operation.command}: sends ${operation.name}\n\nParameters:\n${lines.join('\n') || '  (none)'}\n`;
}

/** Trent's key and plaintext files: write what was asked for and take it out of the output. */
function writeOutputFiles(operation: CliOperation, wire: Record<string, unknown>, globals: GlobalOptions): void {
  const format = globals.keyFormat ?? 'pem';
  const bytesOf = (member: string): Buffer | undefined => (typeof wire[member] === 'string' ? Buffer.from(wire[member], 'base64') : undefined);
  const keyFile = (member: string, path: string | undefined, label: 'PRIVATE KEY' | 'PUBLIC KEY', mode: number) => {
    if (path === undefined) return;
    const der = bytesOf(member);
    if (der === undefined) throw new ConnectionError(`${operation.name} answered without ${member}: nothing written to ${path}`);
    writeFileAtomically(path, format === 'pem' ? pem(der, label) : der, mode);
    delete wire[member];
  };
  keyFile('PrivateKeyPlaintext', globals.privateKeyOut, 'PRIVATE KEY', 0o600);
  keyFile('PublicKey', globals.publicKeyOut, 'PUBLIC KEY', 0o644);
  if (globals.plaintextOut !== undefined) {
    const plaintext = bytesOf('Plaintext');
    if (plaintext === undefined) throw new ConnectionError(`${operation.name} answered without Plaintext: nothing written to ${globals.plaintextOut}`);
    writeFileAtomically(globals.plaintextOut, plaintext, 0o600);
    delete wire.Plaintext;
  }
  // `--format pem` without a file: the keys printed as PEM text instead of base64 DER.
  if (globals.keyFormat === 'pem') {
    if (typeof wire.PublicKey === 'string') wire.PublicKey = pem(Buffer.from(wire.PublicKey, 'base64'), 'PUBLIC KEY');
    if (typeof wire.PrivateKeyPlaintext === 'string') wire.PrivateKeyPlaintext = pem(Buffer.from(wire.PrivateKeyPlaintext, 'base64'), 'PRIVATE KEY');
  }
}

interface Token {
  Marker: string | null;
  boto_truncate_amount?: number;
}

/** botocore's resume token: base64 of `{"Marker": ..., "boto_truncate_amount": n}`. */
function encodeToken(token: Token): string {
  const parts = [`"Marker": ${JSON.stringify(token.Marker)}`];
  if (token.boto_truncate_amount !== undefined) parts.push(`"boto_truncate_amount": ${token.boto_truncate_amount}`);
  return Buffer.from(`{${parts.join(', ')}}`, 'utf8').toString('base64');
}

function decodeToken(text: string): Token {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as Token;
    if (typeof token === 'object' && token !== null && 'Marker' in token) return token;
  } catch {
    // fall through
  }
  throw new ParameterError(`Bad starting token: ${text}`);
}

/** The aws CLI's own paging: every page gathered into one list, or --max-items of them and a NextToken. */
async function paginate(operation: CliOperation, input: Record<string, unknown>, paginator: Paginator, paging: PagingOptions, settings: CallSettings): Promise<Record<string, unknown>> {
  const items: unknown[] = [];
  let marker: string | null = null;
  let skip = 0;
  if (paging.startingToken !== undefined) {
    const token = decodeToken(paging.startingToken);
    marker = token.Marker;
    skip = token.boto_truncate_amount ?? 0;
  }
  let first: Record<string, unknown> | undefined;
  let nextToken: string | undefined;
  for (;;) {
    const request = { ...input };
    if (marker !== null) request[paginator.inputToken] = marker;
    if (paging.pageSize !== undefined) request[paginator.limitKey] = paging.pageSize;
    const page = await callKms(operation.name, request, settings);
    first ??= page;
    const pageItems = (Array.isArray(page[paginator.resultKey]) ? (page[paginator.resultKey] as unknown[]) : []).slice(skip);
    const pageMarker = marker;
    const consumedBefore = skip;
    skip = 0;
    const more = page[paginator.moreResults] === true && typeof page[paginator.outputToken] === 'string';
    if (paging.maxItems !== undefined && items.length + pageItems.length >= paging.maxItems) {
      const take = paging.maxItems - items.length;
      items.push(...pageItems.slice(0, take));
      if (take < pageItems.length) nextToken = encodeToken({ Marker: pageMarker, boto_truncate_amount: consumedBefore + take });
      else if (more) nextToken = encodeToken({ Marker: page[paginator.outputToken] as string });
      break;
    }
    items.push(...pageItems);
    if (!more) break;
    marker = page[paginator.outputToken] as string;
  }
  const result: Record<string, unknown> = { [paginator.resultKey]: items };
  for (const [key, value] of Object.entries(first ?? {})) {
    if (![paginator.resultKey, paginator.outputToken, paginator.moreResults].includes(key)) result[key] = value;
  }
  if (nextToken !== undefined) result.NextToken = nextToken;
  return result;
}

const FORMATS: readonly string[] = ['json', 'text', 'table', 'yaml', 'yaml-stream', 'off'];

/** --output, AWS_DEFAULT_OUTPUT, the profile's `output`, then json. */
function outputFormat(globals: GlobalOptions, io: CommandIo, profileOutput?: string): OutputFormat {
  if (globals.output !== undefined) return globals.output;
  for (const setting of [io.env.AWS_DEFAULT_OUTPUT, profileOutput]) {
    if (setting === undefined || setting === '') continue;
    if (!FORMATS.includes(setting)) throw new ConfigurationError(`output must be one of ${FORMATS.join(', ')}, not '${setting}'`);
    return setting as OutputFormat;
  }
  return 'json';
}

async function run(parsed: Exclude<Parsed, { kind: 'help' }>, io: CommandIo): Promise<number> {
  const { operation, globals } = parsed;
  let format = outputFormat(globals, io);
  const print = (title: string, data: unknown) => io.stdout(formatOutput(format, title, applyQuery(data, globals.query), io.columns ?? 80));
  if (parsed.kind === 'skeleton') {
    if (parsed.which === 'output') {
      print(operation.name, operation.outputShape === undefined ? {} : skeleton(operation.outputShape, true));
    } else {
      const document = skeleton(operation.inputShape, false);
      io.stdout(parsed.which === 'yaml-input' ? formatOutput('yaml', '', document, 80) : `${JSON.stringify(document, null, 4)}\n`);
    }
    return EXIT.ok;
  }
  const settings = resolveSettings(globals, io);
  format = outputFormat(globals, io, settings.output);
  const wire = parsed.paginator
    ? await paginate(operation, parsed.input, parsed.paginator, parsed.paging, settings)
    : await callKms(operation.name, parsed.input, settings);
  writeOutputFiles(operation, wire, globals);
  const nextToken = wire.NextToken;
  const data = operation.outputShape === undefined ? {} : (readResponse(wire, operation.outputShape) as Record<string, unknown>);
  if (typeof nextToken === 'string') data.NextToken = nextToken;
  if (format === 'text' && typeof nextToken === 'string') {
    // As the aws CLI's text output of a paged call: the token on a line of its own.
    delete data.NextToken;
    io.stdout(formatOutput('text', operation.name, applyQuery(data, globals.query), 80));
    io.stdout(`NEXTTOKEN\t${nextToken}\n`);
  } else {
    print(operation.name, data);
  }
  return EXIT.ok;
}

/** Runs `trent kms ...` (argv without `trent kms`) and gives the exit code. */
export async function runKms(argv: readonly string[], io: CommandIo): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseKmsArguments(argv, io);
    if (parsed.kind === 'help') {
      io.stdout(help(parsed.operation));
      return EXIT.ok;
    }
    return await run(parsed, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`${USAGE}\ntrent: error: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof ParameterError) {
      io.stderr(`\n${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof ConfigurationError) {
      io.stderr(`\n${err.message}\n`);
      return EXIT.configuration;
    }
    if (err instanceof ServiceError || err instanceof ConnectionError) {
      io.stderr(`\n${err.message}\n`);
      return EXIT.failure;
    }
    // Anything else (a key or plaintext file that could not be written, say): one line, 255.
    io.stderr(`\n${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failure;
  }
}

/** The process's own io. */
export function processIo(): CommandIo {
  const io: CommandIo = {
    env: process.env,
    readFile: (path) => readFileSync(path),
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  };
  if (process.stdout.isTTY) io.columns = process.stdout.columns;
  return io;
}
