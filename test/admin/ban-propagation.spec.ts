import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePki, proxyIdentity, userIdentity } from '../support/fixtures';
import { askPdp } from '../support/pdp-client';
import { createTestStorage, databaseLabel, type TestStorage, usingPostgres } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { addPrincipal, adminCall } from './admin-support';

/**
 * A ban made through one server's admin API reaches a second server process within 1 s (issue 8), and lifting
 * it restores Permit there too. Two processes need a shared PostgreSQL; the embedded database serves one.
 */
describe.runIf(usingPostgres())(`ban propagation between server processes (${databaseLabel()})`, () => {
  let storage: TestStorage;
  let admin: TestServer;
  let other: TestServer;
  beforeAll(async () => {
    storage = await createTestStorage();
    admin = await startTestServer({ storage });
    other = await startTestServer({ storage });
    const db = admin.server.database();
    if (!db) throw new Error('not ready');
    await addPrincipal(db, 'bob', 'security-officer');
  });
  afterAll(async () => {
    await other?.close();
    await admin?.close();
    await storage?.dispose();
  });

  const askOther = () => askPdp({ url: other.server.pdpUrl, ca: other.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
  const untilDecision = async (wanted: string): Promise<number> => {
    const started = Date.now();
    for (;;) {
      const decision = (await askOther()).answer?.decision;
      if (decision === wanted) return Date.now() - started;
      if (Date.now() - started > 1_000) throw new Error(`still ${decision} after 1 s`);
    }
  };

  it('turns the next decision on the other process into Deny within 1 s, and lifting restores Permit', async () => {
    expect((await askOther()).answer?.decision).toBe('Permit');
    const alice = fixturePki().users.alice?.subject ?? '';
    const added = await adminCall(admin, { path: '/bans', method: 'POST', identity: userIdentity('bob'), body: { kind: 'dn', value: alice, reason: 'incident 4712' } });
    expect(added.status).toBe(201);
    expect(await untilDecision('Deny')).toBeLessThanOrEqual(1_000);
    const lifted = await adminCall(admin, { path: `/bans/${String(added.json['id'])}/lift`, method: 'POST', identity: userIdentity('bob'), body: { reason: 'resolved' } });
    expect(lifted.status).toBe(200);
    expect(await untilDecision('Permit')).toBeLessThanOrEqual(1_000);
  });
});
