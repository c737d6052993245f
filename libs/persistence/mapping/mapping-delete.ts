import type { EntityManager } from 'typeorm';
import type { Database } from '../database/database';
import { type AdminActor, AdminAuditRepository } from '../audit/admin-audit-repository';

/** The outcome of a delete: what was removed (as audited), or why nothing was. */
export type DeleteOutcome = { readonly ok: true; readonly before: unknown } | { readonly ok: false; readonly status: 404 | 409; readonly reason: string };

interface AuditContext {
  readonly actor: AdminActor;
  readonly requestId?: string;
}

const CONFIG_LOCK = `SELECT pg_advisory_xact_lock(hashtext('gridauthz.mapping-config'))`;

/**
 * Deletes a pool with its accounts, in one transaction with its admin_audit row. Refused while a mapping rule or a
 * pilot role points at the pool (they would dangle), and while users hold live leases on it unless `force`: their
 * running jobs keep the accounts' uids, and the next decision would map them elsewhere. The pool's lease history
 * (who held which account when, what `audit who` reads) goes into the audit row's `before`, so traceability
 * survives the rows. Serialised with every other configuration write by the mapping-config lock.
 */
export async function deletePool(db: Database, poolId: string, options: { force: boolean } & AuditContext): Promise<DeleteOutcome> {
  return db.transaction(async (m) => {
    await m.query(CONFIG_LOCK);
    const pool = (await m.query<{ id: string; kind: string }[]>(`SELECT id, kind FROM pool WHERE name = $1`, [poolId]))[0];
    if (!pool) return { ok: false, status: 404, reason: `no pool ${poolId}` };
    const rules = await m.query<{ rule_key: string }[]>(
      `SELECT rule_key FROM mapping_rule WHERE account_pool_id = $1
        OR account_username IN (SELECT username FROM pool_account WHERE pool_id = $1) ORDER BY position`,
      [pool.id],
    );
    const roles = await m.query<{ role_key: string }[]>(`SELECT role_key FROM pilot_role WHERE pool_id = $1 ORDER BY role_key`, [pool.id]);
    if (rules.length > 0 || roles.length > 0) {
      const uses = [...rules.map((r) => `rule ${r.rule_key}`), ...roles.map((r) => `pilot role ${r.role_key}`)];
      return { ok: false, status: 409, reason: `pool ${poolId} is still used by ${uses.join(', ')}; change or remove them first` };
    }
    const leases = await m.query<{ username: string; uid: number; subject_key: string; created_at: Date; last_used_at: Date; released_at: Date | null; released_by: string | null }[]>(
      `SELECT a.username, a.uid, l.subject_key, l.created_at, l.last_used_at, l.released_at, l.released_by
       FROM lease l JOIN pool_account a ON a.id = l.account_id WHERE l.pool_id = $1 ORDER BY l.created_at, l.id`,
      [pool.id],
    );
    const live = leases.filter((l) => l.released_at === null);
    if (live.length > 0 && !options.force) {
      return {
        ok: false,
        status: 409,
        reason:
          `pool ${poolId} has ${live.length} live lease(s): users mapped to its accounts would be mapped elsewhere at their next ` +
          'request while their jobs still run under the old uids; release them first, or force the delete',
      };
    }
    const accounts = await m.query<{ username: string; uid: number; gid: number }[]>(
      `SELECT username, uid, gid FROM pool_account WHERE pool_id = $1 ORDER BY username COLLATE "C"`,
      [pool.id],
    );
    await m.query(`DELETE FROM lease WHERE pool_id = $1`, [pool.id]);
    await m.query(`DELETE FROM pool_account WHERE pool_id = $1`, [pool.id]);
    await m.query(`DELETE FROM pool WHERE id = $1`, [pool.id]);
    const before = {
      pool: { id: poolId, kind: pool.kind, accounts: accounts.map((a) => ({ username: a.username, uid: Number(a.uid), gid: Number(a.gid) })) },
      leases: leases.map((l) => ({
        username: l.username,
        uid: Number(l.uid),
        subjectKey: l.subject_key,
        createdAt: new Date(l.created_at).toISOString(),
        lastUsedAt: new Date(l.last_used_at).toISOString(),
        releasedAt: l.released_at ? new Date(l.released_at).toISOString() : null,
        releasedBy: l.released_by,
      })),
      forced: live.length > 0,
    };
    await audit(m, options, 'pool.delete', poolId, before);
    return { ok: true, before };
  });
}

/** Deletes a unix group; refused while a mapping rule gives it. Audited in the same transaction. */
export async function deleteGroup(db: Database, name: string, options: AuditContext): Promise<DeleteOutcome> {
  return db.transaction(async (m) => {
    await m.query(CONFIG_LOCK);
    const group = (await m.query<{ id: string; gid: number }[]>(`SELECT id, gid FROM unix_group WHERE name = $1`, [name]))[0];
    if (!group) return { ok: false, status: 404, reason: `no unix group ${name}` };
    const rules = await m.query<{ rule_key: string }[]>(
      `SELECT DISTINCT r.rule_key, r.position FROM mapping_rule_group g JOIN mapping_rule r ON r.id = g.mapping_rule_id WHERE g.unix_group_id = $1 ORDER BY r.position`,
      [group.id],
    );
    if (rules.length > 0) return { ok: false, status: 409, reason: `unix group ${name} is given by ${rules.map((r) => `rule ${r.rule_key}`).join(', ')}; change them first` };
    await m.query(`DELETE FROM unix_group WHERE id = $1`, [group.id]);
    const before = { name, gid: Number(group.gid) };
    await audit(m, options, 'group.delete', name, before);
    return { ok: true, before };
  });
}

/** Deletes a pilot role. Audited in the same transaction. */
export async function deletePilotRole(db: Database, id: string, options: AuditContext): Promise<DeleteOutcome> {
  return db.transaction(async (m) => {
    await m.query(CONFIG_LOCK);
    const role = (await m.query<{ fqan_pattern: string; pool: string }[]>(
      `SELECT r.fqan_pattern, p.name AS pool FROM pilot_role r JOIN pool p ON p.id = r.pool_id WHERE r.role_key = $1`,
      [id],
    ))[0];
    if (!role) return { ok: false, status: 404, reason: `no pilot role ${id}` };
    await m.query(`DELETE FROM pilot_role WHERE role_key = $1`, [id]);
    const before = { id, fqanPattern: role.fqan_pattern, poolId: role.pool };
    await audit(m, options, 'pilot-role.delete', id, before);
    return { ok: true, before };
  });
}

function audit(m: EntityManager, context: AuditContext, action: string, target: string, before: unknown): Promise<void> {
  return new AdminAuditRepository(m).record({ actor: context.actor, action, target, before, ...(context.requestId ? { requestId: context.requestId } : {}) });
}
