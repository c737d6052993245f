import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per admin action (ban, lift, pool change, lease release, policy activation, token issue...): who did it,
 * through which credential, what, and the state before and after. Rows are only ever inserted.
 */
export class AdminAudit1795400000021 implements MigrationInterface {
  name = 'AdminAudit1795400000021';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_audit (
        id          bigserial   CONSTRAINT admin_audit_pk PRIMARY KEY,
        at          timestamptz NOT NULL DEFAULT now(),
        actor_dn    text        NOT NULL,
        actor_role  text        NOT NULL,
        -- 'certificate' or 'token:<id>': a leaked token's actions can be told apart from its owner's.
        credential  text        NOT NULL,
        action      text        NOT NULL CONSTRAINT admin_audit_action_ck CHECK (action ~ '^[a-z][a-z-]*\\.[a-z][a-z-]*$'),
        target      text        NOT NULL DEFAULT '',
        before      jsonb,
        after       jsonb,
        request_id  text
      )`);
    await q.query(`CREATE INDEX admin_audit_at_ix ON admin_audit (at)`);
    await q.query(`CREATE INDEX admin_audit_target_ix ON admin_audit (action, target)`);
    // The audit trail is append-only, even for the service's own database user.
    await q.query(`
      CREATE FUNCTION admin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'admin_audit is append-only';
      END
      $$`);
    await q.query(`CREATE TRIGGER admin_audit_append_only_tg BEFORE UPDATE OR DELETE ON admin_audit
                   FOR EACH ROW EXECUTE FUNCTION admin_audit_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE admin_audit`);
    await q.query(`DROP FUNCTION admin_audit_append_only()`);
  }
}
