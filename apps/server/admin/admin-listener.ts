import { LogController } from 'fastify';
import { mutualTlsOptions } from '../tls/mutual-tls-options';
import { randomUUID } from 'node:crypto';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import type { Database } from '@gridauthz/persistence';
import type { Config } from '../config';
import { PinoNestLogger } from '../http/nest-logger';
import type { SiteRuntime } from '../site/site-runtime';
import type { CallerAuthenticator, Clock } from '../tls/caller-authenticator';
import { AdminContext } from './admin-context';
import { AdminModule } from './admin.module';

export interface AdminListenerOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly trust: {
    readonly authenticator: CallerAuthenticator;
    caPems(): string[];
    onChange(listener: () => void): void;
  };
  readonly database: () => Database | undefined;
  readonly site: () => SiteRuntime | undefined;
  readonly clock?: Clock;
}

export interface AdminListener {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The admin API on its own mutual-TLS listener (default 0.0.0.0:8444), so it can be firewalled apart from the PDP.
 * As on the PDP, OpenSSL accepts any client certificate and the guard validates the chain (proxies included);
 * a client without a certificate still completes the handshake so that bearer tokens work and errors are problems.
 */
export async function startAdminListener(options: AdminListenerOptions): Promise<AdminListener> {
  const { config, log, trust } = options;
  const clock = options.clock ?? (() => new Date());
  const listenerLog = log.child({ listener: 'admin' });
  const tlsOptions = () => mutualTlsOptions(config, trust.caPems());
  const context = new AdminContext(options.database, options.site, clock, config.admin, listenerLog, config.mapping.leaseExpiry);
  const app = await NestFactory.create<NestFastifyApplication>(
    AdminModule.register({ authenticator: trust.authenticator, context }),
    new FastifyAdapter({ https: tlsOptions(), loggerInstance: listenerLog, logController: new LogController({ disableRequestLogging: true }), genReqId: () => randomUUID(), requestIdHeader: false, bodyLimit: 2_000_000 }),
    { logger: new PinoNestLogger(listenerLog), abortOnError: false },
  );
  app.setGlobalPrefix('api/v1');
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    request.log.info({ method: request.method, url: request.url, status: reply.statusCode, admin: request.admin?.dn, ms: reply.elapsedTime }, 'admin request');
  });
  await app.listen(config.admin.port, config.admin.host);
  const server = app.getHttpServer() as HttpsServer;
  trust.onChange(() => {
    try {
      server.setSecureContext(tlsOptions());
    } catch (err) {
      listenerLog.error({ err }, 'could not apply reloaded trust anchors to the admin listener; keeping the previous ones');
    }
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `https://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  listenerLog.info({ admin: url }, 'admin API listening');
  return { url, close: () => app.close() };
}
