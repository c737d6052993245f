import { describe, expect, it } from 'vitest';
import { ncName, primaId } from './serialise';

describe('primaId', () => {
  it('is 32 lower-case hex characters starting with a–f, whatever the bytes', () => {
    for (const byte of [0x00, 0x3f, 0x9a, 0xa0, 0xff]) {
      const id = primaId(new Uint8Array(16).fill(byte));
      expect(id).toMatch(/^[a-f][0-9a-f]{31}$/);
    }
    expect(primaId(Uint8Array.from([0xab, ...new Array<number>(15).fill(1)]))).toBe(`ab${'01'.repeat(15)}`);
  });

  it('refuses too little randomness', () => {
    expect(() => primaId(new Uint8Array(8))).toThrow(RangeError);
  });
});

describe('ncName', () => {
  it('keeps NCNames and repairs the rest', () => {
    expect(ncName('_abc-1.2')).toBe('_abc-1.2');
    expect(ncName('1abc')).toBe('_1abc');
    expect(ncName('a:b c')).toBe('a_b_c');
  });
});
