import { describe, expect, it } from 'vitest';
import { Dn, Fqan, type AuthzRequest } from '@gridauthz/domain';
import { policyRequest } from './decide';
import type { VerifiedSubject } from './ports';

// Expected names and values from policy-language.md §4 (the attribute table) and docs/dialects.md.
const subject: VerifiedSubject = {
  dn: Dn.parse('/DC=org/DC=example/CN=Alice'),
  issuerDn: Dn.parse('/DC=org/DC=example/CN=Example CA'),
  issuerDns: [Dn.parse('/DC=org/DC=example/CN=Example CA'), Dn.parse('/DC=org/CN=Root CA')],
  fqans: ['/atlas/Role=pilot', '/atlas', '/atlas/production', '/atlas/production/Role=prod'].map((f) => Fqan.parse(f)),
  primaryFqan: Fqan.parse('/atlas/Role=pilot'),
  vos: ['atlas'],
  limited: false,
  droppedAttributes: [],
};

function request(extra: Partial<AuthzRequest> = {}): AuthzRequest {
  return {
    dialect: 'emi',
    caller: { dn: Dn.parse('/DC=org/DC=example/CN=ce.example.org'), viaProxy: false },
    subject: {
      attributes: {
        'http://dci-sec.org/xacml/attribute/x509-authn-profile': ['http://www.igtf.net/ap/classic'],
        'http://glite.org/xacml/attribute/x509-authn-profile': ['http://www.igtf.net/ap/classic'],
        'http://glite.org/xacml/attribute/oidc-issuer': ['https://iam.example.org/'],
        'http://glite.org/xacml/attribute/oidc-group': ['/wlcg', '/wlcg/pilots'],
        // Not caller-known: never copied from the request, whoever sends it.
        'http://dci-sec.org/xacml/attribute/group': ['/forged'],
      },
    },
    resource: 'https://ce.example.org:443/arex',
    action: 'http://dci-sec.org/xacml/action/ANY',
    hostDn: Dn.parse('/DC=org/DC=example/CN=ce.example.org'),
    // What the EMI codec sets from resource-owner (docs/dialects.md).
    resourceAttributes: { 'emi-resource-owner': ['CN=ce.example.org,DC=example,DC=org'] },
    obligationsSupported: [],
    environment: {},
    defects: [],
    ...extra,
  };
}

describe('policyRequest: every SPL attribute filled as Argus PIPs fill it', () => {
  it('derives the EMI names from the verified subject, primary FQAN first', () => {
    const p = policyRequest(request(), subject, false);
    expect(p.subject.primaryFqan?.toShort()).toBe('/atlas/Role=pilot');
    expect(p.attributes).toMatchObject({
      'emi-vo': ['atlas'],
      'emi-group': ['/atlas', '/atlas/production'],
      'emi-role': ['pilot', 'prod'],
      'emi-primary-group': ['/atlas'],
      'emi-primary-role': ['pilot'],
      'emi-subject-issuer': ['CN=Example CA,DC=example,DC=org', 'CN=Root CA,DC=org'],
      'emi-x509-subject-issuer': ['CN=Example CA,DC=example,DC=org'],
      'x509-subject-issuer': ['CN=Example CA,DC=example,DC=org'],
      'emi-resource-owner': ['CN=ce.example.org,DC=example,DC=org'],
    });
  });

  it('a primary FQAN without a role has no emi-primary-role', () => {
    const p = policyRequest(request(), { ...subject, primaryFqan: Fqan.parse('/atlas'), fqans: [Fqan.parse('/atlas')] }, false);
    expect(p.attributes?.['emi-primary-group']).toEqual(['/atlas']);
    expect(p.attributes?.['emi-primary-role']).toBeUndefined();
    expect(p.attributes?.['emi-role']).toBeUndefined();
  });

  it('reads authentication profile and token claims from the request only when the caller is believed', () => {
    const believed = policyRequest(request(), subject, true).attributes;
    expect(believed?.['emi-x509-authn-profile']).toEqual(['http://www.igtf.net/ap/classic']);
    expect(believed?.['x509-authn-profile']).toEqual(['http://www.igtf.net/ap/classic']);
    expect(believed?.['oidc-issuer']).toEqual(['https://iam.example.org/']);
    expect(believed?.['oidc-group']).toEqual(['/wlcg', '/wlcg/pilots']);
    expect(believed?.['emi-group']).toEqual(['/atlas', '/atlas/production']);
    const doubted = policyRequest(request(), subject, false).attributes;
    for (const name of ['emi-x509-authn-profile', 'x509-authn-profile', 'oidc-issuer', 'oidc-group']) expect(doubted?.[name]).toBeUndefined();
  });

  it('emi-resource-owner only where the codec carried it (EMI requests; it is the dci-sec attribute)', () => {
    const { resourceAttributes: _emiOnly, ...authzInterop } = request({ dialect: 'authz-interop' });
    expect(policyRequest(authzInterop, subject, false).attributes?.['emi-resource-owner']).toBeUndefined();
  });

  it("adds the attributes the credential itself established (a token's oidc-*), with no DN for a token subject", () => {
    const token: VerifiedSubject = { token: { issuer: 'https://iam.example.org/', subject: 'u1' }, issuerDns: [], fqans: [], vos: [], limited: false, droppedAttributes: [], attributes: { 'oidc-issuer': ['https://iam.example.org/'], 'oidc-group': ['/wlcg/pilots', '/cms'] } };
    const alone = policyRequest(request({ subject: {} }), token, true);
    expect(alone.subject.dn).toBeUndefined();
    expect(alone.attributes?.['oidc-issuer']).toEqual(['https://iam.example.org/']);
    // A trusted caller's oidc-* word adds nothing to a token's verified claims: no group the token lacks.
    expect(policyRequest(request(), token, true).attributes?.['oidc-group']).toEqual(['/wlcg/pilots', '/cms']);
    expect(policyRequest(request(), token, false).attributes?.['oidc-group']).toEqual(['/wlcg/pilots', '/cms']);
  });
});
