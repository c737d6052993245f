import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../migrations';
import { databaseLabel, openTestDatabase, type TestDatabase } from '../support/test-database';

const TABLES = ['pool', 'pool_account', 'unix_group', 'lease', 'ban', 'policy_version', 'decision_record', 'admin_principal', 'config_generation', 'mapping_rule', 'mapping_rule_group', 'pilot_role', 'payload_caller', 'admin_token', 'admin_audit', 'caller', 'token_link', 'token_issuer'];
const ROUTINES = [
  'admin_audit_append_only',
  'admin_principal_audit',
  'bump_config_generation',
  'gridauthz_acquire_lease',
  // forensics: record guards (1795400000151)
  'admin_audit_no_truncate',
  'decision_record_no_rewrite',
  'decision_record_retention_only',
];

describe(`migrations on ${databaseLabel()}`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase({ migrate: false });
  });
  afterAll(async () => t?.close());

  const tables = async (): Promise<string[]> =>
    (
      await t.db.dataSource.query<{ table_name: string }[]>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> 'migrations' ORDER BY 1`,
      )
    ).map((r) => r.table_name);

  const routines = async (): Promise<string[]> =>
    (
      await t.db.dataSource.query<{ routine_name: string }[]>(
        `SELECT routine_name FROM information_schema.routines WHERE routine_schema = current_schema() ORDER BY 1`,
      )
    ).map((r) => r.routine_name);

  it('run up to the full schema, down to nothing, and up again', async () => {
    expect(await tables()).toEqual([]);
    expect(await routines()).toEqual([]);
    const applied = await t.db.migrate();
    expect(applied).toHaveLength(MIGRATIONS.length);
    expect((await tables()).sort()).toEqual([...TABLES].sort());
    expect((await routines()).sort()).toEqual([...ROUTINES].sort());
    expect(await t.db.pendingMigrations()).toBe(false);

    for (let i = 0; i < MIGRATIONS.length; i += 1) expect(await t.db.revertLast()).toBe(true);
    expect(await t.db.revertLast()).toBe(false);
    expect(await tables()).toEqual([]);
    expect(await routines()).toEqual([]);

    expect(await t.db.migrate()).toHaveLength(MIGRATIONS.length);
    expect((await routines()).sort()).toEqual([...ROUTINES].sort());
    expect(await t.db.migrate()).toEqual([]);
  });

  it('enforces one live lease per account at the database level', async () => {
    await t.db.dataSource.query(`INSERT INTO pool (name) VALUES ('atlas')`);
    const [{ id: poolId }] = await t.db.dataSource.query<{ id: string }[]>(`SELECT id FROM pool WHERE name = 'atlas'`) as [{ id: string }];
    await t.db.dataSource.query(`INSERT INTO pool_account (pool_id, username, uid, gid) VALUES ($1, 'atlas001', 61001, 6100)`, [poolId]);
    const [{ id: accountId }] = (await t.db.dataSource.query<{ id: string }[]>(`SELECT id FROM pool_account`)) as [{ id: string }];
    const lease = `INSERT INTO lease (account_id, pool_id, subject_key, subject_dn) VALUES ($1, $2, $3, $3)`;
    await t.db.dataSource.query(lease, [accountId, poolId, '/DC=org/CN=Alice']);
    await expect(t.db.dataSource.query(lease, [accountId, poolId, '/DC=org/CN=Bob'])).rejects.toThrow(/lease_live_account_uq/);
    await t.db.dataSource.query(`UPDATE lease SET released_at = now()`);
    await t.db.dataSource.query(lease, [accountId, poolId, '/DC=org/CN=Bob']);
  });
});
