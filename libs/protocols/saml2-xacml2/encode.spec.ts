import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthzResult } from '@gridauthz/domain';
import { DOMParser } from '@xmldom/xmldom';
import type { Element, Node } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { encodeSoapFault } from '../soap/envelope';
import { xmlDifferences } from '../test-support/xml-compare';
import { soapPayload, validatePayload } from '../test-support/xmllint';
import { decodeXacmlQuery } from './decode';
import type { DecodedQuery } from './decode';
import { encodeProtocolError, encodeXacmlResponse } from './encode';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

function decoded(body: string): DecodedQuery {
  const result = decodeXacmlQuery(body);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.detail}`);
  return result.value;
}

let counter = 0;
const opts = (issuer: string) => ({ issuer, now: new Date('2024-05-01T12:00:00.123Z'), idGenerator: () => `_id${++counter}` });
/** The Permit of a policy that asks for an account (its map obligation), with or without the account that fulfils it. */
const permit = (account: AuthzResult['account']): AuthzResult => ({ decisionId: 'd1', decision: 'Permit', status: 'ok', account, obligations: [{ id: 'http://glite.org/xacml/obligation/local-environment-map', fulfillOn: 'Permit', assignments: [] }], reasons: [] });
const plain = (decision: AuthzResult['decision'], status: AuthzResult['status'] = 'ok', statusMessage?: string): AuthzResult => ({
  decisionId: 'd2',
  decision,
  status,
  ...(statusMessage === undefined ? {} : { statusMessage }),
  obligations: [],
  reasons: [],
});

const interop = decoded(fixture('spec-11a-query.xml'));
const gliteWn = decoded(fixture('spec-11b-query.xml'));
const scasAccount = { username: 'atlasprd042', uid: 40123, gid: 4001, secondaryGids: [4002, 4003] };
const argusAccount = { username: 'atlasprd042', uid: 40123, gid: 4001, groupName: 'atlasprd', secondaryGids: [4002], secondaryGroupNames: ['atlas'] };

/** A small query in one dialect, built from the spec's attribute ids. */
function dialectQuery(environment: string, returnContext = false, ns = 'urn:oasis:names:tc:xacml:2.0:profile:saml2.0:v2:schema:protocol'): DecodedQuery {
  return decoded(
    `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>` +
      `<q:XACMLAuthzDecisionQuery xmlns:q="${ns}" ID="q9" Version="2.0" ReturnContext="${returnContext}">` +
      `<c:Request xmlns:c="urn:oasis:names:tc:xacml:2.0:context:schema:os"><c:Subject>` +
      `<c:Attribute AttributeId="urn:oasis:names:tc:xacml:1.0:subject:subject-id" DataType="urn:oasis:names:tc:xacml:1.0:data-type:x500Name"><c:AttributeValue>CN=Jane,DC=example,DC=org</c:AttributeValue></c:Attribute>` +
      `</c:Subject><c:Resource><c:Attribute AttributeId="urn:oasis:names:tc:xacml:1.0:resource:resource-id" DataType="http://www.w3.org/2001/XMLSchema#string"><c:AttributeValue>https://ce.example.org:8443/ce</c:AttributeValue></c:Attribute></c:Resource>` +
      `<c:Action/><c:Environment>${environment}</c:Environment></c:Request></q:XACMLAuthzDecisionQuery></s:Body></s:Envelope>`,
  );
}
const envAttribute = (id: string, value: string): string =>
  `<c:Attribute AttributeId="${id}" DataType="http://www.w3.org/2001/XMLSchema#string"><c:AttributeValue>${value}</c:AttributeValue></c:Attribute>`;
const emi = dialectQuery(envAttribute('http://dci-sec.org/xacml/attribute/profile-id', 'http://dci-sec.org/xacml/profile/common-authz/1.1'));
const generic = dialectQuery('');
const interopOnly = (...supported: string[]): DecodedQuery =>
  dialectQuery(supported.map((s) => envAttribute('http://authz-interop.org/xacml/environment/pep-oblig-supported', s)).join(''));

