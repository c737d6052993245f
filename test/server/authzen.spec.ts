import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientIdentity, fixturePki, proxyIdentity, readFixture } from '../support/fixtures';
import { httpsCall, type HttpsResponse } from '../support/https-client';
import { askPdp } from '../support/pdp-client';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

/**
 * The AuthZEN Authorization API 1.0 endpoints end to end over mutual TLS (docs/authzen.md). Expectations come from
 * the specification: §5.5 (Decision), §6.1 (request), §7 (evaluations, defaults, semantics), §10.1 (HTTPS JSON
 * binding, errors, X-Request-ID), §11.5 (unique member names), §9 (PDP metadata).
 */
describe(`AuthZEN endpoint end to end (${databaseLabel()})`, () => {
  let t: TestServer;
  beforeAll(async () => {
    // The host certificate is a trusted asserter (docs/callers.md), as a CE's is: it may assert an x509-dn subject.
    t = await startTestServer({
      config: {
        pdp: { host: '127.0.0.1', port: 0, bodyLimit: 262_144, issuer: 'https://gridauthz.test/pdp', trustedAsserters: [fixturePki().host.subject], callers: [], signResponses: false },
      },
    });
  });
  afterAll(async () => t?.close());

  const chain = (name: string): string => {
    const proxy = fixturePki().proxies[name];
    if (!proxy) throw new Error(`no fixture proxy ${name}`);
    return readFixture(proxy.file);
  };
  const x509 = (name: string) => ({ type: 'x509', id: fixturePki().proxies[name]?.identity ?? name, properties: { pem_chain: chain(name) } });
  const WN = { type: 'wn', id: 'wn042.example.org' };
  const EXECUTE = { name: 'execute' };

  const post = (path: string, body: string | object, headers: Record<string, string> = {}, identity: ClientIdentity = proxyIdentity('pilot-voms')): Promise<HttpsResponse> =>
    httpsCall({
      url: `${t.server.pdpUrl}${path}`,
      method: 'POST',
      ca: t.ca,
      identity,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });
  const json = (res: HttpsResponse): Record<string, unknown> => JSON.parse(res.body) as Record<string, unknown>;

  it('permits a payload x509 subject with the same account the SAML2-XACML2 path maps, and echoes X-Request-ID (§5.5, §10.1, §10.1.3)', async () => {
    const saml = await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
    expect(saml.answer?.decision).toBe('Permit');
    const res = await post('/access/v1/evaluation', { subject: x509('alice-voms'), action: EXECUTE, resource: WN, context: { time: '2026-12-07T16:00Z' } }, { 'x-request-id': 'bfe9eb29-ab87-4ca3-be83-a1d5d8305716' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['x-request-id']).toBe('bfe9eb29-ab87-4ca3-be83-a1d5d8305716');
    const answer = json(res);
    expect(answer.decision).toBe(true);
    const context = answer.context as { decision_id: string; account: { username: string; uid: number; gid: number; secondary_gids: number[] } };
    expect(context.account.username).toBe(saml.answer?.username);
    expect(context.account.uid).toBe(saml.answer?.uid);
    expect(context.account.gid).toBe(saml.answer?.gid);
    expect(context.account.secondary_gids).toEqual(saml.answer?.secondaryGids);
    // The decision id is the forensic record's key.
    const rows = await t.server.database()?.dataSource.query<{ id: string; dialect: string }[]>('SELECT id, dialect FROM decision_record WHERE id = $1', [context.decision_id]);
    expect(rows?.[0]?.dialect).toBe('authzen');
  });

  it('answers a deny as HTTP 200 with decision false and reason codes, never an HTTP error (§10.1.2)', async () => {
    const res = await post('/access/v1/evaluation', { subject: x509('mallory'), action: EXECUTE, resource: WN });
    expect(res.status).toBe(200);
    const answer = json(res);
    expect(answer.decision).toBe(false);
    const context = answer.context as { outcome: string; reason_codes?: string[] };
    expect(context.outcome).toBe('Deny');
    expect(context.reason_codes?.some((c) => c.startsWith('CRED_'))).toBe(true);
  });

  it('refuses malformed JSON, a wrong content type, duplicate member names and missing members with 400 and a message (§10.1, §10.1.1, §10.1.2, §11.5)', async () => {
    const cases: [string, string | object, Record<string, string>, RegExp][] = [
      ['malformed', '{"subject": {"type": "x509",', {}, /malformed JSON/],
      ['not an object', '[]', {}, /must be a JSON object/],
      ['text/xml', { subject: x509('alice-voms'), action: EXECUTE, resource: WN }, { 'content-type': 'text/xml' }, /Content-Type must be application\/json/],
      ['duplicate', `{"subject": ${JSON.stringify(x509('alice-voms'))}, "action": {"name": "execute"}, "resource": {"type": "wn", "id": "a.example.org"}, "resource": {"type": "wn", "id": "b.example.org"}}`, {}, /appears twice/],
      ['no resource', { subject: x509('alice-voms'), action: EXECUTE }, {}, /resource is required/],
      ['no subject.id', { subject: { type: 'x509', properties: { pem_chain: chain('alice-voms') } }, action: EXECUTE, resource: WN }, {}, /subject\.id is required/],
      ['no action.name', { subject: x509('alice-voms'), action: {}, resource: WN }, {}, /action\.name is required/],
    ];
    for (const [name, body, headers, message] of cases) {
      const res = await post('/access/v1/evaluation', body, headers);
      expect(res.status, name).toBe(400);
      expect(res.body, name).toMatch(message);
      expect(res.body, name).not.toMatch(/"decision"/);
    }
  });

  it('refuses an unknown subject type naming the ones it knows', async () => {
    const res = await post('/access/v1/evaluation', { subject: { type: 'user', id: 'alice@example.com' }, action: EXECUTE, resource: WN });
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/subject\.type "user" is not a subject type gridauthz knows; use wlcg-token, x509, x509-dn/);
  });

  it('refuses an oversized body with 413 before deciding', async () => {
    const res = await post('/access/v1/evaluation', { subject: x509('alice-voms'), action: EXECUTE, resource: WN, context: { padding: 'x'.repeat(200_000) } });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    // Over pdp.bodyLimit the listener refuses before the codec sees it: still an AuthZEN error, not a SOAP fault.
    const huge = await post('/access/v1/evaluation', { subject: x509('alice-voms'), action: EXECUTE, resource: WN, context: { padding: 'x'.repeat(300_000) } }).catch(
      (err: NodeJS.ErrnoException) => ({ status: -1, body: err.code ?? '', headers: {} as Record<string, string> }),
    );
    expect([413, -1]).toContain(huge.status);
    if (huge.status === 413) expect(huge.body).toMatch(/^PROTO_BODY_TOO_LARGE: /);
  });

  it('answers a batch in request order with defaults and per-evaluation overrides, without a top-level decision (§7.1, §7.1.1, §7.2)', async () => {
    const res = await post(
      '/access/v1/evaluations',
      {
        subject: x509('alice-voms'),
        action: EXECUTE,
        evaluations: [{ resource: WN }, { resource: { type: 'resource-id', id: 'http://example.org/no-such-service' } }, { resource: WN, subject: x509('mallory') }, { resource: WN }],
      },
      { 'x-request-id': 'batch-1' },
    );
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe('batch-1');
    const answer = json(res) as { decision?: unknown; evaluations: { decision: boolean; context: { account?: { username: string } } }[] };
    expect(answer.decision).toBeUndefined();
    expect(answer.evaluations.map((e) => e.decision)).toEqual([true, false, false, true]);
    expect(answer.evaluations[3]?.context.account?.username).toBe(answer.evaluations[0]?.context.account?.username);
  });

  it('stops at the first deny or the first permit when asked to (§7.1.2.1)', async () => {
    const nothing = { resource: { type: 'resource-id', id: 'http://example.org/no-such-service' } };
    const denyFirst = json(await post('/access/v1/evaluations', { subject: x509('alice-voms'), action: EXECUTE, options: { evaluations_semantic: 'deny_on_first_deny' }, evaluations: [{ resource: WN }, nothing, { resource: WN }] }));
    expect((denyFirst.evaluations as { decision: boolean }[]).map((e) => e.decision)).toEqual([true, false]);
    const permitFirst = json(await post('/access/v1/evaluations', { subject: x509('alice-voms'), action: EXECUTE, options: { evaluations_semantic: 'permit_on_first_permit' }, evaluations: [nothing, { resource: WN }, nothing] }));
    expect((permitFirst.evaluations as { decision: boolean }[]).map((e) => e.decision)).toEqual([false, true]);
    const unknown = await post('/access/v1/evaluations', { subject: x509('alice-voms'), action: EXECUTE, options: { evaluations_semantic: 'majority' }, evaluations: [{ resource: WN }] });
    expect(unknown.status).toBe(400);
  });

  it('treats an evaluations request without evaluations as a single evaluation, and refuses a batch missing a required key (§7.1, §7.1.1)', async () => {
    const single = await post('/access/v1/evaluations', { subject: x509('alice-voms'), action: EXECUTE, resource: WN, evaluations: [] });
    expect(single.status).toBe(200);
    expect(json(single).decision).toBe(true);
    const missing = await post('/access/v1/evaluations', { subject: x509('alice-voms'), evaluations: [{ resource: WN, action: EXECUTE }, { resource: WN }] });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatch(/evaluations\[1\]\.action is required/);
  });

  describe('x509-dn subjects (§5.1; docs/authzen.md §3.1)', () => {
    const host = (): ClientIdentity => ({ cert: readFixture(fixturePki().host.certFile), key: readFixture(fixturePki().host.keyFile) });
    const dnSubject = (dn: string, fqans: string[] = ['/atlas']) => ({ type: 'x509-dn', id: dn, properties: { fqans } });
    type Answer = { decision: boolean; context: { account?: { username: string; uid: number; gid: number }; outcome?: string; reason_codes?: string[] } };
    const ask = async (dn: string, identity: ClientIdentity = host()): Promise<Answer> => {
      const res = await post('/access/v1/evaluation', { subject: dnSubject(dn), action: EXECUTE, resource: WN }, {}, identity);
      expect(res.status, res.body).toBe(200);
      return json(res) as Answer;
    };

    it('permits a DN a trusted asserter asserts, with one account whichever rendering names it', async () => {
      const alice = fixturePki().users.alice?.subject ?? '';
      const rfc2253 = alice.split('/').filter(Boolean).reverse().join(',');
      const slash = await ask(alice);
      expect(slash.decision, JSON.stringify(slash)).toBe(true);
      expect(slash.context.account?.username).toMatch(/^atlas\d{3}$/);
      expect(slash.context.account?.gid).toBe(5000);
      // The same DN written the other way round is the same subject, so the same lease.
      expect((await ask(rfc2253)).context.account).toEqual(slash.context.account);
      const rows = await t.server.database()?.dataSource.query<{ subject_dn: string; caller_dn: string; decision: string }[]>(
        `SELECT subject_dn, caller_dn, decision FROM decision_record WHERE dialect = 'authzen' ORDER BY decided_at DESC LIMIT 1`,
      );
      expect(rows?.[0]).toMatchObject({ subject_dn: alice, caller_dn: fixturePki().host.subject, decision: 'Permit' });
    });

    it('refuses a DN asserted by a caller that is not a trusted asserter: a pilot must send the chain, anyone else is only itself', async () => {
      const bob = fixturePki().users.bob?.subject ?? '';
      const pilot = await ask(bob, proxyIdentity('pilot-voms'));
      expect(pilot.decision).toBe(false);
      expect(pilot.context.account).toBeUndefined();
      expect(pilot.context.reason_codes).toContain('CALLER_CHAIN_REQUIRED');
      const nobody = await ask(bob, proxyIdentity('alice-voms'));
      expect(nobody.decision).toBe(false);
      expect(nobody.context.account).toBeUndefined();
      expect(nobody.context.outcome).toBe('Indeterminate');
      expect(nobody.context.reason_codes).toContain('SUBJECT_NOT_VERIFIABLE');
    });

    it('never gives a DN the account of another that renders the same but differs structurally', async () => {
      // One RDN of two AVAs (CN and O) against one CN whose value holds "+O=": OpenSSL prints both as
      // /DC=org/DC=example/CN=Carol+O=Example. And an escaped comma against a second RDN.
      const pairs: [string, string][] = [
        ['CN=Carol+O=Example,DC=example,DC=org', 'CN=Carol\\+O=Example,DC=example,DC=org'],
        ['CN=Dave,O=Example,DC=example,DC=org', 'CN=Dave\\,O=Example,DC=example,DC=org'],
      ];
      for (const [one, other] of pairs) {
        const first = await ask(one);
        expect(first.decision, `${one}: ${JSON.stringify(first)}`).toBe(true);
        // RFC 2253 text escapes its separators, so the other is a subject of its own (docs/identities.md): a Permit
        // of its own, with an account of its own.
        const second = await ask(other);
        expect(second.decision, `${other}: ${JSON.stringify(second)}`).toBe(true);
        expect(second.context.account?.username, `${other} after ${one}`).toMatch(/^atlas\d{3}$/);
        expect(second.context.account?.username, `${other} after ${one}`).not.toBe(first.context.account?.username);
        // The first keeps its own account.
        expect((await ask(one)).context.account).toEqual(first.context.account);
      }
      // The slash text of the multi-valued name reads back as that name, not as the CN holding "+O=".
      expect((await ask('/DC=org/DC=example/CN=Carol+O=Example')).context.account).toEqual((await ask(pairs[0]![0])).context.account);
    });
  });

  it('publishes the PDP metadata document with its own base URL, whatever Host the client sends (§9.1.1, §9.2.2, §9.2.3)', async () => {
    const get = (headers: Record<string, string> = {}, withCertificate = true) =>
      httpsCall({ url: `${t.server.pdpUrl}/.well-known/authzen-configuration`, method: 'GET', ca: t.ca, ...(withCertificate ? { identity: proxyIdentity('pilot-voms') } : {}), headers });
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    // pdp.publicUrl unset: https://<pdp.host>:<the listener's port>, the URL the PEP fetched the document from.
    const expected = {
      policy_decision_point: t.server.pdpUrl,
      access_evaluation_endpoint: `${t.server.pdpUrl}/access/v1/evaluation`,
      access_evaluations_endpoint: `${t.server.pdpUrl}/access/v1/evaluations`,
    };
    // Exactly these members: no search endpoints (not offered), nothing null.
    expect(json(res)).toEqual(expected);
    for (const spoof of [{ host: 'evil.example.org' } as Record<string, string>, { host: 'evil.example.org:443', 'x-forwarded-host': 'evil.example.org', 'x-forwarded-proto': 'http' }]) {
      const spoofed = await get(spoof);
      expect(spoofed.status).toBe(200);
      expect(json(spoofed)).toEqual(expected);
    }
    // The advertised endpoint is the one that decides.
    const decided = await httpsCall({
      url: expected.access_evaluation_endpoint,
      method: 'POST',
      ca: t.ca,
      identity: proxyIdentity('pilot-voms'),
      body: JSON.stringify({ subject: x509('alice-voms'), action: EXECUTE, resource: WN }),
      headers: { 'content-type': 'application/json' },
    });
    expect(json(decided).decision).toBe(true);
    // Like every route of the listener, only for a caller with a valid certificate.
    const anonymous = await get({}, false);
    expect(anonymous.status).toBe(403);
    expect(anonymous.body).toMatch(/CRED_NO_CERTIFICATE/);
  });
});

describe(`AuthZEN PDP metadata with pdp.publicUrl set (${databaseLabel()})`, () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      config: {
        pdp: { host: '127.0.0.1', port: 0, bodyLimit: 262_144, issuer: 'https://gridauthz.test/pdp', trustedAsserters: [], callers: [], signResponses: false, publicUrl: 'https://pdp.example.org:8443' },
      },
    });
  });
  afterAll(async () => t?.close());

  it('names the configured URL, not the address the client connected to nor its Host header (§9.1.1)', async () => {
    for (const headers of [{}, { host: 'evil.example.org' }, { host: 'pdp.example.org:9999' }] as Record<string, string>[]) {
      const res = await httpsCall({ url: `${t.server.pdpUrl}/.well-known/authzen-configuration`, method: 'GET', ca: t.ca, identity: proxyIdentity('pilot-voms'), headers });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({
        policy_decision_point: 'https://pdp.example.org:8443',
        access_evaluation_endpoint: 'https://pdp.example.org:8443/access/v1/evaluation',
        access_evaluations_endpoint: 'https://pdp.example.org:8443/access/v1/evaluations',
      });
    }
  });
});
