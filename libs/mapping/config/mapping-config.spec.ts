import { describe, expect, it } from 'vitest';
import type { PoolDefinition } from '../pool/pool';
import { ARGUS_SETTINGS, LCMAPS_SETTINGS } from '../rule/mapping-rule';
import { compileMappingConfig, type MappingConfig, reviewMappingChange } from './mapping-config';
import { InMemoryMappingConfigStore } from './mapping-config-store';

const pools: PoolDefinition[] = [
  { id: 'dteam', kind: 'user', members: { kind: 'range', prefix: 'dteam', count: 2, firstUid: 7001, width: 3, gid: 5003 } },
  { id: 'pil', kind: 'pilot', members: { kind: 'range', prefix: 'pil', count: 2, firstUid: 7101, width: 2, gid: 5003 } },
  { id: 'local', kind: 'static', members: { kind: 'list', accounts: [{ username: 'localuser', uid: 9000, gid: 5003 }] } },
];
const base: MappingConfig = { pools, groups: [{ name: 'dteam', gid: 5003 }], rules: [], pilotRoles: [], payloadCallers: [] };

describe('compileMappingConfig', () => {
  it('reports every broken rule, role and caller by id', () => {
    const r = compileMappingConfig(
      {
        ...base,
        rules: [
          { id: 'r1', subject: { kind: 'fqan', pattern: '/dteam' }, account: { kind: 'pool', poolId: 'nope' } },
          { id: 'r1', subject: { kind: 'fqan', pattern: '/dteam*' }, groups: ['nogroup'] },
          { id: 'r3', subject: { kind: 'dn', pattern: '/CN=x' }, account: { kind: 'pool', poolId: 'local' } },
          { id: 'r4', subject: { kind: 'dn', pattern: '/CN=x' }, account: { kind: 'static', username: 'ghost' } },
          { id: 'r5', subject: { kind: 'dn', pattern: '/CN=x' } },
        ],
        pilotRoles: [{ id: 'p1', fqanPattern: '/dteam/Role=pilot', poolId: 'dteam' }],
        payloadCallers: [{ id: 'c1', kind: 'host', dn: 'garbage' }],
      },
      ARGUS_SETTINGS,
    );
    expect(!r.ok && r.error.problems.map((p) => p.message)).toEqual([
      'rule r1: unknown pool nope',
      'rule r1: duplicate rule id',
      'rule r1: unknown group nogroup',
      'rule r1: "/dteam*": "*" may only be the whole last group component',
      'rule r3: pool local is static and cannot be leased from',
      'rule r4: unknown account ghost',
      'rule r5: maps to neither an account nor groups',
      'pilot role p1: pool dteam is not a pilot pool',
      'payload caller c1: missing "=" after "garbage"',
    ]);
  });

  it('warns about a static target that rules also lease from its pool', () => {
    const r = compileMappingConfig(
      {
        ...base,
        rules: [
          { id: 's', subject: { kind: 'dn', pattern: '/CN=x' }, account: { kind: 'static', username: 'dteam001' } },
          { id: 'p', subject: { kind: 'fqan', pattern: '/dteam' }, account: { kind: 'pool', poolId: 'dteam' } },
        ],
      },
      ARGUS_SETTINGS,
    );
    expect(r.ok && r.value.warnings.map((p) => p.message)).toEqual(['rule s: account dteam001 is also leased from pool dteam']);
  });

  it('reviewMappingChange refuses a static target on a leased pool that the change introduces, unless forced', () => {
    const pooled = { id: 'p', subject: { kind: 'fqan' as const, pattern: '/dteam' }, account: { kind: 'pool' as const, poolId: 'dteam' } };
    const stat = { id: 's', subject: { kind: 'dn' as const, pattern: '/CN=x' }, account: { kind: 'static' as const, username: 'dteam001' } };
    const before = { ...base, rules: [pooled] };
    const after = { ...base, rules: [stat, pooled] };
    const refused = reviewMappingChange(before, after, ARGUS_SETTINGS, false);
    expect(refused.refusals.map((p) => [p.code, p.message])).toEqual([['MAPPING_STATIC_ON_LEASED_POOL', 'rule s: account dteam001 is also leased from pool dteam']]);
    const forced = reviewMappingChange(before, after, ARGUS_SETTINGS, true);
    expect(forced.refusals).toEqual([]);
    expect(forced.warnings.map((p) => p.message)).toEqual(['rule s: account dteam001 is also leased from pool dteam']);
    // Already stored (legacy import): listed, but an unrelated change is not blocked by it.
    const unrelated = reviewMappingChange(after, { ...after, groups: [...base.groups, { name: 'extra', gid: 9999 }] }, ARGUS_SETTINGS, false);
    expect(unrelated.refusals).toEqual([]);
    expect(unrelated.warnings).toHaveLength(1);
  });

  it('accepts LCMAPS globs that Argus would reject', () => {
    const config = { ...base, rules: [{ id: 'g', subject: { kind: 'fqan' as const, pattern: '/dteam*' }, account: { kind: 'pool' as const, poolId: 'dteam' } }] };
    expect(compileMappingConfig(config, LCMAPS_SETTINGS).ok).toBe(true);
    expect(compileMappingConfig(config, ARGUS_SETTINGS).ok).toBe(false);
  });
});

describe('InMemoryMappingConfigStore', () => {
  it('validates each write as a whole, rejects without changing anything, and upserts idempotently', async () => {
    const store = new InMemoryMappingConfigStore(ARGUS_SETTINGS);
    const groups = await store.upsertGroups(base.groups);
    expect(groups.ok && groups.value.changed).toBe(1);
    expect((await store.upsertPools(pools)).ok).toBe(true);
    const again = await store.upsertPools(pools);
    expect(again.ok && again.value.changed).toBe(0);
    const rules = [{ id: 'r', subject: { kind: 'fqan' as const, pattern: '/dteam' }, account: { kind: 'pool' as const, poolId: 'dteam' } }];
    expect((await store.replaceRules(rules)).ok).toBe(true);
    const same = await store.replaceRules(rules);
    expect(same.ok && same.value.changed).toBe(0);
    const bad = await store.replaceRules([{ ...rules[0]!, account: { kind: 'pool', poolId: 'gone' } }]);
    expect(!bad.ok && bad.error.code).toBe('MAPPING_CONFIG_INVALID');
    expect((await store.load()).rules).toEqual(rules);
    const dropGroup = await store.upsertPools([{ id: 'dteam', kind: 'user', members: { kind: 'range', prefix: 'dteam', count: 2, firstUid: 7001, width: 3, gid: 1 } }]);
    expect(dropGroup.ok).toBe(false);
  });
});
