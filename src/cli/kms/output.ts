/**
 * What `trent kms` prints, as the aws CLI prints it (awscli/formatter.py, text.py, table.py):
 *
 * - the response is first read as botocore reads it: members in the model's order, unknown
 *   members dropped, blobs left in base64, timestamps (epoch seconds on the wire) in ISO 8601
 *   with the local UTC offset, as aws CLI v2 prints them (`2026-12-03T10:25:13.123000+00:00`);
 * - `--query` (JMESPath, by the jmespath package) then picks from it;
 * - json: 4-space indent, non-ASCII as is, nothing for an empty response;
 * - text: tab-separated scalars, sorted keys, nested lists under their upper-cased name;
 * - table: titled, bordered sections sized to the terminal (80 columns when not a terminal),
 *   a single-row section turned vertical when the table is too wide;
 * - yaml: one YAML document.
 */
import jmespath from 'jmespath';
import { stringify as toYaml } from 'yaml';
import type { OutputFormat } from './arguments.js';
import { WIDE_RANGES } from './east-asian-width.generated.js';
import { shape } from './model.js';

type Data = unknown;

/** Python's isoformat() of the local datetime of `epochSeconds`, to the microsecond. */
export function isoTimestamp(epochSeconds: number): string {
  const micros = Math.round(epochSeconds * 1e6);
  const seconds = Math.floor(micros / 1e6);
  const fraction = micros - seconds * 1e6;
  const date = new Date(seconds * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const zone = `${sign}${two(Math.floor(Math.abs(offset) / 60))}:${two(Math.abs(offset) % 60)}`;
  const time = `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
  return `${time}${fraction === 0 ? '' : `.${String(fraction).padStart(6, '0')}`}${zone}`;
}

/** A wire value read as botocore reads it against `shapeName`. */
export function readResponse(value: unknown, shapeName: string): Data {
  if (value === null || value === undefined) return undefined;
  const s = shape(shapeName);
  switch (s.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) return undefined;
      const wire = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [member, memberShape] of Object.entries(s.members)) {
        if (!Object.hasOwn(wire, member)) continue;
        const read = readResponse(wire[member], memberShape);
        if (read !== undefined) out[member] = read;
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) ? value.map((item) => readResponse(item, s.member)) : undefined;
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) return undefined;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = readResponse(v, s.value);
      return out;
    }
    case 'timestamp':
      return typeof value === 'number' ? isoTimestamp(value) : typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? isoTimestamp(Number(value)) : value;
    default:
      return value;
  }
}

export function applyQuery(data: Data, query: string | undefined): Data {
  if (query === undefined) return data;
  return jmespath.search(data, query) as Data;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): boolean => !Array.isArray(v) && !isObject(v);

/** Python's str() of a JSON scalar. */
export function pythonStr(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'number' && !Number.isInteger(value)) return String(value);
  return String(value);
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// ---- json ----

export function formatJson(data: Data): string {
  if (isObject(data) && Object.keys(data).length === 0) return '';
  if (data === undefined) return 'null\n';
  return `${JSON.stringify(data, null, 4)}\n`;
}

// ---- text (awscli/text.py) ----

export function formatText(data: Data): string {
  const out: string[] = [];
  textItem(data, out, undefined, undefined);
  return out.join('');
}

function textItem(item: Data, out: string[], identifier: string | undefined, scalarKeys: string[] | undefined): void {
  if (isObject(item)) textDict(item, out, identifier, scalarKeys);
  else if (Array.isArray(item)) textList(item, out, identifier);
  else out.push(`${pythonStr(item)}\n`);
}

function textList(items: Data[], out: string[], identifier: string | undefined): void {
  if (items.length === 0) return;
  if (items.some(isObject)) {
    const keys = new Set<string>();
    for (const element of items) if (isObject(element)) for (const [k, v] of Object.entries(element)) if (isScalar(v)) keys.add(k);
    const allKeys = [...keys].sort(byCodePoint);
    for (const element of items) textItem(element, out, identifier, allKeys);
  } else if (items.some(Array.isArray)) {
    const scalars = items.filter(isScalar);
    if (scalars.length > 0) textScalarList(scalars, out, identifier);
    for (const nested of items.filter((e) => !isScalar(e))) textItem(nested, out, identifier, undefined);
  } else {
    textScalarList(items, out, identifier);
  }
}

function textScalarList(items: Data[], out: string[], identifier: string | undefined): void {
  if (identifier !== undefined) for (const item of items) out.push(`${identifier.toUpperCase()}\t${pythonStr(item)}\n`);
  else out.push(`${items.map(pythonStr).join('\t')}\n`);
}

function textDict(item: Record<string, unknown>, out: string[], identifier: string | undefined, scalarKeys: string[] | undefined): void {
  const scalars: string[] = [];
  const nested: [string, Data][] = [];
  if (scalarKeys === undefined) {
    for (const key of Object.keys(item).sort(byCodePoint)) {
      if (isScalar(item[key])) scalars.push(pythonStr(item[key]));
      else nested.push([key, item[key]]);
    }
  } else {
    for (const key of scalarKeys) scalars.push(Object.hasOwn(item, key) ? pythonStr(item[key]) : '');
    for (const key of Object.keys(item).filter((k) => !scalarKeys.includes(k)).sort(byCodePoint)) nested.push([key, item[key]]);
  }
  if (scalars.length > 0) {
    if (identifier !== undefined) scalars.unshift(identifier.toUpperCase());
    out.push(`${scalars.join('\t')}\n`);
  }
  for (const [key, value] of nested) textItem(value, out, key, undefined);
}

// ---- table (awscli/table.py) ----

/** Display width as the aws CLI counts it: East Asian wide, fullwidth and ambiguous characters take two columns. */
export function textWidth(text: string): number {
  let width = 0;
  for (const char of text) width += isWide(char.codePointAt(0) ?? 0) ? 2 : 1;
  return width;
}

function isWide(codePoint: number): boolean {
  if (codePoint < 0xa1) return false;
  // Binary search over the [first, last] pairs.
  let lo = 0;
  let hi = WIDE_RANGES.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const first = WIDE_RANGES[mid * 2] ?? 0;
    const last = WIDE_RANGES[mid * 2 + 1] ?? 0;
    if (codePoint < first) hi = mid - 1;
    else if (codePoint > last) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Python 3's round(): halves to even. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

class Section {
  title = '';
  headers: string[] = [];
  rows: string[][] = [];
  indentLevel = 0;
  private columns: number | undefined;
  private maxWidths: number[] = [];

  columnWidths(padding = 0, maxWidth?: number): number[] {
    const unscaled = this.maxWidths.map((w) => w + padding);
    if (maxWidth === undefined || unscaled.length === 0) return unscaled;
    const scale = maxWidth / unscaled.reduce((a, b) => a + b, 0);
    const scaled = unscaled.map((w) => roundHalfEven(scale * w));
    let offBy = scaled.reduce((a, b) => a + b, 0) - maxWidth;
    while (offBy !== 0) {
      const indexes = [...scaled.keys()];
      if (offBy < 0) indexes.reverse();
      for (const i of indexes) {
        if (offBy > 0) {
          scaled[i] = (scaled[i] ?? 0) - 1;
          offBy--;
        } else {
          scaled[i] = (scaled[i] ?? 0) + 1;
          offBy++;
        }
        if (offBy === 0) break;
      }
    }
    return scaled;
  }

  totalWidth(padding: number, outerPadding: number): number {
    const total = this.columnWidths().reduce((sum, w) => sum + w + padding, 0) + 2 + 2 * outerPadding;
    return Math.max(textWidth(this.title) + 2 + 2 * outerPadding, total);
  }

  addHeader(headers: string[]): void {
    this.updateWidths(headers);
    this.columns ??= headers.length;
    this.headers = headers;
  }

  addRow(row: unknown[]): void {
    this.columns ??= row.length;
    const cells = row.map(pythonStr);
    this.rows.push(cells);
    this.updateWidths(cells);
  }

  private updateWidths(row: string[]): void {
    if (this.maxWidths.length === 0) this.maxWidths = row.map(textWidth);
    else row.forEach((cell, i) => (this.maxWidths[i] = Math.max(textWidth(cell), this.maxWidths[i] ?? 0)));
  }
}

function centerText(text: string, length: number, left = '|', right = '|'): string {
  const textLength = textWidth(text);
  const start = Math.floor(length / 2) - Math.floor(textLength / 2) - 1;
  const soFar = textWidth(left) + start + textLength;
  return `${left}${' '.repeat(Math.max(0, start))}${text}${' '.repeat(Math.max(0, length - textWidth(right) - soFar))}${right}`;
}

function alignLeft(text: string, length: number, left: string, right: string): string {
  const textLength = textWidth(text);
  const padding = length - (textLength + 2 + left.length + right.length) >= 0 ? 2 : 0;
  const soFar = left.length + padding + textLength;
  return `${left}${' '.repeat(padding)}${text}${' '.repeat(Math.max(0, length - soFar - right.length))}${right}`;
}

class MultiTable {
  private sections: Section[] = [];
  private current: Section | undefined;
  constructor(private readonly terminalWidth: number) {}

  newSection(title: string, indentLevel = 0): void {
    this.current = new Section();
    this.current.title = title;
    this.current.indentLevel = indentLevel;
    this.sections.push(this.current);
  }

  addHeader(headers: string[]): void {
    this.current?.addHeader(headers);
  }

  addRow(row: unknown[]): void {
    this.current?.addRow(row);
  }

  render(): string {
    let maxWidth = this.maxWidth();
    if (maxWidth > this.terminalWidth) {
      // A section of one row is turned on its side: a row per header.
      this.sections = this.sections.map((section) => {
        if (section.rows.length !== 1 || section.headers.length === 0) return section;
        const vertical = new Section();
        vertical.title = section.title;
        vertical.indentLevel = section.indentLevel;
        section.headers.forEach((header, i) => vertical.addRow([header, section.rows[0]?.[i] ?? '']));
        return vertical;
      });
      maxWidth = this.maxWidth();
    }
    const lines: string[] = [`${'-'.repeat(maxWidth)}\n`];
    for (const section of this.sections) this.renderSection(section, maxWidth, lines);
    return lines.join('');
  }

  private maxWidth(): number {
    return Math.max(...this.sections.map((s) => s.totalWidth(4, s.indentLevel)));
  }

  private renderSection(section: Section, fullWidth: number, lines: string[]): void {
    const indent = '|'.repeat(section.indentLevel);
    const write = (line: string) => lines.push(`${indent}${line}${indent}\n`);
    const maxWidth = fullWidth - section.indentLevel * 2;
    if (section.title !== '') {
      write(centerText(section.title, maxWidth));
      if (section.headers.length === 0 && section.rows.length === 0) write(`+${'-'.repeat(maxWidth - 2)}+`);
    }
    const lineBreak = (widths: number[]) => write(widths.map((w, i) => (i === 0 ? `+${'-'.repeat(w - 2)}+` : `${'-'.repeat(w - 1)}+`)).join(''));
    if (section.headers.length > 0) {
      const widths = section.columnWidths(4, maxWidth);
      lineBreak(widths);
      write(section.headers.map((h, i) => centerText(h, widths[i] ?? 0, i === 0 ? '|' : '', '|')).join(''));
    }
    if (section.rows.length > 0) {
      const widths = section.columnWidths(4, maxWidth);
      if (widths.length === 0) return;
      lineBreak(widths);
      for (const row of section.rows) write(widths.map((w, i) => alignLeft(row[i] ?? '', w, i === 0 ? '|' : '', '|')).join(''));
      lineBreak(widths);
    }
  }
}

export function formatTable(title: string, data: Data, terminalWidth: number): string {
  const table = new MultiTable(terminalWidth);
  const scalarKeys = (item: Record<string, unknown>) => {
    const headers = Object.keys(item).filter((k) => isScalar(item[k])).sort(byCodePoint);
    const more = Object.keys(item).filter((k) => !isScalar(item[k])).sort(byCodePoint);
    return { headers, more };
  };
  const isEmpty = (v: Data) => v === undefined || v === null || v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);
  const build = (sectionTitle: string | undefined, current: Data, indentLevel: number): boolean => {
    if (isEmpty(current)) return false;
    if (sectionTitle !== undefined) table.newSection(sectionTitle, indentLevel);
    if (Array.isArray(current)) {
      if (isObject(current[0])) fromList(current as Record<string, unknown>[], indentLevel, sectionTitle ?? '');
      else {
        for (const item of current) {
          if (isScalar(item)) table.addRow([item]);
          else if (Array.isArray(item) && item.every(isScalar)) table.addRow(item);
          else if (isObject(item) && Object.values(item).every(isScalar)) table.addRow(Object.keys(item));
          else build(undefined, item, 0);
        }
      }
    }
    if (isObject(current)) fromDict(current, indentLevel);
    return true;
  };
  const fromDict = (current: Record<string, unknown>, indentLevel: number) => {
    const { headers, more } = scalarKeys(current);
    if (headers.length === 1) table.addRow([headers[0], current[headers[0] as string]]);
    else if (headers.length > 0) {
      table.addHeader(headers);
      table.addRow(headers.map((k) => current[k]));
    }
    for (const key of more) build(key, current[key], indentLevel + 1);
  };
  const fromList = (current: Record<string, unknown>[], indentLevel: number, listTitle: string) => {
    const headerSet = new Set<string>();
    const moreSet = new Set<string>();
    for (const item of current) {
      if (!isObject(item)) continue;
      const { headers, more } = scalarKeys(item);
      headers.forEach((h) => headerSet.add(h));
      more.forEach((m) => moreSet.add(m));
    }
    const headers = [...headerSet].sort(byCodePoint);
    const more = [...moreSet].sort(byCodePoint);
    table.addHeader(headers);
    let first = true;
    for (const element of current) {
      if (!first && more.length > 0) {
        table.newSection(listTitle, indentLevel);
        table.addHeader(headers);
      }
      first = false;
      table.addRow(headers.map((h) => (isObject(element) && Object.hasOwn(element, h) ? element[h] : '')));
      for (const key of more) if (isObject(element) && Object.hasOwn(element, key)) build(key, element[key], indentLevel + 1);
    }
  };
  return build(title, data, 0) ? table.render() : '';
}

// ---- yaml ----

export function formatYaml(data: Data): string {
  if (isObject(data) && Object.keys(data).length === 0) return '';
  // As ruamel's safe dumper in aws CLI v2: strings that would read back as numbers or timestamps quoted.
  return toYaml(data ?? null, { indentSeq: false, lineWidth: 0, singleQuote: true, customTags: ['timestamp'] });
}

export function formatOutput(format: OutputFormat, title: string, data: Data, terminalWidth: number): string {
  switch (format) {
    case 'json':
      return formatJson(data);
    case 'text':
      return formatText(data);
    case 'table':
      return formatTable(title, data, terminalWidth);
    case 'yaml':
      return formatYaml(data);
    case 'yaml-stream':
      return isObject(data) && Object.keys(data).length === 0 ? '' : `- ${formatYaml(data).trimEnd().replace(/\n/g, '\n  ')}\n`;
    case 'off':
      return '';
  }
}
