import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenConfigError, TokenValidator } from '@gridauthz/credentials';
import type { JwksEvent, TokenResult, TokenValidatorOptions } from '@gridauthz/credentials';
import {
  SCITOKENS_CREATE_AVAILABLE,
  SCITOKENS_SKIP_NOTE,
  b64url,
  decodePart,
  hs256WithSecret,
  jwksOf,
  opensslRs256,
  scitokensCreate,
  unsignedToken,
  wlcgClaims,
  writeTestKey,
} from './token.testkit';
import type { TestKey } from './token.testkit';

const ISSUER = 'https://atlas-auth.example.org/';
const OTHER_ISSUER = 'https://cms-auth.example.org/';
const AUDIENCE = 'https://ce.example.org';
const WLCG_ANY = 'https://wlcg.cern.ch/jwt/v1/any';

let dir: string;
let ec: TestKey;
let rsa: TestKey;
let jwksFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tokens-'));
  ec = writeTestKey(dir, 'ec-2026', 'ec');
  rsa = writeTestKey(dir, 'rsa-2026', 'rsa');
  jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(jwksOf(ec, rsa)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function validator(extra: Partial<TokenValidatorOptions> = {}): TokenValidator {
  return new TokenValidator({ issuers: [{ issuer: ISSUER, jwks: { file: jwksFile } }], audiences: [AUDIENCE, 'condor://ce.example.org'], ...extra });
}

function refusal(result: TokenResult): string {
  if (result.ok) throw new Error(`expected a refusal, got an identity for ${result.value.subject}`);
  return result.error.code;
}

/** `now` (ms) at an offset from the token's own iat, so the time checks do not depend on how long minting took. */
const atIatPlus = (token: string, seconds: number): (() => number) => {
  const iat = decodePart(token, 1).iat as number;
  return () => (iat + seconds) * 1000;
};

describe.skipIf(!SCITOKENS_CREATE_AVAILABLE)(`tokens minted by scitokens-create${SCITOKENS_CREATE_AVAILABLE ? '' : ` (skipped: ${SCITOKENS_SKIP_NOTE})`}`, () => {
  const wlcg = (claims: Record<string, string>, opts: { issuer?: string; kid?: string } = {}): string =>
    scitokensCreate({ key: ec, issuer: opts.issuer ?? ISSUER, profile: 'wlcg', claims: { sub: 'a1b2c3', aud: AUDIENCE, ...claims }, ...(opts.kid ? { kid: opts.kid } : {}) });

  it('a WLCG token with wlcg.groups /atlas is a valid identity with /atlas as its (primary) group', async () => {
    const token = wlcg({ 'wlcg.groups': '/atlas', scope: 'compute.create compute.read' });
    const result = await validator().validate(token);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const claims = decodePart(token, 1);
    expect(result.value).toMatchObject({
      profile: 'wlcg',
      version: '1.0',
      issuer: ISSUER,
      subject: 'a1b2c3',
      groups: ['/atlas'],
      primaryGroup: '/atlas',
      scopes: ['compute.create', 'compute.read'],
      audience: [AUDIENCE],
      tokenId: claims.jti,
      keyId: ec.kid,
      algorithm: 'ES256',
    });
    expect(result.value.expiresAt.getTime()).toBe((claims.exp as number) * 1000);
    expect(result.value.issuedAt.getTime()).toBe((claims.iat as number) * 1000);
  });

  it('a SciTokens 2.0 token is a valid identity of the scitokens profile', async () => {
    const token = scitokensCreate({ key: ec, issuer: ISSUER, profile: 'scitokens2', claims: { sub: 'bob', aud: 'condor://ce.example.org', scope: 'compute.create' } });
    const result = await validator().validate(token);
    expect(result.ok && result.value).toMatchObject({ profile: 'scitokens', version: 'scitoken:2.0', subject: 'bob', groups: [], primaryGroup: undefined, scopes: ['compute.create'] });
  });

  it('refuses an expired token with CRED_TOKEN_EXPIRED, allowing the 60 s skew', async () => {
    const token = wlcg({ 'wlcg.groups': '/atlas' }); // exp = iat + 600 (scitokens-create's lifetime)
    expect((await validator({ now: atIatPlus(token, 659) }).validate(token)).ok).toBe(true);
    expect(refusal(await validator({ now: atIatPlus(token, 660) }).validate(token))).toBe('CRED_TOKEN_EXPIRED');
    expect(refusal(await validator({ now: atIatPlus(token, 86_400) }).validate(token))).toBe('CRED_TOKEN_EXPIRED');
  });

  it('refuses a token used before its nbf/iat beyond the skew with CRED_TOKEN_NOT_YET_VALID', async () => {
    const token = wlcg({});
    expect((await validator({ now: atIatPlus(token, -59) }).validate(token)).ok).toBe(true);
    expect(refusal(await validator({ now: atIatPlus(token, -61) }).validate(token))).toBe('CRED_TOKEN_NOT_YET_VALID');
  });

  it('refuses a wrong audience with CRED_TOKEN_AUDIENCE', async () => {
    expect(refusal(await validator().validate(wlcg({ aud: 'https://other-site.example.net' })))).toBe('CRED_TOKEN_AUDIENCE');
    // Case matters: audiences are compared as exact strings.
    expect(refusal(await validator().validate(wlcg({ aud: 'https://CE.example.org' })))).toBe('CRED_TOKEN_AUDIENCE');
  });

  it('takes the "any" audience only when the site says so', async () => {
    const wlcgAny = scitokensCreate({ key: ec, issuer: ISSUER, profile: 'wlcg', claims: { sub: 'a1' } }); // the tool's default aud
    expect(decodePart(wlcgAny, 1).aud).toBe(WLCG_ANY);
    expect(refusal(await validator().validate(wlcgAny))).toBe('CRED_TOKEN_AUDIENCE');
    expect((await validator({ acceptAnyAudience: true }).validate(wlcgAny)).ok).toBe(true);
    const sciAny = scitokensCreate({ key: ec, issuer: ISSUER, profile: 'scitokens2', claims: { sub: 'a1' } });
    expect(decodePart(sciAny, 1).aud).toBe('ANY');
    expect(refusal(await validator().validate(sciAny))).toBe('CRED_TOKEN_AUDIENCE');
    expect((await validator({ acceptAnyAudience: true }).validate(sciAny)).ok).toBe(true);
  });

  it('refuses an issuer that is not configured with CRED_TOKEN_ISSUER_UNKNOWN', async () => {
    const result = await validator().validate(wlcg({}, { issuer: OTHER_ISSUER }));
    expect(refusal(result)).toBe('CRED_TOKEN_ISSUER_UNKNOWN');
    // A near miss is another issuer: no normalisation of the trailing slash.
    expect(refusal(await validator().validate(wlcg({}, { issuer: ISSUER.replace(/\/$/, '') })))).toBe('CRED_TOKEN_ISSUER_UNKNOWN');
  });

  it('refuses a kid the issuer does not publish with CRED_TOKEN_KEY_UNKNOWN', async () => {
    const result = await validator().validate(wlcg({}, { kid: 'not-published' }));
    expect(refusal(result)).toBe('CRED_TOKEN_KEY_UNKNOWN');
    expect(!result.ok && result.error).toMatchObject({ issuer: ISSUER, keyId: 'not-published' });
  });

  it('refuses a tampered payload with CRED_TOKEN_SIGNATURE_INVALID', async () => {
    const token = wlcg({ 'wlcg.groups': '/atlas' });
    const [h, , s] = token.split('.');
    const claims = { ...decodePart(token, 1), 'wlcg.groups': ['/atlas/Role=production'] };
    expect(refusal(await validator().validate(`${h}.${b64url(claims)}.${s}`))).toBe('CRED_TOKEN_SIGNATURE_INVALID');
    const sub = { ...decodePart(token, 1), sub: 'someone-else' };
    expect(refusal(await validator().validate(`${h}.${b64url(sub)}.${s}`))).toBe('CRED_TOKEN_SIGNATURE_INVALID');
  });

  it('refuses alg none (hand-made: no tool mints it) with CRED_TOKEN_ALG_NOT_ALLOWED', async () => {
    const claims = decodePart(wlcg({ 'wlcg.groups': '/atlas' }), 1);
    for (const alg of ['none', 'None', 'NONE']) {
      expect(refusal(await validator().validate(unsignedToken(claims, alg, ec.kid)))).toBe('CRED_TOKEN_ALG_NOT_ALLOWED');
    }
  });

  it('refuses HS256 with the public key as the secret (hand-made) with CRED_TOKEN_ALG_NOT_ALLOWED', async () => {
    const claims = decodePart(wlcg({ 'wlcg.groups': '/atlas' }), 1);
    for (const [key, secret] of [
      [rsa, rsa.publicPem],
      [ec, ec.publicPem],
      [rsa, JSON.stringify(rsa.jwk)],
    ] as const) {
      expect(refusal(await validator().validate(hs256WithSecret(claims, secret, key.kid)))).toBe('CRED_TOKEN_ALG_NOT_ALLOWED');
    }
  });

  it('refuses a SciTokens 1.0 token (no "ver") with CRED_TOKEN_VERSION', async () => {
    const token = scitokensCreate({ key: ec, issuer: ISSUER, profile: 'scitokens1', claims: { sub: 'a1', aud: AUDIENCE } });
    expect(refusal(await validator().validate(token))).toBe('CRED_TOKEN_VERSION');
  });

  it('refuses a wlcg.groups string that is not one group', async () => {
    expect(refusal(await validator().validate(wlcg({ 'wlcg.groups': '/atlas,/cms' })))).toBe('CRED_TOKEN_CLAIM_INVALID');
    expect(refusal(await validator().validate(wlcg({ 'wlcg.groups': 'atlas' })))).toBe('CRED_TOKEN_CLAIM_INVALID');
  });

  it('picks up a kid newly written to the JWKS file without a restart, refetching at most once a minute', async () => {
    const file = join(dir, 'rotating.json');
    writeFileSync(file, JSON.stringify(jwksOf(rsa)));
    let t = Date.now();
    const events: JwksEvent[] = [];
    const v = new TokenValidator({ issuers: [{ issuer: ISSUER, jwks: { file } }], audiences: [AUDIENCE], now: () => t, onJwksEvent: (e) => events.push(e) });
    const token = wlcg({});
    expect(refusal(await v.validate(token))).toBe('CRED_TOKEN_KEY_UNKNOWN'); // initial load, then one unknown-kid reread
    writeFileSync(file, JSON.stringify(jwksOf(rsa, ec)));
    t += 30_000;
    expect(refusal(await v.validate(token))).toBe('CRED_TOKEN_KEY_UNKNOWN'); // rate limited: not reread yet
    t += 31_000;
    expect((await v.validate(token)).ok).toBe(true);
    expect(events.filter((e) => e.type === 'loaded').map((e) => e.type === 'loaded' && e.added)).toEqual([[rsa.kid], [], [ec.kid]]);
  });
});

describe('tokens made with openssl and by hand (claims scitokens-create cannot write)', () => {
  const nowSec = Math.floor(Date.now() / 1000);
  const now = (): number => nowSec * 1000;

  it('accepts an RS256 WLCG token signed by openssl, groups in order, the first primary', async () => {
    const token = opensslRs256(rsa, wlcgClaims(ISSUER, nowSec, { 'wlcg.groups': ['/cms/uscms', '/cms'], scope: 'storage.read:/ storage.create:/store/user' }));
    const result = await validator({ now }).validate(token);
    expect(result.ok && result.value).toMatchObject({ algorithm: 'RS256', groups: ['/cms/uscms', '/cms'], primaryGroup: '/cms/uscms', scopes: ['storage.read:/', 'storage.create:/store/user'] });
  });

  it('refuses a token whose alg does not match the key named by kid', async () => {
    const token = opensslRs256(rsa, wlcgClaims(ISSUER, nowSec), { alg: 'ES256', kid: rsa.kid });
    expect(refusal(await validator({ now }).validate(token))).toBe('CRED_TOKEN_ALG_NOT_ALLOWED');
    const onlyEs = validator({ now, algorithms: ['ES256'] });
    expect(refusal(await onlyEs.validate(opensslRs256(rsa, wlcgClaims(ISSUER, nowSec))))).toBe('CRED_TOKEN_ALG_NOT_ALLOWED');
  });

  it('checks the version claims: known major, newer minor accepted, both or neither refused', async () => {
    const v = validator({ now });
    const sign = (extra: Record<string, unknown>): string => opensslRs256(rsa, wlcgClaims(ISSUER, nowSec, extra));
    expect((await v.validate(sign({ 'wlcg.ver': '1.7' }))).ok).toBe(true);
    expect(refusal(await v.validate(sign({ 'wlcg.ver': '2.0' })))).toBe('CRED_TOKEN_VERSION');
    expect(refusal(await v.validate(sign({ 'wlcg.ver': 1 })))).toBe('CRED_TOKEN_VERSION');
    expect(refusal(await v.validate(sign({ 'wlcg.ver': undefined })))).toBe('CRED_TOKEN_VERSION');
    expect(refusal(await v.validate(sign({ ver: 'scitoken:2.0' })))).toBe('CRED_TOKEN_VERSION');
    expect((await v.validate(sign({ 'wlcg.ver': undefined, ver: 'scitoken:2.1' }))).ok).toBe(true);
    expect(refusal(await v.validate(sign({ 'wlcg.ver': undefined, ver: 'scitoken:3.0' })))).toBe('CRED_TOKEN_VERSION');
  });

  it('requires sub, exp, iat, aud, and jti for WLCG tokens', async () => {
    const v = validator({ now });
    for (const claim of ['sub', 'exp', 'iat', 'jti']) {
      expect(refusal(await v.validate(opensslRs256(rsa, wlcgClaims(ISSUER, nowSec, { [claim]: undefined }))))).toBe('CRED_TOKEN_CLAIM_INVALID');
    }
    expect(refusal(await v.validate(opensslRs256(rsa, wlcgClaims(ISSUER, nowSec, { aud: undefined }))))).toBe('CRED_TOKEN_AUDIENCE');
    expect(refusal(await v.validate(opensslRs256(rsa, wlcgClaims(ISSUER, nowSec, { aud: [] }))))).toBe('CRED_TOKEN_AUDIENCE');
    expect((await v.validate(opensslRs256(rsa, wlcgClaims(ISSUER, nowSec, { aud: ['https://x.example', AUDIENCE] })))).ok).toBe(true);
  });

  it('enforces the size and claim limits with CRED_TOKEN_TOO_LARGE', async () => {
    const v = validator({ now, limits: { maxGroups: 3, maxScopeLength: 40, maxTokenLength: 2000 } });
    const groups = ['/atlas', '/atlas/a', '/atlas/b', '/atlas/c'];
    expect(refusal(await v.validate(opensslRs256(rsa, wlcgClaims(ISSUER, nowSec, { 'wlcg.groups': groups }))))).toBe('CRED_TOKEN_TOO_LARGE');
    expect((await v.validate(opensslRs256(rsa, wlcgClaims(ISSUER, nowSec, { 'wlcg.groups': groups.slice(0, 3) })))).ok).toBe(true);
    expect(refusal(await v.validate(opensslRs256(rsa, wlcgClaims(ISSUER, nowSec, { scope: `storage.read:/${'x'.repeat(40)}` }))))).toBe('CRED_TOKEN_TOO_LARGE');
    expect(refusal(await v.validate(opensslRs256(rsa, wlcgClaims(ISSUER, nowSec, { pad: 'x'.repeat(2000) }))))).toBe('CRED_TOKEN_TOO_LARGE');
    expect(refusal(await v.validate(opensslRs256(rsa, wlcgClaims(ISSUER, nowSec, { sub: 's'.repeat(256) }))))).toBe('CRED_TOKEN_TOO_LARGE');
  });

  it('refuses bad group names, duplicate groups, and control characters in claims', async () => {
    const v = validator({ now });
    const sign = (extra: Record<string, unknown>): string => opensslRs256(rsa, wlcgClaims(ISSUER, nowSec, extra));
    expect(refusal(await v.validate(sign({ 'wlcg.groups': ['/atlas', '/atlas'] })))).toBe('CRED_TOKEN_CLAIM_INVALID');
    expect(refusal(await v.validate(sign({ 'wlcg.groups': ['/atlas/'] })))).toBe('CRED_TOKEN_CLAIM_INVALID');
    expect(refusal(await v.validate(sign({ 'wlcg.groups': ['/atlas', 7] })))).toBe('CRED_TOKEN_CLAIM_INVALID');
    expect(refusal(await v.validate(sign({ sub: 'alice\u0000' })))).toBe('CRED_TOKEN_CLAIM_INVALID');
    expect(refusal(await v.validate(sign({ scope: 'compute.create\ncompute.read' })))).toBe('CRED_TOKEN_CLAIM_INVALID');
    expect(refusal(await v.validate(sign({ exp: 1e20 })))).toBe('CRED_TOKEN_CLAIM_INVALID');
  });

  it('refuses malformed tokens with CRED_TOKEN_MALFORMED before touching any key', async () => {
    const good = opensslRs256(rsa, wlcgClaims(ISSUER, nowSec));
    const [h, p, s] = good.split('.') as [string, string, string];
    const v = validator({ now });
    for (const bad of ['', 'abc', `${h}.${p}`, `${h}.${p}.${s}.x.y`, `${h}.${p}+.${s}`, `.${p}.${s}`, `${b64url('[1]')}.${p}.${s}`, `${h}.${b64url('not json')}.${s}`, `${b64url({ alg: 'RS256' })}.${p}.${s}`]) {
      expect(refusal(await v.validate(bad)), bad.slice(0, 30)).toBe('CRED_TOKEN_MALFORMED');
    }
    expect(refusal(await v.validate(`${b64url({ alg: 'RS256', kid: rsa.kid, crit: ['exp'] })}.${p}.${s}`))).toBe('CRED_TOKEN_MALFORMED');
    expect(refusal(await v.validate(`${h}.${p}.`))).toBe('CRED_TOKEN_SIGNATURE_INVALID');
  });

  it('fails loudly on a configuration it cannot work with', () => {
    const base = { issuers: [{ issuer: ISSUER, jwks: { file: jwksFile } }], audiences: [AUDIENCE] };
    expect(() => new TokenValidator({ ...base, audiences: [] })).toThrow(TokenConfigError);
    expect(() => new TokenValidator({ ...base, audiences: [WLCG_ANY] })).toThrow(/acceptAnyAudience/);
    expect(() => new TokenValidator({ ...base, algorithms: ['HS256' as never] })).toThrow(TokenConfigError);
    expect(() => new TokenValidator({ ...base, issuers: [{ issuer: ISSUER, jwks: { url: 'http://atlas-auth.example.org/jwks' } }] })).toThrow(/https/);
    expect(() => new TokenValidator({ ...base, issuers: [base.issuers[0]!, base.issuers[0]!] })).toThrow(/twice/);
    expect(() => new TokenValidator({ ...base, clockSkewSeconds: 3600 })).toThrow(TokenConfigError);
  });
});
