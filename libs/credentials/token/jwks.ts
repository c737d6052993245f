import { readFile } from 'node:fs/promises';
import { importJWK } from 'jose';
import type { JWK } from 'jose';
import type { LogSink } from '@gridauthz/domain';
import type { JwksFetcher } from './fetch';
import type { TokenAlgorithm } from './types';

/** Where an issuer's public keys come from (tokens.md §6). */
export type JwksLocation =
  | { readonly file: string }
  | { readonly url: string }
  /** Keys given in the configuration itself; never refreshed. */
  | { readonly keys: { readonly keys: readonly object[] } };

export interface IssuerConfig {
  /** Compared with the token's `iss` as an exact, case-sensitive string. */
  readonly issuer: string;
  readonly jwks: JwksLocation;
}

/** The key-cache timings of tokens.md §6; defaults follow the WLCG profile's lifetime guidance. */
export interface JwksCachePolicy {
  /** Lower and upper bound on the refresh period an issuer's Cache-Control max-age may ask for. */
  readonly refreshMinMs: number;
  readonly refreshMaxMs: number;
  /** How long the last good keys may still be used while the issuer cannot be reached. */
  readonly expiryMs: number;
  /** After a failed fetch, no new attempt before this, so an unreachable issuer does not slow every request. */
  readonly retryAfterFailureMs: number;
  /** An unknown kid triggers a fetch at most this often per issuer, so made-up kids cannot hammer the issuer. */
  readonly unknownKidRefetchMs: number;
  readonly fetchTimeoutMs: number;
  readonly maxBytes: number;
}

const HOUR = 3_600_000;
export const DEFAULT_JWKS_POLICY: JwksCachePolicy = {
  refreshMinMs: 1 * HOUR,
  refreshMaxMs: 6 * HOUR,
  expiryMs: 48 * HOUR,
  retryAfterFailureMs: 60_000,
  unknownKidRefetchMs: 60_000,
  fetchTimeoutMs: 5_000,
  maxBytes: 256 * 1024,
};

/** What the key cache reports, for logs and metrics. */
export type JwksEvent =
  | {
      readonly type: 'loaded';
      readonly issuer: string;
      readonly source: string;
      readonly reason: JwksLoadReason;
      readonly keyIds: readonly string[];
      readonly added: readonly string[];
      readonly removed: readonly string[];
      /** Keys of the document that were left out (other use, type or curve, private material). */
      readonly skipped: readonly string[];
    }
  | { readonly type: 'not-modified'; readonly issuer: string; readonly source: string; readonly reason: JwksLoadReason }
  | {
      readonly type: 'fetch-failed';
      readonly issuer: string;
      readonly source: string;
      readonly reason: JwksLoadReason;
      readonly detail: string;
      /** True when earlier keys are kept and still used; false when there are none to fall back on. */
      readonly lastGoodKeysUsed: boolean;
      readonly lastGoodAgeMs?: number;
    }
  | { readonly type: 'expired'; readonly issuer: string; readonly source: string; readonly ageMs: number };

export type JwksLoadReason = 'initial' | 'scheduled' | 'unknown-kid';

export interface VerificationKey {
  readonly kid: string;
  readonly alg: TokenAlgorithm;
  readonly key: Awaited<ReturnType<typeof importJWK>>;
}

export type KeyLookup =
  | { readonly ok: true; readonly key: VerificationKey }
  | { readonly ok: false; readonly code: 'CRED_TOKEN_KEY_UNKNOWN' | 'CRED_TOKEN_JWKS_UNAVAILABLE'; readonly detail: string };

export interface IssuerKeyStatus {
  readonly issuer: string;
  readonly source: string;
  readonly keyIds: readonly string[];
  readonly fetchedAt: Date | undefined;
  readonly nextRefreshAt: Date | undefined;
  readonly lastError: string | undefined;
}

export interface IssuerKeysDeps {
  readonly fetcher: JwksFetcher;
  readonly now: () => number;
  readonly policy: JwksCachePolicy;
  readonly onEvent: (event: JwksEvent) => void;
  readonly readTextFile?: (path: string) => Promise<string>;
}

type Loaded = { readonly status: 'ok'; readonly body: string; readonly etag?: string; readonly maxAgeMs?: number } | { readonly status: 'not-modified' };

/**
 * One trusted issuer's keys, cached by the rule of tokens.md §6: load on first use; refresh when the refresh
 * period is over; on an unknown kid refetch at most once per unknownKidRefetchMs; when a fetch fails keep the last
 * good keys until they are expiryMs old. Concurrent callers share one fetch.
 */
export class IssuerKeys {
  private keys: Map<string, VerificationKey> | undefined;
  private fetchedAt = 0;
  private refreshAt = 0;
  private nextAttemptAt = 0;
  private lastUnknownKidFetchAt = Number.NEGATIVE_INFINITY;
  private etag: string | undefined;
  private lastError: string | undefined;
  private inflight: Promise<void> | undefined;
  readonly source: string;

