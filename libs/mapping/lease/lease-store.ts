import type { Result } from '@gridauthz/domain';
import type { PoolAccount } from '../pool/pool';

/** An account held by a subject key in one pool (ARCHITECTURE "Data": lease). */
export interface Lease {
  readonly poolId: string;
  /** The gridmapdir lease name, verbatim (mapping.md §2.3). */
  readonly subjectKey: string;
  readonly username: string;
  readonly createdAt: Date;
  /** Refreshed by every acquire, like the mtime LCMAPS and Argus touch (§2.5). */
  readonly lastUsedAt: Date;
}

/** A lease to write as is, e.g. from a gridmapdir import. */
export interface LeaseRecord {
  readonly poolId: string;
  readonly subjectKey: string;
  readonly username: string;
  readonly lastUsedAt: Date;
}

export interface LeaseFilter {
  readonly poolId?: string;
  readonly subjectKey?: string;
  readonly username?: string;
}

export interface LeaseUpsertSummary {
  readonly inserted: number;
  /** Existing leases whose lastUsedAt moved forward. */
  readonly updated: number;
  readonly unchanged: number;
}

export type AcquireError = 'MAPPING_POOL_EXHAUSTED' | 'MAPPING_UNKNOWN_POOL';
export type LeaseUpsertError = 'MAPPING_LEASE_CONFLICT' | 'MAPPING_UNKNOWN_POOL' | 'MAPPING_UNKNOWN_ACCOUNT';

/**
 * Pool leases. Invariants every implementation keeps under any concurrency (the contract suite in
 * lease-store.contract.ts checks them): a subject key holds at most one account per pool; an account is held by
 * at most one key; a key gets the same account on every acquire until the lease is released.
 * Domain outcomes are values; infrastructure failures (database down) reject the promise.
 */
export interface LeaseStore {
  /**
   * Returns the key's account in the pool, or leases the free account with the lowest username (byte order;
   * Postgres: COLLATE "C") and returns it with created=true. Sets lastUsedAt to `now` either way.
   */
  acquire(poolId: string, subjectKey: string, now: Date): Promise<Result<{ account: PoolAccount; created: boolean }, AcquireError>>;
  /** Ends the lease; the account is free at once. Returns the released lease, or undefined if there was none. */
  release(poolId: string, subjectKey: string): Promise<Lease | undefined>;
  /** Leases matching every given field, ordered by pool id then username. */
  list(filter?: LeaseFilter): Promise<readonly Lease[]>;
  /**
   * Releases, atomically with the check, every lease (optionally of one pool) last used strictly before
   * `idleBefore` whose account is not in `keep`. A lease touched concurrently with a newer time survives.
   * The cutoff comes from the pure rule in lease-expiry.ts.
   */
  releaseIdle(idleBefore: Date, options?: { readonly poolId?: string; readonly keep?: ReadonlySet<string> }): Promise<readonly Lease[]>;
  /**
   * Writes leases as given (import). All or nothing: any record whose key holds another account in that pool,
   * or whose account is held by another key, fails the whole call with MAPPING_LEASE_CONFLICT. Idempotent:
   * writing the same records again changes nothing; lastUsedAt only moves forward.
   */
  upsert(records: readonly LeaseRecord[], now: Date): Promise<Result<LeaseUpsertSummary, LeaseUpsertError>>;
}
