import { compactVerify, errors as joseErrors } from 'jose';
import { httpsJwksFetcher } from './fetch';
import type { JwksFetcher } from './fetch';
import { DEFAULT_JWKS_POLICY, IssuerKeys } from './jwks';
import type { IssuerConfig, IssuerKeyStatus, JwksCachePolicy, JwksEvent } from './jwks';
import { ANY_AUDIENCES, DEFAULT_TOKEN_LIMITS, TOKEN_ALGORITHMS } from './types';
import type { TokenAlgorithm, TokenErrorCode, TokenFailure, TokenIdentity, TokenLimits, TokenProfile, TokenResult } from './types';

export interface TokenValidatorOptions {
  /** The trusted issuers and where their keys are; a token from any other issuer is refused. */
  readonly issuers: readonly IssuerConfig[];
  /** This site's audiences; a token must name at least one (compared as exact strings). */
  readonly audiences: readonly string[];
  /** Also accept the "any relying party" audiences (tokens.md §2.3). Off unless the site chooses it. */
  readonly acceptAnyAudience?: boolean;
  /** A subset of RS256 and ES256; default both. */
  readonly algorithms?: readonly TokenAlgorithm[];
  /** Allowed clock difference for exp/nbf/iat in seconds; default 60 (the WLCG profile's suggestion). */
  readonly clockSkewSeconds?: number;
  readonly limits?: Partial<TokenLimits>;
  readonly jwksPolicy?: Partial<JwksCachePolicy>;
  /** How JWKS URLs are read; default HTTPS with Node's public CAs. Tests pass one that trusts their own CA. */
  readonly fetcher?: JwksFetcher;
  readonly readTextFile?: (path: string) => Promise<string>;
  /** The clock (ms since the epoch), for the time claims and the key cache. */
  readonly now?: () => number;
  /** Key-cache reports: keys loaded or changed, fetch failures (and whether the last good keys are still used). */
  readonly onJwksEvent?: (event: JwksEvent) => void;
}

/** A configuration the validator cannot work with; thrown by the constructor (fail loudly at start-up). */
export class TokenConfigError extends Error {
  readonly code = 'CONFIG_INVALID' as const;
}

const MAX_SKEW_SECONDS = 300;
const SEGMENT = /^[A-Za-z0-9_-]*$/;
const WLCG_VER = /^(\d{1,4})\.(\d{1,4})$/;
const SCITOKENS_VER = /^scitoken:(\d{1,4})\.(\d{1,4})$/;
/** Majors of each claim language this code implements (tokens.md §2.4); newer minors of a known major are accepted. */
const KNOWN_MAJOR: Readonly<Record<TokenProfile, number>> = { wlcg: 1, scitokens: 2 };
/** A wlcg.groups entry: /name[/name...]. */
export const GROUP = /^(?:\/[A-Za-z0-9][A-Za-z0-9_.-]*)+$/;
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** What a `sub` (and `jti`) may hold. */
export const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

type Fail = { ok: false; error: TokenFailure };
const refuse = (code: TokenErrorCode, detail: string, issuer?: string, keyId?: string): Fail => ({
  ok: false,
  error: { code, detail, ...(issuer !== undefined ? { issuer } : {}), ...(keyId !== undefined ? { keyId } : {}) },
});

/**
 * Validates WLCG Common JWT profile and SciTokens bearer tokens (tokens.md §3): compact JWS only, RS256/ES256 only,
 * a configured issuer, a key from that issuer's JWKS by kid, a good signature, a known version claim, the time
 * claims within the skew, one of the site's audiences, and claims within their grammar and limits. Every refusal
 * is a CRED_TOKEN_* code; nothing in the token is trusted before its signature has been checked, except `iss`
 * and `kid`, which only choose the key.
 */
export class TokenValidator {
  private readonly issuers = new Map<string, IssuerKeys>();
  private readonly audiences: ReadonlySet<string>;
  private readonly algorithms: ReadonlySet<TokenAlgorithm>;
  private readonly skew: number;
  private readonly limits: TokenLimits;
  private readonly now: () => number;
  private readonly acceptAny: boolean;

