/**
 * Distinguished names in the two renderings grid software uses (mapping.md §1.1):
 * the OpenSSL/Globus slash form, most-significant RDN first (`/DC=org/DC=example/CN=Jane Doe`), and
 * RFC 2253, least-significant first (`CN=Jane Doe,DC=example,DC=org`).
 *
 * A Dn holds an ordered list of RDNs (most-significant first); each RDN holds one or more AVAs.
 * Attribute types are kept under their canonical short name (see ATTRIBUTE_ALIASES) or as a dotted OID.
 */

export interface Ava {
  readonly type: string;
  readonly value: string;
}
export type Rdn = readonly Ava[];

export class DnSyntaxError extends Error {
  override readonly name = 'DnSyntaxError';
}

/** OID of each attribute type we know by name; the canonical short name is the key. */
export const ATTRIBUTE_OIDS: Readonly<Record<string, string>> = {
  CN: '2.5.4.3',
  SN: '2.5.4.4',
  serialNumber: '2.5.4.5',
  C: '2.5.4.6',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  street: '2.5.4.9',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  title: '2.5.4.12',
  GN: '2.5.4.42',
  initials: '2.5.4.43',
  generationQualifier: '2.5.4.44',
  dnQualifier: '2.5.4.46',
  pseudonym: '2.5.4.65',
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1',
  emailAddress: '1.2.840.113549.1.9.1',
};

/** Spellings found in the wild (old grid-mapfiles, Java, OpenSSL) mapped to the canonical short name. */
const ATTRIBUTE_ALIASES: Readonly<Record<string, string>> = (() => {
  const aliases: Record<string, string> = {};
  for (const [name, oid] of Object.entries(ATTRIBUTE_OIDS)) {
    aliases[name.toLowerCase()] = name;
    aliases[oid] = name;
    aliases[`oid.${oid}`] = name;
  }
  Object.assign(aliases, {
    e: 'emailAddress',
    email: 'emailAddress',
    emailaddress: 'emailAddress',
    commonname: 'CN',
    countryname: 'C',
    localityname: 'L',
    stateorprovincename: 'ST',
    s: 'ST',
    organizationname: 'O',
    organizationalunitname: 'OU',
    domaincomponent: 'DC',
    userid: 'UID',
    surname: 'SN',
    givenname: 'GN',
    streetaddress: 'street',
  });
  return aliases;
})();

/** Types RFC 2253 (and Java's X500Principal RFC2253 output) print by keyword; the rest print as OIDs there. */
const RFC2253_KEYWORDS = new Set(['CN', 'L', 'ST', 'O', 'OU', 'C', 'street', 'DC', 'UID']);

const ATTRIBUTE_TYPE = /^(?:[A-Za-z][A-Za-z0-9-]*|(?:oid\.|OID\.)?[0-9]+(?:\.[0-9]+)+)$/;

export function canonicalAttributeType(raw: string): string {
  const trimmed = raw.trim();
  if (!ATTRIBUTE_TYPE.test(trimmed)) throw new DnSyntaxError(`not an attribute type: "${raw}"`);
  const known = ATTRIBUTE_ALIASES[trimmed.toLowerCase()];
  if (known) return known;
  if (/^[0-9]/.test(trimmed)) return trimmed;
  if (/^oid\./i.test(trimmed)) return trimmed.slice(4);
  // An unknown keyword is kept as written: OpenSSL prints short names we have no OID for (e.g. "x500UniqueIdentifier").
  return trimmed;
}

export function attributeTypeOid(type: string): string | undefined {
  return ATTRIBUTE_OIDS[type] ?? (/^[0-9]+(\.[0-9]+)+$/.test(type) ? type : undefined);
}

/** Bounded; cleared when full (simpler than LRU, and a full memo only means re-parsing). */
const PARSED_DN_MEMO_SIZE = 4096;
const parsedDns = new Map<string, Dn>();
/**
 * canonicalKey() and toSlash() of each Dn, computed once (a Dn is immutable; every decision renders and keys the same
 * few names several times). Kept outside the objects so that a Dn's own fields stay its RDNs.
 */
