import { isWellFormedText } from './value';
import type { HessianValue } from './value';

/** Characters per non-final string chunk ('s'), as Java's Hessian 1.0 writer does. */
const STRING_CHUNK = 0x8000;
const BINARY_CHUNK = 0x8000;

class Writer {
  private buf = new Uint8Array(1024);
  private len = 0;
  private readonly view = (): DataView => new DataView(this.buf.buffer);

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  u16(v: number): void {
    this.room(2);
    this.view().setUint16(this.len, v);
    this.len += 2;
  }

  i32(v: number): void {
    this.room(4);
    this.view().setInt32(this.len, v);
    this.len += 4;
  }

  i64(v: bigint): void {
    this.room(8);
    this.view().setBigInt64(this.len, v);
    this.len += 8;
  }

  f64(v: number): void {
    this.room(8);
    this.view().setFloat64(this.len, v);
    this.len += 8;
  }

  /** Length in UTF-16 units (Hessian 1.0), then standard UTF-8. */
  utf8(s: string): void {
    this.u16(s.length);
    this.bytes(Buffer.from(s, 'utf8'));
  }

  result(): Buffer {
    return Buffer.from(this.buf.buffer, 0, this.len);
  }
}

function writeText(w: Writer, s: string, finalTag: number): void {
  if (!isWellFormedText(s)) throw new RangeError('Hessian strings must not hold unpaired surrogates');
  let at = 0;
  while (s.length - at > 0xffff) {
    let end = at + STRING_CHUNK;
    // Keep a surrogate pair inside one chunk so every chunk is valid UTF-8 on its own.
    const last = s.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--;
    w.byte(finalTag + 0x20);
    w.utf8(s.slice(at, end));
    at = end;
  }
  w.byte(finalTag);
  w.utf8(s.slice(at));
}

function writeType(w: Writer, type: string | undefined): void {
  if (type === undefined || type === '') return;
  if (type.length > 0xffff || !isWellFormedText(type)) throw new RangeError('invalid Hessian type name');
  w.byte(0x74); // t
  w.utf8(type);
}

function write(w: Writer, v: HessianValue): void {
  switch (v.kind) {
    case 'null':
      w.byte(0x4e);
      return;
    case 'bool':
      w.byte(v.value ? 0x54 : 0x46);
      return;
    case 'int':
      if (!Number.isInteger(v.value) || v.value < -0x80000000 || v.value > 0x7fffffff) throw new RangeError(`${v.value} is not a 32-bit int`);
      w.byte(0x49);
      w.i32(v.value);
      return;
    case 'long':
    case 'date':
      if (v.value < -(1n << 63n) || v.value >= 1n << 63n) throw new RangeError(`${v.value} is not a 64-bit long`);
      w.byte(v.kind === 'long' ? 0x4c : 0x64);
      w.i64(v.value);
      return;
    case 'double':
      w.byte(0x44);
      w.f64(v.value);
      return;
    case 'string':
      writeText(w, v.value, 0x53);
      return;
    case 'xml':
      writeText(w, v.value, 0x58);
      return;
    case 'binary': {
      let at = 0;
      while (v.value.length - at > 0xffff) {
        w.byte(0x62);
        w.u16(BINARY_CHUNK);
        w.bytes(v.value.subarray(at, at + BINARY_CHUNK));
        at += BINARY_CHUNK;
      }
      w.byte(0x42);
      w.u16(v.value.length - at);
      w.bytes(v.value.subarray(at));
      return;
    }
    case 'list':
      w.byte(0x56);
      writeType(w, v.type);
      // The C PEP client writes the length only for a non-empty list; we do the same so our bytes match its.
      if (v.items.length > 0) {
        w.byte(0x6c);
        w.i32(v.items.length);
      }
      for (const item of v.items) write(w, item);
      w.byte(0x7a);
      return;
    case 'map':
      w.byte(0x4d);
      writeType(w, v.type);
      for (const [key, value] of v.entries) {
        write(w, key);
        write(w, value);
      }
      w.byte(0x7a);
      return;
  }
}

/**
 * Encodes a value as Hessian 1.0. Never writes references ('R'): the C PEP client resolves them against the
 * enclosing list only, so a shared value is written out again each time. Throws RangeError on a value Hessian
 * cannot carry (an int out of range, an unpaired surrogate) — a programming error, not input.
 * The value must be a tree (the decoder never produces cycles).
 */
export function encodeHessian(value: HessianValue): Buffer {
  const w = new Writer();
  write(w, value);
  return w.result();
}
