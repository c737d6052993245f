import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ExpandedPool, LeaseStore } from '@gridauthz/mapping';
import type { DecisionRecord } from './decision-record';
import type { DecisionStorage, HeldLease } from './ports';

/** A DecisionStorage under test and what the contract needs to see its effects from outside. */
export interface DecisionStorageUnderTest {
  readonly storage: DecisionStorage;
  /** The leases the storage's transactions write, read outside any transaction. */
  readonly leases: LeaseStore;
  /** Ids of the records durably written. */
  recordIds(): Promise<readonly string[]>;
}

/**
 * The behaviour every DecisionStorage must show (libs/decision/ports.ts; ARCHITECTURE "Decision records"): the
 * record of a decision is durable when the promise resolves; a transaction's lease and record commit together or
 * not at all; the warm path writes its record only on a lease that is live exactly as given. `make` must return a
 * storage whose pools are exactly `pools`, with no lease and no record. `leasesRollBack: false` is for a store
 * without undo (the in-memory one), whose leases a failed transaction leaves behind.
 */
export function describeDecisionStorageContract(
  name: string,
  make: (pools: readonly ExpandedPool[]) => Promise<DecisionStorageUnderTest>,
  options: { readonly leasesRollBack: boolean },
): void {
  const account = (poolId: string, username: string, uid: number) => ({ poolId, username, uid, gid: 8000 });
  const pools: readonly ExpandedPool[] = [
    { id: 'wr', kind: 'user', accounts: [account('wr', 'wr001', 81001), account('wr', 'wr002', 81002)] },
    { id: 'other', kind: 'user', accounts: [account('other', 'ot001', 82001), account('other', 'ot002', 82002)] },
  ];
  const now = new Date('2026-11-23T12:00:00Z');
  const KEY = '%2fdc%3dorg%2fcn%3dalice:atlas';
  const decision = (overrides: Partial<DecisionRecord> = {}): DecisionRecord => ({
    id: randomUUID(),
    decidedAt: now,
    callerDn: '/DC=org/CN=pilot',
    subjectDn: '/DC=org/CN=alice',
    fqans: ['/atlas/Role=NULL/Capability=NULL'],
    dialect: 'authz-interop',
    decision: 'Permit',
    status: 'ok',
    username: 'wr001',
    uid: 81001,
    gid: 8000,
    gids: [8000],
    reasons: ['mapping:wr'],
    environment: {},
    latencyMs: 1.5,
    ...overrides,
  });
  const held = (overrides: Partial<HeldLease> = {}): HeldLease => ({ poolId: 'wr', subjectKey: KEY, account: account('wr', 'wr001', 81001), exclusiveKey: true, ...overrides });

  describe(`DecisionStorage contract: ${name}`, () => {
    let s: DecisionStorageUnderTest;
    beforeEach(async () => {
      s = await make(pools);
    });
    const acquire = async (poolId: string, key = KEY): Promise<void> => {
      const r = await s.leases.acquire(poolId, key, now);
      if (!r.ok) throw new Error(r.error.code);
    };

    it('writes the record of a decision without a lease, durable when the promise resolves', async () => {
      const { username: _username, uid: _uid, gid: _gid, ...unmapped } = decision();
      const r: DecisionRecord = { ...unmapped, decision: 'Deny', gids: [], reasons: ['policy:deny'] };
      await s.storage.record(r);
      expect(await s.recordIds()).toEqual([r.id]);
    });

    it("commits a transaction's lease and record together and returns what the work returned", async () => {
      const r = decision();
      const value = await s.storage.transaction(async (tx) => {
        const lease = await tx.leases.acquire('wr', KEY, now);
        await tx.record(r);
        return lease.ok ? lease.value.account.username : 'none';
      });
      expect(value).toBe('wr001');
      expect(await s.recordIds()).toEqual([r.id]);
      expect((await s.leases.list({ subjectKey: KEY })).map((l) => [l.poolId, l.username])).toEqual([['wr', 'wr001']]);
    });

    it('writes no record when the transaction fails' + (options.leasesRollBack ? ', and no lease either' : ''), async () => {
      const r = decision();
      const failure = new Error('broken after the record');
      await expect(
        s.storage.transaction(async (tx) => {
          await tx.leases.acquire('wr', KEY, now);
          await tx.record(r);
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await s.recordIds()).toEqual([]);
      if (options.leasesRollBack) expect(await s.leases.list({ subjectKey: KEY })).toEqual([]);
    });

    if (options.leasesRollBack) {
      it('takes no lease when the record cannot be written (the lease never outlives a missing record)', async () => {
        const r = decision();
        await s.storage.record(r);
        // The same record id again: the record write fails inside the transaction, after the lease was taken.
        await expect(
          s.storage.transaction(async (tx) => {
            await tx.leases.acquire('wr', KEY, now);
            await tx.record(r);
          }),
        ).rejects.toThrow();
        expect(await s.recordIds()).toEqual([r.id]);
        expect(await s.leases.list({ subjectKey: KEY })).toEqual([]);
      });
    }

    it('on the warm path writes the record when the lease is live with exactly that account', async () => {
      await acquire('wr');
      const r = decision();
      expect(await s.storage.recordOnLiveLease(held(), r)).toBe(true);
      expect(await s.recordIds()).toEqual([r.id]);
    });

    it('writes nothing and answers false when the lease is not as given', async () => {
      const refused = async (lease: HeldLease): Promise<void> => {
        expect(await s.storage.recordOnLiveLease(lease, decision()), JSON.stringify(lease)).toBe(false);
      };
      await refused(held()); // no lease at all
      await acquire('wr');
      await refused(held({ account: account('wr', 'wr002', 81002) })); // another account of the pool
      await refused(held({ account: account('wr', 'wr001', 99999) })); // the account's uid changed
      await refused(held({ poolId: 'other', account: account('other', 'ot001', 82001) })); // no lease in that pool
      await refused(held({ subjectKey: 'someone-else' }));
      expect(await s.recordIds()).toEqual([]);
      await s.leases.release('wr', KEY);
      await refused(held()); // released since
      expect(await s.recordIds()).toEqual([]);
    });

    it('refuses an exclusive key that holds a lease in another pool; a non-exclusive one is written', async () => {
      await acquire('wr');
      await acquire('other');
      expect(await s.storage.recordOnLiveLease(held({ exclusiveKey: true }), decision())).toBe(false);
      expect(await s.recordIds()).toEqual([]);
      const r = decision();
      expect(await s.storage.recordOnLiveLease(held({ exclusiveKey: false }), r)).toBe(true);
      expect(await s.recordIds()).toEqual([r.id]);
    });
  });
}
