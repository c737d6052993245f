import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@gridauthz/persistence';
import { proxyIdentity } from '../support/fixtures';
import { askPdp } from '../support/pdp-client';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

/**
 * The server honours mapping.leaseNames for its lease keys and runs the lease expiry job when
 * mapping.leaseExpiry.idle is set (docs/mapping.md "Lease names", docs/lease-expiry.md).
 */
describe(`lease names and the expiry job in the running server (${databaseLabel()})`, () => {
  let t: TestServer;
  let db: Database;

  beforeAll(async () => {
    t = await startTestServer({
      config: { mapping: { conventions: 'argus', leaseNames: 'dn', leaseExpiry: { idleMs: 3_600_000, intervalMs: 200 } } },
    });
    db = t.server.database() as Database;
  }, 120_000);
  afterAll(async () => t?.close());

  const ask = () => askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });

  it('keys the lease by the DN alone with leaseNames dn, and releases it once idle, counting it in the metrics', async () => {
    const answer = await ask();
    expect(answer.answer?.decision).toBe('Permit');
    const live = await db.dataSource.query<{ subject_key: string }[]>(`SELECT subject_key FROM lease WHERE released_at IS NULL`);
    expect(live).toHaveLength(1);
    expect(live[0]?.subject_key).toMatch(/^%2f[a-z0-9%]+$/); // no ":group" suffix

    // Make it idle for two hours; the job (every 200 ms here) releases it.
    await db.dataSource.query(`UPDATE lease SET last_used_at = now() - interval '2 hours' WHERE released_at IS NULL`);
    const deadline = Date.now() + 15_000;
    let released: { released_by: string }[] = [];
    while (Date.now() < deadline) {
      released = await db.dataSource.query<{ released_by: string }[]>(`SELECT released_by FROM lease WHERE released_at IS NOT NULL`);
      if (released.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(released).toEqual([{ released_by: 'gridauthz:lease-expiry' }]);
    const metrics = await (await fetch(`${t.server.managementUrl}/metrics`)).text();
    expect(metrics).toMatch(/^gridauthz_leases_expired_total 1$/m);
    expect(metrics).toMatch(/^gridauthz_lease_expiry_runs_total\{outcome="ran"\} [1-9]/m);
  }, 60_000);
});
