import { Dn, Fqan } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import { findBan, checkBanDraft, type BanDraft } from '../ban/ban';
import { compileMappingConfig, type MappingConfig } from '../config/mapping-config';
import { InMemoryLeaseStore } from '../lease/in-memory-lease-store';
import { buildSubjectKey, buildTokenSubjectKey } from '../lease/lease-name';
import { mapSubject } from '../map-subject';
import { ARGUS_SETTINGS, LCMAPS_SETTINGS, type MappingSettings } from '../rule/mapping-rule';

// Token mapping as docs/mapping-tokens.md describes it: issuer+subject → static account, issuer+group → pool with
// the group's unix group as the primary group, leases keyed by the (issuer, subject) pair.
const ATLAS = 'https://atlas-auth.web.cern.ch/';
const CMS = 'https://cms-auth.web.cern.ch/';
const ALICE_DN = '/DC=ch/DC=cern/OU=Users/CN=alice';

const config: MappingConfig = {
  pools: [
    { id: 'atlas', kind: 'user', members: { kind: 'range', prefix: 'atlas', count: 3, firstUid: 8001, width: 3, gid: 6001 } },
    { id: 'ops', kind: 'static', members: { kind: 'list', accounts: [{ username: 'opsadm', uid: 9000, gid: 6009 }] } },
  ],
  groups: [
    { name: 'atlas', gid: 6001 },
    { name: 'atlasprd', gid: 6002 },
    { name: 'ops', gid: 6009 },
  ],
  rules: [
    { id: 'ops-robot', subject: { kind: 'token', issuer: ATLAS, pattern: 'robot-1' }, account: { kind: 'static', username: 'opsadm' } },
    { id: 'atlas-tok', subject: { kind: 'token-group', issuer: ATLAS, pattern: '/atlas' }, account: { kind: 'pool', poolId: 'atlas' }, groups: ['atlas'] },
    { id: 'atlas-prd', subject: { kind: 'token-group', issuer: ATLAS, pattern: '/atlas/production' }, groups: ['atlasprd'] },
    { id: 'alice-dn', subject: { kind: 'dn', pattern: ALICE_DN }, account: { kind: 'pool', poolId: 'atlas' } },
    { id: 'atlas-fqan', subject: { kind: 'fqan', pattern: '/atlas' }, account: { kind: 'pool', poolId: 'atlas' }, groups: ['atlas'] },
  ],
  pilotRoles: [],
  payloadCallers: [],
};

function setup(settings: MappingSettings = ARGUS_SETTINGS) {
  const c = compileMappingConfig(config, settings);
  if (!c.ok) throw new Error(c.error.detail);
  return { config: c.value, leases: new InMemoryLeaseStore([...c.value.pools.values()]) };
}

const now = new Date('2026-01-01T00:00:00Z');
const tok = (issuer: string, subject: string, ...groups: string[]) => ({ fqans: [], token: { issuer, subject }, groups });

