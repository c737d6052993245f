/**
 * Minimal strict DER reader and writer. Our own rather than node-forge's because validation needs the exact
 * byte ranges that were signed (tbsCertificate, acinfo) and must refuse BER leniencies instead of re-encoding.
 */

export class DerError extends Error {
  override readonly name = 'DerError';
}

export const TagClass = { universal: 0, application: 1, context: 2, private: 3 } as const;

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8String: 0x0c,
  NumericString: 0x12,
  PrintableString: 0x13,
  T61String: 0x14,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  VisibleString: 0x1a,
  UniversalString: 0x1c,
  BMPString: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** One TLV. `der` is the whole encoding, `content` the value bytes; both are views into the input. */
export interface DerNode {
  /** First identifier octet (tags above 30 are refused; nothing we read uses them). */
  readonly tag: number;
  readonly cls: number;
  readonly constructed: boolean;
  readonly tagNumber: number;
  readonly der: Buffer;
  readonly content: Buffer;
}

/** Reads exactly one TLV spanning the whole buffer (trailing bytes are an error). */
export function readDer(buf: Buffer): DerNode {
  const node = readTlv(buf, 0);
  if (node.der.length !== buf.length) throw new DerError(`${buf.length - node.der.length} trailing bytes after DER value`);
  return node;
}

function readTlv(buf: Buffer, offset: number): DerNode {
  if (offset + 2 > buf.length) throw new DerError('truncated DER header');
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let pos = offset + 1;
  const first = buf[pos] as number;
  pos += 1;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw new DerError('indefinite length is not DER');
    if (count > 4) throw new DerError('DER length too large');
    if (pos + count > buf.length) throw new DerError('truncated DER length');
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + (buf[pos + i] as number);
    if (buf[pos] === 0 || length < 0x80) throw new DerError('non-minimal DER length');
    pos += count;
  }
  if (pos + length > buf.length) throw new DerError('truncated DER value');
  return {
    tag,
    cls: tag >> 6,
    constructed: (tag & 0x20) !== 0,
    tagNumber: tag & 0x1f,
    der: buf.subarray(offset, pos + length),
    content: buf.subarray(pos, pos + length),
  };
}

