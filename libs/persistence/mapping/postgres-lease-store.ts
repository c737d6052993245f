import type { EntityManager } from 'typeorm';
import { fail, ok, type Result } from '@gridauthz/domain';
import type { AcquireError, Lease, LeaseFilter, LeaseRecord, LeaseStore, LeaseUpsertError, LeaseUpsertSummary, PoolAccount } from '@gridauthz/mapping';
import type { Database } from '../database/database';
import { SqlScope, toDate, toInt } from './sql-scope';

export interface PostgresLeaseStoreOptions {
  /**
   * Quarantine after release (mapping.md §2.7): a released account is not leased again until this long after the
   * released lease was last used, so queued jobs of the previous owner cannot start under the next one.
   * Default 0: free at once, as the LeaseStore port documents.
   */
  readonly coolDownMs?: number;
  /** Attempts per acquire when the database aborts a racing transaction (unique violation, deadlock). */
  readonly maxAttempts?: number;
}

interface PoolRow {
  id: string;
  kind: string;
}

interface AccountRow {
  id: string;
  username: string;
  uid: number | string;
  gid: number | string;
}

/** The columns acquire reads from gridauthz_acquire_lease's row (whose account columns are null on failure). */
type AcquireRow =
  | { outcome: 'unknown-pool' | 'exhausted' }
  | { outcome: 'touched' | 'created'; username: string; uid: number | string; gid: number | string };

interface LeaseRow {
  pool_name: string;
  subject_key: string;
  username: string;
  created_at: Date;
  last_used_at: Date;
}

/**
 * LeaseStore over PostgreSQL (or the embedded PGlite), safe with any number of replicas on one database.
 *
 * acquire is one call of the SQL function gridauthz_acquire_lease (migration 1795400000022), one round trip: under
 * READ COMMITTED it takes a transaction-scoped advisory lock on (pool, key), so acquires of one key queue instead of
 * each claiming an account; touches the key's live lease if there is one; otherwise claims the lowest free account
 * with FOR UPDATE SKIP LOCKED and flips its `held` flag, then inserts the lease. The claim tests `held` on the
 * locked row's newest version, which a NOT EXISTS over lease would not (a stale snapshot hands two claimers one
 * account). The partial unique indexes on live leases are the last line: a violation aborts the statement and the
 * whole acquire is retried a bounded number of times.
 */
export class PostgresLeaseStore implements LeaseStore {
  private readonly scope: SqlScope;
  private readonly coolDownMs: number;
  private readonly maxAttempts: number;

  constructor(target: Database | EntityManager, options: PostgresLeaseStoreOptions = {}) {
    this.scope = SqlScope.of(target);
    this.coolDownMs = options.coolDownMs ?? 0;
    this.maxAttempts = options.maxAttempts ?? 8;
    if (!Number.isSafeInteger(this.coolDownMs) || this.coolDownMs < 0) throw new Error(`coolDownMs must be a non-negative integer, got ${this.coolDownMs}`);
  }

  async acquire(poolId: string, subjectKey: string, now: Date): Promise<Result<{ account: PoolAccount; created: boolean }, AcquireError>> {
    // One statement, so one round trip; given a Database it is sent without BEGIN/COMMIT. A unique violation or
    // deadlock inside the function aborts the statement whole, and queryWithRetry sends it again.
    const rows = await this.scope.queryWithRetry<AcquireRow[]>(
      `SELECT outcome, username, uid, gid FROM gridauthz_acquire_lease($1, $2, $3)`,
      [poolId, subjectKey, now],
      this.maxAttempts,
    );
    const row = rows[0];
    switch (row?.outcome) {
      case 'unknown-pool':
        return fail('MAPPING_UNKNOWN_POOL', `no leasable pool ${poolId}`);
      case 'exhausted':
        return fail('MAPPING_POOL_EXHAUSTED', `pool ${poolId} has no free account for ${subjectKey}`);
      case 'touched':
      case 'created':
        return ok({ account: toAccount(poolId, row), created: row.outcome === 'created' });
      default:
        throw new Error(`gridauthz_acquire_lease returned ${JSON.stringify(rows[0])}`);
    }
  }

  async release(poolId: string, subjectKey: string): Promise<Lease | undefined> {
    const rows = await this.scope.runWithRetry(
      (m) =>
        this.endLeases(
          m,
          `l.pool_id = (SELECT id FROM pool WHERE name = $1) AND l.subject_key = $2`,
          [poolId, subjectKey],
          'released',
        ),
      this.maxAttempts,
    );
    return rows[0];
  }

