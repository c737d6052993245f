import { linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestStorage, databaseLabel, type TestStorage } from '../support/test-database';
import { buildCliIfStale } from '../support/build-cli';
import { runCli, type CliRun } from './support/cli';

const ALICE = '%2fdc%3dorg%2fdc%3dexample%2fcn%3dalice%20smith';
const PILOT = '%2fdc%3dch%2fdc%3dcern%2fou%3dusers%2fcn%3dpilot%20person:atlasplt:atlas';
const PERSON = '%2fdc%3dch%2fdc%3dcern%2fou%3dusers%2fcn%3dpilot%20person:atlas:atlasprd:atlasde';

/** Names of a directory as raw bytes, sorted bytewise: "the same file names byte for byte". */
const names = (dir: string): string[] => readdirSync(dir, { encoding: 'buffer' }).map((b) => b.toString('hex')).sort();

/**
 * The `gridauthz import` / `export` commands end to end: a real CLI process opening the test database itself.
 * Tests run in order and share the database: later ones rely on the pools the first one imported.
 */
describe(`gridauthz import/export on ${databaseLabel()}`, () => {
  let storage: TestStorage;
  const work = mkdtempSync(join(tmpdir(), 'gridauthz-cli-mapping-'));
  const cli = (...args: string[]): Promise<CliRun> => runCli(storage, args);

  beforeAll(async () => {
    buildCliIfStale();
    storage = await createTestStorage();
    const migrated = await cli('migrate');
    expect(migrated.code, migrated.stderr).toBe(0);
    writeFileSync(join(work, 'passwd'), ['atlas001', 'atlas002', 'atlas003', 'atlasplt01', 'atlasplt02', 'dteam001', 'dteam002', 'dteam003']
      .map((u, i) => `${u}:x:${6001 + i}:${u.startsWith('atlasplt') ? 5001 : u.startsWith('atlas') ? 5000 : 5003}::/home/${u}:/bin/sh`)
      .join('\n'));
    writeFileSync(join(work, 'group'), 'atlas:x:5000:\natlasplt:x:5001:\ndteam:x:5003:\n');
  }, 120_000);
  afterAll(async () => {
    await storage?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  const gridmapdir = (dir: string, leases: readonly [string, string, Date][]): void => {
    mkdirSync(dir);
    for (const a of ['atlas001', 'atlas002', 'atlas003', 'atlasplt01', 'atlasplt02', 'dteam001', 'dteam002', 'dteam003']) writeFileSync(join(dir, a), '');
    for (const [name, account, mtime] of leases) {
      linkSync(join(dir, account), join(dir, name));
      utimesSync(join(dir, name), mtime, mtime);
    }
  };

  it('imports a gridmapdir and exports the same names, links and last-used times; a second import changes nothing', async () => {
    const source = join(work, 'gridmapdir');
    const used = [new Date('2026-01-02T03:04:05Z'), new Date('2026-02-03T04:05:06Z'), new Date('2026-03-04T05:06:07Z')];
    gridmapdir(source, [
      [ALICE, 'dteam003', used[0] as Date],
      [PILOT, 'atlasplt02', used[1] as Date],
      [PERSON, 'atlas001', used[2] as Date],
    ]);
    const args = ['import', 'gridmapdir', source, '--pilot', 'atlasplt', '--passwd', join(work, 'passwd'), '--group', join(work, 'group')];
    const first = await cli(...args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('pools: 3 inserted, 0 updated, 0 unchanged');
    expect(first.stdout).toContain('leases: 3 inserted, 0 updated, 0 unchanged');

    const second = await cli(...args);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('pools: 0 inserted, 0 updated, 3 unchanged');
    expect(second.stdout).toContain('leases: 0 inserted, 0 updated, 3 unchanged');

    const target = join(work, 'exported');
    const exported = await cli('export', 'gridmapdir', target);
    expect(exported.code, exported.stderr).toBe(0);
    expect(names(target)).toEqual(names(source));
    for (const [name, account, mtime] of [[ALICE, 'dteam003', used[0]], [PILOT, 'atlasplt02', used[1]], [PERSON, 'atlas001', used[2]]] as const) {
      const lease = lstatSync(join(target, name));
      expect(lease.ino).toBe(lstatSync(join(target, account)).ino);
      expect(lease.nlink).toBe(2);
      expect(lease.mtime).toEqual(mtime);
    }
    expect(lstatSync(join(target, 'dteam001')).nlink).toBe(1);
  }, 120_000);

  it('refuses a gridmapdir with a solitary lease, naming the file, and imports nothing from it', async () => {
    const bad = join(work, 'bad-gridmapdir');
    gridmapdir(bad, [[ALICE, 'dteam003', new Date('2026-01-01T00:00:00Z')]]);
    writeFileSync(join(bad, '%2fdc%3dorg%2fcn%3dorphan'), '');
    const r = await cli('import', 'gridmapdir', bad, '--passwd', join(work, 'passwd'), '--group', join(work, 'group'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('%2fdc%3dorg%2fcn%3dorphan: solitary lease');
    expect(r.stderr).toContain('nothing imported');
  }, 120_000);

  it('refuses a grid-mapfile with problems, printing each with its line, and imports none of its lines', async () => {
    const bad = join(work, 'grid-mapfile.bad');
    writeFileSync(bad, ['"/DC=org/DC=example/CN=Alice Smith" .dteam', '"/atlas/Role=NULL/Capability=NULL" .atlas', '"/cms" .cms', '"/atlas" .atlas', '/dteam/* .dteam', ''].join('\n'));
    const r = await cli('import', 'grid-mapfile', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('grid-mapfile line 3: unknown pool "cms"');
    expect(r.stderr).toContain('grid-mapfile line 5: key must be double-quoted');
    expect(r.stdout).not.toContain('imported into');

    // Its good lines were not imported: importing them alone inserts them.
    const good = join(work, 'grid-mapfile');
    writeFileSync(good, ['"/DC=org/DC=example/CN=Alice Smith" .dteam', '"/atlas/Role=pilot" .atlasplt', '"/atlas" .atlas', '"/atlas/*" .atlas', ''].join('\n'));
    const first = await cli('import', 'grid-mapfile', good);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('rules: 4 inserted, 0 updated, 0 unchanged');
  }, 120_000);

  it('re-importing the same map files and ban file changes nothing; a dry run writes nothing', async () => {
    const good = join(work, 'grid-mapfile');
    const again = await cli('import', 'grid-mapfile', good);
    expect(again.stdout).toContain('rules: 0 inserted, 0 updated, 4 unchanged');

    const groups = join(work, 'groupmapfile');
    writeFileSync(groups, '"/atlas/Role=pilot" atlasplt,atlas\n"/atlas" atlas\n"/dteam/*" dteam\n');
    const dry = await cli('import', 'groupmapfile', groups, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('rules: 3 inserted');
    expect(dry.stdout).toContain('dry run: nothing written');
    const g1 = await cli('import', 'groupmapfile', groups);
    expect(g1.stdout).toContain('rules: 3 inserted, 0 updated, 0 unchanged');
    const g2 = await cli('import', 'groupmapfile', groups);
    expect(g2.stdout).toContain('rules: 0 inserted, 0 updated, 3 unchanged');
    // The grid-mapfile's rules survived the groupmapfile import (sources are replaced separately).
    expect((await cli('import', 'grid-mapfile', good)).stdout).toContain('rules: 0 inserted, 0 updated, 4 unchanged');

    const bans = join(work, 'ban_users.db');
    writeFileSync(bans, '# site bans\n"/DC=org/DC=example/CN=Mallory Banned"\n"/DC=org/DC=x/CN=Bad2" anything\n');
    const b1 = await cli('import', 'banfile', bans);
    expect(b1.code, b1.stderr).toBe(0);
    expect(b1.stdout).toContain('bans: 2 inserted, 0 updated, 0 unchanged');
    const b2 = await cli('import', 'banfile', bans);
    expect(b2.stdout).toContain('bans: 0 inserted, 0 updated, 2 unchanged');
  }, 240_000); // about ten CLI runs; each opens the embedded database anew (seconds on PGlite)
});
