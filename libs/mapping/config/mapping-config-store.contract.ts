import { beforeEach, describe, expect, it } from 'vitest';
import type { PayloadCaller, PilotRole } from '../pilot/pilot-role';
import type { PoolDefinition, UnixGroup } from '../pool/pool';
import type { MappingRule, MappingSettings } from '../rule/mapping-rule';
import { ARGUS_SETTINGS } from '../rule/mapping-rule';
import { compileMappingConfig, type MappingConfig } from './mapping-config';
import type { MappingConfigStore } from './mapping-config-store';

/**
 * The behaviour every MappingConfigStore must show (ARCHITECTURE "Data": pool, unix_group, mapping_rule,
 * pilot_role): every write validated as a whole, a rejected write changing nothing, upserts by natural key
 * reporting what changed. `makeStore` must return a store holding an empty configuration.
 */
export function describeMappingConfigStoreContract(name: string, makeStore: (settings: MappingSettings) => Promise<MappingConfigStore>): void {
  const groups: UnixGroup[] = [
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
  ];
  const roles: PilotRole[] = [{ id: 'atlas-pilot', fqanPattern: '/atlas/Role=pilot', poolId: 'atlasplt' }];
  const callers: PayloadCaller[] = [{ id: 'wn', kind: 'host', dn: '/DC=org/DC=example/CN=wn01.example.org' }];
  const changed = (n: number) => ({ ok: true, value: { changed: n } });
  /** Pools compared by the accounts they hold: a store may keep a range as the list of its accounts. */
  const accounts = (config: MappingConfig): [string, string, string[]][] => {
    const compiled = compileMappingConfig(config, ARGUS_SETTINGS);
    if (!compiled.ok) throw new Error(compiled.error.problems.map((p) => p.message).join('; '));
    return [...compiled.value.pools.values()].map((p) => [p.id, p.kind, p.accounts.map((a) => `${a.username}:${a.uid}:${a.gid}`)]);
  };

  describe(`MappingConfigStore contract: ${name}`, () => {
    let store: MappingConfigStore;
    beforeEach(async () => {
      store = await makeStore(ARGUS_SETTINGS);
    });
    const writeAll = async (): Promise<void> => {
      expect(await store.upsertGroups(groups)).toEqual(changed(3));
      expect(await store.upsertPools([atlas, pilots, local])).toEqual(changed(3));
      expect(await store.replaceRules(rules)).toEqual(changed(3));
      expect(await store.upsertPilotRoles(roles)).toEqual(changed(1));
      expect(await store.upsertPayloadCallers(callers)).toEqual(changed(1));
    };

    it('starts empty', async () => {
      expect(await store.load()).toEqual({ pools: [], groups: [], rules: [], pilotRoles: [], payloadCallers: [] });
    });

    it('stores a whole configuration that loads back as written and compiles', async () => {
      await writeAll();
      const loaded = await store.load();
      expect(loaded.groups).toEqual(groups);
      expect(loaded.rules).toEqual(rules);
      expect(loaded.pilotRoles).toEqual(roles);
      expect(loaded.payloadCallers).toEqual(callers);
      expect(accounts(loaded)).toEqual([
        ['atlas', 'user', ['atlas001:6001:5000', 'atlas002:6002:5000', 'atlas003:6003:5000']],
        ['atlasplt', 'pilot', ['atlasplt01:6101:5001', 'atlasplt02:6102:5001']],
        ['local', 'static', ['localuser:9000:5003']],
      ]);
    });

    it('repeating the same writes changes nothing', async () => {
      await writeAll();
      const before = await store.load();
      expect(await store.upsertGroups(groups)).toEqual(changed(0));
      expect(await store.upsertPools([atlas, pilots, local])).toEqual(changed(0));
      expect(await store.replaceRules(rules)).toEqual(changed(0));
      expect(await store.upsertPilotRoles(roles)).toEqual(changed(0));
      expect(await store.upsertPayloadCallers(callers)).toEqual(changed(0));
      expect(await store.load()).toEqual(before);
    });

    it('rejects a write that would not compile, as a whole, with MAPPING_CONFIG_INVALID, and keeps what was stored', async () => {
      await writeAll();
      const before = await store.load();
      const unknownPool = await store.replaceRules([...rules, { id: 'r5', subject: { kind: 'fqan', pattern: '/cms' }, account: { kind: 'pool', poolId: 'cms' } }]);
      expect(!unknownPool.ok && unknownPool.error.code).toBe('MAPPING_CONFIG_INVALID');
      expect(!unknownPool.ok && unknownPool.error.problems.map((p) => p.message)).toEqual(['rule r5: unknown pool cms']);
      const unknownGroup = await store.upsertPools([{ ...atlas, members: { kind: 'range', prefix: 'atlas', count: 3, firstUid: 6001, width: 3, gid: 4242 } }]);
      expect(!unknownGroup.ok && unknownGroup.error.code).toBe('MAPPING_CONFIG_INVALID');
      const unknownRolePool = await store.upsertPilotRoles([{ id: 'cms-pilot', fqanPattern: '/cms/Role=pilot', poolId: 'cmsplt' }]);
      expect(unknownRolePool.ok).toBe(false);
      expect(await store.load()).toEqual(before);
    });

    it('replaces the rules as one ordered list and upserts a changed pool by its id', async () => {
      await writeAll();
      const reordered = [rules[2], rules[1]] as MappingRule[];
      expect(await store.replaceRules(reordered)).toEqual({ ok: true, value: { changed: expect.any(Number) } });
      expect((await store.load()).rules).toEqual(reordered);
      const bigger: PoolDefinition = { ...atlas, members: { kind: 'range', prefix: 'atlas', count: 4, firstUid: 6001, width: 3, gid: 5000 } };
      expect(await store.upsertPools([bigger])).toEqual(changed(1));
      expect(accounts(await store.load())[0]?.[2]).toEqual(['atlas001:6001:5000', 'atlas002:6002:5000', 'atlas003:6003:5000', 'atlas004:6004:5000']);
    });
  });
}