const keys = new WeakMap<Dn, string>();
const slashes = new WeakMap<Dn, string>();

export class Dn {
  private constructor(readonly rdns: readonly Rdn[]) {}

  static fromRdns(rdns: readonly Rdn[]): Dn {
    if (rdns.length === 0) throw new DnSyntaxError('empty DN');
    return new Dn(rdns.map((rdn) => rdn.map((ava) => ({ type: canonicalAttributeType(ava.type), value: ava.value }))));
  }

  /**
   * Parses either rendering: a leading "/" means slash form, anything else RFC 2253. Every query names the same
   * few DNs again (subject, pilot, host), so parsed DNs are remembered by their text; a Dn is immutable.
   */
  static parse(text: string): Dn {
    const known = parsedDns.get(text);
    if (known !== undefined) return known;
    const dn = text.trimStart().startsWith('/') ? Dn.fromSlash(text) : Dn.fromRfc2253(text);
    if (parsedDns.size >= PARSED_DN_MEMO_SIZE) parsedDns.clear();
    parsedDns.set(text, dn);
    return dn;
  }

  /**
   * Slash form. Values are not escaped there, so a "/" or "+" only starts a new RDN or AVA when a known
   * attribute type and "=" follow it (host DNs such as /CN=host/ce.example.org depend on this).
   * `\xHH` sequences are UTF-8 bytes, as OpenSSL's X509_NAME_oneline prints them.
   */
  static fromSlash(text: string): Dn {
    if (!text.startsWith('/')) throw new DnSyntaxError('slash-form DN must start with "/"');
    const rdns: Ava[][] = [];
    let current: Ava[] | undefined;
    let pendingType: string | undefined;
    let valueStart = 0;
    const flush = (end: number): void => {
      if (pendingType === undefined || current === undefined) return;
      current.push({ type: pendingType, value: decodeHexEscapes(text.slice(valueStart, end)) });
      pendingType = undefined;
    };
    let i = 0;
    while (i < text.length) {
      const ch = text[i];
      if ((ch === '/' || (ch === '+' && current !== undefined)) && (i === 0 || pendingType !== undefined)) {
        const match = /^([A-Za-z][A-Za-z0-9-]*|(?:oid\.)?[0-9]+(?:\.[0-9]+)+)=/i.exec(text.slice(i + 1));
        const type = match?.[1] !== undefined ? tryCanonicalType(match[1]) : undefined;
        if (match && type !== undefined) {
          flush(i);
          if (ch === '/') {
            current = [];
            rdns.push(current);
          }
          pendingType = type;
          i += 1 + match[0].length;
          valueStart = i;
          continue;
        }
        if (i === 0) throw new DnSyntaxError(`slash-form DN does not start with an attribute: "${text}"`);
      }
      i += 1;
    }
    flush(text.length);
    if (rdns.length === 0) throw new DnSyntaxError('empty DN');
    return new Dn(rdns);
  }

