import { ErrorCodes } from '@gridauthz/domain';
import { isWellFormedText } from './value';
import type { HessianError, HessianErrorCode, HessianList, HessianMap, HessianResult, HessianValue } from './value';

/**
 * Bounds on what one message may cost (docs/pepd.md §2.3). Element counting charges a reference with the size of
 * what it points to, so a walk over the decoded value is bounded by `maxElements` even when refs share subtrees.
 */
export interface HessianLimits {
  /** Size of the Hessian bytes. */
  readonly maxBytes: number;
  /** Nesting of lists and maps. */
  readonly maxDepth: number;
  /** Values in the message, references counted at the size of their target. */
  readonly maxElements: number;
  /** One string or XML value, in UTF-16 units, all chunks together. */
  readonly maxStringLength: number;
  /** One binary value, all chunks together. */
  readonly maxBinaryLength: number;
  /** A list or map type name, in UTF-16 units. */
  readonly maxTypeLength: number;
  /** 'R' tags in the message. */
  readonly maxRefs: number;
}

/** Generous for PEP requests (a key-info request with a three-certificate chain is about 6 KiB and 40 values). */
export const DEFAULT_HESSIAN_LIMITS: HessianLimits = Object.freeze({
  maxBytes: 1 << 20,
  maxDepth: 32,
  maxElements: 20_000,
  maxStringLength: 1 << 18,
  maxBinaryLength: 1 << 18,
  maxTypeLength: 1024,
  maxRefs: 1024,
});

/** Prefix of the detail when something unexpected was caught; the fuzz test asserts it never happens. */
export const HESSIAN_INTERNAL_ERROR = 'internal decoder error';

class Stop {
  constructor(readonly error: HessianError) {}
}

interface RefSlot {
  readonly value: HessianList | HessianMap;
  /** Still being read: a reference to it would make a cycle. */
  open: boolean;
  /** Values inside, references counted at their targets' weight. */
  weight: number;
  /** Bytes it took on the wire, references counted at their targets' size. */
  bytes: number;
}

const tagName = (tag: number): string =>
  tag >= 0x21 && tag <= 0x7e ? `'${String.fromCharCode(tag)}'` : `0x${tag.toString(16).padStart(2, '0')}`;

