import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import { decodeHessian, DEFAULT_HESSIAN_LIMITS } from './decode';
import type { HessianLimits } from './decode';
import type { HessianValue } from './value';

// Byte vectors written from the Hessian 1.0 wire grammar (docs/pepd.md §2), not from our encoder.
const bytes = (...parts: (string | number[] | Uint8Array)[]): Uint8Array =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
const i32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const S = (s: string): Uint8Array => bytes('S', u16(s.length), s);

const ok = (b: Uint8Array, limits?: HessianLimits): HessianValue => {
  const r = decodeHessian(b, limits);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.detail}`);
  return r.value;
};
const code = (b: Uint8Array, limits?: HessianLimits): string => {
  const r = decodeHessian(b, limits);
  return r.ok ? 'ok' : r.error.code;
};

const fixtureBytes = (name: string): Buffer =>
  Buffer.from(readFileSync(join(__dirname, '../pepd/fixtures', name), 'latin1').replace(/\r\n/g, ''), 'base64');

describe('Hessian 1.0 scalars', () => {
  it('reads null, booleans, int, long, double, date', () => {
    expect(ok(bytes('N'))).toEqual({ kind: 'null' });
    expect(ok(bytes('T'))).toEqual({ kind: 'bool', value: true });
    expect(ok(bytes('F'))).toEqual({ kind: 'bool', value: false });
    expect(ok(bytes('I', [0x00, 0x00, 0x01, 0x2c]))).toEqual({ kind: 'int', value: 300 });
    expect(ok(bytes('I', [0xff, 0xff, 0xff, 0xff]))).toEqual({ kind: 'int', value: -1 });
    expect(ok(bytes('L', [0, 0, 0, 0, 0, 0, 0x01, 0x2c]))).toEqual({ kind: 'long', value: 300n });
    expect(ok(bytes('D', [0x40, 0x28, 0x80, 0, 0, 0, 0, 0]))).toEqual({ kind: 'double', value: 12.25 });
    // 1998-05-08T09:51:31Z, the Hessian 1.0 specification's date example
    expect(ok(bytes('d', [0x00, 0x00, 0x00, 0xd0, 0x4b, 0x92, 0x84, 0xb8]))).toEqual({ kind: 'date', value: 894621091000n });
  });

  it('reads strings, chunked strings and XML, counting UTF-16 units', () => {
    expect(ok(S('hello'))).toEqual({ kind: 'string', value: 'hello' });
    expect(ok(bytes('s', u16(2), 'he', 'S', u16(3), 'llo'))).toEqual({ kind: 'string', value: 'hello' });
    expect(ok(bytes('x', u16(2), '<a', 'X', u16(2), '/>'))).toEqual({ kind: 'xml', value: '<a/>' });
    // "é" is one unit in two bytes
    expect(ok(bytes('S', u16(1), [0xc3, 0xa9]))).toEqual({ kind: 'string', value: 'é' });
    // U+1F600 is two units: as four-byte UTF-8 (C client) or as two three-byte surrogates (Java's writer)
    expect(ok(bytes('S', u16(2), [0xf0, 0x9f, 0x98, 0x80]))).toEqual({ kind: 'string', value: '\u{1F600}' });
    expect(ok(bytes('S', u16(2), [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]))).toEqual({ kind: 'string', value: '\u{1F600}' });
  });

  it('refuses broken text', () => {
    expect(code(bytes('S', u16(1), [0xed, 0xa0, 0xbd]))).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED); // lone surrogate
    expect(code(bytes('S', u16(1), [0xf0, 0x9f, 0x98, 0x80]))).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED); // pair straddles length
    expect(code(bytes('S', u16(1), [0xc0, 0x80]))).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED); // overlong
    expect(code(bytes('S', u16(1), [0xe0, 0x80, 0x80]))).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED); // overlong
    expect(code(bytes('S', u16(1), [0x80]))).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED); // stray continuation
    expect(code(bytes('S', u16(1), [0xc3, 0x41]))).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED); // missing continuation
    expect(code(bytes('s', u16(1), 'a', 'I', i32(1)))).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED); // chunk then not a string
    expect(code(bytes('s', u16(1), 'a', 'X', u16(1), 'b'))).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED); // string chunk then XML
    expect(code(bytes('S', u16(6), 'hello'))).toBe(ErrorCodes.PROTO_HESSIAN_TRUNCATED);
  });

  it('reads binary, chunked', () => {
    const v = ok(bytes('b', u16(2), [1, 2], 'B', u16(1), [3]));
    expect(v.kind === 'binary' && [...v.value]).toEqual([1, 2, 3]);
  });
});

describe('Hessian 1.0 lists, maps and refs', () => {
  it('reads a typed list with a length (the specification example)', () => {
    expect(ok(bytes('V', 't', u16(4), '[int', 'l', i32(2), 'I', i32(0), 'I', i32(1), 'z'))).toEqual({
      kind: 'list',
      type: '[int',
      items: [
        { kind: 'int', value: 0 },
        { kind: 'int', value: 1 },
      ],
    });
  });

  it('reads an untyped list without a length, and an empty type as no type', () => {
    expect(ok(bytes('V', 'N', 'z'))).toEqual({ kind: 'list', type: undefined, items: [{ kind: 'null' }] });
    expect(ok(bytes('M', 't', u16(0), 'z'))).toEqual({ kind: 'map', type: undefined, entries: [] });
  });

  it('keeps a typed map as a type name and entries, instantiating nothing', () => {
    const v = ok(bytes('M', 't', u16(19), 'com.caucho.test.Car', S('model'), S('Beetle'), S('color'), S('aquamarine'), 'z'));
    expect(v).toEqual({
      kind: 'map',
      type: 'com.caucho.test.Car',
      entries: [
        [
          { kind: 'string', value: 'model' },
          { kind: 'string', value: 'Beetle' },
        ],
        [
          { kind: 'string', value: 'color' },
          { kind: 'string', value: 'aquamarine' },
        ],
      ],
    });
    // "__proto__" as a key is just a key
    const p = ok(bytes('M', S('__proto__'), S('x'), 'z'));
    expect(p.kind === 'map' && p.entries[0]![0]).toEqual({ kind: 'string', value: '__proto__' });
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('resolves a reference to a finished list or map (numbered in start order)', () => {
    // list #0 holds map #1 then R 1
    const v = ok(bytes('V', 'l', i32(2), 'M', S('k'), 'I', i32(7), 'z', 'R', i32(1), 'z'));
    expect(v.kind).toBe('list');
    if (v.kind !== 'list') return;
    expect(v.items[1]).toBe(v.items[0]);
  });

  it('refuses a reference loop, a reference to nothing, and a reference before anything', () => {
    // the specification's circular list: the map refers to itself while being read
    const loop = bytes('M', 't', u16(10), 'LinkedList', S('head'), 'I', i32(1), S('tail'), 'R', i32(0), 'z');
    expect(code(loop)).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED);
    expect(code(bytes('V', 'M', 'z', 'R', i32(5), 'z'))).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED);
    expect(code(bytes('R', i32(0)))).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED);
    expect(code(bytes('V', 'M', 'z', 'R', i32(-1), 'z'))).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED);
  });

  it('refuses a declared list length that is negative, huge or wrong', () => {
    expect(code(bytes('V', 'l', i32(-1), 'z'))).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED);
    expect(code(bytes('V', 'l', i32(0x7fffffff), 'z'))).toBe(ErrorCodes.PROTO_HESSIAN_LIMIT);
    expect(code(bytes('V', 'l', i32(2), 'N', 'z'))).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED);
  });

  it('refuses a map key without a value', () => {
    expect(code(bytes('M', S('k'), 'z'))).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED);
  });
});

describe('whole messages', () => {
  it('refuses empty input, trailing bytes, unknown tags and remote references', () => {
    expect(code(new Uint8Array())).toBe(ErrorCodes.PROTO_HESSIAN_TRUNCATED);
    expect(code(bytes('N', 'N'))).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED);
    expect(code(bytes('Q'))).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED);
    expect(code(bytes([0x00]))).toBe(ErrorCodes.PROTO_HESSIAN_MALFORMED);
    expect(code(bytes('r', 't', u16(1), 'X', S('http://evil/')))).toBe(ErrorCodes.PROTO_HESSIAN_UNSUPPORTED);
  });

  it('reports every proper prefix of a real request as truncated', () => {
    const full = fixtureBytes('request-subjectid-fqans.b64');
    expect(code(full)).toBe('ok');
    for (let n = 0; n < full.length; n++) expect(code(full.subarray(0, n)), `prefix ${n}`).toBe(ErrorCodes.PROTO_HESSIAN_TRUNCATED);
  });
});

describe('limits', () => {
  const tight = (over: Partial<HessianLimits>): HessianLimits => ({ ...DEFAULT_HESSIAN_LIMITS, ...over });

  it('bounds the message size', () => {
    expect(code(S('hello'), tight({ maxBytes: 8 }))).toBe('ok');
    expect(code(S('hello'), tight({ maxBytes: 7 }))).toBe(ErrorCodes.PROTO_HESSIAN_LIMIT);
  });

  it('bounds nesting', () => {
    const nested = (n: number): Uint8Array => bytes('V'.repeat(n), 'z'.repeat(n));
    expect(code(nested(DEFAULT_HESSIAN_LIMITS.maxDepth))).toBe('ok');
    expect(code(nested(DEFAULT_HESSIAN_LIMITS.maxDepth + 1))).toBe(ErrorCodes.PROTO_HESSIAN_LIMIT);
    expect(code(nested(100_000))).toBe(ErrorCodes.PROTO_HESSIAN_LIMIT);
  });

  it('bounds string, binary and type lengths across chunks', () => {
    expect(code(bytes('s', u16(3), 'abc', 'S', u16(3), 'def'), tight({ maxStringLength: 6 }))).toBe('ok');
    expect(code(bytes('s', u16(3), 'abc', 'S', u16(4), 'defg'), tight({ maxStringLength: 6 }))).toBe(ErrorCodes.PROTO_HESSIAN_LIMIT);
    expect(code(bytes('b', u16(3), 'abc', 'B', u16(4), 'defg'), tight({ maxBinaryLength: 6 }))).toBe(ErrorCodes.PROTO_HESSIAN_LIMIT);
    expect(code(bytes('M', 't', u16(5), 'abcde', 'z'), tight({ maxTypeLength: 4 }))).toBe(ErrorCodes.PROTO_HESSIAN_LIMIT);
    // a huge declared length on a short input is truncation, found before anything is allocated for it
    expect(code(bytes('S', u16(0xffff), 'abc'))).toBe(ErrorCodes.PROTO_HESSIAN_TRUNCATED);
  });

  it('bounds the size the references expand to (re-encoding a decoded value cannot amplify it)', () => {
    const big = bytes('V', 'M', S('k'), S('x'.repeat(60_000)), 'z');
    const withRefs = (n: number): Uint8Array => bytes(big.subarray(0, big.length), 'R\x00\x00\x00\x01'.repeat(n), 'z');
    expect(code(withRefs(15))).toBe('ok');
    expect(code(withRefs(18))).toBe(ErrorCodes.PROTO_HESSIAN_LIMIT);
  });

  it('bounds the number of values and references, charging a reference with what it points to', () => {
    const list = (n: number): Uint8Array => bytes('V', ...Array.from({ length: n }, () => 'N'), 'z');
    expect(code(list(9), tight({ maxElements: 10 }))).toBe('ok');
    expect(code(list(10), tight({ maxElements: 10 }))).toBe(ErrorCodes.PROTO_HESSIAN_LIMIT);
    // a doubling DAG: each list holds two references to the previous one; 2^40 values if walked
    const dag = (levels: number): Uint8Array => {
      const p: (string | number[])[] = ['V'];
      for (let i = 0; i < levels; i++) p.push('V', ...(i === 0 ? ['N'] : ['R', i32(i), 'R', i32(i)]), 'z');
      p.push('z');
      return bytes(...p);
    };
    expect(code(dag(40))).toBe(ErrorCodes.PROTO_HESSIAN_LIMIT);
    expect(code(bytes('V', 'M', 'z', 'R\x00\x00\x00\x01'.repeat(20), 'z'), tight({ maxRefs: 19 }))).toBe(
      ErrorCodes.PROTO_HESSIAN_LIMIT,
    );
  });
});