  /** RFC 2253 / RFC 4514: least-significant RDN first, backslash escapes, `#hex` BER values for known string types. */
  static fromRfc2253(text: string): Dn {
    const rdns: Ava[][] = [];
    let current: Ava[] = [];
    let i = 0;
    const n = text.length;
    const skipSpaces = (): void => {
      while (i < n && text[i] === ' ') i += 1;
    };
    if (text.trim() === '') throw new DnSyntaxError('empty DN');
    for (;;) {
      skipSpaces();
      const typeStart = i;
      while (i < n && text[i] !== '=') i += 1;
      if (i >= n) throw new DnSyntaxError(`missing "=" after "${text.slice(typeStart)}"`);
      const type = canonicalAttributeType(text.slice(typeStart, i));
      i += 1;
      skipSpaces();
      let value = '';
      if (text[i] === '#') {
        const hexStart = ++i;
        while (i < n && /[0-9A-Fa-f]/.test(text[i] ?? '')) i += 1;
        value = decodeBerString(text.slice(hexStart, i));
      } else if (text[i] === '"') {
        i += 1;
        while (i < n && text[i] !== '"') {
          if (text[i] === '\\') i += 1;
          value += text[i] ?? '';
          i += 1;
        }
        if (i >= n) throw new DnSyntaxError('unterminated quoted value');
        i += 1;
      } else {
        const bytes: number[] = [];
        let trailingUnescapedSpaces = 0;
        while (i < n && text[i] !== ',' && text[i] !== '+' && text[i] !== ';') {
          const ch = text[i] as string;
          if (ch === '\\') {
            const next = text.slice(i + 1, i + 3);
            if (/^[0-9A-Fa-f]{2}$/.test(next)) {
              bytes.push(parseInt(next, 16));
              i += 3;
            } else if (i + 1 < n) {
              bytes.push(...Buffer.from(text[i + 1] as string, 'utf8'));
              i += 2;
            } else {
              throw new DnSyntaxError('DN ends in a lone backslash');
            }
            trailingUnescapedSpaces = 0;
            continue;
          }
          bytes.push(...Buffer.from(ch, 'utf8'));
          trailingUnescapedSpaces = ch === ' ' ? trailingUnescapedSpaces + 1 : 0;
          i += 1;
        }
        value = Buffer.from(bytes.slice(0, bytes.length - trailingUnescapedSpaces)).toString('utf8');
      }
      current.push({ type, value });
      skipSpaces();
      if (i >= n) break;
      const sep = text[i];
      i += 1;
      if (sep === '+') continue;
      if (sep === ',' || sep === ';') {
        rdns.push(current);
        current = [];
        continue;
      }
      throw new DnSyntaxError(`unexpected "${sep}" at offset ${i - 1}`);
    }
    rdns.push(current);
    return new Dn(rdns.reverse());
  }

  /**
   * Slash rendering (docs/identities.md): OpenSSL's X509_NAME_oneline text (bytes outside printable ASCII as
   * uppercase \xHH) for every name that text can represent. Only where OpenSSL's text would read back as a
   * different name is more escaped, as \xHH: a "/" or "+" in a value that a known attribute type and "=" follow
   * (it would start an RDN or AVA), and a "\" that "x" and two hex digits follow (it would be read as a byte).
   * So `Dn.fromSlash(dn.toSlash())` is always `dn` again, and no two names share a rendering.
   */
  toSlash(): string {
    let slash = slashes.get(this);
    if (slash === undefined) {
      slash = this.rdns.map((rdn) => '/' + rdn.map((ava) => `${ava.type}=${encodeSlashValue(ava.value)}`).join('+')).join('');
      slashes.set(this, slash);
    }
    return slash;
  }

  /**
   * Exactly what OpenSSL's X509_NAME_oneline prints, without our extra escapes; for a slash-ambiguous name this
   * is the text of a different name (docs/identities.md). For messages about such names only, never for keys.
   */
  toOpenSslSlash(): string {
    return this.rdns.map((rdn) => '/' + rdn.map((ava) => `${ava.type}=${encodeHexEscapes(ava.value)}`).join('+')).join('');
  }

  /**
   * Why this name's legacy slash text (OpenSSL's, as LCMAPS, gLExec and grid-mapfiles see it) names a different
   * name, or undefined when it does not (docs/identities.md): a value with a "/" or "+" that something of the form
   * of an attribute type (any keyword or dotted OID) and "=" follow, a value with "\x" and two hex digits, a value
   * that is not well-formed Unicode, or an attribute type the slash form cannot start an RDN with. Certificates
   * with such names are refused unless trust.allowAmbiguousDns is set.
   */
  slashAmbiguity(): string | undefined {
    for (const rdn of this.rdns) {
      for (const ava of rdn) {
        if (!slashStartsAva(ava.type)) return `attribute type "${ava.type}" cannot be written in the slash form`;
        const why = valueAmbiguity(ava.value);
        if (why !== undefined) return `${ava.type} value "${encodeHexEscapes(ava.value)}" ${why}`;
      }
    }
    return undefined;
  }

  /** RFC 2253 rendering (least-significant first), as Argus's PEP puts it in subject-id. */
  toRfc2253(): string {
    return [...this.rdns]
      .reverse()
      .map((rdn) =>
        rdn
          .map((ava) => `${RFC2253_KEYWORDS.has(ava.type) ? ava.type : (attributeTypeOid(ava.type) ?? ava.type)}=${escapeRfc2253(ava.value)}`)
          .join('+'),
      )
      .join(',');
  }

