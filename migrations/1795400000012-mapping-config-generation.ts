import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A 'mapping' generation, bumped by any change to pools, accounts, groups, rules, pilot roles or payload callers,
 * so every replica reloads its mapping configuration. pool_account fires only for the columns that are
 * configuration: a claim flips `held` on every new lease and must neither trigger reloads nor queue behind the
 * single config_generation row.
 */
export class MappingConfigGeneration1795400000012 implements MigrationInterface {
  name = 'MappingConfigGeneration1795400000012';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`INSERT INTO config_generation (topic) VALUES ('mapping')`);
    for (const table of ['pool', 'unix_group', 'mapping_rule', 'mapping_rule_group', 'pilot_role', 'payload_caller']) {
      await q.query(`CREATE TRIGGER ${table}_generation_tg AFTER INSERT OR UPDATE OR DELETE ON ${table}
                     FOR EACH STATEMENT EXECUTE FUNCTION bump_config_generation('mapping')`);
    }
    await q.query(`CREATE TRIGGER pool_account_generation_tg AFTER INSERT OR DELETE OR UPDATE OF pool_id, username, uid, gid, enabled ON pool_account
                   FOR EACH STATEMENT EXECUTE FUNCTION bump_config_generation('mapping')`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['pool_account', 'payload_caller', 'pilot_role', 'mapping_rule_group', 'mapping_rule', 'unix_group', 'pool']) {
      await q.query(`DROP TRIGGER ${table}_generation_tg ON ${table}`);
    }
    await q.query(`DELETE FROM config_generation WHERE topic = 'mapping'`);
  }
}