function elements(parent: Element): Element[] {
  const out: Element[] = [];
  for (let child: Node | null = parent.firstChild; child !== null; child = child.nextSibling) if (child.nodeType === child.ELEMENT_NODE) out.push(child as Element);
  return out;
}
/** Walks by literal qualified names, as ARC's client does (§3). */
function byPrefixPath(xml: string, path: string[]): Element | undefined {
  let current: Element | null | undefined = new DOMParser().parseFromString(soapPayload(xml), 'text/xml').documentElement;
  if (current?.nodeName !== path[0]) return undefined;
  for (const name of path.slice(1)) {
    current = current === undefined || current === null ? undefined : elements(current).find((e) => e.nodeName === name);
  }
  return current ?? undefined;
}
const RESULT_PATH = ['saml2p:Response', 'saml2:Assertion', 'saml2:Statement', 'xacml-context:Response', 'xacml-context:Result'];
const resultOf = (xml: string): Element | undefined => byPrefixPath(xml, RESULT_PATH);
const obligationIds = (xml: string): string[] => {
  const result = resultOf(xml);
  const obligations = result === undefined ? undefined : elements(result).find((e) => e.nodeName === 'xacml:Obligations');
  return obligations === undefined ? [] : elements(obligations).map((o) => o.getAttribute('ObligationId') ?? '');
};
const decisionOf = (xml: string): string => {
  const result = resultOf(xml);
  return result === undefined ? '' : (elements(result).find((e) => e.nodeName === 'xacml-context:Decision')?.textContent ?? '');
};
const statusOf = (xml: string): string => {
  const result = resultOf(xml);
  const status = result === undefined ? undefined : elements(result).find((e) => e.nodeName === 'xacml-context:Status');
  return status === undefined ? '' : (elements(status)[0]?.getAttribute('Value') ?? '');
};

describe('encodeXacmlResponse matches §11 element for element', () => {
  it('§11(a): authz-interop Permit with uidgid, secondary-gids and username', () => {
    // §11(a) prints the answer without the ReturnContext echo "for brevity".
    const ours = encodeXacmlResponse({ ...interop, returnContext: false }, permit(scasAccount), opts('https://authz.example.org/scas'));
    expect(xmlDifferences(fixture('spec-11a-response.xml'), ours)).toEqual([]);
  });

  it('§11(b): grid-wn Permit with local-environment-map/posix names', () => {
    const ours = encodeXacmlResponse({ ...gliteWn, returnContext: false }, permit(argusAccount), opts('http://argus.example.org/pdp'));
    expect(xmlDifferences(fixture('spec-11b-response.xml'), ours)).toEqual([]);
  });

  it('§11 SOAP fault', () => {
    expect(xmlDifferences(fixture('spec-11-fault.xml'), encodeSoapFault('Client', 'Body does not contain an XACMLAuthzDecisionQuery'))).toEqual([]);
  });

  it('echoes the Request after the Response when ReturnContext=true, with every attribute value received', () => {
    const ours = encodeXacmlResponse(interop, permit(scasAccount), opts('https://authz.example.org/scas'));
    const statement = byPrefixPath(ours, RESULT_PATH.slice(0, 3));
    expect(statement === undefined ? [] : elements(statement).map((e) => e.nodeName)).toEqual(['xacml-context:Response', 'xacml-context:Request']);
    const values = (xml: string): string[] => [...xml.matchAll(/<[\w-]+:AttributeValue>([^<]*)</g)].map((m) => (m[1] ?? '').trim());
    const query = fixture('spec-11a-query.xml');
    expect(values(ours)).toEqual(values(query.slice(query.indexOf('<XACMLcontext:Request>'))));
    expect(validatePayload(ours)).toMatchObject({ valid: true });
  });
});

