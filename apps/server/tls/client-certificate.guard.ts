import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import { ErrorCodes } from '@gridauthz/domain';
import { ProblemException } from '../http/problem';
import { type AuthenticatedCaller, CALLER_AUTHENTICATOR, type CallerAuthenticator, CLOCK, type Clock } from './caller-authenticator';
import { METRICS, type MetricsSink } from '../metrics/service-metrics';
import { peerChainDer } from './peer-chain';

declare module 'fastify' {
  interface FastifyRequest {
    caller?: AuthenticatedCaller;
  }
}

/**
 * Mutual TLS in application code. The listener asks for a client certificate but lets OpenSSL accept any
 * (OpenSSL rejects RFC 3820 proxies unless a flag Node does not expose is set), so every request passes
 * here: the chain is validated by our credential code and the caller's identity attached to the request.
 * Anything unverifiable is refused with 403 and a log line naming the reason.
 */
@Injectable()
export class ClientCertificateGuard implements CanActivate {
  constructor(
    @Inject(CALLER_AUTHENTICATOR) private readonly authenticator: CallerAuthenticator,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(METRICS) private readonly metrics: MetricsSink,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    // Already authenticated by the listener's onRequest hook (bootstrap.ts), before the body was read.
    if (request.caller) return true;
    // Should the caller be refused, its connection is closed after the answer: a refused connection must not hold a
    // file descriptor for the keep-alive timeout (docs/operations.md, "Overload and limits").
    return this.check(request, () => void context.switchToHttp().getResponse<FastifyReply>().header('connection', 'close'));
  }

  /**
   * Authenticates the request's TLS caller and attaches it; throws a 403 ProblemException naming the reason.
   * `closeIfRefused` marks the response so that the connection closes after it.
   */
  check(request: FastifyRequest, closeIfRefused: () => void): true {
    const socket = request.raw.socket as TLSSocket;
    if (typeof socket.getPeerCertificate !== 'function') return this.refuse(request, closeIfRefused, ErrorCodes.CRED_NO_CERTIFICATE, 'connection is not TLS');
    // Read once per connection, kept-alive requests reuse it (peer-chain.ts); validation itself is cached per chain.
    const chain = peerChainDer(socket);
    if (chain.length === 0) return this.refuse(request, closeIfRefused, ErrorCodes.CRED_NO_CERTIFICATE, 'no client certificate was presented');
    const result = this.authenticator.authenticate(chain, this.clock());
    if (!result.ok) {
      // Session tickets are off, but should a session ever be resumed Node hands us only the leaf.
      if (socket.isSessionReused() && chain.length === 1) {
        return this.refuse(request, closeIfRefused, ErrorCodes.CRED_RESUMED_SESSION_WITHOUT_CHAIN, `resumed TLS session carries no chain (${result.error.detail})`);
      }
      return this.refuse(request, closeIfRefused, result.error.code, result.error.detail);
    }
    request.caller = result.value;
    return true;
  }

  private refuse(request: FastifyRequest, closeConnection: () => void, code: string, detail: string): never {
    closeConnection();
    this.metrics.credentialFailure('tls', code);
    request.log.warn({ reason: code, detail, remote: request.ip }, 'client certificate refused');
    throw new ProblemException(403, code, 'Client certificate not accepted', detail);
  }
}

