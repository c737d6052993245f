import { beforeEach, describe, expect, it } from 'vitest';
import type { ExpandedPool } from '../pool/pool';
import type { LeaseStore } from './lease-store';

/**
 * The behaviour every LeaseStore must show. An implementation's spec calls
 * `describeLeaseStoreContract('postgres', async (pools) => ...)`; `makeStore` must return a store whose pools and
 * accounts are exactly `pools` and which holds no leases.
 */
export function describeLeaseStoreContract(name: string, makeStore: (pools: readonly ExpandedPool[]) => Promise<LeaseStore>): void {
  const account = (poolId: string, username: string, uid: number, gid: number) => ({ poolId, username, uid, gid });
  const pools: readonly ExpandedPool[] = [
    {
      id: 'dteam',
      kind: 'user',
      accounts: [account('dteam', 'dteam001', 7001, 5003), account('dteam', 'dteam002', 7002, 5003), account('dteam', 'dteam003', 7003, 5003)],
    },
    // Byte order puts upper case first ("pilB" < "pila"); a locale collation would not. Stores must use byte order.
    { id: 'pil', kind: 'pilot', accounts: [account('pil', 'pilB', 8002, 5001), account('pil', 'pila', 8001, 5001)] },
    { id: 'atlas', kind: 'user', accounts: [account('atlas', 'atlas001', 6001, 5000), account('atlas', 'atlas002', 6002, 5000)] },
    { id: 'local', kind: 'static', accounts: [account('local', 'localuser', 9000, 5003)] },
  ];
  const t0 = new Date('2026-01-01T00:00:00Z');
  const t1 = new Date('2026-01-02T00:00:00Z');
  const t2 = new Date('2026-01-03T00:00:00Z');

  describe(`LeaseStore contract: ${name}`, () => {
    let store: LeaseStore;
    beforeEach(async () => {
      store = await makeStore(pools);
    });

    const acquire = async (poolId: string, key: string, now = t0): Promise<string> => {
      const r = await store.acquire(poolId, key, now);
      if (!r.ok) throw new Error(`acquire ${poolId}/${key}: ${r.error.code}`);
      return r.value.account.username;
    };

    it('gives the same key the same account every time, created only the first time', async () => {
      const first = await store.acquire('dteam', 'k1', t0);
      const again = await store.acquire('dteam', 'k1', t1);
      expect(first.ok && first.value).toEqual({ account: account('dteam', 'dteam001', 7001, 5003), created: true });
      expect(again.ok && again.value).toEqual({ account: account('dteam', 'dteam001', 7001, 5003), created: false });
      expect(await store.list({ subjectKey: 'k1' })).toHaveLength(1);
    });

    it('gives distinct keys distinct accounts, lowest username first', async () => {
      expect([await acquire('dteam', 'k1'), await acquire('dteam', 'k2'), await acquire('dteam', 'k3')]).toEqual(['dteam001', 'dteam002', 'dteam003']);
    });

    it('orders usernames by bytes, not by locale', async () => {
      expect(await acquire('pil', 'k1')).toBe('pilB');
      expect(await acquire('pil', 'k2')).toBe('pila');
    });

    it('fails with MAPPING_POOL_EXHAUSTED when every account is held, leaving existing leases alone', async () => {
      for (const k of ['k1', 'k2', 'k3']) await acquire('dteam', k);
      const r = await store.acquire('dteam', 'k4', t1);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error.code).toBe('MAPPING_POOL_EXHAUSTED');
      expect((await store.list({ poolId: 'dteam' })).map((l) => l.subjectKey)).toEqual(['k1', 'k2', 'k3']);
      expect(await acquire('dteam', 'k2', t1)).toBe('dteam002');
    });

    it('fails with MAPPING_UNKNOWN_POOL for an unknown or static pool', async () => {
      for (const poolId of ['nope', 'local']) {
        const r = await store.acquire(poolId, 'k1', t0);
        expect(!r.ok && r.error.code, poolId).toBe('MAPPING_UNKNOWN_POOL');
      }
    });

    it('hands one account to 100 concurrent acquires of one key', async () => {
      const results = await Promise.all(Array.from({ length: 100 }, () => store.acquire('dteam', 'hot', t0)));
      const names = new Set(results.map((r) => (r.ok ? r.value.account.username : r.error.code)));
      expect([...names]).toEqual(['dteam001']);
      expect(results.filter((r) => r.ok && r.value.created)).toHaveLength(1);
      expect(await store.list()).toHaveLength(1);
    });

    it('never gives one account to two keys under concurrent acquires of many keys', async () => {
      const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
      const results = await Promise.all(keys.map((k) => store.acquire('dteam', k, t0)));
      const won = results.flatMap((r) => (r.ok ? [r.value.account.username] : []));
      expect(won.sort()).toEqual(['dteam001', 'dteam002', 'dteam003']);
      expect(results.filter((r) => !r.ok && r.error.code === 'MAPPING_POOL_EXHAUSTED')).toHaveLength(7);
    });

    it('keys leases per pool: one key may hold one account in each pool', async () => {
      expect(await acquire('dteam', 'k1')).toBe('dteam001');
      expect(await acquire('atlas', 'k1')).toBe('atlas001');
      expect((await store.list({ subjectKey: 'k1' })).map((l) => `${l.poolId}/${l.username}`)).toEqual(['atlas/atlas001', 'dteam/dteam001']);
    });

    it('refreshes lastUsedAt on reuse and keeps createdAt', async () => {
      await acquire('dteam', 'k1', t0);
      await acquire('dteam', 'k1', t1);
      expect(await store.list({ subjectKey: 'k1' })).toEqual([{ poolId: 'dteam', subjectKey: 'k1', username: 'dteam001', createdAt: t0, lastUsedAt: t1 }]);
    });

    it('frees an account on release; the lowest free account goes to the next new key', async () => {
      for (const k of ['k1', 'k2', 'k3']) await acquire('dteam', k);
      const released = await store.release('dteam', 'k2');
      expect(released?.username).toBe('dteam002');
      expect(await store.release('dteam', 'k2')).toBeUndefined();
      expect(await acquire('dteam', 'k4', t1)).toBe('dteam002');
      const again = await store.acquire('dteam', 'k2', t1);
      expect(!again.ok && again.error.code).toBe('MAPPING_POOL_EXHAUSTED');
    });

    it('release then reacquire of the same key gives a lease created anew', async () => {
      await acquire('dteam', 'k1', t0);
      await store.release('dteam', 'k1');
      const r = await store.acquire('dteam', 'k1', t1);
      expect(r.ok && r.value).toEqual({ account: account('dteam', 'dteam001', 7001, 5003), created: true });
      expect((await store.list({ subjectKey: 'k1' }))[0]?.createdAt).toEqual(t1);
    });

    it('releases idle leases strictly older than the cutoff, sparing recently used and kept accounts', async () => {
      await acquire('dteam', 'old', t0);
      await acquire('dteam', 'reused', t0);
      await acquire('dteam', 'reused', t2);
      await acquire('atlas', 'kept', t0);
      await acquire('atlas', 'edge', t1);
      const released = await store.releaseIdle(t1, { keep: new Set(['atlas001']) });
      expect(released.map((l) => `${l.poolId}/${l.subjectKey}`)).toEqual(['dteam/old']);
      expect((await store.list()).map((l) => l.subjectKey).sort()).toEqual(['edge', 'kept', 'reused']);
      expect(await store.releaseIdle(t2, { poolId: 'atlas' })).toHaveLength(2);
      expect((await store.list()).map((l) => l.subjectKey)).toEqual(['reused']);
    });

    it('upserts imported leases idempotently, lastUsedAt only moving forward', async () => {
      const records = [
        { poolId: 'dteam', subjectKey: 'k1', username: 'dteam003', lastUsedAt: t1 },
        { poolId: 'atlas', subjectKey: 'k1', username: 'atlas002', lastUsedAt: t0 },
      ];
      const first = await store.upsert(records, t2);
      expect(first.ok && first.value).toEqual({ inserted: 2, updated: 0, unchanged: 0 });
      const second = await store.upsert(records, t2);
      expect(second.ok && second.value).toEqual({ inserted: 0, updated: 0, unchanged: 2 });
      const older = await store.upsert([{ ...records[0]!, lastUsedAt: t0 }], t2);
      expect(older.ok && older.value).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
      const newer = await store.upsert([{ ...records[0]!, lastUsedAt: t2 }], t2);
      expect(newer.ok && newer.value).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
      // Imported leases are honoured by acquire and block their accounts for other keys.
      expect(await acquire('dteam', 'k1', t2)).toBe('dteam003');
      expect(await acquire('dteam', 'k9', t2)).toBe('dteam001');
    });

    it('rejects a conflicting upsert as a whole', async () => {
      await acquire('dteam', 'k1', t0);
      const bad = await store.upsert(
        [
          { poolId: 'dteam', subjectKey: 'k2', username: 'dteam002', lastUsedAt: t1 },
          { poolId: 'dteam', subjectKey: 'k3', username: 'dteam001', lastUsedAt: t1 },
        ],
        t1,
      );
      expect(!bad.ok && bad.error.code).toBe('MAPPING_LEASE_CONFLICT');
      const keyClash = await store.upsert([{ poolId: 'dteam', subjectKey: 'k1', username: 'dteam003', lastUsedAt: t1 }], t1);
      expect(!keyClash.ok && keyClash.error.code).toBe('MAPPING_LEASE_CONFLICT');
      const inBatch = await store.upsert(
        [
          { poolId: 'atlas', subjectKey: 'a', username: 'atlas001', lastUsedAt: t1 },
          { poolId: 'atlas', subjectKey: 'b', username: 'atlas001', lastUsedAt: t1 },
        ],
        t1,
      );
      expect(!inBatch.ok && inBatch.error.code).toBe('MAPPING_LEASE_CONFLICT');
      const unknown = await store.upsert([{ poolId: 'dteam', subjectKey: 'x', username: 'atlas001', lastUsedAt: t1 }], t1);
      expect(!unknown.ok && unknown.error.code).toBe('MAPPING_UNKNOWN_ACCOUNT');
      expect((await store.list()).map((l) => l.subjectKey)).toEqual(['k1']);
    });
  });
}
