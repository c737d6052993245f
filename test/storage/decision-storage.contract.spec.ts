import { afterAll, beforeAll } from 'vitest';
import { describeDecisionStorageContract } from '../../libs/decision/decision-storage.contract';
import { PostgresLeaseStore } from '@gridauthz/persistence';
import { databaseDecisionStorage } from '../../apps/server/site/decision-storage';
import { seedPools } from '../mapping/support/seed-pools';
import { databaseLabel, openTestDatabase, type TestDatabase } from '../support/test-database';

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => t?.close());

// The server's decision storage (transaction on the database, group-committing writer for record and the warm
// path). One database for the file; each contract test starts from freshly seeded pools.
describeDecisionStorageContract(
  databaseLabel(),
  async (pools) => {
    await seedPools(t.db, pools);
    // decision_record is append-only (no TRUNCATE): a test sees the records written since it started.
    const ids = async (): Promise<string[]> => (await t.db.query<{ id: string }[]>(`SELECT id FROM decision_record`)).map((r) => String(r.id));
    const earlier = new Set(await ids());
    return {
      storage: databaseDecisionStorage(t.db),
      leases: new PostgresLeaseStore(t.db),
      recordIds: async () => (await ids()).filter((id) => !earlier.has(id)),
    };
  },
  { leasesRollBack: true },
);
