import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeXacmlResponse, encodeXacmlQuery } from '@gridauthz/protocols';
import { b64url, decodePart, jwksOf, SCITOKENS_CREATE_AVAILABLE, SCITOKENS_SKIP_NOTE, scitokensCreate, type TestKey, writeTestKey } from '../../libs/credentials/token/token.testkit';
import { fixturePath, fixturePki, proxyIdentity } from '../support/fixtures';
import { httpsCall } from '../support/https-client';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

const CLI = resolve(__dirname, '..', '..', 'bin', 'gridauthz.js');
const run = promisify(execFile);
const ISSUER = 'https://atlas-auth.example.org/';
const AUDIENCE = 'https://ce.example.org';
const RESOURCE = 'https://ce.example.org';

/** The site's policy for this test: a token of the /atlas group may use the CE, and the account is mapped. */
const POLICY = `
resource "https://ce[.]example[.]org" {
    obligation "http://glite.org/xacml/obligation/local-environment-map" {}
    action ".*" {
        rule permit { oidc-group = "/atlas" }
    }
}
`;

/**
 * Issue 20 acceptance, carrier side (docs/authzen.md): a WLCG token minted by scitokens-cpp's scitokens-create,
 * decided by the real server over mutual TLS through every carrier — the AuthZEN endpoint, the SAML2-XACML2
 * bearer-token attribute and `gridauthz query --token` — to the same atlas pool account; forged tokens never Permit.
 */
describe.skipIf(!SCITOKENS_CREATE_AVAILABLE)(`tokens through every carrier (${databaseLabel()})${SCITOKENS_CREATE_AVAILABLE ? '' : ` (skipped: ${SCITOKENS_SKIP_NOTE})`}`, () => {
  let t: TestServer;
  let dir: string;
  let key: TestKey;
  let skewMs = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carriers-tokens-'));
    key = writeTestKey(dir, 'atlas-2026', 'ec');
    const jwksFile = join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify(jwksOf(key)));
    mkdirSync(join(dir, 'policy'));
    writeFileSync(join(dir, 'policy', 'site.spl'), POLICY);
    t = await startTestServer({
      config: { tokens: { audiences: [AUDIENCE], acceptAnyAudience: false, issuers: [{ issuer: ISSUER, jwksFile }] }, policy: { dir: join(dir, 'policy') } },
      clock: () => new Date(Date.now() + skewMs),
    });
    // A token of the /atlas group maps to the dev site's atlas pool, with atlas as the primary group.
    const site = t.server.site();
    if (!site) throw new Error('not ready');
    const mapping = await site.stores.mapping.load();
    await site.stores.mapping.replaceRules([
      ...mapping.rules,
      { id: 'atlas-tokens', subject: { kind: 'token-group', issuer: ISSUER, pattern: '/atlas' }, account: { kind: 'pool', poolId: 'atlas' }, groups: ['atlas'] },
    ]);
    // Written behind the admin API's back, so no change-feed entry: reload the mapping snapshot now.
    await site.configuration.reload(['mapping']);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const mint = (claims: Record<string, string> = {}): string =>
    scitokensCreate({ key, issuer: ISSUER, profile: 'wlcg', claims: { sub: 'atlas-user-1', aud: AUDIENCE, 'wlcg.groups': '/atlas', ...claims } });
  const authzen = async (token: string) => {
    const res = await httpsCall({
      url: `${t.server.pdpUrl}/access/v1/evaluation`,
      method: 'POST',
      ca: t.ca,
      identity: proxyIdentity('pilot-voms'),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject: { type: 'wlcg-token', id: 'job 1', properties: { token } }, action: { name: 'submit' }, resource: { type: 'resource-id', id: RESOURCE } }),
    });
    expect(res.status, res.body).toBe(200);
    return JSON.parse(res.body) as { decision: boolean; context: { account?: { username: string; uid: number; gid: number }; reason_codes?: string[] } };
  };
  const saml = async (token: string) => {
    const query = encodeXacmlQuery({ dialect: 'grid-ce', bearerToken: token, resource: RESOURCE, hostName: 'ce.example.org', now: new Date(), idGenerator: () => `q${Math.random().toString(16).slice(2)}` });
    const res = await httpsCall({ url: `${t.server.pdpUrl}/`, method: 'POST', ca: t.ca, identity: proxyIdentity('pilot-voms'), body: query.body, headers: { soapaction: query.soapAction } });
    const answer = decodeXacmlResponse(res.body, query.expect);
    if (!answer.ok) throw new Error(`${answer.error.code}: ${answer.error.detail}`);
    return answer.value;
  };

  it('a WLCG token with wlcg.groups /atlas → Permit with an atlas pool account, the same on repeat, through AuthZEN, SAML2-XACML2 and query --token', async () => {
    const first = await authzen(mint());
    expect(first.decision, JSON.stringify(first)).toBe(true);
    expect(first.context.account?.username).toMatch(/^atlas\d{3}$/);
    expect(first.context.account?.gid).toBe(5000);
    const again = await authzen(mint());
    expect(again.context.account).toEqual(first.context.account);

    const viaSaml = await saml(mint());
    expect(viaSaml.decision).toBe('Permit');
    expect(viaSaml.username).toBe(first.context.account?.username);

    const file = join(dir, 'bt_u1000');
    writeFileSync(file, `${mint()}\n`);
    const cli = await run(process.execPath, [
      CLI, 'query', '--url', t.server.pdpUrl, '--capath', fixturePath(fixturePki().caDir), '--cert', fixturePath(fixturePki().proxies['pilot-voms']?.file ?? ''),
      '--token', file, '--resource', RESOURCE, '--action', 'submit', '--json',
    ]);
    const printed = JSON.parse(cli.stdout) as { decision: string; username: string; uid: number };
    expect([printed.decision, printed.username, printed.uid]).toEqual(['Permit', first.context.account?.username, first.context.account?.uid]);
  });

  it('a tampered or expired token is refused with its code, never Permit, through both carriers', async () => {
    const good = mint();
    const [h, , s] = good.split('.');
    const tampered = `${h}.${b64url({ ...decodePart(good, 1), sub: 'someone-else' })}.${s}`;
    const refused = await authzen(tampered);
    expect([refused.decision, refused.context.reason_codes]).toEqual([false, ['CRED_TOKEN_SIGNATURE_INVALID']]);
    expect((await saml(tampered)).decision).toBe('Deny');

    const expiring = mint();
    // scitokens-create writes exp = iat + 600 s; the validator allows 60 s of skew.
    skewMs = 700_000;
    try {
      const expired = await authzen(expiring);
      expect([expired.decision, expired.context.reason_codes], JSON.stringify(expired)).toEqual([false, ['CRED_TOKEN_EXPIRED']]);
      expect([expired.decision, expired.context.reason_codes]).toEqual([false, ['CRED_TOKEN_EXPIRED']]);
      expect((await saml(expiring)).decision).toBe('Deny');
    } finally {
      skewMs = 0;
    }
  });
});