  async list(filter: LeaseFilter = {}): Promise<readonly Lease[]> {
    const rows = await this.scope.run((m) =>
      m.query<LeaseRow[]>(
        `SELECT p.name AS pool_name, l.subject_key, a.username, l.created_at, l.last_used_at
         FROM lease l JOIN pool p ON p.id = l.pool_id JOIN pool_account a ON a.id = l.account_id
         WHERE l.released_at IS NULL
           AND ($1::text IS NULL OR p.name = $1)
           AND ($2::text IS NULL OR l.subject_key = $2)
           AND ($3::text IS NULL OR a.username = $3)
         ORDER BY p.name COLLATE "C", a.username COLLATE "C"`,
        [filter.poolId ?? null, filter.subjectKey ?? null, filter.username ?? null],
      ),
    );
    return rows.map(toLease);
  }

  /**
   * One statement ends the leases and clears `held` on their accounts. A lease an acquire touches meanwhile is
   * locked by it; this UPDATE waits and re-checks `last_used_at < cutoff` on the new version, so it survives.
   */
  async releaseIdle(idleBefore: Date, options: { readonly poolId?: string; readonly keep?: ReadonlySet<string> } = {}): Promise<readonly Lease[]> {
    const keep = [...(options.keep ?? [])];
    const rows = await this.scope.runWithRetry(
      (m) =>
        this.endLeases(
          m,
          `l.last_used_at < $1
           AND ($2::text IS NULL OR l.pool_id = (SELECT id FROM pool WHERE name = $2))
           AND NOT EXISTS (SELECT 1 FROM pool_account k WHERE k.id = l.account_id AND k.username = ANY ($3::text[]))`,
          [idleBefore, options.poolId ?? null, keep],
          `idle since before ${idleBefore.toISOString()}`,
        ),
      this.maxAttempts,
    );
    return rows;
  }

  /**
   * Ends the live leases matching `where` (over alias l) and frees their accounts in one statement, keeping the
   * rows as history. released_at never precedes created_at even if the caller's clock ran ahead of the database's.
   */
  private async endLeases(m: EntityManager, where: string, params: unknown[], reason: string): Promise<Lease[]> {
    const n = params.length;
    const rows = await m.query<LeaseRow[]>(
      `WITH ended AS (
         UPDATE lease l SET released_at = GREATEST(statement_timestamp(), l.created_at), release_reason = $${n + 1}
         WHERE l.released_at IS NULL AND ${where}
         RETURNING l.account_id, l.pool_id, l.subject_key, l.created_at, l.last_used_at),
       freed AS (
         UPDATE pool_account a
         SET held = false,
             available_after = CASE WHEN $${n + 2}::bigint > 0 THEN e.last_used_at + $${n + 2}::bigint * interval '1 millisecond' END
         FROM ended e WHERE a.id = e.account_id
         RETURNING a.id, a.username)
       SELECT p.name AS pool_name, e.subject_key, f.username, e.created_at, e.last_used_at
       FROM ended e JOIN freed f ON f.id = e.account_id JOIN pool p ON p.id = e.pool_id
       ORDER BY p.name COLLATE "C", f.username COLLATE "C"`,
      [...params, reason, this.coolDownMs],
    );
    return rows.map(toLease);
  }

