import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dn } from '@gridauthz/domain';
import type { Database } from '@gridauthz/persistence';
import { fixturePki, proxyIdentity, userIdentity } from '../support/fixtures';
import { askPdp } from '../support/pdp-client';
import { databaseLabel } from '../support/test-database';
import type { TestServer } from '../support/test-server';
import { adminCall, startAdminTestServer } from './admin-support';

const operator = () => userIdentity('pilot');
const auditor = () => userIdentity('alice');

/** `lease release --username | --subject [--group]` and `lease expire` through the admin API (docs/lease-expiry.md). */
describe(`lease release by account or subject, and lease expiry, over the admin API (${databaseLabel()})`, () => {
  let t: TestServer;
  let db: Database;
  const aliceDn = () => fixturePki().users['alice']?.subject ?? '';

  beforeAll(async () => {
    ({ t, db } = await startAdminTestServer({ pilot: 'operator', alice: 'auditor' }));
  });
  afterAll(async () => t?.close());

  const ask = () => askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
  const auditRows = (action: string) => db.dataSource.query<{ actor_dn: string; target: string; after: Record<string, unknown> }[]>(`SELECT * FROM admin_audit WHERE action = $1 ORDER BY id`, [action]);
  const release = (body: Record<string, unknown>, identity = operator()) => adminCall(t, { path: '/leases/release', method: 'POST', identity, body });

  it('releases by subject DN (either form), by primary group, and by account; each release quarantines and is audited', async () => {
    const first = await ask();
    expect(first.answer?.decision).toBe('Permit');
    const live = await adminCall(t, { path: `/leases?subject=${encodeURIComponent(aliceDn())}`, identity: auditor() });
    const lease = (live.json['leases'] as { subjectKey: string; username: string; pool: string }[])[0];
    expect(lease).toBeDefined();
    const primaryGroup = lease?.subjectKey.split(':')[1];

    expect((await release({ subject: aliceDn(), reason: 'x' }, auditor())).status).toBe(403);
    expect((await release({ username: lease?.username, subject: aliceDn(), reason: 'x' })).status).toBe(400);
    expect((await release({ subject: aliceDn(), group: 'no-such-group', reason: 'x' })).status).toBe(404);
    expect((await release({ subject: '/DC=org/CN=Nobody', reason: 'x' })).status).toBe(404);

    // The RFC 2253 form names the same person as the slash form.
    const bySubject = await release({ subject: Dn.fromSlash(aliceDn()).toRfc2253(), ...(primaryGroup ? { group: primaryGroup } : {}), reason: 'left the VO' });
    expect(bySubject.status, JSON.stringify(bySubject.json)).toBe(200);
    expect((bySubject.json['released'] as { subjectKey: string }[]).map((l) => l.subjectKey)).toEqual([lease?.subjectKey]);
    expect(Date.parse(String(bySubject.json['availableAfter']))).toBeGreaterThan(Date.now() + 86_000_000);
    const second = await ask();
    expect(second.answer?.decision).toBe('Permit');
    expect(second.answer?.username).not.toBe(lease?.username); // quarantined: not even its previous owner gets it back

    const byAccount = await release({ username: second.answer?.username, reason: 'account compromised' });
    expect(byAccount.status).toBe(200);
    expect((byAccount.json['released'] as { username: string }[]).map((l) => l.username)).toEqual([second.answer?.username]);
    expect((await release({ username: second.answer?.username, reason: 'again' })).status).toBe(404);

    const audits = await auditRows('lease.release');
    expect(audits.map((a) => a.actor_dn)).toEqual([fixturePki().users['pilot']?.subject, fixturePki().users['pilot']?.subject]);
  });

  it('expire: refused while expiry is off unless idle is given, lists in a dry run, and audits an operator run', async () => {
    expect((await ask()).answer?.decision).toBe('Permit');
    const off = await adminCall(t, { path: '/leases/expire', method: 'POST', identity: operator(), body: {} });
    expect(off.status).toBe(400);
    expect(String(off.json['detail'])).toMatch(/lease expiry is off/);
    expect((await adminCall(t, { path: '/leases/expire', method: 'POST', identity: operator(), body: { idle: '10m' } })).status).toBe(400);
    expect((await adminCall(t, { path: '/leases/expire', method: 'POST', identity: auditor(), body: { idle: '1h' } })).status).toBe(403);

    const dry = await adminCall(t, { path: '/leases/expire', method: 'POST', identity: operator(), body: { idle: '1h', dryRun: true } });
    expect(dry.status).toBe(200);
    expect(dry.json).toMatchObject({ dryRun: true, wouldRelease: [] }); // the lease was used just now
    expect(await auditRows('lease.expire')).toHaveLength(0);

    const run = await adminCall(t, { path: '/leases/expire', method: 'POST', identity: operator(), body: { idle: '1h' } });
    expect(run.status).toBe(200);
    expect(run.json).toMatchObject({ dryRun: false, released: [] });
    const audits = await auditRows('lease.expire');
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor_dn: fixturePki().users['pilot']?.subject, target: 'idle>3600s', after: { released: 0 } });
  });
});
