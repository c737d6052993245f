import { randomUUID } from 'node:crypto';
import type { Server as HttpsServer } from 'node:https';
import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { PinoNestLogger } from '../http/nest-logger';
import { ProblemException } from '../http/problem';
import type { ServiceMetrics } from '../metrics/service-metrics';
import type { CallerAuthenticator, Clock } from '../tls/caller-authenticator';
import { ClientCertificateGuard } from '../tls/client-certificate.guard';
import { type ConnectionGuard, guardConnections, PROBE_PATH } from './connection-guard';
import { type OpenFilesLimit, pdpMaxConnections } from './open-files';

export interface MutualTlsListenerOptions {
  /** 'pdp' or 'pepd': the log's listener name. */
  readonly name: string;
  readonly module: DynamicModule;
  readonly tls: () => Record<string, unknown>;
  readonly limits: Config['limits'];
  readonly bodyLimit: number;
  readonly nofile: OpenFilesLimit | undefined;
  readonly authenticator: CallerAuthenticator;
  readonly clock: Clock;
  readonly metrics: ServiceMetrics;
  readonly log: Logger;
}

export interface MutualTlsListener {
  readonly app: NestFastifyApplication;
  readonly server: HttpsServer;
  readonly guard: ConnectionGuard;
}

/**
 * A decision listener (the PDP's, the PEPd's): mutual TLS, callers authenticated as soon as the request head is in,
 * the same overload limits and connection guard (docs/operations.md, "Overload and limits"). Not yet listening.
 */
export async function createMutualTlsListener(options: MutualTlsListenerOptions): Promise<MutualTlsListener> {
  const { limits, log } = options;
  const childLog = log.child({ listener: options.name });
  const app = await NestFactory.create<NestFastifyApplication>(
    options.module,
    new FastifyAdapter({
      // Slow or silent connections (slowloris): the handshake and the request head must arrive within
      // limits.handshakeTimeoutMs, the whole request within limits.requestTimeoutMs; Node checks every second.
      https: Object.assign({}, options.tls(), { handshakeTimeout: limits.handshakeTimeoutMs, connectionsCheckingInterval: 1000 }),
      requestTimeout: limits.requestTimeoutMs,
      loggerInstance: childLog,
      logController: new LogController({ disableRequestLogging: true }),
      genReqId: () => randomUUID(),
      requestIdHeader: false,
      bodyLimit: options.bodyLimit,
      keepAliveTimeout: 65_000,
    }),
    // Our own body handling: every body is read raw, whatever its content type (clients disagree).
    { logger: new PinoNestLogger(childLog), abortOnError: false, bodyParser: false },
  );
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, (_request, body, done) => done(null, body));
  // Callers are authenticated as soon as the request head is in, before the body is read: a client without a
  // valid certificate cannot make the listener buffer and wait for a body (docs/operations.md, "Overload and limits").
  // The listener's own readiness probe (pdpListenerReadiness) is answered before that, and says nothing.
  const earlyGuard = new ClientCertificateGuard(options.authenticator, options.clock, options.metrics);
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.url === PROBE_PATH) return reply.code(204).send();
    try {
      earlyGuard.check(request, () => void reply.header('connection', 'close'));
    } catch (err) {
      if (!(err instanceof ProblemException)) throw err;
      const { code, title, detail } = err;
      return reply
        .code(err.getStatus())
        .header('content-type', 'application/problem+json')
        .send({ type: 'about:blank', status: err.getStatus(), code, title, detail, instance: request.url, requestId: request.id });
    }
    return undefined;
  });
  fastify.addHook('onSend', async (request, reply) => {
    // AuthZEN answers echo the PEP's own X-Request-ID (docs/authzen.md); every other answer carries ours.
    if (!reply.hasHeader('x-request-id')) void reply.header('x-request-id', request.id);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime }, 'request done');
  });
  const server = app.getHttpServer() as HttpsServer;
  server.headersTimeout = Math.min(limits.handshakeTimeoutMs, limits.requestTimeoutMs);
  server.maxConnections = pdpMaxConnections(limits.maxConnections, options.nofile);
  const guard = guardConnections(server, {
    maxUnauthenticated: limits.maxUnauthenticatedConnections,
    unauthenticatedTimeoutMs: limits.handshakeTimeoutMs,
    metrics: options.metrics,
    log: childLog,
  });
  return { app, server, guard };
}
