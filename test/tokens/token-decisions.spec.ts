import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JwksFetcher } from '@gridauthz/credentials';
import { type AuthzRequest, Dn, fail } from '@gridauthz/domain';
import type { MappingConfig } from '@gridauthz/mapping';
import { ForensicsRepository, PostgresLeaseStore, TokenAdministration, localActor } from '@gridauthz/persistence';
import type { Config } from '../../apps/server/config';
import { ServiceMetrics } from '../../apps/server/metrics/service-metrics';
import { type SiteRuntime, startSite } from '../../apps/server/site/site-runtime';
import {
  SCITOKENS_CREATE_AVAILABLE,
  SCITOKENS_SKIP_NOTE,
  b64url,
  decodePart,
  hs256WithSecret,
  jwksOf,
  scitokensCreate,
  type TestKey,
  unsignedToken,
  writeTestKey,
} from '../../libs/credentials/token/token.testkit';
import { captureLog } from '../support/log-capture';
import { databaseLabel, openTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * Issue 20 acceptance, decision side (docs/mapping-tokens.md): tokens minted by scitokens-cpp's scitokens-create
 * (an implementation independent of jose) decided by two site instances ("replicas") on one database, in process.
 */
const ISSUER = 'https://atlas-auth.example.org/';
const URL_ISSUER = 'https://cms-auth.example.org/';
const AUDIENCE = 'https://ce.example.org';
const RESOURCE = 'https://ce.example.org';
const ALICE_DN = '/DC=org/DC=example/CN=Alice Linked';

const POLICY = `
resource "https://ce[.]example[.]org" {
    obligation "http://glite.org/xacml/obligation/local-environment-map" {}
    action ".*" {
        rule permit { oidc-group = "/atlas" }
        rule permit { oidc-group = "/cms" }
        rule permit { oidc-group = "/people" }
    }
}
`;

const mapping: MappingConfig = {
  pools: [
    { id: 'atlas', kind: 'user', members: { kind: 'range', prefix: 'atlas', count: 5, firstUid: 8001, width: 3, gid: 6001 } },
    { id: 'cms', kind: 'user', members: { kind: 'range', prefix: 'cms', count: 2, firstUid: 8101, width: 3, gid: 6002 } },
    { id: 'people', kind: 'user', members: { kind: 'range', prefix: 'person', count: 2, firstUid: 8201, width: 3, gid: 6003 } },
  ],
  groups: [
    { name: 'atlas', gid: 6001 },
    { name: 'cms', gid: 6002 },
    { name: 'people', gid: 6003 },
  ],
  rules: [
    { id: 'alice', subject: { kind: 'dn', pattern: ALICE_DN }, account: { kind: 'pool', poolId: 'people' } },
    { id: 'atlas-tokens', subject: { kind: 'token-group', issuer: ISSUER, pattern: '/atlas' }, account: { kind: 'pool', poolId: 'atlas' }, groups: ['atlas'] },
    { id: 'cms-tokens', subject: { kind: 'token-group', issuer: URL_ISSUER, pattern: '/cms' }, account: { kind: 'pool', poolId: 'cms' }, groups: ['cms'] },
  ],
  pilotRoles: [],
  payloadCallers: [],
};

function siteConfig(policyDir: string, jwksFile: string): Config {
  return {
    mapping: { conventions: 'argus', leaseNames: 'auto', leaseExpiry: { idleMs: undefined, intervalMs: 3_600_000 } },
    policy: { dir: policyDir },
    pdp: { trustedAsserters: [], callers: [] },
    bans: { clientMessage: 'access denied by site policy', exposeReason: false },
    decisions: { retentionDays: 0 },
    tokens: {
      audiences: [AUDIENCE],
      acceptAnyAudience: false,
      issuers: [
        { issuer: ISSUER, jwksFile },
        { issuer: URL_ISSUER, jwksUrl: 'https://cms-auth.example.org/jwk' },
      ],
    },
  } as unknown as Config;
}

const request = (token: string): AuthzRequest => ({
  dialect: 'xacml',
  accountExpected: true,
  caller: { dn: Dn.parse('/DC=org/DC=example/CN=ce.example.org'), viaProxy: false },
  subject: { token },
  resource: RESOURCE,
  action: 'submit',
  obligationsSupported: [],
  environment: {},
  defects: [],
});

describe.skipIf(!SCITOKENS_CREATE_AVAILABLE)(`token decisions on two replicas (${databaseLabel()})${SCITOKENS_CREATE_AVAILABLE ? '' : ` (skipped: ${SCITOKENS_SKIP_NOTE})`}`, () => {
  let t: TestDatabase;
  let dir: string;
  let jwksFile: string;
  let ec: TestKey;
  let rotated: TestKey;
  let cmsKey: TestKey;
  let a: SiteRuntime;
  let b: SiteRuntime;
  const metrics = new ServiceMetrics({ pools: async () => [], newestCrlAgeSeconds: () => undefined, databasePool: () => undefined });
  const log = captureLog();
  // The URL issuer's endpoint, as the key cache sees it: serving, or unreachable.
  let cmsUp = true;
  const fetcher: JwksFetcher = async () => {
    if (!cmsUp) throw new Error('connect ECONNREFUSED cms-auth.example.org:443');
    return { status: 'ok', body: JSON.stringify(jwksOf(cmsKey)) };
  };
  let clock = Date.now();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'token-decisions-'));
    ec = writeTestKey(dir, 'atlas-2026', 'ec');
    rotated = writeTestKey(dir, 'atlas-2027', 'ec');
    cmsKey = writeTestKey(dir, 'cms-2026', 'ec');
    jwksFile = join(dir, 'atlas-jwks.json');
    writeFileSync(jwksFile, JSON.stringify(jwksOf(ec)));
    mkdirPolicy(dir);
    t = await openTestDatabase();
    const start = (seed: boolean) =>
      startSite({
        db: t.db,
        config: siteConfig(join(dir, 'policy'), jwksFile),
        log: log.logger,
        verifier: { verify: () => fail('CRED_CHAIN_INVALID', 'no chains in this test') },
        ...(seed ? { seedMapping: mapping } : {}),
        tokens: {
          fetcher,
          now: () => clock,
          jwksPolicy: { refreshMinMs: 60_000, refreshMaxMs: 120_000, expiryMs: 3_600_000, retryAfterFailureMs: 10_000, unknownKidRefetchMs: 1_000 },
          onJwksEvent: (e) => metrics.jwksEvent(e),
        },
      });
    a = await start(true);
    b = await start(false);
  }, 120_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const mint = (claims: Record<string, string>, opts: { key?: TestKey; issuer?: string; kid?: string } = {}): string =>
    scitokensCreate({
      key: opts.key ?? ec,
      issuer: opts.issuer ?? ISSUER,
      profile: 'wlcg',
      claims: { sub: 'atlas-user-1', aud: AUDIENCE, 'wlcg.groups': '/atlas', ...claims },
      ...(opts.kid ? { kid: opts.kid } : {}),
    });

  it('a WLCG token with wlcg.groups /atlas → Permit with an atlas pool account, the same on repeat and on the other replica', async () => {
    const token = mint({});
    const first = await a.decider.decide(request(token), new Date());
    expect(first.result).toMatchObject({ decision: 'Permit', account: { username: 'atlas001', uid: 8001, gid: 6001 } });
    expect(first.record).toMatchObject({ tokenIssuer: ISSUER, tokenSubject: 'atlas-user-1', reasons: expect.arrayContaining(['mapping:atlas-tokens']) });
    expect(first.record.subjectDn).toBeUndefined();
    const again = await a.decider.decide(request(mint({})), new Date());
    const elsewhere = await b.decider.decide(request(token), new Date());
    expect([again.result.account?.username, elsewhere.result.account?.username]).toEqual(['atlas001', 'atlas001']);
    const other = await b.decider.decide(request(mint({ sub: 'atlas-user-2' })), new Date());
    expect(other.result.account?.username).toBe('atlas002');
    // The lease is keyed by the (issuer, subject) pair, never by a DN (docs/identities.md).
    const [row] = await t.db.dataSource.query<{ subject_key: string }[]>(`SELECT subject_key FROM lease l JOIN pool_account a ON a.id = l.account_id WHERE a.username = 'atlas001'`);
    expect(row?.subject_key).toBe('token:https%3A%2F%2Fatlas%2Dauth%2Eexample%2Eorg%2F:atlas%2Duser%2D1:atlas');
    // Forensics: who ran as uid 8001 names the token identity (docs/forensics.md, `audit who`).
    const who = await new ForensicsRepository(t.db).whoRan({ uid: 8001, at: new Date(), windowSeconds: 600 });
    expect(who.token).toEqual({ issuer: ISSUER, subject: 'atlas-user-1' });
    expect(who.records[0]).toMatchObject({ tokenIssuer: ISSUER, tokenSubject: 'atlas-user-1', subjectDn: null, username: 'atlas001' });
  });

  it('refuses expired, wrong audience, unknown issuer, unknown kid, alg none, HS256 with the public key, tampered payload', async () => {
    const good = mint({});
    const claims = decodePart(good, 1);
    const [h, , s] = good.split('.');
    const cases: [string, string, string][] = [
      ['expired', mint({}), 'CRED_TOKEN_EXPIRED'],
      ['wrong audience', mint({ aud: 'https://other-ce.example.org' }), 'CRED_TOKEN_AUDIENCE'],
      ['unknown issuer', mint({}, { issuer: 'https://evil.example.org/' }), 'CRED_TOKEN_ISSUER_UNKNOWN'],
      ['unknown kid', mint({}, { kid: 'never-published' }), 'CRED_TOKEN_KEY_UNKNOWN'],
      ['alg none', unsignedToken(claims, 'none', ec.kid), 'CRED_TOKEN_ALG_NOT_ALLOWED'],
      ['HS256 with the public key', hs256WithSecret(claims, ec.publicPem, ec.kid), 'CRED_TOKEN_ALG_NOT_ALLOWED'],
      ['tampered payload', `${h}.${b64url({ ...claims, 'wlcg.groups': ['/atlas/admin'], sub: 'someone-else' })}.${s}`, 'CRED_TOKEN_SIGNATURE_INVALID'],
    ];
    for (const [name, token, code] of cases) {
      const saved = clock;
      // The expired one is decided 601 s + the 60 s skew after scitokens-create's exp = iat + 600.
      if (name === 'expired') clock = ((decodePart(token, 1).exp as number) + 61) * 1000;
      const decided = await a.decider.decide(request(token), new Date(clock));
      clock = saved;
      expect(decided.result.decision, name).toBe('Deny');
      expect(decided.result.reasons[0], name).toBe(code);
      expect(decided.result.account, name).toBeUndefined();
    }
  });

  it('picks up a rotated key published in the JWKS without a restart', async () => {
    const token = mint({ sub: 'rotated-user' }, { key: rotated });
    expect((await a.decider.decide(request(token), new Date())).result.reasons[0]).toBe('CRED_TOKEN_KEY_UNKNOWN');
    writeFileSync(jwksFile, JSON.stringify(jwksOf(ec, rotated)));
    clock += 2_000; // past unknownKidRefetchMs
    const decided = await a.decider.decide(request(token), new Date());
    expect(decided.result).toMatchObject({ decision: 'Permit', account: { username: 'atlas003' } });
  });

  it('the issuer unreachable → the last good keys are used, and the metric and the log say so', async () => {
    const token = () => mint({ sub: 'cms-user', 'wlcg.groups': '/cms' }, { key: cmsKey, issuer: URL_ISSUER });
    expect((await a.decider.decide(request(token()), new Date())).result).toMatchObject({ decision: 'Permit', account: { username: 'cms001' } });
    cmsUp = false;
    clock += 121_000; // refresh due: the fetch fails
    const decided = await a.decider.decide(request(token()), new Date());
    expect(decided.result).toMatchObject({ decision: 'Permit', account: { username: 'cms001' } });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/gridauthz_token_jwks_last_good_keys_in_use\{issuer="https:\/\/cms-auth\.example\.org\/"\} 1/);
    expect(text).toMatch(/gridauthz_token_jwks_events_total\{issuer="https:\/\/cms-auth\.example\.org\/",event="fetch-failed-last-good-keys"\} 1/);
    expect(log.lines().some((l) => l.msg === 'token issuer keys could not be fetched; using the last good keys' && l['issuer'] === URL_ISSUER)).toBe(true);
    cmsUp = true;
  });

  it('a banned issuer+subject is denied on the next request on both replicas within a second', async () => {
    const token = mint({ sub: 'to-be-banned' });
    expect((await b.decider.decide(request(token), new Date())).result.decision).toBe('Permit');
    const added = await a.stores.bans.add({ kind: 'token', issuer: ISSUER, value: 'to-be-banned', reason: 'incident 99', author: 'csirt', createdAt: new Date() });
    expect(added.ok).toBe(true);
    const banned = { a: false, b: false };
    const started = Date.now();
    while (Date.now() - started < 1000 && !(banned.a && banned.b)) {
      await new Promise((r) => setTimeout(r, 50));
      banned.a ||= (await a.decider.decide(request(token), new Date())).result.decision === 'Deny';
      banned.b ||= (await b.decider.decide(request(token), new Date())).result.decision === 'Deny';
    }
    expect(banned).toEqual({ a: true, b: true });
    const decided = await b.decider.decide(request(token), new Date());
    expect(decided.result.reasons).toEqual(['subject:token', expect.stringMatching(/^ban:/)]);
    // The same subject from another issuer, and the issuer's other subjects, are not banned.
    expect((await b.decider.decide(request(mint({ sub: 'not-banned' })), new Date())).result.decision).toBe('Permit');
  });

  it('a token identity linked to a DN gets the DN\'s account (one person, one account), on every replica', async () => {
    // The DN's own account first, as a proxy of hers would lease it.
    const leased = await new PostgresLeaseStore(t.db).acquire('people', '%2fdc%3dorg%2fdc%3dexample%2fcn%3dalice%20linked', new Date());
    expect(leased.ok && leased.value.account.username).toBe('person001');
    await new TokenAdministration(t.db).link(ISSUER, 'alice-token-sub', Dn.parse(ALICE_DN), 'same person', localActor());
    // Her token's group has no rule of its own: the DN's rule and lease key apply, as for her proxy without FQANs.
    const token = mint({ sub: 'alice-token-sub', 'wlcg.groups': '/people' });
    let decided = await b.decider.decide(request(token), new Date());
    for (let i = 0; i < 20 && decided.result.account?.username !== 'person001'; i += 1) {
      await new Promise((r) => setTimeout(r, 50));
      decided = await b.decider.decide(request(token), new Date());
    }
    expect(decided.result).toMatchObject({ decision: 'Permit', account: { username: 'person001' } });
    expect(decided.record).toMatchObject({ subjectDn: ALICE_DN, tokenIssuer: ISSUER, tokenSubject: 'alice-token-sub' });
  });
});

function mkdirPolicy(dir: string): void {
  const policyDir = join(dir, 'policy');
  mkdirSync(policyDir);
  writeFileSync(join(policyDir, 'site.spl'), POLICY);
}
