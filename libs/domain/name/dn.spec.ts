import { describe, expect, it } from 'vitest';
import { attributeTypeOid, Dn } from './dn';

describe('Dn (mapping.md §1.1)', () => {
  it('converts the slash form to RFC 2253 and back', () => {
    const dn = Dn.parse('/DC=org/DC=example/CN=Jane Doe');
    expect(dn.toRfc2253()).toBe('CN=Jane Doe,DC=example,DC=org');
    expect(Dn.parse('CN=Jane Doe,DC=example,DC=org').toSlash()).toBe('/DC=org/DC=example/CN=Jane Doe');
  });

  it('keeps "/" inside a value when no attribute type follows it (host DNs)', () => {
    const dn = Dn.parse('/DC=org/DC=example/CN=host/ce01.example.org');
    expect(dn.rdns).toHaveLength(3);
    expect(dn.last('CN')).toBe('host/ce01.example.org');
    expect(dn.toRfc2253()).toBe('CN=host/ce01.example.org,DC=example,DC=org');
  });

  it('treats Email, E and emailAddress as one attribute', () => {
    const a = Dn.parse('/O=Grid/CN=Jane/Email=jane@example.org');
    const b = Dn.parse('/O=Grid/CN=Jane/E=jane@example.org');
    const c = Dn.parse('emailAddress=jane@example.org,CN=Jane,O=Grid');
    expect(a.toSlash()).toBe('/O=Grid/CN=Jane/emailAddress=jane@example.org');
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(true);
  });

  it('reads the #hex form Java prints for e-mail addresses', () => {
    const dn = Dn.parse('1.2.840.113549.1.9.1=#16106a616e65406578616d706c652e6f7267,CN=Jane,O=Grid');
    expect(dn.toSlash()).toBe('/O=Grid/CN=Jane/emailAddress=jane@example.org');
  });

  it('escapes and unescapes commas, plus signs and slashes', () => {
    const dn = Dn.parse('CN=Doe\\, Jane,O=A\\+B,DC=org');
    expect(dn.last('CN')).toBe('Doe, Jane');
    expect(dn.toSlash()).toBe('/DC=org/O=A+B/CN=Doe, Jane');
    expect(Dn.parse(dn.toSlash()).toRfc2253()).toBe('CN=Doe\\, Jane,O=A\\+B,DC=org');
  });

  it('renders non-ASCII as uppercase \\xHH in the slash form, as OpenSSL does', () => {
    const dn = Dn.parse('CN=qweółą,DC=org');
    expect(dn.toSlash()).toBe('/DC=org/CN=qwe\\xC3\\xB3\\xC5\\x82\\xC4\\x85');
    expect(Dn.parse('/DC=org/CN=qwe\\xC3\\xB3\\xC5\\x82\\xC4\\x85').last('CN')).toBe('qweółą');
  });

  it('compares canonically (case and whitespace) but exactlyEquals is byte-exact like LCMAPS', () => {
    const a = Dn.parse('/DC=org/CN=Jane  Doe');
    const b = Dn.parse('cn=jane doe, dc=ORG');
    expect(a.equals(b)).toBe(true);
    expect(a.exactlyEquals(b)).toBe(false);
  });

  it('parses multi-valued RDNs in both forms', () => {
    const dn = Dn.parse('/DC=org/CN=Jane+UID=jane');
    expect(dn.rdns[1]).toHaveLength(2);
    expect(dn.toRfc2253()).toBe('CN=Jane+UID=jane,DC=org');
  });

  it('knows a proxy subject extends its issuer by one RDN', () => {
    const user = Dn.parse('/DC=org/CN=Jane');
    expect(Dn.parse('/DC=org/CN=Jane/CN=123456').isChildOf(user)).toBe(true);
    expect(Dn.parse('/DC=org/CN=Bob/CN=123456').isChildOf(user)).toBe(false);
  });

  it('rejects malformed input with DnSyntaxError', () => {
    for (const bad of ['', 'CN', '/=x', 'CN=a,', 'CN=a\\']) expect(() => Dn.parse(bad), bad).toThrow(/DN|attribute|=|backslash/);
  });
});

