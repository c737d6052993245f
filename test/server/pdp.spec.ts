import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeXacmlQuery } from '@gridauthz/protocols';
import { validatePayload } from '../../libs/protocols/test-support/xmllint';
import { fixturePki, proxyIdentity, readFixture, userIdentity } from '../support/fixtures';
import { httpsCall } from '../support/https-client';
import { askPdp } from '../support/pdp-client';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

const WN = 'http://authz-interop.org/xacml/resource/resource-type/wn';

/** The SAML2-XACML2 PDP end to end over real mutual TLS (saml2-xacml2.md §7.2-7.3, §10). */
describe(`SAML2-XACML2 PDP end to end (${databaseLabel()})`, () => {
  let t: TestServer;
  const pki = () => fixturePki();
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t?.close());

  const records = async (subject: string) =>
    (await t.server.database()?.dataSource.query<{ decision: string; uid: number | null; username: string | null; reasons: string[]; caller_dn: string }[]>(
      `SELECT decision, uid, username, reasons, caller_dn FROM decision_record WHERE subject_dn = $1 ORDER BY decided_at`,
      [subject],
    )) ?? [];

  it('glexec style: a pilot proxy asks for a payload VOMS proxy and gets numeric uid, gid and secondary gids, the same every time', async () => {
    const ask = () => askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
    const first = await ask();
    if (first.answer?.decision !== 'Permit') console.log('DEBUG', JSON.stringify(await t.server.database()?.dataSource.query('SELECT decision, reasons, subject_dn, fqans FROM decision_record')));
    expect(first.http.status).toBe(200);
    expect(first.http.headers['content-type']).toBe('text/xml; charset=UTF-8');
    expect(first.http.headers['content-length']).toBe(String(Buffer.byteLength(first.http.body)));
    expect(first.answer?.decision).toBe('Permit');
    expect(first.answer?.uid).toBeGreaterThanOrEqual(61001);
    expect(first.answer?.uid).toBeLessThanOrEqual(61050);
    expect(first.answer?.gid).toBe(5000);
    expect(first.answer?.username).toMatch(/^atlas\d{3}$/);
    // alice's second FQAN, /atlas/production, maps to the atlasprd group (mapping.md §3.5: secondary groups from the other FQANs).
    expect(first.answer?.secondaryGids).toEqual([5001]);
    for (let i = 0; i < 3; i += 1) {
      const again = await ask();
      expect(again.answer?.decision).toBe('Permit');
      expect(again.answer?.uid).toBe(first.answer?.uid);
    }
    const rows = await records(pki().users.alice?.subject ?? '');
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(rows.every((r) => r.decision === 'Permit' && r.uid === first.answer?.uid)).toBe(true);
    expect(rows[0]?.caller_dn).toBe(pki().users.pilot?.subject);
  });

  it('maps the same user to the same account through grid-wn and EMI, as names', async () => {
    const interop = await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
    const wn = await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: userIdentity('pilot'), payloadProxy: 'alice-voms', dialect: 'grid-wn', resource: WN, path: '/authz' });
    expect(wn.answer?.decision).toBe('Permit');
    expect(wn.answer?.username).toBe(interop.answer?.username);
    expect(wn.answer?.groupName).toBe('atlas');
    const emi = await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: userIdentity('pilot'), payloadProxy: 'alice-voms', dialect: 'emi', resource: WN, action: 'http://glite.org/xacml/action/execute' });
    expect(emi.answer?.decision).toBe('Permit');
    expect(emi.answer?.username).toBe(interop.answer?.username);
  });

  it('many concurrent payloads of one user share its lease and each is recorded; a released lease is never reused from memory', async () => {
    const alice = pki().users.alice?.subject ?? '';
    const ask = () => askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
    const first = await ask();
    expect(first.answer?.decision).toBe('Permit');
    const before = (await records(alice)).length;

    const burst = await Promise.all(Array.from({ length: 40 }, ask));
    expect(burst.map((b) => b.answer?.decision)).toEqual(Array(40).fill('Permit'));
    expect(new Set(burst.map((b) => b.answer?.uid))).toEqual(new Set([first.answer?.uid]));
    expect((await records(alice)).length).toBe(before + 40);

    // An operator ends the lease behind the server's back and takes the account out of service: the server's
    // memory of the lease must not outlive it (mapping.md §2.5: a released account is free for the next key).
    const db = t.server.database();
    if (!db) throw new Error('not ready');
    const username = first.answer?.username ?? '';
    await db.transaction(async (m) => {
      await m.query(`UPDATE lease SET released_at = now() WHERE released_at IS NULL AND account_id = (SELECT id FROM pool_account WHERE username = $1)`, [username]);
      await m.query(`UPDATE pool_account SET held = false, enabled = false WHERE username = $1`, [username]);
    });
    try {
      const after = await ask();
      expect(after.answer?.decision).toBe('Permit');
      expect(after.answer?.username).not.toBe(username);
      const last = (await records(alice)).at(-1);
      expect(last?.username).toBe(after.answer?.username);
      const live = await db.query<{ username: string }[]>(
        `SELECT a.username FROM lease l JOIN pool_account a ON a.id = l.account_id WHERE l.released_at IS NULL AND a.username IN ($1, $2)`,
        [username, after.answer?.username],
      );
      expect(live.map((l) => l.username)).toEqual([after.answer?.username]);
    } finally {
      await db.query(`UPDATE pool_account SET enabled = true WHERE username = $1`, [username]);
    }
  });

  it('denies a banned DN with the ban as the reason, at once on this server', async () => {
    const site = t.server.site();
    if (!site) throw new Error('not ready');
    const added = await site.stores.bans.add({ kind: 'dn', value: pki().users.bob?.subject ?? '', reason: 'incident 2026-11-23', author: 'test', createdAt: new Date() });
    if (!added.ok) throw new Error(added.error.detail);
    await t.server.site()?.refresh();
    const denied = await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'bob-voms', dialect: 'authz-interop' });
    expect(denied.answer?.decision).toBe('Deny');
    const rows = await records(pki().users.bob?.subject ?? '');
    expect(rows.at(-1)?.reasons).toContain(`ban:${added.value.id}`);
  });

  it('denies a payload from an unknown CA, and a caller that is not whitelisted for payloads', async () => {
    const unknown = await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'mallory', dialect: 'authz-interop' });
    expect(unknown.answer?.decision).toBe('Deny');
    const stranger = await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: userIdentity('bob'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
    expect(stranger.answer?.decision).toBe('Deny');
  });

  it('answers a query without a subject with Indeterminate: missing-attribute (gLite), processing-error (authz-interop)', async () => {
    for (const [dialect, status] of [
      ['grid-wn', 'urn:oasis:names:tc:xacml:1.0:status:missing-attribute'],
      ['authz-interop', 'urn:oasis:names:tc:xacml:1.0:status:processing-error'],
    ] as const) {
      const body = stripSubject(queryWithoutChain(dialect));
      const res = await httpsCall({ url: `${t.server.pdpUrl}/`, method: 'POST', ca: t.ca, identity: userIdentity('pilot'), body });
      expect(res.status).toBe(200);
      expect(res.body).toContain('Indeterminate');
      expect(res.body).toContain(status);
    }
  });

  it('answers a DOCTYPE with a SOAP fault, and refuses a 2 MiB body before parsing', async () => {
    const doctype = await httpsCall({
      url: `${t.server.pdpUrl}/`,
      method: 'POST',
      ca: t.ca,
      identity: userIdentity('pilot'),
      body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
    });
    expect(doctype.status).toBe(500);
    expect(doctype.body).toMatch(/<(\w+:)?Fault/);
    expect(doctype.body).toMatch(/Client/);
    const huge = await httpsCall({ url: `${t.server.pdpUrl}/`, method: 'POST', ca: t.ca, identity: userIdentity('pilot'), body: `<x>${'a'.repeat(2 * 1024 * 1024)}</x>` }).catch(
      (err: NodeJS.ErrnoException) => ({ status: -1, body: err.code ?? '' }),
    );
    // Either an answer refusing it or the connection closed while we were still sending: never a decision.
    expect([413, -1]).toContain(huge.status);
    if (huge.status === 413) expect(huge.body).toMatch(/Fault[\s\S]*exceeds/);
  });

  it('answers on the GUMS and Argus paths too', async () => {
    for (const path of ['/gums/services/GUMSXACMLAuthorizationServicePort', '/authz']) {
      const outcome = await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop', path });
      expect(outcome.answer?.decision, path).toBe('Permit');
    }
  });

  it('produces answers that validate against the SAML 2.0 / XACML-SAML v2 schemas', async () => {
    const outcome = await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
    const verdict = validatePayload(outcome.http.body);
    expect(verdict.valid, verdict.output).toBe(true);
  });

  /** A well-formed query of the dialect, as its client builds it, before its subject is taken out. */
  function queryWithoutChain(dialect: 'grid-wn' | 'authz-interop'): string {
    const proxy = pki().proxies['alice-voms'];
    if (!proxy) throw new Error('no alice-voms fixture');
    return encodeXacmlQuery({ dialect, subjectChainPem: readFixture(proxy.file), subjectDn: proxy.identity, resource: WN, now: new Date(), idGenerator: () => 'no-subject' }).body;
  }
});

/** Removes every Subject attribute: what a broken PEP sends. */
function stripSubject(xml: string): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const subjects = Array.from(doc.getElementsByTagNameNS('*', 'Subject'));
  for (const subject of subjects) while (subject.firstChild) subject.removeChild(subject.firstChild);
  return new XMLSerializer().serializeToString(doc);
}
