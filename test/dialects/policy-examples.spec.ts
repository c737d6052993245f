/**
 * Each policy in policies/examples, run against requests decoded from real-shaped XML of every dialect it targets
 * (the captures of ARC, the OSG Java clients and PEPd with values replaced), through decode and the Decider: the
 * attributes the policy names must be filled by the pipeline, not only by a test feeding the evaluator.
 */
import { describe, expect, it } from 'vitest';
import { Dn } from '@gridauthz/domain';
import type { MappingConfig } from '@gridauthz/mapping';
import { fixturePki } from '../support/fixtures';
import { ARC_CE, capture, chainPem, policyFile, site, withAdded, withValues, without } from './real-clients';

const DCI = 'http://dci-sec.org/xacml/attribute';
const GLITE = 'http://glite.org/xacml/attribute';
const AI = 'http://authz-interop.org/xacml/subject';
const KEY_INFO = 'urn:oasis:names:tc:xacml:1.0:subject:key-info';
const SUBJECT_ID = 'urn:oasis:names:tc:xacml:1.0:subject:subject-id';
const RESOURCE_ID = 'urn:oasis:names:tc:xacml:1.0:resource:resource-id';
const ACTION_ID = 'urn:oasis:names:tc:xacml:1.0:action:action-id';
const PEPD = Dn.parse('CN=argus.example.org,OU=hosts,DC=example,DC=org');

/** Accounts for the VOs and people these examples name (the dev site maps only atlas and dteam). */
const EXTRA_RULES: MappingConfig['rules'] = [
  { id: 'test:cms-production', subject: { kind: 'fqan', pattern: '/cms/Role=production' }, account: { kind: 'pool', poolId: 'dteam' } },
  { id: 'test:cms', subject: { kind: 'fqan', pattern: '/cms' }, account: { kind: 'pool', poolId: 'dteam' } },
  { id: 'test:ops', subject: { kind: 'fqan', pattern: '/ops' }, account: { kind: 'pool', poolId: 'dteam' } },
  { id: 'test:admin', subject: { kind: 'dn', pattern: '/DC=org/DC=example/CN=Site Admin' }, account: { kind: 'pool', poolId: 'dteam' } },
  { id: 'test:jane', subject: { kind: 'dn', pattern: '/DC=org/DC=example/OU=People/CN=Jane Doe 1234' }, account: { kind: 'pool', poolId: 'dteam' } },
];

/** The policy line that decided, from the reason `policy:<id>#<rule>@<source>:<line>`. */
const lineOf = (reasons: readonly string[]): number | undefined => {
  const reason = reasons.find((r) => r.startsWith('policy:'));
  return reason === undefined ? undefined : Number(/:(\d+)$/.exec(reason)?.[1]);
};

/** ARC's emi capture for another subject: VOMS parts as ARC splits them (primary group and role apart). */
function arcEmi(o: { dn?: string; vo: string; groups: string[]; roles?: { group: string; role: string }[]; primaryRole?: string; resource: string; action: string; issuer?: string }): string {
  let xml = capture.arcEmi();
  if (o.dn !== undefined) xml = withValues(xml, SUBJECT_ID, [o.dn]);
  if (o.issuer !== undefined) xml = withValues(xml, `${DCI}/subject-issuer`, [o.issuer]);
  xml = withValues(xml, `${DCI}/virtual-organization`, [o.vo]);
  xml = withValues(xml, `${DCI}/group`, o.groups);
  xml = withValues(xml, `${DCI}/group/primary`, [o.groups[0] ?? '']);
  xml = without(without(xml, `${DCI}/role`), `${DCI}/role/primary`);
  xml = withAdded(xml, 'Subject', [
    ...(o.roles ?? []).map((r) => ({ id: `${DCI}/role`, values: [r.role], issuer: r.group })),
    ...(o.primaryRole === undefined ? [] : [{ id: `${DCI}/role/primary`, values: [o.primaryRole], issuer: o.groups[0] ?? '' }]),
  ]);
  return withValues(withValues(xml, RESOURCE_ID, [o.resource]), ACTION_ID, [o.action]);
}

