import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@gridauthz/persistence';
import { fixturePki, proxyIdentity, userIdentity } from '../support/fixtures';
import { httpsCall } from '../support/https-client';
import { askPdp } from '../support/pdp-client';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { adminCall, ensureDevPoolsInDatabase, startAdminTestServer } from './admin-support';

const aliceDn = (): string => fixturePki().users['alice']?.subject ?? '';

/**
 * Limited proxies (Globus: must not start jobs) may read the admin API but never change anything, and are refused
 * as a payload that gets an account unless the site allows it (credentials.limitedProxy.payload, docs/limited-proxies-and-logging.md).
 * No credential reaches the log: not a query-string token, not an Authorization header.
 */
describe(`limited proxies and credentials in logs (${databaseLabel()})`, () => {
  let t: TestServer;
  let db: Database;

  beforeAll(async () => {
    ({ t, db } = await startAdminTestServer({ alice: 'security-officer', pilot: 'operator' }));
  }, 120_000);
  afterAll(async () => t?.close());

  it("the admin API refuses a security officer's limited proxy for POST /bans with a 403 problem; reads stay allowed", async () => {
    const limited = proxyIdentity('alice-limited');
    const refused = await adminCall(t, { path: '/bans', method: 'POST', identity: limited, body: { kind: 'dn', value: '/DC=org/CN=Victim', reason: 'x' } });
    expect(refused.status).toBe(403);
    expect(refused.contentType).toContain('application/problem+json');
    expect(refused.json['code']).toBe('ADMIN_LIMITED_PROXY_READ_ONLY');
    expect(String(refused.json['detail'])).toContain('limited proxy may only read');
    // A limited proxy cannot mint a full-power token either.
    expect((await adminCall(t, { path: '/tokens', method: 'POST', identity: limited, body: { label: 'x' } })).json['code']).toBe('ADMIN_LIMITED_PROXY_READ_ONLY');
    expect(await db.dataSource.query(`SELECT id FROM ban`)).toEqual([]);
    expect(await db.dataSource.query(`SELECT id FROM admin_token`)).toEqual([]);
    expect(await db.dataSource.query(`SELECT id FROM admin_audit WHERE channel = 'api'`)).toEqual([]);

    const read = await adminCall(t, { path: '/bans', identity: limited });
    expect(read.status).toBe(200);
    expect((await adminCall(t, { path: '/whoami', identity: limited })).json).toMatchObject({ dn: aliceDn(), limitedProxy: true });
    // The same officer with a full proxy may ban.
    const full = await adminCall(t, { path: '/bans', method: 'POST', identity: proxyIdentity('alice'), body: { kind: 'dn', value: '/DC=org/CN=Victim', reason: 'x' } });
    expect(full.status).toBe(201);
  }, 60_000);

  it('a limited proxy payload is refused by default (CRED_PROXY_LIMITED_NOT_ALLOWED); its full proxy is permitted', async () => {
    const ask = (payloadProxy: string) => askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy, dialect: 'authz-interop' });
    const limited = await ask('alice-voms-limited');
    expect(limited.answer?.decision).toBe('Deny');
    const [record] = await db.dataSource.query<{ reasons: string[]; username: string | null }[]>(
      `SELECT reasons, username FROM decision_record WHERE subject_dn = $1 ORDER BY decided_at DESC LIMIT 1`,
      [aliceDn()],
    );
    expect(record?.reasons).toContain('CRED_PROXY_LIMITED_NOT_ALLOWED');
    expect(record?.username).toBeNull();
    expect((await ask('alice-voms')).answer?.decision).toBe('Permit');
  }, 60_000);

  it('with credentials.limitedProxy.payload: allow, the limited proxy payload gets its account', async () => {
    const allowing = await startTestServer({ config: { credentials: { limitedProxy: { payload: 'allow' } } } });
    try {
      const adb = allowing.server.database();
      if (!adb) throw new Error('no database');
      await ensureDevPoolsInDatabase(adb);
      const answer = await askPdp({ url: allowing.server.pdpUrl, ca: allowing.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms-limited', dialect: 'authz-interop' });
      expect(answer.answer?.decision).toBe('Permit');
      expect(answer.answer?.uid).toBeTypeOf('number');
    } finally {
      await allowing.close();
    }
  }, 120_000);

  it('a bearer token sent as ?access_token= or in an Authorization header never appears in the log', async () => {
    const secret = 'gza_ThisIsASecretTokenValue0123456789abcdefghijk';
    const url = t.server.adminUrl ?? '';
    const inQuery = await httpsCall({ url: `${url}/api/v1/bans?access_token=${secret}`, method: 'GET', ca: t.ca });
    expect(inQuery.status).toBe(401);
    const withCert = await httpsCall({ url: `${url}/api/v1/bans?access_token=${secret}`, method: 'GET', ca: t.ca, identity: userIdentity('alice') });
    expect(withCert.status).toBe(400); // unknown query parameter, refused; the URL is still logged
    const inHeader = await httpsCall({ url: `${url}/api/v1/bans`, method: 'GET', ca: t.ca, headers: { authorization: `Bearer ${secret}` } });
    expect(inHeader.status).toBe(401);
    const raw = t.log.raw();
    expect(raw).toContain('access_token=[redacted]');
    expect(raw).not.toContain(secret);
    expect(raw).not.toContain('ThisIsASecretToken');
  }, 60_000);
});
