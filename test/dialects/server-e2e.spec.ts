import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dn } from '@gridauthz/domain';
import { fixturePki, readFixture } from '../support/fixtures';
import { httpsCall } from '../support/https-client';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { capture, withValues } from './real-clients';

const DCI = 'http://dci-sec.org/xacml/attribute';

/**
 * The query ARC's emi conversion sends (the capture, with the dev PKI's names in it), posted by the CE over mutual
 * TLS to the real server, whose configuration trusts the CE's assertions: the pilot-role user gets the pilot pool.
 */
describe(`ARC emi query through the server (${databaseLabel()})`, () => {
  let t: TestServer;
  const pki = fixturePki();
  const host = { cert: readFixture(pki.host.certFile), key: readFixture(pki.host.keyFile) };
  beforeAll(async () => {
    t = await startTestServer({
      config: {
        pdp: { host: '127.0.0.1', port: 0, bodyLimit: 262_144, issuer: 'https://gridauthz.test/pdp', trustedAsserters: [pki.host.subject], callers: [], signResponses: false },
      },
    });
  });
  afterAll(async () => t?.close());

  const arcQuery = (): string => {
    let xml = capture.arcEmi();
    xml = withValues(xml, 'urn:oasis:names:tc:xacml:1.0:subject:subject-id', [Dn.parse(pki.users['alice']?.subject ?? '').toRfc2253()]);
    xml = withValues(xml, `${DCI}/subject-issuer`, [Dn.parse(pki.ca.subject).toRfc2253()]);
    xml = withValues(xml, 'urn:oasis:names:tc:xacml:1.0:resource:resource-id', ['https://ce.example.org:443/arex']);
    return withValues(xml, `${DCI}/resource-owner`, [Dn.parse(pki.host.subject).toRfc2253()]);
  };
  const post = (body: string) => httpsCall({ url: `${t.server.pdpUrl}/authz`, method: 'POST', body, identity: host, ca: readFixture(pki.ca.certFile), headers: { soapaction: '""' } });

  it('maps the pilot-role user to the pilot pool', async () => {
    const answer = await post(arcQuery());
    expect(answer.status, answer.body).toBe(200);
    expect(answer.body).toMatch(/<xacml-context:Decision>Permit<\/xacml-context:Decision>/);
    expect(answer.body).toMatch(/>atlaspil\d{3}</);
  });

  it('refuses two queries in one Body and a NUL character reference with a Client fault', async () => {
    const two = arcQuery().replace(/(<xacml-samlp:XACMLAuthzDecisionQuery[\s\S]*<\/xacml-samlp:XACMLAuthzDecisionQuery>)/, '$1$1');
    const twoAnswer = await post(two);
    expect(twoAnswer.status).toBe(500);
    expect(twoAnswer.body).toMatch(/Client/);
    const nul = await post(arcQuery().replace('<xacml-ctx:AttributeValue>atlas<', '<xacml-ctx:AttributeValue>atlas&#0;<'));
    expect(nul.status).toBe(500);
    expect(nul.body).toMatch(/Client/);
  });
});
