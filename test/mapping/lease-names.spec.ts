import { linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dn, Fqan, silentLog } from '@gridauthz/domain';
import {
  ARGUS_SETTINGS,
  compileMappingConfig,
  LCMAPS_SETTINGS,
  leaseKeyConventionFor,
  mapSubject,
  type CompiledMappingConfig,
  type LeaseNameSetting,
} from '@gridauthz/mapping';
import { Database, PostgresLeaseStore, PostgresMappingConfigStore } from '@gridauthz/persistence';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../migrations';
import { buildCliIfStale } from '../support/build-cli';
import { createTestStorage, databaseLabel, type TestStorage } from '../support/test-database';
import { runCli, type CliRun } from './support/cli';

/**
 * LCMAPS's lease-name rule as docs/mapping.md "Lease names" states it, written out here independently of
 * libs/mapping so the test does not grade our encoder with itself: each byte of the OpenSSL-form DN, ASCII letters
 * and digits lower-cased, every other byte `%` + two lower-case hex digits; then `:` + the unix group names of the
 * credential's gids: the primary group first, then (unless -do_not_use_secondary_gids) the secondary groups sorted by
 * gid, each once.
 */
function lcmapsEncode(slashDn: string): string {
  return [...Buffer.from(slashDn, 'latin1')].map((b) => (/[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b).toLowerCase() : `%${b.toString(16).padStart(2, '0')}`)).join('');
}
type G = { name: string; gid: number };
function lcmapsLeaseName(slashDn: string, primary: G | undefined, secondary: readonly G[], doNotUseSecondaryGids: boolean): string {
  const seen = new Set<number>();
  const sec = doNotUseSecondaryGids ? [] : [...secondary].sort((a, b) => a.gid - b.gid).filter((g) => (seen.has(g.gid) ? false : (seen.add(g.gid), true)));
  return [lcmapsEncode(slashDn), ...(primary ? [primary.name] : []), ...sec.map((g) => g.name)].join(':');
}
/** Argus PEPd ≥ 1.7 default: enc(DN), then primary and secondary group names in groupmapfile order, duplicates kept. */
function argusLeaseName(slashDn: string, groups: readonly string[]): string {
  return [lcmapsEncode(slashDn), ...groups].join(':');
}

const ATLAS = { name: 'atlas', gid: 5000 };
const ATLASPRD = { name: 'atlasprd', gid: 5006 };
const ATLASDE = { name: 'atlasde', gid: 5009 };
const PROD = '/atlas/Role=production/Capability=NULL';
const DE = '/atlas/de/Role=NULL/Capability=NULL';
const MEMBER = '/atlas/Role=NULL/Capability=NULL';

const ACCOUNTS = [...Array.from({ length: 9 }, (_, i) => `atlas00${i + 1}`), 'dteam001', 'dteam002', 'dteam003'];
const GRID_MAPFILE = [
  '"/DC=org/DC=example/CN=Dora Dn-Only" .dteam',
  `"${PROD}" .atlas`,
  '"/atlas/Role=production" .atlas',
  `"${DE}" .atlas`,
  '"/atlas/de" .atlas',
  `"${MEMBER}" .atlas`,
  '"/atlas" .atlas',
  '',
].join('\n');
const GROUPMAPFILE = [
  `"${PROD}" atlasprd`,
  '"/atlas/Role=production" atlasprd',
  `"${DE}" atlasde`,
  '"/atlas/de" atlasde',
  `"${MEMBER}" atlas`,
  '"/atlas" atlas',
  '',
].join('\n');

interface Person {
  readonly dn: string;
  /** FQANs of the request that made the lease (the first is the primary). */
  readonly fqans: readonly string[];
  readonly account: string;
  readonly lease: string;
}

/**
 * One person per convention, each with the lease LCMAPS (or Argus) would have written for them under it, on an
 * account that is not the lowest free one, so a new lease could not land on it by chance.
 */
