/**
 * A strict JSON reader for untrusted AuthZEN bodies (docs/authzen.md §4). JSON.parse keeps the last of two equal
 * member names and has no depth or size bounds; the AuthZEN 1.0 security considerations (§11.5, §11.7) ask for
 * unique member names (I-JSON, RFC 7493 §2.3), no unpaired surrogates (RFC 7493 §2.1) and protection against nested and
 * oversized payloads. Objects are Maps, so a member named "__proto__" is just a member.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = Map<string, JsonValue>;

export interface JsonLimits {
  /** Largest body in bytes. */
  readonly maxBytes: number;
  /** Deepest nesting of objects and arrays (the top-level object is depth 1). */
  readonly maxDepth: number;
  /** Most members of one object, most elements of one array. */
  readonly maxMembers: number;
  /** Longest string, in UTF-16 code units after unescaping. */
  readonly maxStringLength: number;
}

export class JsonError extends Error {
  constructor(
    readonly kind: 'malformed' | 'too-large' | 'duplicate-key',
    message: string,
  ) {
    super(message);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function parseStrictJson(body: Buffer, limits: JsonLimits): JsonValue {
  if (body.length > limits.maxBytes) throw new JsonError('too-large', `the body is ${body.length} bytes, more than the ${limits.maxBytes} allowed`);
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw new JsonError('malformed', 'the body is not UTF-8 text');
  }
  // RFC 8259 §8.1: a sender must not add a byte order mark; refusing it keeps one spelling of a message.
  if (text.charCodeAt(0) === 0xfeff) throw new JsonError('malformed', 'the body starts with a byte order mark');
  const reader = new Reader(text, limits);
  reader.space();
  const value = reader.value(1);
  reader.space();
  if (!reader.atEnd()) reader.fail('text after the JSON value');
  return value;
}

class Reader {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly limits: JsonLimits,
  ) {}

  atEnd(): boolean {
    return this.at >= this.text.length;
  }

  fail(what: string): never {
    throw new JsonError('malformed', `malformed JSON at character ${this.at}: ${what}`);
  }

  space(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.at);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.at += 1;
      else return;
    }
  }

  value(depth: number): JsonValue {
    const c = this.text[this.at];
    switch (c) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        return this.fail(c === undefined ? 'unexpected end' : `unexpected character ${JSON.stringify(c)}`);
    }
  }

  private nest(depth: number): void {
    if (depth > this.limits.maxDepth) throw new JsonError('too-large', `JSON nested deeper than ${this.limits.maxDepth} levels`);
  }

  private object(depth: number): JsonObject {
    this.nest(depth);
    this.at += 1;
    const members: JsonObject = new Map();
    this.space();
    if (this.text[this.at] === '}') {
      this.at += 1;
      return members;
    }
    for (;;) {
      this.space();
      if (this.text[this.at] !== '"') this.fail('expected a member name');
      const name = this.string();
      // RFC 7493 §2.3: names compared after unescaping, so "a" and "\u0061" are the same member.
      if (members.has(name)) throw new JsonError('duplicate-key', `the member name ${JSON.stringify(name)} appears twice in one object; which one is meant is ambiguous`);
      this.space();
      if (this.text[this.at] !== ':') this.fail('expected ":"');
      this.at += 1;
      this.space();
      members.set(name, this.value(depth + 1));
      if (members.size > this.limits.maxMembers) throw new JsonError('too-large', `an object has more than ${this.limits.maxMembers} members`);
      this.space();
      const next = this.text[this.at];
      this.at += 1;
      if (next === '}') return members;
      if (next !== ',') {
        this.at -= 1;
        this.fail('expected "," or "}"');
      }
    }
  }

  private array(depth: number): JsonValue[] {
    this.nest(depth);
    this.at += 1;
    const items: JsonValue[] = [];
    this.space();
    if (this.text[this.at] === ']') {
      this.at += 1;
      return items;
    }
    for (;;) {
      this.space();
      items.push(this.value(depth + 1));
      if (items.length > this.limits.maxMembers) throw new JsonError('too-large', `an array has more than ${this.limits.maxMembers} elements`);
      this.space();
      const next = this.text[this.at];
      this.at += 1;
      if (next === ']') return items;
      if (next !== ',') {
        this.at -= 1;
        this.fail('expected "," or "]"');
      }
    }
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.at)) this.fail(`expected ${word}`);
    this.at += word.length;
    return value;
  }

  private number(): number {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.at, this.at + 64));
    if (!match) return this.fail('malformed number');
    this.at += match[0].length;
    const n = Number(match[0]);
    // RFC 7493 §2.2: a number beyond IEEE 754 double range would be read differently by different parsers.
    if (!Number.isFinite(n)) this.fail('number out of range');
    return n;
  }

  private string(): string {
    this.at += 1;
    let out = '';
    let start = this.at;
    for (;;) {
      const code = this.text.charCodeAt(this.at);
      if (Number.isNaN(code)) this.fail('unterminated string');
      if (code === 0x22) {
        out += this.text.slice(start, this.at);
        this.at += 1;
        break;
      }
      if (code < 0x20) this.fail('control character in a string');
      if (code === 0x5c) {
        out += this.text.slice(start, this.at);
        out += this.escape();
        start = this.at;
        continue;
      }
      this.at += 1;
    }
    if (out.length > this.limits.maxStringLength) throw new JsonError('too-large', `a string is longer than ${this.limits.maxStringLength} characters`);
    // RFC 7493 §2.1: no unpaired surrogates (an escaped one could not be re-encoded as UTF-8).
    if (hasLoneSurrogate(out)) this.fail('a string holds an unpaired surrogate');
    return out;
  }

  private escape(): string {
    const c = this.text[this.at + 1];
    this.at += 2;
    switch (c) {
      case '"':
        return '"';
      case '\\':
        return '\\';
      case '/':
        return '/';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u': {
        const hex = this.text.slice(this.at, this.at + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('malformed \\u escape');
        this.at += 4;
        return String.fromCharCode(parseInt(hex, 16));
      }
      default:
        this.at -= 2;
        return this.fail('unknown escape');
    }
  }
}

function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i += 1;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/** JSON text of a value read by parseStrictJson (Maps as objects, member order kept). */
export function stringifyJson(value: JsonValue): string {
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${JSON.stringify(k)}:${stringifyJson(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(stringifyJson).join(',')}]`;
  return JSON.stringify(value);
}