  constructor(
    readonly issuer: string,
    private readonly location: JwksLocation,
    private readonly deps: IssuerKeysDeps,
  ) {
    this.source = 'file' in location ? `file:${location.file}` : 'url' in location ? location.url : 'configuration';
  }

  async lookup(kid: string): Promise<KeyLookup> {
    let now = this.deps.now();
    if ((this.keys === undefined || now >= this.refreshAt) && now >= this.nextAttemptAt) {
      await this.load(this.keys === undefined ? 'initial' : 'scheduled');
      now = this.deps.now();
    }
    this.dropIfExpired(now);
    if (this.keys === undefined) {
      return { ok: false, code: 'CRED_TOKEN_JWKS_UNAVAILABLE', detail: `no keys for ${this.issuer} (${this.lastError ?? 'not loaded'})` };
    }
    let key = this.keys.get(kid);
    if (key === undefined && !('keys' in this.location)) {
      // A kid we do not know may be a key the issuer has just published (tokens.md §6.3).
      if (now - this.lastUnknownKidFetchAt >= this.deps.policy.unknownKidRefetchMs && now >= this.nextAttemptAt) {
        this.lastUnknownKidFetchAt = now;
        await this.load('unknown-kid');
        this.dropIfExpired(this.deps.now());
        key = this.keys?.get(kid);
      }
    }
    if (key === undefined) {
      if (this.keys === undefined) {
        return { ok: false, code: 'CRED_TOKEN_JWKS_UNAVAILABLE', detail: `no keys for ${this.issuer} (${this.lastError ?? 'not loaded'})` };
      }
      return { ok: false, code: 'CRED_TOKEN_KEY_UNKNOWN', detail: `${this.issuer} publishes no usable key with kid ${JSON.stringify(kid)}` };
    }
    return { ok: true, key };
  }

  status(): IssuerKeyStatus {
    return {
      issuer: this.issuer,
      source: this.source,
      keyIds: [...(this.keys?.keys() ?? [])],
      fetchedAt: this.keys === undefined ? undefined : new Date(this.fetchedAt),
      nextRefreshAt: this.keys === undefined || 'keys' in this.location ? undefined : new Date(this.refreshAt),
      lastError: this.lastError,
    };
  }

  private dropIfExpired(now: number): void {
    if (this.keys === undefined || 'keys' in this.location) return;
    const age = now - this.fetchedAt;
    if (age < this.deps.policy.expiryMs) return;
    this.keys = undefined;
    this.etag = undefined;
    this.deps.onEvent({ type: 'expired', issuer: this.issuer, source: this.source, ageMs: age });
  }

