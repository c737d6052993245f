import { silentLog } from '@gridauthz/domain';
import { Database } from '@gridauthz/persistence';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../migrations';
import { createTestStorage, databaseLabel, type TestStorage, usingPostgres } from '../support/test-database';

/** The serving connections' statement and lock timeouts (limits.requestDeadlineMs; docs/operations.md). */
describe.skipIf(!usingPostgres())(`statement timeout of serving connections (${databaseLabel()})`, () => {
  let storage: TestStorage;
  let db: Database;
  beforeAll(async () => {
    storage = await createTestStorage();
    db = await Database.open({ url: storage.url, dataDir: storage.dataDir, migrations: MIGRATIONS, log: silentLog, statementTimeoutMs: 300 });
  });
  afterAll(async () => {
    await db?.close();
    await storage?.dispose();
  });

  it('cancels a statement that runs past the timeout, in and out of transactions', async () => {
    await expect(db.query('SELECT pg_sleep(1)')).rejects.toThrow(/statement timeout/);
    await expect(db.transaction((m) => m.query('SELECT pg_sleep(1)'))).rejects.toThrow(/statement timeout/);
    expect(await db.ping()).toBe(true);
  });

  it('lets maintenance work run longer', async () => {
    const rows = await db.maintenanceTransaction((m) => m.query<{ ok: number }[]>('SELECT 1 AS ok FROM pg_sleep(0.6)'));
    expect(rows).toEqual([{ ok: 1 }]);
    // The exemption ends with its transaction.
    await expect(db.query('SELECT pg_sleep(1)')).rejects.toThrow(/statement timeout/);
  });
});