class Reader {
  private pos = 0;
  private elements = 0;
  private refCount = 0;
  /** The message size were every reference written out in full, which is what re-encoding it would produce. */
  private expandedBytes: number;
  private readonly refs: RefSlot[] = [];
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    private readonly limits: HessianLimits,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.expandedBytes = buf.length;
  }

  atEnd(): boolean {
    return this.pos >= this.buf.length;
  }

  offset(): number {
    return this.pos;
  }

  private stop(code: HessianErrorCode, detail: string): never {
    throw new Stop({ code, detail: `${detail} (at byte ${this.pos})` });
  }

  private need(n: number, what: string): void {
    if (this.buf.length - this.pos < n) this.stop(ErrorCodes.PROTO_HESSIAN_TRUNCATED, `input ends inside ${what}`);
  }

  private byte(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }

  private u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  private i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  private i64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }

  private count(n: number): void {
    this.elements += n;
    if (this.elements > this.limits.maxElements) {
      this.stop(ErrorCodes.PROTO_HESSIAN_LIMIT, `more than ${this.limits.maxElements} values`);
    }
  }

  /**
   * `units` UTF-16 code units of UTF-8 text, the Hessian 1.0 length unit (Java chars). A four-byte sequence is two
   * units; a three-byte encoded surrogate (Java writes those) is one, and pairs are checked once the whole string
   * is read.
   */
  private utf8Units(units: number, what: string): string {
    // Every unit takes at least one byte: refuse a length the input cannot hold before allocating for it.
    if (this.buf.length - this.pos < Math.ceil(units / 2)) this.stop(ErrorCodes.PROTO_HESSIAN_TRUNCATED, `input ends inside ${what}`);
    // PEP messages are ASCII in practice (URIs, DNs, PEM): one byte per unit, read in one go (the per-byte loop below
    // was most of a key-info request's decode time).
    if (this.pos + units <= this.buf.length) {
      let ascii = true;
      for (let i = this.pos, end = this.pos + units; i < end; i++) {
        if ((this.buf[i] ?? 0) >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        const s = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, units).toString('latin1');
        this.pos += units;
        return s;
      }
    }
    const out = new Uint16Array(units);
    let n = 0;
    const cont = (): number => {
      const b = this.byte(what);
      if ((b & 0xc0) !== 0x80) this.stop(ErrorCodes.PROTO_HESSIAN_MALFORMED, `invalid UTF-8 in ${what}`);
      return b & 0x3f;
    };
    while (n < units) {
      const b0 = this.byte(what);
      if (b0 < 0x80) {
        out[n++] = b0;
      } else if (b0 >= 0xc2 && b0 <= 0xdf) {
        out[n++] = ((b0 & 0x1f) << 6) | cont();
      } else if (b0 >= 0xe0 && b0 <= 0xef) {
        const cp = ((b0 & 0x0f) << 12) | (cont() << 6) | cont();
        if (cp < 0x800) this.stop(ErrorCodes.PROTO_HESSIAN_MALFORMED, `overlong UTF-8 in ${what}`);
        out[n++] = cp;
      } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        const cp = ((b0 & 0x07) << 18) | (cont() << 12) | (cont() << 6) | cont();
        if (cp < 0x10000 || cp > 0x10ffff) this.stop(ErrorCodes.PROTO_HESSIAN_MALFORMED, `invalid UTF-8 in ${what}`);
        if (n + 2 > units) this.stop(ErrorCodes.PROTO_HESSIAN_MALFORMED, `a character straddles the length of ${what}`);
        const v = cp - 0x10000;
        out[n++] = 0xd800 | (v >> 10);
        out[n++] = 0xdc00 | (v & 0x3ff);
      } else {
        this.stop(ErrorCodes.PROTO_HESSIAN_MALFORMED, `invalid UTF-8 in ${what}`);
      }
    }
    let s = '';
    for (let i = 0; i < n; i += 4096) s += String.fromCharCode(...out.subarray(i, Math.min(n, i + 4096)));
    return s;
  }

  /** 'S'/'s' or 'X'/'x' chunks: non-final chunks use the lower-case tag and must be followed by another chunk. */
  private text(tag: number, what: 'string' | 'xml'): string {
    const finalTag = what === 'string' ? 0x53 : 0x58;
    const chunkTag = finalTag + 0x20;
    const parts: string[] = [];
    let total = 0;
    for (;;) {
      const len = this.u16(`a ${what} length`);
      total += len;
      if (total > this.limits.maxStringLength) {
        this.stop(ErrorCodes.PROTO_HESSIAN_LIMIT, `${what} longer than ${this.limits.maxStringLength} characters`);
      }
      parts.push(this.utf8Units(len, `a ${what}`));
      if (tag === finalTag) break;
      tag = this.byte(`a ${what} chunk`);
      if (tag !== finalTag && tag !== chunkTag) {
        this.stop(ErrorCodes.PROTO_HESSIAN_MALFORMED, `${tagName(tag)} where the next ${what} chunk was expected`);
      }
    }
    const s = parts.join('');
    if (!isWellFormedText(s)) this.stop(ErrorCodes.PROTO_HESSIAN_MALFORMED, `unpaired surrogate in a ${what}`);
    return s;
  }

  private binary(tag: number): Uint8Array {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const len = this.u16('a binary length');
      total += len;
      if (total > this.limits.maxBinaryLength) {
        this.stop(ErrorCodes.PROTO_HESSIAN_LIMIT, `binary longer than ${this.limits.maxBinaryLength} bytes`);
      }
      this.need(len, 'a binary');
      parts.push(this.buf.slice(this.pos, this.pos + len));
      this.pos += len;
      if (tag === 0x42) break;
      tag = this.byte('a binary chunk');
      if (tag !== 0x42 && tag !== 0x62) this.stop(ErrorCodes.PROTO_HESSIAN_MALFORMED, `${tagName(tag)} where the next binary chunk was expected`);
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** Optional 't' type of a list or map; an empty type is no type. */
  private optionalType(): string | undefined {
    if (this.buf[this.pos] !== 0x74) return undefined;
    this.pos++;
    const len = this.u16('a type length');
    if (len > this.limits.maxTypeLength) this.stop(ErrorCodes.PROTO_HESSIAN_LIMIT, `type name longer than ${this.limits.maxTypeLength} characters`);
    const type = this.utf8Units(len, 'a type name');
    if (!isWellFormedText(type)) this.stop(ErrorCodes.PROTO_HESSIAN_MALFORMED, 'unpaired surrogate in a type name');
    return type === '' ? undefined : type;
  }

  private enter(depth: number): void {
    if (depth >= this.limits.maxDepth) this.stop(ErrorCodes.PROTO_HESSIAN_LIMIT, `nesting deeper than ${this.limits.maxDepth}`);
  }

  private list(depth: number): HessianList {
    const start = this.pos - 1;
    this.enter(depth);
    const type = this.optionalType();
    let declared: number | undefined;
    if (this.buf[this.pos] === 0x6c) {
      this.pos++;
      declared = this.i32('a list length');
      if (declared < 0) this.stop(ErrorCodes.PROTO_HESSIAN_MALFORMED, `negative list length ${declared}`);
      if (declared > this.limits.maxElements) this.stop(ErrorCodes.PROTO_HESSIAN_LIMIT, `list length ${declared} over ${this.limits.maxElements}`);
    }
    const items: HessianValue[] = [];
    const value: HessianList = { kind: 'list', type, items };
    const slot = this.open(value);
    const before = this.elements;
    const expandedBefore = this.expandedBytes;
    this.count(1);
    for (;;) {
      this.need(1, 'a list');
      if (this.buf[this.pos] === 0x7a) {
        this.pos++;
        break;
      }
      items.push(this.value(depth + 1));
    }
    if (declared !== undefined && declared !== items.length) {
      this.stop(ErrorCodes.PROTO_HESSIAN_MALFORMED, `list declares ${declared} items but holds ${items.length}`);
    }
    this.close(slot, before, start, expandedBefore);
    return value;
  }

  private map(depth: number): HessianMap {
    const start = this.pos - 1;
    this.enter(depth);
    const type = this.optionalType();
    const entries: (readonly [HessianValue, HessianValue])[] = [];
    const value: HessianMap = { kind: 'map', type, entries };
    const slot = this.open(value);
    const before = this.elements;
    const expandedBefore = this.expandedBytes;
    this.count(1);
    for (;;) {
      this.need(1, 'a map');
      if (this.buf[this.pos] === 0x7a) {
        this.pos++;
        break;
      }
      const key = this.value(depth + 1);
      this.need(1, 'a map entry');
      if (this.buf[this.pos] === 0x7a) this.stop(ErrorCodes.PROTO_HESSIAN_MALFORMED, 'map key without a value');
      entries.push([key, this.value(depth + 1)] as const);
    }
    this.close(slot, before, start, expandedBefore);
    return value;
  }

  /** Hessian 1.0 numbers lists and maps in the order they start; 'R' n points at the n-th. */
  private open(value: HessianList | HessianMap): RefSlot {
    const slot: RefSlot = { value, open: true, weight: 0, bytes: 0 };
    this.refs.push(slot);
    return slot;
  }

  /** `start` is the offset of the container's tag; `expandedBefore` the expanded size before its body. */
  private close(slot: RefSlot, before: number, start: number, expandedBefore: number): void {
    slot.open = false;
    slot.weight = this.elements - before;
    // wire bytes of the container plus what references inside it expanded to
    slot.bytes = this.pos - start + (this.expandedBytes - expandedBefore);
  }

  private ref(): HessianValue {
    const index = this.i32('a reference');
    if (++this.refCount > this.limits.maxRefs) this.stop(ErrorCodes.PROTO_HESSIAN_LIMIT, `more than ${this.limits.maxRefs} references`);
    const slot = index >= 0 && index < this.refs.length ? this.refs[index] : undefined;
    if (slot === undefined) this.stop(ErrorCodes.PROTO_HESSIAN_MALFORMED, `reference ${index} to nothing read yet`);
    // A reference into a list or map still being read would make the value cyclic; no PEP message needs that.
    if (slot.open) this.stop(ErrorCodes.PROTO_HESSIAN_MALFORMED, `reference ${index} to an enclosing list or map (a loop)`);
    this.count(slot.weight);
    // A reference re-encodes as a full copy: bound that too, so echoing a decoded request cannot amplify it.
    this.expandedBytes += slot.bytes - 5;
    if (this.expandedBytes > this.limits.maxBytes) {
      this.stop(ErrorCodes.PROTO_HESSIAN_LIMIT, `references expand the message past ${this.limits.maxBytes} bytes`);
    }
    return slot.value;
  }

  value(depth: number): HessianValue {
    const tag = this.byte('a value');
    switch (tag) {
      case 0x4e: // N
        this.count(1);
        return { kind: 'null' };
      case 0x54: // T
      case 0x46: // F
        this.count(1);
        return { kind: 'bool', value: tag === 0x54 };
      case 0x49: // I
        this.count(1);
        return { kind: 'int', value: this.i32('an int') };
      case 0x4c: // L
        this.count(1);
        return { kind: 'long', value: this.i64('a long') };
      case 0x44: {
        // D
        this.count(1);
        this.need(8, 'a double');
        const v = this.view.getFloat64(this.pos);
        this.pos += 8;
        return { kind: 'double', value: v };
      }
      case 0x64: // d
        this.count(1);
        return { kind: 'date', value: this.i64('a date') };
      case 0x53: // S
      case 0x73: // s
        this.count(1);
        return { kind: 'string', value: this.text(tag, 'string') };
      case 0x58: // X
      case 0x78: // x
        this.count(1);
        return { kind: 'xml', value: this.text(tag, 'xml') };
      case 0x42: // B
      case 0x62: // b
        this.count(1);
        return { kind: 'binary', value: this.binary(tag) };
      case 0x56: // V
        return this.list(depth);
      case 0x4d: // M
        return this.map(depth);
      case 0x52: // R
        return this.ref();
      case 0x72: // r: a remote object reference; nothing a PEP sends
        return this.stop(ErrorCodes.PROTO_HESSIAN_UNSUPPORTED, "remote references ('r') are not supported");
      default:
        return this.stop(ErrorCodes.PROTO_HESSIAN_MALFORMED, `unknown tag ${tagName(tag)}`);
    }
  }
}

