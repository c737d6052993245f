/**
 * mapping.md §8, worked examples W1–W10, each under the convention its column names. The rules come from the
 * fixture's grid-mapfile and groupmapfile through the importers, so parsing and evaluation are tested together.
 */
import { Dn, Fqan } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import { findBan } from './ban/ban';
import { InMemoryBanStore } from './ban/ban-store';
import { compileMappingConfig, type CompiledMappingConfig } from './config/mapping-config';
import { InMemoryLeaseStore } from './lease/in-memory-lease-store';
import { importGridMapfile, importGroupMapfile, importLcmapsBanFile } from './mapfile/map-file-import';
import { mapSubject } from './map-subject';
import type { PoolDefinition, UnixGroup } from './pool/pool';
import { ARGUS_SETTINGS, LCMAPS_SETTINGS, type MappingSettings } from './rule/mapping-rule';
import { planMapping } from './rule/plan';

const GROUPS: UnixGroup[] = [
  { name: 'atlas', gid: 5000 },
  { name: 'atlasplt', gid: 5001 },
  { name: 'atlassgm', gid: 5002 },
  { name: 'dteam', gid: 5003 },
  { name: 'cms', gid: 5004 },
  { name: 'atlasprd', gid: 5006 },
  { name: 'atlasde', gid: 5009 },
  { name: 'users', gid: 100 },
];

const range = (id: string, kind: PoolDefinition['kind'], count: number, width: number, firstUid: number, gid: number): PoolDefinition => ({
  id,
  kind,
  members: { kind: 'range', prefix: id, count, firstUid, width, gid },
});

const POOLS: PoolDefinition[] = [
  range('atlas', 'user', 5, 3, 6001, 5000),
  range('atlasplt', 'pilot', 3, 2, 6101, 5001),
  range('atlassgm', 'user', 2, 3, 6201, 5002),
  range('dteam', 'user', 3, 3, 6301, 5003),
  range('cms', 'user', 2, 3, 6401, 5004),
  range('atlasprd', 'user', 2, 3, 6501, 5006),
  { id: 'local', kind: 'static', members: { kind: 'list', accounts: [{ username: 'localuser', uid: 9000, gid: 100 }] } },
];

const GRID_MAPFILE = `"/DC=ch/DC=cern/OU=Users/CN=Static User" localuser
"/DC=org/DC=example/CN=Alice Smith" .dteam
"/atlas/Role=lcgadmin/Capability=NULL" atlassgm001
"/atlas/Role=lcgadmin" atlassgm001
"/atlas/Role=pilot/Capability=NULL" .atlasplt
"/atlas/Role=pilot" .atlasplt
"/atlas/Role=production/Capability=NULL" .atlasprd
"/atlas/Role=production" .atlasprd
"/atlas/Role=NULL/Capability=NULL" .atlas
"/atlas" .atlas
"/atlas/*" .atlas
"/dteam/*" .dteam
`;

const GROUPMAPFILE = `"/atlas/Role=lcgadmin/Capability=NULL" atlassgm
"/atlas/Role=lcgadmin" atlassgm
"/atlas/Role=pilot/Capability=NULL" atlasplt
"/atlas/Role=pilot" atlasplt
"/atlas/de/Role=NULL/Capability=NULL" atlasde
"/atlas/de" atlasde
"/atlas/Role=production/Capability=NULL" atlasprd
"/atlas/Role=production" atlasprd
"/atlas/Role=NULL/Capability=NULL" atlas
"/atlas" atlas
"/atlas/*" atlas
"/dteam/*" dteam
`;

const P = Dn.fromSlash('/DC=ch/DC=cern/OU=Users/CN=Pilot Person');
const A = Dn.fromSlash('/DC=org/DC=example/CN=Alice Smith');
const encP = '%2fdc%3dch%2fdc%3dcern%2fou%3dusers%2fcn%3dpilot%20person';
const encA = '%2fdc%3dorg%2fdc%3dexample%2fcn%3dalice%20smith';
const f = (...texts: string[]): Fqan[] => texts.map((t) => Fqan.parse(t));
const PILOT = '/atlas/Role=pilot/Capability=NULL';
const NULL_ROLE = '/atlas/Role=NULL/Capability=NULL';

const LCMAPS = LCMAPS_SETTINGS;
const LCMAPS_NOSEC: MappingSettings = { ...LCMAPS_SETTINGS, leaseKey: 'primary-only' };
const ARGUS = ARGUS_SETTINGS;