describe('Dn structural identity (docs/identities.md)', () => {
  const spliced = Dn.fromRdns([[{ type: 'DC', value: 'org' }], [{ type: 'DC', value: 'gridauthz-dev' }], [{ type: 'OU', value: 'People/CN=Alice Atlas' }]]);
  const alice = Dn.parse('/DC=org/DC=gridauthz-dev/OU=People/CN=Alice Atlas');

  it('gives a one-OU name with a spliced slash a key and a rendering of its own', () => {
    expect(spliced.toOpenSslSlash()).toBe(alice.toSlash());
    expect(spliced.toSlash()).toBe('/DC=org/DC=gridauthz-dev/OU=People\\x2FCN=Alice Atlas');
    expect(spliced.canonicalKey()).not.toBe(alice.canonicalKey());
    expect(spliced.equals(alice)).toBe(false);
    expect(spliced.exactlyEquals(alice)).toBe(false);
    expect(Dn.fromSlash(spliced.toSlash()).rdns).toEqual(spliced.rdns);
    expect(Dn.parse(spliced.toRfc2253()).equals(spliced)).toBe(true);
  });

  it('says why a name is slash-ambiguous, and leaves host DNs and plain "/" alone', () => {
    expect(spliced.slashAmbiguity()).toMatch(/OU value "People\/CN=Alice Atlas" contains "\/" followed by an attribute type/);
    expect(Dn.fromRdns([[{ type: 'CN', value: 'Jane+UID=x' }]]).slashAmbiguity()).toMatch(/"\+"/);
    expect(Dn.fromRdns([[{ type: 'CN', value: 'a\\x41' }]]).slashAmbiguity()).toMatch(/\\x/);
    expect(Dn.fromRdns([[{ type: 'CN', value: 'a/oid.2.5.4.3=b' }]]).slashAmbiguity()).toBeDefined();
    expect(Dn.fromRdns([[{ type: 'CN', value: '\ud800' }]]).slashAmbiguity()).toMatch(/Unicode/);
    expect(Dn.fromRdns([[{ type: 'x500UniqueIdentifier', value: 'a' }]]).slashAmbiguity()).toMatch(/type/);
    // Any keyword counts, not only known ones: OpenSSL prints /x500UniqueIdentifier=..., which we read as a value.
    const unknownType = Dn.parse('/DC=org/CN=x/unknownType=1');
    expect(unknownType.rdns).toHaveLength(2);
    expect(unknownType.slashAmbiguity()).toMatch(/"\/" followed by an attribute type/);
    expect(unknownType.toSlash()).toBe('/DC=org/CN=x/unknownType=1');
    for (const ok of ['/DC=org/DC=example/CN=host/ce01.example.org', '/DC=org/CN=a/b', '/DC=org/CN=a+b', '/DC=org/CN=C:\\dir', '/DC=org/CN=http://x/y?a=b', '/DC=org/CN=qwe\\xC3\\xB3']) {
      const dn = Dn.parse(ok);
      expect(dn.slashAmbiguity(), ok).toBeUndefined();
      expect(dn.toSlash(), ok).toBe(dn.toOpenSslSlash());
    }
    expect(Dn.parse('/DC=org/CN=qwe\\xC3\\xB3').toSlash()).toBe('/DC=org/CN=qwe\\xC3\\xB3');
  });

  it('escapes a literal "\\x41" in a value so it does not read back as "A"', () => {
    const dn = Dn.fromRdns([[{ type: 'CN', value: 'a\\x41' }]]);
    expect(dn.toSlash()).toBe('/CN=a\\x5Cx41');
    expect(Dn.fromSlash(dn.toSlash()).last('CN')).toBe('a\\x41');
    expect(dn.equals(Dn.parse('/CN=aA'))).toBe(false);
  });

  it('escapes separators in the key, backslash first', () => {
    expect(Dn.parse('CN=host/ce.example.org+UID=a\\+b,DC=org').canonicalKey()).toBe('0.9.2342.19200300.100.1.25=org/0.9.2342.19200300.100.1.1=a\\2bb+2.5.4.3=host\\2fce.example.org');
    expect(Dn.fromRdns([[{ type: 'CN', value: 'a\\2fb' }]]).canonicalKey()).toBe('2.5.4.3=a\\5c2fb');
    expect(Dn.fromRdns([[{ type: 'CN', value: 'a/b' }]]).canonicalKey()).toBe('2.5.4.3=a\\2fb');
  });

  // Property: over random names built from the characters that matter (separators, escapes, case, spaces),
  // two names have one key exactly when they are the same RDN sequence up to case and whitespace, and the slash
  // rendering always reads back as the same name (so it is injective too).
  it('key is injective and both renderings round-trip (random names)', () => {
    let seed = 0x2545f491;
    const rand = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    // Pieces that splice (a separator then a type and "=", in both key and slash spellings), escape, fold or not.
    const alphabet = ['/', '+', '\\', '=', 'x41', 'a', 'A', ' ', '  ', '/2.5.4.3=', '+2.5.4.11=', '/CN=', '+OU=', '\\2f', '\\5c', 'é', ',', ';', '"', '#', '<'];
    const types = ['CN', 'OU', '1.2.3.4'];
    const value = (): string => Array.from({ length: rand(4) }, () => alphabet[rand(alphabet.length)]).join('');
    const name = (): Dn =>
      Dn.fromRdns(Array.from({ length: 1 + rand(3) }, () => Array.from({ length: 1 + (rand(4) === 0 ? 1 : 0) }, () => ({ type: types[rand(types.length)] as string, value: value() }))));
    const fold = (dn: Dn): string =>
      JSON.stringify(dn.rdns.map((rdn) => rdn.map((a) => [attributeTypeOid(a.type) ?? a.type, a.value.trim().replace(/\s+/g, ' ').toLowerCase()]).sort()));
    const byKey = new Map<string, string>();
    const bySlash = new Map<string, string>();
    for (let n = 0; n < 6000; n += 1) {
      const dn = name();
      expect(Dn.fromSlash(dn.toSlash()).rdns, dn.toSlash()).toEqual(dn.rdns);
      expect(Dn.fromRfc2253(dn.toRfc2253()).rdns, dn.toRfc2253()).toEqual(dn.rdns);
      const folded = fold(dn);
      const seen = byKey.get(dn.canonicalKey());
      if (seen !== undefined) expect(seen, dn.canonicalKey()).toBe(folded);
      byKey.set(dn.canonicalKey(), folded);
      const exact = JSON.stringify(dn.rdns);
      const seenSlash = bySlash.get(dn.toSlash());
      if (seenSlash !== undefined) expect(seenSlash, dn.toSlash()).toBe(exact);
      bySlash.set(dn.toSlash(), exact);
    }
    expect(byKey.size).toBeGreaterThan(4000);
  });
});
