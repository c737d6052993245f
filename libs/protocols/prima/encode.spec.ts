import { Dn } from '@gridauthz/domain';
import type { AuthzResult } from '@gridauthz/domain';
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { ProtocolErrorCodes } from '../errors';
import { decodePrimaRequest } from './decode';
import type { DecodedPrimaRequest, PrimaQuery } from './decode';
import { encodePrimaError, encodePrimaResponse } from './encode';
import type { PrimaEncodeOptions } from './encode';
import { PRIMA_DEFAULT_ISSUER } from './profile';
import { saml1Differences } from './test-support/saml1-compare';
import { validateSaml1 } from './test-support/schema';
import {
  GK01,
  NZ_CALLER,
  NZ_RESOURCE,
  SPEC9_REQUEST,
  SPEC9_RESPONSE,
  V1,
  V2,
  V4,
  V5,
  V6,
  V6_RESPONSE,
  V7,
  V8,
  V8_RAW,
  V9,
  v2With,
  v2WithPlainStatement,
} from './test-support/vectors';

function decoded(body: string): DecodedPrimaRequest {
  const result = decodePrimaRequest(body);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.detail}`);
  return result.value;
}

let counter = 0;
/** OpenSAML-style IDs (32 hex, first a–f) from a counter, so tests are deterministic. */
const opts = (recipient = GK01, extra: Partial<PrimaEncodeOptions> = {}): PrimaEncodeOptions => ({
  issuer: PRIMA_DEFAULT_ISSUER,
  now: new Date('2026-11-23T11:38:47.807Z'),
  idGenerator: () => `d${(++counter).toString(16).padStart(31, '0')}`,
  recipient: Dn.parse(recipient),
  ...extra,
});

const account = (username: string, groupName?: string): AuthzResult['account'] => ({
  username,
  uid: 40123,
  gid: 4001,
  ...(groupName === undefined ? {} : { groupName }),
  secondaryGids: [],
});
/** PRIMA's Permit: the policy's map obligation, fulfilled by the account (the core carries one only with the other). */
const MAP = { id: 'http://glite.org/xacml/obligation/local-environment-map', fulfillOn: 'Permit' as const, assignments: [] };
const permit = (username = 'cmsprod', groupName?: string): AuthzResult => ({ decisionId: 'd1', decision: 'Permit', status: 'ok', account: account(username, groupName), obligations: [MAP], reasons: ['rule'] });
const plain = (decision: AuthzResult['decision'], status: AuthzResult['status'] = 'ok'): AuthzResult => ({ decisionId: 'd2', decision, status, obligations: [], reasons: [] });

function element(xml: string, ns: string, localName: string): import('@xmldom/xmldom').Element | undefined {
  return new DOMParser().parseFromString(xml, 'text/xml').getElementsByTagNameNS(ns, localName)[0];
}
const SAMLP = 'urn:oasis:names:tc:SAML:1.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:1.0:assertion';

describe('encodePrimaResponse: our answers equal the captured ones apart from IDs and times (§10.2)', () => {
  it('V2: a mapped user is an obligated Permit with UserIdObligation (FullfillOn, Datatype spelt as GUMS did)', () => {
    const out = encodePrimaResponse(decoded(V1), permit('cmsprod'), opts());
    expect(saml1Differences(V2, out)).toEqual([]);
    expect(out).toContain('FullfillOn="Permit"');
    expect(out).toContain('Datatype="http://www.w3.org/2001/XMLSchema#string"');
  });

  it('the comparison is not blind: a wrong user, decision or spelling is reported', () => {
    expect(saml1Differences(V2, encodePrimaResponse(decoded(V1), permit('cmsusr'), opts()))).not.toEqual([]);
    expect(saml1Differences(V2, encodePrimaResponse(decoded(V1), plain('Deny'), opts()))).not.toEqual([]);
    expect(saml1Differences(V2, V2.replace('FullfillOn=', 'FulfillOn='))).not.toEqual([]);
    expect(saml1Differences(V2, encodePrimaResponse(decoded(V1), permit(), opts('/DC=org/DC=doegrids/OU=Services/CN=gk02.example.edu')))).not.toEqual([]);
  });

  it('V3: no mapping is a plain Deny statement with echoed Subject and Action, and is schema-valid', () => {
    const out = encodePrimaResponse(decoded(V1), plain('Deny'), opts());
    expect(saml1Differences(v2WithPlainStatement('Deny'), out)).toEqual([]);
    const verdict = validateSaml1(out, 'Response');
    expect(verdict.output).toContain('validates');
    expect(verdict.valid).toBe(true);
  });

  it('V3: NotApplicable is answered as GUMS answered "no mapping": Deny', () => {
    expect(saml1Differences(v2WithPlainStatement('Deny'), encodePrimaResponse(decoded(V1), plain('NotApplicable'), opts()))).toEqual([]);
  });

  it('V4: without FQAN the Permit carries the DN-only account', () => {
    expect(saml1Differences(v2With({ username: 'jdoe' }), encodePrimaResponse(decoded(V4), permit('jdoe'), opts()))).toEqual([]);
  });

  it('V5: a mapped user without the obligated RespondWith gets Indeterminate (schema-valid)', () => {
    const out = encodePrimaResponse(decoded(V5), permit(), opts());
    expect(saml1Differences(v2WithPlainStatement('Indeterminate'), out)).toEqual([]);
    expect(validateSaml1(out, 'Response').valid).toBe(true);
  });

  it('V5: a Deny stays Deny when the obligated RespondWith is missing', () => {
    expect(saml1Differences(v2WithPlainStatement('Deny'), encodePrimaResponse(decoded(V5), plain('Deny'), opts()))).toEqual([]);
  });

  it('V6: no RespondWith is RequestDenied with the message and no assertion (schema-valid)', () => {
    const d = decoded(V6);
    expect(d.kind).toBe('request-denied');
    const out = encodePrimaResponse(d, undefined, opts());
    expect(saml1Differences(V6_RESPONSE, out)).toEqual([]);
    expect(validateSaml1(out, 'Response').valid).toBe(true);
  });

  it('V6: a result passed for a request-denied is not consulted', () => {
    expect(saml1Differences(V6_RESPONSE, encodePrimaResponse(decoded(V6), permit(), opts()))).toEqual([]);
  });

  it('V7: an unsupported action is Indeterminate whatever the decision, the Action rewritten to access_as_local_identity', () => {
    const out = encodePrimaResponse(decoded(V7), permit(), opts());
    expect(saml1Differences(v2WithPlainStatement('Indeterminate'), out)).toEqual([]);
    expect(element(out, SAML, 'Action')?.textContent).toBe('access_as_local_identity');
  });

  it('V8: a %20 Resource is echoed as sent, and the caller DN with spaces becomes a %20 Recipient', () => {
    const out = encodePrimaResponse(decoded(V8), permit(), opts(NZ_CALLER));
    expect(saml1Differences(v2With({ resource: NZ_RESOURCE, recipient: '/C=NZ/O=Example%20Grid/OU=Example%20University/CN=ng2.example.ac.nz' }), out)).toEqual([]);
  });

  it('V8: a raw-space Resource is echoed raw (the Java client rejects a Permit whose Resource differs, §13)', () => {
    const raw = NZ_RESOURCE.replace(/%20/g, ' ');
    const out = encodePrimaResponse(decoded(V8_RAW), permit(), opts());
    expect(saml1Differences(v2With({ resource: raw }), out)).toEqual([]);
  });

  it('V9: the answer to two FQAN assertions has V2 shape (which FQAN maps is the decode test)', () => {
    expect(saml1Differences(V2, encodePrimaResponse(decoded(V9), permit(), opts()))).toEqual([]);
  });

  it('V10: GroupIdObligation follows UserId when enabled and the account has a group; off by default', () => {
    const group =
      '<XACMLObligation FullfillOn="Permit" ObligationId="opensciencegrid:authorization:GroupIdObligation" xmlns="opensciencegrid:authorization:saml">' +
      '<AttributeAssignment AttributeId="opensciencegrid:authorization:attribute:GroupId" Datatype="http://www.w3.org/2001/XMLSchema#string" xmlns="opensciencegrid:authorization:saml">cms</AttributeAssignment></XACMLObligation>';
    expect(saml1Differences(v2With({ extraObligation: group }), encodePrimaResponse(decoded(V1), permit('cmsprod', 'cms'), opts(GK01, { emitGroupId: true })))).toEqual([]);
    expect(saml1Differences(V2, encodePrimaResponse(decoded(V1), permit('cmsprod', 'cms'), opts()))).toEqual([]);
  });

  it('V11: a request that cannot be read is an HTTP 500 SOAP fault', () => {
    const result = decodePrimaRequest(V1.replace('<AuthorizationDecisionQuery ', '<BogusQuery ').replace('</AuthorizationDecisionQuery>', '</BogusQuery>'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(ProtocolErrorCodes.PROTO_QUERY_INVALID);
    const fault = encodePrimaError(result.error);
    expect(fault.httpStatus).toBe(500);
    const faultElement = element(fault.body, 'http://schemas.xmlsoap.org/soap/envelope/', 'Fault');
    expect(faultElement?.getElementsByTagName('faultcode')[0]?.textContent).toBe('soap11:Client');
    expect(faultElement?.getElementsByTagName('faultstring')[0]?.textContent).toContain('not a SAML 1.1 query');
  });

  it('§9: the constructed exchange — our answer to its request equals its response', () => {
    const out = encodePrimaResponse(decoded(SPEC9_REQUEST), permit(), opts('/DC=org/DC=example/OU=Services/CN=ce01.example.org'));
    expect(saml1Differences(SPEC9_RESPONSE, out)).toEqual([]);
  });
});

describe('encodePrimaResponse: fail closed', () => {
  const q = decoded(V1) as PrimaQuery;

  it('answers Indeterminate for an Indeterminate, a Permit without account, and no decision at all', () => {
    const expected = v2WithPlainStatement('Indeterminate');
    expect(saml1Differences(expected, encodePrimaResponse(q, plain('Indeterminate', 'processing-error'), opts()))).toEqual([]);
    expect(saml1Differences(expected, encodePrimaResponse(q, plain('Permit'), opts()))).toEqual([]);
    expect(saml1Differences(expected, encodePrimaResponse(q, permit(''), opts()))).toEqual([]);
    expect(saml1Differences(expected, encodePrimaResponse(q, undefined, opts()))).toEqual([]);
  });

  it('escapes what came from the request or the mapping, so nothing can inject markup', () => {
    const hostile = decoded(V1.replace('CN=Jane Doe 12345', 'CN=Jane &lt;/saml:NameIdentifier&gt;&amp;"'));
    const out = encodePrimaResponse(hostile, permit('a<b>&"c'), opts());
    expect(element(out, SAML, 'NameIdentifier')?.textContent).toBe('/DC=org/DC=doegrids/OU=People/CN=Jane </saml:NameIdentifier>&"');
    expect(element(out, 'opensciencegrid:authorization:saml', 'AttributeAssignment')?.textContent).toBe('a<b>&"c');
  });
});

describe('encodePrimaResponse: envelope details (§5, §11)', () => {
  const out = encodePrimaResponse(decoded(V1), permit(), opts());
  const response = element(out, SAMLP, 'Response');
  const assertion = element(out, SAML, 'Assertion');
  const conditions = element(out, SAML, 'Conditions');

  it('is one line after the XML declaration and answers the RequestID', () => {
    expect(out.split('\n')).toHaveLength(2);
    expect(response?.getAttribute('InResponseTo')).toBe('b9ab177dd5938abd593a4597c193c14d');
    expect(response?.getAttribute('MinorVersion')).toBe('1');
  });

  it('stamps milliseconds and UTC, and a ten-minute validity window', () => {
    expect(response?.getAttribute('IssueInstant')).toBe('2026-11-23T11:38:47.807Z');
    expect(conditions?.getAttribute('NotBefore')).toBe('2026-11-23T11:38:47.807Z');
    expect(conditions?.getAttribute('NotOnOrAfter')).toBe('2026-11-23T11:48:47.807Z');
    expect(assertion?.getAttribute('Issuer')).toBe('BasicMappingAuthZService');
  });

  it('makes IDs NCNames even when the generator does not', () => {
    const bad = encodePrimaResponse(decoded(V1), permit(), opts(GK01, { idGenerator: () => '1234:5' }));
    expect(element(bad, SAMLP, 'Response')?.getAttribute('ResponseID')).toBe('_1234_5');
    expect(element(bad, SAML, 'Assertion')?.getAttribute('AssertionID')).toBe('_1234_5');
  });
});
