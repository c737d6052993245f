import type { DecisionStorage } from '@gridauthz/decision';
import { type Database, insertDecisionRecord, PostgresLeaseStore } from '@gridauthz/persistence';

/**
 * Decision storage on the database: the lease store is bound to the decision's own transaction, so the lease
 * and the record that explains it commit together, or neither does.
 */
export function databaseDecisionStorage(db: Database): DecisionStorage {
  return {
    transaction: (work) => db.transaction((manager) => work({ leases: new PostgresLeaseStore(manager), record: (record) => insertDecisionRecord(manager, record) })),
  };
}
