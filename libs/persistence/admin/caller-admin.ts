import type { Dn } from '@gridauthz/domain';
import type { CallerRole } from '@gridauthz/mapping';
import type { Database } from '../database/database';
import { AdminAuditRepository, type AdminActor } from '../audit/admin-audit-repository';
import { PostgresCallerStore, type StoredCaller } from '../mapping/postgres-caller-store';

/** A caller row as the admin API and the CLI show it. */
export interface CallerView {
  readonly dn: string;
  readonly role: CallerRole;
  readonly comment: string;
  readonly createdBy: string;
  readonly createdAt: string;
}

export const callerView = (c: StoredCaller): CallerView => ({ dn: c.dn, role: c.role, comment: c.comment, createdBy: c.createdBy, createdAt: c.createdAt.toISOString() });

/**
 * Caller changes for the admin API, the CLI and imports: each change and its admin_audit row commit in one
 * transaction, and the caller table's trigger bumps the 'caller' generation so every replica reloads.
 */
export class CallerAdministration {
  constructor(private readonly db: Database) {}

  list(): Promise<StoredCaller[]> {
    return new PostgresCallerStore(this.db).list();
  }

  async add(dn: Dn, role: CallerRole, comment: string | undefined, actor: AdminActor, requestId?: string): Promise<{ before: CallerView | undefined; after: CallerView }> {
    return this.db.transaction(async (m) => {
      const { before, after } = await new PostgresCallerStore(m).add(dn, role, { comment, by: actor.dn });
      const views = { before: before ? callerView(before) : undefined, after: callerView(after) };
      await new AdminAuditRepository(m).record({ actor, action: 'caller.add', target: `${after.dn} ${role}`, ...(views.before ? { before: views.before } : {}), after: views.after, ...(requestId !== undefined ? { requestId } : {}) });
      return views;
    });
  }

  /** Removes one role of the DN, or all; an empty answer means there was nothing to remove (and nothing is audited). */
  async remove(dn: Dn, role: CallerRole | undefined, actor: AdminActor, requestId?: string): Promise<CallerView[]> {
    return this.db.transaction(async (m) => {
      const removed = (await new PostgresCallerStore(m).remove(dn, role)).map(callerView);
      if (removed.length > 0) {
        await new AdminAuditRepository(m).record({ actor, action: 'caller.remove', target: `${removed[0]?.dn ?? dn.toSlash()}${role ? ` ${role}` : ''}`, before: removed, ...(requestId !== undefined ? { requestId } : {}) });
      }
      return removed;
    });
  }

  /**
   * Adds every DN with the role, all or nothing, with one audit row naming the source file and what was new.
   * `dryRun` checks and counts, then rolls back.
   */
  async import(dns: readonly Dn[], role: CallerRole, options: { readonly comment: string; readonly source: string; readonly dryRun?: boolean }, actor: AdminActor): Promise<{ inserted: number; unchanged: number }> {
    const rollback = new Error('dry run');
    let counts = { inserted: 0, unchanged: 0 };
    try {
      await this.db.transaction(async (m) => {
        const store = new PostgresCallerStore(m);
        const added: CallerView[] = [];
        const seen = new Set<string>();
        counts = { inserted: 0, unchanged: 0 };
        for (const dn of dns) {
          if (seen.has(dn.canonicalKey())) continue;
          seen.add(dn.canonicalKey());
          const { before, after } = await store.add(dn, role, { comment: options.comment, by: actor.dn });
          if (before) counts.unchanged += 1;
          else {
            counts.inserted += 1;
            added.push(callerView(after));
          }
        }
        if (added.length > 0) await new AdminAuditRepository(m).record({ actor, action: 'caller.import', target: options.source, after: added });
        if (options.dryRun) throw rollback;
      });
    } catch (err) {
      if (err !== rollback) throw err;
    }
    return counts;
  }
}
