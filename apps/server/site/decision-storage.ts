import type { DecisionStorage } from '@gridauthz/decision';
import { type Database, DecisionRecordWriter, insertDecisionRecord, PostgresLeaseStore } from '@gridauthz/persistence';

/**
 * Decision storage on the database. The cold path binds the lease store to the decision's own transaction, so a
 * lease and the record that explains it commit together, or neither does. Records without a lease, and warm
 * Permits on a lease confirmed by the same statement, go through one group-committing writer per process.
 */
export function databaseDecisionStorage(db: Database): DecisionStorage {
  const writer = new DecisionRecordWriter(db);
  return {
    transaction: (work) => db.transaction((manager) => work({ leases: new PostgresLeaseStore(manager), record: (record) => insertDecisionRecord(manager, record) })),
    record: (record) => writer.record(record),
    recordOnLiveLease: (lease, record) => writer.recordOnLiveLease(lease, record),
  };
}
