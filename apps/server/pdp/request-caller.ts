import type { Complete } from '@gridauthz/domain';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedCaller } from '../tls/caller-authenticator';

/**
 * The authenticated TLS caller of a request (the guard ran first) with the TCP peer it came from: the socket's own
 * address, never a forwarded-for header, since it is recorded as evidence (docs/forensics.md).
 */
export function requestCaller(request: FastifyRequest): AuthenticatedCaller {
  const authenticated = request.caller;
  if (!authenticated) throw new Error('authorization route reached without an authenticated caller');
  const socket = request.raw.socket;
  const address = socket.remoteAddress;
  // Every field named, none spread first: docs/architecture.md, "Object literals on the request path".
  const caller: Complete<AuthenticatedCaller> = {
    dn: authenticated.dn,
    viaProxy: authenticated.viaProxy,
    chain: authenticated.chain,
    certSerial: authenticated.certSerial,
    certIssuer: authenticated.certIssuer,
    limited: authenticated.limited,
    notAfter: authenticated.notAfter,
    chainLength: authenticated.chainLength,
    sourceAddress: address !== undefined && address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address,
    sourcePort: socket.remotePort,
  };
  return caller;
}
