import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePrimaResponse, decodeXacmlResponse, encodePrimaRequest, encodeXacmlQuery } from '@gridauthz/protocols';
import { expandPools } from '@gridauthz/mapping';
import { devMappingConfig } from '../../apps/server/site/dev-site';
import { addPrincipal, adminCall, ensureDevPoolsInDatabase } from '../admin/admin-support';
import { adminApiArgs, certArgs } from '../support/cli-args';
import { fixturePki, readFixture, userIdentity } from '../support/fixtures';
import { runCliOrThrow } from '../support/in-process-cli';
import { issueHostCertificate, type TestHost } from '../support/host-certs';
import { httpsCall } from '../support/https-client';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

/**
 * Acceptance of docs/forensics.md: decisions through all five dialects from three hosts (own host certificates,
 * distinct loopback source addresses) at known times; `audit who` must return exactly the Permits a responder
 * needs — computed here from what the test itself sent, not from the server's records — with source address and
 * caller identity, on every host or on one named by host name, certificate DN or address.
 */

const WINDOW_S = 150;
const STEP_MS = 60_000;
const DEFAULT_BAN_MESSAGE = 'access denied by site policy';
const POLICY = `resource ".*" {
    obligation "http://glite.org/xacml/obligation/local-environment-map" {}
    action ".*" {
        rule permit { vo = atlas }
        rule permit { vo = dteam }
    }
}
`;
type Dialect = 'authz-interop' | 'grid-wn' | 'grid-ce' | 'emi' | 'prima';
const DIALECTS: readonly Dialect[] = ['authz-interop', 'grid-wn', 'grid-ce', 'emi', 'prima'];
const USERS = ['alice-voms', 'bob-voms'] as const;

interface Sent {
  readonly at: number;
  readonly host: TestHost;
  readonly address: string;
  readonly dialect: Dialect;
  readonly user: (typeof USERS)[number];
  readonly decision: string;
  readonly username: string | undefined;
  readonly uid: number | undefined;
  /** The host the record should name: every dialect but grid-wn names one. */
  readonly namedHost: string | null;
}

interface WhoRecord {
  decidedAt: string;
  subjectDn: string;
  uid: number;
  username: string;
  host: string | null;
  sourceAddress: string;
  sourcePort: number;
  callerDn: string;
  callerSerial: string;
  callerIssuer: string;
  callerHost: string;
  dialect: string;
}

