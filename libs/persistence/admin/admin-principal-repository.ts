import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Database } from '../database/database';
import { databaseLike, type DatabaseLike, toDate } from '../mapping/sql-scope';

export const ADMIN_ROLES = ['security-officer', 'operator', 'auditor'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

export interface AdminPrincipal {
  readonly id: string;
  /** Slash form, as the caller authenticator renders the end-entity DN. */
  readonly dn: string;
  readonly role: AdminRole;
  readonly createdBy: string;
  readonly createdAt: Date;
}

export interface IssuedToken {
  readonly id: string;
  /** The secret, shown once; only its SHA-256 is stored. */
  readonly token: string;
  readonly expiresAt: Date;
}

export interface TokenInfo {
  readonly id: string;
  readonly principalDn: string;
  readonly label: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly revokedAt: Date | undefined;
  readonly lastUsedAt: Date | undefined;
}

interface PrincipalRow {
  id: string;
  dn: string;
  role: string;
  created_by: string;
  created_at: Date;
}

const toPrincipal = (r: PrincipalRow): AdminPrincipal => ({
  id: String(r.id),
  dn: r.dn,
  role: r.role as AdminRole,
  createdBy: r.created_by,
  createdAt: toDate(r.created_at, 'created_at'),
});

/** The token's stored form. 32 random bytes carry no guessable structure, so an unsalted hash is sufficient. */
export function hashAdminToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Prefix that makes a leaked token recognisable to secret scanners and in logs. */
const TOKEN_PREFIX = 'gza_';

/** Admin principals (certificate DN → role) and the bearer tokens issued to them. */
export class AdminPrincipalRepository {
  private readonly db: DatabaseLike;

  /** On a Database, or inside a caller's transaction (an EntityManager), e.g. an audited change. */
  constructor(target: Database | EntityManager) {
    this.db = databaseLike(target);
  }

  async findByDn(dn: string): Promise<AdminPrincipal | undefined> {
    const rows = await this.db.dataSource.query<PrincipalRow[]>(`SELECT * FROM admin_principal WHERE dn = $1`, [dn]);
    return rows[0] ? toPrincipal(rows[0]) : undefined;
  }

  async list(): Promise<AdminPrincipal[]> {
    const rows = await this.db.dataSource.query<PrincipalRow[]>(`SELECT * FROM admin_principal ORDER BY dn COLLATE "C"`);
    return rows.map(toPrincipal);
  }

  /** Adds the principal or changes its role; returns the previous state (undefined if new) and the new one. */
  async put(dn: string, role: AdminRole, createdBy: string): Promise<{ before: AdminPrincipal | undefined; after: AdminPrincipal }> {
    return this.db.transaction(async (m) => {
      const previous = await m.query<PrincipalRow[]>(`SELECT * FROM admin_principal WHERE dn = $1 FOR UPDATE`, [dn]);
      const rows = await m.query<PrincipalRow[]>(
        `INSERT INTO admin_principal (dn, role, created_by) VALUES ($1, $2, $3)
         ON CONFLICT (dn) DO UPDATE SET role = EXCLUDED.role RETURNING *`,
        [dn, role, createdBy],
      );
      return { before: previous[0] ? toPrincipal(previous[0]) : undefined, after: toPrincipal(rows[0] as PrincipalRow) };
    });
  }

  async remove(dn: string): Promise<AdminPrincipal | undefined> {
    // A CTE so pg reports the command as SELECT and TypeORM returns plain rows.
    const rows = await this.db.dataSource.query<PrincipalRow[]>(`WITH gone AS (DELETE FROM admin_principal WHERE dn = $1 RETURNING *) SELECT * FROM gone`, [dn]);
    const row = rows[0];
    return row ? toPrincipal(row) : undefined;
  }

  async issueToken(principalId: string, options: { label: string; createdBy: string; ttlSeconds: number; now: Date }): Promise<IssuedToken> {
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const expiresAt = new Date(options.now.getTime() + options.ttlSeconds * 1000);
    const rows = await this.db.dataSource.query<{ id: string }[]>(
      `INSERT INTO admin_token (token_sha256, principal_id, label, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [hashAdminToken(token), principalId, options.label, options.createdBy, options.now, expiresAt],
    );
    return { id: String(rows[0]?.id), token, expiresAt };
  }

  /** The principal a live token acts for, or undefined (unknown, expired, revoked, or its principal removed). */
  async verifyToken(token: string, now: Date): Promise<{ principal: AdminPrincipal; tokenId: string } | undefined> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 128) return undefined;
    const rows = await this.db.dataSource.query<(PrincipalRow & { token_id: string })[]>(
      `WITH used AS (
         UPDATE admin_token t SET last_used_at = $2
         FROM admin_principal p
         WHERE t.token_sha256 = $1 AND p.id = t.principal_id AND t.revoked_at IS NULL AND t.expires_at > $2
         RETURNING p.id, p.dn, p.role, p.created_by, p.created_at, t.id AS token_id)
       SELECT * FROM used`,
      [hashAdminToken(token), now],
    );
    const row = rows[0];
    return row ? { principal: toPrincipal(row), tokenId: String(row.token_id) } : undefined;
  }

  async listTokens(principalDn?: string): Promise<TokenInfo[]> {
    const rows = await this.db.dataSource.query<
      { id: string; dn: string; label: string; created_at: Date; expires_at: Date; revoked_at: Date | null; last_used_at: Date | null }[]
    >(
      `SELECT t.id, p.dn, t.label, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
       FROM admin_token t JOIN admin_principal p ON p.id = t.principal_id
       WHERE ($1::text IS NULL OR p.dn = $1) ORDER BY t.id`,
      [principalDn ?? null],
    );
    return rows.map((r) => ({
      id: String(r.id),
      principalDn: r.dn,
      label: r.label,
      createdAt: toDate(r.created_at, 'created_at'),
      expiresAt: toDate(r.expires_at, 'expires_at'),
      revokedAt: r.revoked_at ?? undefined,
      lastUsedAt: r.last_used_at ?? undefined,
    }));
  }

  /** Revokes a token; with `ownerDn`, only one of that principal's. */
  async revokeToken(id: string, now: Date, ownerDn?: string): Promise<boolean> {
    if (!/^\d{1,18}$/.test(id)) return false;
    const rows = await this.db.dataSource.query<unknown[]>(
      `WITH revoked AS (
         UPDATE admin_token t SET revoked_at = $2 FROM admin_principal p
         WHERE t.id = $1 AND p.id = t.principal_id AND t.revoked_at IS NULL AND ($3::text IS NULL OR p.dn = $3) RETURNING t.id)
       SELECT * FROM revoked`,
      [id, now, ownerDn ?? null],
    );
    return rows.length > 0;
  }
}