describe('encodeXacmlResponse: per-dialect decisions and obligations (§6, §7.3, §14)', () => {
  it('authz-interop: only advertised obligations', () => {
    const xml = encodeXacmlResponse(interopOnly('username'), permit(scasAccount), opts('x'));
    expect(obligationIds(xml)).toEqual(['http://authz-interop.org/xacml/obligation/username']);
    const account = encodeXacmlResponse(interopOnly('http://authz-interop.org/xacml/obligation/account'), permit({ ...scasAccount, groupName: 'atlasprd' }), opts('x'));
    expect(obligationIds(account)).toEqual(['http://authz-interop.org/xacml/obligation/account']);
    expect(account).toContain('AttributeId="http://authz-interop.org/xacml/attribute/primary-groupname" DataType="http://www.w3.org/2001/XMLSchema#string">atlasprd<');
  });

  it('authz-interop: without pep-oblig-supported, uidgid + secondary-gids + username (§6.1)', () => {
    const query = dialectQuery(envAttribute('http://authz-interop.org/xacml/resource/dns-host-name', 'wn'));
    expect(query.dialect).toBe('authz-interop');
    expect(obligationIds(encodeXacmlResponse(query, permit(scasAccount), opts('x')))).toEqual([
      'http://authz-interop.org/xacml/obligation/uidgid',
      'http://authz-interop.org/xacml/obligation/secondary-gids',
      'http://authz-interop.org/xacml/obligation/username',
    ]);
  });

  it('authz-interop: Deny carries the empty username obligation the OSG client needs (§14.2)', () => {
    const xml = encodeXacmlResponse(interop, plain('Deny'), opts('x'));
    expect(decisionOf(xml)).toBe('Deny');
    expect(statusOf(xml)).toBe('urn:oasis:names:tc:xacml:1.0:status:ok');
    expect(obligationIds(xml)).toEqual(['http://authz-interop.org/xacml/obligation/username']);
    expect(xml).toContain('AttributeId="http://authz-interop.org/xacml/attribute/username" DataType="http://www.w3.org/2001/XMLSchema#string"></xacml:AttributeAssignment>');
    expect(obligationIds(encodeXacmlResponse(interopOnly('uidgid'), plain('Deny'), opts('x')))).toEqual([]);
  });

  it('authz-interop: NotApplicable becomes Deny; missing-attribute becomes processing-error with the message', () => {
    expect(decisionOf(encodeXacmlResponse(interop, plain('NotApplicable'), opts('x')))).toBe('Deny');
    const xml = encodeXacmlResponse(interop, plain('Indeterminate', 'missing-attribute', 'no subject'), opts('x'));
    expect(decisionOf(xml)).toBe('Indeterminate');
    expect(statusOf(xml)).toBe('urn:oasis:names:tc:xacml:1.0:status:processing-error');
    expect(xml).toContain('<xacml-context:StatusMessage>no subject</xacml-context:StatusMessage>');
    expect(obligationIds(xml)).toEqual([]);
  });

  it('authz-interop: a Permit without an account the PEP needs is Indeterminate, not an unenforceable Permit', () => {
    const xml = encodeXacmlResponse(interop, permit(undefined), opts('x'));
    expect(decisionOf(xml)).toBe('Indeterminate');
    expect(statusOf(xml)).toBe('urn:oasis:names:tc:xacml:1.0:status:processing-error');
    // A PEP that advertised no mapping obligation (SAZ-like) just gets the decision.
    expect(decisionOf(encodeXacmlResponse(interopOnly('http://authz-interop.org/xacml/obligation/afs-token'), permit(undefined), opts('x')))).toBe('Permit');
  });

  it('gLite: NotApplicable stays, missing-attribute stays, Permit without account asks the PEPd to map', () => {
    expect(decisionOf(encodeXacmlResponse(gliteWn, plain('NotApplicable'), opts('x')))).toBe('NotApplicable');
    expect(statusOf(encodeXacmlResponse(gliteWn, plain('Indeterminate', 'missing-attribute'), opts('x')))).toBe('urn:oasis:names:tc:xacml:1.0:status:missing-attribute');
    expect(obligationIds(encodeXacmlResponse(gliteWn, permit(undefined), opts('x')))).toEqual(['http://glite.org/xacml/obligation/local-environment-map']);
    expect(obligationIds(encodeXacmlResponse(gliteWn, plain('Deny'), opts('x')))).toEqual([]);
  });

  it('EMI: map-local-user/posix with names, primary group included in group-id', () => {
    const xml = encodeXacmlResponse(emi, permit(argusAccount), opts('x'));
    expect(obligationIds(xml)).toEqual(['http://dci-sec.org/xacml/obligation/map-local-user/posix']);
    const assignments = [...xml.matchAll(/AttributeId="([^"]+)" DataType="[^"]+">([^<]*)</g)].map((m) => `${m[1]}=${m[2]}`);
    expect(assignments).toEqual([
      'http://dci-sec.org/xacml/attribute/user-id=atlasprd042',
      'http://dci-sec.org/xacml/attribute/group-id/primary=atlasprd',
      'http://dci-sec.org/xacml/attribute/group-id=atlasprd',
      'http://dci-sec.org/xacml/attribute/group-id=atlas',
    ]);
  });

  it('generic XACML: decision only; Indeterminate always with an error status', () => {
    expect(obligationIds(encodeXacmlResponse(generic, permit(argusAccount), opts('x')))).toEqual([]);
    expect(statusOf(encodeXacmlResponse(generic, plain('Indeterminate'), opts('x')))).toBe('urn:oasis:names:tc:xacml:1.0:status:processing-error');
  });

  it('answers an OS-namespace query in the OS assertion namespace', () => {
    const os = dialectQuery('', false, 'urn:oasis:xacml:2.0:saml:protocol:schema:os');
    const xml = encodeXacmlResponse(os, plain('Deny'), opts('x'));
    expect(xml).toContain('xmlns:xacml-saml="urn:oasis:xacml:2.0:saml:assertion:schema:os" xsi:type="xacml-saml:XACMLAuthzDecisionStatementType"');
    expect(encodeXacmlResponse(generic, plain('Deny'), opts('x'))).toContain('xmlns:xacml-saml="urn:oasis:names:tc:xacml:2.0:profile:saml2.0:v2:schema:assertion"');
  });

  it('escapes values and keeps hostile characters out of the output', () => {
    const xml = encodeXacmlResponse(interop, permit({ ...scasAccount, username: 'a<b&"c\u0001' }), opts('iss"<'));
    // Only errors count: xmldom merely warns about the U+FFFD that stands in for the control character.
    const doc = new DOMParser({ onError: (level, message) => { if (level !== 'warning') throw new Error(`${level} ${message}`); } }).parseFromString(xml, 'text/xml');
    expect(doc.documentElement?.textContent).toContain('a<b&"c\uFFFD');
  });

  it('makes generated IDs NCNames and echoes the query ID verbatim', () => {
    const xml = encodeXacmlResponse(decoded(fixture('spec-11a-query.xml').replace('ID-1804289383', '0d3c-uuid')), plain('Deny'), { ...opts('x'), idGenerator: () => '9f:x' });
    expect(xml).toContain('ID="_9f_x" InResponseTo="0d3c-uuid"');
  });
});

