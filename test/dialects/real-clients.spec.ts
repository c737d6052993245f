/**
 * Requests as real clients send them (captures of ARC's emi and cream conversions, the OSG Java clients, Argus
 * PEPd's query from saml2-xacml2.md §11b), decoded and decided in-process. Expected values come from the clients'
 * documented behaviour (docs/dialects.md), not from our encoder.
 */
import { describe, expect, it } from 'vitest';
import { Dn, ErrorCodes } from '@gridauthz/domain';
import { decodePrimaRequest, decodeXacmlQuery, ProtocolErrorCodes } from '@gridauthz/protocols';
import { fixturePki } from '../support/fixtures';
import { ARC_CE, capture, chainPem, policyFile, site, withAdded, withValues, without } from './real-clients';

const DCI = 'http://dci-sec.org/xacml/attribute';
const KEY_INFO = 'urn:oasis:names:tc:xacml:1.0:subject:key-info';
const SUBJECT_ID = 'urn:oasis:names:tc:xacml:1.0:subject:subject-id';
const RESOURCE_ID = 'urn:oasis:names:tc:xacml:1.0:resource:resource-id';
const ACTION_ID = 'urn:oasis:names:tc:xacml:1.0:action:action-id';

/** The Echo service of the ARC capture, with a policy written the way an Argus site writes one for EMI. */
const ARC_ECHO_POLICY = `
resource "http://127[.]0[.]0[.]1:18444/Echo" {
    obligation "http://dci-sec.org/xacml/obligation/map-local-user" {}
    action "http://dci-sec[.]org/xacml/action/ANY" {
        rule permit {
            emi-vo = atlas
            emi-primary-group = "/atlas"
            emi-primary-role = pilot
            emi-subject-issuer = "CN=Interop Test CA,DC=example,DC=org"
        }
    }
}
`;

