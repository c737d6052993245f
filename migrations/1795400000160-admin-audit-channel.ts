import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where an admin change came from: 'api' (the admin API; the actor is the principal's DN), 'direct' (a CLI command
 * that wrote the database itself; the actor is the local OS user), 'database' (SQL run on the database by hand;
 * the actor is the database role, recorded by the trigger below) or 'system' (a job of the service itself, e.g. lease
 * expiry). Existing rows were all written by the admin API, hence the default.
 *
 * Principal changes made directly on the database (a role granted with psql) are audited by a trigger. The
 * service's own writes run in a transaction that sets `gridauthz.audited` (see docs/operations.md, "Admin audit")
 * and write their own, richer row; the trigger then stays silent so a change is recorded once.
 */
export class AdminAuditChannel1795400000160 implements MigrationInterface {
  name = 'AdminAuditChannel1795400000160';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE admin_audit ADD COLUMN channel text NOT NULL DEFAULT 'api'
        CONSTRAINT admin_audit_channel_ck CHECK (channel IN ('api', 'direct', 'database', 'system'))`);
    await q.query(`CREATE INDEX admin_audit_actor_ix ON admin_audit (actor_dn, at)`);
    await q.query(`
      CREATE FUNCTION admin_principal_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF coalesce(current_setting('gridauthz.audited', true), '') = 'on' THEN
          RETURN NULL;
        END IF;
        INSERT INTO admin_audit (actor_dn, actor_role, credential, channel, action, target, before, after)
        VALUES (current_user::text, 'database', 'session:' || session_user::text, 'database',
                'principal.' || CASE TG_OP WHEN 'INSERT' THEN 'add' WHEN 'UPDATE' THEN 'update' ELSE 'remove' END,
                CASE WHEN TG_OP = 'DELETE' THEN OLD.dn ELSE NEW.dn END,
                CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END,
                CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END);
        RETURN NULL;
      END
      $$`);
    await q.query(`CREATE TRIGGER admin_principal_audit_tg AFTER INSERT OR UPDATE OR DELETE ON admin_principal
                   FOR EACH ROW EXECUTE FUNCTION admin_principal_audit()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER admin_principal_audit_tg ON admin_principal`);
    await q.query(`DROP FUNCTION admin_principal_audit()`);
    await q.query(`DROP INDEX admin_audit_actor_ix`);
    await q.query(`ALTER TABLE admin_audit DROP COLUMN channel`);
  }
}