  /**
   * Comparison key in the spirit of X500Principal and OpenSSL's canonical encoding (docs/identities.md): type by
   * OID (unknown keywords lower-cased), value trimmed, whitespace runs collapsed to one space, lower-cased; then
   * "\", "/" and "+" in the value escaped as \5c, \2f, \2b (backslash first), AVAs of an RDN sorted and joined
   * with "+", RDNs joined with "/". The escapes make the key injective: the separators occur in it only as
   * separators, so two names have one key only if they have the same RDNs, types and folded values. This key
   * is what the database stores and looks up (the *_key columns); the renderings are for display and files.
   */
  canonicalKey(): string {
    const known = keys.get(this);
    if (known !== undefined) return known;
    const key = this.rdns
      .map((rdn) =>
        rdn
          .map((ava) => `${attributeTypeOid(ava.type) ?? ava.type.toLowerCase()}=${escapeKeyValue(ava.value.trim().replace(/\s+/g, ' ').toLowerCase())}`)
          .sort()
          .join('+'),
      )
      .join('/');
    keys.set(this, key);
    return key;
  }

  equals(other: Dn): boolean {
    return this.canonicalKey() === other.canonicalKey();
  }

  /** Byte-exact comparison of the (injective) slash rendering, as LCMAPS compares DNs (mapping.md §1.1). */
  exactlyEquals(other: Dn): boolean {
    return this.toSlash() === other.toSlash();
  }

  /** The value of the last (least-significant) AVA of this type, e.g. the CN of a user. */
  last(type: string): string | undefined {
    const wanted = canonicalAttributeType(type);
    for (let r = this.rdns.length - 1; r >= 0; r -= 1) {
      const ava = this.rdns[r]?.find((a) => a.type === wanted);
      if (ava) return ava.value;
    }
    return undefined;
  }

  /** This DN with one more RDN appended at the least-significant end (how a proxy extends its issuer). */
  extendedBy(rdn: Rdn): Dn {
    return Dn.fromRdns([...this.rdns, rdn]);
  }

  /** True if this DN is `parent` plus exactly one more RDN. */
  isChildOf(parent: Dn): boolean {
    if (this.rdns.length !== parent.rdns.length + 1) return false;
    return Dn.fromRdns(this.rdns.slice(0, -1)).equals(parent);
  }

  toString(): string {
    return this.toSlash();
  }

  toJSON(): string {
    return this.toSlash();
  }
}

/** The shape of an AVA's start after a "/" or "+": a keyword or OID, then "=" (fromSlash also wants it known). */
const SLASH_AVA_START = /^([A-Za-z][A-Za-z0-9-]*|(?:oid\.)?[0-9]+(?:\.[0-9]+)+)=/i;
/** What fromSlash reads as an escaped byte. */
const SLASH_HEX_ESCAPE = /^[xX][0-9A-Fa-f]{2}/;

function startsAva(rest: string): boolean {
  const match = SLASH_AVA_START.exec(rest);
  return match?.[1] !== undefined && tryCanonicalType(match[1]) !== undefined;
}

function slashStartsAva(type: string): boolean {
  return ATTRIBUTE_OIDS[type] !== undefined || /^[0-9]+(\.[0-9]+)+$/.test(type);
}

/**
 * Why OpenSSL's slash text of this value would not read back as the value, or could be read as more RDNs by a
 * reader knowing more attribute types than we do; undefined if neither.
 */
function valueAmbiguity(value: string): string | undefined {
  // A lone surrogate (possible from a BMPString) has no UTF-8 form: two such values would render alike.
  if (Buffer.from(value, 'utf8').toString('utf8') !== value) return 'is not well-formed Unicode';
  for (let i = 0; i < value.length; i += 1) {
    const ch = value[i];
    // Any keyword, not only those we know: OpenSSL (and so a grid-mapfile line copied from it) prints types we do
    // not know by name, and such a line must not be matched by a value that spells it.
    if ((ch === '/' || ch === '+') && SLASH_AVA_START.test(value.slice(i + 1))) return `contains "${ch}" followed by an attribute type and "="`;
    if (ch === '\\' && SLASH_HEX_ESCAPE.test(value.slice(i + 1))) return 'contains "\\x" followed by two hex digits';
  }
  return undefined;
}

