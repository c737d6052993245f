import { link, lstat, mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemoryLeaseStore } from '../lease/in-memory-lease-store';
import { importGridmapdir, planGridmapdirExport, type GridmapdirEntry } from './gridmapdir';
import { exportGridmapdirToDisk, importGridmapdirFromDisk } from './gridmapdir-fs';

const encP = '%2fdc%3dch%2fdc%3dcern%2fou%3dusers%2fcn%3dpilot%20person';
const encA = '%2fdc%3dorg%2fdc%3dexample%2fcn%3dalice%20smith';
const LEASES: Record<string, string> = {
  [`${encP}:atlas:atlasprd:atlasde`]: 'atlas004',
  [`${encP}:atlasde:atlas:Atlas-Prd.X_1`]: 'atlas002',
  [encA]: 'dteam003',
  [`${encA}:dteam`]: 'dteam002',
  '%2fdc%3dorg%2fdc%3dx%2fcn%3dmc:mapcount=0003': 'dteam001',
};
const ACCOUNTS = ['atlas001', 'atlas002', 'atlas003', 'atlas004', 'atlas005', 'dteam001', 'dteam002', 'dteam003', 'atlasplt01'];

describe('gridmapdir on disk (mapping.md §2.1, §2.9)', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'gridmapdir-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function legacyDir(): Promise<string> {
    const dir = join(root, 'legacy');
    await mkdir(dir);
    for (const a of ACCOUNTS) await writeFile(join(dir, a), '');
    let t = Date.UTC(2020, 0, 1) / 1000;
    for (const [lease, account] of Object.entries(LEASES)) {
      await link(join(dir, account), join(dir, lease));
      t += 3600;
      await utimes(join(dir, lease), t, t);
    }
    return dir;
  }

  it('import then export reproduces the same names byte for byte, the hard links and the mtimes', async () => {
    const src = await legacyDir();
    const imported = await importGridmapdirFromDisk(src, { poolIds: ['atlas', 'atlasplt', 'dteam'] });
    if (!imported.ok) throw new Error(imported.error.detail);
    expect(imported.value.pools.map((p) => [p.poolId, p.usernames.length])).toEqual([
      ['atlas', 5],
      ['atlasplt', 1],
      ['dteam', 3],
    ]);
    expect(imported.value.leases.find((l) => l.username === 'atlas002')).toMatchObject({ poolId: 'atlas', groups: ['atlasde', 'atlas', 'Atlas-Prd.X_1'] });
    expect(imported.value.leases.find((l) => l.username === 'dteam001')).toMatchObject({ groups: [], mapcount: 3 });

    const out = join(root, 'exported');
    const written = await exportGridmapdirToDisk(out, imported.value);
    expect(written.ok).toBe(true);

    const namesOf = async (dir: string): Promise<Buffer[]> => (await readdir(dir, { encoding: 'buffer' })).sort(Buffer.compare);
    expect(await namesOf(out)).toEqual(await namesOf(src));
    for (const [lease, account] of Object.entries(LEASES)) {
      const [l, a, original] = await Promise.all([lstat(join(out, lease)), lstat(join(out, account)), stat(join(src, lease))]);
      expect(l.ino, lease).toBe(a.ino);
      expect(l.nlink).toBe(2);
      expect(l.mtimeMs).toBe(original.mtimeMs);
    }
    for (const free of ['atlas001', 'atlas003', 'atlas005', 'atlasplt01']) expect((await lstat(join(out, free))).nlink).toBe(1);
  });

  it('importing the same directory twice into a store changes nothing the second time', async () => {
    const imported = await importGridmapdirFromDisk(await legacyDir(), { poolIds: ['atlas', 'atlasplt', 'dteam'] });
    if (!imported.ok) throw new Error(imported.error.detail);
    const store = new InMemoryLeaseStore(
      imported.value.pools.map((p) => ({ id: p.poolId, kind: 'user', accounts: p.usernames.map((u, i) => ({ poolId: p.poolId, username: u, uid: 1000 + i, gid: 1 })) })),
    );
    const now = new Date('2026-01-01T00:00:00Z');
    const first = await store.upsert(imported.value.leases, now);
    const second = await store.upsert(imported.value.leases, now);
    expect(first.ok && first.value).toEqual({ inserted: 5, updated: 0, unchanged: 0 });
    expect(second.ok && second.value).toEqual({ inserted: 0, updated: 0, unchanged: 5 });
  });

  it('reports a solitary lease (its account was deleted) by file name and imports nothing', async () => {
    const dir = await legacyDir();
    await rm(join(dir, 'dteam003'));
    const r = await importGridmapdirFromDisk(dir, { poolIds: ['atlas', 'dteam'] });
    expect(!r.ok && r.error.problems).toEqual([{ file: encA, message: 'solitary lease: the account it named is missing (link count 1)' }]);
  });

  it('refuses to write into an existing directory', async () => {
    await expect(exportGridmapdirToDisk(root, { pools: [], leases: [] })).rejects.toThrow(/EEXIST/);
  });
});

