import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyIdentity, userIdentity } from '../support/fixtures';
import { httpsCall } from '../support/https-client';
import { askPdp } from '../support/pdp-client';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

const sample = (text: string, name: string, labels: Record<string, string> = {}): number => {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((w) => line.includes(w))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
};

describe(`Prometheus metrics on the management listener (${databaseLabel()})`, () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t?.close());
  const scrape = async () => (await fetch(`${t.server.managementUrl}/metrics`)).text();

  it('counts decisions, times them, counts refused credentials and shows pools', async () => {
    const before = await scrape();
    await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
    await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'mallory', dialect: 'authz-interop' });
    await httpsCall({ url: `${t.server.pdpUrl}/status`, ca: t.ca, identity: userIdentity('revoked') });
    const after = await scrape();

    const decisions = (text: string) => sample(text, 'gridauthz_decisions_total', { dialect: 'authz-interop' });
    expect(decisions(after) - decisions(before)).toBe(2);
    expect(sample(after, 'gridauthz_decisions_total', { decision: 'Deny', reason: 'CRED_CA_UNKNOWN' }) - sample(before, 'gridauthz_decisions_total', { decision: 'Deny', reason: 'CRED_CA_UNKNOWN' })).toBe(1);
    const count = (text: string) => sample(text, 'gridauthz_decision_duration_seconds_count', { dialect: 'authz-interop' });
    expect(count(after) - count(before)).toBe(2);
    expect(sample(after, 'gridauthz_credential_failures_total', { where: 'tls', reason: 'CRED_REVOKED' })).toBeGreaterThanOrEqual(1);
    expect(after).toMatch(/gridauthz_pool_accounts\{pool="atlas",state="free"\} \d+/);
    expect(after).toMatch(/gridauthz_crl_newest_age_seconds \d/);
    expect(after).toMatch(/gridauthz_database_connections\{state="total"\} \d/);
  });
});