/**
 * One value in the slash form: OpenSSL's \xHH for bytes outside printable ASCII, and \xHH as well for the
 * characters that would otherwise make the text read back as a different name (see Dn.toSlash). What follows a
 * character is looked at in the value alone: a value always ends before a "/" or "+", neither of which can be
 * part of an attribute type or its "=", so the parser's look-ahead never reaches past the value.
 */
function encodeSlashValue(value: string): string {
  if (!/[/+\\]/.test(value)) return encodeHexEscapes(value);
  let out = '';
  for (let i = 0; i < value.length; ) {
    const cp = value.codePointAt(i) as number;
    const ch = String.fromCodePoint(cp);
    const rest = value.slice(i + ch.length);
    if (((ch === '/' || ch === '+') && startsAva(rest)) || (ch === '\\' && SLASH_HEX_ESCAPE.test(rest))) {
      out += `\\x${cp.toString(16).toUpperCase()}`;
    } else {
      out += encodeHexEscapes(ch);
    }
    i += ch.length;
  }
  return out;
}

/** Key escaping: backslash first, so an escape in the output is never confused with one in the input. */
function escapeKeyValue(value: string): string {
  return value.replace(/\\/g, '\\5c').replace(/\//g, '\\2f').replace(/\+/g, '\\2b');
}

function tryCanonicalType(raw: string): string | undefined {
  try {
    const type = canonicalAttributeType(raw);
    // In the slash form only types we know (or OIDs) start a new RDN; anything else is part of a value.
    return ATTRIBUTE_OIDS[type] !== undefined || /^[0-9]/.test(type) ? type : undefined;
  } catch {
    return undefined;
  }
}

function decodeHexEscapes(value: string): string {
  if (!value.includes('\\x')) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; ) {
    const hex = value.slice(i + 2, i + 4);
    if (value[i] === '\\' && (value[i + 1] === 'x' || value[i + 1] === 'X') && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 4;
    } else {
      const cp = value.codePointAt(i) as number;
      const ch = String.fromCodePoint(cp);
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function encodeHexEscapes(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte < 0x20 || byte > 0x7e ? `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return out;
}

function escapeRfc2253(value: string): string {
  let out = value.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`);
  out = out.replace(/[\u0000-\u001f]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  // A value of one space: that space is both the leading and the trailing one and is escaped once.
  const escapeLead = out.startsWith('#') || out.startsWith(' ');
  if (out.endsWith(' ') && !(escapeLead && out.length === 1)) out = `${out.slice(0, -1)}\\ `;
  if (escapeLead) out = `\\${out}`;
  return out;
}

/** `#hex` values in RFC 2253 are BER; we accept the string types Java prints this way (IA5String for e-mail). */
function decodeBerString(hex: string): string {
  if (hex.length % 2 !== 0 || hex.length < 4) throw new DnSyntaxError(`bad #hex value "#${hex}"`);
  const der = Buffer.from(hex, 'hex');
  const tag = der[0] as number;
  let length = der[1] as number;
  let offset = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count < 1 || count > 2) throw new DnSyntaxError(`bad #hex length in "#${hex}"`);
    length = 0;
    for (let k = 0; k < count; k += 1) length = (length << 8) | (der[offset + k] as number);
    offset += count;
  }
  if (offset + length !== der.length) throw new DnSyntaxError(`bad #hex length in "#${hex}"`);
  const body = der.subarray(offset);
  switch (tag) {
    case 0x0c: // UTF8String
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x1a: // VisibleString
    case 0x14: // T61String (treated as Latin-1 superset of ASCII, as OpenSSL does)
      return tag === 0x14 ? body.toString('latin1') : body.toString('utf8');
    case 0x1e: // BMPString
      return Buffer.from(body).swap16().toString('utf16le');
    default:
      throw new DnSyntaxError(`unsupported #hex value type 0x${tag.toString(16)}`);
  }
}
