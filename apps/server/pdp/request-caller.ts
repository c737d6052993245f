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
  return {
    ...authenticated,
    ...(address !== undefined ? { sourceAddress: address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address } : {}),
    ...(socket.remotePort !== undefined ? { sourcePort: socket.remotePort } : {}),
  };
}
