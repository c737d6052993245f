import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Passport } from 'passport';
import type { AdminRole } from '@gridauthz/persistence';
import { ProblemException } from '../../http/problem';
import { CALLER_AUTHENTICATOR, type CallerAuthenticator } from '../../tls/caller-authenticator';
import { ADMIN_CONTEXT, type AdminContext } from '../admin-context';
import { ADMIN_ERRORS, type AdminAuthFailure, type AdminIdentity } from './admin-identity';
import { BearerTokenStrategy } from './bearer-token.strategy';
import { ClientCertificateStrategy } from './client-certificate.strategy';
import { PUBLIC_KEY, ROLES_KEY } from './roles';

/**
 * Authenticates every admin request with passport — a bearer token when the request carries an Authorization
 * header (automation), else the client certificate — then checks the route's roles. Routes without @Roles are
 * refused: a forgotten annotation must not open a route to every principal.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  private readonly passport = new Passport();

  constructor(
    private readonly reflector: Reflector,
    @Inject(CALLER_AUTHENTICATOR) authenticator: CallerAuthenticator,
    @Inject(ADMIN_CONTEXT) private readonly context: AdminContext,
  ) {
    this.passport.use('admin-certificate', new ClientCertificateStrategy(authenticator, () => context.principals(), context.clock));
    this.passport.use('admin-bearer', new BearerTokenStrategy(() => context.principals(), context.clock));
  }

  async canActivate(execution: ExecutionContext): Promise<boolean> {
    const targets = [execution.getHandler(), execution.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY, targets)) return true;
    // Principals live in the database: until it is connected nobody can be authenticated (503, not 500).
    if (!this.context.principals()) this.context.database();
    const http = execution.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const strategy = request.headers.authorization !== undefined ? 'admin-bearer' : 'admin-certificate';
    const identity = await this.authenticate(strategy, request, http.getResponse<FastifyReply>());
    request.admin = identity;
    // A limited proxy must not act (Globus: it may not start jobs); a security officer's stolen or delegated limited
    // proxy may read the trail but never ban, lift, map or mint a token. Checked before the role, for every write.
    if (identity.limitedProxy === true && request.method !== 'GET' && request.method !== 'HEAD') {
      request.log.warn({ admin: identity.dn, method: request.method, route: request.routeOptions.url }, 'admin write refused for a limited proxy');
      throw new ProblemException(
        403,
        ADMIN_ERRORS.LIMITED_PROXY_READ_ONLY,
        'Limited proxy',
        `a limited proxy may only read; ${request.method} ${request.routeOptions.url ?? ''} needs your certificate or a full proxy`,
      );
    }
    const roles = this.reflector.getAllAndOverride<AdminRole[] | undefined>(ROLES_KEY, targets) ?? [];
    if (!roles.includes(identity.role)) {
      request.log.warn({ admin: identity.dn, role: identity.role, route: request.routeOptions.url }, 'admin action refused for role');
      throw new ProblemException(403, ADMIN_ERRORS.ROLE_FORBIDDEN, 'Role not allowed', `role ${identity.role} may not ${request.method} ${request.routeOptions.url ?? request.url}; allowed: ${roles.join(', ') || 'none'}`);
    }
    return true;
  }

  private authenticate(strategy: string, request: FastifyRequest, reply: FastifyReply): Promise<AdminIdentity> {
    return new Promise((resolve, reject) => {
      const middleware = this.passport.authenticate(strategy, { session: false }, (err: unknown, user: unknown, info: unknown, status: unknown) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        if (user) return resolve(user as AdminIdentity);
        const failure = (info ?? {}) as Partial<AdminAuthFailure>;
        const code = typeof status === 'number' ? status : 401;
        request.log.warn({ reason: failure.code, detail: failure.detail, remote: request.ip }, 'admin authentication refused');
        reject(
          new ProblemException(
            code,
            failure.code ?? ADMIN_ERRORS.CREDENTIAL_INVALID,
            code === 403 ? 'Not an admin principal' : 'Authentication required',
            failure.detail ?? 'not authenticated',
          ),
        );
      });
      middleware(request, reply, (err?: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : undefined));
    });
  }
}
