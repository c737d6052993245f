import type { EntityManager } from 'typeorm';
import type { Database } from '../database/database';
import { SqlScope, toDate } from '../mapping/sql-scope';

/** Who acted: the admin principal and the credential used (a certificate, or which token). */
export interface AdminActor {
  readonly dn: string;
  readonly role: string;
  /** 'certificate' or 'token:<id>'. */
  readonly credential: string;
}

export interface AdminAuditEntry {
  readonly actor: AdminActor;
  /** `<resource>.<verb>`, e.g. `ban.add`, `lease.release`. */
  readonly action: string;
  readonly target: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly requestId?: string;
}

export interface AdminAuditRow {
  readonly id: string;
  readonly at: Date;
  readonly actorDn: string;
  readonly actorRole: string;
  readonly credential: string;
  readonly action: string;
  readonly target: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly requestId: string | null;
}

export interface AdminAuditFilter {
  readonly action?: string;
  /** Prefix of the action, e.g. `ban.` for every ban action. */
  readonly actionPrefix?: string;
  readonly target?: string;
  readonly actorDn?: string;
  readonly from?: Date;
  readonly to?: Date;
  readonly limit?: number;
}

interface Row {
  id: string;
  at: Date;
  actor_dn: string;
  actor_role: string;
  credential: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
  request_id: string | null;
}

/**
 * The admin_audit trail. `record` takes the caller's transaction when there is one, so an action and its audit row
 * commit together (on the embedded database's single connection, a second connection would deadlock anyway).
 */
export class AdminAuditRepository {
  private readonly scope: SqlScope;

  constructor(target: Database | EntityManager) {
    this.scope = SqlScope.of(target);
  }

  async record(entry: AdminAuditEntry): Promise<void> {
    await this.scope.run((m) =>
      m.query(
        `INSERT INTO admin_audit (actor_dn, actor_role, credential, action, target, before, after, request_id)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8)`,
        [
          entry.actor.dn,
          entry.actor.role,
          entry.actor.credential,
          entry.action,
          entry.target,
          entry.before === undefined ? null : JSON.stringify(entry.before),
          entry.after === undefined ? null : JSON.stringify(entry.after),
          entry.requestId ?? null,
        ],
      ),
    );
  }

  async list(filter: AdminAuditFilter = {}): Promise<AdminAuditRow[]> {
    const rows = await this.scope.run((m) =>
      m.query<Row[]>(
        `SELECT id, at, actor_dn, actor_role, credential, action, target, before, after, request_id FROM admin_audit
         WHERE ($1::text IS NULL OR action = $1)
           AND ($2::text IS NULL OR starts_with(action, $2))
           AND ($3::text IS NULL OR target = $3)
           AND ($4::text IS NULL OR actor_dn = $4)
           AND ($5::timestamptz IS NULL OR at >= $5)
           AND ($6::timestamptz IS NULL OR at <= $6)
         ORDER BY at DESC, id DESC
         LIMIT $7`,
        [filter.action ?? null, filter.actionPrefix ?? null, filter.target ?? null, filter.actorDn ?? null, filter.from ?? null, filter.to ?? null, filter.limit ?? 500],
      ),
    );
    return rows.map((r) => ({
      id: String(r.id),
      at: toDate(r.at, 'at'),
      actorDn: r.actor_dn,
      actorRole: r.actor_role,
      credential: r.credential,
      action: r.action,
      target: r.target,
      before: r.before,
      after: r.after,
      requestId: r.request_id,
    }));
  }
}
