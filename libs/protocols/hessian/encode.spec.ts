import { describe, expect, it } from 'vitest';
import { decodeHessian } from './decode';
import { encodeHessian } from './encode';
import { HNULL, hInt, hList, hObject, hString } from './value';
import type { HessianValue } from './value';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const latin1Hex = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

describe('encodeHessian', () => {
  it('writes scalars as the Hessian 1.0 grammar says (expected bytes written by hand)', () => {
    expect(hex(encodeHessian(HNULL))).toBe('4e');
    expect(hex(encodeHessian({ kind: 'bool', value: true }))).toBe('54');
    expect(hex(encodeHessian(hInt(300)))).toBe('490000012c');
    expect(hex(encodeHessian(hInt(-1)))).toBe('49ffffffff');
    expect(hex(encodeHessian({ kind: 'long', value: 300n }))).toBe('4c000000000000012c');
    expect(hex(encodeHessian({ kind: 'double', value: 12.25 }))).toBe('444028800000000000');
    expect(hex(encodeHessian({ kind: 'date', value: 894621091000n }))).toBe('64000000d04b9284b8');
    expect(hex(encodeHessian(hString('hello')))).toBe(`530005${latin1Hex('hello')}`);
    // length in UTF-16 units: "é" is 1, U+1F600 is 2 (sent as standard four-byte UTF-8)
    expect(hex(encodeHessian(hString('é')))).toBe('530001c3a9');
    expect(hex(encodeHessian(hString('\u{1F600}')))).toBe('530002f09f9880');
    expect(hex(encodeHessian({ kind: 'binary', value: new Uint8Array([1, 2]) }))).toBe('4200020102');
  });

  it('writes lists and typed maps in the C client layout (length only when non-empty)', () => {
    expect(hex(encodeHessian(hList([])))).toBe('567a');
    expect(hex(encodeHessian(hList([HNULL], '[int')))).toBe(`56740004${latin1Hex('[int')}6c000000014e7a`);
    expect(hex(encodeHessian(hObject('a.B', [['k', HNULL]])))).toBe(`4d740003${latin1Hex('a.B')}5300016b4e7a`);
  });

  it('chunks long strings and binaries without splitting a surrogate pair', () => {
    const long = 'a'.repeat(0x7fff) + '\u{1F600}' + 'b'.repeat(0x9000);
    const b = encodeHessian(hString(long));
    expect(String.fromCharCode(b[0]!)).toBe('s');
    expect(b.readUInt16BE(1)).toBe(0x7fff); // the pair moved to the next chunk
    const back = decodeHessian(b);
    expect(back.ok && back.value).toEqual({ kind: 'string', value: long });
    const bin = new Uint8Array(0x10000 + 5).map((_, i) => i & 0xff);
    const bb = encodeHessian({ kind: 'binary', value: bin });
    expect(String.fromCharCode(bb[0]!)).toBe('b');
    const binBack = decodeHessian(bb);
    expect(binBack.ok && binBack.value.kind === 'binary' && Buffer.from(binBack.value.value).equals(Buffer.from(bin))).toBe(true);
  });

  it('round-trips mixed values through the decoder', () => {
    const v: HessianValue = hObject('x.Y', [
      ['ints', hList([hInt(0), hInt(-2147483648), hInt(2147483647)])],
      ['text', { kind: 'xml', value: '<a/>' }],
      ['nested', hList([hList([hString('')])], 'java.util.ArrayList')],
      ['long', { kind: 'long', value: -(1n << 63n) }],
    ]);
    const back = decodeHessian(encodeHessian(v));
    expect(back.ok && back.value).toEqual(v);
  });

  it('refuses values Hessian cannot carry', () => {
    expect(() => encodeHessian(hInt(2 ** 31))).toThrow(RangeError);
    expect(() => encodeHessian(hInt(1.5))).toThrow(RangeError);
    expect(() => encodeHessian(hString('\ud800'))).toThrow(RangeError);
    expect(() => encodeHessian({ kind: 'long', value: 1n << 63n })).toThrow(RangeError);
  });
});
