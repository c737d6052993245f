import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresLeaseStore } from '@gridauthz/persistence';
import { openTestDatabase, usingPostgres, type TestDatabase } from '../support/test-database';
import { seedPools } from './support/seed-pools';

class RollBack extends Error {}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Interleavings the concurrency test can only hit by chance, forced here by holding one transaction open while a
 * second connection runs. PostgreSQL only: PGlite has one connection, so a second transaction would wait for the
 * first one to end and the interleaving cannot happen there.
 */
describe.skipIf(!usingPostgres())('lease races on postgres', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(async () => t?.close());

  const t0 = new Date('2026-01-01T00:00:00Z');
  const t1 = new Date('2026-01-02T00:00:00Z');
  const t2 = new Date('2026-01-03T00:00:00Z');
  const pool = (count: number) => ({
    id: 'p',
    kind: 'user' as const,
    accounts: Array.from({ length: count }, (_, i) => ({ poolId: 'p', username: `p00${i + 1}`, uid: 7000 + i, gid: 5000 })),
  });

  it('releaseIdle spares a lease an acquire touches while the release waits for it', async () => {
    await seedPools(t.db, [pool(2)]);
    const store = new PostgresLeaseStore(t.db);
    await store.acquire('p', 'k', t0);
    let releasing: Promise<readonly unknown[]> | undefined;
    let settledEarly = false;
    await t.db.transaction(async (m) => {
      await new PostgresLeaseStore(m).acquire('p', 'k', t2); // holds the lease row until commit
      releasing = store.releaseIdle(t1);
      void releasing.then(() => (settledEarly = true));
      await settle(300);
    });
    expect(settledEarly).toBe(false); // it really waited for the touch
    expect(await releasing).toEqual([]);
    expect((await store.list()).map((l) => [l.subjectKey, l.lastUsedAt])).toEqual([['k', t2]]);
  });

  it("an acquire that waited on the key's lock finds the lease its predecessor committed, without a retry", async () => {
    await seedPools(t.db, [pool(2)]);
    // One attempt: had the touch run on a snapshot from before the wait, this acquire would claim p002 and its
    // insert would hit lease_live_pool_key_uq, which only a retry could paper over.
    const store = new PostgresLeaseStore(t.db, { maxAttempts: 1 });
    let waiting: ReturnType<PostgresLeaseStore['acquire']> | undefined;
    let settledEarly = false;
    await t.db.transaction(async (m) => {
      const first = await new PostgresLeaseStore(m).acquire('p', 'k', t0);
      expect(first.ok && first.value.created).toBe(true);
      waiting = store.acquire('p', 'k', t1); // one statement, already running when the first commits
      const settled = (): boolean => (settledEarly = true);
      void waiting.then(settled, settled); // a failure is reported by the await below
      await settle(300);
    });
    expect(settledEarly).toBe(false); // it really waited on the advisory lock
    const second = await waiting;
    expect(second?.ok && second.value).toEqual({ account: { poolId: 'p', username: 'p001', uid: 7000, gid: 5000 }, created: false });
    expect((await store.list()).map((l) => [l.subjectKey, l.username, l.lastUsedAt])).toEqual([['k', 'p001', t1]]);
  });

  it("an acquire queues behind an import's upsert of the same key (the two take the same advisory lock)", async () => {
    await seedPools(t.db, [pool(2)]);
    const store = new PostgresLeaseStore(t.db, { maxAttempts: 1 });
    let waiting: ReturnType<PostgresLeaseStore['acquire']> | undefined;
    let settledEarly = false;
    await t.db.transaction(async (m) => {
      const imported = await new PostgresLeaseStore(m).upsert([{ poolId: 'p', subjectKey: 'k', username: 'p002', lastUsedAt: t0 }], t0);
      expect(imported.ok).toBe(true);
      waiting = store.acquire('p', 'k', t1);
      const settled = (): boolean => (settledEarly = true);
      void waiting.then(settled, settled);
      await settle(300);
    });
    expect(settledEarly).toBe(false);
    const acquired = await waiting;
    expect(acquired?.ok && acquired.value).toEqual({ account: { poolId: 'p', username: 'p002', uid: 7001, gid: 5000 }, created: false });
  });

  it('does not report exhaustion while the only free account is locked by a claimer that then rolls back', async () => {
    await seedPools(t.db, [pool(1)]);
    const store = new PostgresLeaseStore(t.db);
    let waiting: ReturnType<PostgresLeaseStore['acquire']> | undefined;
    await t.db
      .transaction(async (m) => {
        const claimed = await new PostgresLeaseStore(m).acquire('p', 'first', t0);
        expect(claimed.ok).toBe(true);
        waiting = store.acquire('p', 'second', t0);
        await settle(300);
        throw new RollBack();
      })
      .catch((err: unknown) => {
        if (!(err instanceof RollBack)) throw err;
      });
    const second = await waiting;
    expect(second?.ok && second.value).toEqual({ account: { poolId: 'p', username: 'p001', uid: 7000, gid: 5000 }, created: true });
  });

  it('reports exhaustion once that claimer commits', async () => {
    await seedPools(t.db, [pool(1)]);
    const store = new PostgresLeaseStore(t.db);
    let waiting: ReturnType<PostgresLeaseStore['acquire']> | undefined;
    await t.db.transaction(async (m) => {
      await new PostgresLeaseStore(m).acquire('p', 'first', t0);
      waiting = store.acquire('p', 'second', t0);
      await settle(300);
    });
    const second = await waiting;
    expect(!second?.ok && second?.error.code).toBe('MAPPING_POOL_EXHAUSTED');
  });
});
