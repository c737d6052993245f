import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import { Database } from '@gridauthz/persistence';
import { MIGRATIONS } from '../../migrations';
import { Callers1795400000100 } from '../../migrations/1795400000100-callers';
import { buildCliIfStale } from '../support/build-cli';
import { createTestStorage, databaseLabel, type TestStorage } from '../support/test-database';
import { runCli, type CliRun } from './support/cli';

const PILOT = '/DC=org/DC=example/OU=People/CN=Pilot Owner';
const CE = '/DC=org/DC=example/CN=host/ce01.example.org';
const OLD_WN = '/DC=org/DC=example/CN=host/wn01.example.org';

/**
 * `gridauthz caller …` and `import callers` end to end (a real CLI process on the test database), and the migration
 * that moves the old payload_caller whitelist into the caller table. Tests run in order on one database.
 */
describe(`gridauthz caller on ${databaseLabel()}`, () => {
  let storage: TestStorage;
  const work = mkdtempSync(join(tmpdir(), 'gridauthz-cli-callers-'));
  const cli = (...args: string[]): Promise<CliRun> => runCli(storage, args);
  const open = (migrations: typeof MIGRATIONS) => Database.open({ url: storage.url, dataDir: storage.dataDir, migrations, log: silentLog });
  const query = async <T>(sql: string, params: unknown[] = []): Promise<T> => {
    const db = await open(MIGRATIONS);
    try {
      return await db.dataSource.query<T>(sql, params);
    } finally {
      await db.close();
    }
  };

  beforeAll(async () => {
    buildCliIfStale();
    storage = await createTestStorage();
    // A database from before the caller table, with one payload caller in the old whitelist.
    const before = await open(MIGRATIONS.filter((m) => m !== Callers1795400000100));
    await before.migrate();
    await before.dataSource.query(`INSERT INTO payload_caller (caller_key, kind, dn) VALUES ('wn', 'host', $1)`, [OLD_WN]);
    await before.close();
    const migrated = await cli('migrate');
    expect(migrated.code, migrated.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await storage?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('migrates the old payload_caller whitelist to pilots (the chain is still required of them)', async () => {
    const rows = await query<{ dn: string; role: string; comment: string }[]>(`SELECT dn, role, comment FROM caller`);
    expect(rows).toEqual([{ dn: OLD_WN, role: 'pilot', comment: 'payload caller wn (host)' }]);
    expect(await query<unknown[]>(`SELECT * FROM payload_caller`)).toEqual([]);
  });

  it('adds, lists and removes callers, each change audited in the same transaction', async () => {
    expect((await cli('caller', 'add', PILOT, '--role', 'pilot', '--comment', 'pilot factory')).code).toBe(0);
    // The RFC 2253 form of the same DN is the same caller: a second add of the role changes nothing.
    const again = await cli('caller', 'add', 'CN=Pilot Owner,OU=People,DC=example,DC=org', '--role', 'pilot');
    expect(again.stdout).toMatch(/already has role pilot/);
    expect((await cli('caller', 'add', CE, '--role', 'asserter')).code).toBe(0);
    const list = await cli('caller', 'list', '--json');
    expect(list.code, list.stderr).toBe(0);
    const callers = (JSON.parse(list.stdout) as { callers: { dn: string; role: string; source: string; comment: string }[] }).callers;
    expect(callers.map((c) => [c.dn, c.role, c.source])).toEqual(
      expect.arrayContaining([
        [PILOT, 'pilot', 'database'],
        [CE, 'asserter', 'database'],
        [OLD_WN, 'pilot', 'database'],
      ]),
    );
    expect(callers.find((c) => c.dn === PILOT)?.comment).toBe('pilot factory');

    const removed = await cli('caller', 'remove', CE, '--role', 'asserter');
    expect(removed.code, removed.stderr).toBe(0);
    const none = await cli('caller', 'remove', CE);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no role/);

    const audit = await query<{ action: string; actor_dn: string; actor_role: string; credential: string; channel: string; target: string }[]>(`SELECT action, actor_dn, actor_role, credential, channel, target FROM admin_audit WHERE action LIKE 'caller.%' ORDER BY id`);
    expect(audit.map((a) => a.action)).toEqual(['caller.add', 'caller.add', 'caller.add', 'caller.remove']);
    expect(audit.every((a) => a.channel === 'direct' && a.credential.startsWith('os-user:'))).toBe(true);
  }, 120_000);

  it('refuses a bad role and a bad DN with a usage error and changes nothing', async () => {
    expect((await cli('caller', 'add', PILOT, '--role', 'admin')).code).toBe(2);
    expect((await cli('caller', 'add', 'not a dn', '--role', 'pilot')).code).toBe(2);
  }, 60_000);

  it("imports a glexec.conf's user_white_list all or nothing, and again with no change", async () => {
    const bad = join(work, 'glexec-bad.conf');
    writeFileSync(bad, `[glexec]\nuser_white_list = "${CE}",pilatl01\n`);
    const refused = await cli('import', 'callers', bad);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/glexec-bad\.conf:2: "pilatl01" is a local user name/);
    expect(await query<unknown[]>(`SELECT * FROM caller WHERE dn = $1`, [CE])).toEqual([]);

    const good = join(work, 'glexec.conf');
    writeFileSync(good, `# worker node glexec\n[glexec]\nlinger = yes\nuser_white_list = "${CE}","${PILOT}"\n`);
    const first = await cli('import', 'callers', good, '--role', 'pilot');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/callers: 1 inserted, 0 updated, 1 unchanged/);
    const second = await cli('import', 'callers', good, '--role', 'pilot');
    expect(second.stdout).toMatch(/callers: 0 inserted, 0 updated, 2 unchanged/);
    const audit = await query<{ target: string }[]>(`SELECT target FROM admin_audit WHERE action = 'caller.import'`);
    expect(audit).toEqual([{ target: good }]);
  }, 120_000);
});