const CASES: readonly { setting: LeaseNameSetting; conventions: 'argus' | 'lcmaps'; people: readonly Person[] }[] = [
  {
    setting: 'dn-groups',
    conventions: 'lcmaps',
    people: [
      // Primary from the first FQAN; secondaries by gid: atlas (5000) before atlasprd (5006).
      { dn: '/DC=org/DC=example/CN=Gina Groups', fqans: [DE, PROD, MEMBER], account: 'atlas007', lease: lcmapsLeaseName('/DC=org/DC=example/CN=Gina Groups', ATLASDE, [ATLASPRD, ATLAS], false) },
      // The DN-only plugin (lcmaps_poolaccount) keys by DN alone.
      { dn: '/DC=org/DC=example/CN=Dora Dn-Only', fqans: [], account: 'dteam003', lease: lcmapsLeaseName('/DC=org/DC=example/CN=Dora Dn-Only', undefined, [], false) },
    ],
  },
  {
    setting: 'dn-primary-group',
    conventions: 'lcmaps',
    people: [{ dn: "/DC=org/DC=example/O=Test-Org_1.x/CN=Pat O'Primary", fqans: [PROD, MEMBER, DE], account: 'atlas005', lease: lcmapsLeaseName("/DC=org/DC=example/O=Test-Org_1.x/CN=Pat O'Primary", ATLASPRD, [ATLAS, ATLASDE], true) }],
  },
  {
    setting: 'dn',
    conventions: 'argus',
    people: [{ dn: '/DC=org/DC=example/CN=Dan DN', fqans: [MEMBER, DE], account: 'atlas009', lease: lcmapsLeaseName('/DC=org/DC=example/CN=Dan DN', undefined, [], false) }],
  },
  {
    setting: 'argus',
    conventions: 'argus',
    people: [{ dn: '/DC=org/DC=example/CN=Ada Argus', fqans: [MEMBER, DE], account: 'atlas006', lease: argusLeaseName('/DC=org/DC=example/CN=Ada Argus', ['atlas', 'atlasde']) }],
  },
];

/** Names of a directory as raw bytes, sorted bytewise. */
const names = (dir: string): string[] => readdirSync(dir, { encoding: 'buffer' }).map((b) => b.toString('hex')).sort();
/** Each lease name with the account it is hard-linked to (same inode, two links). */
function links(dir: string): Record<string, string> {
  const byIno = new Map<bigint, string>();
  for (const n of readdirSync(dir)) if (!n.startsWith('%')) byIno.set(lstatSync(join(dir, n), { bigint: true }).ino, n);
  const out: Record<string, string> = {};
  for (const n of readdirSync(dir)) {
    if (!n.startsWith('%')) continue;
    const st = lstatSync(join(dir, n), { bigint: true });
    expect(st.nlink, n).toBe(2n);
    out[n] = byIno.get(st.ino) ?? '(none)';
  }
  return out;
}

