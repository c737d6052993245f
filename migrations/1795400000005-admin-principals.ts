import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Who may use the admin API, by certificate DN, and in which role. */
export class AdminPrincipals1795400000005 implements MigrationInterface {
  name = 'AdminPrincipals1795400000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_principal (
        id         bigserial   CONSTRAINT admin_principal_pk PRIMARY KEY,
        dn         text        NOT NULL CONSTRAINT admin_principal_dn_uq UNIQUE,
        role       text        NOT NULL CONSTRAINT admin_principal_role_ck CHECK (role IN ('security-officer', 'operator', 'auditor')),
        created_by text        NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE admin_principal`);
  }
}
