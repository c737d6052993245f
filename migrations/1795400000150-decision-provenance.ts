import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where each decision came from (docs/forensics.md): the TCP peer, the TLS caller's end-entity certificate
 * (serial, issuer), the host the client names in any dialect, the host certificate DN it names, and the message's
 * own issuer (the PEP's entity id). All nullable: rows written before this migration stay valid and simply
 * carry no provenance. `caller_host` is the host name in the caller's own certificate (CN=host/wn01.example.org),
 * so `audit who --host wn01.example.org` finds decisions of clients that name no host (grid-wn, emi). The *_key
 * columns hold Dn.canonicalKey() of the DN beside them: DNs are matched structurally, never as rendered text.
 */
export class DecisionProvenance1795400000150 implements MigrationInterface {
  name = 'DecisionProvenance1795400000150';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE decision_record
        ADD COLUMN source_address text,
        ADD COLUMN source_port    integer,
        ADD COLUMN caller_dn_key  text,
        ADD COLUMN caller_serial  text,
        ADD COLUMN caller_issuer  text,
        ADD COLUMN caller_host    text,
        ADD COLUMN host_dn        text,
        ADD COLUMN host_dn_key    text,
        ADD COLUMN pep_issuer     text,
        ADD COLUMN subject_dn_key text`);
    // "Who ran as uid X at T" without a host: every host's records of that uid in a time range.
    await q.query(`CREATE INDEX decision_record_uid_at_ix ON decision_record (uid, decided_at)`);
    // `audit decisions --dn`: a subject's records, by structural key.
    await q.query(`CREATE INDEX decision_record_subject_key_ix ON decision_record (subject_dn_key, decided_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX decision_record_subject_key_ix`);
    await q.query(`DROP INDEX decision_record_uid_at_ix`);
    await q.query(`
      ALTER TABLE decision_record
        DROP COLUMN source_address, DROP COLUMN source_port, DROP COLUMN caller_dn_key, DROP COLUMN caller_serial,
        DROP COLUMN caller_issuer, DROP COLUMN caller_host, DROP COLUMN host_dn, DROP COLUMN host_dn_key,
        DROP COLUMN pep_issuer, DROP COLUMN subject_dn_key`);
  }
}
