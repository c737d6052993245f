import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseLabel, openTestDatabase, type TestDatabase } from '../support/test-database';

const CLAIMS = 200;

/**
 * The embedded database must isolate transactions as PostgreSQL does: a shared PGlite session (what
 * typeorm-pglite does) hands most claimants the same row. Each transaction here claims the lowest free
 * account with SELECT … FOR UPDATE SKIP LOCKED, as lease allocation does, and records the claim.
 */
describe(`${CLAIMS} concurrent row claims on ${databaseLabel()}`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
    const q = t.db.dataSource;
    await q.query(`INSERT INTO pool (name) VALUES ('claims')`);
    await q.query(
      `INSERT INTO pool_account (pool_id, username, uid, gid)
       SELECT (SELECT id FROM pool WHERE name = 'claims'), 'claim' || lpad(n::text, 4, '0'), 70000 + n, 7000
       FROM generate_series(1, $1) AS n`,
      [CLAIMS],
    );
  });
  afterAll(async () => t?.close());

  it('give every transaction a different row, and a rolled-back claim leaves no trace', async () => {
    const claim = (subject: string, rollback = false): Promise<string | undefined> =>
      t.db
        .transaction(async (m) => {
          const rows = await m.query<{ id: string; pool_id: string }[]>(
            `SELECT a.id, a.pool_id FROM pool_account a
             WHERE NOT a.held AND a.enabled
             ORDER BY a.username LIMIT 1 FOR UPDATE OF a SKIP LOCKED`,
          );
          const row = rows[0];
          if (!row) return undefined;
          await m.query(`UPDATE pool_account SET held = true WHERE id = $1`, [row.id]);
          await m.query(`INSERT INTO lease (account_id, pool_id, subject_key, subject_dn) VALUES ($1, $2, $3, $3)`, [row.id, row.pool_id, subject]);
          if (rollback) throw new Error('rollback on purpose');
          return String(row.id);
        })
        .catch((err: Error) => {
          if (err.message === 'rollback on purpose') return 'rolled-back';
          throw err;
        });

    expect(await claim('/DC=org/CN=Rolled Back', true)).toBe('rolled-back');
    const claimed = await Promise.all(Array.from({ length: CLAIMS }, (_, i) => claim(`/DC=org/CN=User ${i}`)));
    expect(claimed.every((id) => id !== undefined)).toBe(true);
    expect(new Set(claimed).size).toBe(CLAIMS);
    const [{ count }] = (await t.db.dataSource.query<{ count: string }[]>(`SELECT count(*)::int AS count FROM lease`)) as [{ count: string }];
    expect(Number(count)).toBe(CLAIMS);
    expect(await claim('/DC=org/CN=One Too Many')).toBeUndefined();
  });
});
