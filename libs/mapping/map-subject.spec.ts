import { Dn, Fqan } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import { compileMappingConfig, type MappingConfig } from './config/mapping-config';
import { InMemoryLeaseStore } from './lease/in-memory-lease-store';
import { mapSubject } from './map-subject';
import { ARGUS_SETTINGS, LCMAPS_SETTINGS, type MappingSettings } from './rule/mapping-rule';

const config: MappingConfig = {
  pools: [
    { id: 'dteam', kind: 'user', members: { kind: 'range', prefix: 'dteam', count: 1, firstUid: 7001, width: 3, gid: 5003 } },
    { id: 'cms', kind: 'user', members: { kind: 'range', prefix: 'cms', count: 2, firstUid: 7101, width: 3, gid: 5004 } },
  ],
  groups: [
    { name: 'dteam', gid: 5003 },
    { name: 'cms', gid: 5004 },
  ],
  rules: [
    { id: 'bob', subject: { kind: 'dn', pattern: '/DC=org/CN=Bob' }, account: { kind: 'pool', poolId: 'cms' } },
    { id: 'dteam', subject: { kind: 'fqan', pattern: '/dteam/*' }, account: { kind: 'pool', poolId: 'dteam' } },
    { id: 'cms-acct', subject: { kind: 'fqan', pattern: '/cms/*' }, account: { kind: 'pool', poolId: 'cms' } },
    { id: 'dteam-grp', subject: { kind: 'fqan', pattern: '/dteam/*' }, groups: ['dteam'] },
  ],
  pilotRoles: [],
  payloadCallers: [],
};

function setup(settings: MappingSettings) {
  const c = compileMappingConfig(config, settings);
  if (!c.ok) throw new Error(c.error.detail);
  return { config: c.value, leases: new InMemoryLeaseStore([...c.value.pools.values()]) };
}

const now = new Date('2026-01-01T00:00:00Z');
const subject = (dn: string, ...fqans: string[]) => ({ dn: Dn.fromSlash(dn), fqans: fqans.map((f) => Fqan.parse(f)) });

describe('mapSubject', () => {
  it('returns MAPPING_POOL_EXHAUSTED once the pool is full, and the holder keeps its account', async () => {
    const s = setup(ARGUS_SETTINGS);
    const first = await mapSubject(s.leases, s.config, subject('/DC=org/CN=One', '/dteam'), now);
    expect(first.ok && [first.value.account.username, first.value.leaseCreated]).toEqual(['dteam001', true]);
    const second = await mapSubject(s.leases, s.config, subject('/DC=org/CN=Two', '/dteam'), now);
    expect(!second.ok && second.error.code).toBe('MAPPING_POOL_EXHAUSTED');
    const again = await mapSubject(s.leases, s.config, subject('/DC=org/CN=One', '/dteam'), now);
    expect(again.ok && [again.value.account.username, again.value.leaseCreated]).toEqual(['dteam001', false]);
  });

  it('LCMAPS: without a group for the primary FQAN the VOMS policy fails and the DN policy maps', async () => {
    const s = setup(LCMAPS_SETTINGS);
    const r = await mapSubject(s.leases, s.config, subject('/DC=org/CN=Bob', '/cms/Role=NULL/Capability=NULL'), now);
    expect(r.ok && r.value.plan.ruleId).toBe('bob');
    expect(r.ok && r.value.plan.target).toEqual({ kind: 'pool', poolId: 'cms', subjectKey: '%2fdc%3dorg%2fcn%3dbob' });
    expect(r.ok && r.value.account).toMatchObject({ username: 'cms001', gid: 5004, secondaryGids: [5004] });
    const nobody = await mapSubject(s.leases, s.config, subject('/DC=org/CN=Carol', '/cms/Role=NULL/Capability=NULL'), now);
    expect(!nobody.ok && nobody.error.code).toBe('MAPPING_NO_PRIMARY_GROUP');
  });

  it('LCMAPS with DN precedence tries the DN rules first', async () => {
    const s = setup({ ...LCMAPS_SETTINGS, accountPrecedence: 'dn' });
    const r = await mapSubject(s.leases, s.config, subject('/DC=org/CN=Bob', '/dteam/Role=NULL/Capability=NULL'), now);
    expect(r.ok && r.value.plan.ruleId).toBe('bob');
  });

  it('fails with MAPPING_NO_MATCH and leases nothing when no rule applies', async () => {
    const s = setup(ARGUS_SETTINGS);
    const r = await mapSubject(s.leases, s.config, subject('/DC=org/CN=Eve', '/lhcb'), now);
    expect(!r.ok && r.error.code).toBe('MAPPING_NO_MATCH');
    expect(await s.leases.list()).toEqual([]);
  });

  it('a key leased in another pool fails by default and moves with leaseInOtherPool=move', async () => {
    const bobToDteam = { ...config, rules: [{ id: 'bob2', subject: { kind: 'dn' as const, pattern: '/DC=org/CN=Bob' }, account: { kind: 'pool' as const, poolId: 'dteam' } }] };
    for (const mode of ['fail', 'move', 'allow'] as const) {
      const settings = { ...ARGUS_SETTINGS, leaseInOtherPool: mode };
      const s = setup(settings);
      const bob = subject('/DC=org/CN=Bob');
      expect((await mapSubject(s.leases, s.config, bob, now)).ok).toBe(true);
      const edited = compileMappingConfig(bobToDteam, settings);
      if (!edited.ok) throw new Error(edited.error.detail);
      const r = await mapSubject(s.leases, edited.value, bob, now);
      const held = (await s.leases.list()).map((l) => `${l.poolId}/${l.username}`);
      if (mode === 'fail') {
        expect(!r.ok && r.error.code).toBe('MAPPING_LEASE_CONFLICT');
        expect(held).toEqual(['cms/cms001']);
      } else {
        expect(r.ok && r.value.account.username).toBe('dteam001');
        expect(held).toEqual(mode === 'move' ? ['dteam/dteam001'] : ['cms/cms001', 'dteam/dteam001']);
      }
    }
  });
});