describe('policies/examples/emi-profile.spl over ARC emi queries', () => {
  const policy = policyFile('examples/emi-profile.spl');
  const resource = 'http://dci-sec.org/xacml/resource/ce01';
  const execute = 'http://dci-sec.org/xacml/action/execute';

  it('an atlas member with primary group /atlas is mapped (line 11)', async () => {
    const s = await site(policy, { extraRules: EXTRA_RULES });
    const { result } = await s.xacml(arcEmi({ vo: 'atlas', groups: ['/atlas', '/atlas/production'], resource, action: execute }), ARC_CE);
    expect(result.decision, result.statusMessage).toBe('Permit');
    expect(lineOf(result.reasons)).toBe(11);
    expect(result.account?.username).toMatch(/^atlas\d{3}$/);
  });

  it('the pilot role of the capture is denied before any permit (line 10)', async () => {
    const s = await site(policy, { extraRules: EXTRA_RULES });
    const body = withValues(withValues(capture.arcEmi(), RESOURCE_ID, [resource]), ACTION_ID, [execute]);
    const { result } = await s.xacml(body, ARC_CE);
    expect(result.decision).toBe('Deny');
    expect(lineOf(result.reasons)).toBe(10);
  });

  it('cms needs the production role (line 12); without it NotApplicable', async () => {
    const s = await site(policy, { extraRules: EXTRA_RULES });
    const production = await s.xacml(arcEmi({ vo: 'cms', groups: ['/cms'], roles: [{ group: '/cms', role: 'production' }], primaryRole: 'production', resource, action: execute }), ARC_CE);
    expect(production.result.decision, production.result.statusMessage).toBe('Permit');
    expect(lineOf(production.result.reasons)).toBe(12);
    const plain = await s.xacml(arcEmi({ vo: 'cms', groups: ['/cms'], resource, action: execute }), ARC_CE);
    expect(plain.result.decision).toBe('NotApplicable');
  });

  it('ops with an accepted IGTF profile (line 16), as a trusted asserter sends it; an unlisted profile is NotApplicable', async () => {
    const s = await site(policy, { extraRules: EXTRA_RULES });
    const ops = (profile: string): string =>
      withAdded(arcEmi({ vo: 'ops', groups: ['/ops'], resource, action: 'http://dci-sec.org/xacml/action/submit' }), 'Subject', [{ id: `${DCI}/x509-authn-profile`, values: [profile] }]);
    const mics = await s.xacml(ops('http://www.igtf.net/ap/mics'), ARC_CE);
    expect(mics.result.decision, mics.result.statusMessage).toBe('Permit');
    expect(lineOf(mics.result.reasons)).toBe(16);
    expect((await s.xacml(ops('http://www.igtf.net/ap/iota'), ARC_CE)).result.decision).toBe('NotApplicable');
  });

  it('the private debug action for the site admin (line 19)', async () => {
    const s = await site(policy, { extraRules: EXTRA_RULES });
    const body = arcEmi({ dn: 'CN=Site Admin,DC=example,DC=org', vo: 'dteam', groups: ['/dteam'], resource, action: 'http://dci-sec.org/xacml/action/debug' });
    const { result } = await s.xacml(body, ARC_CE);
    expect(result.decision, result.statusMessage).toBe('Permit');
    expect(lineOf(result.reasons)).toBe(19);
  });
});

describe('policies/examples/oidc-tokens.spl over Argus PEPd grid-ce queries carrying token claims', () => {
  const policy = policyFile('examples/oidc-tokens.spl');
  /** PEPd's query (§11b) as its OIDC PIP completes it: no chain, the token's claims as oidc-* attributes. */
  const tokenQuery = (claims: Record<string, string[]>): string => {
    let xml = without(capture.pepdGridWn(), KEY_INFO);
    for (const id of ['virtual-organization', 'fqan', 'fqan/primary']) xml = without(xml, `${GLITE}/${id}`);
    xml = withValues(xml, `${GLITE}/profile-id`, ['http://glite.org/xacml/profile/grid-ce/1.0']);
    xml = withValues(withValues(xml, RESOURCE_ID, ['https://ce01.example.org/cream']), ACTION_ID, ['http://glite.org/xacml/action/ce/job/submit']);
    return withAdded(xml, 'Subject', Object.entries(claims).map(([name, values]) => ({ id: `${GLITE}/oidc-${name}`, values })));
  };

  it('WLCG pilots by issuer and group (line 8), IAM by scope and client (line 12), the banned token subject (line 6)', async () => {
    const s = await site(policy, { extraRules: EXTRA_RULES, ce: PEPD });
    const pilots = await s.xacml(tokenQuery({ issuer: ['https://wlcg.cloud.cnaf.infn.it/'], group: ['/wlcg', '/wlcg/pilots'] }), PEPD);
    expect(pilots.result.decision, pilots.result.statusMessage).toBe('Permit');
    expect(lineOf(pilots.result.reasons)).toBe(8);
    const iam = await s.xacml(tokenQuery({ issuer: ['https://iam.example.org/'], scope: ['openid', 'compute.create'], 'client-id': ['ce-submit-client'] }), PEPD);
    expect(iam.result.decision, iam.result.statusMessage).toBe('Permit');
    expect(lineOf(iam.result.reasons)).toBe(12);
    const banned = await s.xacml(tokenQuery({ subject: ['a1b2c3d4-0000-4000-8000-00000000dead'], issuer: ['https://wlcg.cloud.cnaf.infn.it/'], group: ['/wlcg/pilots'] }), PEPD);
    expect(banned.result.decision).toBe('Deny');
    expect(lineOf(banned.result.reasons)).toBe(6);
    const noClient = await s.xacml(tokenQuery({ issuer: ['https://iam.example.org/'], scope: ['compute.create'] }), PEPD);
    expect(noClient.result.decision).toBe('NotApplicable');
  });

  it('claims are not believed from a caller that only proves its own chain (a pilot cannot assert token claims)', async () => {
    const s = await site(policy, { extraRules: EXTRA_RULES, ce: PEPD });
    const pilot = Dn.parse(fixturePki().users['pilot']?.subject ?? '');
    const alice = Dn.parse(fixturePki().users['alice']?.subject ?? '');
    let body = withAdded(tokenQuery({ issuer: ['https://wlcg.cloud.cnaf.infn.it/'], group: ['/wlcg/pilots'] }), 'Subject', [{ id: KEY_INFO, values: [chainPem('alice-voms')] }]);
    body = withValues(body, SUBJECT_ID, [alice.toRfc2253()]);
    body = without(body, `${GLITE}/x509-subject-issuer`);
    const { result } = await s.xacml(body, pilot);
    expect(result.decision, result.statusMessage).toBe('NotApplicable');
  });
});

