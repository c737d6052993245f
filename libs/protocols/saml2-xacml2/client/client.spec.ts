import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dn, ErrorCodes } from '@gridauthz/domain';
import type { AuthzResult } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import { encodeSoapFault } from '../../soap/envelope';
import { soapPayload, validatePayload } from '../../test-support/xmllint';
import { decodeXacmlQuery } from '../decode';
import type { DecodedQuery } from '../decode';
import { encodeProtocolError, encodeXacmlResponse } from '../encode';
import { XACML_SAML } from '../../profiles/xacml';
import { encodeXacmlQuery, XACML_CLIENT_DIALECTS } from './query';
import type { XacmlClientDialect, XacmlClientRequest } from './query';
import { decodeXacmlResponse } from './response';

const fixture = (name: string): string => readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8');
const proxyPem = fixture('proxy-cert.pem');
const userPem = fixture('user-cert.pem');
const derOf = (pem: string): Buffer => Buffer.from(new X509Certificate(pem).raw);
/** A voms-proxy-init style file: proxy, its key, then the user certificate. */
const proxyFile = `${proxyPem}-----BEGIN PRIVATE KEY-----\nTUlJQ2RnSUJBREFOQmdrcWhraUc5dzBCQVFFRkFBU0NBbUF3Z2dKY0FnRUFBb0dCQUxs\n-----END PRIVATE KEY-----\n${userPem}`;

const JANE = Dn.parse('/DC=org/DC=example/OU=People/CN=Jane Doe 1234');
const CA = Dn.parse('/DC=org/DC=example/CN=Example Grid CA');
const HOST = Dn.parse('/DC=org/DC=example/CN=host/wn042.example.org');
const now = new Date('2026-11-23T14:00:00.250Z');
let counter = 0;
const ids = (): string => `${(++counter).toString(16).padStart(32, '0')}`;

function request(dialect: XacmlClientDialect, extra: Partial<XacmlClientRequest> = {}): XacmlClientRequest {
  return {
    dialect,
    subjectChainPem: proxyFile,
    subjectDn: JANE,
    subjectIssuerDn: CA,
    hostName: 'wn042.example.org',
    hostDn: HOST,
    now,
    idGenerator: ids,
    ...extra,
  };
}