describe('our responses validate against the XACML-SAML v2 protocol schema (xmllint)', () => {
  const cases: Array<[string, DecodedQuery, AuthzResult]> = [
    ['authz-interop Permit', interop, permit(scasAccount)],
    ['authz-interop Deny', interop, plain('Deny')],
    ['authz-interop NotApplicable', interop, plain('NotApplicable')],
    ['authz-interop Indeterminate', interop, plain('Indeterminate', 'missing-attribute', 'no subject')],
    ['grid-wn Permit', gliteWn, permit(argusAccount)],
    ['grid-wn Permit (local mapping)', gliteWn, permit(undefined)],
    ['grid-wn Deny', gliteWn, plain('Deny')],
    ['grid-wn NotApplicable', gliteWn, plain('NotApplicable')],
    ['grid-wn Indeterminate', gliteWn, plain('Indeterminate', 'processing-error', 'backend down')],
    ['EMI Permit', emi, permit(argusAccount)],
    ['EMI NotApplicable', emi, plain('NotApplicable')],
    ['generic Permit', generic, permit(argusAccount)],
    ['echo of a query without subject or resource', decoded(fixture('spec-11b-query.xml').replace(/<xacml-context:Subject>[\s\S]*<\/xacml-context:Resource>/, '')), plain('Indeterminate', 'missing-attribute')],
  ];
  it.each(cases)('%s', (_name, query, result) => {
    for (const returnContext of [false, true]) {
      const verdict = validatePayload(encodeXacmlResponse({ ...query, returnContext }, result, opts('https://authz.example.org')));
      expect(verdict.output).toContain('validates');
      expect(verdict.valid).toBe(true);
    }
  });

  it('the VersionMismatch answer validates too; other errors are SOAP faults with HTTP 500', () => {
    const rejected = decodeXacmlQuery(fixture('spec-11a-query.xml').replace('Version="2.0"', 'Version="3.0"'));
    expect(rejected.ok).toBe(false);
    if (rejected.ok) return;
    const answer = encodeProtocolError(rejected.error, opts('x'));
    expect(answer.httpStatus).toBe(200);
    expect(answer.body).toContain('InResponseTo="ID-1804289383"');
    expect(answer.body).toContain('Value="urn:oasis:names:tc:SAML:2.0:status:VersionMismatch"');
    expect(validatePayload(answer.body).valid).toBe(true);
    const fault = encodeProtocolError({ code: 'PROTO_NOT_A_QUERY', detail: 'Body does not contain an XACMLAuthzDecisionQuery' }, opts('x'));
    expect(fault.httpStatus).toBe(500);
    expect(xmlDifferences(fixture('spec-11-fault.xml'), fault.body)).toEqual([]);
    expect(encodeProtocolError({ code: 'PROTO_SIGNING_FAILED', detail: 'x' }, opts('x')).body).toContain('<faultcode>soap11:Server</faultcode>');
  });

  it('the schema check itself rejects a broken response (Request echoed before Response)', () => {
    const ours = encodeXacmlResponse(interop, plain('Deny'), opts('x'));
    const swapped = ours.replace(/(<xacml-context:Response [\s\S]*<\/xacml-context:Response>)(<xacml-context:Request [\s\S]*<\/xacml-context:Request>)/, '$2$1');
    expect(swapped).not.toBe(ours);
    expect(validatePayload(swapped).valid).toBe(false);
  });
});
