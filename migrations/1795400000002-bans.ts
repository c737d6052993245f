import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Bans by DN, FQAN, issuing CA or VO. Never deleted: lifting sets lifted_at, so the history stays. */
export class Bans1795400000002 implements MigrationInterface {
  name = 'Bans1795400000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ban (
        id          bigserial   CONSTRAINT ban_pk PRIMARY KEY,
        kind        text        NOT NULL CONSTRAINT ban_kind_ck CHECK (kind IN ('dn', 'fqan', 'ca', 'vo')),
        value       text        NOT NULL CONSTRAINT ban_value_ck CHECK (length(value) > 0),
        reason      text        NOT NULL CONSTRAINT ban_reason_ck CHECK (length(reason) > 0),
        created_by  text        NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        expires_at  timestamptz,
        lifted_at   timestamptz,
        lifted_by   text,
        lift_reason text,
        CONSTRAINT ban_expiry_ck CHECK (expires_at IS NULL OR expires_at > created_at)
      )`);
    await q.query(`CREATE INDEX ban_active_ix ON ban (kind, value) WHERE lifted_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ban`);
  }
}
