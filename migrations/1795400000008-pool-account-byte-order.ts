import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Leases go to the lowest free username in byte order (COLLATE "C"), as the mapping lib sorts them. The free-account
 * index must use the same collation, or the claim sorts the whole pool instead of reading the first index entry.
 */
export class PoolAccountByteOrder1795400000008 implements MigrationInterface {
  name = 'PoolAccountByteOrder1795400000008';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX pool_account_free_ix`);
    await q.query(`CREATE INDEX pool_account_free_ix ON pool_account (pool_id, username COLLATE "C") WHERE NOT held AND enabled`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX pool_account_free_ix`);
    await q.query(`CREATE INDEX pool_account_free_ix ON pool_account (pool_id, username) WHERE NOT held AND enabled`);
  }
}