describe('token mapping rules', () => {
  it.each([
    ['argus', ARGUS_SETTINGS],
    ['lcmaps', LCMAPS_SETTINGS],
  ] as const)('%s: issuer+group maps to the pool with the group as primary group, the same account on repeat', async (_name, settings) => {
    const s = setup(settings);
    const first = await mapSubject(s.leases, s.config, tok(ATLAS, 'u-1', '/atlas', '/atlas/production'), now);
    expect(first.ok && first.value.account).toMatchObject({ username: 'atlas001', gid: 6001, secondaryGids: [6002] });
    const other = await mapSubject(s.leases, s.config, tok(ATLAS, 'u-2', '/atlas'), now);
    expect(other.ok && other.value.account.username).toBe('atlas002');
    const again = await mapSubject(s.leases, s.config, tok(ATLAS, 'u-1', '/atlas', '/atlas/production'), now);
    expect(again.ok && [again.value.account.username, again.value.leaseCreated]).toEqual(['atlas001', false]);
  });

  it('issuer+subject maps to the static account before any group rule', async () => {
    const s = setup();
    const r = await mapSubject(s.leases, s.config, tok(ATLAS, 'robot-1', '/atlas'), now);
    expect(r.ok && [r.value.plan.ruleId, r.value.account.username]).toEqual(['ops-robot', 'opsadm']);
  });

  it('an issuer rule (HTCondor-CE SCITOKENS /^iss,/ user) maps every token of its issuer, after exact subject rules', async () => {
    const c = compileMappingConfig(
      {
        ...config,
        rules: [
          { id: 'robot', subject: { kind: 'token', issuer: CMS, pattern: 'robot-1' }, account: { kind: 'static', username: 'opsadm' } },
          { id: 'cms-all', subject: { kind: 'issuer', pattern: CMS }, account: { kind: 'pool', poolId: 'atlas' } },
        ],
      },
      ARGUS_SETTINGS,
    );
    if (!c.ok) throw new Error(c.error.detail);
    const s = setup();
    const any = await mapSubject(s.leases, c.value, tok(CMS, 'whoever'), now);
    const robot = await mapSubject(s.leases, c.value, tok(CMS, 'robot-1'), now);
    const other = await mapSubject(s.leases, c.value, tok(ATLAS, 'whoever'), now);
    expect([any.ok && any.value.plan.ruleId, robot.ok && robot.value.plan.ruleId, !other.ok && other.error.code]).toEqual(['cms-all', 'robot', 'MAPPING_NO_MATCH']);
  });

  it('the same subject or group from another issuer matches nothing', async () => {
    const s = setup();
    const r1 = await mapSubject(s.leases, s.config, tok(CMS, 'robot-1'), now);
    const r2 = await mapSubject(s.leases, s.config, tok(CMS, 'u-1', '/atlas'), now);
    expect([!r1.ok && r1.error.code, !r2.ok && r2.error.code]).toEqual(['MAPPING_NO_MATCH', 'MAPPING_NO_MATCH']);
  });

  it('a token group is not an FQAN: /atlas FQAN rules do not map a token, /atlas token rules do not map a proxy', async () => {
    const noTokenRules = compileMappingConfig({ ...config, rules: config.rules.filter((r) => r.subject.kind === 'fqan') }, ARGUS_SETTINGS);
    if (!noTokenRules.ok) throw new Error(noTokenRules.error.detail);
    const s = setup();
    const r = await mapSubject(s.leases, noTokenRules.value, tok(ATLAS, 'u-1', '/atlas'), now);
    expect(!r.ok && r.error.code).toBe('MAPPING_NO_MATCH');
    const onlyTokenRules = compileMappingConfig({ ...config, rules: config.rules.filter((x) => x.subject.kind.startsWith('token')) }, ARGUS_SETTINGS);
    if (!onlyTokenRules.ok) throw new Error(onlyTokenRules.error.detail);
    const p = await mapSubject(s.leases, onlyTokenRules.value, { dn: Dn.fromSlash('/DC=org/CN=Bob'), fqans: [Fqan.parse('/atlas')] }, now);
    expect(!p.ok && p.error.code).toBe('MAPPING_NO_MATCH');
  });

  it('a token identity linked to a DN gets the DN\'s account (one person, one account)', async () => {
    const s = setup();
    const byDn = await mapSubject(s.leases, s.config, { dn: Dn.fromSlash(ALICE_DN), fqans: [] }, now);
    const linked = await mapSubject(s.leases, s.config, { dn: Dn.fromSlash(ALICE_DN), ...tok(ATLAS, 'alice-sub') }, now);
    expect(byDn.ok && byDn.value.account.username).toBe('atlas001');
    expect(linked.ok && [linked.value.account.username, linked.value.leaseCreated]).toEqual(['atlas001', false]);
  });

  it('token patterns are checked when the configuration is compiled', () => {
    const bad = compileMappingConfig(
      {
        ...config,
        rules: [
          { id: 'no-iss', subject: { kind: 'token', pattern: 'x' }, account: { kind: 'pool', poolId: 'atlas' } },
          { id: 'bad-group', subject: { kind: 'token-group', issuer: ATLAS, pattern: 'atlas' }, account: { kind: 'pool', poolId: 'atlas' } },
          { id: 'dn-iss', subject: { kind: 'dn', issuer: ATLAS, pattern: ALICE_DN }, account: { kind: 'pool', poolId: 'atlas' } },
        ],
      },
      ARGUS_SETTINGS,
    );
    expect(!bad.ok && bad.error.problems.map((p) => p.message)).toEqual([
      'rule no-iss: a token pattern needs an issuer',
      'rule bad-group: "atlas" is not a token group (wlcg.groups entries look like /atlas or /atlas/production)',
      'rule dn-iss: a dn pattern takes no issuer',
    ]);
  });
});

