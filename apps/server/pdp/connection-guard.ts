import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Logger } from 'pino';
import type { ReadinessCheck } from '../management/readiness';
import type { MetricsSink } from '../metrics/service-metrics';

export interface ConnectionGuardOptions {
  /** Connections that have not sent a request yet; one more closes the oldest of them. */
  readonly maxUnauthenticated: number;
  /** How long a connection may go without completing its handshake and sending a request head. */
  readonly unauthenticatedTimeoutMs: number;
  readonly metrics: MetricsSink;
  readonly log: Logger;
  readonly now?: () => number;
}

export interface ConnectionGuard {
  /** Connections that have not sent a request yet. */
  unauthenticated(): number;
  /** Time (ms, `now`) of the last accept error (EMFILE...), undefined when none. */
  lastAcceptError(): number | undefined;
  close(): void;
}

/**
 * Cheap connections cannot crowd out real ones (issue 15, docs/operations.md "Overload and limits"). A connection
 * counts as unauthenticated from accept until its first request arrives (TLS handshake with a client certificate
 * and a complete request head): such connections are capped per process, the oldest is closed when one more
 * arrives, and any is closed once it is older than the timeout. Real clients complete handshake and head in
 * milliseconds, so under a flood of idle or slow connections it is the flood that is closed. Accept errors (the
 * process out of file descriptors) are counted and make the listener unready for a while.
 */
export function guardConnections(server: HttpsServer, options: ConnectionGuardOptions): ConnectionGuard {
  const now = options.now ?? Date.now;
  // Keyed by the peer's address and port, which the raw socket and the TLS socket over it share. Map order is
  // arrival order, so the oldest is first.
  const pending = new Map<string, { socket: Socket; since: number }>();
  let acceptErrorAt: number | undefined;
  let lastWarning = 0;
  const keyOf = (socket: Socket): string => `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`;

  server.on('connection', (socket: Socket) => {
    const key = keyOf(socket);
    pending.set(key, { socket, since: now() });
    socket.once('close', () => {
      if (pending.get(key)?.socket === socket) pending.delete(key);
    });
    if (pending.size > options.maxUnauthenticated) {
      const oldest = pending.entries().next().value;
      if (oldest) {
        pending.delete(oldest[0]);
        oldest[1].socket.destroy();
        options.metrics.overload('unauthenticated-evicted');
      }
    }
  });
  server.on('request', (request: { socket: Socket }) => {
    pending.delete(keyOf(request.socket));
  });
  // server.maxConnections refusals.
  server.on('drop', () => options.metrics.overload('connection-limit'));
  // libuv reports EMFILE/ENFILE on accept as a server error; without a listener it would kill the process.
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (err.syscall === 'accept' || err.code === 'EMFILE' || err.code === 'ENFILE') {
      acceptErrorAt = now();
      options.metrics.overload('accept-error');
      if (acceptErrorAt - lastWarning > 10_000) {
        lastWarning = acceptErrorAt;
        options.log.warn({ code: err.code }, 'PDP listener cannot accept connections (out of file descriptors?); see limits.maxConnections');
      }
      return;
    }
    options.log.error({ err: { message: err.message, code: err.code } }, 'PDP listener error');
  });
  const sweep = setInterval(() => {
    const cutoff = now() - options.unauthenticatedTimeoutMs;
    for (const [key, entry] of pending) {
      if (entry.since > cutoff) break;
      pending.delete(key);
      entry.socket.destroy();
      options.metrics.overload('unauthenticated-timeout');
    }
  }, Math.min(1000, options.unauthenticatedTimeoutMs));
  sweep.unref();

  return {
    unauthenticated: () => pending.size,
    lastAcceptError: () => acceptErrorAt,
    close: () => clearInterval(sweep),
  };
}

/** Path answered before authentication with 204 and no body, for the listener's own readiness probe. */
export const PROBE_PATH = '/.well-known/gridauthz-probe';

/**
 * Readiness of the PDP listener itself: a TLS connection to it answers an HTTP request within the timeout, and it
 * had no accept error lately. A process whose database and trust store are fine but whose listener is out of file
 * descriptors (or stuck) is not ready; load balancers then send clients elsewhere. Results are reused for a second
 * so a busy /readyz does not multiply connections.
 */
export function pdpListenerReadiness(options: { port: () => number; host: string; guard: ConnectionGuard; timeoutMs?: number; now?: () => number; name?: string }): ReadinessCheck {
  const now = options.now ?? Date.now;
  // 'PDP' or 'PEPd': the listener named in the check and its messages.
  const label = options.name ?? 'PDP';
  const timeoutMs = options.timeoutMs ?? 2000;
  let cached: { at: number; result: Promise<{ ok: boolean; detail: string }> } | undefined;
  const probe = (): Promise<{ ok: boolean; detail: string }> =>
    new Promise((resolve) => {
      const host = options.host === '0.0.0.0' ? '127.0.0.1' : options.host === '::' ? '::1' : options.host;
      const started = now();
      let answered = '';
      const socket = tlsConnect({ host, port: options.port(), rejectUnauthorized: false });
      const finish = (ok: boolean, detail: string): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ ok, detail });
      };
      const timer = setTimeout(() => finish(false, `no answer from the ${label} listener within ${timeoutMs} ms`), timeoutMs);
      socket.on('secureConnect', () => socket.end(`GET ${PROBE_PATH} HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n`));
      socket.on('data', (chunk: Buffer) => {
        answered += chunk.toString('latin1');
        if (answered.startsWith('HTTP/1.1 ')) finish(true, `${label} listener answered in ${now() - started} ms`);
      });
      socket.on('error', (err) => finish(false, `${label} listener probe failed: ${err.message}`));
      socket.on('close', () => finish(false, `${label} listener closed the probe connection without answering`));
    });
  return {
    name: `${label.toLowerCase()} listener`,
    async check() {
      const acceptError = options.guard.lastAcceptError();
      if (acceptError !== undefined && now() - acceptError < 10_000) {
        return { ok: false, detail: `the ${label} listener failed to accept connections in the last 10 s (file descriptors exhausted?)` };
      }
      if (!cached || now() - cached.at > 1000) cached = { at: now(), result: probe() };
      return cached.result;
    },
  };
}