describe(`decision provenance and audit who (${databaseLabel()})`, () => {
  let t: TestServer;
  let nowMs = 0;
  const sent: Sent[] = [];
  let hosts: TestHost[] = [];
  const addressOf = new Map<string, string>();
  const pki = () => fixturePki();

  beforeAll(async () => {
    const proxies = USERS.map((u) => pki().proxies[u]);
    // Known times inside every credential's validity: a minute after the newest notBefore.
    const start = Math.max(...proxies.map((p) => Date.parse(p?.notBefore ?? ''))) + 60_000;
    nowMs = start;
    hosts = await Promise.all(
      ['wn01.example.org', 'wn02.example.org', 'ce01.example.org'].map((name, i) => issueHostCertificate(name, 0x7000n + BigInt(i), new Date(start - 86_400_000))),
    );
    hosts.forEach((h, i) => addressOf.set(h.name, `127.0.0.${i + 1}`));
    const policyDir = mkdtempSync(join(tmpdir(), 'gridauthz-forensics-policy-'));
    writeFileSync(join(policyDir, 'site.spl'), POLICY);
    t = await startTestServer({
      clock: () => new Date(nowMs),
      config: {
        policy: { dir: policyDir },
        // The hosts may assert PRIMA subjects about themselves (prima-saml1.md §1.1).
        pdp: { host: '127.0.0.1', port: 0, bodyLimit: 262_144, issuer: 'https://gridauthz.test/pdp', trustedAsserters: hosts.map((h) => h.dn), callers: [], signResponses: false },
      },
    });
    const db = t.server.database();
    const site = t.server.site();
    if (!db || !site) throw new Error('server not ready');
    await ensureDevPoolsInDatabase(db);
    await addPrincipal(db, 'pilot', 'security-officer');
    const written = await site.stores.mapping.upsertPayloadCallers(hosts.map((h) => ({ id: `test:${h.name}`, kind: 'host' as const, dn: h.dn })));
    if (!written.ok) throw new Error(JSON.stringify(written.error));
    // Not refresh(): a poll already in flight may have read the generation before this write.
    await site.configuration.reload();

    // 2 rounds × 3 hosts × 5 dialects × 2 users, one decision a minute, hosts interleaved.
    let i = 0;
    for (let round = 0; round < 2; round += 1) {
      for (const dialect of DIALECTS) {
        for (const user of USERS) {
          for (const host of hosts) {
            nowMs = start + i * STEP_MS;
            // wn02 also reaches us through 127.0.0.1 now and then (a second interface): address ≠ name.
            const address = host.name === 'wn02.example.org' && Math.floor(i / 3) % 4 === 0 ? '127.0.0.1' : (addressOf.get(host.name) as string);
            sent.push(await ask(host, address, dialect, user, nowMs));
            i += 1;
          }
        }
      }
    }
  }, 180_000);
  afterAll(async () => t?.close());

  async function ask(host: TestHost, address: string, dialect: Dialect, user: (typeof USERS)[number], at: number): Promise<Sent> {
    const proxy = pki().proxies[user];
    if (!proxy) throw new Error(user);
    const base = { at, host, address, dialect, user };
    if (dialect === 'prima') {
      const fqans = user === 'alice-voms' ? ['/atlas/Role=NULL/Capability=NULL'] : ['/dteam/Role=NULL/Capability=NULL'];
      const request = encodePrimaRequest({ subjectDn: proxy.identity, resourceDn: host.dn, now: new Date(at), idGenerator: randomUUID, fqans, fqanIssuer: '/DC=org/DC=gridauthz-dev/OU=hosts/CN=voms.gridauthz-dev.org' });
      const http = await httpsCall({ url: `${t.server.pdpUrl}/gums/services/GUMSAuthorizationServicePort`, method: 'POST', ca: t.ca, identity: host.identity, body: request.body, headers: { soapaction: request.soapAction }, localAddress: address });
      const answer = decodePrimaResponse(http.body, request.expect);
      if (!answer.ok) throw new Error(`PRIMA answer undecodable: ${http.body}`);
      return { ...base, decision: answer.value.decision ?? 'none', username: answer.value.username, uid: undefined, namedHost: host.name };
    }
    const query = encodeXacmlQuery({
      dialect,
      subjectChainPem: readFixture(proxy.file),
      subjectDn: proxy.identity,
      ...(dialect === 'authz-interop' ? { hostName: host.name } : {}),
      ...(dialect === 'emi' ? { hostDn: host.dn } : {}),
      ...(dialect === 'grid-ce' ? { resource: `https://${host.name}:8443/ce-cream/services/CREAM2`, action: 'http://glite.org/xacml/action/ce/job/submit' } : {}),
      ...(dialect === 'emi' ? { resource: 'http://authz-interop.org/xacml/resource/resource-type/wn', action: 'http://glite.org/xacml/action/execute' } : {}),
      now: new Date(at),
      idGenerator: randomUUID,
    });
    const http = await httpsCall({ url: `${t.server.pdpUrl}/authz`, method: 'POST', ca: t.ca, identity: host.identity, body: query.body, headers: { soapaction: query.soapAction }, localAddress: address });
    const answer = decodeXacmlResponse(http.body, query.expect);
    if (!answer.ok) throw new Error(`answer undecodable: ${http.body}`);
    return { ...base, decision: answer.value.decision, username: answer.value.username, uid: answer.value.uid, namedHost: dialect === 'grid-wn' ? null : host.name };
  }

  /** The uid of an account as the site's pools define it (the dev site's): grid-wn, emi and PRIMA answers name the account only. */
  const uidOfAccount = (() => {
    const config = devMappingConfig({ hostDn: pki().host.subject, pilotDn: pki().users['pilot']?.subject ?? '' });
    const expanded = expandPools(config.pools, config.groups);
    if (!expanded.ok) throw new Error(expanded.error.detail);
    const uids = new Map(expanded.value.flatMap((p) => p.accounts.map((a) => [a.username, a.uid] as const)));
    return (username: string | undefined): number => {
      const uid = uids.get(username ?? '');
      if (uid === undefined) throw new Error(`no account ${String(username)}`);
      return uid;
    };
  })();
  const uidOf = (s: Sent): number => uidOfAccount(s.username);

  const who = (q: Record<string, string>) =>
    adminCall(t, { path: `/audit/who?${new URLSearchParams({ windowSeconds: String(WINDOW_S), ...q }).toString()}`, identity: userIdentity('pilot') });

  /** What a responder must get: the Permits of that account within the window, nearest first (later first on a tie). */
  const expected = (uid: number, at: number, match: (s: Sent) => boolean = () => true) =>
    sent
      .filter((s) => s.decision === 'Permit' && uidOf(s) === uid && Math.abs(s.at - at) <= WINDOW_S * 1000 && match(s))
      .sort((a, b) => Math.abs(a.at - at) - Math.abs(b.at - at) || b.at - a.at);

  const samples = (): { uid: number; at: number }[] => {
    let seed = 1604;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    return Array.from({ length: 20 }, () => {
      const s = sent[next() % sent.length] as Sent;
      return { uid: uidOf(s), at: s.at + (next() % 2 === 0 ? 17_000 : -17_000) };
    });
  };

  const check = (records: WhoRecord[], want: Sent[], label: string) => {
    expect(records.map((r) => [r.decidedAt, r.sourceAddress, r.callerDn]), label).toEqual(want.map((s) => [new Date(s.at).toISOString(), s.address, s.host.dn]));
    records.forEach((r, i) => {
      const s = want[i] as Sent;
      expect(r.dialect, label).toBe(s.dialect);
      expect(r.host, `${label}: host named by ${s.dialect}`).toBe(s.namedHost);
      expect(r.callerHost).toBe(s.host.name);
      expect(r.callerSerial.toLowerCase()).toBe(s.host.serialHex);
      expect(r.callerIssuer).toBe(pki().ca.subject);
      expect(r.sourcePort).toBeGreaterThan(0);
      expect(r.subjectDn).toBe(pki().proxies[s.user]?.identity);
      expect(r.username).toBe(s.username);
    });
  };

  it('every dialect from every host was answered, the same account per user in every dialect', async () => {
    expect(sent).toHaveLength(60);
    for (const s of sent) expect(s.decision, `${s.dialect} from ${s.host.name}`).toBe('Permit');
    // The answers' uids agree with the pools (authz-interop sends the uid; the others only the name).
    for (const s of sent.filter((x) => x.uid !== undefined)) expect(s.uid).toBe(uidOf(s));
    // Each user keeps one account across the SAML2-XACML2 dialects (one lease key).
    for (const user of USERS) expect(new Set(sent.filter((s) => s.user === user && s.dialect !== 'prima').map((s) => s.username)).size).toBe(1);
  });

  it('audit who without --host: exactly the right candidates on every host, nearest first, for 20 sampled (uid, time) questions', async () => {
    for (const q of samples()) {
      const r = await who({ uid: String(q.uid), at: new Date(q.at).toISOString() });
      expect(r.status).toBe(200);
      const want = expected(q.uid, q.at);
      expect(want.length).toBeGreaterThan(0);
      check(r.json['records'] as WhoRecord[], want, `uid ${q.uid} at ${new Date(q.at).toISOString()}`);
      expect(r.json['dn']).toBe(pki().proxies[(want[0] as Sent).user]?.identity);
    }
  });

  it('audit who --host by host name, by certificate DN and by source address', async () => {
    for (const [n, q] of samples().entries()) {
      const host = hosts[n % 3] as TestHost;
      const byName = await who({ uid: String(q.uid), at: new Date(q.at).toISOString(), host: host.name.toUpperCase() });
      check(byName.json['records'] as WhoRecord[], expected(q.uid, q.at, (s) => s.host === host), `name ${host.name}`);
      const byDn = await who({ uid: String(q.uid), at: new Date(q.at).toISOString(), host: host.dn });
      check(byDn.json['records'] as WhoRecord[], expected(q.uid, q.at, (s) => s.host === host), `DN ${host.dn}`);
      const address = addressOf.get(host.name) as string;
      const byAddress = await who({ uid: String(q.uid), at: new Date(q.at).toISOString(), host: address });
      check(byAddress.json['records'] as WhoRecord[], expected(q.uid, q.at, (s) => s.address === address), `address ${address}`);
    }
    // The same question by account name answers the same.
    const q = samples()[0] as { uid: number; at: number };
    const username = sent.find((s) => uidOf(s) === q.uid)?.username as string;
    const byUsername = await who({ username, at: new Date(q.at).toISOString() });
    check(byUsername.json['records'] as WhoRecord[], expected(q.uid, q.at), `username ${username}`);
  });

  it('audit decisions filters by host, caller, DN and FQAN, and pages with a cursor without loss or repeat', async () => {
    const wn02 = hosts[1] as TestHost;
    const all: { id: string; decidedAt: string }[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page += 1) {
      const r = await adminCall(t, { path: `/decisions?caller=${encodeURIComponent(wn02.dn)}&limit=7${cursor ? `&cursor=${cursor}` : ''}`, identity: userIdentity('pilot') });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      all.push(...(r.json['records'] as { id: string; decidedAt: string }[]));
      cursor = (r.json['nextCursor'] as string | null) ?? undefined;
      if (!cursor) break;
    }
    const want = sent.filter((s) => s.host === wn02).map((s) => new Date(s.at).toISOString()).reverse();
    expect(all.map((r) => r.decidedAt)).toEqual(want);
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);

    const alice = pki().proxies['alice-voms']?.identity as string;
    const byDnFqan = await adminCall(t, { path: `/decisions?dn=${encodeURIComponent(alice)}&fqan=${encodeURIComponent('/atlas')}&host=127.0.0.3&limit=100`, identity: userIdentity('pilot') });
    expect((byDnFqan.json['records'] as unknown[]).length).toBe(sent.filter((s) => s.user === 'alice-voms' && s.address === '127.0.0.3').length);
    const bad = await adminCall(t, { path: '/decisions?cursor=bm90LWEtY3Vyc29y', identity: userIdentity('pilot') });
    expect(bad.status).toBe(400);
  });

  /** Runs the CLI in-process against the admin API as the pilot (a security officer here) and returns what it printed. */
  const cli = (args: readonly string[]): Promise<string> => runCliOrThrow([...args, ...adminApiArgs(t), ...certArgs('pilot')]);

  it('the CLI prints the candidates as a table, and as CSV for a ticket', async () => {
    const q = samples()[3] as { uid: number; at: number };
    const want = expected(q.uid, q.at);
    const tableText = await cli(['audit', 'who', '--uid', String(q.uid), '--at', new Date(q.at).toISOString(), '--window', String(WINDOW_S)]);
    expect(tableText).toContain(`uid ${q.uid} on any host at ${new Date(q.at).toISOString()} (±${WINDOW_S} s)`);
    expect(tableText).toMatch(/DECIDEDAT\s+SUBJECTDN\s+FQANS\s+USERNAME\s+UID\s+HOST\s+SOURCEADDRESS\s+SOURCEPORT\s+CALLERDN\s+CALLERSERIAL\s+DIALECT/);
    for (const s of want) expect(tableText).toContain(new Date(s.at).toISOString());
    const stdout = await cli(['audit', 'who', '--uid', String(q.uid), '--at', new Date(q.at).toISOString(), '--window', String(WINDOW_S), '--csv']);
    const lines = stdout.trimEnd().split('\r\n');
    expect(lines[0]).toBe('decidedAt,subjectDn,fqans,username,uid,host,sourceAddress,sourcePort,callerDn,callerSerial,callerIssuer,dialect,id,tokenIssuer,tokenSubject');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(want.map((s) => new Date(s.at).toISOString()));
    expect(lines.slice(1).map((l) => l.split(',')[6])).toEqual(want.map((s) => s.address));
  });

  it("a banned user's Deny carries no part of the ban reason; the record keeps the ban id", async () => {
    nowMs = (sent.at(-1)?.at ?? nowMs) + 10 * STEP_MS;
    const bob = pki().proxies['bob-voms']?.identity as string;
    const reason = 'incident 4711: CSIRT-notes compromised-key';
    const ban = await adminCall(t, { path: '/bans', method: 'POST', body: { kind: 'dn', value: bob, reason }, identity: userIdentity('pilot') });
    expect(ban.status).toBe(201);
    const banId = String(ban.json['id']);
    await t.server.site()?.configuration.reload();
    const host = hosts[0] as TestHost;
    for (const dialect of DIALECTS) {
      const query = dialect === 'prima' ? undefined : dialect;
      nowMs += 1000;
      const s = await ask(host, '127.0.0.1', query ?? 'prima', 'bob-voms', nowMs);
      expect(s.decision, dialect).toBe('Deny');
    }
    // The raw bodies: nothing of the officer's words, the neutral message instead.
    const proxy = pki().proxies['bob-voms'];
    const q = encodeXacmlQuery({ dialect: 'authz-interop', subjectChainPem: readFixture(proxy?.file ?? ''), subjectDn: bob, hostName: host.name, now: new Date(nowMs), idGenerator: randomUUID });
    const http = await httpsCall({ url: t.server.pdpUrl, method: 'POST', ca: t.ca, identity: host.identity, body: q.body, headers: { soapaction: q.soapAction } });
    // The answer echoes the request (whose base64 chain may hold any digits): look at the answer's own parts.
    const answerPart = http.body.replace(/<xacml-context:Request[\s\S]*<\/xacml-context:Request>/, '');
    for (const word of ['4711', 'incident', 'CSIRT', 'compromised']) expect(answerPart).not.toContain(word);
    expect(answerPart).toMatch(new RegExp(`StatusMessage>${DEFAULT_BAN_MESSAGE}<`));
    const records = await adminCall(t, { path: `/decisions?dn=${encodeURIComponent(bob)}&decision=Deny`, identity: userIdentity('pilot') });
    const rows = records.json['records'] as { reasons: string[] }[];
    expect(rows.length).toBe(DIALECTS.length + 1);
    for (const row of rows) expect(row.reasons).toContain(`ban:${banId}`);
  });
});