describe(`lease names as LCMAPS and Argus write them, on ${databaseLabel()}`, () => {
  let storage: TestStorage;
  const work = mkdtempSync(join(tmpdir(), 'gridauthz-lease-names-'));
  const source = join(work, 'gridmapdir');
  const cli = (...args: string[]): Promise<CliRun> => runCli(storage, args);
  const used = new Date('2026-02-03T04:05:06Z');
  let samLease = { name: '', account: '' };

  beforeAll(async () => {
    buildCliIfStale();
    storage = await createTestStorage();
    expect((await cli('migrate')).code).toBe(0);
    writeFileSync(join(work, 'passwd'), ACCOUNTS.map((u, i) => `${u}:x:${6001 + i}:${u.startsWith('atlas') ? 5000 : 5003}::/home/${u}:/bin/sh`).join('\n'));
    writeFileSync(join(work, 'group'), 'atlas:x:5000:\ndteam:x:5003:\natlasprd:x:5006:\natlasde:x:5009:\n');
    writeFileSync(join(work, 'grid-mapfile'), GRID_MAPFILE);
    writeFileSync(join(work, 'groupmapfile'), GROUPMAPFILE);
    // The gridmapdir as the poolaccount plugins leave it: empty account files, each lease a hard link to one.
    mkdirSync(source);
    for (const a of ACCOUNTS) writeFileSync(join(source, a), '');
    for (const c of CASES) {
      for (const p of c.people) {
        linkSync(join(source, p.account), join(source, p.lease));
        utimesSync(join(source, p.lease), used, used);
      }
    }
  }, 120_000);
  afterAll(async () => {
    await storage?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('the rule in docs/mapping.md gives the lease names LCMAPS 1.7.1 was seen to write', () => {
    expect(lcmapsEncode('/DC=org/DC=example/CN=UPPER lower 123/emailAddress=A.B@C.D')).toBe('%2fdc%3dorg%2fdc%3dexample%2fcn%3dupper%20lower%20123%2femailaddress%3da%2eb%40c%2ed');
    expect(lcmapsLeaseName('/DC=org/DC=example/CN=Alice Smith', ATLASDE, [{ name: 'Atlas-Prd.X_1', gid: 5011 }, ATLAS], false)).toBe(
      '%2fdc%3dorg%2fdc%3dexample%2fcn%3dalice%20smith:atlasde:atlas:Atlas-Prd.X_1',
    );
  });

  it('imports the gridmapdir, the grid-mapfile and the groupmapfile; a convention that never writes some names warns about them', async () => {
    const imported = await cli('import', 'gridmapdir', source, '--passwd', join(work, 'passwd'), '--group', join(work, 'group'), '--lease-names', 'dn');
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain(`leases: ${CASES.flatMap((c) => c.people).length} inserted`);
    // Under "dn" the group-suffixed names can never be found; the import says so (and still imports them).
    expect(imported.stderr).toContain('3 lease(s) will never be found with lease names dn');
    // Secondary-only groups are not in the gridmapdir; a site creates them (`gridauthz pool group-set`, admin API).
    const db = await Database.open({ url: storage.url, dataDir: storage.dataDir, migrations: MIGRATIONS, log: silentLog, poolSize: 2 });
    try {
      const written = await new PostgresMappingConfigStore(db, LCMAPS_SETTINGS).upsertGroups([ATLASPRD, ATLASDE]);
      expect(written.ok).toBe(true);
    } finally {
      await db.close();
    }
    for (const args of [['grid-mapfile', join(work, 'grid-mapfile')], ['groupmapfile', join(work, 'groupmapfile')]]) {
      const r = await cli('import', ...(args as [string, string]), '--syntax', 'lcmaps');
      expect(r.code, r.stderr).toBe(0);
    }
  }, 240_000);

  it('under each lease-name setting every person finds the account of their existing lease (no new lease)', async () => {
    const db = await Database.open({ url: storage.url, dataDir: storage.dataDir, migrations: MIGRATIONS, log: silentLog, poolSize: 2 });
    try {
      const leases = new PostgresLeaseStore(db);
      const before = await leases.list();
      for (const c of CASES) {
        const config = await compiled(db, c.setting, c.conventions);
        for (const p of c.people) {
          const mapped = await mapSubject(leases, config, { dn: Dn.fromSlash(p.dn), fqans: p.fqans.map((f) => Fqan.parse(f)) }, new Date('2026-03-01T00:00:00Z'));
          expect(mapped.ok ? { username: mapped.value.account.username, created: mapped.value.leaseCreated, key: mapped.value.plan.target } : mapped.error, `${c.setting}: ${p.dn}`).toEqual({
            username: p.account,
            created: false,
            key: { kind: 'pool', poolId: p.account.replace(/[0-9]+$/, ''), subjectKey: p.lease },
          });
        }
      }
      expect((await leases.list()).map((l) => `${l.subjectKey}=${l.username}`)).toEqual(before.map((l) => `${l.subjectKey}=${l.username}`));
    } finally {
      await db.close();
    }
  }, 120_000);

  it('with dn-primary-group the same person with the same primary FQAN keeps one account whatever secondary FQANs come along', async () => {
    const db = await Database.open({ url: storage.url, dataDir: storage.dataDir, migrations: MIGRATIONS, log: silentLog, poolSize: 2 });
    try {
      const leases = new PostgresLeaseStore(db);
      for (const conventions of ['lcmaps', 'argus'] as const) {
        const config = await compiled(db, 'dn-primary-group', conventions);
        const dn = Dn.fromSlash('/DC=org/DC=example/CN=Sam Same');
        const seen = new Set<string>();
        // As PRIMA (primary only), the full chain (every FQAN), and a client listing the FQANs in another order.
        for (const fqans of [[PROD], [PROD, MEMBER, DE], [PROD, DE], [PROD, DE, MEMBER]]) {
          const r = await mapSubject(leases, config, { dn, fqans: fqans.map((f) => Fqan.parse(f)) }, new Date('2026-03-01T00:00:00Z'));
          expect(r.ok, JSON.stringify(r)).toBe(true);
          if (r.ok) seen.add(r.value.account.username);
        }
        expect(seen.size, conventions).toBe(1);
      }
      // A different primary FQAN is a different lease, as in LCMAPS.
      const config = await compiled(db, 'dn-primary-group', 'lcmaps');
      const other = await mapSubject(leases, config, { dn: Dn.fromSlash('/DC=org/DC=example/CN=Sam Same'), fqans: [Fqan.parse(DE), Fqan.parse(PROD)] }, new Date('2026-03-01T00:00:00Z'));
      expect(other.ok && other.value.plan.target).toMatchObject({ subjectKey: lcmapsLeaseName('/DC=org/DC=example/CN=Sam Same', ATLASDE, [], true) });
      // Release the second lease; Sam's first lease, made by gridauthz, is exported below for LCMAPS to find.
      if (other.ok && other.value.plan.target.kind === 'pool') await leases.release('atlas', other.value.plan.target.subjectKey);
      const mine = (await leases.list()).filter((l) => l.subjectKey.includes('sam%20same'));
      expect(mine.map((l) => l.subjectKey)).toEqual([lcmapsLeaseName('/DC=org/DC=example/CN=Sam Same', ATLASPRD, [], true)]);
      samLease = { name: mine[0]?.subjectKey ?? '', account: mine[0]?.username ?? '' };
    } finally {
      await db.close();
    }
  }, 120_000);

  it('export gridmapdir writes the same names byte for byte, linked to the same accounts, with the last-used times, and names new leases by the rule', async () => {
    const target = join(work, 'exported');
    const r = await cli('export', 'gridmapdir', target, '--lease-names', 'dn-groups');
    expect(r.code, r.stderr).toBe(0);
    // The imported names come back byte for byte on the same accounts, plus the lease gridauthz made itself, named
    // as LCMAPS with -do_not_use_secondary_gids names it, so LCMAPS finds it.
    expect(names(target)).toEqual([...names(source), Buffer.from(samLease.name).toString('hex')].sort());
    expect(links(target)).toEqual({ ...links(source), [samLease.name]: samLease.account });
    // The mappings above touched the leases (mtime = last use), as LCMAPS's utime does.
    for (const p of CASES.flatMap((c) => c.people)) expect(lstatSync(join(target, p.lease)).mtime.getTime()).toBeGreaterThanOrEqual(used.getTime());
  }, 120_000);
});

async function compiled(db: Database, setting: LeaseNameSetting, conventions: 'argus' | 'lcmaps'): Promise<CompiledMappingConfig> {
  const base = conventions === 'lcmaps' ? LCMAPS_SETTINGS : ARGUS_SETTINGS;
  const settings = { ...base, leaseKey: leaseKeyConventionFor(setting, conventions) };
  const result = compileMappingConfig(await new PostgresMappingConfigStore(db, settings).load(), settings);
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
}
