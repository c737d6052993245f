import type { EntityManager } from 'typeorm';
import type { Dn } from '@gridauthz/domain';
import { checkTokenLink, type TokenLink } from '@gridauthz/mapping';
import type { Database } from '../database/database';
import { SqlScope, toDate } from './sql-scope';

/** A row of token_link (docs/mapping-tokens.md, "One person, one account"). */
export interface StoredTokenLink {
  readonly id: string;
  readonly issuer: string;
  readonly subject: string;
  /** Display form (slash) as added. */
  readonly dn: string;
  readonly comment: string;
  readonly createdBy: string;
  readonly createdAt: Date;
}

/** A row of token_issuer: a trusted issuer added at run time (`gridauthz issuer add`). */
export interface StoredTokenIssuer {
  readonly id: string;
  readonly issuer: string;
  readonly jwksFile?: string;
  readonly jwksUrl?: string;
  readonly comment: string;
  readonly createdBy: string;
  readonly createdAt: Date;
}

interface LinkRow {
  id: string;
  issuer: string;
  subject: string;
  dn: string;
  comment: string;
  created_by: string;
  created_at: Date;
}

interface IssuerRow {
  id: string;
  issuer: string;
  jwks_file: string | null;
  jwks_url: string | null;
  comment: string;
  created_by: string;
  created_at: Date;
}

const LINK_COLUMNS = `id, issuer, subject, dn, comment, created_by, created_at`;
const ISSUER_COLUMNS = `id, issuer, jwks_file, jwks_url, comment, created_by, created_at`;

const toLink = (r: LinkRow): StoredTokenLink => ({
  id: String(r.id),
  issuer: r.issuer,
  subject: r.subject,
  dn: r.dn,
  comment: r.comment,
  createdBy: r.created_by,
  createdAt: toDate(r.created_at, 'created_at'),
});

const toIssuer = (r: IssuerRow): StoredTokenIssuer => ({
  id: String(r.id),
  issuer: r.issuer,
  ...(r.jwks_file !== null ? { jwksFile: r.jwks_file } : {}),
  ...(r.jwks_url !== null ? { jwksUrl: r.jwks_url } : {}),
  comment: r.comment,
  createdBy: r.created_by,
  createdAt: toDate(r.created_at, 'created_at'),
});

/**
 * token_link: one DN per (issuer, subject) pair, the pair compared as two exact strings and the DN kept by its
 * structural key. Takes the caller's transaction when given one, so a change and its audit row commit together.
 */
export class PostgresTokenLinkStore {
  private readonly scope: SqlScope;

  constructor(target: Database | EntityManager) {
    this.scope = SqlScope.of(target);
  }

  async list(): Promise<StoredTokenLink[]> {
    const rows = await this.scope.run((m) => m.query<LinkRow[]>(`SELECT ${LINK_COLUMNS} FROM token_link ORDER BY issuer COLLATE "C", subject COLLATE "C"`));
    return rows.map(toLink);
  }

  /** Every row as a mapping link; a row whose DN no longer parses is skipped and reported. */
  async links(onBadRow: (row: StoredTokenLink, message: string) => void = () => {}): Promise<TokenLink[]> {
    const out: TokenLink[] = [];
    for (const row of await this.list()) {
      const checked = checkTokenLink({ issuer: row.issuer, subject: row.subject, dn: row.dn, author: row.createdBy, createdAt: row.createdAt });
      if (checked.ok) out.push(checked.value);
      else onBadRow(row, checked.error.detail);
    }
    return out;
  }

  /** Links the identity to the DN, replacing an earlier link of the identity; returns the row before and after. */
  async add(issuer: string, subject: string, dn: Dn, options: { readonly comment?: string; readonly by: string }): Promise<{ before: StoredTokenLink | undefined; after: StoredTokenLink }> {
    return this.scope.run(async (m) => {
      const previous = await m.query<LinkRow[]>(`SELECT ${LINK_COLUMNS} FROM token_link WHERE issuer = $1 AND subject = $2 FOR UPDATE`, [issuer, subject]);
      const rows = await m.query<LinkRow[]>(
        `INSERT INTO token_link (issuer, subject, dn_key, dn, comment, created_by) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (issuer, subject) DO UPDATE SET dn_key = EXCLUDED.dn_key, dn = EXCLUDED.dn, comment = EXCLUDED.comment,
           created_by = EXCLUDED.created_by, created_at = now()
         RETURNING ${LINK_COLUMNS}`,
        [issuer, subject, dn.canonicalKey(), dn.toSlash(), options.comment ?? '', options.by],
      );
      const after = rows[0];
      if (!after) throw new Error('INSERT INTO token_link returned no row');
      return { before: previous[0] ? toLink(previous[0]) : undefined, after: toLink(after) };
    });
  }

  async remove(issuer: string, subject: string): Promise<StoredTokenLink | undefined> {
    const rows = await this.scope.run((m) =>
      m.query<LinkRow[]>(`WITH gone AS (DELETE FROM token_link WHERE issuer = $1 AND subject = $2 RETURNING ${LINK_COLUMNS}) SELECT * FROM gone`, [issuer, subject]),
    );
    return rows[0] ? toLink(rows[0]) : undefined;
  }
}

/** token_issuer: issuers trusted at run time, each with its JWKS file or HTTPS URL. */
export class PostgresTokenIssuerStore {
  private readonly scope: SqlScope;

  constructor(target: Database | EntityManager) {
    this.scope = SqlScope.of(target);
  }

  async list(): Promise<StoredTokenIssuer[]> {
    const rows = await this.scope.run((m) => m.query<IssuerRow[]>(`SELECT ${ISSUER_COLUMNS} FROM token_issuer ORDER BY issuer COLLATE "C"`));
    return rows.map(toIssuer);
  }

  /** Adds the issuer or replaces where its keys are; returns the row before and after. */
  async add(
    issuer: string,
    jwks: { readonly file: string } | { readonly url: string },
    options: { readonly comment?: string; readonly by: string },
  ): Promise<{ before: StoredTokenIssuer | undefined; after: StoredTokenIssuer }> {
    return this.scope.run(async (m) => {
      const previous = await m.query<IssuerRow[]>(`SELECT ${ISSUER_COLUMNS} FROM token_issuer WHERE issuer = $1 FOR UPDATE`, [issuer]);
      const rows = await m.query<IssuerRow[]>(
        `INSERT INTO token_issuer (issuer, jwks_file, jwks_url, comment, created_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (issuer) DO UPDATE SET jwks_file = EXCLUDED.jwks_file, jwks_url = EXCLUDED.jwks_url, comment = EXCLUDED.comment,
           created_by = EXCLUDED.created_by, created_at = now()
         RETURNING ${ISSUER_COLUMNS}`,
        [issuer, 'file' in jwks ? jwks.file : null, 'url' in jwks ? jwks.url : null, options.comment ?? '', options.by],
      );
      const after = rows[0];
      if (!after) throw new Error('INSERT INTO token_issuer returned no row');
      return { before: previous[0] ? toIssuer(previous[0]) : undefined, after: toIssuer(after) };
    });
  }

  async remove(issuer: string): Promise<StoredTokenIssuer | undefined> {
    const rows = await this.scope.run((m) =>
      m.query<IssuerRow[]>(`WITH gone AS (DELETE FROM token_issuer WHERE issuer = $1 RETURNING ${ISSUER_COLUMNS}) SELECT * FROM gone`, [issuer]),
    );
    return rows[0] ? toIssuer(rows[0]) : undefined;
  }
}
