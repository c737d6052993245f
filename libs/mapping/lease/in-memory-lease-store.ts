import { fail, ok, type Result } from '@gridauthz/domain';
import type { ExpandedPool, PoolAccount } from '../pool/pool';
import type { AcquireError, Lease, LeaseFilter, LeaseRecord, LeaseStore, LeaseUpsertError, LeaseUpsertSummary } from './lease-store';

/**
 * LeaseStore in process memory, for tests and single-process tools. Every method does its work synchronously
 * before its first await, so concurrent calls on the event loop cannot interleave inside one operation.
 */
export class InMemoryLeaseStore implements LeaseStore {
  private readonly pools: ReadonlyMap<string, ExpandedPool>;
  /** `${poolId}\0${subjectKey}` → lease. */
  private readonly byKey = new Map<string, Lease>();
  /** username → lease; usernames are unique site-wide. */
  private readonly byAccount = new Map<string, Lease>();

  constructor(pools: readonly ExpandedPool[]) {
    this.pools = new Map(pools.map((p) => [p.id, p]));
  }

  async acquire(poolId: string, subjectKey: string, now: Date): Promise<Result<{ account: PoolAccount; created: boolean }, AcquireError>> {
    const pool = this.pools.get(poolId);
    if (!pool || pool.kind === 'static') return fail('MAPPING_UNKNOWN_POOL', `no leasable pool ${poolId}`);
    const k = slot(poolId, subjectKey);
    const existing = this.byKey.get(k);
    if (existing) {
      this.put(usedAt(existing, now));
      return ok({ account: accountOf(pool, existing.username), created: false });
    }
    // Pool accounts are kept sorted by username, so the first free one is the lowest.
    const free = pool.accounts.find((a) => !this.byAccount.has(a.username));
    if (!free) return fail('MAPPING_POOL_EXHAUSTED', `pool ${poolId} has no free account for ${subjectKey}`);
    this.put({ poolId, subjectKey, username: free.username, createdAt: now, lastUsedAt: now });
    return ok({ account: free, created: true });
  }

  async release(poolId: string, subjectKey: string): Promise<Lease | undefined> {
    const lease = this.byKey.get(slot(poolId, subjectKey));
    if (lease) this.drop(lease);
    return lease;
  }

  async list(filter: LeaseFilter = {}): Promise<readonly Lease[]> {
    return [...this.byKey.values()]
      .filter((l) => (filter.poolId === undefined || l.poolId === filter.poolId) && (filter.subjectKey === undefined || l.subjectKey === filter.subjectKey) && (filter.username === undefined || l.username === filter.username))
      .sort((a, b) => cmp(a.poolId, b.poolId) || cmp(a.username, b.username));
  }

  async releaseIdle(idleBefore: Date, options: { poolId?: string; keep?: ReadonlySet<string> } = {}): Promise<readonly Lease[]> {
    const released: Lease[] = [];
    for (const lease of [...this.byKey.values()]) {
      if (options.poolId !== undefined && lease.poolId !== options.poolId) continue;
      if (options.keep?.has(lease.username)) continue;
      if (lease.lastUsedAt.getTime() >= idleBefore.getTime()) continue;
      this.drop(lease);
      released.push(lease);
    }
    return released.sort((a, b) => cmp(a.poolId, b.poolId) || cmp(a.username, b.username));
  }

  async upsert(records: readonly LeaseRecord[], now: Date): Promise<Result<LeaseUpsertSummary, LeaseUpsertError>> {
    // Check everything against the current state plus the batch itself before writing anything.
    const claimedKeys = new Map<string, string>();
    const claimedAccounts = new Map<string, string>();
    for (const r of records) {
      const pool = this.pools.get(r.poolId);
      if (!pool || pool.kind === 'static') return fail('MAPPING_UNKNOWN_POOL', `no leasable pool ${r.poolId}`);
      if (!pool.accounts.some((a) => a.username === r.username)) return fail('MAPPING_UNKNOWN_ACCOUNT', `${r.username} is not an account of pool ${r.poolId}`);
      const k = slot(r.poolId, r.subjectKey);
      const keyHolder = claimedKeys.get(k) ?? this.byKey.get(k)?.username;
      if (keyHolder !== undefined && keyHolder !== r.username) return fail('MAPPING_LEASE_CONFLICT', `${r.subjectKey} in ${r.poolId} holds ${keyHolder}, not ${r.username}`);
      const held = this.byAccount.get(r.username);
      const accountHolder = claimedAccounts.get(r.username) ?? (held ? slot(held.poolId, held.subjectKey) : undefined);
      if (accountHolder !== undefined && accountHolder !== k) return fail('MAPPING_LEASE_CONFLICT', `${r.username} is already leased to another key`);
      claimedKeys.set(k, r.username);
      claimedAccounts.set(r.username, k);
    }
    let inserted = 0;
    let updated = 0;
    let unchanged = 0;
    for (const r of records) {
      const existing = this.byKey.get(slot(r.poolId, r.subjectKey));
      if (!existing) {
        this.put({ poolId: r.poolId, subjectKey: r.subjectKey, username: r.username, createdAt: now, lastUsedAt: r.lastUsedAt });
        inserted += 1;
      } else if (r.lastUsedAt.getTime() > existing.lastUsedAt.getTime()) {
        this.put(usedAt(existing, r.lastUsedAt));
        updated += 1;
      } else {
        unchanged += 1;
      }
    }
    return ok({ inserted, updated, unchanged });
  }

  private put(lease: Lease): void {
    this.byKey.set(slot(lease.poolId, lease.subjectKey), lease);
    this.byAccount.set(lease.username, lease);
  }

  private drop(lease: Lease): void {
    this.byKey.delete(slot(lease.poolId, lease.subjectKey));
    this.byAccount.delete(lease.username);
  }
}

function slot(poolId: string, subjectKey: string): string {
  return `${poolId}\u0000${subjectKey}`;
}

function accountOf(pool: ExpandedPool, username: string): PoolAccount {
  const account = pool.accounts.find((a) => a.username === username);
  if (!account) throw new Error(`lease names ${username}, which is not in pool ${pool.id}`);
  return account;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function usedAt(l: Lease, lastUsedAt: Date): Lease {
  return { poolId: l.poolId, subjectKey: l.subjectKey, username: l.username, createdAt: l.createdAt, lastUsedAt };
}
