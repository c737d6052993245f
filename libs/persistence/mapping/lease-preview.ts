import type { EntityManager } from 'typeorm';
import type { Database } from '../database/database';
import { SqlScope } from './sql-scope';

export interface PreviewAccount {
  readonly username: string;
  readonly uid: number;
  readonly gid: number;
}

/** What acquiring (pool, key) would do now, read without writing anything. */
export type LeasePreview =
  | { readonly kind: 'existing'; readonly account: PreviewAccount; readonly createdAt: Date; readonly lastUsedAt: Date }
  | { readonly kind: 'next-free'; readonly account: PreviewAccount; readonly free: number }
  | { readonly kind: 'exhausted' }
  | { readonly kind: 'no-pool' };

/**
 * The what-if half of a lease (`gridauthz map`, GUMS's "map grid identity"): the live lease of the key, else the
 * account gridauthz_acquire_lease would claim (lowest free, enabled, out of cooldown, in byte order: the same
 * selection as migration 1795400000022). Reads only; a concurrent acquire may of course take that account first.
 */
export async function previewLease(target: Database | EntityManager, poolId: string, subjectKey: string, now: Date): Promise<LeasePreview> {
  return SqlScope.of(target).run(async (m) => {
    const pool = await m.query<{ id: string }[]>(`SELECT id FROM pool WHERE name = $1`, [poolId]);
    const id = pool[0]?.id;
    if (id === undefined) return { kind: 'no-pool' };
    const existing = await m.query<{ username: string; uid: number; gid: number; created_at: Date; last_used_at: Date }[]>(
      `SELECT a.username, a.uid, a.gid, l.created_at, l.last_used_at FROM lease l JOIN pool_account a ON a.id = l.account_id
       WHERE l.pool_id = $1 AND l.subject_key = $2 AND l.released_at IS NULL`,
      [id, subjectKey],
    );
    const e = existing[0];
    if (e) {
      return { kind: 'existing', account: { username: e.username, uid: Number(e.uid), gid: Number(e.gid) }, createdAt: new Date(e.created_at), lastUsedAt: new Date(e.last_used_at) };
    }
    const free = await m.query<{ username: string; uid: number; gid: number; free: string }[]>(
      `SELECT a.username, a.uid, a.gid, count(*) OVER () AS free FROM pool_account a
       WHERE a.pool_id = $1 AND NOT a.held AND a.enabled AND (a.available_after IS NULL OR a.available_after <= $2)
       ORDER BY a.username COLLATE "C" LIMIT 1`,
      [id, now],
    );
    const f = free[0];
    if (!f) return { kind: 'exhausted' };
    return { kind: 'next-free', account: { username: f.username, uid: Number(f.uid), gid: Number(f.gid) }, free: Number(f.free) };
  });
}
