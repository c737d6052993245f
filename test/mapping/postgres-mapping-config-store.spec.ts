import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import { ARGUS_SETTINGS, compileMappingConfig, type MappingRule, type PoolDefinition } from '@gridauthz/mapping';
import { GenerationWatcher, PostgresLeaseStore, PostgresMappingConfigStore, type ConfigTopic } from '@gridauthz/persistence';
import { databaseLabel, openTestDatabase, type TestDatabase } from '../support/test-database';

const groups = [
  { name: 'atlas', gid: 5000 },
  { name: 'atlasplt', gid: 5001 },
  { name: 'dteam', gid: 5003 },
];
const atlas: PoolDefinition = { id: 'atlas', kind: 'user', members: { kind: 'range', prefix: 'atlas', count: 3, firstUid: 6001, width: 3, gid: 5000 } };
const pilots: PoolDefinition = { id: 'atlasplt', kind: 'pilot', members: { kind: 'range', prefix: 'atlasplt', count: 2, firstUid: 6101, width: 2, gid: 5001 } };
const local: PoolDefinition = { id: 'local', kind: 'static', members: { kind: 'list', accounts: [{ username: 'localuser', uid: 9000, gid: 5003 }] } };
const rules: MappingRule[] = [
  { id: 'r1', subject: { kind: 'dn', pattern: '/DC=ch/DC=cern/OU=Users/CN=Static User' }, account: { kind: 'static', username: 'localuser' } },
  { id: 'r2', subject: { kind: 'fqan', pattern: '/atlas/Role=pilot' }, account: { kind: 'pool', poolId: 'atlasplt' }, groups: ['atlasplt', 'atlas'] },
  { id: 'r3', subject: { kind: 'fqan', pattern: '/atlas' }, account: { kind: 'pool', poolId: 'atlas' } },
  { id: 'r4', subject: { kind: 'fqan', pattern: '/atlas/*' }, groups: ['atlas'] },
];

describe(`PostgresMappingConfigStore on ${databaseLabel()}`, () => {
  let t: TestDatabase;
  let store: PostgresMappingConfigStore;
  beforeAll(async () => {
    t = await openTestDatabase();
    store = new PostgresMappingConfigStore(t.db, ARGUS_SETTINGS);
  });
  afterAll(async () => t?.close());

  it('stores a whole configuration that loads back, compiles, and leases from the stored pools', async () => {
    expect(await store.upsertGroups(groups)).toEqual({ ok: true, value: { changed: 3 } });
    expect(await store.upsertPools([atlas, pilots, local])).toEqual({ ok: true, value: { changed: 3 } });
    expect(await store.replaceRules(rules)).toEqual({ ok: true, value: { changed: 4 } });
    expect(await store.upsertPilotRoles([{ id: 'atlas-pilot', fqanPattern: '/atlas/Role=pilot', poolId: 'atlasplt' }])).toEqual({ ok: true, value: { changed: 1 } });
    expect(await store.upsertPayloadCallers([{ id: 'wn', kind: 'host', dn: '/DC=org/DC=example/CN=wn01.example.org' }])).toEqual({ ok: true, value: { changed: 1 } });

    const loaded = await store.load();
    expect(loaded.rules).toEqual(rules);
    expect(loaded.groups).toEqual(groups);
    expect(loaded.pools.map((p) => [p.id, p.kind])).toEqual([['atlas', 'user'], ['atlasplt', 'pilot'], ['local', 'static']]);
    expect(loaded.pools[0]?.members).toEqual({ kind: 'list', accounts: [6001, 6002, 6003].map((uid, i) => ({ username: `atlas00${i + 1}`, uid, gid: 5000 })) });
    expect(loaded.pilotRoles).toEqual([{ id: 'atlas-pilot', fqanPattern: '/atlas/Role=pilot', poolId: 'atlasplt' }]);
    expect(loaded.payloadCallers).toEqual([{ id: 'wn', kind: 'host', dn: '/DC=org/DC=example/CN=wn01.example.org' }]);
    expect(compileMappingConfig(loaded, ARGUS_SETTINGS).ok).toBe(true);

    const lease = await new PostgresLeaseStore(t.db).acquire('atlas', 'k1', new Date());
    expect(lease.ok && lease.value.account).toEqual({ poolId: 'atlas', username: 'atlas001', uid: 6001, gid: 5000 });
  });

  it('repeating the same writes changes nothing (a range equal to the stored accounts included)', async () => {
    expect(await store.upsertGroups(groups)).toEqual({ ok: true, value: { changed: 0 } });
    expect(await store.upsertPools([atlas, pilots, local])).toEqual({ ok: true, value: { changed: 0 } });
    expect(await store.replaceRules(rules)).toEqual({ ok: true, value: { changed: 0 } });
    expect(await store.upsertPilotRoles([{ id: 'atlas-pilot', fqanPattern: '/atlas/Role=pilot', poolId: 'atlasplt' }])).toEqual({ ok: true, value: { changed: 0 } });
  });

  it('rejects an invalid write as a whole and keeps the stored configuration', async () => {
    const before = await store.load();
    const bad = await store.replaceRules([...rules, { id: 'r5', subject: { kind: 'fqan', pattern: '/cms' }, account: { kind: 'pool', poolId: 'cms' } }]);
    expect(!bad.ok && bad.error.problems.map((p) => p.message)).toEqual(['rule r5: unknown pool cms']);
    const badPool = await store.upsertPools([{ ...atlas, members: { ...atlas.members, gid: 4242 } as PoolDefinition['members'] }]);
    expect(badPool.ok).toBe(false);
    expect(await store.load()).toEqual(before);
  });

  it('refuses to drop a leased account from its pool, disables an unleased one instead of deleting it', async () => {
    const smaller: PoolDefinition = { ...atlas, members: { kind: 'range', prefix: 'atlas', count: 1, firstUid: 6002, width: 3, gid: 5000, firstIndex: 2 } };
    const refused = await store.upsertPools([smaller]);
    expect(!refused.ok && refused.error.problems[0]?.message).toMatch(/atlas001 is leased to k1/);
    await new PostgresLeaseStore(t.db).release('atlas', 'k1');
    expect(await store.upsertPools([smaller])).toEqual({ ok: true, value: { changed: 1 } });
    const rows = await t.db.dataSource.query<{ username: string; enabled: boolean }[]>(
      `SELECT username, enabled FROM pool_account WHERE username LIKE 'atlas0%' ORDER BY username`,
    );
    expect(rows).toEqual([
      { username: 'atlas001', enabled: false },
      { username: 'atlas002', enabled: true },
      { username: 'atlas003', enabled: false },
    ]);
    expect(await store.upsertPools([atlas])).toEqual({ ok: true, value: { changed: 1 } });
    expect((await t.db.dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM pool_account WHERE enabled`))[0]?.n).toBe(6);
  });

  it('bumps the mapping generation for configuration writes, not for leases', async () => {
    const seen: ConfigTopic[][] = [];
    const watcher = new GenerationWatcher(t.db, (topics) => void seen.push(topics), silentLog, 60_000);
    await watcher.start();
    await new PostgresLeaseStore(t.db).acquire('atlas', 'k-watch', new Date());
    await watcher.pollNow();
    expect(seen).toEqual([]);
    await store.upsertGroups([{ name: 'cms', gid: 5004 }]);
    await watcher.pollNow();
    expect(seen).toEqual([['mapping']]);
    await watcher.stop();
  });
});
