import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@gridauthz/persistence';
import { fixturePki, proxyIdentity, userIdentity } from '../support/fixtures';
import { httpsCall } from '../support/https-client';
import { askPdp } from '../support/pdp-client';
import { databaseLabel } from '../support/test-database';
import type { TestServer } from '../support/test-server';
import { adminCall, hostIdentity, startAdminTestServer } from './admin-support';

const officer = () => userIdentity('bob');
const operator = () => userIdentity('pilot');
const auditor = () => userIdentity('alice');

describe(`admin API (${databaseLabel()})`, () => {
  let t: TestServer;
  let db: Database;
  const aliceDn = () => fixturePki().users['alice']?.subject ?? '';

  beforeAll(async () => {
    ({ t, db } = await startAdminTestServer({ bob: 'security-officer', pilot: 'operator', alice: 'auditor' }));
  });
  afterAll(async () => t?.close());

  const ask = () => askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
  const auditRows = (action: string) => db.dataSource.query<{ actor_dn: string; before: unknown; after: unknown; credential: string }[]>(`SELECT * FROM admin_audit WHERE action = $1 ORDER BY id`, [action]);

  it('refuses a caller without a certificate with 401 and a problem', async () => {
    const r = await adminCall(t, { path: '/bans' });
    expect(r.status).toBe(401);
    expect(r.contentType).toContain('application/problem+json');
    expect(r.json['code']).toBe('ADMIN_NO_CREDENTIALS');
  });

  it('refuses a valid certificate that is not an admin principal with 403', async () => {
    const r = await adminCall(t, { path: '/bans', identity: hostIdentity() });
    expect(r.status).toBe(403);
    expect(r.json['code']).toBe('ADMIN_NOT_A_PRINCIPAL');
  });

  it('refuses a certificate from an unknown CA with 401', async () => {
    const r = await adminCall(t, { path: '/whoami', identity: proxyIdentity('mallory') });
    expect(r.status).toBe(401);
    expect(r.json['code']).toBe('ADMIN_CREDENTIAL_INVALID');
  });

  it('accepts a proxy of an admin certificate; the identity is the end-entity DN', async () => {
    const r = await adminCall(t, { path: '/whoami', identity: proxyIdentity('bob') });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ dn: fixturePki().users['bob']?.subject, role: 'security-officer', viaProxy: true, credential: 'certificate' });
  });

  it('an auditor cannot ban, and nothing is banned or audited', async () => {
    const r = await adminCall(t, { path: '/bans', method: 'POST', identity: auditor(), body: { kind: 'dn', value: '/DC=org/CN=Someone', reason: 'test' } });
    expect(r.status).toBe(403);
    expect(r.json['code']).toBe('ADMIN_ROLE_FORBIDDEN');
    const list = await adminCall(t, { path: '/bans?state=all', identity: auditor() });
    expect(list.json['bans']).toEqual([]);
    expect(await auditRows('ban.add')).toHaveLength(0);
  });

  it('a security officer cannot change pools, rules or leases', async () => {
    const pool = await adminCall(t, { path: '/pools/atlas', method: 'PUT', identity: officer(), body: { kind: 'user', members: { kind: 'list', accounts: [{ username: 'x1', uid: 1, gid: 5000 }] } } });
    expect(pool.status).toBe(403);
    expect(pool.json['code']).toBe('ADMIN_ROLE_FORBIDDEN');
    const rules = await adminCall(t, { path: '/rules', method: 'PUT', identity: officer(), body: { rules: [] } });
    expect(rules.status).toBe(403);
    expect((await adminCall(t, { path: '/pools/atlas', identity: officer() })).status).toBe(200);
  });

  it('rejects unknown fields and malformed values with ADMIN_REQUEST_INVALID naming the field', async () => {
    const typo = await adminCall(t, { path: '/bans', method: 'POST', identity: officer(), body: { kind: 'dn', value: aliceDn(), reason: 'x', expires: '2030-01-01T00:00Z' } });
    expect(typo.status).toBe(400);
    expect(typo.json['code']).toBe('ADMIN_REQUEST_INVALID');
    expect(String(typo.json['detail'])).toContain('expires');
    const badTime = await adminCall(t, { path: '/bans', method: 'POST', identity: officer(), body: { kind: 'dn', value: aliceDn(), reason: 'x', expiresAt: 'tomorrow' } });
    expect(badTime.status).toBe(400);
    expect(String(badTime.json['detail'])).toContain('body.expiresAt');
    const badQuery = await adminCall(t, { path: '/decisions?uid=abc', identity: auditor() });
    expect(badQuery.status).toBe(400);
    const unknownQuery = await adminCall(t, { path: '/bans?colour=red', identity: auditor() });
    expect(unknownQuery.status).toBe(400);
  });

  it('a body that is not JSON is a 4xx problem, not a 500', async () => {
    const url = t.server.adminUrl ?? '';
    const r = await httpsCall({ url: `${url}/api/v1/bans`, method: 'POST', ca: t.ca, identity: officer(), body: '{"kind": "dn",', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(String(r.headers['content-type'])).toContain('application/problem+json');
  });

  it('a ban added through the API turns the next decision for that DN into Deny; lifting it restores Permit; both are audited', async () => {
    const before = await ask();
    expect(before.answer?.decision).toBe('Permit');

    const added = await adminCall(t, { path: '/bans', method: 'POST', identity: officer(), body: { kind: 'dn', value: aliceDn(), reason: 'incident 4711: credential theft' } });
    expect(added.status).toBe(201);
    const banId = String(added.json['id']);
    expect(added.json).toMatchObject({ kind: 'dn', value: aliceDn(), author: fixturePki().users['bob']?.subject, state: 'active' });

    const banned = await ask();
    expect(banned.answer?.decision).toBe('Deny');
    const rows = await db.dataSource.query<{ decision: string; reasons: string[] }[]>(
      `SELECT decision, reasons FROM decision_record WHERE subject_dn = $1 ORDER BY decided_at DESC LIMIT 1`,
      [aliceDn()],
    );
    expect(rows[0]?.decision).toBe('Deny');
    expect(rows[0]?.reasons).toContain(`ban:${banId}`);

    const active = await adminCall(t, { path: `/bans?kind=dn&value=${encodeURIComponent('Alice')}`, identity: auditor() });
    expect((active.json['bans'] as { id: string }[]).map((b) => b.id)).toEqual([banId]);

    const lifted = await adminCall(t, { path: `/bans/${banId}/lift`, method: 'POST', identity: officer(), body: { reason: 'false alarm' } });
    expect(lifted.status).toBe(200);
    expect(lifted.json).toMatchObject({ id: banId, state: 'lifted', liftReason: 'false alarm' });
    expect((await ask()).answer?.decision).toBe('Permit');

    // Never hard-deleted: the lifted ban is listed from its history.
    const history = await adminCall(t, { path: '/bans?state=lifted', identity: auditor() });
    expect((history.json['bans'] as { id: string; liftedBy: string }[]).find((b) => b.id === banId)?.liftedBy).toBe(fixturePki().users['bob']?.subject);
    expect((await adminCall(t, { path: '/bans?state=active', identity: auditor() })).json['bans']).toEqual([]);
    const again = await adminCall(t, { path: `/bans/${banId}/lift`, method: 'POST', identity: officer(), body: { reason: 'twice' } });
    expect(again.status).toBe(404);
    expect(again.json['code']).toBe('ADMIN_NOT_FOUND');

    const addRows = await auditRows('ban.add');
    expect(addRows).toHaveLength(1);
    expect(addRows[0]).toMatchObject({ actor_dn: fixturePki().users['bob']?.subject, before: null, credential: 'certificate' });
    const liftRows = await auditRows('ban.lift');
    expect(liftRows[0]?.before).toMatchObject({ id: banId, state: 'active' });
    expect(liftRows[0]?.after).toMatchObject({ id: banId, state: 'lifted' });
  });

  it('bans with an expiry, FQAN and VO bans, and a malformed DN is refused with 422', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const vo = await adminCall(t, { path: '/bans', method: 'POST', identity: officer(), body: { kind: 'vo', value: 'dteam', reason: 'VO suspended', expiresAt } });
    expect(vo.status).toBe(201);
    expect(vo.json['expiresAt']).toBe(expiresAt);
    const bad = await adminCall(t, { path: '/bans', method: 'POST', identity: officer(), body: { kind: 'dn', value: 'not a dn', reason: 'x' } });
    expect(bad.status).toBe(422);
    expect(bad.json['code']).toBe('ADMIN_CONFIG_INVALID');
    await adminCall(t, { path: `/bans/${String(vo.json['id'])}/lift`, method: 'POST', identity: officer(), body: { reason: 'done' } });
  });

  it('releasing a lease quarantines the account for the cool-down in the same transaction, and keeps the history', async () => {
    const first = await ask();
    expect(first.answer?.decision).toBe('Permit');
    const uid = first.answer?.uid;
    const leases = await adminCall(t, { path: `/leases?pool=atlas&subject=${encodeURIComponent(aliceDn())}`, identity: auditor() });
    const lease = (leases.json['leases'] as { subjectKey: string; uid: number; username: string }[])[0];
    expect(lease?.uid).toBe(uid);

    const denied = await adminCall(t, { path: '/leases/release', method: 'POST', identity: auditor(), body: { pool: 'atlas', subjectKey: lease?.subjectKey, reason: 'x' } });
    expect(denied.status).toBe(403);
    const started = Date.now();
    const released = await adminCall(t, { path: '/leases/release', method: 'POST', identity: operator(), body: { pool: 'atlas', subjectKey: lease?.subjectKey, reason: 'user left the VO' } });
    expect(released.status).toBe(200);
    const availableAfter = Date.parse(String(released.json['availableAfter']));
    expect(availableAfter).toBeGreaterThanOrEqual(started + 86_400_000 - 5_000);
    expect(availableAfter).toBeLessThanOrEqual(Date.now() + 86_400_000 + 5_000);

    const account = await adminCall(t, { path: '/pools/atlas/accounts', identity: auditor() });
    const state = (account.json['accounts'] as { username: string; held: boolean; availableAfter: string | null }[]).find((a) => a.username === lease?.username);
    expect(state).toMatchObject({ held: false, availableAfter: new Date(availableAfter).toISOString() });

    // The next decision may not hand the quarantined account out, not even to its previous owner.
    const next = await ask();
    expect(next.answer?.decision).toBe('Permit');
    expect(next.answer?.uid).not.toBe(uid);

    const history = await adminCall(t, { path: `/leases?username=${lease?.username}&history=true`, identity: auditor() });
    expect((history.json['leases'] as { releasedBy: string | null; releaseReason: string | null }[])[0]).toMatchObject({
      releasedBy: fixturePki().users['pilot']?.subject,
      releaseReason: 'user left the VO',
    });
    expect(await auditRows('lease.release')).toHaveLength(1);
    const again = await adminCall(t, { path: '/leases/release', method: 'POST', identity: operator(), body: { pool: 'atlas', subjectKey: '%2fdc%3dorg%2fcn%3dnobody', reason: 'again' } });
    expect(again.status).toBe(404);
  });

  it('bearer tokens: issued only to a certificate, stored hashed, act in the role, cannot mint tokens, stop when revoked', async () => {
    const issued = await adminCall(t, { path: '/tokens', method: 'POST', identity: operator(), body: { label: 'ci' } });
    expect(issued.status).toBe(201);
    const token = String(issued.json['token']);
    expect(token).toMatch(/^gza_[A-Za-z0-9_-]{43}$/);
    const stored = await db.dataSource.query<{ token_sha256: string }[]>(`SELECT token_sha256 FROM admin_token WHERE id = $1`, [issued.json['id']]);
    expect(stored[0]?.token_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(await db.dataSource.query(`SELECT * FROM admin_token`))).not.toContain(token.slice(4));
    expect(JSON.stringify(await db.dataSource.query(`SELECT * FROM admin_audit`))).not.toContain(token.slice(4));

    const who = await adminCall(t, { path: '/whoami', token });
    expect(who.json).toMatchObject({ role: 'operator', credential: `token:${String(issued.json['id'])}` });
    expect((await adminCall(t, { path: '/bans', method: 'POST', token, body: { kind: 'vo', value: 'x', reason: 'x' } })).status).toBe(403);
    const mint = await adminCall(t, { path: '/tokens', method: 'POST', token, body: {} });
    expect(mint.status).toBe(403);
    expect(mint.json['code']).toBe('ADMIN_TOKEN_NEEDS_CERTIFICATE');
    expect((await adminCall(t, { path: '/whoami', token: `${token.slice(0, -2)}xx` })).status).toBe(401);
    expect((await adminCall(t, { path: '/whoami', token: 'gza_' })).status).toBe(401);

    const revoke = await adminCall(t, { path: `/tokens/${String(issued.json['id'])}`, method: 'DELETE', identity: operator() });
    expect(revoke.status).toBe(200);
    const after = await adminCall(t, { path: '/whoami', token });
    expect(after.status).toBe(401);
    expect(after.json['code']).toBe('ADMIN_CREDENTIAL_INVALID');

    // Expired tokens are refused too.
    const short = await adminCall(t, { path: '/tokens', method: 'POST', identity: auditor(), body: { ttlSeconds: 60 } });
    await db.dataSource.query(`UPDATE admin_token SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour' WHERE id = $1`, [short.json['id']]);
    expect((await adminCall(t, { path: '/whoami', token: String(short.json['token']) })).status).toBe(401);
  });

  it('policies: validation with line numbers, a bad upload refused, upload + activate, roll back', async () => {
    const bad = 'resource "x" {\n  action ".*" {\n    rule permit { subject = \n  }\n}\n';
    const checked = await adminCall(t, { path: '/policies/validate', method: 'POST', identity: auditor(), body: { text: bad } });
    expect(checked.status).toBe(200);
    expect(checked.json['valid']).toBe(false);
    const errors = checked.json['errors'] as { line: number; message: string }[];
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]?.line).toBeGreaterThanOrEqual(3);
    const refused = await adminCall(t, { path: '/policies', method: 'POST', identity: operator(), body: { text: bad } });
    expect(refused.status).toBe(422);
    expect(refused.json['code']).toBe('ADMIN_POLICY_INVALID');
    expect(String(refused.json['detail'])).toMatch(/line \d+:\d+/);

    const original = ((await adminCall(t, { path: '/policies', identity: auditor() })).json['versions'] as { id: string; active: boolean }[]).find((v) => v.active);
    const text = (await adminCall(t, { path: `/policies/${original?.id}`, identity: auditor() })).json['text'] as string;
    const up = await adminCall(t, { path: '/policies', method: 'POST', identity: operator(), body: { text: `${text}\n`, comment: 'same policy, new version', activate: true } });
    expect(up.status).toBe(201);
    expect(up.json['active']).toBe(true);
    expect((await ask()).answer?.decision).toBe('Permit');
    const back = await adminCall(t, { path: '/policies/rollback', method: 'POST', identity: operator(), body: {} });
    expect(back.status).toBe(200);
    expect(back.json['id']).toBe(original?.id);
    expect((await auditRows('policy.rollback'))[0]?.before).toMatchObject({ id: up.json['id'] });
  });

  it('mapping: an operator adds a pool, a group and a rule; a rule naming an unknown pool is refused with the problem', async () => {
    expect((await adminCall(t, { path: '/groups/ops', method: 'PUT', identity: operator(), body: { gid: 5100 } })).status).toBe(200);
    const pool = await adminCall(t, {
      path: '/pools/ops',
      method: 'PUT',
      identity: operator(),
      body: { kind: 'user', members: { kind: 'range', prefix: 'ops', count: 5, firstUid: 69001, width: 3, gid: 5100, firstIndex: 1 } },
    });
    expect(pool.status).toBe(200);
    const added = await adminCall(t, { path: '/rules', method: 'POST', identity: operator(), body: { rule: { id: 'ops', subject: { kind: 'fqan', pattern: '/ops' }, account: { kind: 'pool', poolId: 'ops' } } } });
    expect(added.status).toBe(201);
    const bad = await adminCall(t, { path: '/rules', method: 'POST', identity: operator(), body: { rule: { id: 'ghost', subject: { kind: 'fqan', pattern: '/ghost' }, account: { kind: 'pool', poolId: 'nope' } } } });
    expect(bad.status).toBe(422);
    expect(String(bad.json['detail'])).toContain('unknown pool nope');
    const rules = (await adminCall(t, { path: '/rules', identity: auditor() })).json['rules'] as { id: string }[];
    expect(rules.map((r) => r.id)).toContain('ops');
    expect(rules.map((r) => r.id)).not.toContain('ghost');
    expect((await adminCall(t, { path: '/rules/ops', method: 'DELETE', identity: operator() })).status).toBe(200);
    const role = await adminCall(t, { path: '/pilot-roles/ops-pilot', method: 'PUT', identity: operator(), body: { fqanPattern: '/ops/Role=pilot', poolId: 'ops' } });
    expect(role.status).toBe(422); // ops is a user pool, not a pilot pool
    const log = await adminCall(t, { path: '/audit/log?action=pool.put', identity: auditor() });
    expect((log.json['entries'] as { target: string; actorDn: string }[])[0]).toMatchObject({ target: 'ops', actorDn: fixturePki().users['pilot']?.subject });
  });

  it('decision records are queried by subject DN, uid, host and time range', async () => {
    const all = await adminCall(t, { path: `/decisions?subject=${encodeURIComponent(aliceDn())}&limit=500`, identity: auditor() });
    const records = all.json['records'] as { decision: string; uid: number | null; host: string; decidedAt: string }[];
    expect(records.length).toBeGreaterThanOrEqual(4);
    expect(records.some((r) => r.decision === 'Deny')).toBe(true);
    const permitted = records.find((r) => r.decision === 'Permit' && r.uid !== null);
    const byUid = await adminCall(t, { path: `/decisions?uid=${permitted?.uid}&host=wn042.example.org&decision=Permit`, identity: auditor() });
    expect((byUid.json['records'] as unknown[]).length).toBeGreaterThan(0);
    const future = await adminCall(t, { path: `/decisions?subject=${encodeURIComponent(aliceDn())}&from=2099-01-01T00:00Z`, identity: auditor() });
    expect(future.json['records']).toEqual([]);
  });

  it('unknown routes are 404 problems (so "every route answers" below means something)', async () => {
    const r = await adminCall(t, { path: '/no-such-thing', identity: auditor() });
    expect(r.status).toBe(404);
  });

  it('records a randomUUID-free, append-only audit trail', async () => {
    await expect(db.dataSource.query(`DELETE FROM admin_audit`)).rejects.toThrow(/append-only/);
    await expect(db.dataSource.query(`UPDATE admin_audit SET actor_dn = 'x'`)).rejects.toThrow(/append-only/);
    expect(randomUUID()).toBeTypeOf('string');
  });
});
