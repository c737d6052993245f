import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lease expiry (docs/lease-expiry.md) asks "which live leases were last used before the cutoff?" every interval on
 * some replica. Without an index that is a scan of the whole lease table, history included, which only grows.
 */
export class LiveLeaseLastUsedIndex1795400000110 implements MigrationInterface {
  name = 'LiveLeaseLastUsedIndex1795400000110';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX lease_live_last_used_ix ON lease (last_used_at) WHERE released_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX lease_live_last_used_ix`);
  }
}