function site(settings: MappingSettings, gridMapfile = GRID_MAPFILE): { config: CompiledMappingConfig; leases: InMemoryLeaseStore } {
  const context = {
    syntax: settings.patternSyntax,
    pools: new Set(POOLS.filter((p) => p.kind !== 'static').map((p) => p.id)),
    groups: new Set(GROUPS.map((g) => g.name)),
  };
  const accounts = importGridMapfile(gridMapfile, { ...context, source: 'grid-mapfile' });
  const groups = importGroupMapfile(GROUPMAPFILE, { ...context, source: 'groupmapfile' });
  if (!accounts.ok || !groups.ok) throw new Error('fixture map files must import');
  const pilotPattern = settings.patternSyntax === 'argus' ? '/atlas/Role=pilot' : PILOT;
  const compiled = compileMappingConfig(
    { pools: POOLS, groups: GROUPS, rules: [...accounts.value.items, ...groups.value.items], pilotRoles: [{ id: 'atlas-pilot', fqanPattern: pilotPattern, poolId: 'atlasplt' }], payloadCallers: [] },
    settings,
  );
  if (!compiled.ok) throw new Error(compiled.error.detail);
  const pools = [...compiled.value.pools.values()];
  return { config: compiled.value, leases: new InMemoryLeaseStore(pools) };
}