  private load(reason: JwksLoadReason): Promise<void> {
    this.inflight ??= this.loadOnce(reason).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async loadOnce(reason: JwksLoadReason): Promise<void> {
    const policy = this.deps.policy;
    try {
      const answer = await this.read();
      const now = this.deps.now();
      if (answer.status === 'not-modified') {
        if (this.keys === undefined) throw new Error('HTTP 304 for keys not held');
        this.fetchedAt = now;
        this.refreshAt = now + policy.refreshMaxMs;
        this.lastError = undefined;
        this.deps.onEvent({ type: 'not-modified', issuer: this.issuer, source: this.source, reason });
        return;
      }
      const { keys, skipped } = await parseJwks(answer.body);
      const before = new Set(this.keys?.keys() ?? []);
      this.keys = keys;
      this.etag = answer.etag;
      this.fetchedAt = now;
      const period = answer.maxAgeMs ?? policy.refreshMaxMs;
      this.refreshAt = now + Math.min(policy.refreshMaxMs, Math.max(policy.refreshMinMs, period));
      this.lastError = undefined;
      const keyIds = [...keys.keys()];
      this.deps.onEvent({
        type: 'loaded',
        issuer: this.issuer,
        source: this.source,
        reason,
        keyIds,
        added: keyIds.filter((k) => !before.has(k)),
        removed: [...before].filter((k) => !keys.has(k)),
        skipped,
      });
    } catch (err) {
      const now = this.deps.now();
      const detail = err instanceof Error ? err.message : String(err);
      this.lastError = detail;
      this.nextAttemptAt = now + policy.retryAfterFailureMs;
      const usable = this.keys !== undefined && now - this.fetchedAt < policy.expiryMs;
      this.deps.onEvent({
        type: 'fetch-failed',
        issuer: this.issuer,
        source: this.source,
        reason,
        detail,
        lastGoodKeysUsed: usable,
        ...(this.keys !== undefined ? { lastGoodAgeMs: now - this.fetchedAt } : {}),
      });
    }
  }

  private async read(): Promise<Loaded> {
    const location = this.location;
    if ('keys' in location) return { status: 'ok', body: JSON.stringify(location.keys) };
    if ('file' in location) {
      const text = await (this.deps.readTextFile ?? ((p: string) => readFile(p, 'utf8')))(location.file);
      return { status: 'ok', body: text };
    }
    const answer = await this.deps.fetcher(location.url, {
      timeoutMs: this.deps.policy.fetchTimeoutMs,
      maxBytes: this.deps.policy.maxBytes,
      ...(this.etag !== undefined && this.keys !== undefined ? { etag: this.etag } : {}),
    });
    if (answer.status === 'not-modified') return answer;
    const maxAgeMs = maxAgeOf(answer.cacheControl);
    return { status: 'ok', body: answer.body, ...(answer.etag !== undefined ? { etag: answer.etag } : {}), ...(maxAgeMs !== undefined ? { maxAgeMs } : {}) };
  }
}

/** `max-age` of a Cache-Control header in ms; no-store/no-cache count as 0 (the floor of the policy applies). */
export function maxAgeOf(cacheControl: string | undefined): number | undefined {
  if (cacheControl === undefined) return undefined;
  const directives = cacheControl.toLowerCase().split(',').map((d) => d.trim());
  if (directives.includes('no-store') || directives.includes('no-cache')) return 0;
  for (const d of directives) {
    const m = /^max-age=(\d{1,10})$/.exec(d);
    if (m) return Number(m[1]) * 1000;
  }
  return undefined;
}

const KID = /^[\x21-\x7e]{1,256}$/;

/**
 * A JWKS document (RFC 7517) to verification keys. Keys not meant for signatures, of other types or curves, without
 * a kid, or carrying private material are left out (and named in `skipped`); a kid given twice makes the whole
 * document unusable, since either key could be meant (tokens.md §6.2).
 */
export async function parseJwks(text: string): Promise<{ keys: Map<string, VerificationKey>; skipped: string[] }> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('JWKS is not JSON');
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { keys?: unknown }).keys)) {
    throw new Error('JWKS has no "keys" array');
  }
  const keys = new Map<string, VerificationKey>();
  const skipped: string[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of ((doc as { keys: unknown[] }).keys).entries()) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`JWKS key ${i} is not an object`);
    const jwk = raw as Record<string, unknown>;
    const kid = jwk.kid;
    if (typeof kid !== 'string' || !KID.test(kid)) {
      skipped.push(`#${i} (no usable kid)`);
      continue;
    }
    if (seen.has(kid)) throw new Error(`JWKS names kid ${JSON.stringify(kid)} twice`);
    seen.add(kid);
    const alg = algorithmFor(jwk);
    if (alg === undefined || 'd' in jwk || 'k' in jwk || (jwk.use !== undefined && jwk.use !== 'sig')) {
      skipped.push(kid);
      continue;
    }
    try {
      // ext forced off; the rest copied as a spread copies it (the document is untrusted: an own "__proto__" stays a key).
      const { ext: _ext, ...fields } = jwk as JWK;
      const key = await importJWK({ ext: false, ...fields }, alg);
      keys.set(kid, { kid, alg, key });
    } catch {
      skipped.push(kid);
    }
  }
  return { keys, skipped };
}

function algorithmFor(jwk: Record<string, unknown>): TokenAlgorithm | undefined {
  const wanted = jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : undefined;
  if (wanted === undefined) return undefined;
  // A key that says which algorithm it is for is used for that one only.
  if (jwk.alg !== undefined && jwk.alg !== wanted) return undefined;
  return wanted;
}

/**
 * The key-cache events as log lines (pino's signature via LogSink): a changed key set at info, an unchanged
 * revalidation at debug, a failed fetch at warn while the last good keys are still used and at error when there
 * are none, dropped keys at error. Key ids and sources only; never key material.
 */
export function jwksEventLogger(log: LogSink): (event: JwksEvent) => void {
  return (event) => {
    switch (event.type) {
      case 'loaded': {
        const fields = { issuer: event.issuer, source: event.source, reason: event.reason, keyIds: event.keyIds, added: event.added, removed: event.removed, skipped: event.skipped };
        if (event.added.length > 0 || event.removed.length > 0) log.info(fields, 'token issuer keys loaded');
        else log.debug(fields, 'token issuer keys reloaded, unchanged');
        return;
      }
      case 'not-modified':
        log.debug({ issuer: event.issuer, source: event.source, reason: event.reason }, 'token issuer keys revalidated (not modified)');
        return;
      case 'fetch-failed': {
        const fields = { issuer: event.issuer, source: event.source, reason: event.reason, detail: event.detail, lastGoodKeysUsed: event.lastGoodKeysUsed, lastGoodAgeMs: event.lastGoodAgeMs };
        if (event.lastGoodKeysUsed) log.warn(fields, 'token issuer keys could not be fetched; using the last good keys');
        else log.error(fields, 'token issuer keys could not be fetched; tokens of this issuer are refused');
        return;
      }
      case 'expired':
        log.error({ issuer: event.issuer, source: event.source, ageMs: event.ageMs }, 'token issuer keys expired while the issuer was unreachable; tokens of this issuer are refused');
        return;
    }
  };
}
