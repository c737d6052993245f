import { LRUCache } from 'lru-cache';
import type { PoolAccount } from '@gridauthz/mapping';

interface Seen {
  readonly account: PoolAccount;
  /** Decision time (ms) of the acquire that last touched the lease from this process. */
  readonly touchedAtMs: number;
}

/**
 * Leases this process acquired or touched recently, by (pool, lease key): a hint, never the truth. The database
 * confirms each one (recordOnLiveLease) before a Permit relies on it; a hint that fails confirmation is dropped.
 * Bounded, least recently used out first.
 */
export class RecentLeases {
  private readonly seen: LRUCache<string, Seen>;

  constructor(capacity = 10_000) {
    this.seen = new LRUCache<string, Seen>({ max: capacity });
  }

  /** The account to try, if this process touched the lease less than `intervalMs` before `nowMs`. */
  fresh(poolId: string, subjectKey: string, nowMs: number, intervalMs: number): PoolAccount | undefined {
    const key = slot(poolId, subjectKey);
    // peek: a hint too old to use is not made more recent by being looked at.
    const entry = this.seen.peek(key);
    if (!entry) return undefined;
    const age = nowMs - entry.touchedAtMs;
    // A clock step backwards (negative age) also forces a real touch.
    if (age < 0 || age >= intervalMs) return undefined;
    this.seen.get(key); // most recently used
    return entry.account;
  }

  remember(poolId: string, subjectKey: string, account: PoolAccount, nowMs: number): void {
    const key = slot(poolId, subjectKey);
    this.seen.set(key, { account, touchedAtMs: nowMs });
  }

  forget(poolId: string, subjectKey: string): void {
    this.seen.delete(slot(poolId, subjectKey));
  }

  get size(): number {
    return this.seen.size;
  }
}

function slot(poolId: string, subjectKey: string): string {
  return `${poolId}\u0000${subjectKey}`;
}
