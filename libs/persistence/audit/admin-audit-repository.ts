import { hostname, userInfo } from 'node:os';
import type { EntityManager } from 'typeorm';
import type { Database } from '../database/database';
import { SqlScope, toDate } from '../mapping/sql-scope';

/**
 * How a change reached the database: the admin API, a CLI command writing the database itself ('direct'), SQL run
 * by hand ('database', written by a trigger), or a job of the service ('system', e.g. lease expiry).
 */
export const AUDIT_CHANNELS = ['api', 'direct', 'database', 'system'] as const;
export type AuditChannel = (typeof AUDIT_CHANNELS)[number];

/** Who acted: the admin principal and the credential used (a certificate, or which token), or a local user or job. */
export interface AdminActor {
  /** The principal's DN (api); the OS user `name@host` (direct); the database role (database); `gridauthz:<job>` (system). */
  readonly dn: string;
  readonly role: string;
  /** 'certificate', 'certificate:limited-proxy' or 'token:<id>' (api); 'os-user:<uid>' (direct); 'service' (system). */
  readonly credential: string;
  /** Default 'api'. */
  readonly channel?: AuditChannel;
}

/** The local OS user running a CLI command that writes the database itself (no admin API, no certificate). */
export function localActor(): AdminActor {
  const user = userInfo();
  return { dn: `${user.username}@${hostname()}`, role: 'local', credential: `os-user:${user.uid}`, channel: 'direct' };
}

/** A job of the service itself (e.g. `lease-expiry`). */
export function systemActor(job: string): AdminActor {
  return { dn: `gridauthz:${job}`, role: 'system', credential: 'service', channel: 'system' };
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
  readonly channel: AuditChannel;
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
  readonly channel?: AuditChannel;
  readonly from?: Date;
  readonly to?: Date;
  readonly limit?: number;
}

interface Row {
  id: string;
  at: Date;
  channel: AuditChannel;
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
        `INSERT INTO admin_audit (actor_dn, actor_role, credential, action, target, before, after, request_id, channel)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9)`,
        [
          entry.actor.dn,
          entry.actor.role,
          entry.actor.credential,
          entry.action,
          entry.target,
          entry.before === undefined ? null : JSON.stringify(entry.before),
          entry.after === undefined ? null : JSON.stringify(entry.after),
          entry.requestId ?? null,
          entry.actor.channel ?? 'api',
        ],
      ),
    );
  }

  async list(filter: AdminAuditFilter = {}): Promise<AdminAuditRow[]> {
    const rows = await this.scope.run((m) =>
      m.query<Row[]>(
        `SELECT id, at, channel, actor_dn, actor_role, credential, action, target, before, after, request_id FROM admin_audit
         WHERE ($1::text IS NULL OR action = $1)
           AND ($2::text IS NULL OR starts_with(action, $2))
           AND ($3::text IS NULL OR target = $3)
           AND ($4::text IS NULL OR actor_dn = $4)
           AND ($5::timestamptz IS NULL OR at >= $5)
           AND ($6::timestamptz IS NULL OR at <= $6)
           AND ($8::text IS NULL OR channel = $8)
         ORDER BY at DESC, id DESC
         LIMIT $7`,
        [filter.action ?? null, filter.actionPrefix ?? null, filter.target ?? null, filter.actorDn ?? null, filter.from ?? null, filter.to ?? null, filter.limit ?? 500, filter.channel ?? null],
      ),
    );
    return rows.map((r) => ({
      id: String(r.id),
      at: toDate(r.at, 'at'),
      channel: r.channel,
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

/** One change as the audited transaction records it; the actor and request id come from the transaction. */
export type AuditChange = Omit<AdminAuditEntry, 'actor' | 'requestId'>;

/** What an audited change runs with: the transaction to write through, and the audit trail of that transaction. */
export interface AuditedTransaction {
  /** Bind stores to this (e.g. `new PostgresBanStore(tx.manager)`), so the change commits with its audit row. */
  readonly manager: EntityManager;
  readonly actor: AdminActor;
  /** Writes an admin_audit row in this transaction. */
  record(change: AuditChange): Promise<void>;
}

export interface AuditContext {
  readonly actor: AdminActor;
  readonly requestId?: string;
}

/**
 * Runs an admin change and its audit row(s) in ONE transaction: either both commit or neither does (a failure
 * after the change statement, in the audit insert or anywhere in `work`, rolls the change back). Every admin write
 * goes through here — API controllers, CLI commands that write the database directly, and service jobs:
 *
 *   await audited(db, { actor, requestId }, async (tx) => {
 *     const ban = await new PostgresBanStore(tx.manager).add(draft);
 *     await tx.record({ action: 'ban.add', target: ban.id, after: ban });
 *   });
 *
 * Given an EntityManager it joins that transaction. It marks the transaction `gridauthz.audited`, so the database
 * triggers that audit changes made by hand (admin_principal) do not record the same change a second time.
 */
export function audited<T>(target: Database | EntityManager, context: AuditContext, work: (tx: AuditedTransaction) => Promise<T>): Promise<T> {
  return SqlScope.of(target).run(async (manager) => {
    await manager.query(`SELECT set_config('gridauthz.audited', 'on', true)`);
    const repository = new AdminAuditRepository(manager);
    const tx: AuditedTransaction = {
      manager,
      actor: context.actor,
      record: (change) =>
        repository.record({ actor: context.actor, action: change.action, target: change.target, before: change.before, after: change.after, requestId: context.requestId }),
    };
    return work(tx);
  });
}