function decoded(body: string): DecodedQuery {
  const result = decodeXacmlQuery(body);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.detail}`);
  return result.value;
}

const attributeValues = (query: DecodedQuery, id: string): { dataType: string; values: readonly string[] }[] =>
  [...query.context.subjects.flatMap((s) => s.attributes), ...query.context.resources.flatMap((r) => r.attributes), ...query.context.action, ...query.context.environment]
    .filter((a) => a.id === id)
    .map((a) => ({ dataType: a.dataType, values: a.values }));

describe('encodeXacmlQuery: our server decodes what each dialect sends to the intended request', () => {
  it('authz-interop as the LCMAPS scas client: slash DNs, cert-chain, type URIs, one pep-oblig-supported per obligation', () => {
    const sent = encodeXacmlQuery(request('authz-interop', { issuer: HOST.toSlash(), pilotJob: { dn: '/DC=org/DC=example/CN=Pilot Pete' } }));
    const q = decoded(sent.body);
    expect(q.dialect).toBe('authz-interop');
    expect(q.family).toBe('v2');
    expect(q.id).toBe(sent.expect.queryId);
    expect(sent.expect.queryId).toMatch(/^ID-[0-9a-f]{32}$/);
    expect(q.returnContext).toBe(true);
    expect(q.issueInstant).toBe('2026-11-23T14:00:00Z');
    expect(q.issuer).toEqual({ value: HOST.toSlash(), format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName' });
    expect(q.request.defects).toEqual([]);
    expect(q.request.subject.assertedDn?.toSlash()).toBe(JANE.toSlash());
    expect(q.request.subject.assertedIssuerDn?.toSlash()).toBe(CA.toSlash());
    expect(q.request.subject.chain).toEqual([derOf(proxyPem), derOf(userPem)]);
    expect(q.request.resource).toBe('http://authz-interop.org/xacml/resource/resource-type/wn');
    expect(q.request.action).toBe('http://authz-interop.org/xacml/action/action-type/execute-now');
    expect(q.request.host).toBe('wn042.example.org');
    expect(q.request.hostDn?.toSlash()).toBe(HOST.toSlash());
    expect(q.request.pilotJob?.dn?.toSlash()).toBe('/DC=org/DC=example/CN=Pilot Pete');
    expect(q.request.obligationsSupported).toEqual([
      'http://authz-interop.org/xacml/obligation/uidgid',
      'http://authz-interop.org/xacml/obligation/secondary-gids',
      'http://authz-interop.org/xacml/obligation/username',
    ]);
    // The wire form of §11(a): slash DN as a string, PEM chain under base64Binary, split pep-oblig-supported.
    expect(attributeValues(q, 'http://authz-interop.org/xacml/subject/subject-x509-id')).toEqual([
      { dataType: 'http://www.w3.org/2001/XMLSchema#string', values: ['/DC=org/DC=example/OU=People/CN=Jane Doe 1234'] },
    ]);
    expect(attributeValues(q, 'http://authz-interop.org/xacml/subject/cert-chain')[0]?.dataType).toBe('http://www.w3.org/2001/XMLSchema#base64Binary');
    expect(attributeValues(q, 'http://authz-interop.org/xacml/environment/pep-oblig-supported')).toHaveLength(3);
    expect(attributeValues(q, 'urn:oasis:names:tc:xacml:1.0:environment:current-dateTime')).toEqual([
      { dataType: 'http://www.w3.org/2001/XMLSchema#dateTime', values: ['2026-11-23T14:00:00Z'] },
    ]);
    expect(sent.soapAction).toBe('"http://www.globus.org/security/XACMLAuthorization/XACMLAuthorizationPortType/AuthorizeRequest"');
    // gSOAP prefixes, all declared on the Envelope (§3).
    expect(sent.body).toMatch(/^<\?xml[^>]*>\n<SOAP-ENV:Envelope [^>]*xmlns:XACMLsamlp=/);
    expect(sent.body).toContain('<XACMLsamlp:XACMLAuthzDecisionQuery ID="');
  });

  it.each([
    ['grid-wn', 'http://glite.org/xacml/profile/grid-wn/1.0', 'http://authz-interop.org/xacml/resource/resource-type/wn', 'http://glite.org/xacml/action/execute'],
    // ARC's cream conversion names its service endpoint (A-REX on the PEP host) as the resource (docs/dialects.md).
    ['grid-ce', 'http://glite.org/xacml/profile/grid-ce/1.0', 'https://wn042.example.org:443/arex', 'http://glite.org/xacml/action/ce/job/submit'],
  ] as const)('%s as Argus PEPd: RFC 2253 x500Name subject-id, key-info PEM, profile-id', (dialect, profile, resource, action) => {
    const sent = encodeXacmlQuery(request(dialect, { issuer: 'http://argus.example.org/pepd', pilotJob: { classifier: 'pilot' } }));
    const q = decoded(sent.body);
    expect(q.dialect).toBe(dialect);
    expect(q.id).toBe(sent.expect.queryId);
    expect(sent.expect.queryId).toMatch(/^_[0-9a-f]{32}$/);
    expect(q.issuer).toEqual({ value: 'http://argus.example.org/pepd', format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity' });
    expect(q.request.defects).toEqual([]);
    expect(q.request.profileId).toBe(profile);
    expect(q.request.resource).toBe(resource);
    expect(q.request.action).toBe(action);
    expect(q.request.subject.chain).toEqual([derOf(proxyPem), derOf(userPem)]);
    expect(q.request.subject.assertedDn?.toSlash()).toBe(JANE.toSlash());
    expect(q.request.subject.assertedIssuerDn?.toSlash()).toBe(CA.toSlash());
    expect(q.request.pilotJob?.classifier).toBe('pilot');
    // PEPd neither sends host attributes nor pep-oblig-supported.
    expect(q.request.host).toBeUndefined();
    expect(q.request.hostDn).toBeUndefined();
    expect(q.request.obligationsSupported).toEqual([]);
    expect(attributeValues(q, 'urn:oasis:names:tc:xacml:1.0:subject:subject-id')).toEqual([
      { dataType: 'urn:oasis:names:tc:xacml:1.0:data-type:x500Name', values: ['CN=Jane Doe 1234,OU=People,DC=example,DC=org'] },
    ]);
    expect(attributeValues(q, 'urn:oasis:names:tc:xacml:1.0:subject:key-info')[0]?.dataType).toBe('http://www.w3.org/2001/XMLSchema#string');
    expect(attributeValues(q, 'http://glite.org/xacml/attribute/profile-id')[0]?.dataType).toBe('http://www.w3.org/2001/XMLSchema#anyURI');
    expect(sent.soapAction).toBe('http://www.oasis-open.org/committees/security');
    expect(sent.body).toContain('<xacml-samlp:XACMLAuthzDecisionQuery xmlns:xacml-samlp="urn:oasis:names:tc:xacml:2.0:profile:saml2.0:v2:schema:protocol"');
  });

  it('emi as ARC sends it: common-ce/1.0 profile, dci-sec subject-issuer, groups and roles with the primary ones apart, key-info as base64Binary, resource-owner', () => {
    const voms = { vos: ['atlas'], fqans: ['/atlas/Role=pilot', '/atlas', '/atlas/production/Role=prod'] };
    const sent = encodeXacmlQuery(request('emi', { resource: 'https://ce.example.org:8443/arex', action: 'http://www.eu-emi.eu/es/2010/12/creation', voms }));
    const q = decoded(sent.body);
    expect(q.dialect).toBe('emi');
    expect(q.request.defects).toEqual([]);
    expect(q.request.profileId).toBe('http://dci-sec.org/xacml/profile/common-ce/1.0');
    expect(q.request.resource).toBe('https://ce.example.org:8443/arex');
    expect(q.request.action).toBe('http://www.eu-emi.eu/es/2010/12/creation');
    expect(q.request.hostDn?.toSlash()).toBe(HOST.toSlash());
    expect(q.request.subject.assertedDn?.toSlash()).toBe(JANE.toSlash());
    expect(attributeValues(q, 'urn:oasis:names:tc:xacml:1.0:subject:key-info')[0]?.dataType).toBe('http://www.w3.org/2001/XMLSchema#base64Binary');
    expect(attributeValues(q, 'http://dci-sec.org/xacml/attribute/subject-issuer')[0]?.values).toEqual(['CN=Example Grid CA,DC=example,DC=org']);
    expect(attributeValues(q, 'http://dci-sec.org/xacml/attribute/group')[0]?.values).toEqual(['/atlas', '/atlas/production']);
    expect(attributeValues(q, 'http://dci-sec.org/xacml/attribute/group/primary')[0]?.values).toEqual(['/atlas']);
    expect(q.context.subjects[0]?.attributes.filter((a) => a.id === 'http://dci-sec.org/xacml/attribute/role').map((a) => [a.issuer, a.values])).toEqual([
      ['/atlas', ['pilot']],
      ['/atlas/production', ['prod']],
    ]);
    expect(q.context.subjects[0]?.attributes.find((a) => a.id === 'http://dci-sec.org/xacml/attribute/role/primary')).toMatchObject({ issuer: '/atlas', values: ['pilot'] });
    expect(q.request.subject.assertedPrimaryFqan?.toShort()).toBe('/atlas/Role=pilot');
    expect(q.request.subject.assertedFqans?.map((f) => f.toShort())).toEqual(['/atlas/Role=pilot', '/atlas', '/atlas/production', '/atlas/production/Role=prod']);
    // No issuer given: no saml2:Issuer (it is optional, §4.2).
    expect(q.issuer).toBeUndefined();
  });

  it("emi defaults: ARC's A-REX endpoint on this host and the EMI wildcard action", () => {
    const q = decoded(encodeXacmlQuery(request('emi')).body);
    expect(q.request.resource).toBe('https://wn042.example.org:443/arex');
    expect(q.request.action).toBe('http://dci-sec.org/xacml/action/ANY');
  });

  it.each(XACML_CLIENT_DIALECTS)('%s: the query element validates against the XACML-SAML v2 protocol schema', (dialect) => {
    const sent = encodeXacmlQuery(request(dialect, { issuer: 'issuer', pilotJob: { dn: HOST, classifier: 'c' } }));
    const verdict = validatePayload(sent.body);
    expect(verdict.output).toContain('validates');
    expect(verdict.valid).toBe(true);
  });

  it('never sends the private key of a proxy file, and escapes caller text', () => {
    for (const dialect of XACML_CLIENT_DIALECTS) {
      const sent = encodeXacmlQuery(request(dialect, { resource: 'urn:x?a=1&b=<2>"' }));
      expect(sent.body).not.toContain('PRIVATE KEY');
      expect(sent.body).not.toContain('TUlJQ2Rn');
      expect(decoded(sent.body).request.resource).toBe('urn:x?a=1&b=<2>"');
    }
  });

  it('takes the caller pep-oblig-supported list verbatim', () => {
    const q = decoded(encodeXacmlQuery(request('authz-interop', { obligationsSupported: ['http://authz-interop.org/xacml/obligation/username'] })).body);
    expect(q.request.obligationsSupported).toEqual(['http://authz-interop.org/xacml/obligation/username']);
  });

  it('refuses a chain without certificates', () => {
    expect(() => encodeXacmlQuery(request('grid-wn', { subjectChainPem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }))).toThrow(/no CERTIFICATE/);
  });
});

/** The Permit of a policy that asks for an account (its map obligation), with or without the account that fulfils it. */
const permit = (account: AuthzResult['account']): AuthzResult => ({ decisionId: 'd', decision: 'Permit', status: 'ok', account, obligations: [{ id: 'http://glite.org/xacml/obligation/local-environment-map', fulfillOn: 'Permit', assignments: [] }], reasons: [] });
const plain = (decision: AuthzResult['decision'], status: AuthzResult['status'] = 'ok', statusMessage?: string): AuthzResult => ({
  decisionId: 'd',
  decision,
  status,
  ...(statusMessage === undefined ? {} : { statusMessage }),
  obligations: [],
  reasons: [],
});
const account = { username: 'atlasprd042', uid: 40123, gid: 4001, groupName: 'atlasprd', secondaryGids: [4001, 4002], secondaryGroupNames: ['atlasprd', 'atlas'] };
const serverOpts = { issuer: 'https://authz.example.org', now, idGenerator: () => `_r${++counter}` };

/** A round trip through the real server codec: our query, decoded; the server's answer for `result`, decoded by the client. */
function exchange(dialect: XacmlClientDialect, result: AuthzResult) {
  const sent = encodeXacmlQuery(request(dialect));
  const answerXml = encodeXacmlResponse(decoded(sent.body), result, serverOpts);
  const answer = decodeXacmlResponse(answerXml, sent.expect);
  if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.detail}`);
  return answer.value;
}