async function map(s: ReturnType<typeof site>, dn: Dn, fqans: Fqan[]) {
  const r = await mapSubject(s.leases, s.config, { dn, fqans }, new Date('2026-01-01T00:00:00Z'));
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.detail}`);
  return r.value;
}

const poolKey = (outcome: Awaited<ReturnType<typeof map>>): string | undefined => (outcome.plan.target.kind === 'pool' ? outcome.plan.target.subjectKey : undefined);

describe('W1: Alice, no FQANs', () => {
  it('LCMAPS: free dteam, pgid dteam, sgid dteam, lease encA', async () => {
    const out = await map(site(LCMAPS), A, []);
    expect(out.plan.target).toEqual({ kind: 'pool', poolId: 'dteam', subjectKey: encA });
    expect(out.plan.ruleId).toBe('grid-mapfile:/DC=org/DC=example/CN=Alice Smith');
    expect(out.account).toMatchObject({ username: 'dteam001', gid: 5003, secondaryGids: [5003] });
  });

  it('Argus: free dteam, no group mapped, lease encA; an error with noPrimaryGroupNameIsError', async () => {
    const out = await map(site(ARGUS), A, []);
    expect(out.plan.target).toEqual({ kind: 'pool', poolId: 'dteam', subjectKey: encA });
    expect(out.plan.primaryGroup).toBeUndefined();
    expect(out.plan.secondaryGroups).toEqual([]);
    // user-id only: the account's passwd gid applies, as the client would resolve it.
    expect(out.account).toMatchObject({ username: 'dteam001', gid: 5003, secondaryGids: [] });
    const strict = site({ ...ARGUS, noPrimaryGroupIsError: true });
    const r = planMapping(strict.config, { dn: A, fqans: [] });
    expect(!r.ok && r.error.code).toBe('MAPPING_NO_PRIMARY_GROUP');
  });
});

describe('W2: pilot, /atlas/Role=pilot then /atlas', () => {
  it('LCMAPS: free atlasplt, pgid atlasplt, sgid atlas, lease encP:atlasplt:atlas; nosec encP:atlasplt', async () => {
    const out = await map(site(LCMAPS), P, f(PILOT, NULL_ROLE));
    expect(out.plan.target).toEqual({ kind: 'pool', poolId: 'atlasplt', subjectKey: `${encP}:atlasplt:atlas` });
    expect(out.account).toMatchObject({ username: 'atlasplt01', gid: 5001, secondaryGids: [5000] });
    expect(poolKey(await map(site(LCMAPS_NOSEC), P, f(PILOT, NULL_ROLE)))).toBe(`${encP}:atlasplt`);
  });

  it('Argus: free atlasplt, primary atlasplt, secondary [atlas], lease encP:atlasplt:atlas', async () => {
    const out = await map(site(ARGUS), P, f(PILOT, NULL_ROLE));
    expect(out.plan.target).toEqual({ kind: 'pool', poolId: 'atlasplt', subjectKey: `${encP}:atlasplt:atlas` });
    expect(out.plan.primaryGroup?.name).toBe('atlasplt');
    expect(out.plan.secondaryGroups.map((g) => g.name)).toEqual(['atlas']);
    expect(out.account).toMatchObject({ username: 'atlasplt01', gid: 5001, groupName: 'atlasplt', secondaryGids: [5000], secondaryGroupNames: ['atlas'] });
  });

  it('a payload mapping never lands in the pilot pool', async () => {
    const s = site(ARGUS);
    const r = await mapSubject(s.leases, s.config, { dn: P, fqans: f(PILOT, NULL_ROLE) }, new Date(), 'payload');
    expect(!r.ok && r.error.code).toBe('MAPPING_PILOT_POOL_DENIED');
    expect(await s.leases.list()).toEqual([]);
  });
});

describe('W3: /atlas, /atlas/Role=production, /atlas/de', () => {
  const fqans = f(NULL_ROLE, '/atlas/Role=production/Capability=NULL', '/atlas/de/Role=NULL/Capability=NULL');

  it('LCMAPS: free atlas, sgid atlasprd, atlasde by gid, lease encP:atlas:atlasprd:atlasde; nosec encP:atlas', async () => {
    const out = await map(site(LCMAPS), P, fqans);
    expect(out.plan.target).toEqual({ kind: 'pool', poolId: 'atlas', subjectKey: `${encP}:atlas:atlasprd:atlasde` });
    expect(out.account).toMatchObject({ username: 'atlas001', gid: 5000, secondaryGids: [5006, 5009] });
    expect(poolKey(await map(site(LCMAPS_NOSEC), P, fqans))).toBe(`${encP}:atlas`);
  });

  it('Argus: secondaries in map-file order, lease encP:atlas:atlasde:atlasprd:atlas; primary-only equals LCMAPS-nosec', async () => {
    const out = await map(site(ARGUS), P, fqans);
    expect(out.plan.target).toEqual({ kind: 'pool', poolId: 'atlas', subjectKey: `${encP}:atlas:atlasde:atlasprd:atlas` });
    expect(out.plan.secondaryGroups.map((g) => g.name)).toEqual(['atlasde', 'atlasprd', 'atlas']);
    expect(out.account).toMatchObject({ gid: 5000, secondaryGids: [5009, 5006, 5000] });
    expect(poolKey(await map(site({ ...ARGUS, leaseKey: 'primary-only' }), P, fqans))).toBe(`${encP}:atlas`);
  });
});

describe('W4: /atlas/Role=lcgadmin then /atlas', () => {
  for (const [name, settings] of [['LCMAPS', LCMAPS], ['Argus', ARGUS]] as const) {
    it(`${name}: static atlassgm001, pgid atlassgm, sgid atlas, no lease`, async () => {
      const s = site(settings);
      const out = await map(s, P, f('/atlas/Role=lcgadmin/Capability=NULL', NULL_ROLE));
      expect(out.plan.target).toEqual({ kind: 'static', username: 'atlassgm001' });
      expect(out.account).toMatchObject({ username: 'atlassgm001', uid: 6201, gid: 5002, secondaryGids: [5000] });
      expect(out.leaseCreated).toBeUndefined();
      expect(await s.leases.list()).toEqual([]);
    });
  }
});

describe('W5: /atlas/Role=hacker', () => {
  it('LCMAPS: the /atlas/* glob matches, lease encP:atlas; under nosec it shares W3s account', async () => {
    const out = await map(site(LCMAPS), P, f('/atlas/Role=hacker/Capability=NULL'));
    expect(out.plan.target).toEqual({ kind: 'pool', poolId: 'atlas', subjectKey: `${encP}:atlas` });
    expect(out.account).toMatchObject({ gid: 5000, secondaryGids: [] });
    const nosec = site(LCMAPS_NOSEC);
    const w3 = await map(nosec, P, f(NULL_ROLE, '/atlas/Role=production/Capability=NULL', '/atlas/de/Role=NULL/Capability=NULL'));
    const w5 = await map(nosec, P, f('/atlas/Role=hacker/Capability=NULL'));
    expect(w5.account.username).toBe(w3.account.username);
    expect(w5.leaseCreated).toBe(false);
  });

  it('Argus: /atlas/* is role NULL only, so nothing matches → MAPPING_NO_MATCH', () => {
    const r = planMapping(site(ARGUS).config, { dn: P, fqans: f('/atlas/Role=hacker/Capability=NULL') });
    expect(!r.ok && r.error.code).toBe('MAPPING_NO_MATCH');
  });
});

describe('W6: banned DN', () => {
  it('LCMAPS and Argus: the ban applies with or without FQANs, and its id is the reason', async () => {
    const imported = importLcmapsBanFile('"/DC=org/DC=example/CN=Mallory Banned"\n', { kind: 'dn', file: 'ban_users.db', author: 'import', now: new Date('2026-01-01T00:00:00Z') });
    if (!imported.ok) throw new Error(imported.error.detail);
    const store = new InMemoryBanStore();
    await store.upsert(imported.value.items);
    const bans = await store.listActive(new Date('2026-02-01T00:00:00Z'));
    const mallory = Dn.fromSlash('/DC=org/DC=example/CN=Mallory Banned');
    for (const fqans of [[], f(NULL_ROLE)]) {
      expect(findBan(bans, { dn: mallory, fqans }, new Date('2026-02-01T00:00:00Z'))?.id).toBe('ban-1');
    }
    expect(findBan(bans, { dn: A, fqans: [] }, new Date('2026-02-01T00:00:00Z'))).toBeUndefined();
  });
});

describe('W7: alice smith in lower case, no FQANs', () => {
  const lower = Dn.fromSlash('/dc=org/dc=example/cn=alice smith');

  it('LCMAPS: no grid-mapfile line matches (case-sensitive) → MAPPING_NO_MATCH', () => {
    const r = planMapping(site(LCMAPS).config, { dn: lower, fqans: [] });
    expect(!r.ok && r.error.code).toBe('MAPPING_NO_MATCH');
  });

  it("Argus: the DN key matches case-insensitively, lease encA, so Alice's W1 account", async () => {
    const s = site(ARGUS);
    const w1 = await map(s, A, []);
    const w7 = await map(s, lower, []);
    expect(poolKey(w7)).toBe(encA);
    expect(w7.account.username).toBe(w1.account.username);
    expect(w7.leaseCreated).toBe(false);
  });
});

describe('W8: Alice with /dteam', () => {
  for (const [name, settings] of [['LCMAPS', LCMAPS], ['Argus', ARGUS]] as const) {
    it(`${name}: lease encA:dteam, a free dteam account other than W1's, pgid dteam`, async () => {
      const s = site(settings);
      const w1 = await map(s, A, []);
      const w8 = await map(s, A, f('/dteam/Role=NULL/Capability=NULL'));
      expect(w8.plan.target).toEqual({ kind: 'pool', poolId: 'dteam', subjectKey: `${encA}:dteam` });
      expect(w8.account.username).not.toBe(w1.account.username);
      expect(w8.account).toMatchObject({ username: 'dteam002', gid: 5003 });
    });
  }
});

