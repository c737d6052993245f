import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePepdRequest } from '@gridauthz/protocols';
import { readJavaResponse } from '../../libs/protocols/pepd/test-support/java-model-reader';
import { fixturePath, fixturePki, proxyIdentity } from '../support/fixtures';
import { httpsCall } from '../support/https-client';
import { runCli } from '../support/in-process-cli';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

const WN = 'http://authz-interop.org/xacml/resource/resource-type/wn';
const CE = 'http://authz-interop.org/xacml/resource/resource-type/ce';
const EXECUTE = 'http://glite.org/xacml/action/execute';
const CAPTURED = readFileSync(join(__dirname, '..', '..', 'libs', 'protocols', 'pepd', 'fixtures', 'request-keyinfo-bob-voms.b64'), 'latin1');

interface Printed {
  decision: string | null;
  status?: { code: string; message?: string };
  username?: string;
  groupName?: string;
  groupNames?: string[];
  obligations?: { id: string; assignments: { id: string; value: string }[] }[];
  error?: string;
}

/**
 * The Argus PEPd endpoint end to end over mutual TLS (docs/pepd.md §6): `gridauthz query --protocol pepd` as
 * pepcli, the same account as SAML2-XACML2 gives, the grid-wn and grid-ce profiles, bans, asserted subjects only from trusted asserters, and bad
 * bodies refused with the server up and nothing recorded as Permit.
 */
