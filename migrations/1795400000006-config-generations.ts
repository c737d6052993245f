import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A generation counter per kind of site configuration (bans, policy), bumped by triggers in the same
 * transaction as the change. Every server process polls this small table, so a ban or a new policy reaches
 * all replicas within one poll interval, on PostgreSQL and on the embedded database alike.
 */
export class ConfigGenerations1795400000006 implements MigrationInterface {
  name = 'ConfigGenerations1795400000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE config_generation (
        topic      text        CONSTRAINT config_generation_pk PRIMARY KEY,
        generation bigint      NOT NULL DEFAULT 0,
        changed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO config_generation (topic) VALUES ('ban'), ('policy')`);
    await q.query(`
      CREATE FUNCTION bump_config_generation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE config_generation SET generation = generation + 1, changed_at = now() WHERE topic = TG_ARGV[0];
        RETURN NULL;
      END
      $$`);
    await q.query(`CREATE TRIGGER ban_generation_tg AFTER INSERT OR UPDATE OR DELETE ON ban
                   FOR EACH STATEMENT EXECUTE FUNCTION bump_config_generation('ban')`);
    await q.query(`CREATE TRIGGER policy_version_generation_tg AFTER INSERT OR UPDATE OR DELETE ON policy_version
                   FOR EACH STATEMENT EXECUTE FUNCTION bump_config_generation('policy')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER policy_version_generation_tg ON policy_version`);
    await q.query(`DROP TRIGGER ban_generation_tg ON ban`);
    await q.query(`DROP FUNCTION bump_config_generation()`);
    await q.query(`DROP TABLE config_generation`);
  }
}
