import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@gridauthz/persistence';
import { fixturePki, proxyIdentity, userIdentity } from '../support/fixtures';
import { askPdp } from '../support/pdp-client';
import { databaseLabel } from '../support/test-database';
import type { TestServer } from '../support/test-server';
import { adminCall, startAdminTestServer } from './admin-support';

const officer = () => userIdentity('bob');
const operator = () => userIdentity('pilot');
const auditor = () => userIdentity('alice');
const dnOf = (user: string): string => fixturePki().users[user]?.subject ?? '';

interface Entry {
  channel: string;
  actorDn: string;
  actorRole: string;
  credential: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}

/**
 * Every admin API change is one transaction with its admin_audit row (docs/operations.md, "Admin audit"): each appears
 * in the audit log with actor, channel and before/after, and a failure after the change statement (here: the audit
 * insert itself fails, through a trigger the test installs) leaves neither the change nor an audit row.
 */
describe(`admin changes and their audit rows in one transaction (${databaseLabel()})`, () => {
  let t: TestServer;
  let db: Database;

  beforeAll(async () => {
    ({ t, db } = await startAdminTestServer({ bob: 'security-officer', pilot: 'operator', alice: 'auditor' }));
  }, 120_000);
  afterAll(async () => t?.close());

  const log = async (query: string): Promise<Entry[]> => {
    const r = await adminCall(t, { path: `/audit/log?${query}`, identity: auditor() });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json['entries'] as Entry[];
  };
  const count = async (): Promise<number> => Number((await db.dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM admin_audit`))[0]?.n);

  it('each change appears in `audit log` with actor, channel "api" and before/after', async () => {
    // Bans: add, then lift — the officer and the reason land in the ban row itself.
    const added = await adminCall(t, { path: '/bans', method: 'POST', identity: officer(), body: { kind: 'dn', value: '/DC=org/CN=Audited Ban', reason: 'incident 1' } });
    expect(added.status).toBe(201);
    const banId = String(added.json['id']);
    const lifted = await adminCall(t, { path: `/bans/${banId}/lift`, method: 'POST', identity: officer(), body: { reason: 'false alarm' } });
    expect(lifted.status).toBe(200);
    const banRow = (await db.dataSource.query<{ lifted_by: string; lift_reason: string }[]>(`SELECT lifted_by, lift_reason FROM ban WHERE id = $1`, [banId]))[0];
    expect(banRow).toEqual({ lifted_by: dnOf('bob'), lift_reason: 'false alarm' });

    // Mapping configuration.
    expect((await adminCall(t, { path: '/groups/extra', method: 'PUT', identity: operator(), body: { gid: 7100 } })).status).toBe(200);
    const pool = { kind: 'user', members: { kind: 'list', accounts: [{ username: 'extra001', uid: 71001, gid: 7100 }] } };
    expect((await adminCall(t, { path: '/pools/extra', method: 'PUT', identity: operator(), body: pool })).status).toBe(200);
    const rule = { id: 'audit:extra', subject: { kind: 'dn', pattern: '/DC=org/CN=Extra Person' }, account: { kind: 'pool', poolId: 'extra' } };
    expect((await adminCall(t, { path: '/rules', method: 'POST', identity: operator(), body: { rule } })).status).toBe(201);
    expect((await adminCall(t, { path: '/rules/audit:extra', method: 'DELETE', identity: operator() })).status).toBe(200);
    expect((await adminCall(t, { path: '/pilot-roles/audit:pilot', method: 'PUT', identity: operator(), body: { fqanPattern: '/dteam/Role=pilot', poolId: 'atlaspilot' } })).status).toBe(200);

    // Policy versions: upload and activate, activate an older one, roll back.
    const text = readFileSync(join(__dirname, '..', '..', 'policies', 'site.spl'), 'utf8');
    const first = (await adminCall(t, { path: '/policies', identity: auditor() })).json['versions'] as { id: string; active: boolean }[];
    const initial = first.find((v) => v.active)?.id ?? '';
    const uploaded = await adminCall(t, { path: '/policies', method: 'POST', identity: operator(), body: { text: `${text}\n`, comment: 'audit test', activate: true } });
    expect(uploaded.status, JSON.stringify(uploaded.json)).toBe(201);
    expect((await adminCall(t, { path: `/policies/${initial}/activate`, method: 'POST', identity: operator() })).status).toBe(200);
    expect((await adminCall(t, { path: '/policies/rollback', method: 'POST', identity: operator(), body: {} })).status).toBe(200);

    // Tokens.
    const token = await adminCall(t, { path: '/tokens', method: 'POST', identity: operator(), body: { label: 'ci' } });
    expect(token.status).toBe(201);
    expect((await adminCall(t, { path: `/tokens/${String(token.json['id'])}`, method: 'DELETE', identity: operator() })).status).toBe(200);

    // Lease release.
    const asked = await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
    expect(asked.answer?.decision).toBe('Permit');
    const leases = await adminCall(t, { path: `/leases?pool=atlas&subject=${encodeURIComponent(dnOf('alice'))}`, identity: auditor() });
    const lease = (leases.json['leases'] as { subjectKey: string }[])[0];
    const released = await adminCall(t, { path: '/leases/release', method: 'POST', identity: operator(), body: { pool: 'atlas', subjectKey: lease?.subjectKey, reason: 'left the VO' } });
    expect(released.status).toBe(200);

    const api = await log('channel=api');
    const one = (action: string, target?: string): Entry => {
      const found = api.filter((e) => e.action === action && (target === undefined || e.target === target));
      expect(found, action).toHaveLength(1);
      return found[0] as Entry;
    };
    expect(one('ban.add', banId)).toMatchObject({ channel: 'api', actorDn: dnOf('bob'), actorRole: 'security-officer', credential: 'certificate', before: null, after: { id: banId, state: 'active' } });
    expect(one('ban.lift', banId)).toMatchObject({ actorDn: dnOf('bob'), before: { state: 'active' }, after: { state: 'lifted', liftedBy: dnOf('bob'), liftReason: 'false alarm' } });
    expect(one('group.put', 'extra')).toMatchObject({ actorDn: dnOf('pilot'), actorRole: 'operator', after: { name: 'extra', gid: 7100 } });
    expect(one('pool.put', 'extra')).toMatchObject({ after: { id: 'extra', kind: 'user' } });
    expect(one('rule.add', 'audit:extra')).toMatchObject({ after: rule });
    expect(one('rule.remove', 'audit:extra')).toMatchObject({ before: rule, after: null });
    expect(one('pilot-role.put', 'audit:pilot')).toMatchObject({ after: { fqanPattern: '/dteam/Role=pilot', poolId: 'atlaspilot' } });
    expect(one('policy.upload-activate', String(uploaded.json['id']))).toMatchObject({ after: { comment: 'audit test' } });
    expect(one('policy.activate', initial)).toMatchObject({ before: { id: String(uploaded.json['id']) }, after: { id: initial } });
    expect(one('policy.rollback')).toMatchObject({ before: { id: initial }, after: { id: String(uploaded.json['id']) } });
    expect(one('token.issue', String(token.json['id']))).toMatchObject({ actorDn: dnOf('pilot'), after: { label: 'ci' } });
    expect(JSON.stringify(one('token.issue'))).not.toContain(String(token.json['token']));
    expect(one('token.revoke', String(token.json['id']))).toMatchObject({ actorDn: dnOf('pilot') });
    expect(one('lease.release')).toMatchObject({ actorDn: dnOf('pilot'), after: { reason: 'left the VO' } });

    // Filters: by actor, action prefix, channel and time.
    const byBob = await log(`actor=${encodeURIComponent(dnOf('bob'))}`);
    expect(new Set(byBob.map((e) => e.action))).toEqual(new Set(['ban.add', 'ban.lift']));
    expect((await log('actionPrefix=policy.')).map((e) => e.action).sort()).toEqual(['policy.activate', 'policy.bootstrap', 'policy.rollback', 'policy.upload-activate']);
    // The server's own first policy, from policy.dir, is audited as a system change.
    expect(await log('channel=system')).toEqual([expect.objectContaining({ action: 'policy.bootstrap', target: initial, actorDn: 'gridauthz:policy-bootstrap', actorRole: 'system', credential: 'service' })]);
    expect(await log('channel=direct')).toEqual([]);
    expect(await log(`from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toEqual([]);
  }, 120_000);

  it('a static mapping onto an account of a leased pool is refused unless forced; warnings are returned and audited', async () => {
    const rule = { id: 'audit:static', subject: { kind: 'dn', pattern: '/DC=org/CN=Static Person' }, account: { kind: 'static', username: 'atlas007' } };
    const refused = await adminCall(t, { path: '/rules', method: 'POST', identity: operator(), body: { rule } });
    expect(refused.status).toBe(422);
    expect(refused.json['code']).toBe('MAPPING_STATIC_ON_LEASED_POOL');
    expect(String(refused.json['detail'])).toContain('account atlas007 is also leased from pool atlas');
    expect(String(refused.json['detail'])).toContain('force=true');
    expect(((await adminCall(t, { path: '/rules', identity: auditor() })).json['rules'] as { id: string }[]).map((r) => r.id)).not.toContain('audit:static');
    expect(await log('target=audit:static')).toEqual([]);

    const forced = await adminCall(t, { path: '/rules?force=true', method: 'POST', identity: operator(), body: { rule } });
    expect(forced.status).toBe(201);
    expect(forced.json['warnings']).toEqual(['rule audit:static: account atlas007 is also leased from pool atlas']);
    const [entry] = await log('target=audit:static');
    expect(entry?.after).toMatchObject({ value: rule, warnings: ['rule audit:static: account atlas007 is also leased from pool atlas'], forced: true });

    // The stored warning is shown with every later change, but no longer blocks unrelated ones.
    const group = await adminCall(t, { path: '/groups/extra2', method: 'PUT', identity: operator(), body: { gid: 7200 } });
    expect(group.status).toBe(200);
    expect(group.json['warnings']).toEqual(['rule audit:static: account atlas007 is also leased from pool atlas']);
    expect((await adminCall(t, { path: '/rules/audit:static', method: 'DELETE', identity: operator() })).json['warnings']).toEqual([]);
  }, 60_000);

  it('a failure after the change statement leaves neither the change nor its audit row', async () => {
    // The audit insert fails; it runs after the change statement in the same transaction.
    await db.dataSource.query(`CREATE FUNCTION test_audit_fails() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected audit failure'; END $$`);
    await db.dataSource.query(`CREATE TRIGGER test_audit_fails_tg BEFORE INSERT ON admin_audit FOR EACH ROW EXECUTE FUNCTION test_audit_fails()`);
    try {
      const rows = await count();
      const failed = async (call: Parameters<typeof adminCall>[1]): Promise<void> => {
        const r = await adminCall(t, call);
        expect(r.status, `${call.method ?? 'GET'} ${call.path}: ${JSON.stringify(r.json)}`).toBeGreaterThanOrEqual(500);
      };
      await failed({ path: '/bans', method: 'POST', identity: officer(), body: { kind: 'dn', value: '/DC=org/CN=Never Banned', reason: 'x' } });
      expect(await db.dataSource.query(`SELECT id FROM ban WHERE value = '/DC=org/CN=Never Banned'`)).toEqual([]);

      const live = await db.dataSource.query<{ id: string }[]>(`INSERT INTO ban (kind, value, reason, created_by) VALUES ('dn', '/DC=org/CN=Stays Banned', 'x', 'test') RETURNING id`);
      await failed({ path: `/bans/${live[0]?.id}/lift`, method: 'POST', identity: officer(), body: { reason: 'x' } });
      expect((await db.dataSource.query<{ lifted_at: Date | null }[]>(`SELECT lifted_at FROM ban WHERE id = $1`, [live[0]?.id]))[0]?.lifted_at).toBeNull();

      await failed({ path: '/groups/never', method: 'PUT', identity: operator(), body: { gid: 7300 } });
      await failed({ path: '/pools/never', method: 'PUT', identity: operator(), body: { kind: 'user', members: { kind: 'list', accounts: [{ username: 'never001', uid: 73001, gid: 5000 }] } } });
      await failed({ path: '/rules', method: 'POST', identity: operator(), body: { rule: { id: 'never', subject: { kind: 'dn', pattern: '/DC=org/CN=Never' }, account: { kind: 'pool', poolId: 'atlas' } } } });
      await failed({ path: '/pilot-roles/never', method: 'PUT', identity: operator(), body: { fqanPattern: '/never/Role=pilot', poolId: 'atlaspilot' } });
      expect(await db.dataSource.query(`SELECT name FROM unix_group WHERE name = 'never'`)).toEqual([]);
      expect(await db.dataSource.query(`SELECT name FROM pool WHERE name = 'never'`)).toEqual([]);
      expect(await db.dataSource.query(`SELECT rule_key FROM mapping_rule WHERE rule_key = 'never'`)).toEqual([]);
      expect(((await adminCall(t, { path: '/pilot-roles', identity: auditor() })).json['pilotRoles'] as { id: string }[]).map((r) => r.id)).not.toContain('never');

      const active = (await db.dataSource.query<{ id: string }[]>(`SELECT id FROM policy_version WHERE active`))[0]?.id;
      const versions = Number((await db.dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM policy_version`))[0]?.n);
      const other = (await db.dataSource.query<{ id: string }[]>(`SELECT id FROM policy_version WHERE NOT active ORDER BY id LIMIT 1`))[0]?.id;
      await failed({ path: `/policies/${other}/activate`, method: 'POST', identity: operator() });
      await failed({ path: '/policies/rollback', method: 'POST', identity: operator(), body: {} });
      await failed({ path: '/policies', method: 'POST', identity: operator(), body: { text: readFileSync(join(__dirname, '..', '..', 'policies', 'site.spl'), 'utf8'), comment: 'never', activate: true } });
      expect((await db.dataSource.query<{ id: string }[]>(`SELECT id FROM policy_version WHERE active`))[0]?.id).toBe(active);
      expect(Number((await db.dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM policy_version`))[0]?.n)).toBe(versions);

      const tokens = Number((await db.dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM admin_token`))[0]?.n);
      await failed({ path: '/tokens', method: 'POST', identity: operator(), body: { label: 'never' } });
      expect(Number((await db.dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM admin_token`))[0]?.n)).toBe(tokens);

      const asked = await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
      expect(asked.answer?.decision).toBe('Permit');
      const held = await db.dataSource.query<{ subject_key: string }[]>(`SELECT l.subject_key FROM lease l JOIN pool p ON p.id = l.pool_id WHERE p.name = 'atlas' AND l.released_at IS NULL`);
      expect(held.length).toBeGreaterThan(0);
      await failed({ path: '/leases/release', method: 'POST', identity: operator(), body: { pool: 'atlas', subjectKey: held[0]?.subject_key, reason: 'never' } });
      const still = await db.dataSource.query(`SELECT 1 FROM lease l JOIN pool p ON p.id = l.pool_id WHERE p.name = 'atlas' AND l.subject_key = $1 AND l.released_at IS NULL`, [held[0]?.subject_key]);
      expect(still).toHaveLength(1);

      await db.dataSource.query(`DROP TRIGGER test_audit_fails_tg ON admin_audit`);
      expect(await count()).toBe(rows);
    } finally {
      await db.dataSource.query(`DROP TRIGGER IF EXISTS test_audit_fails_tg ON admin_audit`);
      await db.dataSource.query(`DROP FUNCTION IF EXISTS test_audit_fails()`);
    }
  }, 120_000);

  it('a principal change made on the database by hand is audited by the trigger (channel "database")', async () => {
    await db.dataSource.query(`UPDATE admin_principal SET role = 'operator' WHERE dn = $1`, [dnOf('alice')]);
    await db.dataSource.query(`UPDATE admin_principal SET role = 'auditor' WHERE dn = $1`, [dnOf('alice')]);
    const rows = await log(`channel=database&target=${encodeURIComponent(dnOf('alice'))}&action=principal.update`);
    expect(rows).toHaveLength(2);
    const user = (await db.dataSource.query<{ u: string }[]>(`SELECT current_user::text AS u`))[0]?.u;
    expect(rows[1]).toMatchObject({ channel: 'database', actorDn: user, actorRole: 'database', before: { role: 'auditor' }, after: { role: 'operator' } });
  }, 60_000);
});
