import { Dn, Fqan } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import { ProtocolErrorCodes } from '../errors';
import { decodePrimaRequest, isPrimaRequest } from './decode';
import type { DecodedPrimaRequest, PrimaQuery } from './decode';
import { validateSaml1 } from './test-support/schema';
import {
  CERN_VOMS,
  GK01,
  JANE,
  NZ_RESOURCE,
  SPEC9_REQUEST,
  V1,
  V1_REQUEST_ID,
  V11_REQUEST,
  V4,
  V5,
  V6,
  V7,
  V8,
  V8_RAW,
  V9,
  fixture,
} from './test-support/vectors';

function decoded(body: string): DecodedPrimaRequest {
  const result = decodePrimaRequest(body);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.detail}`);
  return result.value;
}

function query(body: string): PrimaQuery {
  const value = decoded(body);
  if (value.kind !== 'query') throw new Error(`expected a query, got ${value.kind}: ${value.reason}`);
  return value;
}

function errorCode(body: string | Buffer, limits = {}): string {
  const result = decodePrimaRequest(body, limits);
  if (result.ok) throw new Error('expected an error');
  return result.error.code;
}

/** A minimal request around one AuthorizationDecisionQuery, with the given RespondWith and query content. */
function request(opts: { respondWith?: string; query?: string; requestAttrs?: string; resource?: string } = {}): string {
  const respondWith = opts.respondWith ?? '<p:RespondWith>s:AuthorizationDecisionStatement</p:RespondWith><p:RespondWith>o:ObligatedAuthorizationDecisionStatement</p:RespondWith>';
  const body =
    opts.query ??
    `<p:AuthorizationDecisionQuery Resource="${opts.resource ?? GK01}"><s:Subject><s:NameIdentifier>${JANE}</s:NameIdentifier></s:Subject>` +
      `<s:Action Namespace="opensciencegrid:authorization">access_as_local_identity</s:Action></p:AuthorizationDecisionQuery>`;
  return (
    `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><g:SAMLRequest xmlns:g="http://www.gridforum.org/namespaces/2004/03/ogsa-authz/saml"><samlRequest>` +
    `<p:Request xmlns:p="urn:oasis:names:tc:SAML:1.0:protocol" xmlns:s="urn:oasis:names:tc:SAML:1.0:assertion" xmlns:o="opensciencegrid:authorization:saml" ` +
    `${opts.requestAttrs ?? 'RequestID="r1" IssueInstant="2024-05-01T12:00:00.000Z" MajorVersion="1" MinorVersion="1"'}>${respondWith}${body}</p:Request>` +
    `</samlRequest></g:SAMLRequest></e:Body></e:Envelope>`
  );
}

describe('decodePrimaRequest: captured vectors (§10.2)', () => {
  it('V1: decodes the Java client request verbatim, misspelt Format and zero-length Evidence window included', () => {
    const q = query(V1);
    expect(q.requestId).toBe(V1_REQUEST_ID);
    expect(q.issueInstant).toBe('2026-11-23T11:38:46.587Z');
    expect(q.minorVersion).toBe('1');
    expect(q.respondWith).toEqual({ decisionStatement: true, obligatedStatement: true });
    expect(q.resource).toBe(GK01);
    expect(q.resourceForPolicy).toBe(GK01);
    expect(q.subject).toEqual({
      nameIdentifier: { name: JANE, format: 'urn:osasis:names:tc:SAML:1.1nameid-format:X509SubjectName' },
      confirmationMethods: ['urn:oasis:names:tc:SAML:1.0:am:X509-PKI'],
    });
    expect(q.actions).toEqual([{ namespace: 'opensciencegrid:authorization', value: 'access_as_local_identity' }]);
    expect(q.actionSupported).toBe(true);
    expect(q.fqanEvidence).toEqual({ fqan: '/cms/Role=production/Capability=NULL', issuer: CERN_VOMS });

    const r = q.request;
    expect(r.dialect).toBe('prima');
    expect(r.requestId).toBe(V1_REQUEST_ID);
    expect(r.subject.assertedDn?.equals(Dn.parse(JANE))).toBe(true);
    expect(r.subject.assertedPrimaryFqan?.equals(Fqan.parse('/cms/Role=production'))).toBe(true);
    expect(r.subject.assertedFqans?.map(String)).toEqual(['/cms/Role=production/Capability=NULL']);
    expect(r.subject.assertedFqanIssuer).toBe(CERN_VOMS);
    expect(r.resource).toBe(GK01);
    expect(r.hostDn?.toSlash()).toBe(GK01);
    expect(r.action).toBe('access_as_local_identity');
    expect(r.obligationsSupported).toEqual(['opensciencegrid:authorization:UserIdObligation', 'opensciencegrid:authorization:GroupIdObligation']);
    expect(r.defects).toEqual([]);
  });

  it('V1 is a schema-valid SAML 1.1 request (the fixture is what the Java client sent)', () => {
    const verdict = validateSaml1(V1, 'Request');
    expect(verdict.output).toContain('validates');
    expect(verdict.valid).toBe(true);
  });

  it('V4: no Evidence means no FQANs, and the query is otherwise the same', () => {
    const q = query(V4);
    expect(q.fqanEvidence).toBeUndefined();
    expect(q.request.subject.assertedFqans).toBeUndefined();
    expect(q.request.subject.assertedPrimaryFqan).toBeUndefined();
    expect(q.request.subject.assertedFqanIssuer).toBeUndefined();
    expect(q.request.subject.assertedDn?.toSlash()).toBe(JANE);
    expect(q.request.defects).toEqual([]);
  });

  it('V5: only the standard RespondWith still decides, but the PEP can take no obligation', () => {
    const q = query(V5);
    expect(q.respondWith).toEqual({ decisionStatement: true, obligatedStatement: false });
    expect(q.request.obligationsSupported).toEqual([]);
  });

  it('V6: no RespondWith at all is answered RequestDenied without a decision', () => {
    const d = decoded(V6);
    expect(d.kind).toBe('request-denied');
    expect(d.requestId).toBe(V1_REQUEST_ID);
    expect(d.respondWith).toEqual({ decisionStatement: false, obligatedStatement: false });
  });

  it('V7: an unsupported action is kept for the record and marks the request defective', () => {
    const q = query(V7);
    expect(q.actionSupported).toBe(false);
    expect(q.actions).toEqual([{ namespace: 'urn:oasis:names:tc:SAML:1.0:action:rwedc', value: 'Read' }]);
    expect(q.request.action).toBe('Read');
    expect(q.request.defects).toEqual([expect.objectContaining({ kind: 'missing-attribute', attribute: 'action' })]);
  });

  it('V8: %20 in the Resource is decoded for policy and kept as sent for the echo; raw spaces are accepted too', () => {
    const q = query(V8);
    expect(q.resource).toBe(NZ_RESOURCE);
    expect(q.resourceForPolicy).toBe('/C=NZ/O=Example Grid/OU=Example University/CN=gk01.example.edu');
    expect(q.request.resource).toBe(q.resourceForPolicy);
    expect(q.request.hostDn?.last('O')).toBe('Example Grid');
    const raw = query(V8_RAW);
    expect(raw.resource).toBe(q.resourceForPolicy);
    expect(raw.request.hostDn?.equals(q.request.hostDn ?? Dn.parse('/CN=x'))).toBe(true);
  });

  it('V9: with two FQAN assertions the first one (document order) is the primary FQAN, the bag has both', () => {
    const q = query(V9);
    expect(q.fqanEvidence).toEqual({ fqan: '/cms/Role=production/Capability=NULL', issuer: CERN_VOMS });
    expect(q.request.subject.assertedPrimaryFqan?.toLong()).toBe('/cms/Role=production/Capability=NULL');
    expect(q.request.subject.assertedFqans?.map(String)).toEqual(['/cms/Role=production/Capability=NULL', '/atlas/Role=NULL/Capability=NULL']);
  });

  it('V11: samlp:Request directly under SAMLRequest is accepted (GUMS faulted; §2 recommends leniency)', () => {
    expect(query(V11_REQUEST).requestId).toBe(V1_REQUEST_ID);
  });

  it('§9: the constructed request decodes to the same question with the correct Format', () => {
    const q = query(SPEC9_REQUEST);
    expect(q.requestId).toBe('_4f9c2d0e8b7a41c6a3e1d2c3b4a59687');
    expect(q.resource).toBe('/DC=org/DC=example/OU=Services/CN=ce01.example.org');
    expect(q.subject).toEqual({
      nameIdentifier: { name: '/DC=org/DC=example/OU=People/CN=Alice Example 4242', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName' },
      confirmationMethods: [],
    });
    expect(q.respondWith).toEqual({ decisionStatement: true, obligatedStatement: true });
    expect(q.fqanEvidence).toEqual({ fqan: '/cms/Role=production/Capability=NULL', issuer: '/DC=org/DC=example/OU=Services/CN=voms.example.org' });
    expect(q.request.defects).toEqual([]);
  });
});

describe('decodePrimaRequest: RespondWith (§4)', () => {
  it('resolves the QName through the declarations in scope, not by spelling', () => {
    const other = request({
      respondWith:
        '<p:RespondWith xmlns:x="urn:oasis:names:tc:SAML:1.0:assertion">x:AuthorizationDecisionStatement</p:RespondWith>' +
        '<p:RespondWith xmlns="opensciencegrid:authorization:saml">ObligatedAuthorizationDecisionStatement</p:RespondWith>',
    });
    expect(query(other).respondWith).toEqual({ decisionStatement: true, obligatedStatement: true });
  });

  it('does not count a familiar prefix bound to another namespace, or an undeclared one', () => {
    const wrong = request({
      respondWith:
        '<p:RespondWith xmlns:s="urn:example:not-saml">s:AuthorizationDecisionStatement</p:RespondWith>' +
        '<p:RespondWith>osg:ObligatedAuthorizationDecisionStatement</p:RespondWith>',
    });
    const d = decoded(wrong);
    expect(d.kind).toBe('request-denied');
    expect(d.respondWith).toEqual({ decisionStatement: false, obligatedStatement: false });
  });

  it('answers a parsable query of another kind with RequestDenied (§6 step 4)', () => {
    const attributeQuery = request({ query: `<p:AttributeQuery><s:Subject><s:NameIdentifier>${JANE}</s:NameIdentifier></s:Subject></p:AttributeQuery>` });
    expect(decoded(attributeQuery)).toMatchObject({ kind: 'request-denied', requestId: 'r1' });
  });
});

describe('decodePrimaRequest: leniency and defects', () => {
  it('accepts MinorVersion 0 and a samlRequest wrapper in the ogsa namespace (§2)', () => {
    const q = query(request({ requestAttrs: 'RequestID="r1" MajorVersion="1" MinorVersion="0"' }).replace(/<(\/?)samlRequest>/g, '<$1g:samlRequest>'));
    expect(q.minorVersion).toBe('0');
  });

  it('ignores Evidence about someone else (subject must match: name, qualifier and format)', () => {
    const evidence = (name: string, format = ''): string =>
      `<s:Evidence><s:Assertion AssertionID="a1" Issuer="${CERN_VOMS}" IssueInstant="2024-05-01T12:00:00.000Z" MajorVersion="1" MinorVersion="1"><s:AttributeStatement>` +
      `<s:Subject><s:NameIdentifier${format}>${name}</s:NameIdentifier></s:Subject>` +
      `<s:Attribute AttributeName="FQAN" AttributeNamespace="opensciencegrid:authorization"><s:AttributeValue>/atlas</s:AttributeValue></s:Attribute>` +
      `</s:AttributeStatement></s:Assertion></s:Evidence>`;
    const withEvidence = (e: string): string =>
      request({
        query:
          `<p:AuthorizationDecisionQuery Resource="${GK01}"><s:Subject><s:NameIdentifier>${JANE}</s:NameIdentifier></s:Subject>` +
          `<s:Action Namespace="opensciencegrid:authorization">access_as_local_identity</s:Action>${e}</p:AuthorizationDecisionQuery>`,
      });
    expect(query(withEvidence(evidence('/DC=org/CN=Mallory'))).fqanEvidence).toBeUndefined();
    expect(query(withEvidence(evidence(JANE, ' Format="urn:other"'))).fqanEvidence).toBeUndefined();
    expect(query(withEvidence(evidence(JANE))).fqanEvidence?.fqan).toBe('/atlas');
  });

  it('turns an unparsable subject, Resource or FQAN into defects, not errors', () => {
    const bad = request({
      query:
        `<p:AuthorizationDecisionQuery Resource="gk01.example.edu"><s:Subject><s:NameIdentifier>Jane</s:NameIdentifier></s:Subject>` +
        `<s:Action Namespace="opensciencegrid:authorization">access_as_local_identity</s:Action>` +
        `<s:Evidence><s:Assertion AssertionID="a1" Issuer="${CERN_VOMS}" IssueInstant="2024-05-01T12:00:00.000Z" MajorVersion="1" MinorVersion="1"><s:AttributeStatement>` +
        `<s:Subject><s:NameIdentifier>Jane</s:NameIdentifier></s:Subject><s:Attribute AttributeName="FQAN" AttributeNamespace="opensciencegrid:authorization">` +
        `<s:AttributeValue>cms</s:AttributeValue><s:AttributeValue>cms2</s:AttributeValue></s:Attribute></s:AttributeStatement></s:Assertion></s:Evidence>` +
        `</p:AuthorizationDecisionQuery>`,
    });
    const defects = query(bad).request.defects;
    expect(defects.map((d) => `${d.kind}:${d.attribute}`)).toEqual(['syntax-error:subject', 'syntax-error:FQAN', 'syntax-error:resource']);
  });

  it('reports a subject without NameIdentifier as missing', () => {
    const q = query(request({ query: `<p:AuthorizationDecisionQuery Resource="${GK01}"><s:Subject/><s:Action Namespace="opensciencegrid:authorization">access_as_local_identity</s:Action></p:AuthorizationDecisionQuery>` }));
    expect(q.request.defects).toEqual([expect.objectContaining({ kind: 'missing-attribute', attribute: 'subject' })]);
    expect(q.request.subject.assertedDn).toBeUndefined();
  });

  it('ignores a ds:Signature among the Request children (never required, never checked)', () => {
    const signed = request().replace('<p:AuthorizationDecisionQuery', '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/><p:AuthorizationDecisionQuery');
    expect(query(signed).requestId).toBe('r1');
  });

  it('bounds what a hostile repetition of FQANs costs: one defect, a deduplicated bag', () => {
    const values = [...Array.from({ length: 2000 }, () => '<s:AttributeValue>/atlas</s:AttributeValue><s:AttributeValue>bad</s:AttributeValue>')].join('');
    const q = query(
      request({
        query:
          `<p:AuthorizationDecisionQuery Resource="${GK01}"><s:Subject><s:NameIdentifier>${JANE}</s:NameIdentifier></s:Subject>` +
          `<s:Action Namespace="opensciencegrid:authorization">access_as_local_identity</s:Action>` +
          `<s:Evidence><s:Assertion AssertionID="a1" Issuer="${CERN_VOMS}" IssueInstant="2024-05-01T12:00:00.000Z" MajorVersion="1" MinorVersion="1"><s:AttributeStatement>` +
          `<s:Subject><s:NameIdentifier>${JANE}</s:NameIdentifier></s:Subject><s:Attribute AttributeName="FQAN" AttributeNamespace="opensciencegrid:authorization">${values}</s:Attribute>` +
          `</s:AttributeStatement></s:Assertion></s:Evidence></p:AuthorizationDecisionQuery>`,
      }),
    );
    expect(q.request.subject.assertedFqans?.map(String)).toEqual(['/atlas/Role=NULL/Capability=NULL']);
    expect(q.request.defects).toHaveLength(1);
  });

  it('keeps the action of another namespace unsupported even with the right name', () => {
    const q = query(request({ query: `<p:AuthorizationDecisionQuery Resource="${GK01}"><s:Subject><s:NameIdentifier>${JANE}</s:NameIdentifier></s:Subject><s:Action>access_as_local_identity</s:Action></p:AuthorizationDecisionQuery>` }));
    expect(q.actionSupported).toBe(false);
  });
});

describe('decodePrimaRequest: typed errors', () => {
  it('refuses a DOCTYPE (entity expansion) before parsing', () => {
    const hostile = `<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x "${'a'.repeat(10)}">]>` + V1;
    expect(errorCode(hostile)).toBe(ProtocolErrorCodes.PROTO_XML_DOCTYPE);
  });

  it('refuses an oversized body and too deep nesting', () => {
    expect(errorCode(V1, { maxBytes: 1024 })).toBe(ProtocolErrorCodes.PROTO_BODY_TOO_LARGE);
    expect(errorCode(Buffer.from(V1 + ' '.repeat(300 * 1024)))).toBe(ProtocolErrorCodes.PROTO_BODY_TOO_LARGE);
    expect(errorCode(V1, { maxDepth: 8 })).toBe(ProtocolErrorCodes.PROTO_XML_TOO_DEEP);
  });

  it('refuses what is not SOAP, not XML, or not a SAMLRequest', () => {
    expect(errorCode('{"subject":"x"}')).toBe(ProtocolErrorCodes.PROTO_XML_MALFORMED);
    expect(errorCode('<samlp:Request xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol"/>')).toBe(ProtocolErrorCodes.PROTO_SOAP_INVALID);
    expect(errorCode(V1.replace('</soapenv:Body>', ''))).toBe(ProtocolErrorCodes.PROTO_XML_MALFORMED);
    expect(errorCode(fixture('../../saml2-xacml2/fixtures/spec-11a-query.xml'))).toBe(ProtocolErrorCodes.PROTO_NOT_A_QUERY);
    expect(errorCode(request().replace(/<p:Request[\s\S]*<\/p:Request>/, ''))).toBe(ProtocolErrorCodes.PROTO_NOT_A_QUERY);
  });

  it('refuses a request it cannot read as SAML 1.1 (answered with a fault, §5.4)', () => {
    expect(errorCode(request({ requestAttrs: 'MajorVersion="1" MinorVersion="1"' }))).toBe(ProtocolErrorCodes.PROTO_QUERY_INVALID);
    expect(errorCode(request({ requestAttrs: 'RequestID="r1" MajorVersion="2" MinorVersion="0"' }))).toBe(ProtocolErrorCodes.PROTO_VERSION_MISMATCH);
    expect(errorCode(request({ requestAttrs: 'RequestID="r1" MajorVersion="1"' }))).toBe(ProtocolErrorCodes.PROTO_VERSION_MISMATCH);
    expect(errorCode(request({ query: '<p:Bogus/>' }))).toBe(ProtocolErrorCodes.PROTO_QUERY_INVALID);
    expect(errorCode(request({ query: '' }))).toBe(ProtocolErrorCodes.PROTO_QUERY_INVALID);
    const adq = `<p:AuthorizationDecisionQuery Resource="${GK01}"><s:Subject><s:NameIdentifier>${JANE}</s:NameIdentifier></s:Subject></p:AuthorizationDecisionQuery>`;
    expect(errorCode(request({ query: adq + adq }))).toBe(ProtocolErrorCodes.PROTO_QUERY_AMBIGUOUS);
    expect(errorCode(request({ query: adq.replace(` Resource="${GK01}"`, '') }))).toBe(ProtocolErrorCodes.PROTO_QUERY_INVALID);
    expect(errorCode(request({ query: `<p:AuthorizationDecisionQuery Resource="${GK01}"/>` }))).toBe(ProtocolErrorCodes.PROTO_QUERY_INVALID);
  });

  it('carries the RequestID on errors found after it was read', () => {
    const result = decodePrimaRequest(request({ query: '<p:Bogus/>' }));
    expect(result.ok ? undefined : result.error.queryId).toBe('r1');
  });
});

describe('isPrimaRequest', () => {
  it('recognises PRIMA requests by their Body, whatever the path', () => {
    expect(isPrimaRequest(V1)).toBe(true);
    expect(isPrimaRequest(Buffer.from(SPEC9_REQUEST))).toBe(true);
    expect(isPrimaRequest(V6)).toBe(true);
  });

  it('says no to SAML2-XACML2 queries and to hostile or non-XML bodies', () => {
    expect(isPrimaRequest(fixture('../../saml2-xacml2/fixtures/spec-11a-query.xml'))).toBe(false);
    expect(isPrimaRequest(`<!DOCTYPE x [<!ENTITY a "b">]>${V1}`)).toBe(false);
    expect(isPrimaRequest(V1, { maxBytes: 100 })).toBe(false);
    expect(isPrimaRequest('hello')).toBe(false);
  });
});