function decoded(body: string) {
  const result = decodeXacmlQuery(body);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.detail}`);
  return result.value;
}

describe("ARC's emi conversion (capture arc-emi-alice-voms-query.xml)", () => {
  it('reads the CA from dci-sec subject-issuer and puts the separately sent primary FQAN first', () => {
    const q = decoded(capture.arcEmi());
    expect(q.dialect).toBe('emi');
    expect(q.request.defects).toEqual([]);
    expect(q.request.subject.assertedDn?.equals(Dn.parse('CN=Alice Atlas,OU=People,DC=example,DC=org'))).toBe(true);
    // ARC sends TLS:CA as http://dci-sec.org/xacml/attribute/subject-issuer (ArgusPDPClient, emi conversion).
    expect(q.request.subject.assertedIssuerDn?.equals(Dn.parse('CN=Interop Test CA,DC=example,DC=org'))).toBe(true);
    // group/primary /atlas + role/primary pilot with Issuer /atlas: the primary FQAN is /atlas/Role=pilot.
    expect(q.request.subject.assertedPrimaryFqan?.toShort()).toBe('/atlas/Role=pilot');
    expect(q.request.subject.assertedFqans?.map((f) => f.toShort())).toEqual(['/atlas/Role=pilot', '/atlas', '/atlas/production']);
    expect(q.request.subject.assertedVos).toEqual(['atlas']);
    expect(q.request.resource).toBe('http://127.0.0.1:18444/Echo');
    expect(q.request.action).toBe('http://dci-sec.org/xacml/action/ANY');
    expect(q.request.hostDn?.equals(ARC_CE)).toBe(true);
  });

  it('maps a pilot-role user to the pilot pool, through a policy written with the EMI attribute names', async () => {
    const s = await site(ARC_ECHO_POLICY);
    const { result, record } = await s.xacml(capture.arcEmi(), ARC_CE);
    expect(result.decision, result.statusMessage).toBe('Permit');
    expect(result.account?.username).toMatch(/^atlaspil\d{3}$/);
    expect(result.account?.gid).toBe(5002);
    expect(result.reasons).toContain('mapping:dev:atlas-pilot');
    expect(record.fqans[0]).toBe('/atlas/Role=pilot/Capability=NULL');
  });

  it('is NotApplicable for that policy when the primary role is another one (the emi attributes really are read)', async () => {
    const s = await site(ARC_ECHO_POLICY);
    const body = withValues(withValues(capture.arcEmi(), `${DCI}/role/primary`, ['production']), `${DCI}/role`, ['production']);
    const { result } = await s.xacml(body, ARC_CE);
    expect(result.decision).toBe('NotApplicable');
  });

  it('is refused (not trusted to assert) from a caller that is not a trusted asserter', async () => {
    const s = await site(ARC_ECHO_POLICY, { trusted: [] });
    const { result } = await s.xacml(capture.arcEmi(), ARC_CE);
    expect(result.decision).toBe('Indeterminate');
    expect(result.reasons).toEqual(['SUBJECT_NOT_VERIFIABLE']);
  });
});

describe("ARC's cream conversion and PEPd (gLite subject-issuer)", () => {
  it('reads gLite subject-issuer as the CA when it is the only issuer sent (ARC cream)', () => {
    const body = withValues(capture.arcCream(), KEY_INFO, []);
    const q = decoded(without(body, KEY_INFO));
    expect(q.dialect).toBe('grid-ce');
    expect(q.request.subject.assertedIssuerDn?.equals(Dn.parse('CN=Interop Test CA,DC=example,DC=org'))).toBe(true);
  });

  it("keeps every PEPd subject-issuer value for policy and takes the end-entity's CA from x509-subject-issuer", () => {
    const q = decoded(without(capture.pepdGridWn(), KEY_INFO));
    expect(q.request.subject.assertedIssuerDn?.equals(Dn.parse('CN=Example Grid CA,DC=example,DC=org'))).toBe(true);
    expect(q.request.subject.assertedIssuerDns?.map((d) => d.toRfc2253())).toEqual(['CN=Example Grid CA,DC=example,DC=org', 'CN=Jane Doe 1234,OU=People,DC=example,DC=org']);
    expect(q.request.subject.assertedFqans?.map((f) => f.toShort())).toEqual(['/atlas/Role=production', '/atlas']);
  });
});

describe('ambiguous requests are refused, with a specific reason, and recorded (issue 15 finding 3)', () => {
  const alice = chainPem('alice-voms');
  const bob = chainPem('bob-voms');
  const pilot = (): Dn => Dn.parse(fixturePki().users['pilot']?.subject ?? '');
  /** PEPd's grid-wn query (§11b) for Alice's real chain, sent by the pilot. */
  const aliceQuery = (): string => {
    const withAlice = withValues(capture.pepdGridWn(), KEY_INFO, [alice]);
    return withValues(withValues(withAlice, SUBJECT_ID, [Dn.parse(fixturePki().users['alice']?.subject ?? '').toRfc2253()]), 'http://glite.org/xacml/attribute/x509-subject-issuer', [
      Dn.parse(fixturePki().ca.subject).toRfc2253(),
    ]);
  };
  const expectRefused = async (body: string, code: string) => {
    const s = await site(policyFile('site.spl'));
    const { result, record } = await s.xacml(body, pilot());
    expect(result.decision).toBe('Indeterminate');
    expect(result.reasons).toEqual([code]);
    expect(s.storage.records).toEqual([record]);
    expect(record.reasons).toEqual([code]);
  };

  it('the unambiguous request it is built from answers Permit', async () => {
    const s = await site(policyFile('site.spl'));
    const { result } = await s.xacml(without(without(aliceQuery(), 'http://glite.org/xacml/attribute/fqan/primary'), 'http://glite.org/xacml/attribute/fqan'), pilot());
    expect(result.decision, result.statusMessage).toBe('Permit');
  });

  it('a chain sent top first (EEC before its proxy) is one chain, ordered by the credentials lib: Permit', async () => {
    const topFirst = alice.split(/(?<=-----END CERTIFICATE-----)\n?/).filter((b) => b.includes('BEGIN')).reverse().join('\n');
    expect(topFirst).not.toBe(alice);
    const s = await site(policyFile('site.spl'));
    const body = without(without(withValues(aliceQuery(), KEY_INFO, [topFirst]), 'http://glite.org/xacml/attribute/fqan/primary'), 'http://glite.org/xacml/attribute/fqan');
    const { result } = await s.xacml(body, pilot());
    expect(result.decision, result.statusMessage).toBe('Permit');
  });

  it('two certificate-chain attributes', async () => {
    await expectRefused(withAdded(aliceQuery(), 'Subject', [{ id: KEY_INFO, values: [bob] }]), ErrorCodes.REQUEST_AMBIGUOUS_CHAIN);
    await expectRefused(withAdded(aliceQuery(), 'Subject', [{ id: 'http://authz-interop.org/xacml/subject/cert-chain', values: [bob] }]), ErrorCodes.REQUEST_AMBIGUOUS_CHAIN);
  });

  it("two people's chains in one attribute", async () => {
    await expectRefused(withValues(aliceQuery(), KEY_INFO, [`${alice}\n${bob}`]), ErrorCodes.REQUEST_AMBIGUOUS_CHAIN);
    await expectRefused(withValues(aliceQuery(), KEY_INFO, [alice, bob]), ErrorCodes.REQUEST_AMBIGUOUS_CHAIN);
  });

  it('two access-subject elements', async () => {
    const body = aliceQuery().replace(/(<xacml-context:Subject>[\s\S]*?<\/xacml-context:Subject>)/, '$1$1');
    await expectRefused(body, ErrorCodes.REQUEST_AMBIGUOUS_SUBJECT);
  });

  it("a subject-id naming Bob beside Alice's chain", async () => {
    await expectRefused(withValues(aliceQuery(), SUBJECT_ID, [Dn.parse(fixturePki().users['bob']?.subject ?? '').toRfc2253()]), ErrorCodes.REQUEST_SUBJECT_MISMATCH);
  });

  it('two different subject DNs, two primary FQANs, two resources, two actions', async () => {
    await expectRefused(withValues(aliceQuery(), SUBJECT_ID, ['CN=Alice,DC=example,DC=org', 'CN=Bob,DC=example,DC=org']), ErrorCodes.REQUEST_AMBIGUOUS_SUBJECT);
    await expectRefused(withValues(aliceQuery(), 'http://glite.org/xacml/attribute/fqan/primary', ['/atlas', '/atlas/Role=pilot']), ErrorCodes.REQUEST_AMBIGUOUS_SUBJECT);
    await expectRefused(withValues(aliceQuery(), RESOURCE_ID, ['http://authz-interop.org/xacml/resource/resource-type/wn', 'other']), ErrorCodes.REQUEST_AMBIGUOUS_RESOURCE);
    await expectRefused(withValues(aliceQuery(), ACTION_ID, ['http://glite.org/xacml/action/execute', 'other']), ErrorCodes.REQUEST_AMBIGUOUS_ACTION);
  });

  it('an EMI role that names no group among several (it could not be placed, and a deny on it would be missed)', async () => {
    const body = capture.arcEmi().replace('AttributeId="http://dci-sec.org/xacml/attribute/role" Issuer="/atlas"', 'AttributeId="http://dci-sec.org/xacml/attribute/role"');
    const q = decodeXacmlQuery(body);
    expect(q.ok && q.value.request.defects.map((d) => d.code)).toEqual([ErrorCodes.REQUEST_AMBIGUOUS_SUBJECT]);
  });

  it('two queries in one SOAP Body: a Client fault, for both protocols', () => {
    const xacml = aliceQuery().replace(/(<xacml-samlp:XACMLAuthzDecisionQuery[\s\S]*<\/xacml-samlp:XACMLAuthzDecisionQuery>)/, '$1$1');
    const x = decodeXacmlQuery(xacml);
    expect(x.ok ? undefined : x.error.code).toBe(ProtocolErrorCodes.PROTO_QUERY_AMBIGUOUS);
    const prima = capture.osgPrima().replace(/(<SAMLRequest[\s\S]*<\/SAMLRequest>)/, '$1$1');
    const p = decodePrimaRequest(prima);
    expect(p.ok ? undefined : p.error.code).toBe(ProtocolErrorCodes.PROTO_QUERY_AMBIGUOUS);
  });

  it('PRIMA: two requests in the wrapper, two NameIdentifiers in the Subject', () => {
    const twoRequests = capture.osgPrima().replace(/(<samlp:Request[\s\S]*<\/samlp:Request>)/, '$1$1');
    const r = decodePrimaRequest(twoRequests);
    expect(r.ok ? undefined : r.error.code).toBe(ProtocolErrorCodes.PROTO_QUERY_AMBIGUOUS);
    const twoNames = capture.osgPrima().replace(
      /(<NameIdentifier [^>]*>\/DC=org\/DC=example\/OU=People\/CN=Alice Atlas<\/NameIdentifier>)/,
      '$1<NameIdentifier xmlns="urn:oasis:names:tc:SAML:1.0:assertion">/DC=org/DC=example/OU=People/CN=Bob</NameIdentifier>',
    );
    const n = decodePrimaRequest(twoNames);
    expect(n.ok ? undefined : n.error.code).toBe(ProtocolErrorCodes.PROTO_QUERY_AMBIGUOUS);
  });
});

describe('NUL and C0 control characters are refused (XML 1.0 Char), literally and as character references', () => {
  const codeOf = (body: string): string | undefined => {
    const r = decodeXacmlQuery(body);
    return r.ok ? undefined : r.error.code;
  };
  const primaCodeOf = (body: string): string | undefined => {
    const r = decodePrimaRequest(body);
    return r.ok ? undefined : r.error.code;
  };
  const dn = 'CN=Alice Atlas, OU=People, DC=example, DC=org';

  it.each(['\u0000', '&#0;', '&#x0;', '&#1;', '&#x1F;', '&#x000b;', '\u0007', '\u001b'])('%j inside the subject DN', (c) => {
    expect(codeOf(capture.arcEmi().replace(dn, `CN=Alice Atlas${c}, OU=People, DC=example, DC=org`))).toBe(ProtocolErrorCodes.PROTO_XML_CONTROL_CHAR);
    expect(primaCodeOf(capture.osgPrima().replace('/DC=org/DC=example/OU=People/CN=Alice Atlas</NameIdentifier>', `/DC=org/DC=example/OU=People/CN=Alice${c}</NameIdentifier>`))).toBe(
      ProtocolErrorCodes.PROTO_XML_CONTROL_CHAR,
    );
  });

  it('inside an attribute value (the role Issuer)', () => {
    expect(codeOf(capture.arcEmi().replace('Issuer="/atlas"', 'Issuer="/atlas&#0;"'))).toBe(ProtocolErrorCodes.PROTO_XML_CONTROL_CHAR);
  });

  it('tab, LF and CR (also as references) stay legal', () => {
    expect(codeOf(capture.arcEmi().replace(dn, `${dn}&#9;&#10;&#13;&#x9;`))).toBeUndefined();
  });
});
