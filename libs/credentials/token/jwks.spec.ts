import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDevPki } from '@gridauthz/dev-pki';
import { TokenValidator, httpsJwksFetcher, jwksEventLogger, maxAgeOf, parseJwks } from '@gridauthz/credentials';
import type { JwksEvent, TokenResult } from '@gridauthz/credentials';
import { SCITOKENS_CREATE_AVAILABLE, SCITOKENS_SKIP_NOTE, decodePart, jwksOf, opensslRs256, scitokensCreate, wlcgClaims, writeTestKey } from './token.testkit';
import type { TestKey } from './token.testkit';

const ISSUER = 'https://atlas-auth.example.org';
const AUDIENCE = 'https://ce.example.org';

/** A local HTTPS issuer endpoint whose JWKS document the test changes at will. */
interface TestIssuer {
  server: Server;
  url: string;
  body: string;
  etag: string;
  cacheControl: string | undefined;
  requests: { ifNoneMatch: string | undefined }[];
}

let dir: string;
let caPem: string;
let hostKey: Buffer;
let hostCert: Buffer;
let k1: TestKey;
let k2: TestKey;
let r1: TestKey;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokens-jwks-'));
  const pki = await generateDevPki({ dir: join(dir, 'pki') });
  caPem = readFileSync(join(dir, 'pki', pki.ca.certFile), 'utf8');
  hostKey = readFileSync(join(dir, 'pki', pki.host.keyFile));
  hostCert = readFileSync(join(dir, 'pki', pki.host.certFile));
  k1 = writeTestKey(dir, 'k1', 'ec');
  k2 = writeTestKey(dir, 'k2', 'ec');
  r1 = writeTestKey(dir, 'r1', 'rsa');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startIssuer(doc: object): Promise<TestIssuer> {
  const issuer: TestIssuer = { server: undefined as unknown as Server, url: '', body: '', etag: '', cacheControl: undefined, requests: [] };
  const publish = (d: object): void => {
    issuer.body = JSON.stringify(d);
    issuer.etag = `"${issuer.body.length}-${issuer.requests.length}"`;
  };
  publish(doc);
  issuer.server = createServer({ key: hostKey, cert: hostCert }, (req, res) => {
    const inm = req.headers['if-none-match'];
    issuer.requests.push({ ifNoneMatch: typeof inm === 'string' ? inm : undefined });
    if (inm === issuer.etag) {
      res.writeHead(304).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', etag: issuer.etag, ...(issuer.cacheControl ? { 'cache-control': issuer.cacheControl } : {}) });
    res.end(issuer.body);
  });
  await new Promise<void>((r) => issuer.server.listen(0, '127.0.0.1', r));
  issuer.url = `https://localhost:${(issuer.server.address() as AddressInfo).port}/oauth2/certs`;
  (issuer as TestIssuer & { publish: typeof publish }).publish = publish;
  return issuer;
}
const publish = (issuer: TestIssuer, doc: object): void => (issuer as TestIssuer & { publish: (d: object) => void }).publish(doc);
const stop = async (issuer: TestIssuer): Promise<void> => {
  issuer.server.closeAllConnections();
  await new Promise<void>((r) => issuer.server.close(() => r()));
};

const code = (r: TokenResult): string => (r.ok ? 'ok' : r.error.code);

describe.skipIf(!SCITOKENS_CREATE_AVAILABLE)(`issuer key rotation over HTTPS, tokens by scitokens-create${SCITOKENS_CREATE_AVAILABLE ? '' : ` (skipped: ${SCITOKENS_SKIP_NOTE})`}`, () => {
  it('picks up a newly published kid without restart, and keeps the last good keys while the issuer is unreachable', async () => {
    const issuer = await startIssuer(jwksOf(k1));
    const mint = (key: TestKey): string => scitokensCreate({ key, issuer: ISSUER, profile: 'wlcg', claims: { sub: 'u1', aud: AUDIENCE, 'wlcg.groups': '/atlas' } });
    const t1 = mint(k1);
    const t2 = mint(k2);
    const iat = decodePart(t1, 1).iat as number;
    let t = iat * 1000;
    const events: JwksEvent[] = [];
    const v = new TokenValidator({
      issuers: [{ issuer: ISSUER, jwks: { url: issuer.url } }],
      audiences: [AUDIENCE],
      now: () => t,
      fetcher: httpsJwksFetcher({ ca: caPem }),
      // Short periods so that one 600 s token outlives the whole story; the defaults are the WLCG hours and days.
      jwksPolicy: { refreshMinMs: 60_000, refreshMaxMs: 120_000, expiryMs: 300_000, retryAfterFailureMs: 10_000, unknownKidRefetchMs: 30_000 },
      onJwksEvent: (e) => events.push(e),
    });
    try {
      expect(code(await v.validate(t1))).toBe('ok');
      expect(issuer.requests).toHaveLength(1);

      // k2 not published yet: one refetch for the unknown kid, then no more within the rate limit.
      expect(code(await v.validate(t2))).toBe('CRED_TOKEN_KEY_UNKNOWN');
      expect(issuer.requests).toHaveLength(2);
      t += 10_000;
      expect(code(await v.validate(t2))).toBe('CRED_TOKEN_KEY_UNKNOWN');
      expect(issuer.requests).toHaveLength(2);

      // The issuer publishes k2; after the rate-limit window the next k2 token fetches it. Same validator object.
      publish(issuer, jwksOf(k1, k2));
      t += 21_000;
      expect(code(await v.validate(t2))).toBe('ok');
      expect(issuer.requests).toHaveLength(3);
      // The first unknown-kid refetch was conditional and answered 304 (nothing changed yet).
      expect(events.map((e) => (e.type === 'loaded' ? [e.type, e.reason, e.added] : [e.type, 'reason' in e ? e.reason : '']))).toEqual([
        ['loaded', 'initial', [k1.kid]],
        ['not-modified', 'unknown-kid'],
        ['loaded', 'unknown-kid', [k2.kid]],
      ]);
      const fetchedAt = t;

      // Refresh due (refreshMaxMs without Cache-Control): a conditional request, answered 304.
      t += 121_000;
      expect(code(await v.validate(t1))).toBe('ok');
      expect(issuer.requests).toHaveLength(4);
      expect(issuer.requests[3]!.ifNoneMatch).toBe(issuer.etag);
      expect(events.at(-1)).toMatchObject({ type: 'not-modified', reason: 'scheduled' });
      const refreshedAt = t;

      // The issuer goes away: the next refresh fails, the last good keys still validate, and the callback says so.
      await stop(issuer);
      t += 121_000;
      expect(code(await v.validate(t1))).toBe('ok');
      expect(code(await v.validate(t2))).toBe('ok');
      const failed = events.filter((e) => e.type === 'fetch-failed');
      expect(failed).toHaveLength(1); // the second validation did not retry (retryAfterFailureMs)
      expect(failed[0]).toMatchObject({ issuer: ISSUER, source: issuer.url, reason: 'scheduled', lastGoodKeysUsed: true, lastGoodAgeMs: t - refreshedAt });
      expect(v.issuerStatus()[0]).toMatchObject({ keyIds: [k1.kid, k2.kid], lastError: expect.any(String) });
      expect(fetchedAt).toBeLessThan(refreshedAt);

      // Past the cache expiry with the issuer still away: keys dropped, tokens refused as JWKS unavailable.
      t = refreshedAt + 300_000;
      expect(code(await v.validate(t1))).toBe('CRED_TOKEN_JWKS_UNAVAILABLE');
      expect(events.some((e) => e.type === 'expired')).toBe(true);
    } finally {
      if (issuer.server.listening) await stop(issuer);
    }
  });
});

describe('JWKS cache rules', () => {
  it('an issuer unreachable from the start gives CRED_TOKEN_JWKS_UNAVAILABLE and reports no keys to fall back on', async () => {
    const issuer = await startIssuer(jwksOf(r1));
    const url = issuer.url;
    await stop(issuer);
    const events: JwksEvent[] = [];
    const v = new TokenValidator({ issuers: [{ issuer: ISSUER, jwks: { url } }], audiences: [AUDIENCE], fetcher: httpsJwksFetcher({ ca: caPem }), onJwksEvent: (e) => events.push(e) });
    const nowSec = Math.floor(Date.now() / 1000);
    expect(code(await v.validate(opensslRs256(r1, wlcgClaims(ISSUER, nowSec))))).toBe('CRED_TOKEN_JWKS_UNAVAILABLE');
    expect(events).toEqual([expect.objectContaining({ type: 'fetch-failed', reason: 'initial', lastGoodKeysUsed: false })]);
  });

  it('verifies the issuer certificate: an HTTPS server the fetcher does not trust is unavailable', async () => {
    const issuer = await startIssuer(jwksOf(r1));
    try {
      const events: JwksEvent[] = [];
      const v = new TokenValidator({ issuers: [{ issuer: ISSUER, jwks: { url: issuer.url } }], audiences: [AUDIENCE], fetcher: httpsJwksFetcher(), onJwksEvent: (e) => events.push(e) });
      const nowSec = Math.floor(Date.now() / 1000);
      expect(code(await v.validate(opensslRs256(r1, wlcgClaims(ISSUER, nowSec))))).toBe('CRED_TOKEN_JWKS_UNAVAILABLE');
      expect(issuer.requests).toHaveLength(0);
      expect(events[0]).toMatchObject({ type: 'fetch-failed' });
    } finally {
      await stop(issuer);
    }
  });

  it('clamps the Cache-Control max-age to the refresh bounds', async () => {
    const issuer = await startIssuer(jwksOf(r1));
    issuer.cacheControl = 'public, max-age=5';
    try {
      let t = Date.now();
      const v = new TokenValidator({
        issuers: [{ issuer: ISSUER, jwks: { url: issuer.url } }],
        audiences: [AUDIENCE],
        now: () => t,
        fetcher: httpsJwksFetcher({ ca: caPem }),
      });
      const token = opensslRs256(r1, wlcgClaims(ISSUER, Math.floor(t / 1000), { exp: Math.floor(t / 1000) + 86_400 }));
      expect(code(await v.validate(token))).toBe('ok');
      t += 59 * 60_000; // under the one-hour floor: no refetch although max-age said 5 s
      expect(code(await v.validate(token))).toBe('ok');
      expect(issuer.requests).toHaveLength(1);
      t += 2 * 60_000;
      expect(code(await v.validate(token))).toBe('ok');
      expect(issuer.requests).toHaveLength(2);
    } finally {
      await stop(issuer);
    }
  });

  it('shares one fetch among concurrent first requests', async () => {
    const issuer = await startIssuer(jwksOf(r1));
    try {
      const v = new TokenValidator({ issuers: [{ issuer: ISSUER, jwks: { url: issuer.url } }], audiences: [AUDIENCE], fetcher: httpsJwksFetcher({ ca: caPem }) });
      const token = opensslRs256(r1, wlcgClaims(ISSUER, Math.floor(Date.now() / 1000)));
      const results = await Promise.all([v.validate(token), v.validate(token), v.validate(token)]);
      expect(results.map(code)).toEqual(['ok', 'ok', 'ok']);
      expect(issuer.requests).toHaveLength(1);
    } finally {
      await stop(issuer);
    }
  });

  it('logs key-cache events at the level an operator needs, without key material', () => {
    const lines: [string, string, object][] = [];
    const sink = {
      debug: (f: object, m: string) => lines.push(['debug', m, f]),
      info: (f: object, m: string) => lines.push(['info', m, f]),
      warn: (f: object, m: string) => lines.push(['warn', m, f]),
      error: (f: object, m: string) => lines.push(['error', m, f]),
    };
    const log = jwksEventLogger(sink);
    const at = { issuer: ISSUER, source: 'https://atlas-auth.example.org/certs' };
    log({ type: 'loaded', ...at, reason: 'unknown-kid', keyIds: ['k1', 'k2'], added: ['k2'], removed: [], skipped: [] });
    log({ type: 'loaded', ...at, reason: 'scheduled', keyIds: ['k1', 'k2'], added: [], removed: [], skipped: [] });
    log({ type: 'not-modified', ...at, reason: 'scheduled' });
    log({ type: 'fetch-failed', ...at, reason: 'scheduled', detail: 'connect ECONNREFUSED', lastGoodKeysUsed: true, lastGoodAgeMs: 1000 });
    log({ type: 'fetch-failed', ...at, reason: 'initial', detail: 'connect ECONNREFUSED', lastGoodKeysUsed: false });
    log({ type: 'expired', ...at, ageMs: 172_800_001 });
    expect(lines.map(([level]) => level)).toEqual(['info', 'debug', 'debug', 'warn', 'error', 'error']);
    expect(lines[3]![1]).toMatch(/last good keys/);
    expect(lines[3]![2]).toMatchObject({ issuer: ISSUER, lastGoodKeysUsed: true });
  });

  it('reads Cache-Control max-age', () => {
    expect(maxAgeOf(undefined)).toBeUndefined();
    expect(maxAgeOf('public, max-age=3600')).toBe(3_600_000);
    expect(maxAgeOf('no-store')).toBe(0);
    expect(maxAgeOf('max-age=abc')).toBeUndefined();
  });

  it('parses a JWKS: keeps RS256/ES256 signing keys, skips the rest, refuses a kid given twice', async () => {
    const enc = { ...r1.jwk, kid: 'enc', use: 'enc' };
    const priv = { ...k1.jwk, kid: 'priv', d: 'AAAA' };
    const p384 = { kty: 'EC', crv: 'P-384', kid: 'p384', x: 'AA', y: 'AA' };
    const hs = { kty: 'oct', kid: 'hmac', k: 'c2VjcmV0' };
    const wrongAlg = { ...r1.jwk, kid: 'wrong-alg', alg: 'PS256' };
    const { keys, skipped } = await parseJwks(JSON.stringify({ keys: [r1.jwk, k1.jwk, enc, priv, p384, hs, wrongAlg, { kty: 'RSA' }] }));
    expect([...keys.keys()]).toEqual([r1.kid, k1.kid]);
    expect(skipped).toEqual(['enc', 'priv', 'p384', 'hmac', 'wrong-alg', '#7 (no usable kid)']);
    await expect(parseJwks(JSON.stringify({ keys: [r1.jwk, { ...k1.jwk, kid: r1.kid }] }))).rejects.toThrow(/twice/);
    await expect(parseJwks('{"keys": {}}')).rejects.toThrow(/keys/);
    await expect(parseJwks('<html>')).rejects.toThrow(/JSON/);
  });

  it('keeps the last good keys when the issuer starts serving a broken document', async () => {
    const issuer = await startIssuer(jwksOf(r1));
    try {
      let t = Date.now();
      const events: JwksEvent[] = [];
      const v = new TokenValidator({
        issuers: [{ issuer: ISSUER, jwks: { url: issuer.url } }],
        audiences: [AUDIENCE],
        now: () => t,
        fetcher: httpsJwksFetcher({ ca: caPem }),
        onJwksEvent: (e) => events.push(e),
      });
      const token = opensslRs256(r1, wlcgClaims(ISSUER, Math.floor(t / 1000), { exp: Math.floor(t / 1000) + 86_400 }));
      expect(code(await v.validate(token))).toBe('ok');
      publish(issuer, { keys: [r1.jwk, { ...k1.jwk, kid: r1.kid }] });
      t += 7 * 3_600_000;
      expect(code(await v.validate(token))).toBe('ok');
      expect(events.at(-1)).toMatchObject({ type: 'fetch-failed', lastGoodKeysUsed: true, detail: expect.stringMatching(/twice/) });
    } finally {
      await stop(issuer);
    }
  });
});
