import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import { Database } from '@gridauthz/persistence';
import { MIGRATIONS } from '../../migrations';
import { buildCliIfStale } from '../support/build-cli';
import { createTestStorage, databaseLabel, type TestStorage } from '../support/test-database';
import { runCli, type CliRun } from '../mapping/support/cli';

interface AuditRow {
  channel: string;
  actor_dn: string;
  actor_role: string;
  credential: string;
  action: string;
  target: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/**
 * CLI commands that write the database themselves (no admin API): `admin principal add/remove`, every import,
 * `policy apply` and `policy activate`. Each writes its change and an admin_audit row in one transaction, with the
 * local OS user as actor and "direct" as channel; a failure of the audit insert leaves neither.
 */
describe(`direct CLI writes are audited (${databaseLabel()})`, () => {
  let storage: TestStorage;
  const work = mkdtempSync(join(tmpdir(), 'gridauthz-direct-audit-'));
  const cli = (...args: string[]): Promise<CliRun> => runCli(storage, args);
  const me = `${userInfo().username}@${hostname()}`;
  /** The test reads the database only between CLI runs: the embedded database takes one process at a time. */
  const query = async <T>(sql: string, params: unknown[] = []): Promise<T> => {
    const db = await Database.open({ url: storage.url, dataDir: storage.dataDir, migrations: MIGRATIONS, log: silentLog });
    try {
      return await db.dataSource.query<T>(sql, params);
    } finally {
      await db.close();
    }
  };
  const audit = (action: string): Promise<AuditRow[]> => query<AuditRow[]>(`SELECT * FROM admin_audit WHERE action = $1 ORDER BY id`, [action]);

  beforeAll(async () => {
    buildCliIfStale();
    storage = await createTestStorage();
    const migrated = await cli('migrate');
    expect(migrated.code, migrated.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await storage?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('principal add, imports with their counts, banned DNs, policy apply and activate: each one row, actor the OS user, channel direct', async () => {
    const added = await cli('admin', 'principal', 'add', '/DC=org/CN=Officer One', '--role', 'security-officer');
    expect(added.code, added.stderr).toBe(0);
    const changed = await cli('admin', 'principal', 'add', '/DC=org/CN=Officer One', '--role', 'auditor');
    expect(changed.code, changed.stderr).toBe(0);

    const dir = join(work, 'gridmapdir');
    mkdirSync(dir);
    for (const a of ['dteam001', 'dteam002']) writeFileSync(join(dir, a), '');
    writeFileSync(join(work, 'passwd'), 'dteam001:x:64001:5003::/home/dteam001:/bin/sh\ndteam002:x:64002:5003::/home/dteam002:/bin/sh\n');
    writeFileSync(join(work, 'group'), 'dteam:x:5003:\n');
    const pools = await cli('import', 'gridmapdir', dir, '--passwd', join(work, 'passwd'), '--group', join(work, 'group'));
    expect(pools.code, pools.stderr).toBe(0);

    const mapfile = join(work, 'grid-mapfile');
    writeFileSync(mapfile, '"/DC=org/CN=Pool Person" .dteam\n"/DC=org/CN=Pool Person" .dteam\n');
    // LCMAPS syntax: a duplicate key is a warning there (Argus refuses the file).
    const rules = await cli('import', 'grid-mapfile', mapfile, '--syntax', 'lcmaps');
    expect(rules.code, rules.stderr).toBe(0);
    expect(rules.stderr).toContain('warning: grid-mapfile line 2: duplicate key');

    const banfile = join(work, 'ban_users.db');
    writeFileSync(banfile, '"/DC=org/CN=Banned One"\n"/DC=org/CN=Banned Two"\n');
    const bans = await cli('import', 'banfile', banfile);
    expect(bans.code, bans.stderr).toBe(0);

    const policy = join(work, 'site.spl');
    writeFileSync(policy, 'resource ".*" {\n  action ".*" {\n    rule permit { fqan = "/dteam" }\n  }\n}\n');
    const applied = await cli('policy', 'apply', policy, '--comment', 'first');
    expect(applied.code, applied.stderr).toBe(0);
    const again = await cli('policy', 'apply', policy, '--comment', 'second');
    expect(again.code, again.stderr).toBe(0);
    const activated = await cli('policy', 'activate', '1');
    expect(activated.code, activated.stderr).toBe(0);

    const direct = { channel: 'direct', actor_dn: me, actor_role: 'local', credential: `os-user:${userInfo().uid}` };
    const [p1, p2] = await audit('principal.add').then(async (a) => [...a, ...(await audit('principal.update'))]);
    expect(p1).toMatchObject({ ...direct, target: '/DC=org/CN=Officer One', before: null, after: { role: 'security-officer' } });
    expect(p2).toMatchObject({ ...direct, before: { role: 'security-officer' }, after: { role: 'auditor' } });
    // The trigger stays silent for the CLI's own, audited change: one row per change.
    expect(await query(`SELECT * FROM admin_audit WHERE channel = 'database'`)).toEqual([]);

    const [gridmapdir] = await audit('import.gridmapdir');
    expect(gridmapdir).toMatchObject({ ...direct, target: dir, after: { input: resolve(dir), counts: { pools: { inserted: 1 }, leases: { inserted: 0 } } } });
    const [mapped] = await audit('import.grid-mapfile');
    expect(mapped).toMatchObject({ ...direct, after: { counts: { rules: { inserted: 2 } } } });
    expect(String((mapped?.after?.['warnings'] as string[])[0])).toContain('line 2: duplicate key');
    const [banned] = await audit('import.banfile');
    expect(banned).toMatchObject({ ...direct, after: { counts: { bans: { inserted: 2, unchanged: 0 } } } });
    const banAdds = await audit('ban.add');
    expect(banAdds.map((r) => r.after?.['value'])).toEqual(['/DC=org/CN=Banned One', '/DC=org/CN=Banned Two']);
    expect(banAdds[0]).toMatchObject(direct);

    const policyRows = [...(await audit('policy.apply')), ...(await audit('policy.activate'))];
    expect(policyRows.map((r) => [r.action, r.target, r.before?.['id'] ?? null])).toEqual([
      ['policy.apply', '1', null],
      ['policy.apply', '2', '1'],
      ['policy.activate', '1', '2'],
    ]);
    expect(policyRows[0]).toMatchObject(direct);
  }, 240_000);

  it('a static grid-mapfile line onto an account of a leased pool is refused unless --force', async () => {
    const mapfile = join(work, 'grid-mapfile.static');
    writeFileSync(mapfile, '"/DC=org/CN=Static Person" dteam002\n');
    const refused = await cli('import', 'grid-mapfile', mapfile, '--source', 'static');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('MAPPING_STATIC_ON_LEASED_POOL');
    expect(refused.stderr).toContain('account dteam002 is also leased from pool dteam');
    expect(refused.stderr).toContain('--force');
    expect(await query(`SELECT rule_key FROM mapping_rule WHERE rule_key LIKE 'static:%'`)).toEqual([]);
    expect(await audit('import.grid-mapfile')).toHaveLength(1);

    const forced = await cli('import', 'grid-mapfile', mapfile, '--source', 'static', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toContain('warning: rule static:');
    expect(await query(`SELECT rule_key FROM mapping_rule WHERE rule_key LIKE 'static:%'`)).toHaveLength(1);
    const rows = await audit('import.grid-mapfile');
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(rows[1]?.after?.['warnings'])).toContain('account dteam002 is also leased from pool dteam');
  }, 120_000);

  it('a failure of the audit insert leaves neither the change nor an audit row', async () => {
    const rows = Number((await query<{ n: string }[]>(`SELECT count(*) AS n FROM admin_audit`))[0]?.n);
    await query(`CREATE FUNCTION test_audit_fails() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected audit failure'; END $$`);
    await query(`CREATE TRIGGER test_audit_fails_tg BEFORE INSERT ON admin_audit FOR EACH ROW EXECUTE FUNCTION test_audit_fails()`);
    try {
      expect((await cli('admin', 'principal', 'add', '/DC=org/CN=Never Admin', '--role', 'operator')).code).not.toBe(0);
      expect(await query(`SELECT dn FROM admin_principal WHERE dn = '/DC=org/CN=Never Admin'`)).toEqual([]);
      expect((await cli('admin', 'principal', 'remove', '/DC=org/CN=Officer One')).code).not.toBe(0);
      expect(await query(`SELECT dn FROM admin_principal WHERE dn = '/DC=org/CN=Officer One'`)).toHaveLength(1);

      const banfile = join(work, 'ban_never.db');
      writeFileSync(banfile, '"/DC=org/CN=Never Banned"\n');
      expect((await cli('import', 'banfile', banfile)).code).not.toBe(0);
      expect(await query(`SELECT id FROM ban WHERE value = '/DC=org/CN=Never Banned'`)).toEqual([]);

      const mapfile = join(work, 'grid-mapfile.never');
      writeFileSync(mapfile, '"/DC=org/CN=Never Mapped" .dteam\n');
      expect((await cli('import', 'grid-mapfile', mapfile, '--source', 'never')).code).not.toBe(0);
      expect(await query(`SELECT rule_key FROM mapping_rule WHERE rule_key LIKE 'never:%'`)).toEqual([]);

      const policy = join(work, 'never.spl');
      writeFileSync(policy, 'resource ".*" {\n  action ".*" {\n    rule deny { fqan = "/never" }\n  }\n}\n');
      expect((await cli('policy', 'apply', policy)).code).not.toBe(0);
      expect((await cli('policy', 'activate', '2')).code).not.toBe(0);
      expect(await query(`SELECT id FROM policy_version WHERE active`)).toEqual([{ id: '1' }]);
      expect(await query(`SELECT id FROM policy_version ORDER BY id`)).toHaveLength(2);
    } finally {
      await query(`DROP TRIGGER IF EXISTS test_audit_fails_tg ON admin_audit`);
      await query(`DROP FUNCTION IF EXISTS test_audit_fails()`);
    }
    expect(Number((await query<{ n: string }[]>(`SELECT count(*) AS n FROM admin_audit`))[0]?.n)).toBe(rows);
  }, 240_000);
});
