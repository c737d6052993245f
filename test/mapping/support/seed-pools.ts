import type { ExpandedPool } from '@gridauthz/mapping';
import type { Database } from '@gridauthz/persistence';

/** Empties every mapping table (leases and their history included) and writes exactly these pools and accounts. */
export async function seedPools(db: Database, pools: readonly ExpandedPool[]): Promise<void> {
  await db.transaction(async (m) => {
    await m.query(`TRUNCATE lease, mapping_rule_group, mapping_rule, pilot_role, payload_caller, pool_account, pool, unix_group RESTART IDENTITY`);
    for (const pool of pools) {
      await m.query(`INSERT INTO pool (name, kind) VALUES ($1, $2)`, [pool.id, pool.kind]);
      if (pool.accounts.length === 0) continue;
      await m.query(
        `INSERT INTO pool_account (pool_id, username, uid, gid)
         SELECT (SELECT id FROM pool WHERE name = $1), u, i, g FROM unnest($2::text[], $3::int[], $4::int[]) AS x(u, i, g)`,
        [pool.id, pool.accounts.map((a) => a.username), pool.accounts.map((a) => a.uid), pool.accounts.map((a) => a.gid)],
      );
    }
  });
}
