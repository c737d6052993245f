import { Client } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { describeLeaseStoreContract } from '../../libs/mapping/lease/lease-store.contract';
import { sqlState } from '../../libs/persistence/mapping/sql-scope';
import { PostgresLeaseStore } from '@gridauthz/persistence';
import { databaseLabel, openTestDatabase, type TestDatabase } from '../support/test-database';
import { seedPools } from './support/seed-pools';

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => t?.close());

// One database for the file (opening PGlite takes seconds); each contract test starts from a truncated, reseeded one.
describeLeaseStoreContract(databaseLabel(), async (pools) => {
  await seedPools(t.db, pools);
  return new PostgresLeaseStore(t.db);
});

describe(`PostgresLeaseStore beyond the port on ${databaseLabel()}`, () => {
  const t0 = new Date('2026-01-01T00:00:00Z');
  const pools = [
    {
      id: 'dteam',
      kind: 'user' as const,
      accounts: [
        { poolId: 'dteam', username: 'dteam001', uid: 7001, gid: 5003 },
        { poolId: 'dteam', username: 'dteam002', uid: 7002, gid: 5003 },
      ],
    },
  ];

  it('keeps released leases as history and keeps held in step with the live lease', async () => {
    await seedPools(t.db, pools);
    const store = new PostgresLeaseStore(t.db);
    await store.acquire('dteam', 'k1', t0);
    await store.release('dteam', 'k1');
    await store.acquire('dteam', 'k2', t0);
    const rows = await t.db.dataSource.query<{ subject_key: string; username: string; released: boolean; release_reason: string | null }[]>(
      `SELECT l.subject_key, a.username, l.released_at IS NOT NULL AS released, l.release_reason
       FROM lease l JOIN pool_account a ON a.id = l.account_id ORDER BY l.id`,
    );
    expect(rows).toEqual([
      { subject_key: 'k1', username: 'dteam001', released: true, release_reason: 'released' },
      { subject_key: 'k2', username: 'dteam001', released: false, release_reason: null },
    ]);
    const held = await t.db.dataSource.query<{ username: string; held: boolean }[]>(`SELECT username, held FROM pool_account ORDER BY username`);
    expect(held).toEqual([
      { username: 'dteam001', held: true },
      { username: 'dteam002', held: false },
    ]);
  });

  it('with a cool-down, keeps a released account out of circulation until cool-down after its last use', async () => {
    await seedPools(t.db, pools);
    const store = new PostgresLeaseStore(t.db, { coolDownMs: 3_600_000 });
    await store.acquire('dteam', 'k1', t0);
    await store.release('dteam', 'k1');
    const during = await store.acquire('dteam', 'k2', new Date(t0.getTime() + 3_599_000));
    expect(during.ok && during.value.account.username).toBe('dteam002');
    const after = await store.acquire('dteam', 'k3', new Date(t0.getTime() + 3_600_000));
    expect(after.ok && after.value.account.username).toBe('dteam001');
  });

  it('skips disabled accounts', async () => {
    await seedPools(t.db, pools);
    await t.db.dataSource.query(`UPDATE pool_account SET enabled = false WHERE username = 'dteam001'`);
    const r = await new PostgresLeaseStore(t.db).acquire('dteam', 'k1', t0);
    expect(r.ok && r.value.account.username).toBe('dteam002');
  });

  describe('round trips', () => {
    // Every statement TypeORM sends, transaction control included, goes through the pg client's query method.
    const sent = (spy: { mock: { calls: unknown[][] } }): string[] =>
      spy.mock.calls.map(([q]) => (typeof q === 'string' ? q : String((q as { text?: unknown }).text)).replace(/\s+/g, ' ').trim());
    afterEach(() => vi.restoreAllMocks());

    it('sends one statement and no BEGIN/COMMIT per acquire, first-time or warm, when it has the Database', async () => {
      await seedPools(t.db, pools);
      const store = new PostgresLeaseStore(t.db);
      await store.acquire('dteam', 'warm-up', t0); // the pool's connection exists before counting starts
      const spy = vi.spyOn(Client.prototype, 'query');
      const first = await store.acquire('dteam', 'k1', t0);
      const warm = await store.acquire('dteam', 'k1', t0);
      expect(first.ok && first.value.created).toBe(true);
      expect(warm.ok && warm.value.created).toBe(false);
      const statements = sent(spy);
      expect(statements).toHaveLength(2);
      for (const statement of statements) expect(statement).toMatch(/^SELECT .* FROM gridauthz_acquire_lease\(\$1, \$2, \$3\)$/);
    });

    it("sends one statement per acquire inside a caller's transaction", async () => {
      await seedPools(t.db, pools);
      const inside: string[][] = [];
      await t.db.transaction(async (m) => {
        const store = new PostgresLeaseStore(m);
        for (const key of ['k1', 'k1', 'k2']) {
          const spy = vi.spyOn(Client.prototype, 'query');
          await store.acquire('dteam', key, t0);
          inside.push(sent(spy));
          spy.mockRestore();
        }
      });
      expect(inside.map((statements) => statements.length)).toEqual([1, 1, 1]);
    });

    it('surfaces a unique violation from the function, rolls the whole acquire back and sends it again', async () => {
      await seedPools(t.db, pools);
      // A live lease on dteam001 with held left false (state no store writes): the claim picks dteam001 and the
      // lease insert then violates lease_live_account_uq, after the claim has already set held.
      await t.db.query(
        `INSERT INTO lease (account_id, pool_id, subject_key) SELECT a.id, a.pool_id, 'squatter' FROM pool_account a WHERE a.username = 'dteam001'`,
      );
      const spy = vi.spyOn(Client.prototype, 'query');
      const err: unknown = await new PostgresLeaseStore(t.db, { maxAttempts: 3 }).acquire('dteam', 'k1', t0).catch((e: unknown) => e);
      expect(sqlState(err)).toBe('23505');
      expect(sent(spy).filter((s) => s.includes('gridauthz_acquire_lease'))).toHaveLength(3);
      spy.mockRestore();
      const held = await t.db.query<{ username: string; held: boolean }[]>(`SELECT username, held FROM pool_account ORDER BY username`);
      expect(held).toEqual([
        { username: 'dteam001', held: false },
        { username: 'dteam002', held: false },
      ]);
      expect((await new PostgresLeaseStore(t.db).list()).map((l) => l.subjectKey)).toEqual(['squatter']);
    });
  });

  it('never moves lastUsedAt backwards when a replica with a slower clock touches the lease', async () => {
    await seedPools(t.db, pools);
    const store = new PostgresLeaseStore(t.db);
    await store.acquire('dteam', 'k1', new Date(t0.getTime() + 1000));
    await store.acquire('dteam', 'k1', t0);
    expect((await store.list())[0]?.lastUsedAt).toEqual(new Date(t0.getTime() + 1000));
  });
});
