import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminAuditRepository, type Database, PostgresLeaseStore } from '@gridauthz/persistence';
import { fixturePki, userIdentity } from '../support/fixtures';
import { adminApiArgs, certArgs as as } from '../support/cli-args';
import { runCli as cli } from '../support/in-process-cli';
import { databaseLabel } from '../support/test-database';
import type { TestServer } from '../support/test-server';
import { adminCall, startAdminTestServer } from './admin-support';

/** Issue 17.8 through the admin API and its CLI: deletes (audited, refused with the reason), principals, what-if. */
describe(`everyday admin verbs (${databaseLabel()})`, () => {
  let t: TestServer;
  let db: Database;
  const api = () => adminApiArgs(t);
  const audit = (action: string) => new AdminAuditRepository(db).list({ action });
  beforeAll(async () => {
    ({ t, db } = await startAdminTestServer({ bob: 'security-officer', pilot: 'operator' }));
  });
  afterAll(async () => t?.close());

  it('pool delete: refused while a rule uses it, refused with live leases unless --force; audited with the lease history', async () => {
    expect((await cli(['pool', 'group-set', 'gone', '5300', ...api(), ...as('pilot')])).error).toBeUndefined();
    expect((await cli(['pool', 'set', 'gone', '--range', 'gone:3:69001:2:5300:1', ...api(), ...as('pilot')])).error).toBeUndefined();
    expect((await cli(['rule', 'add', 'gone-rule', '--fqan', '/gone', '--pool', 'gone', ...api(), ...as('pilot')])).error).toBeUndefined();
    const used = await cli(['pool', 'delete', 'gone', ...api(), ...as('pilot')]);
    expect(used.error?.message).toContain('pool gone is still used by rule gone-rule');
    expect((await cli(['rule', 'remove', 'gone-rule', ...api(), ...as('pilot')])).error).toBeUndefined();
    const lease = await new PostgresLeaseStore(db).acquire('gone', 'gone-key', new Date());
    expect(lease.ok).toBe(true);
    const live = await cli(['pool', 'delete', 'gone', ...api(), ...as('pilot')]);
    expect(live.error?.message).toMatch(/pool gone has 1 live lease\(s\): users mapped to its accounts would be mapped elsewhere/);
    expect((await cli(['pool', 'list', ...api(), ...as('pilot')])).stdout).toMatch(/^gone\s/m);
    const forced = await cli(['pool', 'delete', 'gone', '--force', ...api(), ...as('pilot')]);
    expect(forced.error).toBeUndefined();
    expect(forced.stdout).toBe('pool gone deleted (3 accounts; 1 lease records kept in the audit trail)\n');
    expect((await cli(['pool', 'list', ...api(), ...as('pilot')])).stdout).not.toMatch(/^gone\s/m);
    const rows = await audit('pool.delete');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ target: 'gone', actorRole: 'operator', before: { forced: true, leases: [{ username: 'gone01', subjectKey: 'gone-key', releasedAt: null }] } });
    expect((await cli(['pool', 'delete', 'gone', ...api(), ...as('pilot')])).error?.message).toMatch(/ADMIN_NOT_FOUND.*no pool gone/);
  });

  it('group delete: refused while a rule gives the group; audited when done', async () => {
    const used = await cli(['pool', 'group-delete', 'dteam', ...api(), ...as('pilot')]);
    expect(used.error?.message).toContain('unix group dteam is given by rule dev:dteam');
    expect((await cli(['pool', 'group-set', 'spare', '5301', ...api(), ...as('pilot')])).error).toBeUndefined();
    expect((await cli(['pool', 'group-delete', 'spare', ...api(), ...as('pilot')])).stdout).toBe('unix group spare deleted\n');
    expect((await audit('group.delete'))[0]).toMatchObject({ target: 'spare', before: { name: 'spare', gid: 5301 } });
  });

  it('pilot role delete, audited; an auditor or officer without the operator role is refused', async () => {
    expect((await cli(['rule', 'pilot-role-set', 'extra', '--fqan', '/atlas/Role=lcgadmin', '--pool', 'atlaspilot', ...api(), ...as('pilot')])).error).toBeUndefined();
    const refused = await cli(['rule', 'pilot-role-delete', 'extra', ...api(), ...as('bob')]);
    expect(refused.error?.message).toMatch(/^ADMIN_ROLE_FORBIDDEN \(HTTP 403\)/);
    expect((await cli(['rule', 'pilot-role-delete', 'extra', ...api(), ...as('pilot')])).stdout).toBe('pilot role extra deleted\n');
    expect((await audit('pilot-role.delete'))[0]).toMatchObject({ target: 'extra', before: { fqanPattern: '/atlas/Role=lcgadmin', poolId: 'atlaspilot' } });
  });

  it('principals through the API: a security officer adds, changes, lists and removes; each change audited', async () => {
    const dn = 'CN=Kube Operator,OU=People,DC=gridauthz-dev,DC=org';
    const slash = '/DC=org/DC=gridauthz-dev/OU=People/CN=Kube Operator';
    expect((await cli(['principal', 'add', dn, '--role', 'operator', ...api(), ...as('bob')])).stdout).toBe(`${slash} added as operator\n`);
    expect((await cli(['principal', 'add', slash, '--role', 'auditor', ...api(), ...as('bob')])).stdout).toBe(`${slash}: role operator → auditor\n`);
    expect((await cli(['principal', 'list', ...api(), ...as('bob')])).stdout).toContain(slash);
    const byOperator = await cli(['principal', 'add', dn, '--role', 'security-officer', ...api(), ...as('pilot')]);
    expect(byOperator.error?.message).toMatch(/^ADMIN_ROLE_FORBIDDEN \(HTTP 403\)/);
    const self = await cli(['principal', 'remove', fixturePki().users['bob']?.subject ?? '', ...api(), ...as('bob')]);
    expect(self.error?.message).toContain('you cannot remove yourself');
    expect((await cli(['principal', 'remove', dn, ...api(), ...as('bob')])).stdout).toBe(`${slash} removed\n`);
    expect((await audit('principal.add'))[0]).toMatchObject({ target: slash, after: { role: 'operator' } });
    expect((await audit('principal.change'))[0]).toMatchObject({ target: slash, before: { role: 'operator' }, after: { role: 'auditor' } });
    expect((await audit('principal.remove'))[0]).toMatchObject({ target: slash, before: { role: 'auditor' } });
  });

  it('what-if mapping through the API leases nothing', async () => {
    const before = (await new PostgresLeaseStore(db).list()).length;
    const answer = await adminCall(t, {
      path: '/mapping/what-if',
      method: 'POST',
      identity: userIdentity('pilot'),
      body: { dn: '/DC=org/DC=gridauthz-dev/OU=People/CN=Someone New', fqans: ['/dteam/Role=NULL/Capability=NULL'] },
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ outcome: 'would-lease', ruleId: 'dev:dteam', poolId: 'dteam', account: { username: 'dteam001' } });
    expect((await new PostgresLeaseStore(db).list()).length).toBe(before);
    const bad = await adminCall(t, { path: '/mapping/what-if', method: 'POST', identity: userIdentity('pilot'), body: { dn: 'no dn here' } });
    expect(bad.status).toBe(400);
  });

  it('what-if for a token identity: the token group rule, and a linked token as its DN (docs/mapping-tokens.md)', async () => {
    const iss = 'https://cms-auth.example.org/';
    expect((await cli(['rule', 'add', 'cms-tokens', '--issuer', iss, '--token-group', '/cms', '--pool', 'dteam', '--group', 'atlasprd', ...api(), ...as('pilot')])).error).toBeUndefined();
    const before = (await new PostgresLeaseStore(db).list()).length;
    const ask = (body: unknown) => adminCall(t, { path: '/mapping/what-if', method: 'POST', identity: userIdentity('pilot'), body });
    const answer = await ask({ issuer: iss, subject: 'c-1', groups: ['/cms'] });
    expect(answer.status).toBe(200);
    // atlasprd (5001) as the primary group: the rule's group, not the dteam accounts' own gid.
    expect(answer.json).toMatchObject({ outcome: 'would-lease', ruleId: 'cms-tokens', poolId: 'dteam', account: { gid: 5001 }, token: { issuer: iss, subject: 'c-1', groups: ['/cms'] } });
    expect(answer.json).not.toHaveProperty('linkedDn');
    // Linked (through the API, as `link add --api` does): the server's own links answer, as its decisions would.
    const dn = '/DC=org/DC=gridauthz-dev/OU=People/CN=Someone New';
    expect((await cli(['link', 'add', '--api', '--issuer', iss, '--subject', 'c-1', '--dn', dn, ...api(), ...as('pilot')])).error).toBeUndefined();
    await t.server.site()?.refresh();
    const linked = await ask({ issuer: iss, subject: 'c-1', groups: ['/cms'] });
    expect(linked.json).toMatchObject({ linkedDn: dn, token: { subject: 'c-1' } });
    expect((await new PostgresLeaseStore(db).list()).length).toBe(before);
  });

  it('what-if refuses a mixed or malformed token body with a 400 naming the field', async () => {
    const ask = (body: unknown) => adminCall(t, { path: '/mapping/what-if', method: 'POST', identity: userIdentity('pilot'), body });
    const mixed = await ask({ dn: '/DC=org/CN=x', issuer: 'https://cms-auth.example.org/', subject: 'c-1' });
    expect([mixed.status, mixed.contentType, mixed.json['code']]).toEqual([400, expect.stringContaining('application/problem+json'), 'ADMIN_REQUEST_INVALID']);
    expect(mixed.json['detail']).toMatch(/^body\.issuer: a token identity field beside dn/);
    expect((await ask({ issuer: 'https://cms-auth.example.org/', groups: ['/cms'] })).json['detail']).toMatch(/^body\.subject: required/);
    expect((await ask({ issuer: 'https://cms-auth.example.org/', subject: 'c-1', groups: ['cms'] })).json['detail']).toMatch(/^body\.groups: group "cms" is not \/name/);
  });
});
