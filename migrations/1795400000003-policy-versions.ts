import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Site policy (SPL) versions; exactly one may be active, enforced by a partial unique index. */
export class PolicyVersions1795400000003 implements MigrationInterface {
  name = 'PolicyVersions1795400000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE policy_version (
        id         bigserial   CONSTRAINT policy_version_pk PRIMARY KEY,
        text       text        NOT NULL,
        sha256     text        NOT NULL CONSTRAINT policy_version_sha256_ck CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        author     text        NOT NULL,
        comment    text        NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        active     boolean     NOT NULL DEFAULT false,
        activated_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX policy_version_one_active_uq ON policy_version (active) WHERE active`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE policy_version`);
  }
}