  constructor(options: TokenValidatorOptions) {
    this.now = options.now ?? Date.now;
    this.limits = Object.assign({}, DEFAULT_TOKEN_LIMITS, options.limits);
    this.acceptAny = options.acceptAnyAudience ?? false;
    this.skew = options.clockSkewSeconds ?? 60;
    if (!Number.isFinite(this.skew) || this.skew < 0 || this.skew > MAX_SKEW_SECONDS) {
      throw new TokenConfigError(`clock skew must be 0..${MAX_SKEW_SECONDS} seconds, got ${String(options.clockSkewSeconds)}`);
    }
    const algorithms = options.algorithms ?? TOKEN_ALGORITHMS;
    for (const alg of algorithms) {
      if (!TOKEN_ALGORITHMS.includes(alg)) throw new TokenConfigError(`algorithm ${String(alg)} is not allowed (only ${TOKEN_ALGORITHMS.join(', ')})`);
    }
    if (algorithms.length === 0) throw new TokenConfigError('no signature algorithm allowed');
    this.algorithms = new Set(algorithms);
    for (const aud of options.audiences) {
      if (aud.length === 0 || aud !== aud.trim()) throw new TokenConfigError(`bad audience ${JSON.stringify(aud)}`);
      if (ANY_AUDIENCES.includes(aud)) throw new TokenConfigError(`${aud} is the "any" audience: use acceptAnyAudience instead`);
    }
    if (options.audiences.length === 0 && !this.acceptAny) throw new TokenConfigError('no audience configured: every token would be refused');
    this.audiences = new Set(options.audiences);
    const policy: JwksCachePolicy = Object.assign({}, DEFAULT_JWKS_POLICY, options.jwksPolicy);
    for (const [name, value] of Object.entries(policy)) {
      if (!Number.isFinite(value) || value <= 0) throw new TokenConfigError(`JWKS cache setting ${name} must be a positive number`);
    }
    if (policy.refreshMinMs > policy.refreshMaxMs) throw new TokenConfigError('JWKS refreshMinMs is above refreshMaxMs');
    if (policy.expiryMs < policy.refreshMaxMs) throw new TokenConfigError('JWKS expiryMs is shorter than the refresh period');
    const fetcher = options.fetcher ?? httpsJwksFetcher();
    const onEvent = options.onJwksEvent ?? (() => undefined);
    for (const cfg of options.issuers) {
      if (cfg.issuer.length === 0 || cfg.issuer !== cfg.issuer.trim()) throw new TokenConfigError(`bad issuer ${JSON.stringify(cfg.issuer)}`);
      if (this.issuers.has(cfg.issuer)) throw new TokenConfigError(`issuer ${cfg.issuer} configured twice`);
      if ('url' in cfg.jwks) {
        let url: URL;
        try {
          url = new URL(cfg.jwks.url);
        } catch {
          throw new TokenConfigError(`issuer ${cfg.issuer}: JWKS URL ${cfg.jwks.url} is not a URL`);
        }
        if (url.protocol !== 'https:') throw new TokenConfigError(`issuer ${cfg.issuer}: JWKS URL must be https (the WLCG profile requires it)`);
      }
      this.issuers.set(
        cfg.issuer,
        new IssuerKeys(cfg.issuer, cfg.jwks, {
          fetcher,
          now: this.now,
          policy,
          onEvent,
          ...(options.readTextFile ? { readTextFile: options.readTextFile } : {}),
        }),
      );
    }
  }

  /** Key-cache state per issuer, for readiness, metrics and `gridauthz` status output. */
  issuerStatus(): IssuerKeyStatus[] {
    return [...this.issuers.values()].map((k) => k.status());
  }

