import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The two forensic tables cannot be rewritten by the application's own database role (docs/forensics.md):
 * - admin_audit: already refuses UPDATE and DELETE row by row; TRUNCATE skips row triggers, so it gets a statement
 *   trigger of its own.
 * - decision_record: UPDATE and TRUNCATE are refused. DELETE is refused unless the transaction declares a
 *   retention cutoff (`set_config('gridauthz.retention_cutoff', <timestamptz>, true)`, as the retention job does),
 *   the cutoff keeps at least one day of records, and the row is older than the cutoff. An ad hoc
 *   `DELETE FROM decision_record` therefore fails, and even a transaction that sets the cutoff cannot remove
 *   the last day's records. The table owner can still drop the triggers: this guards against mistakes and
 *   application bugs, not against a database superuser.
 */
export class RecordGuards1795400000151 implements MigrationInterface {
  name = 'RecordGuards1795400000151';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION admin_audit_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'admin_audit is append-only: TRUNCATE refused';
      END
      $$`);
    await q.query(`CREATE TRIGGER admin_audit_no_truncate_tg BEFORE TRUNCATE ON admin_audit
                   FOR EACH STATEMENT EXECUTE FUNCTION admin_audit_no_truncate()`);

    await q.query(`
      CREATE FUNCTION decision_record_no_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'decision_record is append-only: % refused (records are removed only by the retention job)', TG_OP;
      END
      $$`);
    await q.query(`CREATE TRIGGER decision_record_no_update_tg BEFORE UPDATE ON decision_record
                   FOR EACH ROW EXECUTE FUNCTION decision_record_no_rewrite()`);
    await q.query(`CREATE TRIGGER decision_record_no_truncate_tg BEFORE TRUNCATE ON decision_record
                   FOR EACH STATEMENT EXECUTE FUNCTION decision_record_no_rewrite()`);

    await q.query(`
      CREATE FUNCTION decision_record_retention_only() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        cutoff_text text := current_setting('gridauthz.retention_cutoff', true);
        cutoff timestamptz;
      BEGIN
        IF cutoff_text IS NULL OR cutoff_text = '' THEN
          RAISE EXCEPTION 'decision_record rows are deleted only by the retention job (no retention cutoff set)';
        END IF;
        cutoff := cutoff_text::timestamptz;
        IF cutoff > now() - interval '1 day' THEN
          RAISE EXCEPTION 'retention cutoff % would delete records younger than one day', cutoff;
        END IF;
        IF OLD.decided_at >= cutoff THEN
          RAISE EXCEPTION 'decision record % of % is not older than the retention cutoff %', OLD.id, OLD.decided_at, cutoff;
        END IF;
        RETURN OLD;
      END
      $$`);
    await q.query(`CREATE TRIGGER decision_record_retention_only_tg BEFORE DELETE ON decision_record
                   FOR EACH ROW EXECUTE FUNCTION decision_record_retention_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER decision_record_retention_only_tg ON decision_record`);
    await q.query(`DROP TRIGGER decision_record_no_truncate_tg ON decision_record`);
    await q.query(`DROP TRIGGER decision_record_no_update_tg ON decision_record`);
    await q.query(`DROP TRIGGER admin_audit_no_truncate_tg ON admin_audit`);
    await q.query(`DROP FUNCTION decision_record_retention_only()`);
    await q.query(`DROP FUNCTION decision_record_no_rewrite()`);
    await q.query(`DROP FUNCTION admin_audit_no_truncate()`);
  }
}
