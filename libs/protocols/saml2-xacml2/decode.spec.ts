import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeXacmlQuery } from './decode';
import type { DecodedQuery } from './decode';

// Expected values below are written from the text of saml2-xacml2.md (§4, §5, §11, §14), deliberately as
// literals rather than this lib's constants, so a wrong constant cannot make its own test pass.
const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const pemBody = (pem: string): string => pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
const derOf = (pem: string): Buffer => Buffer.from(pemBody(pem), 'base64');
const proxyPem = fixture('proxy-cert.pem');
const userPem = fixture('user-cert.pem');

/** §11 bodies elide certificates as "MIIB...proxy..."; put real ones in so the chain decodes. */
const withRealCertificates = (xml: string): string =>
  xml.replace('MIIB...proxy...', pemBody(proxyPem)).replace('MIIB...user...', pemBody(userPem));

function decoded(body: string): DecodedQuery {
  const result = decodeXacmlQuery(body);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.detail}`);
  return result.value;
}

/** A minimal SOAP query around `request`, with overridable query attributes. */
function query(request: string, attrs = 'ID="q1" Version="2.0" IssueInstant="2024-05-01T12:00:00Z"', ns = 'urn:oasis:names:tc:xacml:2.0:profile:saml2.0:v2:schema:protocol'): string {
  return (
    `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>` +
    `<q:XACMLAuthzDecisionQuery xmlns:q="${ns}" ${attrs}>` +
    `<c:Request xmlns:c="urn:oasis:names:tc:xacml:2.0:context:schema:os">${request}</c:Request>` +
    `</q:XACMLAuthzDecisionQuery></s:Body></s:Envelope>`
  );
}
const attribute = (id: string, values: string[], extra = ''): string =>
  `<c:Attribute AttributeId="${id}" DataType="http://www.w3.org/2001/XMLSchema#string"${extra}>${values.map((v) => `<c:AttributeValue>${v}</c:AttributeValue>`).join('')}</c:Attribute>`;

describe('decodeXacmlQuery: §11(a) authz-interop query (LCMAPS scas client, gSOAP prefixes)', () => {
  const q = decoded(withRealCertificates(fixture('spec-11a-query.xml')));

  it('reads the query header', () => {
    expect(q.family).toBe('v2');
    expect(q.id).toBe('ID-1804289383');
    expect(q.issueInstant).toBe('2024-05-01T12:00:00Z');
    expect(q.issuer).toEqual({ value: '/DC=org/DC=example/CN=host/wn042.example.org', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName' });
    expect(q.returnContext).toBe(true);
    expect(q.inputContextOnly).toBe(false);
    expect(q.dialect).toBe('authz-interop');
  });

  it('extracts the protocol-neutral request', () => {
    const r = q.request;
    expect(r.dialect).toBe('authz-interop');
    expect(r.requestId).toBe('ID-1804289383');
    expect(r.messageIssuer).toBe('/DC=org/DC=example/CN=host/wn042.example.org');
    expect(r.subject.assertedDn?.toSlash()).toBe('/DC=org/DC=example/OU=People/CN=Jane Doe 1234');
    expect(r.subject.assertedIssuerDn?.toSlash()).toBe('/DC=org/DC=example/CN=Example Grid CA');
    expect(r.subject.assertedVos).toEqual(['atlas']);
    expect(r.subject.assertedFqans?.map((f) => f.toShort())).toEqual(['/atlas/Role=production', '/atlas']);
    expect(r.subject.assertedPrimaryFqan?.toShort()).toBe('/atlas/Role=production');
    expect(r.subject.assertedFqanIssuer).toBe('/DC=org/DC=example/CN=voms.example.org');
    expect(r.subject.chain).toEqual([derOf(proxyPem), derOf(userPem)]);
    expect(r.resource).toBe('http://authz-interop.org/xacml/resource/resource-type/wn');
    expect(r.action).toBe('http://authz-interop.org/xacml/action/action-type/execute-now');
    expect(r.host).toBe('wn042.example.org');
    expect(r.hostDn?.toSlash()).toBe('/DC=org/DC=example/CN=host/wn042.example.org');
    expect(r.obligationsSupported).toEqual([
      'http://authz-interop.org/xacml/obligation/uidgid',
      'http://authz-interop.org/xacml/obligation/secondary-gids',
      'http://authz-interop.org/xacml/obligation/username',
    ]);
    expect(r.environment['urn:oasis:names:tc:xacml:1.0:environment:current-dateTime']).toEqual(['2024-05-01T12:00:00Z']);
    expect(r.pilotJob).toBeUndefined();
    expect(r.defects).toEqual([]);
  });

  it('keeps the context as received for the ReturnContext echo', () => {
    expect(q.context.subjects).toHaveLength(1);
    expect(q.context.subjects[0]?.category).toBe('urn:oasis:names:tc:xacml:1.0:subject-category:access-subject');
    expect(q.context.subjects[0]?.attributes.map((a) => a.id)).toContain('http://authz-interop.org/xacml/subject/voms-fqan');
    expect(q.context.environment.filter((a) => a.id === 'http://authz-interop.org/xacml/environment/pep-oblig-supported')).toHaveLength(3);
  });

  it('as printed (certificate bodies elided) flags the chain as a syntax error but decodes the rest', () => {
    const verbatim = decoded(fixture('spec-11a-query.xml')).request;
    expect(verbatim.subject.chain).toBeUndefined();
    expect(verbatim.subject.assertedDn?.toSlash()).toBe('/DC=org/DC=example/OU=People/CN=Jane Doe 1234');
    expect(verbatim.defects).toEqual([expect.objectContaining({ kind: 'syntax-error', attribute: 'http://authz-interop.org/xacml/subject/cert-chain' })]);
  });
});

describe('decodeXacmlQuery: §11(b) gLite grid-wn query (Argus PEPd)', () => {
  const q = decoded(withRealCertificates(fixture('spec-11b-query.xml')));

  it('detects the grid-wn profile and extracts the request', () => {
    expect(q.family).toBe('v2');
    expect(q.id).toBe('_a1b2c3d4e5f60718293a4b5c6d7e8f90');
    expect(q.issuer).toEqual({ value: 'http://argus.example.org/pepd', format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity' });
    expect(q.returnContext).toBe(true);
    expect(q.dialect).toBe('grid-wn');
    const r = q.request;
    expect(r.profileId).toBe('http://glite.org/xacml/profile/grid-wn/1.0');
    expect(r.subject.assertedDn?.toRfc2253()).toBe('CN=Jane Doe 1234,OU=People,DC=example,DC=org');
    expect(r.subject.assertedDn?.toSlash()).toBe('/DC=org/DC=example/OU=People/CN=Jane Doe 1234');
    expect(r.subject.assertedIssuerDn?.toRfc2253()).toBe('CN=Example Grid CA,DC=example,DC=org');
    expect(r.subject.assertedVos).toEqual(['atlas']);
    expect(r.subject.assertedFqans?.map((f) => f.toShort())).toEqual(['/atlas/Role=production', '/atlas']);
    expect(r.subject.assertedPrimaryFqan?.toShort()).toBe('/atlas/Role=production');
    expect(r.subject.assertedFqanIssuer).toBeUndefined();
    expect(r.subject.chain).toEqual([derOf(proxyPem), derOf(userPem)]);
    expect(r.resource).toBe('http://authz-interop.org/xacml/resource/resource-type/wn');
    expect(r.action).toBe('http://glite.org/xacml/action/execute');
    expect(r.host).toBeUndefined();
    expect(r.obligationsSupported).toEqual([]);
    expect(r.defects).toEqual([]);
  });
});

describe('decodeXacmlQuery: leniency (§4, §10 item 3, §14)', () => {
  const subjectDn = attribute('http://authz-interop.org/xacml/subject/subject-x509-id', ['/DC=org/DC=example/CN=Jane']);
  const minimal = `<c:Subject>${subjectDn}</c:Subject><c:Resource/><c:Action/><c:Environment/>`;

  it('accepts the 2005 OS protocol namespace (and its misspelt variant) and remembers the family', () => {
    expect(decoded(query(minimal, 'ID="q" Version="2.0"', 'urn:oasis:xacml:2.0:saml:protocol:schema:os')).family).toBe('os');
    expect(decoded(query(minimal, 'ID="q" Version="2.0"', 'urn:oasis:names:tc:xacml:2.0:saml:protocol:schema:os')).family).toBe('os');
  });

  it('accepts the OSG Java shape: default namespaces, empty Issuer, no IssueInstant, empty values (§14.1)', () => {
    const body =
      `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` +
      `<XACMLAuthzDecisionQuery xmlns="urn:oasis:names:tc:xacml:2.0:profile:saml2.0:v2:schema:protocol" ID="3f2a" Version="2.0" CombinePolicies="true">` +
      `<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion"/>` +
      `<Request xmlns="urn:oasis:names:tc:xacml:2.0:context:schema:os"><Subject>` +
      `<Attribute AttributeId="http://authz-interop.org/xacml/subject/subject-x509-id" DataType="http://www.w3.org/2001/XMLSchema#string"><AttributeValue>/DC=org/DC=example/CN=Jane</AttributeValue></Attribute>` +
      `</Subject><Resource>` +
      `<Attribute AttributeId="http://authz-interop.org/xacml/resource/resource-x509-issuer" DataType="http://www.w3.org/2001/XMLSchema#string"><AttributeValue></AttributeValue></Attribute>` +
      `</Resource><Action/><Environment>` +
      `<Attribute AttributeId="http://authz-interop.org/xacml/environment/pep-oblig-supported" DataType="http://www.w3.org/2001/XMLSchema#string"><AttributeValue>username</AttributeValue><AttributeValue>uidgid</AttributeValue></Attribute>` +
      `</Environment></Request></XACMLAuthzDecisionQuery></soapenv:Body></soapenv:Envelope>`;
    const q = decoded(body);
    expect(q.id).toBe('3f2a');
    expect(q.issuer).toBeUndefined();
    expect(q.issueInstant).toBeUndefined();
    expect(q.returnContext).toBe(false);
    expect(q.dialect).toBe('authz-interop');
    expect(q.request.subject.assertedDn?.toSlash()).toBe('/DC=org/DC=example/CN=Jane');
    // Bare obligation names are read as authz-interop obligation ids.
    expect(q.request.obligationsSupported).toEqual(['http://authz-interop.org/xacml/obligation/username', 'http://authz-interop.org/xacml/obligation/uidgid']);
  });

  it('merges values split across Attribute elements, trims them, defaults DataType and ignores unknown XML attributes', () => {
    const q = decoded(
      query(
        `<c:Subject Extra="x">${subjectDn}` +
          attribute('http://authz-interop.org/xacml/subject/voms-fqan', ['  /atlas/Role=production/Capability=NULL\n']) +
          `<c:Attribute AttributeId="http://authz-interop.org/xacml/subject/voms-fqan"><c:AttributeValue>/atlas/Role=NULL/Capability=NULL</c:AttributeValue></c:Attribute>` +
          `</c:Subject><c:Resource/><c:Action/><c:Environment/>`,
        'ID="1234-uuid-not-ncname" Version="2.0" Unknown="y"',
      ),
    );
    expect(q.id).toBe('1234-uuid-not-ncname');
    expect(q.request.subject.assertedFqans?.map((f) => f.toShort())).toEqual(['/atlas/Role=production', '/atlas']);
    const untyped = q.context.subjects[0]?.attributes.find((a) => a.values[0] === '/atlas/Role=NULL/Capability=NULL');
    expect(untyped?.dataType).toBe('http://www.w3.org/2001/XMLSchema#string');
  });

  it('reads pilot-job attributes, including the subject-x509_-id and pilot-job-classifer misspellings', () => {
    const q = decoded(
      query(
        `<c:Subject>${subjectDn}</c:Subject><c:Resource/>` +
          `<c:Action>${attribute('http://glite.org/xacml/attribute/pilot-job-classifer', ['payload'])}</c:Action>` +
          `<c:Environment>` +
          attribute('http://authz-interop.org/xacml/environment/pilot-job/subject-x509_-id', ['/DC=org/DC=example/CN=Pilot']) +
          attribute('http://authz-interop.org/xacml/environment/pilot-job/voms-fqan', ['/atlas/Role=pilot/Capability=NULL']) +
          attribute('http://authz-interop.org/xacml/environment/pilot-job/vo', ['atlas']) +
          `</c:Environment>`,
      ),
    );
    const pilot = q.request.pilotJob;
    expect(pilot?.dn?.toSlash()).toBe('/DC=org/DC=example/CN=Pilot');
    expect(pilot?.fqans?.map((f) => f.toShort())).toEqual(['/atlas/Role=pilot']);
    expect(pilot?.vo).toBe('atlas');
    expect(pilot?.classifier).toBe('payload');
    expect(q.request.environment['http://authz-interop.org/xacml/environment/pilot-job/vo']).toEqual(['atlas']);
  });

  it('hands on a chain that arrives top first as sent (ordering it is the credentials lib\'s, at validation)', () => {
    // CA -> user -> proxy, generated here (throwaway keys), sent as CA, user, proxy.
    const dir = mkdtempSync(join(tmpdir(), 'gridauthz-chain-'));
    try {
      const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
      const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
      openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/DC=org/DC=example/CN=CA', '-days', '1');
      openssl('req', '-new', ...ec, '-keyout', 'user.key', '-out', 'user.csr', '-subj', '/DC=org/DC=example/CN=Jane');
      openssl('x509', '-req', '-in', 'user.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-out', 'user.pem', '-days', '1');
      openssl('req', '-new', ...ec, '-keyout', 'proxy.key', '-out', 'proxy.csr', '-subj', '/DC=org/DC=example/CN=Jane/CN=1234');
      openssl('x509', '-req', '-in', 'proxy.csr', '-CA', 'user.pem', '-CAkey', 'user.key', '-out', 'proxy.pem', '-days', '1');
      const [ca, user, proxy] = ['ca.pem', 'user.pem', 'proxy.pem'].map((f) => readFileSync(join(dir, f), 'utf8'));
      if (ca === undefined || user === undefined || proxy === undefined) throw new Error('openssl produced no certificates');
      const q = decoded(query(`<c:Subject>${attribute('urn:oasis:names:tc:xacml:1.0:subject:key-info', [`${ca}${user}${proxy}`])}</c:Subject><c:Resource/><c:Action/><c:Environment/>`));
      expect(q.request.subject.chain).toEqual([derOf(ca), derOf(user), derOf(proxy)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flags a PEM block that is not a certificate', () => {
    const bogus = `-----BEGIN CERTIFICATE-----\n${Buffer.from('0\x03\x02\x01\x00').toString('base64')}\n-----END CERTIFICATE-----`;
    const q = decoded(query(`<c:Subject>${attribute('urn:oasis:names:tc:xacml:1.0:subject:key-info', [bogus])}</c:Subject><c:Resource/><c:Action/><c:Environment/>`));
    expect(q.request.subject.chain).toBeUndefined();
    expect(q.request.defects).toEqual([expect.objectContaining({ kind: 'syntax-error', attribute: 'urn:oasis:names:tc:xacml:1.0:subject:key-info' })]);
  });

  it('flags a chain longer than any real one', () => {
    const q = decoded(query(`<c:Subject>${attribute('urn:oasis:names:tc:xacml:1.0:subject:key-info', [userPem.repeat(33)])}</c:Subject><c:Resource/><c:Action/><c:Environment/>`));
    expect(q.request.defects).toEqual([expect.objectContaining({ kind: 'syntax-error', detail: 'more than 32 certificates' })]);
  });

  it('stays fast on thousands of repeated values', () => {
    const values = Array.from({ length: 2500 }, (_, i) => `/atlas/g${i % 50}`);
    const started = Date.now();
    const q = decoded(query(`<c:Subject>${attribute('http://authz-interop.org/xacml/subject/voms-fqan', values)}</c:Subject><c:Resource/><c:Action/><c:Environment>${attribute('urn:x:env', values)}</c:Environment>`));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(q.request.subject.assertedFqans).toHaveLength(50);
    expect(q.request.environment['urn:x:env']).toHaveLength(50);
  });

  it('accepts bare base64 DER in key-info', () => {
    const q = decoded(query(`<c:Subject>${attribute('urn:oasis:names:tc:xacml:1.0:subject:key-info', [pemBody(userPem)])}</c:Subject><c:Resource/><c:Action/><c:Environment/>`));
    expect(q.request.subject.chain).toEqual([derOf(userPem)]);
    expect(q.dialect).toBe('xacml');
  });

  it('detects EMI and rebuilds FQANs from group and role (role Issuer = its group)', () => {
    const q = decoded(
      query(
        `<c:Subject>` +
          attribute('urn:oasis:names:tc:xacml:1.0:subject:subject-id', ['CN=Jane,DC=example,DC=org']) +
          attribute('http://dci-sec.org/xacml/attribute/group', ['/atlas', '/atlas/prod']) +
          attribute('http://dci-sec.org/xacml/attribute/role', ['production'], ' Issuer="/atlas"') +
          attribute('http://dci-sec.org/xacml/attribute/group/primary', ['/atlas']) +
          attribute('http://dci-sec.org/xacml/attribute/role/primary', ['production'], ' Issuer="/atlas"') +
          `</c:Subject><c:Resource>` +
          attribute('http://dci-sec.org/xacml/attribute/resource-owner', ['CN=host/ce.example.org,DC=example,DC=org']) +
          `</c:Resource><c:Action/><c:Environment>` +
          attribute('http://dci-sec.org/xacml/attribute/profile-id', ['http://dci-sec.org/xacml/profile/common-ce/1.0']) +
          `</c:Environment>`,
      ),
    );
    expect(q.dialect).toBe('emi');
    expect(q.request.profileId).toBe('http://dci-sec.org/xacml/profile/common-ce/1.0');
    // The primary FQAN first (docs/dialects.md), then the groups in the order sent.
    expect(q.request.subject.assertedFqans?.map((f) => f.toShort())).toEqual(['/atlas/Role=production', '/atlas', '/atlas/prod']);
    expect(q.request.subject.assertedPrimaryFqan?.toShort()).toBe('/atlas/Role=production');
    expect(q.request.hostDn?.toSlash()).toBe('/DC=org/DC=example/CN=host/ce.example.org');
  });

  it('detects grid-ce, and a plain subject-id/resource-id/action-id query as generic XACML', () => {
    const gridCe = attribute('http://glite.org/xacml/attribute/profile-id', ['http://glite.org/xacml/profile/grid-ce/1.0']);
    expect(decoded(query(`<c:Subject/><c:Resource/><c:Action/><c:Environment>${gridCe}</c:Environment>`)).dialect).toBe('grid-ce');
    const plain = decoded(
      query(
        `<c:Subject>${attribute('urn:oasis:names:tc:xacml:1.0:subject:subject-id', ['CN=Jane,DC=example,DC=org'])}</c:Subject>` +
          `<c:Resource>${attribute('urn:oasis:names:tc:xacml:1.0:resource:resource-id', ['ANY'])}</c:Resource>` +
          `<c:Action>${attribute('urn:oasis:names:tc:xacml:1.0:action:action-id', ['ANY'])}</c:Action><c:Environment/>`,
      ),
    );
    expect(plain.dialect).toBe('xacml');
    expect(plain.request.resource).toBe('ANY');
  });

  it('decodes a query without a subject, flagged missing-attribute (§7.3)', () => {
    const q = decoded(query(`<c:Resource/><c:Action/><c:Environment>${attribute('http://authz-interop.org/xacml/environment/pep-oblig-supported', ['username'])}</c:Environment>`));
    expect(q.dialect).toBe('authz-interop');
    expect(q.request.defects).toEqual([expect.objectContaining({ kind: 'missing-attribute', attribute: 'subject' })]);
  });

  it('flags unparsable DNs and FQANs as syntax errors', () => {
    const q = decoded(
      query(
        `<c:Subject>${attribute('http://authz-interop.org/xacml/subject/subject-x509-id', ['not a dn'])}${attribute('http://authz-interop.org/xacml/subject/voms-fqan', ['atlas'])}</c:Subject><c:Resource/><c:Action/><c:Environment/>`,
      ),
    );
    expect(q.request.defects.map((d) => [d.kind, d.attribute])).toEqual([
      ['syntax-error', 'http://authz-interop.org/xacml/subject/subject-x509-id'],
      ['syntax-error', 'http://authz-interop.org/xacml/subject/voms-fqan'],
    ]);
  });
});

describe('decodeXacmlQuery: rejected messages are typed errors', () => {
  const minimal = `<c:Subject/><c:Resource/><c:Action/><c:Environment/>`;
  const code = (body: Buffer | string, limits = {}): string => {
    const result = decodeXacmlQuery(body, limits);
    return result.ok ? 'ok' : result.error.code;
  };

  it('refuses a DOCTYPE, before and regardless of parsing', () => {
    expect(code(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${query(minimal)}`)).toBe('PROTO_XML_DOCTYPE');
    expect(code(`<!doctype html>${query(minimal)}`)).toBe('PROTO_XML_DOCTYPE');
    // UTF-16 cannot smuggle it past the scan.
    expect(code(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`<!DOCTYPE x>${query(minimal)}`, 'utf16le')]))).toBe('PROTO_XML_DOCTYPE');
  });

  it('refuses billion laughs without expanding anything', () => {
    const laughs =
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
      Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') +
      `]><lolz>&lol9;</lolz>`;
    const started = Date.now();
    expect(code(laughs)).toBe('PROTO_XML_DOCTYPE');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses an oversized body before parsing, at the default and at a configured limit', () => {
    const padded = query(`${minimal}<!--${'x'.repeat(256 * 1024)}-->`);
    expect(code(padded)).toBe('PROTO_BODY_TOO_LARGE');
    expect(code(query(minimal), { maxBytes: 100 })).toBe('PROTO_BODY_TOO_LARGE');
    expect(code(query(minimal), { maxBytes: 10_000 })).toBe('ok');
  });

  it('refuses nesting beyond the depth limit, without exhausting the stack', () => {
    const nest = (n: number): string => `${'<c:Subject>'.repeat(n)}${'</c:Subject>'.repeat(n)}`;
    expect(code(query(`${nest(100)}<c:Resource/><c:Action/><c:Environment/>`))).toBe('PROTO_XML_TOO_DEEP');
    expect(code(query(`${nest(3)}${minimal}`), { maxDepth: 6 })).toBe('PROTO_XML_TOO_DEEP');
    expect(code(query(`${nest(50_000)}`), { maxBytes: 2_000_000, maxElements: 100_000 })).toBe('PROTO_XML_TOO_DEEP');
  });

  it('refuses non-XML and ill-formed XML', () => {
    expect(code('hello')).toBe('PROTO_XML_MALFORMED');
    expect(code('{"subject":"x"}')).toBe('PROTO_XML_MALFORMED');
    expect(code('')).toBe('PROTO_XML_MALFORMED');
    expect(code(Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x61, 0x3e]))).toBe('PROTO_XML_MALFORMED');
    expect(code(query(minimal).slice(0, -20))).toBe('PROTO_XML_MALFORMED');
    expect(code('<a><b></a>')).toBe('PROTO_XML_MALFORMED');
    expect(code('<x:a/>')).toBe('PROTO_XML_MALFORMED');
  });

  it('refuses a document that is not a SOAP 1.1 envelope, and a Body that is not a query', () => {
    expect(code('<a/>')).toBe('PROTO_SOAP_INVALID');
    expect(code('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>')).toBe('PROTO_SOAP_INVALID');
    expect(code('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>')).toBe('PROTO_NOT_A_QUERY');
    expect(code('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><p:AuthzDecisionQuery xmlns:p="urn:oasis:names:tc:SAML:2.0:protocol"/></s:Body></s:Envelope>')).toBe('PROTO_NOT_A_QUERY');
    expect(code(query('', 'ID="q" Version="2.0"').replace(/<c:Request[^>]*><\/c:Request>/, ''))).toBe('PROTO_QUERY_INVALID');
  });

  it('treats attacker-chosen names as data, not as object keys', () => {
    expect(code(query(minimal).replace(/urn:oasis:names:tc:xacml:2.0:profile:saml2.0:v2:schema:protocol/, 'constructor'))).toBe('PROTO_NOT_A_QUERY');
    const result = decodeXacmlQuery(query(`<c:Subject/><c:Resource/><c:Action/><c:Environment><c:Attribute AttributeId="__proto__"><c:AttributeValue>x</c:AttributeValue></c:Attribute></c:Environment>`));
    if (!result.ok) throw new Error(result.error.code);
    expect(Object.keys(result.value.request.environment)).toEqual(['__proto__']);
    expect(result.value.request.environment['__proto__']).toEqual(['x']);
  });

  it('accepts a SOAP Header, whitespace and comments around the payload; refuses two Bodies', () => {
    const withHeader = query(minimal).replace('<s:Body>', '<s:Header><h:x xmlns:h="urn:x" s:mustUnderstand="1"/></s:Header>\n  <!-- c --><s:Body>\n');
    expect(code(withHeader)).toBe('ok');
    expect(code(`\uFEFF  \n${query(minimal)}`)).toBe('ok');
    expect(code(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(query(minimal))]))).toBe('ok');
    expect(code(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(query(minimal), 'utf16le')]))).toBe('ok');
    expect(code(query(minimal).replace('</s:Body>', '</s:Body><s:Body/>'))).toBe('PROTO_SOAP_INVALID');
  });

  it('refuses another SAML version, keeping the query ID for the VersionMismatch answer', () => {
    const result = decodeXacmlQuery(query(minimal, 'ID="ID-42" Version="1.1"'));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code: 'PROTO_VERSION_MISMATCH', queryId: 'ID-42' });
  });
});

describe('decodeCertificates', () => {
  it('answers a repeated chain the same way, in the same order, unaffected by what a caller does with its copy', async () => {
    const { decodeCertificates } = await import('./decode');
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const pem = readFileSync(join(__dirname, '..', '..', '..', 'test', '.fixtures', 'pki', 'proxies', 'alice-voms-proxy2.pem'), 'utf8');
    const certificatesOnly = pem.replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----\n?/g, '');
    const first = decodeCertificates([certificatesOnly]);
    if (typeof first === 'string') throw new Error(first);
    expect(first).toHaveLength(3);
    const second = decodeCertificates([certificatesOnly]);
    expect(second).toEqual(first);
    first.pop();
    expect(decodeCertificates([certificatesOnly])).toHaveLength(3);
    const notACertificate = 'TUlJQg==';
    expect(typeof decodeCertificates([notACertificate])).toBe('string');
    expect(decodeCertificates([notACertificate])).toBe(decodeCertificates([notACertificate]));
  });
});