  async validate(token: string): Promise<TokenResult> {
    if (typeof token !== 'string') return refuse('CRED_TOKEN_MALFORMED', 'the token is not a string');
    if (token.length > this.limits.maxTokenLength) {
      return refuse('CRED_TOKEN_TOO_LARGE', `token of ${token.length} characters (limit ${this.limits.maxTokenLength})`);
    }
    // tokens.md §3.1: a compact JWS, three base64url parts; JWE (five parts) and JSON serialisations are not tokens here.
    const parts = token.split('.');
    if (parts.length !== 3) return refuse('CRED_TOKEN_MALFORMED', `a token has 3 dot-separated parts, this has ${parts.length}`);
    const [h, p, s] = parts as [string, string, string];
    if (h.length === 0 || p.length === 0 || !SEGMENT.test(h) || !SEGMENT.test(p) || !SEGMENT.test(s)) {
      return refuse('CRED_TOKEN_MALFORMED', 'a token part is empty or not base64url');
    }
    const header = decodeJsonPart(h);
    if (header === undefined) return refuse('CRED_TOKEN_MALFORMED', 'the header is not a base64url JSON object');
    const payload = decodeJsonPart(p);
    if (payload === undefined) return refuse('CRED_TOKEN_MALFORMED', 'the payload is not a base64url JSON object');

    // tokens.md §3.2: the algorithm first, so "none" and HMAC never reach a key.
    const alg = header.alg;
    if (typeof alg !== 'string') return refuse('CRED_TOKEN_MALFORMED', 'the header has no "alg"');
    if (!this.algorithms.has(alg as TokenAlgorithm)) {
      return refuse('CRED_TOKEN_ALG_NOT_ALLOWED', `algorithm ${JSON.stringify(alg).slice(0, 40)} is not allowed (allowed: ${[...this.algorithms].join(', ')})`);
    }
    if (header.crit !== undefined) return refuse('CRED_TOKEN_MALFORMED', 'the header has "crit" extensions, none of which is understood');
    if (s.length === 0) return refuse('CRED_TOKEN_SIGNATURE_INVALID', 'the signature is empty');

    // tokens.md §3.3: the issuer and the key. `iss` is read before verification only to choose the keys.
    const iss = payload.iss;
    if (typeof iss !== 'string' || iss.length === 0) return refuse('CRED_TOKEN_MALFORMED', 'the payload has no "iss"');
    const issuer = this.issuers.get(iss);
    if (issuer === undefined) return refuse('CRED_TOKEN_ISSUER_UNKNOWN', `issuer ${JSON.stringify(iss).slice(0, 300)} is not trusted`, iss.slice(0, 300));
    const kid = header.kid;
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > 256) {
      return refuse('CRED_TOKEN_MALFORMED', 'the header has no usable "kid" (the WLCG profile requires one)', iss);
    }
    const found = await issuer.lookup(kid);
    if (!found.ok) return refuse(found.code, found.detail, iss, kid);
    if (found.key.alg !== alg) {
      return refuse('CRED_TOKEN_ALG_NOT_ALLOWED', `key ${kid} is an ${found.key.alg} key, the token says ${alg}`, iss, kid);
    }