describe('W9: Alice with /atlas', () => {
  it('LCMAPS: the VOMS policy wins: free atlas, pgid atlas, lease encA:atlas', async () => {
    const out = await map(site(LCMAPS), A, f(NULL_ROLE));
    expect(out.plan.target).toEqual({ kind: 'pool', poolId: 'atlas', subjectKey: `${encA}:atlas` });
    expect(out.account).toMatchObject({ username: 'atlas001', gid: 5000 });
  });

  it('Argus: preferDNForLoginName → pool dteam with primary group atlas, lease encA:atlas; false → pool atlas', async () => {
    const out = await map(site(ARGUS), A, f(NULL_ROLE));
    expect(out.plan.target).toEqual({ kind: 'pool', poolId: 'dteam', subjectKey: `${encA}:atlas` });
    expect(out.account).toMatchObject({ username: 'dteam001', gid: 5000 });
    const fqanFirst = await map(site({ ...ARGUS, accountPrecedence: 'fqan' }), A, f(NULL_ROLE));
    expect(fqanFirst.plan.target).toEqual({ kind: 'pool', poolId: 'atlas', subjectKey: `${encA}:atlas` });
  });
});

describe('W10: pilot then production, production mapped to static atlasprd001', () => {
  const variant = GRID_MAPFILE.replace('"/atlas/Role=production/Capability=NULL" .atlasprd', '"/atlas/Role=production/Capability=NULL" atlasprd001');
  const fqans = f(PILOT, '/atlas/Role=production/Capability=NULL');

  it('LCMAPS: vomslocalaccount scans all FQANs → static atlasprd001, pgid atlasplt, sgid atlasprd', async () => {
    const out = await map(site(LCMAPS, variant), P, fqans);
    expect(out.plan.target).toEqual({ kind: 'static', username: 'atlasprd001' });
    expect(out.plan.ruleId).toBe('grid-mapfile:/atlas/Role=production/Capability=NULL');
    expect(out.account).toMatchObject({ username: 'atlasprd001', gid: 5001, secondaryGids: [5006] });
  });

  it('Argus: primary FQAN only → free atlasplt, lease encP:atlasplt:atlasprd', async () => {
    const out = await map(site(ARGUS, variant), P, fqans);
    expect(out.plan.target).toEqual({ kind: 'pool', poolId: 'atlasplt', subjectKey: `${encP}:atlasplt:atlasprd` });
    expect(out.account).toMatchObject({ username: 'atlasplt01', gid: 5001, secondaryGids: [5006] });
  });
});
