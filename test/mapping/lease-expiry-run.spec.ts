import { silentLog } from '@gridauthz/domain';
import { Database, LEASE_EXPIRY_JOB_ACTOR, PostgresLeaseStore, runLeaseExpiry, type AdminActor } from '@gridauthz/persistence';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseExpiryJob } from '../../apps/server/site/lease-expiry-job';
import { MIGRATIONS } from '../../migrations';
import { databaseLabel, openTestDatabase, usingPostgres, type TestDatabase } from '../support/test-database';
import { seedPools } from './support/seed-pools';

const quiet = pino({ level: 'silent' });
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const t0 = new Date('2026-03-01T00:00:00Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);
const admin: AdminActor = { dn: '/DC=org/DC=example/CN=Operator', role: 'operator', credential: 'certificate' };

const pool = (n: number) => [
  {
    id: 'dteam',
    kind: 'user' as const,
    accounts: Array.from({ length: n }, (_, i) => ({ poolId: 'dteam', username: `dteam${String(i + 1).padStart(3, '0')}`, uid: 7001 + i, gid: 5003 })),
  },
];

/** Lease expiry (docs/lease-expiry.md) with an injected clock, on the real store and schema. */
describe(`lease expiry on ${databaseLabel()}`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
  }, 120_000);
  afterAll(async () => t?.close());

  // admin_audit is append-only: each test reads the rows written after its start.
  let auditFrom = '0';
  const auditMark = async (): Promise<void> => {
    const [row] = await t.db.dataSource.query<{ id: string | null }[]>(`SELECT max(id) AS id FROM admin_audit`);
    auditFrom = String(row?.id ?? '0');
  };
  const audits = (action: string) =>
    t.db.dataSource.query<{ actor_dn: string; after: { released: number }; before: { leases: { subjectKey: string }[] } }[]>(
      `SELECT actor_dn, after, before FROM admin_audit WHERE action = $1 AND id > $2 ORDER BY id`,
      [action, auditFrom],
    );

  it('releases idle leases, keeps active ones, quarantines the account for the safety interval, and audits the run', async () => {
    await seedPools(t.db, pool(2));
    await auditMark();
    const store = new PostgresLeaseStore(t.db);
    expect((await store.acquire('dteam', 'idle-key', at(0))).ok).toBe(true); // dteam001
    expect((await store.acquire('dteam', 'busy-key', at(0))).ok).toBe(true); // dteam002
    await store.acquire('dteam', 'busy-key', at(9 * DAY)); // used again: 2 days idle at the run

    const now = at(11 * DAY);
    const dry = await runLeaseExpiry(t.db, { idleMs: 10 * DAY, now, coolDownSeconds: 86_400, actor: admin, dryRun: true });
    expect(dry.leases.map((l) => l.subjectKey)).toEqual(['idle-key']);
    expect((await store.list()).length).toBe(2); // a dry run releases nothing

    const job = new LeaseExpiryJob({ db: t.db, idleMs: 10 * DAY, intervalMs: HOUR, coolDownSeconds: 86_400, clock: () => now, log: quiet, metrics: recorder() });
    const run = await job.runOnce();
    expect(run?.skipped).toBe(false);
    expect(run?.leases.map((l) => `${l.subjectKey}=${l.username}`)).toEqual(['idle-key=dteam001']);
    expect((await store.list()).map((l) => l.subjectKey)).toEqual(['busy-key']);

    // Within the safety interval (admin.releaseCooldownSeconds) the freed account is not handed out again.
    expect(await store.acquire('dteam', 'newcomer', at(11 * DAY + 23 * HOUR))).toMatchObject({ ok: false, error: { code: 'MAPPING_POOL_EXHAUSTED' } });
    expect(await store.acquire('dteam', 'newcomer', at(12 * DAY + HOUR))).toMatchObject({ ok: true, value: { account: { username: 'dteam001' }, created: true } });

    const history = await t.db.dataSource.query<{ subject_key: string; released_by: string; release_reason: string }[]>(
      `SELECT subject_key, released_by, release_reason FROM lease WHERE released_at IS NOT NULL`,
    );
    expect(history).toEqual([{ subject_key: 'idle-key', released_by: LEASE_EXPIRY_JOB_ACTOR.dn, release_reason: `idle since before ${at(DAY).toISOString()}` }]);
    const rows = await audits('lease.expire');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_dn: LEASE_EXPIRY_JOB_ACTOR.dn, after: { released: 1 } });
    expect(rows[0]?.before.leases.map((l) => l.subjectKey)).toEqual(['idle-key']);

    // The same run again finds nothing; a scheduled run that released nothing writes no audit row, an admin's does.
    expect((await job.runOnce())?.leases).toEqual([]);
    expect(await audits('lease.expire')).toHaveLength(1);
    const manual = await runLeaseExpiry(t.db, { idleMs: 10 * DAY, now, coolDownSeconds: 86_400, actor: admin, auditEmptyRun: true });
    expect(manual.leases).toEqual([]);
    expect((await audits('lease.expire')).map((r) => r.actor_dn)).toEqual([LEASE_EXPIRY_JOB_ACTOR.dn, admin.dn]);
  });

  it('counts expired leases and runs in the metrics sink', async () => {
    await seedPools(t.db, pool(3));
    const store = new PostgresLeaseStore(t.db);
    for (const k of ['a', 'b', 'c']) await store.acquire('dteam', k, at(0));
    const metrics = recorder();
    const job = new LeaseExpiryJob({ db: t.db, idleMs: DAY, intervalMs: HOUR, coolDownSeconds: 0, clock: () => at(2 * DAY), log: quiet, metrics });
    await job.runOnce();
    await job.runOnce();
    expect(metrics.calls).toEqual([
      ['ran', 3],
      ['ran', 0],
    ]);
  });

  it('never expires a lease twice when two instances run at once', async () => {
    const n = 120;
    await seedPools(t.db, pool(n));
    await auditMark();
    const store = new PostgresLeaseStore(t.db);
    // On PostgreSQL a second connection pool, as a second replica has; PGlite serves one process, so there both
    // instances share the one connection and their runs interleave only between transactions.
    const other = usingPostgres() ? await Database.open({ url: t.url, dataDir: t.dataDir, migrations: MIGRATIONS, log: silentLog, poolSize: 2 }) : t.db;
    try {
      const released: string[] = [];
      for (let round = 0; round < 4; round += 1) {
        const base = round * 10 * DAY;
        for (let i = 0; i < n; i += 1) expect((await store.acquire('dteam', `r${round}-k${i}`, at(base + (i % 2 === 0 ? 0 : 5 * DAY)))).ok).toBe(true);
        const now = at(base + 3 * DAY);
        const runs = await Promise.all(
          [t.db, other, t.db, other].map((db) => runLeaseExpiry(db, { idleMs: 2 * DAY, now, coolDownSeconds: 0, actor: LEASE_EXPIRY_JOB_ACTOR })),
        );
        const keys = runs.flatMap((r) => r.leases.map((l) => l.subjectKey));
        expect(new Set(keys).size).toBe(keys.length);
        expect(keys.length).toBe(n / 2);
        released.push(...keys);
        // Clear the round: the other half goes too, so the next round starts with a free pool.
        await runLeaseExpiry(t.db, { idleMs: HOUR, now: at(base + 6 * DAY), coolDownSeconds: 0, actor: LEASE_EXPIRY_JOB_ACTOR });
      }
      expect(released.length).toBe(2 * n);
      const ended = await t.db.dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM lease WHERE released_at IS NOT NULL`);
      expect(Number(ended[0]?.n)).toBe(4 * n);
      // One audit row per run that released something; their counts add up to the leases released, no more.
      const total = (await audits('lease.expire')).reduce((sum, r) => sum + r.after.released, 0);
      expect(total).toBe(4 * n);
    } finally {
      if (other !== t.db) await other.close();
    }
  }, 120_000);
});

function recorder(): { calls: [string, number][]; leaseExpiryRun(outcome: string, n: number): void } {
  const calls: [string, number][] = [];
  return { calls, leaseExpiryRun: (outcome, n) => calls.push([outcome, n]) };
}
