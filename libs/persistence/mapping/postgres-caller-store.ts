import type { EntityManager } from 'typeorm';
import { Dn } from '@gridauthz/domain';
import type { CallerEntry, CallerRole } from '@gridauthz/mapping';
import type { Database } from '../database/database';
import { SqlScope, toDate } from './sql-scope';

/** A row of the caller table (docs/callers.md). */
export interface StoredCaller {
  readonly id: string;
  /** Display form (slash) as added. */
  readonly dn: string;
  readonly role: CallerRole;
  readonly comment: string;
  readonly createdBy: string;
  readonly createdAt: Date;
}

interface Row {
  id: string;
  dn: string;
  role: CallerRole;
  comment: string;
  created_by: string;
  created_at: Date;
}

const COLUMNS = `id, dn, role, comment, created_by, created_at`;

const toStored = (r: Row): StoredCaller => ({
  id: String(r.id),
  dn: r.dn,
  role: r.role,
  comment: r.comment,
  createdBy: r.created_by,
  createdAt: toDate(r.created_at, 'created_at'),
});

/**
 * The caller table: (DN, role) pairs keyed by the DN's structural key, so two renderings of one name are one
 * caller. Takes the caller's transaction when given one, so a change and its admin_audit row commit together.
 */
export class PostgresCallerStore {
  private readonly scope: SqlScope;

  constructor(target: Database | EntityManager) {
    this.scope = SqlScope.of(target);
  }

  async list(): Promise<StoredCaller[]> {
    const rows = await this.scope.run((m) => m.query<Row[]>(`SELECT ${COLUMNS} FROM caller ORDER BY dn COLLATE "C", role`));
    return rows.map(toStored);
  }

  /** Every row as a model entry; a row whose DN no longer parses is skipped and reported. */
  async entries(onBadRow: (row: StoredCaller, message: string) => void = () => {}): Promise<CallerEntry[]> {
    const out: CallerEntry[] = [];
    for (const row of await this.list()) {
      try {
        out.push({ dn: Dn.parse(row.dn), role: row.role, source: 'database', ...(row.comment !== '' ? { comment: row.comment } : {}) });
      } catch (err) {
        onBadRow(row, (err as Error).message);
      }
    }
    return out;
  }

  async find(dn: Dn): Promise<StoredCaller[]> {
    const rows = await this.scope.run((m) => m.query<Row[]>(`SELECT ${COLUMNS} FROM caller WHERE dn_key = $1 ORDER BY role`, [dn.canonicalKey()]));
    return rows.map(toStored);
  }

  /**
   * Gives the DN the role (a no-op when it has it, except that a new non-empty comment replaces the old one);
   * returns the row before (undefined if new) and after.
   */
  async add(dn: Dn, role: CallerRole, options: { readonly comment?: string; readonly by: string }): Promise<{ before: StoredCaller | undefined; after: StoredCaller }> {
    return this.scope.run(async (m) => {
      const previous = await m.query<Row[]>(`SELECT ${COLUMNS} FROM caller WHERE dn_key = $1 AND role = $2 FOR UPDATE`, [dn.canonicalKey(), role]);
      const rows = await m.query<Row[]>(
        `INSERT INTO caller (dn_key, dn, role, comment, created_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (dn_key, role) DO UPDATE SET comment = CASE WHEN EXCLUDED.comment = '' THEN caller.comment ELSE EXCLUDED.comment END
         RETURNING ${COLUMNS}`,
        [dn.canonicalKey(), dn.toSlash(), role, options.comment ?? '', options.by],
      );
      const after = rows[0];
      if (!after) throw new Error('INSERT INTO caller returned no row');
      return { before: previous[0] ? toStored(previous[0]) : undefined, after: toStored(after) };
    });
  }

  /** Removes the DN's role, or every role of the DN when none is given; returns the removed rows. */
  async remove(dn: Dn, role?: CallerRole): Promise<StoredCaller[]> {
    const rows = await this.scope.run((m) =>
      // In a CTE: TypeORM returns [rows, count] for a bare DELETE … RETURNING.
      m.query<Row[]>(`WITH gone AS (DELETE FROM caller WHERE dn_key = $1 AND ($2::text IS NULL OR role = $2) RETURNING ${COLUMNS}) SELECT * FROM gone`, [
        dn.canonicalKey(),
        role ?? null,
      ]),
    );
    return rows.map(toStored);
  }
}
