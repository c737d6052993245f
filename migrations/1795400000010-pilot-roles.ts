import type { MigrationInterface, QueryRunner } from 'typeorm';

/** FQAN patterns that mark a pilot credential, each with the pilot pool it maps to (mapping.md §7). */
export class PilotRoles1795400000010 implements MigrationInterface {
  name = 'PilotRoles1795400000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE pilot_role (
        id           bigserial   CONSTRAINT pilot_role_pk PRIMARY KEY,
        role_key     text        NOT NULL CONSTRAINT pilot_role_role_key_uq UNIQUE,
        fqan_pattern text        NOT NULL CONSTRAINT pilot_role_fqan_pattern_ck CHECK (fqan_pattern LIKE '/%'),
        pool_id      bigint      NOT NULL CONSTRAINT pilot_role_pool_fk REFERENCES pool (id) ON DELETE RESTRICT,
        created_at   timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE pilot_role`);
  }
}
