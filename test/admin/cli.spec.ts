import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import { AdminPrincipalRepository, Database } from '@gridauthz/persistence';
import { MIGRATIONS } from '../../migrations';
import { fixturePath, fixturePki } from '../support/fixtures';
import { adminApiArgs, certArgs as user } from '../support/cli-args';
import { runCli as cli } from '../support/in-process-cli';
import { askPdp } from '../support/pdp-client';
import { proxyIdentity } from '../support/fixtures';
import { createTestStorage, databaseLabel } from '../support/test-database';
import type { TestServer } from '../support/test-server';
import { startAdminTestServer } from './admin-support';

describe(`admin CLI (${databaseLabel()})`, () => {
  let t: TestServer;
  const api = () => adminApiArgs(t);
  beforeAll(async () => {
    ({ t } = await startAdminTestServer({ bob: 'security-officer', pilot: 'operator' }));
  });
  afterAll(async () => t?.close());
  afterEach(() => {
    delete process.env.GRIDAUTHZ_TOKEN;
  });

  it('admin principal add bootstraps the first admin directly in the database', async () => {
    const storage = await createTestStorage();
    const saved = { url: process.env.DATABASE_URL, dir: process.env.GRIDAUTHZ_DATA_DIR };
    try {
      const db = await Database.open({ url: storage.url, dataDir: storage.dataDir, migrations: MIGRATIONS, log: silentLog, poolSize: 2 });
      await db.migrate();
      await db.close();
      process.env.DATABASE_URL = storage.url ?? '';
      process.env.GRIDAUTHZ_DATA_DIR = storage.dataDir;
      const dn = 'CN=Olga Officer,OU=People,DC=gridauthz-dev,DC=org';
      const added = await cli(['admin', 'principal', 'add', dn, '--role', 'security-officer']);
      expect(added.error).toBeUndefined();
      expect(added.stdout).toContain('/DC=org/DC=gridauthz-dev/OU=People/CN=Olga Officer added as security-officer');
      const changed = await cli(['admin', 'principal', 'add', '/DC=org/DC=gridauthz-dev/OU=People/CN=Olga Officer', '--role', 'auditor']);
      expect(changed.stdout).toContain('security-officer → auditor');
      const bad = await cli(['admin', 'principal', 'add', dn, '--role', 'root']);
      expect(bad.error?.exitCode).toBe(2);
      const check = await Database.open({ url: storage.url, dataDir: storage.dataDir, migrations: MIGRATIONS, log: silentLog, poolSize: 2 });
      expect((await new AdminPrincipalRepository(check).findByDn('/DC=org/DC=gridauthz-dev/OU=People/CN=Olga Officer'))?.role).toBe('auditor');
      await check.close();
    } finally {
      process.env.DATABASE_URL = saved.url ?? '';
      if (saved.dir === undefined) delete process.env.GRIDAUTHZ_DATA_DIR;
      else process.env.GRIDAUTHZ_DATA_DIR = saved.dir;
      await storage.dispose();
    }
  });

  it('ban add | list | lift with a certificate, as a table and as JSON; the PDP follows', async () => {
    const alice = fixturePki().users['alice']?.subject ?? '';
    const added = await cli(['ban', 'add', 'dn', alice, '--reason', 'incident 12', '--json', ...api(), ...user('bob')]);
    expect(added.error).toBeUndefined();
    const ban = JSON.parse(added.stdout) as { id: string };
    const decision = await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
    expect(decision.answer?.decision).toBe('Deny');
    const table = await cli(['ban', 'list', ...api(), ...user('bob')]);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+KIND\s+VALUE\s+STATE\s+REASON/);
    expect(table.stdout).toContain('incident 12');
    const lifted = await cli(['ban', 'lift', ban.id, '--reason', 'resolved', ...api(), ...user('bob')]);
    expect(lifted.stdout).toContain('state: lifted');
    expect((await cli(['ban', 'list', ...api(), ...user('bob')])).stdout).toBe('(none)\n');
  });

  it('a refusal names the stable problem code; an operator cannot ban', async () => {
    const refused = await cli(['ban', 'add', 'vo', 'dteam', '--reason', 'x', ...api(), ...user('pilot')]);
    expect(refused.error?.message).toMatch(/^ADMIN_ROLE_FORBIDDEN \(HTTP 403\)/);
    const unreachable = await cli(['ban', 'list', '--url', 'https://127.0.0.1:1', '--capath', fixturePath(fixturePki().caDir), ...user('bob')]);
    expect(unreachable.error?.exitCode).toBe(69);
  });

  it('admin token issue, then pool, lease, rule and audit commands with the token (GRIDAUTHZ_TOKEN) and a proxy file', async () => {
    const issued = await cli(['admin', 'token', 'issue', '--label', 'cron', ...api(), '--proxy', fixturePath(fixturePki().proxies['pilot']?.file ?? '')]);
    expect(issued.error).toBeUndefined();
    const token = issued.stdout.split('\n')[0] ?? '';
    expect(token).toMatch(/^gza_/);
    process.env.GRIDAUTHZ_TOKEN = token;
    expect((await cli(['admin', 'whoami', ...api()])).stdout).toContain('role: operator');

    const pools = await cli(['pool', 'list', ...api()]);
    expect(pools.stdout).toMatch(/atlas\s+user\s+50/);
    expect((await cli(['pool', 'group-set', 'cli', '5200', ...api()])).error).toBeUndefined();
    expect((await cli(['pool', 'set', 'cli', '--range', 'cli:3:68001:2:5200:1', ...api()])).error).toBeUndefined();
    const accounts = await cli(['pool', 'accounts', 'cli', ...api()]);
    expect(accounts.stdout).toContain('cli01');
    const rules = await cli(['rule', 'add', 'cli-rule', '--fqan', '/cli', '--pool', 'cli', '--position', '0', ...api()]);
    expect(rules.stdout.split('\n')[1]).toMatch(/^0\s+cli-rule\s+fqan \/cli\s+\.cli/);
    expect((await cli(['rule', 'remove', 'cli-rule', ...api()])).stdout).not.toContain('cli-rule');

    await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
    const leases = await cli(['lease', 'list', '--pool', 'atlas', '--json', ...api()]);
    const lease = (JSON.parse(leases.stdout) as { leases: { subjectKey: string; uid: number }[] }).leases[0];
    expect(lease).toBeDefined();
    const released = await cli(['lease', 'release', 'atlas', lease?.subjectKey ?? '', '--reason', 'cli test', ...api()]);
    expect(released.stdout).toContain('availableAfter:');

    const who = await cli(['audit', 'who', '--uid', String(lease?.uid), '--host', 'wn042.example.org', '--at', new Date().toISOString().slice(0, 16) + 'Z', ...api()]);
    expect(who.error).toBeUndefined();
    expect(who.stdout).toContain(`DN:       ${fixturePki().users['alice']?.subject}`);
    expect(who.stdout).toContain('lease history of the account:');
    const log = await cli(['audit', 'log', '--action', 'lease.release', ...api()]);
    expect(log.stdout).toMatch(/lease\.release\s+atlas\//);
    expect(log.stdout).toContain(`token:`);

    // Release by person or account, and expiry now (docs/lease-expiry.md).
    await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
    const bySubject = await cli(['lease', 'release', '--subject', fixturePki().users['alice']?.subject ?? '', '--reason', 'cli subject', ...api()]);
    expect(bySubject.error).toBeUndefined();
    expect(bySubject.stdout).toMatch(/^POOLID\s+USERNAME\s+SUBJECTKEY/);
    expect(bySubject.stdout).toMatch(/\natlas\s+atlas\d+\s+%2f/);
    expect((await cli(['lease', 'release', '--username', 'atlas001', '--subject', '/CN=x', '--reason', 'x', ...api()])).error).toBeDefined();
    const dry = await cli(['lease', 'expire', '--idle', '1h', '--dry-run', ...api()]);
    expect(dry.error).toBeUndefined();
    expect(dry.stdout).toContain('(none)');
  });
});
