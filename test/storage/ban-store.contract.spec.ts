import { afterAll, beforeAll } from 'vitest';
import { describeBanStoreContract } from '../../libs/mapping/ban/ban-store.contract';
import { PostgresBanStore } from '@gridauthz/persistence';
import { databaseLabel, openTestDatabase, type TestDatabase } from '../support/test-database';

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => t?.close());

// One database for the file (opening PGlite takes seconds); each contract test starts from an empty ban table.
describeBanStoreContract(databaseLabel(), async () => {
  await t.db.query(`TRUNCATE ban RESTART IDENTITY`);
  return new PostgresBanStore(t.db);
});
