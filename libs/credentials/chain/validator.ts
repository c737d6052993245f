import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { CredResult } from '../errors';
import type { TrustStore } from '../trust/igtf-store';
import type { ValidatedCredential } from './types';
import { derDigest } from './presented';
import { validateChainWithWindow } from './validate';
import type { ValidationOptions } from './validate';

export interface CredentialValidatorOptions extends Omit<ValidationOptions, 'now'> {
  /** LRU bound. Default 10 000 chains. */
  readonly maxEntries?: number;
  /** How long a failure is remembered (a failing client retrying in a loop costs one lookup). Default 10 s. */
  readonly failureTtlMs?: number;
}

interface Entry {
  readonly generation: number;
  readonly from: number;
  readonly until: number;
  readonly result: CredResult<ValidatedCredential>;
}

/**
 * validateChain behind a cache keyed by the chain's certificate fingerprints. An entry is used only for the
 * trust-store generation it was computed with and only while `now` lies in the interval over which nothing
 * time-dependent in the result can change (certificate, CRL and AC validity), so a hit is exactly what a
 * fresh validation would return.
 */
export class CredentialValidator {
  private readonly cache: LRUCache<string, Entry>;
  private readonly failureTtlMs: number;
  private hitCount = 0;
  private missCount = 0;

  constructor(
    private readonly trust: TrustStore,
    private readonly options: CredentialValidatorOptions = {},
  ) {
    // Least recently used out first; whether an entry may answer is decided below (generation, time window),
    // not by the cache, so CRL, certificate and AC expiry are re-checked exactly as a fresh validation would.
    this.cache = new LRUCache<string, Entry>({ max: options.maxEntries ?? 10_000 });
    this.failureTtlMs = options.failureTtlMs ?? 10_000;
  }

  validate(chainDer: readonly Buffer[], now: Date): CredResult<ValidatedCredential> {
    const snapshot = this.trust.current();
    const t = now.getTime();
    const key = cacheKey(chainDer);
    const cached = key === undefined ? undefined : this.cache.get(key); // get: most recently used
    if (cached && cached.generation === snapshot.generation && t >= cached.from && t < cached.until) {
      this.hitCount += 1;
      return cached.result;
    }
    this.missCount += 1;
    const { result, window } = validateChainWithWindow(chainDer, snapshot, Object.assign({}, this.options, { now }));
    if (key !== undefined) {
      const entry: Entry = result.ok
        ? { generation: snapshot.generation, from: window.from, until: window.until, result }
        : { generation: snapshot.generation, from: t, until: t + this.failureTtlMs, result };
      this.cache.set(key, entry);
    }
    return result;
  }

  stats(): { entries: number; hits: number; misses: number } {
    return { entries: this.cache.size, hits: this.hitCount, misses: this.missCount };
  }

  clear(): void {
    this.cache.clear();
  }
}

/** SHA-256 over the ordered certificate hashes; undefined for input we would not cache (non-Buffers). */
function cacheKey(chainDer: readonly Buffer[]): string | undefined {
  if (chainDer.length === 0 || chainDer.length > 16 || !chainDer.every((b) => Buffer.isBuffer(b))) return undefined;
  const h = createHash('sha256');
  for (const der of chainDer) h.update(derDigest(der));
  return h.digest('hex');
}
