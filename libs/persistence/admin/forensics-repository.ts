import type { Database } from '../database/database';
import { toDate } from '../mapping/sql-scope';

export interface DecisionRecordFilter {
  readonly subjectDn?: string;
  readonly uid?: number;
  readonly username?: string;
  readonly host?: string;
  readonly decision?: 'Permit' | 'Deny' | 'NotApplicable' | 'Indeterminate';
  readonly from?: Date;
  readonly to?: Date;
  readonly limit?: number;
}

export interface DecisionRecordView {
  readonly id: string;
  readonly decidedAt: Date;
  readonly callerDn: string;
  readonly host: string | null;
  readonly subjectDn: string | null;
  readonly fqans: readonly string[];
  readonly decision: string;
  readonly status: string;
  readonly username: string | null;
  readonly uid: number | null;
  readonly gid: number | null;
  readonly gids: readonly number[];
  readonly reasons: unknown;
}

export interface LeaseHistoryEntry {
  readonly pool: string;
  readonly username: string;
  readonly uid: number;
  readonly subjectKey: string;
  readonly subjectDn: string | null;
  readonly createdAt: Date;
  readonly lastUsedAt: Date;
  readonly releasedAt: Date | null;
  readonly releasedBy: string | null;
  readonly releaseReason: string | null;
}

export interface WhoRanAnswer {
  /** The subject of the nearest Permit record, the best answer to "who". */
  readonly dn: string | null;
  readonly fqans: readonly string[];
  readonly username: string | null;
  /** Permit records for the uid on the host inside the window, nearest to `at` first. */
  readonly records: readonly DecisionRecordView[];
  /** Every lease the account ever had (released ones included), newest first. */
  readonly leases: readonly LeaseHistoryEntry[];
  /** Leases whose lifetime covers `at` (created before it, released after it or not at all). */
  readonly leasesAtTime: readonly LeaseHistoryEntry[];
}

interface DecisionRow {
  id: string;
  decided_at: Date;
  caller_dn: string;
  host: string | null;
  subject_dn: string | null;
  fqans: string[];
  decision: string;
  status: string;
  username: string | null;
  uid: number | null;
  gid: number | null;
  gids: number[];
  reasons: unknown;
}

/** A lease history row as both the forensic and the admin lease queries select it (LEASE_HISTORY_COLUMNS). */
export interface LeaseRow {
  pool: string;
  username: string;
  uid: number;
  subject_key: string;
  subject_dn: string | null;
  created_at: Date;
  last_used_at: Date;
  released_at: Date | null;
  released_by: string | null;
  release_reason: string | null;
}

const toRecord = (r: DecisionRow): DecisionRecordView => ({
  id: r.id,
  decidedAt: toDate(r.decided_at, 'decided_at'),
  callerDn: r.caller_dn,
  host: r.host,
  subjectDn: r.subject_dn,
  fqans: r.fqans,
  decision: r.decision,
  status: r.status,
  username: r.username,
  uid: r.uid,
  gid: r.gid,
  gids: r.gids,
  reasons: r.reasons,
});

/** The columns of LeaseRow, over lease l joined with pool_account a and pool p. */
export const LEASE_HISTORY_COLUMNS = `p.name AS pool, a.username, a.uid, l.subject_key, l.subject_dn, l.created_at, l.last_used_at, l.released_at, l.released_by, l.release_reason`;

export const toLease = (r: LeaseRow): LeaseHistoryEntry => ({
  pool: r.pool,
  username: r.username,
  uid: r.uid,
  subjectKey: r.subject_key,
  subjectDn: r.subject_dn,
  createdAt: toDate(r.created_at, 'created_at'),
  lastUsedAt: toDate(r.last_used_at, 'last_used_at'),
  releasedAt: r.released_at,
  releasedBy: r.released_by,
  releaseReason: r.release_reason,
});

const DECISION_COLUMNS = `id, decided_at, caller_dn, host, subject_dn, fqans, decision, status, username, uid, gid, gids, reasons`;

/** Read-only questions over decision_record and lease history (the indexes of both migrations serve them). */
export class ForensicsRepository {
  constructor(private readonly db: Database) {}

  async decisions(filter: DecisionRecordFilter): Promise<DecisionRecordView[]> {
    const rows = await this.db.dataSource.query<DecisionRow[]>(
      `SELECT ${DECISION_COLUMNS} FROM decision_record
       WHERE ($1::text IS NULL OR subject_dn = $1)
         AND ($2::integer IS NULL OR uid = $2)
         AND ($3::text IS NULL OR username = $3)
         AND ($4::text IS NULL OR host = $4)
         AND ($5::text IS NULL OR decision = $5)
         AND ($6::timestamptz IS NULL OR decided_at >= $6)
         AND ($7::timestamptz IS NULL OR decided_at <= $7)
       ORDER BY decided_at DESC, id
       LIMIT $8`,
      [
        filter.subjectDn ?? null,
        filter.uid ?? null,
        filter.username ?? null,
        filter.host ?? null,
        filter.decision ?? null,
        filter.from ?? null,
        filter.to ?? null,
        filter.limit ?? 100,
      ],
    );
    return rows.map(toRecord);
  }

  /** Every lease (released ones included) of the account with this uid, or of this username; newest first. */
  async leaseHistory(account: { uid?: number; username?: string }): Promise<LeaseHistoryEntry[]> {
    const rows = await this.db.dataSource.query<LeaseRow[]>(
      `SELECT ${LEASE_HISTORY_COLUMNS}
       FROM lease l JOIN pool_account a ON a.id = l.account_id JOIN pool p ON p.id = l.pool_id
       WHERE ($1::integer IS NULL OR a.uid = $1) AND ($2::text IS NULL OR a.username = $2)
       ORDER BY l.created_at DESC, l.id DESC`,
      [account.uid ?? null, account.username ?? null],
    );
    return rows.map(toLease);
  }

  /**
   * "Who ran as uid X on host Y at time T?" Permit records for that uid on that host within ±window of T,
   * nearest first; the nearest one names the DN. The account's lease history corroborates it (a lease covering T).
   */
  async whoRan(question: { uid: number; host: string; at: Date; windowSeconds: number; limit?: number }): Promise<WhoRanAnswer> {
    const from = new Date(question.at.getTime() - question.windowSeconds * 1000);
    const to = new Date(question.at.getTime() + question.windowSeconds * 1000);
    const rows = await this.db.dataSource.query<DecisionRow[]>(
      `SELECT ${DECISION_COLUMNS} FROM decision_record
       WHERE uid = $1 AND host = $2 AND decision = 'Permit' AND decided_at BETWEEN $3 AND $4
       ORDER BY abs(extract(epoch FROM decided_at - $5::timestamptz)), decided_at DESC, id
       LIMIT $6`,
      [question.uid, question.host, from, to, question.at, question.limit ?? 50],
    );
    const records = rows.map(toRecord);
    const leases = await this.leaseHistory({ uid: question.uid });
    const t = question.at.getTime();
    const leasesAtTime = leases.filter((l) => l.createdAt.getTime() <= t && (l.releasedAt === null || l.releasedAt.getTime() >= t));
    const nearest = records[0];
    return {
      dn: nearest?.subjectDn ?? leasesAtTime[0]?.subjectDn ?? null,
      fqans: nearest?.fqans ?? [],
      username: nearest?.username ?? leases[0]?.username ?? null,
      records,
      leases,
      leasesAtTime,
    };
  }
}
