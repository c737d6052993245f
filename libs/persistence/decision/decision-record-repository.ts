import type { EntityManager } from 'typeorm';

/** The columns of decision_record, as the decision pipeline fills them. */
export interface DecisionRecordRow {
  readonly id: string;
  readonly decidedAt: Date;
  readonly callerDn: string;
  readonly host?: string;
  readonly subjectDn?: string;
  readonly fqans: readonly string[];
  readonly resource?: string;
  readonly action?: string;
  readonly dialect: string;
  readonly decision: string;
  readonly status: string;
  readonly username?: string;
  readonly uid?: number;
  readonly gid?: number;
  readonly gids: readonly number[];
  readonly reasons: readonly string[];
  readonly environment: Readonly<Record<string, readonly string[]>>;
  readonly latencyMs: number;
}

/** Writes a decision record through the caller's transaction, so it commits with the lease it explains. */
export async function insertDecisionRecord(manager: EntityManager, r: DecisionRecordRow): Promise<void> {
  await manager.query(
    `INSERT INTO decision_record
       (id, decided_at, caller_dn, host, subject_dn, fqans, resource, action, dialect, decision, status,
        username, uid, gid, gids, reasons, environment, latency_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
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
    ],
  );
}
