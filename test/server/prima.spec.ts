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
  const ask = async (caller: ClientIdentity, subjectDn: string, resourceDn: string, fqans: string[]) => {
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
      body: request.body,
      headers: { soapaction: request.soapAction },
    });
    const answer = decodePrimaResponse(http.body, request.expect);
    return { http, answer: answer.ok ? answer.value : undefined };
  };
  const alice = () => fixturePki().users.alice?.subject ?? '';

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

  it('denies when the caller may not ask for payload mappings (a user certificate)', async () => {
    const bob = fixturePki().users.bob?.subject ?? '';
    const { answer } = await ask(userIdentity('bob'), alice(), bob, ['/atlas/Role=NULL/Capability=NULL']);
    expect(answer?.decision).toBe('Deny');
  });

  it('answers a request that is not SOAP with a fault', async () => {
    const http = await httpsCall({ url: `${t.server.pdpUrl}/gums/services/GUMSAuthorizationServicePort`, method: 'POST', ca: t.ca, identity: host().identity, body: 'not xml' });
    expect(http.status).toBe(500);
    expect(http.body).toMatch(/Fault/);
  });
});
