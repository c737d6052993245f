import type { EntityManager } from 'typeorm';
import type { Dn } from '@gridauthz/domain';
import { decodeLeaseName, encodeLeaseDn, encodeLeaseDnText, type Lease } from '@gridauthz/mapping';
import type { Database } from '../database/database';
import { type AdminActor, AdminAuditRepository } from '../audit/admin-audit-repository';
import { PostgresLeaseStore } from '../mapping/postgres-lease-store';
import { LEASE_HISTORY_COLUMNS, type LeaseHistoryEntry, type LeaseRow, toLease } from './forensics-repository';

export interface LeaseListFilter {
  readonly pool?: string;
  /** Exact subject key (gridmapdir lease name). */
  readonly subjectKey?: string;
  /**
   * Subject DN (slash form): matches the DN stored with the lease or, since the lease store records only the key, the
   * DN encoded at the head of the gridmapdir lease name (`%2fdc%3dorg...[:group...]`).
   */
  readonly subjectDn?: string;
  readonly username?: string;
  /** Include released leases (history). */
  readonly history?: boolean;
  readonly limit?: number;
}

export interface AccountState {
  readonly pool: string;
  readonly username: string;
  readonly uid: number;
  readonly gid: number;
  readonly enabled: boolean;
  readonly held: boolean;
  readonly availableAfter: Date | null;
}

export interface ReleaseOutcome {
  readonly lease: Lease;
  readonly availableAfter: Date;
}

/** Admin views of leases and accounts, and the admin release with its cool-down. */
export class LeaseAdministration {
  constructor(private readonly db: Database) {}

  async list(filter: LeaseListFilter): Promise<LeaseHistoryEntry[]> {
    const rows = await this.db.dataSource.query<LeaseRow[]>(
      `SELECT ${LEASE_HISTORY_COLUMNS}
       FROM lease l JOIN pool_account a ON a.id = l.account_id JOIN pool p ON p.id = l.pool_id
       WHERE ($1::boolean OR l.released_at IS NULL)
         AND ($2::text IS NULL OR p.name = $2)
         AND ($3::text IS NULL OR l.subject_key = $3)
         AND ($4::text IS NULL OR l.subject_dn = $4 OR l.subject_key = $7 OR starts_with(l.subject_key, $7 || ':'))
         AND ($5::text IS NULL OR a.username = $5)
       ORDER BY p.name COLLATE "C", a.username COLLATE "C", l.created_at DESC
       LIMIT $6`,
      [
        filter.history ?? false,
        filter.pool ?? null,
        filter.subjectKey ?? null,
        filter.subjectDn ?? null,
        filter.username ?? null,
        filter.limit ?? 1000,
        // Non-ASCII DNs have no lease-name form; '' then matches no key.
        filter.subjectDn === undefined ? null : (encodeLeaseDnText(filter.subjectDn) ?? ''),
      ],
    );
    return rows.map(toLease);
  }

  async accounts(pool?: string): Promise<AccountState[]> {
    const rows = await this.db.dataSource.query<
      { pool: string; username: string; uid: number; gid: number; enabled: boolean; held: boolean; available_after: Date | null }[]
    >(
      `SELECT p.name AS pool, a.username, a.uid, a.gid, a.enabled, a.held, a.available_after
       FROM pool_account a JOIN pool p ON p.id = a.pool_id
       WHERE ($1::text IS NULL OR p.name = $1)
       ORDER BY p.name COLLATE "C", a.username COLLATE "C"`,
      [pool ?? null],
    );
    return rows.map((r) => ({ pool: r.pool, username: r.username, uid: r.uid, gid: r.gid, enabled: r.enabled, held: r.held, availableAfter: r.available_after }));
  }

  /**
   * Releases a lease through the LeaseStore port and, in the same transaction, quarantines the account until
   * now + cool-down (mapping.md §2.7: a payload of the previous owner may still be queued or running), records who
   * released it and why on the history row, and writes the audit row. The lease store's claim skips accounts whose
   * available_after is in the future, so no replica can hand the account out before then. All on one connection,
   * as the embedded database requires.
   */
  async release(request: {
    pool: string;
    subjectKey: string;
    reason: string;
    coolDownSeconds: number;
    now: Date;
    actor: AdminActor;
    requestId?: string;
  }): Promise<ReleaseOutcome | undefined> {
    return this.db.transaction((m) => releaseOne(m, request));
  }

