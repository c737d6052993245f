import { InMemoryLeaseStore, type ExpandedPool, type PoolAccount } from '@gridauthz/mapping';
import type { DecisionRecord } from './decision-record';
import type { DecisionStorage, DecisionTransaction, HeldLease } from './ports';

/**
 * Decision storage in memory, for unit tests and examples. Records written by a transaction that throws are
 * discarded, as the database would; leases are not rolled back (the in-memory lease store has no undo), which
 * the tests that need atomicity run against PostgreSQL and PGlite instead.
 */
export class InMemoryDecisionStorage implements DecisionStorage {
  readonly records: DecisionRecord[] = [];
  readonly leases: InMemoryLeaseStore;
  /** Set to make the next transaction fail, as a broken database would. */
  failNext: Error | undefined;

  private readonly accounts: ReadonlyMap<string, PoolAccount>;

  constructor(pools: readonly ExpandedPool[]) {
    this.leases = new InMemoryLeaseStore(pools);
    this.accounts = new Map(pools.flatMap((p) => p.accounts.map((a) => [`${p.id}\u0000${a.username}`, a] as const)));
  }

  async transaction<T>(work: (tx: DecisionTransaction) => Promise<T>): Promise<T> {
    this.failIfAsked();
    const pending: DecisionRecord[] = [];
    const value = await work({ leases: this.leases, record: async (r) => void pending.push(r) });
    this.records.push(...pending);
    return value;
  }

  async record(record: DecisionRecord): Promise<void> {
    this.failIfAsked();
    this.records.push(record);
  }

  async recordOnLiveLease(lease: HeldLease, record: DecisionRecord): Promise<boolean> {
    this.failIfAsked();
    const live = await this.leases.list({ subjectKey: lease.subjectKey });
    const here = live.find((l) => l.poolId === lease.poolId);
    // The account as given: a changed uid or gid is another account (ports.ts), as in the database.
    const stored = here && this.accounts.get(`${here.poolId}\u0000${here.username}`);
    if (!here || !stored || stored.username !== lease.account.username || stored.uid !== lease.account.uid || stored.gid !== lease.account.gid) return false;
    if (lease.exclusiveKey && live.some((l) => l.poolId !== lease.poolId)) return false;
    this.records.push(record);
    return true;
  }

  private failIfAsked(): void {
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = undefined;
      throw err;
    }
  }
}
