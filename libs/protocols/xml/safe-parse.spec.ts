import { describe, expect, it } from 'vitest';
import { parseUntrustedXml } from './safe-parse';

const detail = (body: string): string | undefined => {
  const r = parseUntrustedXml(body);
  return r.ok ? undefined : r.error.detail;
};

describe('parseUntrustedXml error messages', () => {
  it('says where ill-formed XML goes wrong, so a client developer can find it', () => {
    // The mismatch is reported at the element left open: <b> at line 2, column 3.
    expect(detail('<a>\n  <b></a>')).toBe('not well-formed XML: fatalError: Opening and ending tag mismatch: "b" != "a" (line 2, column 3)');
    expect(detail('<a>\n<b x=1/></a>')).toMatch(/^not well-formed XML: warning: attribute "1" missed quot.* \(line 2, column 1\)$/);
    expect(detail('<a></a><c/>')).toMatch(/only after doctype \(line 1, column 8\)$/);
  });

  it('parses well-formed XML into a namespace-aware document', () => {
    const r = parseUntrustedXml('<s:Envelope xmlns:s="urn:x"><s:Body/></s:Envelope>');
    expect(r.ok && [r.value.document.documentElement?.localName, r.value.document.documentElement?.namespaceURI]).toEqual(['Envelope', 'urn:x']);
  });
});