describe('token lease keys (docs/identities.md, "Token identities")', () => {
  const none = { secondary: [] };
  it('keep case, encode the pair whole, and never look like a DN key', () => {
    expect(buildTokenSubjectKey({ issuer: 'https://iam.example/', subject: 'Ab:c' }, none, 'argus-all')).toBe('token:https%3A%2F%2Fiam%2Eexample%2F:Ab%3Ac');
    expect(buildTokenSubjectKey({ issuer: 'https://iam.example/', subject: 'ab:c' }, none, 'argus-all')).not.toBe(
      buildTokenSubjectKey({ issuer: 'https://iam.example/', subject: 'Ab:c' }, none, 'argus-all'),
    );
    expect(buildSubjectKey(Dn.fromSlash('/CN=x'), none, 'argus-all').startsWith('%2f')).toBe(true);
  });

  it('two issuers cannot produce one key by moving text between issuer and subject', () => {
    const a = buildTokenSubjectKey({ issuer: 'https://a', subject: 'b:c' }, none, 'dn-only');
    const b = buildTokenSubjectKey({ issuer: 'https://a:b', subject: 'c' }, none, 'dn-only');
    expect(a).not.toBe(b);
    // One subject at two issuers is two people.
    expect(buildTokenSubjectKey({ issuer: 'https://a', subject: 's' }, none, 'dn-only')).not.toBe(buildTokenSubjectKey({ issuer: 'https://b', subject: 's' }, none, 'dn-only'));
  });
});

describe('token bans', () => {
  const at = new Date('2026-01-01T00:00:00Z');
  const ban = (d: Partial<BanDraft> & Pick<BanDraft, 'kind' | 'value'>): BanDraft & { id: string } => ({ reason: 'incident', author: 'csirt', createdAt: at, id: `${d.kind}-${d.value}`, ...d });
  const subj = { fqans: [], token: { issuer: ATLAS, subject: 'u-1' }, groups: ['/atlas', '/atlas/production'] };

  it('name an issuer, an issuer+subject, or an issuer+group, exactly', () => {
    expect(findBan([ban({ kind: 'issuer', value: ATLAS })], subj, now)?.kind).toBe('issuer');
    expect(findBan([ban({ kind: 'issuer', value: CMS })], subj, now)).toBeUndefined();
    expect(findBan([ban({ kind: 'token', issuer: ATLAS, value: 'u-1' })], subj, now)?.kind).toBe('token');
    expect(findBan([ban({ kind: 'token', issuer: CMS, value: 'u-1' })], subj, now)).toBeUndefined();
    expect(findBan([ban({ kind: 'token', issuer: ATLAS, value: 'U-1' })], subj, now)).toBeUndefined();
    expect(findBan([ban({ kind: 'token-group', issuer: ATLAS, value: '/atlas/production' })], subj, now)?.kind).toBe('token-group');
    expect(findBan([ban({ kind: 'token-group', issuer: ATLAS, value: '/atlas/prod' })], subj, now)).toBeUndefined();
  });

  it('DN and CA bans name no unlinked token subject; a linked one is banned with its DN', () => {
    expect(findBan([ban({ kind: 'dn', value: '*' })], subj, now)).toBeUndefined();
    expect(findBan([ban({ kind: 'dn', value: ALICE_DN })], { ...subj, dn: Dn.fromSlash(ALICE_DN) }, now)?.kind).toBe('dn');
  });

  it('token bans need their issuer; other kinds refuse one', () => {
    expect(checkBanDraft(ban({ kind: 'token', value: 'u-1' }))).toBe('a token ban needs an issuer');
    expect(checkBanDraft(ban({ kind: 'token-group', issuer: ATLAS, value: 'atlas' }))).toMatch(/not a token group/);
    expect(checkBanDraft(ban({ kind: 'dn', issuer: ATLAS, value: ALICE_DN }))).toBe('a dn ban takes no separate issuer');
    expect(checkBanDraft(ban({ kind: 'issuer', value: ` ${ATLAS}` }))).toMatch(/white space/);
  });
});
