import { createHash, randomBytes } from 'node:crypto';
import { Dn } from '@gridauthz/domain';
import type { EntityManager } from 'typeorm';
import type { Database } from '../database/database';
import { databaseLike, type DatabaseLike, toDate } from '../mapping/sql-scope';

export const ADMIN_ROLES = ['security-officer', 'operator', 'auditor'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

export interface AdminPrincipal {
  readonly id: string;
  /** Slash form, for display; the principal is found by the DN's structured key (dn_key, docs/identities.md). */
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

/** A DN given as a Dn or as text in either rendering (text is parsed: the lookup is by structure, not by text). */
export type DnInput = Dn | string;
const asDn = (dn: DnInput): Dn => (typeof dn === 'string' ? Dn.parse(dn) : dn);
/** The key of a DN, or undefined for text that is no DN (it then names no principal). */
const keyOrUndefined = (dn: DnInput): string | undefined => {
  try {
    return asDn(dn).canonicalKey();
  } catch {
    return undefined;
  }
};

/**
 * Admin principals (certificate DN → role) and the bearer tokens issued to them. Every lookup by DN compares the
 * structured key (Dn.canonicalKey in admin_principal.dn_key), so a certificate whose slash text equals a
 * principal's but whose RDNs differ is not that principal (docs/identities.md).
 */
export class AdminPrincipalRepository {
  private readonly db: DatabaseLike;

  /** On a Database, or inside a caller's transaction (an EntityManager), e.g. an audited change. */
  constructor(target: Database | EntityManager) {
    this.db = databaseLike(target);
  }

  async findByDn(dn: DnInput): Promise<AdminPrincipal | undefined> {
    const key = keyOrUndefined(dn);
    if (key === undefined) return undefined;
    const rows = await this.db.dataSource.query<PrincipalRow[]>(`SELECT * FROM admin_principal WHERE dn_key = $1`, [key]);
    return rows[0] ? toPrincipal(rows[0]) : undefined;
  }

  async list(): Promise<AdminPrincipal[]> {
    const rows = await this.db.dataSource.query<PrincipalRow[]>(`SELECT * FROM admin_principal ORDER BY dn COLLATE "C"`);
    return rows.map(toPrincipal);
  }

  /** Adds the principal or changes its role; returns the previous state (undefined if new) and the new one. */
  async put(dn: DnInput, role: AdminRole, createdBy: string): Promise<{ before: AdminPrincipal | undefined; after: AdminPrincipal }> {
    const name = asDn(dn);
    const key = name.canonicalKey();
    return this.db.transaction(async (m) => {
      const previous = await m.query<PrincipalRow[]>(`SELECT * FROM admin_principal WHERE dn_key = $1 FOR UPDATE`, [key]);
      // The display text of an existing principal is kept: only the role changes for the same name.
      const rows = await m.query<PrincipalRow[]>(
        `INSERT INTO admin_principal (dn, dn_key, role, created_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (dn_key) DO UPDATE SET role = EXCLUDED.role RETURNING *`,
        [name.toSlash(), key, role, createdBy],
      );
      return { before: previous[0] ? toPrincipal(previous[0]) : undefined, after: toPrincipal(rows[0] as PrincipalRow) };
    });
  }

  async remove(dn: DnInput): Promise<AdminPrincipal | undefined> {
    const key = keyOrUndefined(dn);
    if (key === undefined) return undefined;
    // A CTE so pg reports the command as SELECT and TypeORM returns plain rows.
    const rows = await this.db.dataSource.query<PrincipalRow[]>(`WITH gone AS (DELETE FROM admin_principal WHERE dn_key = $1 RETURNING *) SELECT * FROM gone`, [key]);
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

  async listTokens(principalDn?: DnInput): Promise<TokenInfo[]> {
    const key = principalDn === undefined ? null : (keyOrUndefined(principalDn) ?? '!no-such-name');
    const rows = await this.db.dataSource.query<
      { id: string; dn: string; label: string; created_at: Date; expires_at: Date; revoked_at: Date | null; last_used_at: Date | null }[]
    >(
      `SELECT t.id, p.dn, t.label, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
       FROM admin_token t JOIN admin_principal p ON p.id = t.principal_id
       WHERE ($1::text IS NULL OR p.dn_key = $1) ORDER BY t.id`,
      [key],
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
  async revokeToken(id: string, now: Date, ownerDn?: DnInput): Promise<boolean> {
    if (!/^\d{1,18}$/.test(id)) return false;
    const ownerKey = ownerDn === undefined ? null : (keyOrUndefined(ownerDn) ?? '!no-such-name');
    const rows = await this.db.dataSource.query<unknown[]>(
      `WITH revoked AS (
         UPDATE admin_token t SET revoked_at = $2 FROM admin_principal p
         WHERE t.id = $1 AND p.id = t.principal_id AND t.revoked_at IS NULL AND ($3::text IS NULL OR p.dn_key = $3) RETURNING t.id)
       SELECT * FROM revoked`,
      [id, now, ownerKey],
    );
    return rows.length > 0;
  }
}
