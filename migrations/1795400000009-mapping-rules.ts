import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The site's ordered mapping table (grid-mapfile and groupmapfile lines): a DN or FQAN pattern mapped to a pool, a
 * static account and/or unix groups. Targets are foreign keys, so a pool, account or group in use cannot vanish.
 */
export class MappingRules1795400000009 implements MigrationInterface {
  name = 'MappingRules1795400000009';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE mapping_rule (
        id               bigserial   CONSTRAINT mapping_rule_pk PRIMARY KEY,
        rule_key         text        NOT NULL CONSTRAINT mapping_rule_rule_key_uq UNIQUE,
        position         integer     NOT NULL CONSTRAINT mapping_rule_position_uq UNIQUE CONSTRAINT mapping_rule_position_ck CHECK (position >= 0),
        subject_kind     text        NOT NULL CONSTRAINT mapping_rule_subject_kind_ck CHECK (subject_kind IN ('dn', 'fqan')),
        pattern          text        NOT NULL CONSTRAINT mapping_rule_pattern_ck CHECK (length(pattern) > 0),
        account_pool_id  bigint      CONSTRAINT mapping_rule_account_pool_fk REFERENCES pool (id) ON DELETE RESTRICT,
        account_username text        CONSTRAINT mapping_rule_account_username_fk REFERENCES pool_account (username) ON DELETE RESTRICT,
        created_at       timestamptz NOT NULL DEFAULT now(),
        -- A rule names a pool or a static account, not both (it may name neither and carry only groups).
        CONSTRAINT mapping_rule_target_ck CHECK (account_pool_id IS NULL OR account_username IS NULL)
      )`);
    await q.query(`
      CREATE TABLE mapping_rule_group (
        mapping_rule_id bigint  NOT NULL CONSTRAINT mapping_rule_group_rule_fk REFERENCES mapping_rule (id) ON DELETE CASCADE,
        position        integer NOT NULL CONSTRAINT mapping_rule_group_position_ck CHECK (position >= 0),
        unix_group_id   bigint  NOT NULL CONSTRAINT mapping_rule_group_group_fk REFERENCES unix_group (id) ON DELETE RESTRICT,
        CONSTRAINT mapping_rule_group_pk PRIMARY KEY (mapping_rule_id, position)
      )`);
    await q.query(`CREATE INDEX mapping_rule_group_group_ix ON mapping_rule_group (unix_group_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE mapping_rule_group`);
    await q.query(`DROP TABLE mapping_rule`);
  }
}
