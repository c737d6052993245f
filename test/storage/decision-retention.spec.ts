import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import { DecisionRetention, RETENTION_LOCK_KEY } from '@gridauthz/persistence';
import { databaseLabel, openTestDatabase, usingPostgres, type TestDatabase } from '../support/test-database';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');
const RETENTION_DAYS = 30;
const CUTOFF = NOW - RETENTION_DAYS * DAY;

/**
 * The retention job and the guards of migration 1795400000151 (docs/forensics.md): the job deletes exactly the
 * records older than the cutoff; nothing else may UPDATE decision_record, TRUNCATE it or admin_audit, or DELETE
 * a record outside the job's declared cutoff.
 */
describe(`decision record retention and guards (${databaseLabel()})`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(async () => t?.close());

  const insert = async (times: readonly number[]): Promise<string[]> => {
    const ids = times.map(() => randomUUID());
    await t.db.dataSource.query(
      `INSERT INTO decision_record (id, decided_at, caller_dn, dialect, decision)
       SELECT id, at, '/DC=org/CN=host/wn01.example.org', 'grid-wn', 'Permit' FROM unnest($1::uuid[], $2::timestamptz[]) AS x(id, at)`,
      [ids, times.map((ms) => new Date(ms))],
    );
    return ids;
  };
  const remaining = async (): Promise<Set<string>> => new Set((await t.db.dataSource.query<{ id: string }[]>(`SELECT id FROM decision_record`)).map((r) => r.id));

  it('deletes exactly the records older than the retention, batch by batch, with a controlled clock', async () => {
    // Around the cutoff to the millisecond, and a spread over two months.
    const times = [CUTOFF - 1, CUTOFF, CUTOFF + 1, ...Array.from({ length: 60 }, (_, i) => NOW - 60 * DAY + i * DAY + 3_600_000)];
    const ids = await insert(times);
    const expired = new Set(ids.filter((_, i) => (times[i] as number) < CUTOFF));
    expect(expired.size).toBeGreaterThan(20);
    let reported = 0;
    const job = new DecisionRetention(t.db, { retentionDays: RETENTION_DAYS, batchSize: 7, clock: () => new Date(NOW), log: silentLog, pauseMs: 0, idleFactor: 0, onDeleted: (n) => (reported += n) });
    const run = await job.runOnce();
    expect(run).toMatchObject({ deleted: expired.size, skipped: false });
    expect(run.cutoff.getTime()).toBe(CUTOFF);
    expect(run.batches).toBe(Math.floor(expired.size / 7) + 1);
    expect(reported).toBe(expired.size);
    const left = await remaining();
    expect([...left].sort()).toEqual(ids.filter((id) => !expired.has(id)).sort());
    // Nothing more to do: a second run deletes nothing.
    expect((await job.runOnce()).deleted).toBe(0);
  });

  it('refuses a retention of less than a day in the job and in the database', async () => {
    expect(() => new DecisionRetention(t.db, { retentionDays: 0, batchSize: 7, clock: () => new Date(), log: silentLog })).toThrow(/retentionDays/);
    const [young] = await insert([Date.now() - 3_600_000]);
    await expect(
      t.db.transaction(async (m) => {
        await m.query(`SELECT set_config('gridauthz.retention_cutoff', $1, true)`, [new Date().toISOString()]);
        await m.query(`DELETE FROM decision_record WHERE id = $1`, [young]);
      }),
    ).rejects.toThrow(/younger than one day/);
    expect((await remaining()).has(young as string)).toBe(true);
  });

  /** Runs `sql` as the application would: on PostgreSQL as an ordinary role with DML grants (not the owner). */
  const asApp = (sql: string, params: unknown[] = [], setup?: string): Promise<unknown> =>
    t.db.transaction(async (m) => {
      if (usingPostgres()) {
        const role = `ga_app_${randomUUID().slice(0, 8)}`;
        await m.query(`CREATE ROLE ${role} NOLOGIN`);
        await m.query(`GRANT USAGE ON SCHEMA ${(await m.query<{ s: string }[]>(`SELECT current_schema() AS s`))[0]?.s} TO ${role}`);
        await m.query(`GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON decision_record, admin_audit TO ${role}`);
        await m.query(`SET LOCAL ROLE ${role}`);
      }
      if (setup) await m.query(setup);
      return m.query(sql, params);
    });

  it('refuses UPDATE and TRUNCATE of decision_record, TRUNCATE of admin_audit, and DELETE outside the retention job', async () => {
    const [old, fresh] = await insert([NOW - 400 * DAY, Date.now() - 3_600_000]);
    await t.db.dataSource.query(`INSERT INTO admin_audit (actor_dn, actor_role, credential, action) VALUES ('/CN=officer', 'security-officer', 'certificate', 'ban.add')`);
    await expect(asApp(`UPDATE decision_record SET decision = 'Deny' WHERE id = $1`, [old])).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(asApp(`TRUNCATE decision_record`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    await expect(asApp(`TRUNCATE admin_audit`)).rejects.toThrow(/admin_audit is append-only: TRUNCATE refused/);
    await expect(asApp(`DELETE FROM decision_record WHERE id = $1`, [old])).rejects.toThrow(/only by the retention job/);
    // A cutoff declared, but the row is younger than it.
    const cutoff = new Date(Date.now() - 2 * DAY).toISOString();
    await expect(asApp(`DELETE FROM decision_record WHERE id = $1`, [fresh], `SELECT set_config('gridauthz.retention_cutoff', '${cutoff}', true)`)).rejects.toThrow(/not older than the retention cutoff/);
    const left = await remaining();
    expect(left.has(old as string) && left.has(fresh as string)).toBe(true);
    expect(Number((await t.db.dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM admin_audit`))[0]?.n)).toBe(1);
    // The job's own way works for the application role too.
    await asApp(`DELETE FROM decision_record WHERE id = $1`, [old], `SELECT set_config('gridauthz.retention_cutoff', '${cutoff}', true)`);
    expect((await remaining()).has(old as string)).toBe(false);
  });

  it.skipIf(!usingPostgres())('runs on one replica at a time: a run that finds the lock held skips', async () => {
    await insert([NOW - 200 * DAY, NOW - 201 * DAY]);
    const job = new DecisionRetention(t.db, { retentionDays: RETENTION_DAYS, batchSize: 7, clock: () => new Date(NOW), log: silentLog });
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    let locked: () => void = () => undefined;
    const lockTaken = new Promise<void>((r) => (locked = r));
    const other = t.db.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock($1)`, [RETENTION_LOCK_KEY]);
      locked();
      await held;
    });
    await lockTaken;
    expect(await job.runOnce()).toMatchObject({ deleted: 0, skipped: true });
    release();
    await other;
    expect(await job.runOnce()).toMatchObject({ deleted: 2, skipped: false });
  });
});
