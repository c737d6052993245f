import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpsCall } from '../support/https-client';
import { fixturePki, proxyIdentity, userIdentity } from '../support/fixtures';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

/**
 * The PDP listener's mutual TLS (saml2-xacml2.md §2.3): OpenSSL is told to accept any client certificate,
 * and our guard validates every chain, proxies included, against the CA directory.
 */
describe(`PDP listener mutual TLS (${databaseLabel()})`, () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t?.close());

  const status = (identity?: { cert: string; key: string }) => httpsCall({ url: `${t.server.pdpUrl}/status`, ca: t.ca, identity });
  const refusals = () => t.log.lines().filter((l) => l.msg === 'client certificate refused');

  it('lets a user certificate from the test CA reach a PDP route, naming its DN', async () => {
    const res = await status(userIdentity('alice'));
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as { caller: { dn: string; viaProxy: boolean } };
    expect(body.caller.dn).toBe(fixturePki().users.alice?.subject);
    expect(body.caller.viaProxy).toBe(false);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('completes the handshake with an RFC 3820 proxy chain and resolves the end-entity DN', async () => {
    for (const name of ['alice', 'alice-proxy2']) {
      const res = await status(proxyIdentity(name));
      expect(res.status, name).toBe(200);
      const body = JSON.parse(res.body) as { caller: { dn: string; viaProxy: boolean; chainLength: number } };
      expect(body.caller.dn).toBe(fixturePki().users.alice?.subject);
      expect(body.caller.viaProxy).toBe(true);
    }
  });

  it('refuses a connection without a client certificate, and logs why', async () => {
    const res = await status();
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(JSON.parse(res.body)).toMatchObject({ status: 403, code: 'CRED_NO_CERTIFICATE' });
    expect(refusals().some((l) => l.reason === 'CRED_NO_CERTIFICATE')).toBe(true);
  });

  it('refuses a certificate from an unknown CA, and logs why', async () => {
    const res = await status(userIdentity('mallory'));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'CRED_UNTRUSTED_CA' });
    expect(refusals().some((l) => l.reason === 'CRED_UNTRUSTED_CA')).toBe(true);
  });

  it('refuses a subject the CA may not issue under its namespace policy (credentials.md §5.4-5.6)', async () => {
    const res = await status(userIdentity('outsider'));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'CRED_NAMESPACE_VIOLATION' });
  });

  it('refuses an expired certificate and an expired proxy, and logs why', async () => {
    const expired = await status(userIdentity('expired'));
    expect(expired.status).toBe(403);
    expect(JSON.parse(expired.body)).toMatchObject({ code: 'CRED_EXPIRED' });
    const expiredProxy = await status(proxyIdentity('alice-expired'));
    expect(expiredProxy.status).toBe(403);
    expect(JSON.parse(expiredProxy.body)).toMatchObject({ code: 'CRED_PROXY_EXPIRED' });
    const reasons = refusals().map((l) => l.reason);
    expect(reasons).toContain('CRED_EXPIRED');
    expect(reasons).toContain('CRED_PROXY_EXPIRED');
  });

  it('refuses a user revoked by the CRL', async () => {
    const res = await status(userIdentity('revoked'));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'CRED_REVOKED' });
  });

  it('does not resume TLS sessions, so every connection shows its full chain', async () => {
    let session: Buffer | undefined;
    const first = await httpsCall({ url: `${t.server.pdpUrl}/status`, ca: t.ca, identity: proxyIdentity('alice'), onSession: (s) => (session = s) });
    expect(first.status).toBe(200);
    const second = await httpsCall({ url: `${t.server.pdpUrl}/status`, ca: t.ca, identity: proxyIdentity('alice'), session });
    expect(second.sessionReused).toBe(false);
    expect(second.status).toBe(200);
  });

  it('never logs a private key or a whole certificate', () => {
    expect(t.log.raw()).not.toMatch(/-----BEGIN/);
  });
});

describe('management listener', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t?.close());

  it('answers /healthz and /readyz with database and trust store checks', async () => {
    const health = await fetch(`${t.server.managementUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'alive' });
    const ready = await fetch(`${t.server.managementUrl}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; checks: { name: string; ok: boolean }[] };
    expect(body.status).toBe('ready');
    expect(body.checks.map((c) => [c.name, c.ok])).toEqual([
      ['database', true],
      ['trust store', true],
      ['policy', true],
      ['mapping', true],
      ['pdp listener', true],
    ]);
  });
});
