import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import type { ExpandedPool } from '@gridauthz/mapping';
import { Database, PostgresLeaseStore } from '@gridauthz/persistence';
import { MIGRATIONS } from '../../migrations';
import { createTestStorage, databaseLabel, usingPostgres, type TestStorage } from '../support/test-database';
import { acquireInProcesses, type AcquireOutcome } from './support/acquire-workers';
import { seedPools } from './support/seed-pools';

const ACCOUNTS = 1000;
const now = new Date('2026-03-01T12:00:00Z');
const range = (id: string, count: number, firstUid: number): ExpandedPool => ({
  id,
  kind: 'user',
  accounts: Array.from({ length: count }, (_, i) => ({ poolId: id, username: `${id}${String(i + 1).padStart(4, '0')}`, uid: firstUid + i, gid: 5000 })),
});
const keys = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `%2fdc%3dorg%2fcn%3d${prefix}${i}`);

/**
 * The acceptance test for "one account, one holder" across replicas: two server processes with their own connection
 * pools race for one pool on one PostgreSQL. PGlite serves a single process, so there both halves run in one
 * process, concurrently, over its one connection.
 */
describe(`lease acquisition under concurrency on ${databaseLabel()}`, () => {
  let storage: TestStorage;
  let db: Database;
  const open = (): Promise<Database> => Database.open({ url: storage.url, dataDir: storage.dataDir, migrations: MIGRATIONS, log: silentLog, poolSize: 10 });

  beforeAll(async () => {
    storage = await createTestStorage();
    db = await open();
    await db.migrate();
  });
  afterAll(async () => {
    await db?.close();
    await storage?.dispose();
  });

  const acquireBoth = async (poolId: string, halves: readonly (readonly string[])[]): Promise<AcquireOutcome[]> => {
    if (usingPostgres()) return (await acquireInProcesses(storage.url as string, poolId, halves, now)).flat();
    const stores = halves.map(() => new PostgresLeaseStore(db));
    const results = await Promise.all(
      halves.map((half, i) =>
        Promise.all(
          half.map(async (key): Promise<AcquireOutcome> => {
            const r = await (stores[i] as PostgresLeaseStore).acquire(poolId, key, now);
            return r.ok ? { key, username: r.value.account.username, created: r.value.created } : { key, error: r.error.code };
          }),
        ),
      ),
    );
    return results.flat();
  };

  it(`gives ${ACCOUNTS} first-time subjects from two ${usingPostgres() ? 'processes' : 'halves'} ${ACCOUNTS} distinct accounts, then reports exhaustion`, async () => {
    await seedPools(db, [range('load', ACCOUNTS, 100_000), range('hot', 5, 200_000)]);
    const outcomes = await acquireBoth('load', [keys('a', ACCOUNTS / 2), keys('b', ACCOUNTS / 2)]);
    expect(outcomes.filter((o) => 'error' in o)).toEqual([]);
    const usernames = outcomes.flatMap((o) => ('username' in o ? [o.username] : []));
    expect(usernames).toHaveLength(ACCOUNTS);
    expect(new Set(usernames).size).toBe(ACCOUNTS);
    expect(outcomes.every((o) => 'created' in o && o.created)).toBe(true);

    const [state] = await db.dataSource.query<{ live: number; accounts: number; held: number }[]>(
      `SELECT (SELECT count(*)::int FROM lease WHERE released_at IS NULL) AS live,
              (SELECT count(DISTINCT account_id)::int FROM lease WHERE released_at IS NULL) AS accounts,
              (SELECT count(*)::int FROM pool_account a JOIN pool p ON p.id = a.pool_id WHERE p.name = 'load' AND a.held) AS held`,
    );
    expect(state).toEqual({ live: ACCOUNTS, accounts: ACCOUNTS, held: ACCOUNTS });

    const next = await new PostgresLeaseStore(db).acquire('load', 'one-too-many', now);
    expect(!next.ok && next.error.code).toBe('MAPPING_POOL_EXHAUSTED');
  }, 90_000);

  it('hands one key asked 100 times concurrently exactly one account', async () => {
    const hot = '%2fdc%3dorg%2fcn%3dhot';
    const outcomes = await acquireBoth('hot', [Array.from({ length: 50 }, () => hot), Array.from({ length: 50 }, () => hot)]);
    expect(outcomes).toHaveLength(100);
    expect(new Set(outcomes.map((o) => ('username' in o ? o.username : o.error)))).toEqual(new Set(['hot0001']));
    expect(outcomes.filter((o) => 'created' in o && o.created)).toHaveLength(1);
    expect(await new PostgresLeaseStore(db).list({ poolId: 'hot' })).toHaveLength(1);
  }, 60_000);

  it('keeps a lease across closing and reopening the database', async () => {
    const before = await new PostgresLeaseStore(db).list({ poolId: 'hot' });
    await db.close();
    db = await open();
    const store = new PostgresLeaseStore(db);
    expect(await store.list({ poolId: 'hot' })).toEqual(before);
    const again = await store.acquire('hot', '%2fdc%3dorg%2fcn%3dhot', new Date(now.getTime() + 1000));
    expect(again.ok && again.value).toEqual({ account: { poolId: 'hot', username: 'hot0001', uid: 200_000, gid: 5000 }, created: false });
    const other = await store.acquire('hot', 'someone-else', now);
    expect(other.ok && other.value.account.username).toBe('hot0002');
  }, 60_000);
});
