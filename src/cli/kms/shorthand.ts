/**
 * The aws CLI's shorthand syntax for structures, maps and lists of them, read on a purely
 * syntactic level (as awscli/shorthand.py's ShorthandParser does); arguments.ts then fits the
 * result to the member's shape.
 *
 *   parameter  = keyval *("," keyval)
 *   keyval     = key "=" [values]
 *   values     = csv-list / "[" [value *("," value)] "]" / "{" keyval *("," keyval) "}"
 *   csv-list   = value *("," value)        a later value that looks like `key=` starts a keyval
 *   value      = 'single quoted' / "double quoted" / text, where \ escapes the next character
 *
 * `purpose=backup,team=infra` is {purpose: 'backup', team: 'infra'}; `Name=a,b,c` is
 * {Name: ['a', 'b', 'c']}; `Constraints={EncryptionContextSubset={k=v}}` nests.
 * https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-shorthand.html
 */

export type ShorthandValue = string | ShorthandValue[] | { [key: string]: ShorthandValue };

export class ShorthandError extends Error {}

class Parser {
  private index = 0;
  constructor(private readonly text: string) {}

  parse(): Record<string, ShorthandValue> {
    const result = this.keyvals('');
    this.space();
    if (this.index < this.text.length) this.fail(`unexpected '${this.text[this.index]}'`);
    return result;
  }

  private fail(what: string): never {
    throw new ShorthandError(`Error parsing parameter: ${what} at position ${this.index} of '${this.text}'`);
  }

  private space(): void {
    while (this.index < this.text.length && /\s/.test(this.text[this.index] ?? '')) this.index++;
  }

  private peek(): string | undefined {
    return this.text[this.index];
  }

  /** keyval *("," keyval), until the end of the text or `closer`. */
  private keyvals(closer: string): Record<string, ShorthandValue> {
    const result: Record<string, ShorthandValue> = {};
    for (;;) {
      this.space();
      const key = this.key();
      result[key] = this.values(closer);
      this.space();
      if (this.peek() !== ',') return result;
      this.index++;
    }
  }

  private key(): string {
    const match = /^[^=,[\]{}'"]*?(?==)/.exec(this.text.slice(this.index));
    if (!match || match[0].trim() === '') this.fail('expected key=value');
    this.index += match[0].length + 1; // and the '='
    return match[0].trim();
  }

  /** True when what follows (after a comma) is `key=`: the start of the next keyval. */
  private nextIsKeyval(): boolean {
    return /^\s*[^=,[\]{}'"\\]+=/.test(this.text.slice(this.index));
  }

  private values(closer: string): ShorthandValue {
    this.space();
    const c = this.peek();
    if (c === '[') return this.explicitList();
    if (c === '{') {
      this.index++;
      this.space();
      const hash = this.peek() === '}' ? {} : this.keyvals('}');
      this.space();
      if (this.peek() !== '}') this.fail("expected '}'");
      this.index++;
      return hash;
    }
    const first = this.value(`,${closer}`);
    const list: string[] = [first];
    while (this.peek() === ',') {
      const save = this.index;
      this.index++;
      if (this.nextIsKeyval() || this.index >= this.text.length) {
        this.index = save;
        break;
      }
      list.push(this.value(`,${closer}`));
    }
    return list.length === 1 ? first : list;
  }

  private explicitList(): ShorthandValue[] {
    this.index++; // '['
    const items: ShorthandValue[] = [];
    this.space();
    if (this.peek() === ']') {
      this.index++;
      return items;
    }
    for (;;) {
      this.space();
      const c = this.peek();
      if (c === '{' || c === '[') items.push(this.values(',]'));
      else items.push(this.value(',]'));
      this.space();
      const next = this.peek();
      this.index++;
      if (next === ']') return items;
      if (next !== ',') this.fail("expected ',' or ']'");
    }
  }

  /** One scalar, quoted or up to the next of `stops`; backslash escapes the next character. */
  private value(stops: string): string {
    this.space();
    const quote = this.peek();
    if (quote === "'" || quote === '"') {
      this.index++;
      let out = '';
      for (;;) {
        const c = this.peek();
        if (c === undefined) this.fail(`missing closing ${quote}`);
        this.index++;
        if (c === '\\' && this.peek() === quote) {
          out += quote;
          this.index++;
        } else if (c === quote) {
          return out;
        } else {
          out += c;
        }
      }
    }
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined || stops.includes(c)) return out.trimEnd();
      this.index++;
      if (c === '\\' && this.peek() !== undefined) {
        out += this.peek();
        this.index++;
      } else {
        out += c;
      }
    }
  }
}

export function parseShorthand(text: string): Record<string, ShorthandValue> {
  return new Parser(text).parse();
}
