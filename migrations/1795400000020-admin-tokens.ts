import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bearer tokens for admin automation, issued by `gridauthz admin token issue`. Only the SHA-256 of the token is
 * stored (the token is 32 random bytes, so a plain hash is enough: there is nothing to brute-force), each token
 * acts for one admin principal in that principal's role, and every token expires.
 */
export class AdminTokens1795400000020 implements MigrationInterface {
  name = 'AdminTokens1795400000020';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_token (
        id           bigserial   CONSTRAINT admin_token_pk PRIMARY KEY,
        token_sha256 text        NOT NULL CONSTRAINT admin_token_sha256_uq UNIQUE
                                 CONSTRAINT admin_token_sha256_ck CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
        principal_id bigint      NOT NULL CONSTRAINT admin_token_principal_fk REFERENCES admin_principal (id) ON DELETE CASCADE,
        label        text        NOT NULL DEFAULT '',
        created_by   text        NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        expires_at   timestamptz NOT NULL,
        revoked_at   timestamptz,
        last_used_at timestamptz,
        CONSTRAINT admin_token_expiry_ck CHECK (expires_at > created_at)
      )`);
    await q.query(`CREATE INDEX admin_token_principal_ix ON admin_token (principal_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE admin_token`);
  }
}
