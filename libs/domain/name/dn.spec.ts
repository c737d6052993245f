import { describe, expect, it } from 'vitest';
import { Dn } from './dn';

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