  /**
   * Checks the whole batch against the live leases before writing anything; the touched accounts are locked and
   * the touched keys hold the same advisory locks acquire takes, so no claim can slip in between check and write.
   */
  upsert(records: readonly LeaseRecord[], now: Date): Promise<Result<LeaseUpsertSummary, LeaseUpsertError>> {
    return this.scope.runWithRetry(async (m) => {
      const poolNames = [...new Set(records.map((r) => r.poolId))];
      const pools = new Map(
        (await m.query<(PoolRow & { name: string })[]>(`SELECT id, name, kind FROM pool WHERE name = ANY ($1::text[])`, [poolNames])).map((p) => [p.name, p]),
      );
      const slot = (pool: string, key: string): string => JSON.stringify([pool, key]);
      const lockKeys = [...new Map(records.map((r) => [slot(r.poolId, r.subjectKey), r] as const)).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      // Key locks first, then account rows: acquire takes them in this order too, so the two cannot deadlock.
      // One statement for the whole batch; the function scan yields the keys in array (sorted) order.
      await m.query(
        `SELECT count(pg_advisory_xact_lock(hashtext('gridauthz.lease:' || p), hashtext(k))) FROM unnest($1::text[], $2::text[]) AS x(p, k)`,
        [lockKeys.map(([, r]) => r.poolId), lockKeys.map(([, r]) => r.subjectKey)],
      );
      const usernames = [...new Set(records.map((r) => r.username))];
      // Locked in id order, the order every multi-account writer uses, so two imports cannot deadlock.
      const accounts = new Map(
        (
          await m.query<(AccountRow & { pool_id: string })[]>(
            `SELECT id, username, uid, gid, pool_id FROM pool_account WHERE username = ANY ($1::text[]) ORDER BY id FOR UPDATE`,
            [usernames],
          )
        ).map((a) => [a.username, a]),
      );
      const live = await m.query<{ pool_name: string; subject_key: string; username: string; last_used_at: Date }[]>(
        `SELECT p.name AS pool_name, l.subject_key, a.username, l.last_used_at
         FROM lease l JOIN pool p ON p.id = l.pool_id JOIN pool_account a ON a.id = l.account_id
         WHERE l.released_at IS NULL
           AND (a.username = ANY ($1::text[]) OR (p.name, l.subject_key) IN (SELECT * FROM unnest($2::text[], $3::text[])))
         FOR UPDATE OF l`,
        [usernames, lockKeys.map(([, r]) => r.poolId), lockKeys.map(([, r]) => r.subjectKey)],
      );
      const byKey = new Map(live.map((l) => [slot(l.pool_name, l.subject_key), { username: l.username, lastUsedAt: toDate(l.last_used_at, 'last_used_at') }]));
      const byAccount = new Map(live.map((l) => [l.username, slot(l.pool_name, l.subject_key)]));

      const inserts = new Map<string, { account: AccountRow; poolRowId: string; record: LeaseRecord }>();
      const updates = new Map<string, { poolRowId: string; record: LeaseRecord }>();
      let inserted = 0;
      let updated = 0;
      let unchanged = 0;
      for (const r of records) {
        const pool = pools.get(r.poolId);
        if (!pool || pool.kind === 'static') return fail('MAPPING_UNKNOWN_POOL', `no leasable pool ${r.poolId}`);
        const account = accounts.get(r.username);
        if (!account || account.pool_id !== pool.id) return fail('MAPPING_UNKNOWN_ACCOUNT', `${r.username} is not an account of pool ${r.poolId}`);
        const k = slot(r.poolId, r.subjectKey);
        const holder = byKey.get(k);
        if (holder && holder.username !== r.username) return fail('MAPPING_LEASE_CONFLICT', `${r.subjectKey} in ${r.poolId} holds ${holder.username}, not ${r.username}`);
        const accountHolder = byAccount.get(r.username);
        if (accountHolder !== undefined && accountHolder !== k) return fail('MAPPING_LEASE_CONFLICT', `${r.username} is already leased to another key`);
        if (!holder) {
          inserts.set(k, { account, poolRowId: pool.id, record: r });
          byKey.set(k, { username: r.username, lastUsedAt: r.lastUsedAt });
          byAccount.set(r.username, k);
          inserted += 1;
        } else if (r.lastUsedAt.getTime() > holder.lastUsedAt.getTime()) {
          byKey.set(k, { username: r.username, lastUsedAt: r.lastUsedAt });
          const pending = inserts.get(k);
          if (pending) inserts.set(k, { account: pending.account, poolRowId: pending.poolRowId, record: r });
          else updates.set(k, { poolRowId: pool.id, record: r });
          updated += 1;
        } else {
          unchanged += 1;
        }
      }

      const ins = [...inserts.values()];
      if (ins.length > 0) {
        await m.query(
          `INSERT INTO lease (account_id, pool_id, subject_key, created_at, last_used_at)
           SELECT a, p, k, $4, u FROM unnest($1::bigint[], $2::bigint[], $3::text[], $5::timestamptz[]) AS x(a, p, k, u)`,
          [ins.map((i) => i.account.id), ins.map((i) => i.poolRowId), ins.map((i) => i.record.subjectKey), now, ins.map((i) => i.record.lastUsedAt)],
        );
        await m.query(`UPDATE pool_account SET held = true, available_after = NULL WHERE id = ANY ($1::bigint[])`, [ins.map((i) => i.account.id)]);
      }
      const upd = [...updates.values()];
      if (upd.length > 0) {
        await m.query(
          `UPDATE lease l SET last_used_at = GREATEST(l.last_used_at, x.u)
           FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS x(p, k, u)
           WHERE l.released_at IS NULL AND l.pool_id = x.p AND l.subject_key = x.k`,
          [upd.map((u) => u.poolRowId), upd.map((u) => u.record.subjectKey), upd.map((u) => u.record.lastUsedAt)],
        );
      }
      return ok({ inserted, updated, unchanged });
    }, this.maxAttempts);
  }
}

function toAccount(poolId: string, row: Pick<AccountRow, 'username' | 'uid' | 'gid'>): PoolAccount {
  return { poolId, username: row.username, uid: toInt(row.uid, 'uid'), gid: toInt(row.gid, 'gid') };
}

function toLease(row: LeaseRow): Lease {
  return {
    poolId: row.pool_name,
    subjectKey: row.subject_key,
    username: row.username,
    createdAt: toDate(row.created_at, 'created_at'),
    lastUsedAt: toDate(row.last_used_at, 'last_used_at'),
  };
}