    // tokens.md §3.4: the signature, by jose, for exactly this key's algorithm.
    try {
      await compactVerify(token, found.key.key, { algorithms: [found.key.alg] });
    } catch (err) {
      const why = err instanceof joseErrors.JWSSignatureVerificationFailed ? 'signature does not verify' : `signature not checkable: ${err instanceof Error ? err.message : String(err)}`;
      return refuse('CRED_TOKEN_SIGNATURE_INVALID', `${why} with ${iss} key ${kid}`, iss, kid);
    }
    return this.checkClaims(payload, iss, kid, alg as TokenAlgorithm);
  }

  /** tokens.md §3.5 and §3.6, on a payload whose signature has been verified. */
  private checkClaims(c: Record<string, unknown>, iss: string, kid: string, algorithm: TokenAlgorithm): TokenResult {
    const bad = (code: TokenErrorCode, detail: string): Fail => refuse(code, detail, iss, kid);
    const wlcgVer = c['wlcg.ver'];
    const sciVer = c.ver;
    let profile: TokenProfile;
    let version: string;
    if (wlcgVer !== undefined && sciVer !== undefined) return bad('CRED_TOKEN_VERSION', 'both "wlcg.ver" and "ver": which rules apply is ambiguous');
    if (wlcgVer !== undefined) {
      const m = typeof wlcgVer === 'string' ? WLCG_VER.exec(wlcgVer) : null;
      if (!m) return bad('CRED_TOKEN_VERSION', `"wlcg.ver" ${JSON.stringify(wlcgVer).slice(0, 40)} is not MAJOR.MINOR`);
      if (Number(m[1]) !== KNOWN_MAJOR.wlcg) return bad('CRED_TOKEN_VERSION', `WLCG profile version ${String(wlcgVer)} is not known (major ${KNOWN_MAJOR.wlcg} is)`);
      profile = 'wlcg';
      version = wlcgVer as string;
    } else if (sciVer !== undefined) {
      const m = typeof sciVer === 'string' ? SCITOKENS_VER.exec(sciVer) : null;
      if (!m) return bad('CRED_TOKEN_VERSION', `"ver" ${JSON.stringify(sciVer).slice(0, 40)} is not scitoken:MAJOR.MINOR`);
      if (Number(m[1]) !== KNOWN_MAJOR.scitokens) return bad('CRED_TOKEN_VERSION', `SciTokens version ${String(sciVer)} is not known (scitoken:${KNOWN_MAJOR.scitokens}.x is)`);
      profile = 'scitokens';
      version = sciVer as string;
    } else {
      return bad('CRED_TOKEN_VERSION', 'neither "wlcg.ver" nor "ver": the claim language is unknown');
    }

    const nowSec = this.now() / 1000;
    const exp = numericDate(c.exp);
    if (exp === undefined) return bad('CRED_TOKEN_CLAIM_INVALID', '"exp" is missing or not a number');
    const iat = numericDate(c.iat);
    if (iat === undefined) return bad('CRED_TOKEN_CLAIM_INVALID', '"iat" is missing or not a number');
    const nbf = c.nbf === undefined ? undefined : numericDate(c.nbf);
    if (c.nbf !== undefined && nbf === undefined) return bad('CRED_TOKEN_CLAIM_INVALID', '"nbf" is not a number');
    if (nowSec - this.skew >= exp) return bad('CRED_TOKEN_EXPIRED', `expired at ${isoOf(exp)}`);
    if (nbf !== undefined && nowSec + this.skew < nbf) return bad('CRED_TOKEN_NOT_YET_VALID', `not valid before ${isoOf(nbf)}`);
    if (nowSec + this.skew < iat) return bad('CRED_TOKEN_NOT_YET_VALID', `issued in the future (${isoOf(iat)})`);

    const audClaim = c.aud;
    const audience = typeof audClaim === 'string' ? [audClaim] : Array.isArray(audClaim) ? audClaim : undefined;
    if (audience === undefined || audience.length === 0 || !audience.every((a) => typeof a === 'string')) {
      return bad('CRED_TOKEN_AUDIENCE', '"aud" is missing or not a string or list of strings');
    }
    if (audience.length > this.limits.maxAudiences) return bad('CRED_TOKEN_TOO_LARGE', `${audience.length} audiences (limit ${this.limits.maxAudiences})`);
    const audiences = audience as string[];
    const forUs = audiences.some((a) => this.audiences.has(a) || (this.acceptAny && ANY_AUDIENCES.includes(a)));
    if (!forUs) {
      const shown = audiences.slice(0, 3).map((a) => JSON.stringify(a.slice(0, 100))).join(', ');
      return bad('CRED_TOKEN_AUDIENCE', `audience ${shown}${audiences.length > 3 ? ', …' : ''} is not this site's`);
    }

    const sub = c.sub;
    if (typeof sub !== 'string' || sub.length === 0) return bad('CRED_TOKEN_CLAIM_INVALID', '"sub" is missing or empty');
    if (sub.length > this.limits.maxSubjectLength) return bad('CRED_TOKEN_TOO_LARGE', `"sub" of ${sub.length} characters (limit ${this.limits.maxSubjectLength})`);
    if (!PRINTABLE_ASCII.test(sub)) return bad('CRED_TOKEN_CLAIM_INVALID', '"sub" is not printable ASCII');

    const jti = c.jti;
    if (jti !== undefined && (typeof jti !== 'string' || jti.length === 0 || jti.length > 256 || !PRINTABLE_ASCII.test(jti))) {
      return bad('CRED_TOKEN_CLAIM_INVALID', '"jti" is not a printable ASCII string of 1..256 characters');
    }
    if (profile === 'wlcg' && jti === undefined) return bad('CRED_TOKEN_CLAIM_INVALID', '"jti" is missing (the WLCG profile requires it)');

    const groups = this.groupsOf(c['wlcg.groups']);
    if (!groups.ok) return bad(groups.code, groups.detail);
    const scopes = this.scopesOf(c.scope);
    if (!scopes.ok) return bad(scopes.code, scopes.detail);

    const identity: TokenIdentity = {
      profile,
      version,
      issuer: iss,
      subject: sub,
      groups: groups.value,
      primaryGroup: groups.value[0],
      scopes: scopes.value,
      audience: audiences,
      expiresAt: new Date(exp * 1000),
      issuedAt: new Date(iat * 1000),
      notBefore: nbf === undefined ? undefined : new Date(nbf * 1000),
      tokenId: jti as string | undefined,
      keyId: kid,
      algorithm,
    };
    return { ok: true, value: identity };
  }

  private groupsOf(claim: unknown): { ok: true; value: string[] } | { ok: false; code: TokenErrorCode; detail: string } {
    if (claim === undefined) return { ok: true, value: [] };
    // The profile says a JSON array; scitokens-cpp's scitokens-create can only write a string, taken as one group.
    const list = typeof claim === 'string' ? [claim] : claim;
    if (!Array.isArray(list)) return { ok: false, code: 'CRED_TOKEN_CLAIM_INVALID', detail: '"wlcg.groups" is not a list of strings' };
    if (list.length > this.limits.maxGroups) return { ok: false, code: 'CRED_TOKEN_TOO_LARGE', detail: `${list.length} groups (limit ${this.limits.maxGroups})` };
    const seen = new Set<string>();
    for (const g of list) {
      if (typeof g !== 'string') return { ok: false, code: 'CRED_TOKEN_CLAIM_INVALID', detail: '"wlcg.groups" holds a non-string' };
      if (g.length > this.limits.maxGroupLength) return { ok: false, code: 'CRED_TOKEN_TOO_LARGE', detail: `a group of ${g.length} characters (limit ${this.limits.maxGroupLength})` };
      if (!GROUP.test(g)) return { ok: false, code: 'CRED_TOKEN_CLAIM_INVALID', detail: `group ${JSON.stringify(g)} is not /name[/name...]` };
      if (seen.has(g)) return { ok: false, code: 'CRED_TOKEN_CLAIM_INVALID', detail: `group ${g} listed twice` };
      seen.add(g);
    }
    return { ok: true, value: list as string[] };
  }

  private scopesOf(claim: unknown): { ok: true; value: string[] } | { ok: false; code: TokenErrorCode; detail: string } {
    if (claim === undefined) return { ok: true, value: [] };
    if (typeof claim !== 'string') return { ok: false, code: 'CRED_TOKEN_CLAIM_INVALID', detail: '"scope" is not a string' };
    if (claim.length > this.limits.maxScopeLength) return { ok: false, code: 'CRED_TOKEN_TOO_LARGE', detail: `"scope" of ${claim.length} characters (limit ${this.limits.maxScopeLength})` };
    const scopes = claim.split(' ').filter((x) => x.length > 0);
    for (const sc of scopes) {
      if (!SCOPE_TOKEN.test(sc)) return { ok: false, code: 'CRED_TOKEN_CLAIM_INVALID', detail: '"scope" holds a character outside RFC 6749 scope tokens' };
    }
    return { ok: true, value: scopes };
  }
}

function decodeJsonPart(segment: string): Record<string, unknown> | undefined {
  const bytes = Buffer.from(segment, 'base64url');
  // Refuse non-canonical base64url (stray bits), so one token has one spelling.
  if (bytes.toString('base64url') !== segment) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Seconds since the epoch, up to the year 9999 so that every value is a real Date. */
function numericDate(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 253_402_300_799 ? v : undefined;
}

function isoOf(seconds: number): string {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? String(seconds) : d.toISOString();
}
