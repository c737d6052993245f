import { Dn, ErrorCodes, Fqan } from '@gridauthz/domain';
import type { AuthzResult } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import { encodeSoapFault } from '../soap/envelope';
import { decodePrimaResponse, encodePrimaRequest } from './client';
import type { PrimaResponseExpectation } from './client';
import { decodePrimaRequest } from './decode';
import { encodePrimaResponse } from './encode';
import { PRIMA_DEFAULT_ISSUER } from './profile';
import { validateSaml1 } from './test-support/schema';
import { GK01, JANE, SPEC9_RESPONSE, V1_REQUEST_ID, V2, V6_RESPONSE, v2With, v2WithPlainStatement } from './test-support/vectors';

let counter = 0;
const ids = (): string => `c${(++counter).toString(16).padStart(31, '0')}`;
const now = new Date('2026-11-23T12:00:00.000Z');
const V1_EXPECT: PrimaResponseExpectation = { requestId: V1_REQUEST_ID, resource: GK01, subjectName: JANE };

function answer(xml: string, expect?: PrimaResponseExpectation) {
  const result = decodePrimaResponse(xml, expect);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.detail}`);
  return result.value;
}

function errorCode(xml: string, expect?: PrimaResponseExpectation): string {
  const result = decodePrimaResponse(xml, expect);
  if (result.ok) throw new Error('expected an error');
  return result.error.code;
}

describe('encodePrimaRequest', () => {
  const sent = encodePrimaRequest({
    subjectDn: Dn.parse(JANE),
    resourceDn: '/C=NZ/O=Example Grid/CN=gk01.example.edu',
    fqans: [Fqan.parse('/cms/Role=production/Capability=NULL'), '/cms'],
    fqanIssuer: '/DC=ch/DC=cern/OU=computers/CN=voms.cern.ch',
    now,
    idGenerator: ids,
  });

  it('is a request our server decodes to the same question (%20 Resource, both RespondWiths, first FQAN primary)', () => {
    const decoded = decodePrimaRequest(sent.body);
    if (!decoded.ok || decoded.value.kind !== 'query') throw new Error('expected a query');
    const q = decoded.value;
    expect(q.requestId).toBe(sent.expect.requestId);
    expect(q.resource).toBe('/C=NZ/O=Example%20Grid/CN=gk01.example.edu');
    expect(q.resourceForPolicy).toBe('/C=NZ/O=Example Grid/CN=gk01.example.edu');
    expect(q.respondWith).toEqual({ decisionStatement: true, obligatedStatement: true });
    expect(q.actionSupported).toBe(true);
    expect(q.subject.nameIdentifier).toEqual({ name: JANE, format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName' });
    expect(q.subject.confirmationMethods).toEqual(['urn:oasis:names:tc:SAML:1.0:am:X509-PKI']);
    expect(q.fqanEvidence).toEqual({ fqan: '/cms/Role=production/Capability=NULL', issuer: '/DC=ch/DC=cern/OU=computers/CN=voms.cern.ch' });
    expect(q.request.subject.assertedFqans?.map(String)).toEqual(['/cms/Role=production/Capability=NULL', '/cms/Role=NULL/Capability=NULL']);
    expect(q.request.defects).toEqual([]);
  });

  it('is a schema-valid SAML 1.1 request, and tells the caller the SOAPAction and what to expect back', () => {
    const verdict = validateSaml1(sent.body, 'Request');
    expect(verdict.output).toContain('validates');
    expect(verdict.valid).toBe(true);
    expect(sent.soapAction).toBe('"http://www.gridforum.org/namespaces/2004/03/ogsa-authz/saml#SAMLRequest"');
    expect(sent.expect).toEqual({ requestId: sent.expect.requestId, resource: '/C=NZ/O=Example%20Grid/CN=gk01.example.edu', subjectName: JANE });
  });

  it('omits Evidence without FQANs', () => {
    const bare = encodePrimaRequest({ subjectDn: JANE, resourceDn: GK01, now, idGenerator: ids });
    expect(bare.body).not.toContain('Evidence');
    expect(validateSaml1(bare.body, 'Request').valid).toBe(true);
  });
});

describe('decodePrimaResponse: captured and constructed answers', () => {
  it('V2: Permit with the user name', () => {
    expect(answer(V2, V1_EXPECT)).toEqual({
      status: 'Success',
      decision: 'Permit',
      username: 'cmsprod',
      inResponseTo: V1_REQUEST_ID,
      recipient: GK01,
      resource: GK01,
      issuer: 'BasicMappingAuthZService',
    });
  });

  it('V3/V5: Deny and Indeterminate carry no user', () => {
    expect(answer(v2WithPlainStatement('Deny'), V1_EXPECT)).toMatchObject({ decision: 'Deny' });
    expect(answer(v2WithPlainStatement('Deny'), V1_EXPECT).username).toBeUndefined();
    expect(answer(v2WithPlainStatement('Indeterminate'), V1_EXPECT)).toMatchObject({ decision: 'Indeterminate' });
  });

  it('V6: RequestDenied with its message and no decision', () => {
    const a = answer(V6_RESPONSE, V1_EXPECT);
    expect(a.status).toBe('RequestDenied');
    expect(a.statusMessage).toContain('Please contact the system administrator');
    expect(a.decision).toBeUndefined();
  });

  it('V10: reads GroupIdObligation as the primary group', () => {
    const group =
      '<XACMLObligation FullfillOn="Permit" ObligationId="opensciencegrid:authorization:GroupIdObligation" xmlns="opensciencegrid:authorization:saml">' +
      '<AttributeAssignment AttributeId="opensciencegrid:authorization:attribute:GroupId" Datatype="http://www.w3.org/2001/XMLSchema#string" xmlns="opensciencegrid:authorization:saml">cms</AttributeAssignment></XACMLObligation>';
    expect(answer(v2With({ extraObligation: group }), V1_EXPECT)).toMatchObject({ username: 'cmsprod', groupName: 'cms' });
  });

  it('§9: the prefixed style with an XML declaration reads the same', () => {
    expect(answer(SPEC9_RESPONSE, { requestId: '_4f9c2d0e8b7a41c6a3e1d2c3b4a59687', resource: '/DC=org/DC=example/OU=Services/CN=ce01.example.org', subjectName: '/DC=org/DC=example/OU=People/CN=Alice Example 4242' })).toMatchObject({
      decision: 'Permit',
      username: 'cmsprod',
    });
  });

  it('reads our own server answer end to end', () => {
    const sent = encodePrimaRequest({ subjectDn: JANE, resourceDn: GK01, now, idGenerator: ids });
    const decoded = decodePrimaRequest(sent.body);
    if (!decoded.ok) throw new Error(decoded.error.detail);
    const result: AuthzResult = { decisionId: 'd', decision: 'Permit', status: 'ok', account: { username: 'jdoe', uid: 1, gid: 1, groupName: 'users', secondaryGids: [] }, obligations: [{ id: 'http://glite.org/xacml/obligation/local-environment-map', fulfillOn: 'Permit', assignments: [] }], reasons: [] };
    const body = encodePrimaResponse(decoded.value, result, { issuer: PRIMA_DEFAULT_ISSUER, now, idGenerator: ids, recipient: Dn.parse(GK01), emitGroupId: true });
    expect(answer(body, sent.expect)).toMatchObject({ decision: 'Permit', username: 'jdoe', groupName: 'users' });
  });
});

describe('decodePrimaResponse: the Java client checks (§7.1)', () => {
  it('refuses an answer to another request, about another Resource or another subject', () => {
    expect(errorCode(V2, { ...V1_EXPECT, requestId: 'other' })).toBe(ErrorCodes.PROTO_RESPONSE_MISMATCH);
    expect(errorCode(V2, { ...V1_EXPECT, resource: GK01.replace('gk01', 'gk02') })).toBe(ErrorCodes.PROTO_RESPONSE_MISMATCH);
    expect(errorCode(V2, { ...V1_EXPECT, subjectName: '/DC=org/CN=Mallory' })).toBe(ErrorCodes.PROTO_RESPONSE_MISMATCH);
    expect(errorCode(V2.replace('>access_as_local_identity<', '>Read<'), V1_EXPECT)).toBe(ErrorCodes.PROTO_RESPONSE_MISMATCH);
  });

  it('ignores an obligation with the wrong FullfillOn, AttributeId or Datatype (no mapping, as the Java client)', () => {
    expect(answer(V2.replace('FullfillOn="Permit"', 'FullfillOn="Deny"'), V1_EXPECT).username).toBeUndefined();
    expect(answer(V2.replace('Datatype="http://www.w3.org/2001/XMLSchema#string"', 'DataType="http://www.w3.org/2001/XMLSchema#string"'), V1_EXPECT).username).toBeUndefined();
    expect(answer(V2.replace('attribute:UserId', 'attribute:UID'), V1_EXPECT).username).toBeUndefined();
  });

  it('never reads a user name from a Deny', () => {
    const deny = V2.replace('Decision="Permit"', 'Decision="Deny"');
    expect(answer(deny, V1_EXPECT)).toMatchObject({ decision: 'Deny' });
    expect(answer(deny, V1_EXPECT).username).toBeUndefined();
  });
});

describe('decodePrimaResponse: typed errors', () => {
  it('reports a SOAP fault with its code and string (V11)', () => {
    const result = decodePrimaResponse(encodeSoapFault('Server', 'java.rmi.RemoteException: Service unable to respond to request!'));
    expect(result.ok ? undefined : result.error).toEqual({ code: ErrorCodes.PROTO_SOAP_FAULT, detail: 'soap11:Server: java.rmi.RemoteException: Service unable to respond to request!' });
  });

  it('refuses hostile or malformed answers', () => {
    expect(errorCode(`<!DOCTYPE x [<!ENTITY a "b">]>${V2}`)).toBe(ErrorCodes.PROTO_XML_DOCTYPE);
    expect(errorCode('<html>502 Bad Gateway</html>')).toBe(ErrorCodes.PROTO_SOAP_INVALID);
    expect(errorCode(V2.replace(/<samlp:Response[\s\S]*<\/samlp:Response>/, ''))).toBe(ErrorCodes.PROTO_RESPONSE_INVALID);
    expect(errorCode(V2.replace(/<Assertion [\s\S]*<\/Assertion>/, ''))).toBe(ErrorCodes.PROTO_RESPONSE_INVALID);
    expect(errorCode(V2.replace('Decision="Permit"', 'Decision="Maybe"'))).toBe(ErrorCodes.PROTO_RESPONSE_INVALID);
    expect(errorCode(V2.replace('SAMLRequestResponse', 'Other').replace('SAMLRequestResponse', 'Other'))).toBe(ErrorCodes.PROTO_RESPONSE_INVALID);
  });
});