describe('importGridmapdir (pure)', () => {
  const t = new Date('2026-01-01T00:00:00Z');
  const entry = (name: string, ino: number, nlink = 1, isFile = true): GridmapdirEntry => ({ name, ino: BigInt(ino), nlink, isFile, mtime: t });

  it('ignores names outside the pools, infers pools from trailing digits when none are given', () => {
    const r = importGridmapdir([entry('atlas001', 1), entry('README', 2), entry('atlas2prd001', 3)]);
    expect(r.ok && r.value).toEqual({
      pools: [
        { poolId: 'atlas', usernames: ['atlas001'] },
        { poolId: 'atlas2prd', usernames: ['atlas2prd001'] },
      ],
      leases: [],
      ignored: ['README'],
    });
  });

  it('reports every inconsistency with its file name', () => {
    const r = importGridmapdir(
      [
        entry('atlas001', 1, 3),
        entry('%2fcn%3da', 1, 3),
        entry('notpool', 2, 2),
        entry('%2fcn%3db', 2, 2),
        entry('atlas002', 4, 2),
        entry(`%2f${'a'.repeat(260)}`, 5, 2),
        entry('%2fCN', 6, 2),
      ],
      { poolIds: ['atlas'] },
    );
    expect(!r.ok && r.error.problems).toEqual([
      { file: 'atlas001', message: 'has 3 links; a pool account has at most one lease' },
      { file: '%2fcn%3da', message: 'lease has 3 links' },
      { file: '%2fcn%3db', message: 'lease names no pool account in this directory' },
      { file: `%2f${'a'.repeat(260)}`, message: 'lease name is longer than 255 bytes' },
      { file: '%2fCN', message: '"%2fCN" is not an encoded DN' },
      { file: 'atlas002', message: 'has a second link that is not a lease in this directory' },
    ]);
  });

  it('reports names that two configured pools both claim', () => {
    const r = importGridmapdir([entry('atlas2001', 1)], { poolIds: ['atlas', 'atlas2'] });
    expect(!r.ok && r.error.problems[0]?.message).toBe('belongs to more than one pool (atlas, atlas2)');
  });
});

describe('planGridmapdirExport', () => {
  const t = new Date('2026-01-01T00:00:00Z');
  it('reports over-long names, unknown accounts, names LCMAPS would not see and keys in two pools', () => {
    const long = `%2f${'x'.repeat(253)}`;
    const r = planGridmapdirExport({
      pools: [
        { poolId: 'atlas', usernames: ['atlas001', 'atlasx'] },
        { poolId: 'dteam', usernames: ['dteam001'] },
      ],
      leases: [
        { poolId: 'atlas', subjectKey: long, username: 'atlas001', lastUsedAt: t },
        { poolId: 'atlas', subjectKey: '%2fcn%3da', username: 'atlas009', lastUsedAt: t },
        { poolId: 'atlas', subjectKey: '%2fcn%3db', username: 'atlas001', lastUsedAt: t },
        { poolId: 'dteam', subjectKey: '%2fcn%3db', username: 'dteam001', lastUsedAt: t },
      ],
    });
    expect(!r.ok && r.error.problems.map((p) => [p.file, p.message])).toEqual([
      ['atlasx', 'LCMAPS would not see it as an account of pool atlas (needs atlas<digits>)'],
      [long, 'lease name is longer than 255 bytes (ENAMETOOLONG in LCMAPS)'],
      ['%2fcn%3da', 'atlas009 is not an exported account of pool atlas'],
      ['%2fcn%3db', 'lease key is held in more than one pool'],
    ]);
  });

  it('with Argus readers, refuses pool names ending in a digit', () => {
    const r = planGridmapdirExport({ pools: [{ poolId: 'atlas2', usernames: ['atlas2001'] }], leases: [] }, { argusReaders: true });
    expect(!r.ok && r.error.problems).toEqual([{ file: 'atlas2', message: 'Argus cannot use a pool name ending in a digit' }]);
    expect(planGridmapdirExport({ pools: [{ poolId: 'atlas2', usernames: ['atlas2001'] }], leases: [] }).ok).toBe(true);
  });
});
