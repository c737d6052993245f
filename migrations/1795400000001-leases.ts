import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Leases with gridmapdir semantics. A released lease is kept (released_at set) so that any past mapping can be
 * traced; the invariants hold over the live ones: one live holder per account, one live account per subject
 * key and pool. These partial unique indexes are what make concurrent claims safe across replicas.
 */
export class Leases1795400000001 implements MigrationInterface {
  name = 'Leases1795400000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE lease (
        id             bigserial   CONSTRAINT lease_pk PRIMARY KEY,
        account_id     bigint      NOT NULL CONSTRAINT lease_account_fk REFERENCES pool_account (id) ON DELETE RESTRICT,
        pool_id        bigint      NOT NULL CONSTRAINT lease_pool_fk REFERENCES pool (id) ON DELETE RESTRICT,
        subject_key    text        NOT NULL CONSTRAINT lease_subject_key_ck CHECK (octet_length(subject_key) BETWEEN 1 AND 4096),
        subject_dn     text        NOT NULL,
        created_at     timestamptz NOT NULL DEFAULT now(),
        last_used_at   timestamptz NOT NULL DEFAULT now(),
        released_at    timestamptz,
        released_by    text,
        release_reason text,
        CONSTRAINT lease_released_ck CHECK (released_at IS NULL OR released_at >= created_at)
      )`);
    await q.query(`CREATE UNIQUE INDEX lease_live_account_uq ON lease (account_id) WHERE released_at IS NULL`);
    await q.query(`CREATE UNIQUE INDEX lease_live_pool_key_uq ON lease (pool_id, subject_key) WHERE released_at IS NULL`);
    // Forensics: which leases did an account have around a given time.
    await q.query(`CREATE INDEX lease_account_created_ix ON lease (account_id, created_at)`);
    await q.query(`CREATE INDEX lease_subject_dn_ix ON lease (subject_dn)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE lease`);
  }
}
