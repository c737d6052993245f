import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * "Does this key hold a live lease in another pool?" is asked on every cold decision (map-subject's
 * leaseInOtherPool check) and by every warm Permit's confirmation statement. The live-lease unique index leads with
 * pool_id, so that question scanned the whole lease table, history included, which only grows.
 */
export class LiveLeaseSubjectKeyIndex1795400000023 implements MigrationInterface {
  name = 'LiveLeaseSubjectKeyIndex1795400000023';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX lease_live_subject_key_ix ON lease (subject_key) WHERE released_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX lease_live_subject_key_ix`);
  }
}
