import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePrimaResponse, encodePrimaRequest } from '@gridauthz/protocols';
import { fixturePki, proxyIdentity, readFixture, userIdentity, type ClientIdentity } from '../support/fixtures';
import { httpsCall } from '../support/https-client';
import { askPdp } from '../support/pdp-client';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

/** GUMS's legacy PRIMA (SAML 1.1) endpoint end to end (prima-saml1.md §1.1, §4, §5). */
describe(`PRIMA endpoint (${databaseLabel()})`, () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => t?.close());

  const host = () => {
    const h = fixturePki().host;
    return { dn: h.subject, identity: { cert: readFixture(h.certFile), key: readFixture(h.keyFile) } satisfies ClientIdentity };
  };
  const ask = async (caller: ClientIdentity, subjectDn: string, resourceDn: string, fqans: string[], edit: (body: string) => string = (b) => b) => {
    const request = encodePrimaRequest({
      subjectDn,
      resourceDn,
      now: new Date(),
      idGenerator: randomUUID,
      ...(fqans.length > 0 ? { fqans, fqanIssuer: '/DC=org/DC=gridauthz-dev/CN=voms.gridauthz-dev.org' } : {}),
    } as Parameters<typeof encodePrimaRequest>[0]);
    const http = await httpsCall({
      url: `${t.server.pdpUrl}/gums/services/GUMSAuthorizationServicePort`,
      method: 'POST',
      ca: t.ca,
      identity: caller,
      body: edit(request.body),
      headers: { soapaction: request.soapAction },
    });
    const answer = decodePrimaResponse(http.body, request.expect);
    return { http, answer: answer.ok ? answer.value : undefined };
  };
  const alice = () => fixturePki().users.alice?.subject ?? '';
  const db = () => {
    const d = t.server.database();
    if (!d) throw new Error('no database');
    return d;
  };
  const records = (subjectDn: string) =>
    db().dataSource.query<{ decision: string; username: string | null; reasons: string[]; fqans: string[] }[]>(
      `SELECT decision, username, reasons, fqans FROM decision_record WHERE subject_dn = $1 ORDER BY decided_at, id`,
      [subjectDn],
    );
  const liveLeases = async (subjectDn: string) =>
    Number(
      (await db().dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM lease WHERE released_at IS NULL AND subject_dn = $1`, [subjectDn]))[0]?.n ?? 0,
    );

  it('maps a user for a CE asking about itself, to the same account as SAML2-XACML2 gives', async () => {
    const viaXacml = await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
    expect(viaXacml.answer?.decision).toBe('Permit');
    const { http, answer } = await ask(host().identity, alice(), host().dn, ['/atlas/Role=NULL/Capability=NULL', '/atlas/production/Role=NULL/Capability=NULL']);
    expect(http.status).toBe(200);
    expect(answer?.decision).toBe('Permit');
    expect(answer?.username).toBe(viaXacml.answer?.username);
  });

  it('denies a caller asking about another host', async () => {
    const { answer } = await ask(host().identity, alice(), '/DC=org/DC=gridauthz-dev/CN=host/ce99.example.org', ['/atlas/Role=NULL/Capability=NULL']);
    expect(answer?.decision).toBe('Deny');
  });

  it('refuses a user certificate that asserts someone else (not a trusted asserter)', async () => {
    const bob = fixturePki().users.bob?.subject ?? '';
    const { answer } = await ask(userIdentity('bob'), alice(), bob, ['/atlas/Role=NULL/Capability=NULL']);
    expect(answer?.decision).toBe('Indeterminate');
    expect(answer?.username).toBeUndefined();
    expect((await records(alice())).at(-1)).toMatchObject({ decision: 'Indeterminate', username: null });
    expect((await records(alice())).at(-1)?.reasons).toContain('SUBJECT_NOT_VERIFIABLE');
  });

  // Issue 15 finding 2: "a CE asking about its own resource" must not make every user a CE for itself.
  for (const proxy of ['alice', 'alice-limited'] as const) {
    it(`gives a ${proxy === 'alice' ? 'plain' : 'limited'} proxy's PRIMA self-assertion no VO account (asserted FQANs ignored)`, async () => {
      const { answer } = await ask(proxyIdentity(proxy), alice(), alice(), ['/atlas/Role=pilot/Capability=NULL', '/atlas/Role=NULL/Capability=NULL']);
      expect(answer?.decision).not.toBe('Permit');
      expect(answer?.username).toBeUndefined();
      const last = (await records(alice())).at(-1);
      expect(last).toMatchObject({ username: null, fqans: [] });
      // A limited proxy is no payload by default (credentials.limitedProxy.payload: deny), so its own chain is refused
      // outright; a plain proxy is answered from its own chain, which carries no VOMS attributes.
      expect(last?.reasons).toContain(proxy === 'alice' ? 'subject:own-credentials' : 'CRED_PROXY_LIMITED_NOT_ALLOWED');
    });
  }

  it("answers a VOMS proxy's self-assertion from its own ACs, not from the FQANs it asserts", async () => {
    const bob = fixturePki().users.bob?.subject ?? '';
    // Bob holds dteam; he asserts the atlas pilot role about himself.
    const { answer } = await ask(proxyIdentity('bob-voms'), bob, bob, ['/atlas/Role=pilot/Capability=NULL']);
    expect(answer?.decision).toBe('Permit');
    expect(answer?.username).toMatch(/^dteam\d+$/);
    expect((await records(bob)).at(-1)?.fqans).toEqual(['/dteam/Role=NULL/Capability=NULL']);
  });

  it('records a query that cannot carry a Permit as Indeterminate and takes no lease', async () => {
    // A trusted asserter's query that Permit would map, but without the obligated RespondWith (§5.3 c).
    const bob = fixturePki().users.bob?.subject ?? '';
    const leasesBefore = await liveLeases(bob);
    const { answer } = await ask(host().identity, bob, host().dn, ['/dteam/Role=NULL/Capability=NULL'], (body) =>
      body.replace(/<(\w+):RespondWith>[^<]*ObligatedAuthorizationDecisionStatement<\/\1:RespondWith>/, ''),
    );
    expect(answer?.decision).toBe('Indeterminate');
    const last = (await records(bob)).at(-1);
    expect(last).toMatchObject({ decision: 'Indeterminate', username: null });
    expect(await liveLeases(bob)).toBe(leasesBefore);
    const again = await ask(host().identity, alice(), host().dn, ['/atlas/Role=NULL/Capability=NULL'], (body) => body.replace(/access_as_local_identity/, 'read'));
    expect(again.answer?.decision).toBe('Indeterminate');
    expect((await records(alice())).at(-1)).toMatchObject({ decision: 'Indeterminate', username: null });
  });

  it('answers a request that is not SOAP with a fault', async () => {
    const http = await httpsCall({ url: `${t.server.pdpUrl}/gums/services/GUMSAuthorizationServicePort`, method: 'POST', ca: t.ca, identity: host().identity, body: 'not xml' });
    expect(http.status).toBe(500);
    expect(http.body).toMatch(/Fault/);
  });
});