  /**
   * Releases every live lease of an account (`username`) or of a person (`subject`: every lease whose name starts
   * with the DN's lease encoding, optionally only those whose primary group, the first group of the name, is
   * `group`), optionally in one pool; each as `release` does, all in one transaction. The DN is matched by its lease
   * encoding, which is what LCMAPS and Argus key on: case-folded, so both spellings of a DN are the same person here
   * as in the gridmapdir.
   */
  async releaseMatching(request: {
    pool?: string;
    username?: string;
    subject?: Dn;
    group?: string;
    reason: string;
    coolDownSeconds: number;
    now: Date;
    actor: AdminActor;
    requestId?: string;
  }): Promise<ReleaseOutcome[]> {
    if ((request.username === undefined) === (request.subject === undefined)) throw new Error('releaseMatching needs exactly one of username and subject');
    const encoded = request.subject === undefined ? null : encodeLeaseDn(request.subject);
    return this.db.transaction(async (m) => {
      const rows = await m.query<{ pool: string; subject_key: string }[]>(
        `SELECT p.name AS pool, l.subject_key
         FROM lease l JOIN pool p ON p.id = l.pool_id JOIN pool_account a ON a.id = l.account_id
         WHERE l.released_at IS NULL
           AND ($1::text IS NULL OR p.name = $1)
           AND ($2::text IS NULL OR a.username = $2)
           AND ($3::text IS NULL OR l.subject_key = $3 OR starts_with(l.subject_key, $3 || ':'))
         ORDER BY p.name COLLATE "C", l.subject_key COLLATE "C"`,
        [request.pool ?? null, request.username ?? null, encoded],
      );
      const wanted = rows.filter((r) => {
        if (request.group === undefined) return true;
        const decoded = decodeLeaseName(r.subject_key);
        return typeof decoded !== 'string' && decoded.groups[0] === request.group;
      });
      const out: ReleaseOutcome[] = [];
      for (const r of wanted) {
        const released = await releaseOne(m, {
          pool: r.pool,
          subjectKey: r.subject_key,
          reason: request.reason,
          coolDownSeconds: request.coolDownSeconds,
          now: request.now,
          actor: request.actor,
          requestId: request.requestId,
        });
        if (released) out.push(released);
      }
      return out;
    });
  }
}

/** One release in the caller's transaction: lease ended, account quarantined, who and why recorded, audit row. */
async function releaseOne(
  m: EntityManager,
  request: { pool: string; subjectKey: string; reason: string; coolDownSeconds: number; now: Date; actor: AdminActor; requestId?: string },
): Promise<ReleaseOutcome | undefined> {
  const lease = await new PostgresLeaseStore(m).release(request.pool, request.subjectKey);
  if (!lease) return undefined;
  const availableAfter = new Date(request.now.getTime() + request.coolDownSeconds * 1000);
  // GREATEST: never shorten a longer quarantine set by someone else.
  await m.query(`UPDATE pool_account SET available_after = GREATEST(coalesce(available_after, $2), $2) WHERE username = $1`, [lease.username, availableAfter]);
  await m.query(
    `UPDATE lease l SET released_by = $3, release_reason = $4
     FROM pool p WHERE p.id = l.pool_id AND p.name = $1 AND l.subject_key = $2
       AND l.id = (SELECT max(x.id) FROM lease x WHERE x.pool_id = p.id AND x.subject_key = $2 AND x.released_at IS NOT NULL)`,
    [request.pool, request.subjectKey, request.actor.dn, request.reason],
  );
  const after = {
    poolId: lease.poolId,
    subjectKey: lease.subjectKey,
    username: lease.username,
    createdAt: lease.createdAt,
    lastUsedAt: lease.lastUsedAt,
    releasedBy: request.actor.dn,
    reason: request.reason,
    availableAfter,
  };
  await new AdminAuditRepository(m).record({
    actor: request.actor,
    action: 'lease.release',
    target: `${request.pool}/${request.subjectKey}`,
    before: lease,
    after,
    ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
  });
  return { lease, availableAfter };
}
