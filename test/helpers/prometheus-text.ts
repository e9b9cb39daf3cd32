/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), written from the
 * format's specification (prometheus.io, "Exposition formats", text-based format), to judge
 * GET /metrics independently of prom-client, which writes it. It throws on anything the
 * specification does not allow:
 *
 * - `# HELP <name> <docstring>` (escapes `\\` and `\n`), `# TYPE <name> <type>` with type one of
 *   counter, gauge, histogram, summary, untyped; at most one of each per metric, TYPE before the
 *   metric's first sample; other `#` lines are comments; blank lines are ignored;
 * - samples `name{label="value",...} value [timestamp]`: names `[a-zA-Z_:][a-zA-Z0-9_:]*`, label
 *   names `[a-zA-Z_][a-zA-Z0-9_]*` (not starting `__`), label values with escapes `\\` `\"` `\n`
 *   only, values Go floats or NaN / +Inf / -Inf, timestamps integers;
 * - a family's lines are contiguous; no series appears twice;
 * - counters are never negative; a histogram's buckets carry `le`, are cumulative
 *   (non-decreasing as `le` grows), end with `le="+Inf"`, whose count equals `_count`, and have
 *   a `_sum`.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help?: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const FLOAT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, line: number): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!FLOAT.test(text)) throw new Error(`line ${line}: '${text}' is not a sample value`);
  return Number(text);
}

function unescapeLabel(raw: string, line: number): string {
  return raw.replace(/\\(.)/g, (_m, c: string) => {
    if (c === '\\') return '\\';
    if (c === '"') return '"';
    if (c === 'n') return '\n';
    throw new Error(`line ${line}: invalid escape \\${c} in a label value`);
  });
}

/** The family a sample name belongs to, given the declared families (histogram and summary suffixes). */
function familyOf(name: string, families: Map<string, Family>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const family = families.get(base);
    if (family && (family.type === 'histogram' || (family.type === 'summary' && suffix !== '_bucket'))) return base;
  }
  return name;
}

function parseSample(text: string, line: number): Sample {
  const nameMatch = METRIC_NAME.exec(text);
  if (!nameMatch) throw new Error(`line ${line}: no metric name`);
  const name = nameMatch[0];
  let rest = text.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    while (!rest.startsWith('}')) {
      const labelMatch = LABEL_NAME.exec(rest);
      if (!labelMatch) throw new Error(`line ${line}: bad label name in '${text}'`);
      const label = labelMatch[0];
      if (label.startsWith('__')) throw new Error(`line ${line}: label names starting __ are reserved`);
      rest = rest.slice(label.length);
      if (!rest.startsWith('="')) throw new Error(`line ${line}: expected =" after label ${label}`);
      rest = rest.slice(2);
      const valueMatch = /^((?:[^"\\\n]|\\.)*)"/.exec(rest);
      if (!valueMatch) throw new Error(`line ${line}: unterminated label value`);
      if (Object.hasOwn(labels, label)) throw new Error(`line ${line}: label ${label} twice`);
      labels[label] = unescapeLabel(valueMatch[1] ?? '', line);
      rest = rest.slice(valueMatch[0].length);
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith('}')) throw new Error(`line ${line}: expected , or } in '${text}'`);
    }
    rest = rest.slice(1);
  }
  if (!/^[ \t]+/.test(rest)) throw new Error(`line ${line}: expected a space before the value in '${text}'`);
  const fields = rest.trim().split(/[ \t]+/);
  if (fields.length < 1 || fields.length > 2) throw new Error(`line ${line}: expected a value and an optional timestamp`);
  if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) throw new Error(`line ${line}: bad timestamp ${fields[1]}`);
  return { name, labels, value: parseValue(fields[0] ?? '', line) };
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const families = new Map<string, Family>();
  const finished = new Set<string>();
  const series = new Set<string>();
  let current: string | undefined;
  const lines = text.split('\n');
  const enter = (name: string, line: number) => {
    if (current === name) return;
    if (finished.has(name)) throw new Error(`line ${line}: lines of ${name} are not contiguous`);
    if (current !== undefined) finished.add(current);
    current = name;
  };
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const match = /^#[ \t]+(HELP|TYPE)[ \t]+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:[ \t]+(.*))?$/.exec(raw);
      if (!match) return; // a comment
      const [, keyword, name = '', rest = ''] = match;
      enter(name, line);
      const family = families.get(name) ?? { name, type: 'untyped' as const, samples: [] };
      if (keyword === 'HELP') {
        if (family.help !== undefined) throw new Error(`line ${line}: second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`line ${line}: invalid escape in HELP`);
        family.help = rest.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
      } else {
        if (!TYPES.has(rest.trim())) throw new Error(`line ${line}: unknown type '${rest}'`);
        if (families.has(name) && (families.get(name) as Family & { typed?: boolean }).typed) throw new Error(`line ${line}: second TYPE for ${name}`);
        if (family.samples.length > 0) throw new Error(`line ${line}: TYPE of ${name} after its samples`);
        family.type = rest.trim() as Family['type'];
        (family as Family & { typed?: boolean }).typed = true;
      }
      families.set(name, family);
      return;
    }
    const sample = parseSample(raw, line);
    const familyName = familyOf(sample.name, families);
    enter(familyName, line);
    const family = families.get(familyName) ?? { name: familyName, type: 'untyped' as const, samples: [] };
    families.set(familyName, family);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (series.has(key)) throw new Error(`line ${line}: series ${key} twice`);
    series.add(key);
    if (family.type === 'counter' && !(sample.value >= 0)) throw new Error(`line ${line}: counter ${sample.name} is ${sample.value}`);
    family.samples.push(sample);
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function checkHistogram(family: Family): void {
  const groups = new Map<string, Sample[]>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    if (sample.name === `${family.name}_bucket` && le === undefined) throw new Error(`${family.name}: a bucket without le`);
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...(groups.get(key) ?? []), sample]);
  }
  for (const [key, samples] of groups) {
    const buckets = samples.filter((s) => s.name === `${family.name}_bucket`).map((s) => ({ le: parseValue(s.labels.le ?? '', 0), value: s.value }));
    buckets.sort((a, b) => a.le - b.le);
    for (let i = 1; i < buckets.length; i++) {
      if ((buckets[i]?.value ?? 0) < (buckets[i - 1]?.value ?? 0)) throw new Error(`${family.name}${key}: buckets are not cumulative`);
    }
    const inf = buckets.at(-1);
    if (!inf || inf.le !== Infinity) throw new Error(`${family.name}${key}: no le="+Inf" bucket`);
    const count = samples.find((s) => s.name === `${family.name}_count`);
    if (!count || count.value !== inf.value) throw new Error(`${family.name}${key}: _count differs from the +Inf bucket`);
    if (!samples.some((s) => s.name === `${family.name}_sum`)) throw new Error(`${family.name}${key}: no _sum`);
  }
}

/** The value of the one sample of `name` whose labels include `labels`; undefined if none. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) return sample.value;
    }
  }
  return undefined;
}
