import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Who may ask for payload mappings: gLExec's user_white_list, enforced centrally (pilot owners or WN hosts). */
export class PayloadCallers1795400000011 implements MigrationInterface {
  name = 'PayloadCallers1795400000011';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE payload_caller (
        id         bigserial   CONSTRAINT payload_caller_pk PRIMARY KEY,
        caller_key text        NOT NULL CONSTRAINT payload_caller_caller_key_uq UNIQUE,
        kind       text        NOT NULL CONSTRAINT payload_caller_kind_ck CHECK (kind IN ('pilot', 'host')),
        dn         text        NOT NULL CONSTRAINT payload_caller_dn_ck CHECK (length(dn) > 0),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE payload_caller`);
  }
}