/**
 * Decodes exactly one Hessian 1.0 value filling `bytes`. Total: every input gives a value or a typed error, in time
 * linear in the input (bounded by the limits), and nothing is thrown.
 */
export function decodeHessian(bytes: Uint8Array, limits: HessianLimits = DEFAULT_HESSIAN_LIMITS): HessianResult<HessianValue> {
  try {
    if (bytes.length > limits.maxBytes) {
      return { ok: false, error: { code: ErrorCodes.PROTO_HESSIAN_LIMIT, detail: `message of ${bytes.length} bytes is over ${limits.maxBytes}` } };
    }
    if (bytes.length === 0) return { ok: false, error: { code: ErrorCodes.PROTO_HESSIAN_TRUNCATED, detail: 'empty message' } };
    const reader = new Reader(bytes, limits);
    const value = reader.value(0);
    if (!reader.atEnd()) {
      return { ok: false, error: { code: ErrorCodes.PROTO_HESSIAN_MALFORMED, detail: `${bytes.length - reader.offset()} bytes after the value` } };
    }
    return { ok: true, value };
  } catch (e) {
    if (e instanceof Stop) return { ok: false, error: e.error };
    // Not expected (the reader checks every read); kept so a bug still fails closed instead of escaping.
    return { ok: false, error: { code: ErrorCodes.PROTO_HESSIAN_MALFORMED, detail: `${HESSIAN_INTERNAL_ERROR}: ${String(e)}` } };
  }
}
