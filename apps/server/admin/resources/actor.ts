import type { FastifyRequest } from 'fastify';
import type { AdminActor, AuditContext } from '@gridauthz/persistence';
import type { AdminIdentity } from '../auth/admin-identity';

/** The authenticated admin of a request (the guard ran, so it is set). */
export function identityOf(request: FastifyRequest): AdminIdentity {
  const identity = request.admin;
  if (!identity) throw new Error('admin route reached without an authenticated identity');
  return identity;
}

export function actorOf(request: FastifyRequest): AdminActor {
  const identity = identityOf(request);
  return { dn: identity.dn, role: identity.role, credential: identity.credential };
}

/** The actor and request id an audited change of this request records. */
export function auditOf(request: FastifyRequest): AuditContext {
  return { actor: actorOf(request), requestId: request.id };
}
