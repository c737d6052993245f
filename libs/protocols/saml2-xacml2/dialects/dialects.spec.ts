import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthzResult, Obligation } from '@gridauthz/domain';
import { DOMParser } from '@xmldom/xmldom';
import type { Element } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { xmlDifferences } from '../../test-support/xml-compare';
import { soapPayload } from '../../test-support/xmllint';
import { decodeXacmlQuery } from '../decode';
import type { DecodedQuery } from '../decode';
import { encodeXacmlResponse } from '../encode';
import { authzInterop } from './authz-interop/dialect';
import { emi } from './emi/dialect';
import { gridCe } from './grid-ce/dialect';
import { gridWn } from './grid-wn/dialect';
import { detectDialect, XACML_DIALECTS } from './index';
import { xacml } from './xacml/dialect';

// Ids below are literals from saml2-xacml2.md (§5, §6), not this lib's constants, so a wrong constant fails here.
const fixture = (name: string): string => readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8');
const GLITE_MAP = 'http://glite.org/xacml/obligation/local-environment-map';
const EMI_MAP = 'http://dci-sec.org/xacml/obligation/map-local-user';

function decoded(body: string): DecodedQuery {
  const result = decodeXacmlQuery(body);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.detail}`);
  return result.value;
}
const attribute = (id: string, value: string, extra = ''): string =>
  `<c:Attribute AttributeId="${id}" DataType="http://www.w3.org/2001/XMLSchema#string"${extra}><c:AttributeValue>${value}</c:AttributeValue></c:Attribute>`;
function query(subject: string, environment: string): DecodedQuery {
  return decoded(
    `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>` +
      `<q:XACMLAuthzDecisionQuery xmlns:q="urn:oasis:names:tc:xacml:2.0:profile:saml2.0:v2:schema:protocol" ID="q9" Version="2.0">` +
      `<c:Request xmlns:c="urn:oasis:names:tc:xacml:2.0:context:schema:os"><c:Subject>` +
      attribute('urn:oasis:names:tc:xacml:1.0:subject:subject-id', 'CN=Jane,DC=example,DC=org') +
      subject +
      `</c:Subject><c:Resource>${attribute('urn:oasis:names:tc:xacml:1.0:resource:resource-id', 'https://ce.example.org:8443/ce')}</c:Resource>` +
      `<c:Action/><c:Environment>${environment}</c:Environment></c:Request></q:XACMLAuthzDecisionQuery></s:Body></s:Envelope>`,
  );
}
const gliteProfile = (value: string): string => attribute('http://glite.org/xacml/attribute/profile-id', value);
const pepSupports = (...ids: string[]): string => ids.map((id) => attribute('http://authz-interop.org/xacml/environment/pep-oblig-supported', id)).join('');

const account = { username: 'atlasprd042', uid: 40123, gid: 4001, groupName: 'atlasprd', secondaryGids: [4002], secondaryGroupNames: ['atlas'] };
const permit = (extra: Partial<AuthzResult> = {}): AuthzResult => ({ decisionId: 'd1', decision: 'Permit', status: 'ok', obligations: [], reasons: [], ...extra });
const mapObligation = (id = GLITE_MAP): Obligation => ({ id, fulfillOn: 'Permit', assignments: [] });
const custom: Obligation = { id: 'urn:example:obligation:scratch-quota', fulfillOn: 'Permit', assignments: [{ id: 'urn:example:attribute:gigabytes', value: '20', dataType: 'http://www.w3.org/2001/XMLSchema#integer' }, { id: 'urn:example:attribute:path', value: '/scratch' }] };

let counter = 0;
const encode = (q: DecodedQuery, result: AuthzResult): string =>
  encodeXacmlResponse({ ...q, returnContext: false }, result, { issuer: 'https://pdp.example.org', now: new Date('2024-05-01T12:00:00Z'), idGenerator: () => `_id${++counter}` });
function obligationsOf(xml: string): { id: string; fulfillOn: string; assignments: [string, string, string][] }[] {
  const doc = new DOMParser().parseFromString(soapPayload(xml), 'text/xml');
  const all = Array.from(doc.getElementsByTagNameNS('urn:oasis:names:tc:xacml:2.0:policy:schema:os', 'Obligation')) as Element[];
  return all.map((o) => ({
    id: o.getAttribute('ObligationId') ?? '',
    fulfillOn: o.getAttribute('FulfillOn') ?? '',
    assignments: (Array.from(o.getElementsByTagNameNS('urn:oasis:names:tc:xacml:2.0:policy:schema:os', 'AttributeAssignment')) as Element[]).map((x) => [
      x.getAttribute('AttributeId') ?? '',
      x.getAttribute('DataType') ?? '',
      x.textContent ?? '',
    ]),
  }));
}
const decisionOf = (xml: string): string => /<xacml-context:Decision>([^<]*)</.exec(xml)?.[1] ?? '';

describe('the dialect list', () => {
  it('holds one module per dialect, each with a distinct recorded name', () => {
    expect(XACML_DIALECTS.map((d) => d.name)).toEqual(['authz-interop', 'grid-wn', 'grid-ce', 'emi', 'xacml']);
  });

  it('detects by §4.4 precedence: a declared gLite/EMI profile beats authz-interop ids; nothing known is plain xacml', () => {
    const aiId = attribute('http://authz-interop.org/xacml/subject/vo', 'atlas');
    expect(query(aiId, '').dialect).toBe('authz-interop');
    expect(query(aiId, gliteProfile('http://glite.org/xacml/profile/grid-wn/1.0')).dialect).toBe('grid-wn');
    expect(query(aiId, gliteProfile('http://glite.org/xacml/profile/grid-ce/1.0')).dialect).toBe('grid-ce');
    expect(query(aiId, attribute('http://dci-sec.org/xacml/attribute/profile-id', 'http://dci-sec.org/xacml/profile/common-ce/1.0')).dialect).toBe('emi');
    expect(query('', '').dialect).toBe('xacml');
    // Each module's own detect, for the fixtures real clients sent.
    const ctx = (name: string) => decoded(fixture(name)).context;
    expect(authzInterop.detect(ctx('spec-11a-query.xml'))).toBe(true);
    expect(gridWn.detect(ctx('spec-11b-query.xml'))).toBe(true);
    expect(gridCe.detect(ctx('spec-11b-query.xml'))).toBe(false);
    expect(gridCe.detect(ctx('arc-cream-alice-voms-query.xml'))).toBe(true);
    expect(emi.detect(ctx('arc-emi-alice-voms-query.xml'))).toBe(true);
    expect(detectDialect(ctx('arc-subject-alice-voms-query.xml'))).toBe(xacml);
  });

  it('sets accountExpected from the dialect: every grid profile maps, plain xacml does not (§4.4 item 4)', () => {
    expect(decoded(fixture('spec-11a-query.xml')).request.accountExpected).toBe(true);
    expect(decoded(fixture('spec-11b-query.xml')).request.accountExpected).toBe(true);
    expect(decoded(fixture('arc-cream-alice-voms-query.xml')).request.accountExpected).toBe(true);
    expect(decoded(fixture('arc-emi-alice-voms-query.xml')).request.accountExpected).toBe(true);
    expect(decoded(fixture('arc-subject-alice-voms-query.xml')).request.accountExpected).toBe(false);
  });

  it('says what the resource means for the core: a CE endpoint naming the host (grid-ce, EMI), EMI resource-owner for policy', () => {
    const arcEmi = fixture('arc-emi-alice-voms-query.xml');
    expect(decoded(arcEmi).request.resourceNamesHost).toBe(true);
    // ARC's emi conversion sends the CE's certificate DN as resource-owner (the captured query).
    expect(decoded(arcEmi).request.resourceAttributes).toEqual({ 'emi-resource-owner': ['CN=ce.example.org,OU=hosts,DC=example,DC=org'] });
    const interopOwner = decoded(fixture('spec-11a-query.xml'));
    expect(interopOwner.request.hostDn).toBeDefined();
    expect(interopOwner.request.resourceAttributes).toBeUndefined();
    expect(interopOwner.request.resourceNamesHost).toBeUndefined();
    expect(decoded(fixture('arc-cream-alice-voms-query.xml')).request.resourceNamesHost).toBe(true);
    expect(decoded(fixture('spec-11b-query.xml')).request.resourceNamesHost).toBeUndefined();
  });

  it('extract: a bearer token in the access subject is the subject credential, never a policy attribute; two are ambiguous', () => {
    const tokenId = 'http://gridauthz.org/xacml/subject/bearer-token';
    const one = query(attribute(tokenId, 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln'), gliteProfile('http://glite.org/xacml/profile/grid-wn/1.0'));
    expect(one.request.subject.token).toBe('eyJhbGciOiJFUzI1NiJ9.e30.c2ln');
    expect(one.request.subject.attributes?.[tokenId]).toBeUndefined();
    const two = query(attribute(tokenId, 'a.b.c') + attribute(tokenId, 'd.e.f'), '');
    expect(two.request.subject.token).toBeUndefined();
    expect(two.request.defects.map((d) => d.code)).toContain('REQUEST_AMBIGUOUS_CREDENTIAL');
  });

  it('extract: EMI rebuilds FQANs from group + role (Issuer names the group), gLite reads fqan, authz-interop voms-fqan', () => {
    const e = query(
      attribute('http://dci-sec.org/xacml/attribute/group', '/atlas') + attribute('http://dci-sec.org/xacml/attribute/role', 'production', ' Issuer="/atlas"'),
      attribute('http://dci-sec.org/xacml/attribute/profile-id', 'http://dci-sec.org/xacml/profile/common-authz/1.1'),
    );
    expect(e.request.subject.assertedFqans?.map((f) => f.toShort())).toEqual(['/atlas', '/atlas/Role=production']);
    const g = query(attribute('http://glite.org/xacml/attribute/fqan', '/cms/Role=pilot'), gliteProfile('http://glite.org/xacml/profile/grid-wn/1.0'));
    expect(g.request.subject.assertedFqans?.map((f) => f.toShort())).toEqual(['/cms/Role=pilot']);
    const a = query(attribute('http://authz-interop.org/xacml/subject/voms-fqan', '/dteam'), '');
    expect(a.request.subject.assertedFqans?.map((f) => f.toShort())).toEqual(['/dteam']);
  });
});

describe('obligations rendered by id (docs/architecture.md, "Obligations")', () => {
  const wn = decoded(fixture('spec-11b-query.xml'));
  const interop = decoded(fixture('spec-11a-query.xml'));
  const emiQuery = query('', attribute('http://dci-sec.org/xacml/attribute/profile-id', 'http://dci-sec.org/xacml/profile/common-authz/1.1'));

  it('a Permit whose map obligation the account fulfils renders the dialect\'s account obligations, §11(b) and §11(a)', () => {
    const argus = { ...account, username: 'atlasprd042', secondaryGids: [4002], secondaryGroupNames: ['atlas'] };
    const scas = { username: 'atlasprd042', uid: 40123, gid: 4001, secondaryGids: [4002, 4003] };
    const answer = (q: DecodedQuery, a: AuthzResult['account'], id: string, issuer: string) =>
      encodeXacmlResponse({ ...q, returnContext: false }, permit({ account: a, obligations: [mapObligation(id)] }), { issuer, now: new Date('2024-05-01T12:00:00.123Z'), idGenerator: () => `_id${++counter}` });
    // Either account-mapping obligation id asks for the same thing, so both give the spec's golden answers.
    for (const id of [GLITE_MAP, EMI_MAP]) {
      expect(xmlDifferences(fixture('spec-11b-response.xml'), answer(wn, argus, id, 'http://argus.example.org/pdp'))).toEqual([]);
      expect(xmlDifferences(fixture('spec-11a-response.xml'), answer(interop, scas, id, 'https://authz.example.org/scas'))).toEqual([]);
    }
    expect(obligationsOf(answer(emiQuery, argus, EMI_MAP, 'x')).map((o) => [o.id, o.assignments.map(([, , v]) => v)])).toEqual([
      ['http://dci-sec.org/xacml/obligation/map-local-user/posix', ['atlasprd042', 'atlasprd', 'atlasprd', 'atlas']],
    ]);
  });

  it('a Permit with no obligation (so no account) renders no account obligation in any dialect', () => {
    expect(obligationsOf(encode(wn, permit()))).toEqual([]);
    expect(obligationsOf(encode(emiQuery, permit()))).toEqual([]);
    // authz-interop's PEP needs an account (§8.1): no obligation, and no unenforceable Permit either.
    const xml = encode(interop, permit());
    expect(obligationsOf(xml)).toEqual([]);
    expect(xml).toContain('<xacml-context:Decision>Indeterminate</xacml-context:Decision>');
  });

  it('gLite: the account obligation where the policy put it, other obligations passed through with their assignments', () => {
    const xml = encode(wn, permit({ account, obligations: [custom, mapObligation()] }));
    expect(obligationsOf(xml).map((o) => o.id)).toEqual(['urn:example:obligation:scratch-quota', 'http://glite.org/xacml/obligation/local-environment-map/posix']);
    expect(obligationsOf(xml)[0]?.assignments).toEqual([
      ['urn:example:attribute:gigabytes', 'http://www.w3.org/2001/XMLSchema#integer', '20'],
      ['urn:example:attribute:path', 'http://www.w3.org/2001/XMLSchema#string', '/scratch'],
    ]);
  });

  it('gLite/EMI: permit without a map obligation carries no account obligation; an unfulfilled one asks the PEPd to map', () => {
    expect(obligationsOf(encode(wn, permit({ obligations: [] })))).toEqual([]);
    expect(obligationsOf(encode(wn, permit({ obligations: [custom] }))).map((o) => o.id)).toEqual(['urn:example:obligation:scratch-quota']);
    expect(obligationsOf(encode(wn, permit({ obligations: [mapObligation()] }))).map((o) => o.id)).toEqual([GLITE_MAP]);
    expect(obligationsOf(encode(emiQuery, permit({ obligations: [mapObligation()] }))).map((o) => o.id)).toEqual([EMI_MAP]);
  });

  it('renders an obligation only with the decision it is for (FulfillOn)', () => {
    const onDeny: Obligation = { id: 'urn:example:obligation:notify', fulfillOn: 'Deny', assignments: [] };
    const deny: AuthzResult = { decisionId: 'd', decision: 'Deny', status: 'ok', reasons: [], obligations: [onDeny, custom] };
    expect(obligationsOf(encode(wn, deny))).toEqual([{ id: 'urn:example:obligation:notify', fulfillOn: 'Deny', assignments: [] }]);
    expect(obligationsOf(encode(wn, permit({ account, obligations: [onDeny, mapObligation()] }))).map((o) => o.id)).toEqual(['http://glite.org/xacml/obligation/local-environment-map/posix']);
  });

  it('authz-interop: passes on only what pep-oblig-supported advertised (§6.1; the OSG client fails on others, §8.2)', () => {
    const afs: Obligation = { id: 'http://authz-interop.org/xacml/obligation/afs-token', fulfillOn: 'Permit', assignments: [{ id: 'urn:example:cell', value: 'example.org' }] };
    const scas = { username: 'atlasprd042', uid: 40123, gid: 4001, secondaryGids: [] };
    const advertised = query('', pepSupports('uidgid', 'afs-token'));
    expect(obligationsOf(encode(advertised, permit({ account: scas, obligations: [mapObligation(), afs, custom] }))).map((o) => o.id)).toEqual([
      'http://authz-interop.org/xacml/obligation/uidgid',
      'http://authz-interop.org/xacml/obligation/afs-token',
    ]);
    const notAdvertised = query('', pepSupports('uidgid'));
    expect(obligationsOf(encode(notAdvertised, permit({ account: scas, obligations: [mapObligation(), afs] }))).map((o) => o.id)).toEqual(['http://authz-interop.org/xacml/obligation/uidgid']);
    // Without pep-oblig-supported: uidgid + secondary-gids (none here) + username and nothing else (§6.1).
    const silent = query(attribute('http://authz-interop.org/xacml/subject/vo', 'atlas'), '');
    expect(silent.dialect).toBe('authz-interop');
    expect(obligationsOf(encode(silent, permit({ account: scas, obligations: [mapObligation(), afs] }))).map((o) => o.id)).toEqual([
      'http://authz-interop.org/xacml/obligation/uidgid',
      'http://authz-interop.org/xacml/obligation/username',
    ]);
  });

  it('authz-interop: a Permit with no account for a PEP that needs one stays Indeterminate, whatever the policy said (§8.1)', () => {
    expect(decisionOf(encode(interop, permit({ obligations: [] })))).toBe('Indeterminate');
    expect(decisionOf(encode(interop, permit()))).toBe('Indeterminate');
  });

  it('plain xacml: decision only, the policy obligations too (§4.4 item 4)', () => {
    const plain = query('', '');
    expect(obligationsOf(encode(plain, permit({ account, obligations: [mapObligation(), custom] })))).toEqual([]);
    expect(decisionOf(encode(plain, permit({ account, obligations: [mapObligation(), custom] })))).toBe('Permit');
  });
});
