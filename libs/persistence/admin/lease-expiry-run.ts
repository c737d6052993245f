import type { Lease } from '@gridauthz/mapping';
import type { Database } from '../database/database';
import { AdminAuditRepository, type AdminActor } from '../audit/admin-audit-repository';
import { PostgresLeaseStore } from '../mapping/postgres-lease-store';

/** Who runs the scheduled expiry, in admin_audit and on the released lease rows. */
export const LEASE_EXPIRY_JOB_ACTOR: AdminActor = { dn: 'gridauthz:lease-expiry', role: 'system', credential: 'service', channel: 'system' };

export interface LeaseExpiryRequest {
  /** Leases last used more than this long before `now` are released (lcg-expiregridmapdir -e). */
  readonly idleMs: number;
  readonly now: Date;
  /** The released account is not leased again before now + this (admin.releaseCooldownSeconds). */
  readonly coolDownSeconds: number;
  readonly actor: AdminActor;
  /** Only report what would be released. */
  readonly dryRun?: boolean;
  /** Write an audit row even when nothing was released (a run an admin asked for). */
  readonly auditEmptyRun?: boolean;
  readonly requestId?: string;
}

export interface LeaseExpiryOutcome {
  /** Another replica was running expiry at that moment; this run did nothing. */
  readonly skipped: boolean;
  readonly cutoff: Date;
  readonly dryRun: boolean;
  /** Released leases (dry run: the leases that would be). */
  readonly leases: readonly Lease[];
  readonly availableAfter: Date;
}

/**
 * One expiry run (docs/lease-expiry.md), as one transaction: the run's advisory lock, the release of every lease
 * idle since before the cutoff (one UPDATE that re-checks each lease as it ends it, so a lease touched meanwhile
 * survives and no lease is ended twice), the quarantine of the freed accounts, who released them, and one
 * admin_audit row. The lock is try-only and transaction-scoped: while one replica runs, another one's run returns
 * `skipped` at once instead of queueing, and a crashed run leaves no lock behind.
 */
export async function runLeaseExpiry(db: Database, request: LeaseExpiryRequest): Promise<LeaseExpiryOutcome> {
  if (!Number.isSafeInteger(request.idleMs) || request.idleMs <= 0) throw new Error(`idleMs must be a positive integer, got ${request.idleMs}`);
  const cutoff = new Date(request.now.getTime() - request.idleMs);
  const availableAfter = new Date(request.now.getTime() + request.coolDownSeconds * 1000);
  const dryRun = request.dryRun === true;
  return db.transaction(async (m) => {
    const [lock] = await m.query<{ got: boolean }[]>(`SELECT pg_try_advisory_xact_lock(hashtext('gridauthz.lease-expiry')) AS got`);
    if (!lock?.got) return { skipped: true, cutoff, dryRun, leases: [], availableAfter };
    const store = new PostgresLeaseStore(m);
    if (dryRun) {
      const leases = (await store.list()).filter((l) => l.lastUsedAt.getTime() < cutoff.getTime());
      return { skipped: false, cutoff, dryRun, leases, availableAfter };
    }
    const leases = await store.releaseIdle(cutoff);
    const usernames = leases.map((l) => l.username);
    if (leases.length > 0) {
      await m.query(`UPDATE pool_account SET available_after = GREATEST(coalesce(available_after, $2), $2) WHERE username = ANY ($1::text[])`, [usernames, availableAfter]);
      // The account's newest lease row is the one just ended: it has no live lease any more.
      await m.query(
        `UPDATE lease l SET released_by = $2
         FROM pool_account a
         WHERE a.id = l.account_id AND a.username = ANY ($1::text[])
           AND l.id = (SELECT max(x.id) FROM lease x WHERE x.account_id = l.account_id)`,
        [usernames, request.actor.dn],
      );
    }
    if (leases.length > 0 || request.auditEmptyRun) {
      await new AdminAuditRepository(m).record({
        actor: request.actor,
        action: 'lease.expire',
        target: `idle>${Math.round(request.idleMs / 1000)}s`,
        before: { leases },
        after: { released: leases.length, cutoff, availableAfter },
        ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
      });
    }
    return { skipped: false, cutoff, dryRun, leases, availableAfter };
  });
}
