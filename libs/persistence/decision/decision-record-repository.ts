import type { DecisionRecord } from '@gridauthz/decision';
import type { EntityManager } from 'typeorm';

/** decision_record columns are the decision pipeline's DecisionRecord, field for field. */
export type DecisionRecordRow = DecisionRecord;

/** Writes a decision record through the caller's transaction, so it commits with the lease it explains. */
export async function insertDecisionRecord(manager: EntityManager, r: DecisionRecordRow): Promise<void> {
  await manager.query(
    `INSERT INTO decision_record
       (id, decided_at, caller_dn, host, subject_dn, fqans, resource, action, dialect, decision, status,
        username, uid, gid, gids, reasons, environment, latency_ms,
        source_address, source_port, caller_dn_key, caller_serial, caller_issuer, caller_host, host_dn, host_dn_key, pep_issuer, subject_dn_key,
        token_issuer, token_subject)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
             $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30)`,
    [
      r.id,
      r.decidedAt,
      r.callerDn,
      r.host ?? null,
      r.subjectDn ?? null,
      r.fqans,
      r.resource ?? null,
      r.action ?? null,
      r.dialect,
      r.decision,
      r.status,
      r.username ?? null,
      r.uid ?? null,
      r.gid ?? null,
      r.gids,
      JSON.stringify(r.reasons),
      JSON.stringify(r.environment),
      r.latencyMs,
      r.sourceAddress ?? null,
      r.sourcePort ?? null,
      r.callerDnKey ?? null,
      r.callerSerial ?? null,
      r.callerIssuer ?? null,
      r.callerHost ?? null,
      r.hostDn ?? null,
      r.hostDnKey ?? null,
      r.pepIssuer ?? null,
      r.subjectDnKey ?? null,
      r.tokenIssuer ?? null,
      r.tokenSubject ?? null,
    ],
  );
}
