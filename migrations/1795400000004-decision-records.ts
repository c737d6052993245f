import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per decision, so that "who ran as uid X on host Y at time T" can be answered after an incident.
 * The indexes serve exactly those forensic queries.
 */
export class DecisionRecords1795400000004 implements MigrationInterface {
  name = 'DecisionRecords1795400000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE decision_record (
        id          uuid        CONSTRAINT decision_record_pk PRIMARY KEY,
        decided_at  timestamptz NOT NULL,
        caller_dn   text        NOT NULL,
        host        text,
        subject_dn  text,
        fqans       text[]      NOT NULL DEFAULT '{}',
        resource    text,
        action      text,
        dialect     text        NOT NULL,
        decision    text        NOT NULL CONSTRAINT decision_record_decision_ck
                                CHECK (decision IN ('Permit', 'Deny', 'NotApplicable', 'Indeterminate')),
        status      text        NOT NULL DEFAULT 'ok',
        username    text,
        uid         integer,
        gid         integer,
        gids        integer[]   NOT NULL DEFAULT '{}',
        reasons     jsonb       NOT NULL DEFAULT '[]',
        environment jsonb       NOT NULL DEFAULT '{}',
        latency_ms  real        NOT NULL DEFAULT 0
      )`);
    await q.query(`CREATE INDEX decision_record_decided_at_ix ON decision_record (decided_at)`);
    await q.query(`CREATE INDEX decision_record_subject_ix ON decision_record (subject_dn, decided_at)`);
    await q.query(`CREATE INDEX decision_record_uid_host_ix ON decision_record (uid, host, decided_at)`);
    await q.query(`CREATE INDEX decision_record_username_ix ON decision_record (username, decided_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE decision_record`);
  }
}
