import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-strategy';
import type { AdminPrincipalRepository } from '@gridauthz/persistence';
import type { Clock } from '../../tls/caller-authenticator';
import { ADMIN_ERRORS, type AdminAuthFailure, type AdminIdentity } from './admin-identity';

const BEARER = /^Bearer ([A-Za-z0-9_-]{1,128})$/;

/** Passport strategy for automation: `Authorization: Bearer <token>`, looked up by its SHA-256. */
export class BearerTokenStrategy extends Strategy {
  name = 'admin-bearer';

  constructor(
    private readonly principals: () => AdminPrincipalRepository | undefined,
    private readonly clock: Clock,
  ) {
    super();
  }

  override authenticate(req: unknown): void {
    const header = (req as FastifyRequest).headers.authorization ?? '';
    const match = BEARER.exec(header);
    if (!match?.[1]) return this.refuse(ADMIN_ERRORS.CREDENTIAL_INVALID, 'malformed Authorization header; expected "Bearer <token>"');
    const principals = this.principals();
    if (!principals) return this.error(new Error('database not ready'));
    principals.verifyToken(match[1], this.clock()).then(
      (found) => {
        if (!found) return this.refuse(ADMIN_ERRORS.CREDENTIAL_INVALID, 'unknown, expired or revoked token');
        const identity: AdminIdentity = {
          dn: found.principal.dn,
          role: found.principal.role,
          principalId: found.principal.id,
          credential: `token:${found.tokenId}`,
          viaProxy: false,
        };
        this.success(identity);
      },
      (err: unknown) => this.error(err instanceof Error ? err : new Error(String(err))),
    );
  }

  private refuse(code: string, detail: string): void {
    const failure: AdminAuthFailure = { code, detail };
    this.fail(failure, 401);
  }
}