/** The TLVs inside a constructed value, in order. */
export function children(node: DerNode): DerNode[] {
  if (!node.constructed) throw new DerError(`tag 0x${node.tag.toString(16)} is not constructed`);
  const out: DerNode[] = [];
  let offset = 0;
  while (offset < node.content.length) {
    const child = readTlv(node.content, offset);
    out.push(child);
    offset += child.der.length;
    if (out.length > 100_000) throw new DerError('too many DER elements');
  }
  return out;
}

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (node === undefined) throw new DerError(`${what}: missing`);
  if (node.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${node.tag.toString(16)}`);
  return node;
}

export function sequence(node: DerNode | undefined, what: string): DerNode[] {
  return children(expectTag(node, Tag.SEQUENCE, what));
}

export function oidOf(node: DerNode | undefined, what = 'OBJECT IDENTIFIER'): string {
  const content = expectTag(node, Tag.OID, what).content;
  if (content.length === 0) throw new DerError(`${what}: empty OID`);
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < content.length; i += 1) {
    const byte = content[i] as number;
    if (value === 0 && byte === 0x80) throw new DerError(`${what}: non-minimal OID arc`);
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError(`${what}: OID arc too large`);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    }
  }
  if ((content[content.length - 1] as number) & 0x80) throw new DerError(`${what}: truncated OID`);
  return arcs.join('.');
}

/** INTEGER content as unsigned big-endian magnitude (negative values are refused: serials must be positive). */
export function integerBytes(node: DerNode | undefined, what = 'INTEGER'): Buffer {
  const content = expectTag(node, Tag.INTEGER, what).content;
  if (content.length === 0) throw new DerError(`${what}: empty INTEGER`);
  if (content.length > 1 && ((content[0] === 0 && !((content[1] as number) & 0x80)) || (content[0] === 0xff && (content[1] as number) & 0x80)))
    throw new DerError(`${what}: non-minimal INTEGER`);
  if ((content[0] as number) & 0x80) throw new DerError(`${what}: negative INTEGER`);
  return content[0] === 0 && content.length > 1 ? content.subarray(1) : content;
}

export function smallInteger(node: DerNode | undefined, what = 'INTEGER'): number {
  const bytes = integerBytes(node, what);
  if (bytes.length > 6) throw new DerError(`${what}: too large`);
  return bytes.reduce((acc, b) => acc * 256 + b, 0);
}

export function booleanOf(node: DerNode | undefined, what = 'BOOLEAN'): boolean {
  const content = expectTag(node, Tag.BOOLEAN, what).content;
  if (content.length !== 1 || (content[0] !== 0 && content[0] !== 0xff)) throw new DerError(`${what}: bad BOOLEAN`);
  return content[0] === 0xff;
}

/** BIT STRING contents without the unused-bits octet, plus that count. */
export function bitString(node: DerNode | undefined, what = 'BIT STRING'): { bytes: Buffer; unusedBits: number } {
  const content = expectTag(node, Tag.BIT_STRING, what).content;
  const unused = content[0];
  if (unused === undefined || unused > 7 || (unused > 0 && content.length === 1)) throw new DerError(`${what}: bad BIT STRING`);
  return { bytes: content.subarray(1), unusedBits: unused };
}

/** UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), the only forms RFC 5280 allows. */
export function timeOf(node: DerNode | undefined, what = 'Time'): Date {
  if (node === undefined) throw new DerError(`${what}: missing`);
  const text = node.content.toString('latin1');
  let match: RegExpExecArray | null;
  let year: number;
  if (node.tag === Tag.UTCTime) {
    match = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text);
    if (!match) throw new DerError(`${what}: bad UTCTime "${text}"`);
    const yy = Number(match[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (node.tag === Tag.GeneralizedTime) {
    match = /^(\d\d\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text);
    if (!match) throw new DerError(`${what}: bad GeneralizedTime "${text}"`);
    year = Number(match[1]);
  } else {
    throw new DerError(`${what}: not a time value`);
  }
  const [, , mo, d, h, mi, s] = match.map(Number) as number[];
  const date = new Date(Date.UTC(year, (mo as number) - 1, d, h, mi, s));
  if (date.getUTCMonth() !== (mo as number) - 1 || date.getUTCDate() !== d || (h as number) > 23 || (mi as number) > 59 || (s as number) > 59)
    throw new DerError(`${what}: invalid date "${text}"`);
  return date;
}

const STRING_TAGS = new Set<number>([
  Tag.UTF8String,
  Tag.NumericString,
  Tag.PrintableString,
  Tag.T61String,
  Tag.IA5String,
  Tag.VisibleString,
  Tag.UniversalString,
  Tag.BMPString,
]);

export function isStringTag(tag: number): boolean {
  return STRING_TAGS.has(tag);
}

/** Decodes any ASN.1 string type to a JS string (T61 as Latin-1, as OpenSSL effectively does). */
export function stringOf(node: DerNode | undefined, what = 'string'): string {
  if (node === undefined) throw new DerError(`${what}: missing`);
  switch (node.tag) {
    case Tag.UTF8String: {
      const text = node.content.toString('utf8');
      if (!Buffer.from(text, 'utf8').equals(node.content)) throw new DerError(`${what}: invalid UTF-8`);
      return text;
    }
    case Tag.BMPString:
      if (node.content.length % 2 !== 0) throw new DerError(`${what}: odd BMPString length`);
      return Buffer.from(node.content).swap16().toString('utf16le');
    case Tag.UniversalString: {
      if (node.content.length % 4 !== 0) throw new DerError(`${what}: bad UniversalString length`);
      let out = '';
      for (let i = 0; i < node.content.length; i += 4) {
        const cp = node.content.readUInt32BE(i);
        if (cp > 0x10ffff) throw new DerError(`${what}: bad UniversalString code point`);
        out += String.fromCodePoint(cp);
      }
      return out;
    }
    case Tag.T61String:
      return node.content.toString('latin1');
    case Tag.NumericString:
    case Tag.PrintableString:
    case Tag.IA5String:
    case Tag.VisibleString:
      return node.content.toString('latin1');
    case Tag.OCTET_STRING:
      return node.content.toString('utf8');
    default:
      throw new DerError(`${what}: not a string type (0x${node.tag.toString(16)})`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Writer: each function returns the full TLV encoding.

function lengthBytes(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let l = length; l > 0; l = Math.floor(l / 256)) bytes.unshift(l & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content]);
}

export const der = {
  seq: (...items: Buffer[]): Buffer => tlv(Tag.SEQUENCE, Buffer.concat(items)),
  /** SET OF, sorted as DER requires. */
  set: (...items: Buffer[]): Buffer => tlv(Tag.SET, Buffer.concat([...items].sort(Buffer.compare))),
  bool: (value: boolean): Buffer => tlv(Tag.BOOLEAN, Buffer.from([value ? 0xff : 0])),
  null: (): Buffer => tlv(Tag.NULL, Buffer.alloc(0)),
  /** Non-negative INTEGER from a number, bigint or big-endian magnitude. */
  int: (value: number | bigint | Buffer): Buffer => {
    let bytes: Buffer;
    if (Buffer.isBuffer(value)) {
      let start = 0;
      while (start < value.length - 1 && value[start] === 0) start += 1;
      bytes = value.subarray(start);
      if (bytes.length === 0) bytes = Buffer.from([0]);
    } else {
      let hex = BigInt(value).toString(16);
      if (hex.length % 2) hex = `0${hex}`;
      bytes = Buffer.from(hex, 'hex');
    }
    if ((bytes[0] as number) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return tlv(Tag.INTEGER, bytes);
  },
  oid: (dotted: string): Buffer => {
    const arcs = dotted.split('.').map(Number);
    const [a = 0, b = 0, ...rest] = arcs;
    const out: number[] = [];
    for (const arc of [a * 40 + b, ...rest]) {
      const chunk: number[] = [arc & 0x7f];
      for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
      out.push(...chunk);
    }
    return tlv(Tag.OID, Buffer.from(out));
  },
  octets: (bytes: Buffer): Buffer => tlv(Tag.OCTET_STRING, bytes),
  bits: (bytes: Buffer, unusedBits = 0): Buffer => tlv(Tag.BIT_STRING, Buffer.concat([Buffer.from([unusedBits]), bytes])),
  utf8: (text: string): Buffer => tlv(Tag.UTF8String, Buffer.from(text, 'utf8')),
  printable: (text: string): Buffer => tlv(Tag.PrintableString, Buffer.from(text, 'latin1')),
  ia5: (text: string): Buffer => tlv(Tag.IA5String, Buffer.from(text, 'latin1')),
  /** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050. */
  time: (date: Date): Buffer => (date.getUTCFullYear() < 2050 ? der.utcTime(date) : der.generalizedTime(date)),
  utcTime: (date: Date): Buffer => tlv(Tag.UTCTime, Buffer.from(isoCompact(date).slice(2), 'latin1')),
  generalizedTime: (date: Date): Buffer => tlv(Tag.GeneralizedTime, Buffer.from(isoCompact(date), 'latin1')),
  /** Context-specific constructed [n] around already-encoded content (EXPLICIT tagging, or IMPLICIT of a SEQUENCE). */
  ctx: (n: number, ...content: Buffer[]): Buffer => tlv(0xa0 | n, Buffer.concat(content)),
  /** Context-specific primitive [n] with raw content (IMPLICIT tagging of a primitive). */
  ctxPrim: (n: number, content: Buffer): Buffer => tlv(0x80 | n, content),
  /** Re-tags an encoded TLV (IMPLICIT tagging): keeps the content, replaces the identifier octet. */
  retag: (encoded: Buffer, tag: number): Buffer => tlv(tag, readDer(encoded).content),
};

function isoCompact(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').replace(/\.\d{3}/, '');
}
