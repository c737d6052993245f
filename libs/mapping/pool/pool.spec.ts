import { describe, expect, it } from 'vitest';
import { expandPool, expandPools, type PoolDefinition } from './pool';
import { argusPoolPrefix, isPoolEntry } from './pool-membership';

const groups = [
  { name: 'atlas', gid: 5000 },
  { name: 'dteam', gid: 5003 },
];

describe('expandPool', () => {
  it('expands a range with zero padding, consecutive uids and the pool gid', () => {
    const r = expandPool({ id: 'atlas', kind: 'user', members: { kind: 'range', prefix: 'atlas', count: 3, firstUid: 6001, width: 3, gid: 5000 } });
    expect(r.ok && r.value.accounts).toEqual([
      { poolId: 'atlas', username: 'atlas001', uid: 6001, gid: 5000 },
      { poolId: 'atlas', username: 'atlas002', uid: 6002, gid: 5000 },
      { poolId: 'atlas', username: 'atlas003', uid: 6003, gid: 5000 },
    ]);
  });

  it('refuses a width too small for the last index, since atlas1000 would sort before atlas999', () => {
    const r = expandPool({ id: 'atlas', kind: 'user', members: { kind: 'range', prefix: 'atlas', count: 1000, firstUid: 1, width: 3, gid: 5000 } });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.detail).toMatch(/width 3 cannot hold index 1000/);
  });

  it('sorts list pools by username so lowest-first allocation is well defined', () => {
    const r = expandPool({
      id: 'x',
      kind: 'static',
      members: { kind: 'list', accounts: [{ username: 'zed', uid: 2, gid: 5000 }, { username: 'amy', uid: 1, gid: 5000 }] },
    });
    expect(r.ok && r.value.accounts.map((a) => a.username)).toEqual(['amy', 'zed']);
  });

  it('rejects invalid usernames and ids', () => {
    const r = expandPool({ id: 'x', kind: 'static', members: { kind: 'list', accounts: [{ username: 'a:b', uid: -1, gid: 5000 }] } });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.detail).toMatch(/not a valid user name/);
    expect(!r.ok && r.error.detail).toMatch(/uid -1 out of bounds/);
  });
});

describe('expandPools', () => {
  const dteam: PoolDefinition = { id: 'dteam', kind: 'user', members: { kind: 'range', prefix: 'dteam', count: 3, firstUid: 7001, width: 3, gid: 5003 } };

  it('accepts disjoint pools', () => {
    const r = expandPools([dteam, { id: 'atlas', kind: 'user', members: { kind: 'range', prefix: 'atlas', count: 2, firstUid: 6001, width: 3, gid: 5000 } }], groups);
    expect(r.ok && r.value.map((p) => p.accounts.length)).toEqual([3, 2]);
  });

  it('reports duplicate usernames and uids across pools, each one', () => {
    const clash: PoolDefinition = {
      id: 'other',
      kind: 'static',
      members: { kind: 'list', accounts: [{ username: 'dteam002', uid: 1, gid: 5003 }, { username: 'solo', uid: 7003, gid: 5003 }] },
    };
    const r = expandPools([dteam, clash], groups);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('MAPPING_CONFIG_INVALID');
    expect(r.error.problems.map((p) => p.message)).toEqual([
      'duplicate username dteam002 (pools dteam and other)',
      'duplicate uid 7003 (dteam003 and solo)',
    ]);
  });

  it('reports unknown primary gids, duplicate pool ids and groups sharing a gid', () => {
    const r = expandPools([dteam, { ...dteam, members: { kind: 'list', accounts: [{ username: 'q', uid: 9, gid: 42 }] } }], [...groups, { name: 'dt2', gid: 5003 }]);
    expect(!r.ok && r.error.problems.map((p) => p.message)).toEqual([
      'groups dteam and dt2 share gid 5003',
      'duplicate pool id dteam',
      'q: primary gid 42 is not a known group',
    ]);
  });
});

describe('pool membership (mapping.md §8 lower-level tests, §2.2)', () => {
  it('strict: only prefix followed by digits', () => {
    const yes = ['atlas1', 'atlas001'];
    const no = ['atlas', 'atlasx', 'atlas001x', 'Atlas001', 'atlasplt02'];
    for (const n of yes) expect(isPoolEntry(n, 'atlas', 'strict'), n).toBe(true);
    for (const n of no) expect(isPoolEntry(n, 'atlas', 'strict'), n).toBe(false);
  });

  it('legacy: anything starting with the prefix, case-sensitive', () => {
    for (const n of ['atlas', 'atlasA1', 'atlas_1', 'atlas1x', 'atlasx', 'atlasplt02', 'atlas001x', 'atlas1']) {
      expect(isPoolEntry(n, 'atlas', 'legacy'), n).toBe(true);
    }
    expect(isPoolEntry('Atlas001', 'atlas', 'legacy')).toBe(false);
  });

  it('argus: the prefix is the name minus its trailing digits', () => {
    expect(argusPoolPrefix('atlas2001')).toBe('atlas');
    expect(argusPoolPrefix('atlas2prd001')).toBe('atlas2prd');
    expect(isPoolEntry('atlas2001', 'atlas', 'argus')).toBe(true);
    expect(isPoolEntry('atlas2001', 'atlas2', 'argus')).toBe(false);
    expect(argusPoolPrefix('atlas')).toBeUndefined();
  });
});
