import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Token identities (docs/mapping-tokens.md):
 * - ban: kinds `issuer` (value = iss), `token` (issuer + value = sub) and `token-group` (issuer + value = group);
 *   the issuer is its own column so a ban names the (issuer, subject) pair structurally, never one joined string.
 * - mapping_rule: subject kinds `token` and `token-group` (issuer in its own column) and `issuer` (iss in pattern).
 * - token_link: a token identity linked to an X.509 DN (one person, one account); DN stored by key and for display.
 * - token_issuer: trusted issuers added at run time (`gridauthz issuer add`), beside those of the settings file.
 * - decision_record: the token identity of the subject, for `audit who` and forensics.
 * Links and issuers get a generation, so every replica reloads them within one poll interval, as bans.
 */
export class TokenIdentities1795400000200 implements MigrationInterface {
  name = 'TokenIdentities1795400000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ban ADD COLUMN issuer text`);
    await q.query(`ALTER TABLE ban DROP CONSTRAINT ban_kind_ck`);
    await q.query(`ALTER TABLE ban ADD CONSTRAINT ban_kind_ck CHECK (kind IN ('dn', 'fqan', 'ca', 'vo', 'issuer', 'token', 'token-group'))`);
    await q.query(`ALTER TABLE ban ADD CONSTRAINT ban_issuer_ck CHECK ((kind IN ('token', 'token-group')) = (issuer IS NOT NULL AND length(issuer) > 0))`);

    await q.query(`ALTER TABLE mapping_rule ADD COLUMN issuer text`);
    await q.query(`ALTER TABLE mapping_rule DROP CONSTRAINT mapping_rule_subject_kind_ck`);
    await q.query(`ALTER TABLE mapping_rule ADD CONSTRAINT mapping_rule_subject_kind_ck CHECK (subject_kind IN ('dn', 'fqan', 'token', 'issuer', 'token-group'))`);
    await q.query(
      `ALTER TABLE mapping_rule ADD CONSTRAINT mapping_rule_issuer_ck CHECK ((subject_kind IN ('token', 'token-group')) = (issuer IS NOT NULL AND length(issuer) > 0))`,
    );

    await q.query(`
      CREATE TABLE token_link (
        id         bigserial   CONSTRAINT token_link_pk PRIMARY KEY,
        issuer     text        NOT NULL CONSTRAINT token_link_issuer_ck CHECK (length(issuer) > 0),
        subject    text        NOT NULL CONSTRAINT token_link_subject_ck CHECK (length(subject) > 0),
        dn_key     text        NOT NULL CONSTRAINT token_link_dn_key_ck CHECK (length(dn_key) > 0),
        dn         text        NOT NULL CONSTRAINT token_link_dn_ck CHECK (length(dn) > 0),
        comment    text        NOT NULL DEFAULT '',
        created_by text        NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT token_link_identity_uq UNIQUE (issuer, subject)
      )`);
    await q.query(`CREATE INDEX token_link_dn_key_ix ON token_link (dn_key)`);

    await q.query(`
      CREATE TABLE token_issuer (
        id         bigserial   CONSTRAINT token_issuer_pk PRIMARY KEY,
        issuer     text        NOT NULL CONSTRAINT token_issuer_issuer_uq UNIQUE CONSTRAINT token_issuer_issuer_ck CHECK (length(issuer) > 0),
        jwks_file  text,
        jwks_url   text,
        comment    text        NOT NULL DEFAULT '',
        created_by text        NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT token_issuer_jwks_ck CHECK ((jwks_file IS NULL) <> (jwks_url IS NULL))
      )`);

    for (const topic of ['token-link', 'token-issuer']) {
      await q.query(`INSERT INTO config_generation (topic) VALUES ($1) ON CONFLICT (topic) DO NOTHING`, [topic]);
    }
    await q.query(`CREATE TRIGGER token_link_generation_tg AFTER INSERT OR UPDATE OR DELETE ON token_link
                   FOR EACH STATEMENT EXECUTE FUNCTION bump_config_generation('token-link')`);
    await q.query(`CREATE TRIGGER token_issuer_generation_tg AFTER INSERT OR UPDATE OR DELETE ON token_issuer
                   FOR EACH STATEMENT EXECUTE FUNCTION bump_config_generation('token-issuer')`);

    await q.query(`ALTER TABLE decision_record ADD COLUMN token_issuer text, ADD COLUMN token_subject text`);
    await q.query(`CREATE INDEX decision_record_token_ix ON decision_record (token_issuer, token_subject, decided_at) WHERE token_issuer IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX decision_record_token_ix`);
    await q.query(`ALTER TABLE decision_record DROP COLUMN token_subject, DROP COLUMN token_issuer`);
    await q.query(`DROP TRIGGER token_issuer_generation_tg ON token_issuer`);
    await q.query(`DROP TRIGGER token_link_generation_tg ON token_link`);
    await q.query(`DELETE FROM config_generation WHERE topic IN ('token-link', 'token-issuer')`);
    await q.query(`DROP TABLE token_issuer`);
    await q.query(`DROP TABLE token_link`);
    await q.query(`DELETE FROM mapping_rule WHERE subject_kind IN ('token', 'issuer', 'token-group')`);
    await q.query(`ALTER TABLE mapping_rule DROP CONSTRAINT mapping_rule_issuer_ck`);
    await q.query(`ALTER TABLE mapping_rule DROP CONSTRAINT mapping_rule_subject_kind_ck`);
    await q.query(`ALTER TABLE mapping_rule ADD CONSTRAINT mapping_rule_subject_kind_ck CHECK (subject_kind IN ('dn', 'fqan'))`);
    await q.query(`ALTER TABLE mapping_rule DROP COLUMN issuer`);
    await q.query(`DELETE FROM ban WHERE kind IN ('issuer', 'token', 'token-group')`);
    await q.query(`ALTER TABLE ban DROP CONSTRAINT ban_issuer_ck`);
    await q.query(`ALTER TABLE ban DROP CONSTRAINT ban_kind_ck`);
    await q.query(`ALTER TABLE ban ADD CONSTRAINT ban_kind_ck CHECK (kind IN ('dn', 'fqan', 'ca', 'vo'))`);
    await q.query(`ALTER TABLE ban DROP COLUMN issuer`);
  }
}
