import { describe, expect, it } from 'vitest';
import { saml1Differences } from './saml1-compare';

const P = 'urn:oasis:names:tc:SAML:1.0:protocol';

describe('saml1Differences', () => {
  it('ignores prefixes, where namespaces are declared, IDs and instants', () => {
    const a = `<Response xmlns="${P}" ResponseID="a1" IssueInstant="t1"><Status xmlns="${P}"><StatusCode xmlns="${P}" Value="samlp:Success" xmlns:samlp="${P}"/></Status></Response>`;
    const b = `<x:Response xmlns:x="${P}" ResponseID="b2" IssueInstant="t2"><x:Status><x:StatusCode Value="x:Success"/></x:Status></x:Response>`;
    expect(saml1Differences(a, b)).toEqual([]);
  });

  it('reports another namespace, attribute value, QName meaning, text or a missing element', () => {
    const base = `<p:Response xmlns:p="${P}" InResponseTo="r"><p:Status><p:StatusCode Value="p:Success"/></p:Status></p:Response>`;
    expect(saml1Differences(base, base.replace(`xmlns:p="${P}"`, 'xmlns:p="urn:other"'))).not.toEqual([]);
    expect(saml1Differences(base, base.replace('InResponseTo="r"', 'InResponseTo="s"'))).toEqual(['/samlp:Response/@InResponseTo: expected "r", got "s"']);
    expect(saml1Differences(base, base.replace('p:Success"/>', `q:Success" xmlns:q="urn:other"/>`))).not.toEqual([]);
    expect(saml1Differences(base, base.replace('<p:Status>', '<p:Status>x'))).not.toEqual([]);
    expect(saml1Differences(base, base.replace('<p:StatusCode Value="p:Success"/>', ''))).not.toEqual([]);
  });
});
