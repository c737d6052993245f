import { afterAll, beforeAll } from 'vitest';
import { describeMappingConfigStoreContract } from '../../libs/mapping/config/mapping-config-store.contract';
import { PostgresMappingConfigStore } from '@gridauthz/persistence';
import { seedPools } from '../mapping/support/seed-pools';
import { databaseLabel, openTestDatabase, type TestDatabase } from '../support/test-database';

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => t?.close());

// One database for the file; each contract test starts from empty mapping tables (seedPools with no pools).
describeMappingConfigStoreContract(databaseLabel(), async (settings) => {
  await seedPools(t.db, []);
  return new PostgresMappingConfigStore(t.db, settings);
});