describe('decodeXacmlResponse: answers of our own server in every dialect', () => {
  it('authz-interop Permit: numeric uid, gid, secondary gids and the username', () => {
    const a = exchange('authz-interop', permit(account));
    expect(a).toMatchObject({ decision: 'Permit', status: { code: 'urn:oasis:names:tc:xacml:1.0:status:ok' }, samlStatus: { code: 'urn:oasis:names:tc:SAML:2.0:status:Success' } });
    expect(a).toMatchObject({ username: 'atlasprd042', uid: 40123, gid: 4001, secondaryGids: [4001, 4002], groupNames: [] });
    expect(a.issuer).toBe('https://authz.example.org');
    expect(a.obligations.map((o) => o.id)).toEqual([
      'http://authz-interop.org/xacml/obligation/uidgid',
      'http://authz-interop.org/xacml/obligation/secondary-gids',
      'http://authz-interop.org/xacml/obligation/username',
    ]);
  });

  it.each(['grid-wn', 'grid-ce', 'emi'] as const)('%s Permit: account names from the posix obligation, no numbers', (dialect) => {
    const a = exchange(dialect, permit(account));
    expect(a.decision).toBe('Permit');
    expect(a).toMatchObject({ username: 'atlasprd042', groupName: 'atlasprd', groupNames: ['atlasprd', 'atlas'], secondaryGids: [] });
    expect(a.uid).toBeUndefined();
    expect(a.gid).toBeUndefined();
    expect(a.obligations).toHaveLength(1);
  });

  it('grid-wn Permit without a mapped account: the trigger obligation, raw, and no account', () => {
    const a = exchange('grid-wn', permit(undefined));
    expect(a.obligations).toEqual([{ id: 'http://glite.org/xacml/obligation/local-environment-map', fulfillOn: 'Permit', assignments: [] }]);
    expect(a.username).toBeUndefined();
  });

  it.each(XACML_CLIENT_DIALECTS)('%s Deny: no account, even from the GUMS-style empty username obligation', (dialect) => {
    const a = exchange(dialect, plain('Deny', 'ok', 'banned'));
    expect(a.decision).toBe('Deny');
    expect(a.username).toBeUndefined();
    expect(a.status).toEqual({ code: 'urn:oasis:names:tc:xacml:1.0:status:ok', message: 'banned' });
    if (dialect === 'authz-interop') expect(a.obligations.map((o) => o.fulfillOn)).toEqual(['Permit']);
  });

  it('NotApplicable: passed on in the gLite/EMI dialects, turned into Deny by the authz-interop server', () => {
    expect(exchange('grid-wn', plain('NotApplicable')).decision).toBe('NotApplicable');
    expect(exchange('grid-ce', plain('NotApplicable')).decision).toBe('NotApplicable');
    expect(exchange('emi', plain('NotApplicable')).decision).toBe('NotApplicable');
    expect(exchange('authz-interop', plain('NotApplicable')).decision).toBe('Deny');
  });

  it.each(XACML_CLIENT_DIALECTS)('%s Indeterminate: status code and message', (dialect) => {
    const a = exchange(dialect, plain('Indeterminate', 'processing-error', 'policy store unavailable'));
    expect(a.decision).toBe('Indeterminate');
    expect(a.status).toEqual({ code: 'urn:oasis:names:tc:xacml:1.0:status:processing-error', message: 'policy store unavailable' });
    expect(a.obligations).toEqual([]);
  });

  it('accepts a statement typed in the OS assertion namespace when the query used the OS family', () => {
    const sent = encodeXacmlQuery(request('grid-wn'));
    const os = decoded(sent.body.replace(XACML_SAML.v2.protocolNs, XACML_SAML.os.protocolNs));
    expect(os.family).toBe('os');
    const answer = decodeXacmlResponse(encodeXacmlResponse(os, permit(account), serverOpts), sent.expect);
    expect(answer.ok && answer.value.username).toBe('atlasprd042');
  });

  it('a VersionMismatch answer (no assertion) is Indeterminate with the SAML status', () => {
    const body = encodeProtocolError({ code: ErrorCodes.PROTO_VERSION_MISMATCH, detail: 'SAML Version 1.1 is not supported', queryId: 'q1' }, serverOpts);
    const answer = decodeXacmlResponse(body.body, { queryId: 'q1' });
    expect(answer).toMatchObject({
      ok: true,
      value: { decision: 'Indeterminate', status: { code: 'urn:oasis:names:tc:SAML:2.0:status:VersionMismatch', message: 'SAML Version 1.1 is not supported' } },
    });
  });
});

