import type { EntityManager } from 'typeorm';
import { fail, ok, type Result } from '@gridauthz/domain';
import { banValueKey, checkBanDraft, type Ban, type BanDraft, type BanKind, type BanStore, type BanUpsertSummary } from '@gridauthz/mapping';
import type { Database } from '../database/database';
import { SqlScope, toDate, toInt } from './sql-scope';

export interface PostgresBanStoreOptions {
  /** Recorded as lifted_by when the port's remove() lifts a ban; lift() takes its own. */
  readonly actor?: string;
}

interface BanRow {
  id: string;
  kind: BanKind;
  value: string;
  reason: string;
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
  value_key: string | null;
  issuer: string | null;
}

const COLUMNS = `id, kind, value, reason, created_by, created_at, expires_at, value_key, issuer`;

/**
 * BanStore over the ban table. Bans are never deleted: the port's remove() lifts the ban (lifted_at, lifted_by), so
 * who banned whom, and when it ended, stays on record; lifted bans are invisible through the port. Expiry is kept
 * as expires_at and applied by listActive, so an expired ban needs no write to end.
 */
export class PostgresBanStore implements BanStore {
  private readonly scope: SqlScope;
  private readonly actor: string;

  constructor(target: Database | EntityManager, options: PostgresBanStoreOptions = {}) {
    this.scope = SqlScope.of(target);
    this.actor = options.actor ?? 'gridauthz';
  }

  async add(draft: BanDraft): Promise<Result<Ban, 'MAPPING_CONFIG_INVALID'>> {
    const problem = checkBanDraft(draft);
    if (problem !== undefined) return fail('MAPPING_CONFIG_INVALID', problem);
    const [row] = await this.scope.run((m) => insertBans(m, [draft]));
    if (!row) throw new Error('INSERT INTO ban returned no row');
    return ok(toBan(row));
  }

  /** Matches by (kind, value) among bans not lifted, expired ones included, as the in-memory store does. */
  async upsert(drafts: readonly BanDraft[]): Promise<Result<BanUpsertSummary, 'MAPPING_CONFIG_INVALID'>> {
    const problems = drafts.flatMap((d) => {
      const p = checkBanDraft(d);
      return p === undefined ? [] : [`${d.kind} ${d.value}: ${p}`];
    });
    if (problems.length > 0) return fail('MAPPING_CONFIG_INVALID', problems.join('; '));
    return this.scope.run(async (m) => {
      // Two concurrent imports of one list must not both insert a ban: writers of ban lists queue here.
      await m.query(`SELECT pg_advisory_xact_lock(hashtext('gridauthz.ban-upsert'))`);
      // A DN ban is found by its name's key (one name written two ways is one ban), anything else by its text.
      const keyed = drafts.filter((d) => banValueKey(d) !== null);
      const existing = await m.query<BanRow[]>(
        `SELECT ${COLUMNS} FROM ban WHERE lifted_at IS NULL AND (
           (kind, coalesce(issuer, ''), value) IN (SELECT * FROM unnest($1::text[], $5::text[], $2::text[])) OR
           (value_key IS NOT NULL AND (kind, value_key) IN (SELECT * FROM unnest($3::text[], $4::text[]))))
         ORDER BY created_at, id`,
        [drafts.map((d) => d.kind), drafts.map((d) => d.value), keyed.map((d) => d.kind), keyed.map((d) => banValueKey(d) as string), drafts.map((d) => d.issuer ?? '')],
      );
      const byKey = new Map<string, Ban>();
      for (const row of existing) if (!byKey.has(natural(row))) byKey.set(natural(row), toBan(row));
      const unchanged: Ban[] = [];
      const fresh: BanDraft[] = [];
      const freshKeys = new Set<string>();
      for (const d of drafts) {
        const found = byKey.get(natural(d));
        if (found) unchanged.push(found);
        else if (!freshKeys.has(natural(d))) {
          freshKeys.add(natural(d));
          fresh.push(d);
        }
      }
      const inserted = (await insertBans(m, fresh)).map(toBan);
      return ok({ inserted, unchanged });
    });
  }

  /** The port's removal: lifts the ban, recording this store's actor. */
  async remove(id: string): Promise<boolean> {
    return this.lift(id, { by: this.actor, reason: 'removed' });
  }

  /** Ends a ban now and records who lifted it and why; false if there is no such ban or it is lifted already. */
  async lift(id: string, by: { readonly by: string; readonly reason: string }): Promise<boolean> {
    if (!/^[0-9]{1,18}$/.test(id)) return false;
    const rows = await this.scope.run((m) =>
      m.query<{ id: string }[]>(
        `WITH lifted AS (
           UPDATE ban SET lifted_at = GREATEST(statement_timestamp(), created_at), lifted_by = $2, lift_reason = $3
           WHERE id = $1 AND lifted_at IS NULL RETURNING id)
         SELECT id FROM lifted`,
        [id, by.by, by.reason],
      ),
    );
    return rows.length > 0;
  }

  async listActive(now: Date): Promise<readonly Ban[]> {
    const rows = await this.scope.run((m) =>
      m.query<BanRow[]>(`SELECT ${COLUMNS} FROM ban WHERE lifted_at IS NULL AND (expires_at IS NULL OR expires_at > $1) ORDER BY created_at, id`, [now]),
    );
    return rows.map(toBan);
  }

  async list(): Promise<readonly Ban[]> {
    const rows = await this.scope.run((m) => m.query<BanRow[]>(`SELECT ${COLUMNS} FROM ban WHERE lifted_at IS NULL ORDER BY created_at, id`));
    return rows.map(toBan);
  }
}

async function insertBans(m: EntityManager, drafts: readonly BanDraft[]): Promise<BanRow[]> {
  if (drafts.length === 0) return [];
  // WITH ORDINALITY keeps the drafts' order in the ids, so "first" among equal created_at is the first draft.
  return m.query<BanRow[]>(
    `INSERT INTO ban (kind, value, reason, created_by, created_at, expires_at, value_key, issuer)
     SELECT k, v, r, b, c, e, vk, i FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[]) WITH ORDINALITY AS x(k, v, r, b, c, e, vk, i, n)
     ORDER BY n
     RETURNING ${COLUMNS}`,
    [
      drafts.map((d) => d.kind),
      drafts.map((d) => d.value),
      drafts.map((d) => d.reason),
      drafts.map((d) => d.author),
      drafts.map((d) => d.createdAt),
      drafts.map((d) => d.expiresAt ?? null),
      drafts.map(banValueKey),
      drafts.map((d) => d.issuer ?? null),
    ],
  );
}

function natural(b: { kind: string; value: string; value_key?: string | null; issuer?: string | null }): string {
  const key = 'value_key' in b ? b.value_key : banValueKey(b);
  return JSON.stringify(key === null || key === undefined ? [b.kind, 'text', b.issuer ?? null, b.value] : [b.kind, 'dn', key]);
}

function toBan(row: BanRow): Ban {
  return {
    id: String(toInt(row.id, 'ban.id')),
    kind: row.kind,
    value: row.value,
    ...(row.issuer !== null ? { issuer: row.issuer } : {}),
    reason: row.reason,
    author: row.created_by,
    createdAt: toDate(row.created_at, 'created_at'),
    ...(row.expires_at !== null ? { expiresAt: toDate(row.expires_at, 'expires_at') } : {}),
  };
}