describe(`PEPd endpoint end to end (${databaseLabel()})`, () => {
  let t: TestServer;
  const pki = () => fixturePki();
  const proxyFile = (name: string) => fixturePath(pki().proxies[name]?.file ?? '');
  beforeAll(async () => {
    const host = fixturePki().host.subject;
    t = await startTestServer({
      config: {
        pdp: { host: '127.0.0.1', port: 0, bodyLimit: 262_144, issuer: 'https://gridauthz.test/pdp', trustedAsserters: [host], callers: [], signResponses: false },
        pepd: { enabled: true, host: '127.0.0.1', port: 0 },
      },
    });
  });
  afterAll(async () => t?.close());

  const pepdUrl = () => {
    if (!t.server.pepdUrl) throw new Error('the PEPd listener is not running');
    return t.server.pepdUrl;
  };
  /** `gridauthz query` in this process; the exit code it would give. */
  const query = async (args: string[]): Promise<{ code: number; printed: Printed }> => {
    const before = process.exitCode;
    const r = await runCli(['query', '--capath', fixturePath(pki().caDir), '--json', ...args]);
    const code = r.error ? r.error.exitCode : Number(process.exitCode ?? 0);
    process.exitCode = before;
    const line = r.stdout.trim().split('\n').at(-1) ?? '{}';
    return { code, printed: (line.startsWith('{') ? JSON.parse(line) : { decision: null, error: r.error?.message }) as Printed };
  };
  const records = async () =>
    (await t.server.database()?.dataSource.query<{ decision: string; subject_dn: string | null; caller_dn: string; resource: string | null; dialect: string; reasons: string[]; username: string | null }[]>(
      `SELECT decision, subject_dn, caller_dn, resource, dialect, reasons, username FROM decision_record ORDER BY decided_at`,
    )) ?? [];
  const hostIdentity = () => ({ cert: readFileSync(fixturePath(pki().host.certFile), 'utf8'), key: readFileSync(fixturePath(pki().host.keyFile), 'utf8') });

  it('a pilot asking with the payload’s VOMS proxy as key-info gets Permit and the account SAML2-XACML2 gives', async () => {
    const pepd = await query(['--url', pepdUrl(), '--protocol', 'pepd', '--cert', proxyFile('pilot-voms'), '--proxy', proxyFile('alice-voms')]);
    expect(pepd.code, JSON.stringify(pepd.printed)).toBe(0);
    expect(pepd.printed.decision).toBe('Permit');
    expect(pepd.printed.username).toMatch(/^atlas\d{3}$/);
    expect(pepd.printed.groupName).toBe('atlas');
    // alice's second FQAN maps to atlasprd; group-id lists the primary too (docs/pepd.md §5).
    expect(pepd.printed.groupNames).toEqual(['atlas', 'atlasprd']);
    expect(pepd.printed.obligations?.map((o) => o.id)).toEqual(['http://glite.org/xacml/obligation/local-environment-map/posix']);
    const xacml = await query(['--url', t.server.pdpUrl, '--protocol', 'xacml', '--dialect', 'grid-wn', '--resource', WN, '--cert', proxyFile('pilot-voms'), '--proxy', proxyFile('alice-voms')]);
    expect(xacml.printed.decision).toBe('Permit');
    expect([pepd.printed.username, pepd.printed.groupName, pepd.printed.groupNames]).toEqual([xacml.printed.username, xacml.printed.groupName, xacml.printed.groupNames]);
    const last = (await records()).filter((r) => r.dialect === 'pepd').at(-1);
    expect(last).toMatchObject({ decision: 'Permit', subject_dn: pki().users.alice?.subject, username: pepd.printed.username });
  });

  it('--profile grid-ce: a CE asking with the job owner’s proxy gets Permit, the posix obligation, and the account grid-wn gives', async () => {
    // A CE (here the host certificate, a trusted asserter) asks as CREAM's argus-pep client does: the user's proxy as
    // key-info, the grid-ce profile-id, the CE resource type (docs/pepd.md §6).
    const ce = await query(['--url', pepdUrl(), '--protocol', 'pepd', '--profile', 'grid-ce', '--cert', fixturePath(pki().host.certFile), '--key', fixturePath(pki().host.keyFile), '--proxy', proxyFile('alice-voms')]);
    expect(ce.code, JSON.stringify(ce.printed)).toBe(0);
    expect(ce.printed.decision).toBe('Permit');
    const posix = ce.printed.obligations?.find((o) => o.id === 'http://glite.org/xacml/obligation/local-environment-map/posix');
    const values = (id: string) => posix?.assignments.filter((a) => a.id === id).map((a) => a.value);
    const userId = values('http://glite.org/xacml/attribute/user-id');
    expect(userId).toHaveLength(1);
    expect(userId?.[0]).toMatch(/^atlas\d{3}$/);
    expect(values('http://glite.org/xacml/attribute/group-id/primary')).toEqual(['atlas']);
    expect(values('http://glite.org/xacml/attribute/group-id')).toEqual(['atlas', 'atlasprd']);
    const ceRecord = (await records()).filter((r) => r.dialect === 'pepd').at(-1);
    // Decided as the CE's question (the CE resource type, the CE asking), not as a worker node's.
    expect(ceRecord).toMatchObject({ decision: 'Permit', subject_dn: pki().users.alice?.subject, caller_dn: pki().host.subject, resource: CE, username: userId?.[0] });
    // The same user on a worker node (grid-wn, the pilot asking) is the same account: one lease per subject.
    const wn = await query(['--url', pepdUrl(), '--protocol', 'pepd', '--cert', proxyFile('pilot-voms'), '--proxy', proxyFile('alice-voms')]);
    expect(wn.printed.decision).toBe('Permit');
    expect(wn.printed.obligations).toEqual(ce.printed.obligations);
    expect([wn.printed.username, wn.printed.groupName, wn.printed.groupNames]).toEqual([userId?.[0], 'atlas', ['atlas', 'atlasprd']]);
  });

  it('answers a captured pepcli body as the Java model reads it', async () => {
    // Bob's captured proxy is from another CA: Deny (or Indeterminate), well formed, HTTP 200.
    const r = await httpsCall({ url: `${pepdUrl()}/authz`, method: 'POST', ca: t.ca, identity: proxyIdentity('pilot-voms'), body: CAPTURED, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(200);
    const read = readJavaResponse(r.body);
    expect(read.results).toHaveLength(1);
    expect(read.results[0]!.decision).not.toBe(1);
    expect(read.results[0]!.resourceId).toBe(WN);
  });

  it('denies a banned DN', async () => {
    const site = t.server.site();
    if (!site) throw new Error('not ready');
    const added = await site.stores.bans.add({ kind: 'dn', value: pki().users.bob?.subject ?? '', reason: 'incident', author: 'test', createdAt: new Date() });
    if (!added.ok) throw new Error(added.error.detail);
    await site.refresh();
    const ask = () => query(['--url', pepdUrl(), '--protocol', 'pepd', '--cert', proxyFile('pilot-voms'), '--proxy', proxyFile('bob-voms')]);
    const r = await ask();
    expect(r.printed.decision, JSON.stringify(r.printed)).toBe('Deny');
    expect(r.code).toBe(1);
    const last = (await records()).filter((x) => x.dialect === 'pepd').at(-1);
    expect(last?.reasons).toContain(`ban:${added.value.id}`);
  });

  it('believes an asserted subject-id and FQANs only from a trusted asserter', async () => {
    const alice = pki().users.alice?.subject ?? '';
    const rfc2253 = alice.split('/').filter(Boolean).reverse().join(',');
    const ask = (cert: string, key?: string) =>
      query(['--url', pepdUrl(), '--protocol', 'pepd', '--cert', cert, ...(key ? ['--key', key] : []), '--subject', rfc2253, '--fqan', '/atlas', '--resource', WN, '--action', EXECUTE]);
    const untrusted = await ask(proxyFile('pilot-voms'));
    expect(untrusted.printed.decision).not.toBe('Permit');
    expect(untrusted.code).not.toBe(0);
    const trusted = await ask(fixturePath(pki().host.certFile), fixturePath(pki().host.keyFile));
    expect(trusted.printed.decision, JSON.stringify(trusted.printed)).toBe('Permit');
    expect(trusted.printed.username).toMatch(/^atlas\d{3}$/);
  });

  it('refuses garbage, truncated and oversized bodies cleanly; the server stays up and records no Permit', async () => {
    const before = await records();
    const post = (body: string) => httpsCall({ url: `${pepdUrl()}/authz`, method: 'POST', ca: t.ca, identity: hostIdentity(), body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const valid = encodePepdRequest({
      subjects: [{ attributes: [{ id: 'urn:oasis:names:tc:xacml:1.0:subject:subject-id', values: ['CN=Alice Atlas,OU=People,DC=example,DC=org'] }] }],
      resources: [{ attributes: [{ id: 'urn:oasis:names:tc:xacml:1.0:resource:resource-id', values: [WN] }] }],
      action: { attributes: [{ id: 'urn:oasis:names:tc:xacml:1.0:action:action-id', values: [EXECUTE] }] },
    });
    const raw = Buffer.from(valid.replace(/\r\n/g, ''), 'base64');
    const nested = Buffer.concat([Buffer.from('V'.repeat(100)), Buffer.from('z'.repeat(100))]).toString('base64');
    const cases: [string, string, number, RegExp][] = [
      ['garbage', 'this is not base64 Hessian', 500, /PROTO_PEPD_ENCODING/],
      ['truncated', raw.subarray(0, raw.length - 20).toString('base64'), 500, /PROTO_HESSIAN_TRUNCATED/],
      ['nested past the limit', nested, 500, /PROTO_HESSIAN_LIMIT/],
      ['not a Request', Buffer.from('I\u0000\u0000\u0000\u0001', 'latin1').toString('base64'), 500, /PROTO_PEPD_MODEL/],
    ];
    for (const [what, body, status, code] of cases) {
      const r = await post(body);
      expect([what, r.status]).toEqual([what, status]);
      expect(r.body).toMatch(code);
    }
    // Over pdp.bodyLimit: refused before it is read.
    expect((await post('A'.repeat(300_000))).status).toBe(413);
    const after = await records();
    expect(after.slice(before.length).filter((r) => r.decision === 'Permit')).toEqual([]);
    // Still serving.
    const again = await query(['--url', pepdUrl(), '--protocol', 'pepd', '--cert', proxyFile('pilot-voms'), '--proxy', proxyFile('alice-voms')]);
    expect(again.printed.decision).toBe('Permit');
  });

  it('refuses a caller without a client certificate as the PDP does', async () => {
    const r = await httpsCall({ url: `${pepdUrl()}/authz`, method: 'POST', ca: t.ca, body: CAPTURED });
    expect(r.status).toBe(403);
  });
});