describe('decodeXacmlResponse: the §11 answers and broken ones', () => {
  it('§11(a): the SCAS-style Permit', () => {
    const answer = decodeXacmlResponse(fixture('spec-11a-response.xml'), { queryId: 'ID-1804289383' });
    expect(answer).toMatchObject({ ok: true, value: { decision: 'Permit', username: 'atlasprd042', uid: 40123, gid: 4001, secondaryGids: [4002, 4003] } });
  });

  it('§11(b): the Argus-style Permit with posix names', () => {
    const answer = decodeXacmlResponse(fixture('spec-11b-response.xml'), { queryId: '_a1b2c3d4e5f60718293a4b5c6d7e8f90' });
    expect(answer).toMatchObject({
      ok: true,
      value: { decision: 'Permit', resourceId: 'http://authz-interop.org/xacml/resource/resource-type/wn', username: 'atlasprd042', groupName: 'atlasprd', groupNames: ['atlasprd', 'atlas'] },
    });
  });

  it('§11 SOAP fault: PROTO_SOAP_FAULT with code and string', () => {
    expect(decodeXacmlResponse(fixture('spec-11-fault.xml'), { queryId: 'x' })).toEqual({
      ok: false,
      error: { code: ErrorCodes.PROTO_SOAP_FAULT, detail: 'soap11:Client: Body does not contain an XACMLAuthzDecisionQuery' },
    });
    expect(decodeXacmlResponse(encodeSoapFault('Server', 'down'), { queryId: 'x' })).toMatchObject({ ok: false, error: { code: ErrorCodes.PROTO_SOAP_FAULT } });
  });

  it('an answer to another query is PROTO_RESPONSE_MISMATCH', () => {
    expect(decodeXacmlResponse(fixture('spec-11a-response.xml'), { queryId: 'ID-1' })).toMatchObject({ ok: false, error: { code: ErrorCodes.PROTO_RESPONSE_MISMATCH } });
    const noReference = fixture('spec-11a-response.xml').replace(' InResponseTo="ID-1804289383"', '');
    expect(decodeXacmlResponse(noReference, { queryId: 'ID-1804289383' })).toMatchObject({ ok: false, error: { code: ErrorCodes.PROTO_RESPONSE_MISMATCH } });
  });

  const broken: readonly [string, (xml: string) => string, string][] = [
    ['a lower-case decision', (x) => x.replace('>Permit<', '>permit<'), ErrorCodes.PROTO_RESPONSE_INVALID],
    ['a statement without xsi:type', (x) => x.replace(' xsi:type="xacml-saml:XACMLAuthzDecisionStatementType"', ''), ErrorCodes.PROTO_RESPONSE_INVALID],
    ['a second assertion', (x) => x.replace(/(<saml2:Assertion[\s\S]*<\/saml2:Assertion>)/, '$1$1'), ErrorCodes.PROTO_RESPONSE_INVALID],
    ['no XACML StatusCode', (x) => x.replace(/<xacml-context:Status>[\s\S]*?<\/xacml-context:Status>/, ''), ErrorCodes.PROTO_RESPONSE_INVALID],
    ['a non-numeric uid', (x) => x.replace('>40123<', '>root<'), ErrorCodes.PROTO_RESPONSE_INVALID],
    ['a body that is not a Response', (x) => x.replace(/<saml2p:Response[\s\S]*<\/saml2p:Response>/, '<other/>'), ErrorCodes.PROTO_RESPONSE_INVALID],
    ['not XML at all', () => 'HTTP/1.1 502 Bad Gateway', ErrorCodes.PROTO_XML_MALFORMED],
    ['a DOCTYPE', (x) => x.replace('<soap11:Envelope', '<!DOCTYPE x [<!ENTITY a "b">]><soap11:Envelope'), ErrorCodes.PROTO_XML_DOCTYPE],
  ];
  it.each(broken)('rejects %s', (_name, mutate, code) => {
    const xml = mutate(fixture('spec-11a-response.xml'));
    expect(decodeXacmlResponse(xml, { queryId: 'ID-1804289383' })).toMatchObject({ ok: false, error: { code } });
  });

  it('the mutation helpers hit their targets (a broken case that no longer changes the fixture would pass vacuously)', () => {
    const original = fixture('spec-11a-response.xml');
    for (const [name, mutate] of broken) expect(mutate(original), name).not.toBe(original);
  });

  it('soapPayload of a gSOAP query keeps its Envelope-level namespace declarations', () => {
    // validatePayload above relies on this for the authz-interop form.
    expect(soapPayload(encodeXacmlQuery(request('authz-interop')).body)).toMatch(/^<XACMLsamlp:XACMLAuthzDecisionQuery [^>]*xmlns:XACMLsamlp=/);
  });
});
