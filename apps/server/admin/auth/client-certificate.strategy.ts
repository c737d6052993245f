import type { FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import { Strategy } from 'passport-strategy';
import type { AdminPrincipalRepository } from '@gridauthz/persistence';
import type { CallerAuthenticator, Clock } from '../../tls/caller-authenticator';
import { peerChainDer } from '../../tls/peer-chain';
import { ADMIN_ERRORS, type AdminAuthFailure, type AdminIdentity } from './admin-identity';

/**
 * Passport strategy: the TLS client chain, validated by our credential code (proxies accepted, as on the PDP
 * listener), whose end-entity DN must be an admin principal. No certificate → fail 401; a chain that does not
 * validate → 401; a valid DN that is not a principal → 403.
 */
export class ClientCertificateStrategy extends Strategy {
  name = 'admin-certificate';

  constructor(
    private readonly authenticator: CallerAuthenticator,
    private readonly principals: () => AdminPrincipalRepository | undefined,
    private readonly clock: Clock,
  ) {
    super();
  }

  override authenticate(req: unknown): void {
    const request = req as FastifyRequest;
    const socket = request.raw.socket as TLSSocket;
    const chain = typeof socket.getPeerCertificate === 'function' ? peerChainDer(socket) : [];
    if (chain.length === 0) return this.refuse(401, ADMIN_ERRORS.NO_CREDENTIALS, 'present a client certificate (or a proxy of it) or a bearer token');
    const result = this.authenticator.authenticate(chain, this.clock());
    if (!result.ok) return this.refuse(401, ADMIN_ERRORS.CREDENTIAL_INVALID, `${result.error.code}: ${result.error.detail}`);
    // Found by the name's structured key, never by its text (docs/identities.md); the text is for display.
    const dn = result.value.dn.toSlash();
    const principals = this.principals();
    if (!principals) return this.error(new Error('database not ready'));
    principals.findByDn(result.value.dn).then(
      (principal) => {
        if (!principal) return this.refuse(403, ADMIN_ERRORS.NOT_A_PRINCIPAL, `${dn} is not an admin principal`);
        const identity: AdminIdentity = { dn, role: principal.role, principalId: principal.id, credential: 'certificate', viaProxy: result.value.viaProxy, limitedProxy: result.value.limited };
        this.success(identity);
      },
      (err: unknown) => this.error(err instanceof Error ? err : new Error(String(err))),
    );
  }

  private refuse(status: number, code: string, detail: string): void {
    const failure: AdminAuthFailure = { code, detail };
    this.fail(failure, status);
  }
}
