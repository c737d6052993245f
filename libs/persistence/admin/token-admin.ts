import type { Dn } from '@gridauthz/domain';
import type { Database } from '../database/database';
import { AdminAuditRepository, type AdminActor } from '../audit/admin-audit-repository';
import { PostgresTokenIssuerStore, PostgresTokenLinkStore, type StoredTokenIssuer, type StoredTokenLink } from '../mapping/postgres-token-store';

/** A token_link row as the admin API and the CLI show it. */
export interface TokenLinkView {
  readonly issuer: string;
  readonly subject: string;
  readonly dn: string;
  readonly comment: string;
  readonly createdBy: string;
  readonly createdAt: string;
}

/** A token_issuer row as the admin API and the CLI show it. */
export interface TokenIssuerView {
  readonly issuer: string;
  readonly jwksFile: string | null;
  readonly jwksUrl: string | null;
  readonly source: 'database' | 'config';
  readonly comment: string;
  readonly createdBy: string | null;
  readonly createdAt: string | null;
}

export const tokenLinkView = (l: StoredTokenLink): TokenLinkView => ({
  issuer: l.issuer,
  subject: l.subject,
  dn: l.dn,
  comment: l.comment,
  createdBy: l.createdBy,
  createdAt: l.createdAt.toISOString(),
});

export const tokenIssuerView = (i: StoredTokenIssuer): TokenIssuerView => ({
  issuer: i.issuer,
  jwksFile: i.jwksFile ?? null,
  jwksUrl: i.jwksUrl ?? null,
  source: 'database',
  comment: i.comment,
  createdBy: i.createdBy,
  createdAt: i.createdAt.toISOString(),
});

const req = (requestId?: string) => (requestId !== undefined ? { requestId } : {});

/**
 * Token links and run-time issuers for the admin API and the CLI: each change and its admin_audit row commit in one
 * transaction; the tables' triggers bump their generation so every replica reloads within a poll interval.
 */
export class TokenAdministration {
  constructor(private readonly db: Database) {}

  links(): Promise<StoredTokenLink[]> {
    return new PostgresTokenLinkStore(this.db).list();
  }

  issuers(): Promise<StoredTokenIssuer[]> {
    return new PostgresTokenIssuerStore(this.db).list();
  }

  async link(issuer: string, subject: string, dn: Dn, comment: string | undefined, actor: AdminActor, requestId?: string): Promise<{ before: TokenLinkView | undefined; after: TokenLinkView }> {
    return this.db.transaction(async (m) => {
      const { before, after } = await new PostgresTokenLinkStore(m).add(issuer, subject, dn, { comment, by: actor.dn });
      const views = { before: before ? tokenLinkView(before) : undefined, after: tokenLinkView(after) };
      await new AdminAuditRepository(m).record({ actor, action: 'token-link.add', target: `${issuer} ${subject}`, ...(views.before ? { before: views.before } : {}), after: views.after, ...req(requestId) });
      return views;
    });
  }

  /** Undefined when there was no such link (nothing is audited then). */
  async unlink(issuer: string, subject: string, actor: AdminActor, requestId?: string): Promise<TokenLinkView | undefined> {
    return this.db.transaction(async (m) => {
      const removed = await new PostgresTokenLinkStore(m).remove(issuer, subject);
      if (!removed) return undefined;
      const before = tokenLinkView(removed);
      await new AdminAuditRepository(m).record({ actor, action: 'token-link.remove', target: `${issuer} ${subject}`, before, ...req(requestId) });
      return before;
    });
  }

  async addIssuer(
    issuer: string,
    jwks: { readonly file: string } | { readonly url: string },
    comment: string | undefined,
    actor: AdminActor,
    requestId?: string,
  ): Promise<{ before: TokenIssuerView | undefined; after: TokenIssuerView }> {
    return this.db.transaction(async (m) => {
      const { before, after } = await new PostgresTokenIssuerStore(m).add(issuer, jwks, { comment, by: actor.dn });
      const views = { before: before ? tokenIssuerView(before) : undefined, after: tokenIssuerView(after) };
      await new AdminAuditRepository(m).record({ actor, action: 'issuer.add', target: issuer, ...(views.before ? { before: views.before } : {}), after: views.after, ...req(requestId) });
      return views;
    });
  }

  async removeIssuer(issuer: string, actor: AdminActor, requestId?: string): Promise<TokenIssuerView | undefined> {
    return this.db.transaction(async (m) => {
      const removed = await new PostgresTokenIssuerStore(m).remove(issuer);
      if (!removed) return undefined;
      const before = tokenIssuerView(removed);
      await new AdminAuditRepository(m).record({ actor, action: 'issuer.remove', target: issuer, before, ...req(requestId) });
      return before;
    });
  }
}
