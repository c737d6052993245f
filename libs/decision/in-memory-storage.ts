import { InMemoryLeaseStore, type ExpandedPool } from '@gridauthz/mapping';
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

  constructor(pools: readonly ExpandedPool[]) {
    this.leases = new InMemoryLeaseStore(pools);
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
    // Accounts of an in-memory pool never change, so the username identifies the account.
    if (!here || here.username !== lease.account.username) return false;
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