describe('policies/examples/central-bans.spl over every dialect', () => {
  const policy = policyFile('examples/central-bans.spl');

  it('authz-interop (OSG Java): the stolen pilot robot by its slash DN (line 10)', async () => {
    const s = await site(policy);
    const body = withValues(capture.osgAuthzInterop(), `${AI}/subject-x509-id`, ['/DC=org/DC=example/CN=Robot: Stolen Pilot']);
    const { result } = await s.xacml(body, ARC_CE);
    expect(result.decision).toBe('Deny');
    expect(lineOf(result.reasons)).toBe(10);
  });

  it('emi (ARC): a rogue CA named as dci-sec subject-issuer (line 15), a banned primary VO (line 12)', async () => {
    const s = await site(policy);
    const rogue = await s.xacml(withValues(capture.arcEmi(), `${DCI}/subject-issuer`, ['CN=Rogue Issuing CA,O=Rogue,C=XX']), ARC_CE);
    expect(rogue.result.decision).toBe('Deny');
    expect(lineOf(rogue.result.reasons)).toBe(15);
    const badvo = arcEmi({ vo: 'badvo', groups: ['/badvo'], resource: 'http://127.0.0.1:18444/Echo', action: 'http://dci-sec.org/xacml/action/ANY' });
    const banned = await s.xacml(badvo, ARC_CE);
    expect(banned.result.decision).toBe('Deny');
    expect(lineOf(banned.result.reasons)).toBe(12);
    // Not banned: falls through to the next policy source.
    expect((await s.xacml(capture.arcEmi(), ARC_CE)).result.decision).toBe('NotApplicable');
  });

  it('grid-wn (PEPd): a compromised role anywhere in the FQAN list (line 14)', async () => {
    const s = await site(policy, { ce: PEPD });
    const body = withValues(without(capture.pepdGridWn(), KEY_INFO), `${GLITE}/fqan`, ['/atlas/Role=production', '/atlas', '/atlas/Role=compromised']);
    const { result } = await s.xacml(body, PEPD);
    expect(result.decision).toBe('Deny');
    expect(lineOf(result.reasons)).toBe(14);
  });

  it('PRIMA (GUMS client): the compromised user by DN (line 9)', async () => {
    const s = await site(policy, { ce: Dn.parse('/DC=org/DC=example/OU=hosts/CN=ce.example.org') });
    const body = capture.osgPrima().replaceAll('/DC=org/DC=example/OU=People/CN=Alice Atlas', '/DC=example/DC=ch/OU=Users/CN=Compromised User 1234');
    const { result } = await s.prima(body, ARC_CE);
    expect(result.decision).toBe('Deny');
    expect(lineOf(result.reasons)).toBe(9);
  });
});

describe('policies/examples/storage.spl over the OSG Java authz-interop query (dCache gPlazma)', () => {
  const policy = policyFile('examples/storage.spl');
  const se = (action: string, primary: string): string =>
    withValues(withValues(withValues(capture.osgAuthzInterop(), RESOURCE_ID, ['https://se01.example.org:8443/pnfs/example.org/data']), 'urn:oasis:names:tc:xacml:1.0:action:action-id', [action]), `${AI}/voms-primary-fqan`, [primary]);

  it('reads by an atlas member (line 8); writes only by production (line 14), else the catch-all deny (line 20)', async () => {
    const s = await site(policy);
    const read = await s.xacml(se('read', '/atlas/Role=NULL/Capability=NULL'), ARC_CE);
    expect(read.result.decision, read.result.statusMessage).toBe('Permit');
    expect(lineOf(read.result.reasons)).toBe(8);
    const write = await s.xacml(se('write', '/atlas/Role=NULL/Capability=NULL'), ARC_CE);
    expect(write.result.decision).toBe('Deny');
    expect(lineOf(write.result.reasons)).toBe(20);
    const production = await s.xacml(withValues(se('write', '/atlas/Role=production/Capability=NULL'), `${AI}/voms-fqan`, ['/atlas/Role=production/Capability=NULL']), ARC_CE);
    expect(production.result.decision, production.result.statusMessage).toBe('Permit');
    expect(lineOf(production.result.reasons)).toBe(14);
  });
});
