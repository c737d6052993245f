import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { Logger } from 'pino';
import { Database } from '@gridauthz/persistence';
import { MIGRATIONS } from '../../migrations';
import { type AdminListener, startAdminListener } from './admin';
import type { Config } from './config';
import { PinoNestLogger } from './http/nest-logger';
import { ManagementModule } from './management/management.module';
import type { ReadinessCheck } from './management/readiness';
import { PdpModule, PepdModule } from './pdp/pdp.module';
import { createMutualTlsListener } from './pdp/mutual-tls-listener';
import { mutualTlsOptions } from './tls/mutual-tls-options';
import { pdpListenerReadiness } from './pdp/connection-guard';
import { pdpPublicUrl } from './pdp/public-url';
import { openFilesLimit, watchOpenFiles } from './pdp/open-files';
import { EXIT, listenFailure, StartupFailure } from './startup-failure';
import type { SubjectVerifier } from '@gridauthz/decision';
import type { MappingConfig } from '@gridauthz/mapping';
import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { clusterMetricsFromPrimary } from './cluster/supervisor';
import type { MetricsText } from './management/metrics.controller';
import { ServiceMetrics } from './metrics/service-metrics';
import { AuthorizationService } from './pdp/authorization-service';
import { type SiteRuntime, startSite } from './site/site-runtime';
import { LeaseExpiryJob } from './site/lease-expiry-job';
import type { CallerAuthenticator, Clock } from './tls/caller-authenticator';

/** The trust material the listeners need, built by the caller (see trust.ts). */
export interface TrustBinding {
  readonly authenticator: CallerAuthenticator;
  /** Validates subject chains sent inside queries (glexec's payload proxy), VOMS attributes included. */
  readonly subjectVerifier: SubjectVerifier;
  /** CA certificates (PEM) offered to clients in the TLS CertificateRequest. */
  caPems(): string[];
  readonly readiness: ReadinessCheck;
  newestCrlAgeSeconds(): number | undefined;
  /** Called after the trust directory was reloaded. */
  onChange(listener: () => void): void;
  close(): Promise<void> | void;
}

export interface StartServerOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly trust: TrustBinding;
  /** Apply pending migrations once connected (development, single-node installs). */
  readonly migrate: boolean;
  readonly clock?: Clock;
  /** Mapping configuration written when the database has none (development site, tests). */
  readonly seedMapping?: MappingConfig;
}

export interface RunningServer {
  readonly pdpUrl: string;
  /** The PEPd listener, when pepd.enabled. */
  readonly pepdUrl: string | undefined;
  readonly managementUrl: string;
  /** The admin API listener, when admin.enabled. */
  readonly adminUrl: string | undefined;
  /** Resolves once the database is connected and its schema current; rejects on a fatal storage error. */
  readonly ready: Promise<void>;
  database(): Database | undefined;
  /** The decision pipeline and site configuration, once ready. */
  site(): SiteRuntime | undefined;
  close(): Promise<void>;
}

/**
 * Composition root of the server: listeners first (so probes answer at once), then the database, which may
 * take a while (PGlite's first initdb, a PostgreSQL that is still starting). Until it is there /readyz says 503.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config, log, trust } = options;
  const clock = options.clock ?? (() => new Date());
  let database: Database | undefined;
  let site: SiteRuntime | undefined;
  let leaseExpiry: LeaseExpiryJob | undefined;
  let schemaCurrent = false;
  let closed = false;

  const databaseCheck: ReadinessCheck = {
    name: 'database',
    async check() {
      if (!database) return { ok: false, detail: 'not connected yet' };
      if (!schemaCurrent) return { ok: false, detail: 'schema has pending migrations (run `gridauthz migrate`)' };
      const ok = await database.ping();
      return { ok, detail: ok ? `${database.kind} reachable` : `${database.kind} not answering` };
    },
  };

  // Checked before any listener opens: a base URL that cannot be built stops start-up at once. With pdp.port 0
  // (tests) the bound port replaces it once listening.
  let publicUrl = pdpPublicUrl(config.pdp.publicUrl, config.pdp.host, config.pdp.port);
  const tlsOptions = () => mutualTlsOptions(config, trust.caPems());
  const limits = config.limits;
  const nofile = openFilesLimit();
  const openFiles = watchOpenFiles(log, nofile);
  // eslint-disable-next-line prefer-const -- declared before the metrics closure that reads it, assigned once below
  let authorization: AuthorizationService | undefined;

  const siteCheck = (name: 'policy' | 'mapping'): ReadinessCheck => ({
    name,
    async check() {
      const check = site?.readiness.find((c) => c.name === name);
      return check ? check.check() : { ok: false, detail: 'waiting for the database' };
    },
  });
  const metrics = new ServiceMetrics({
    pools: async () => {
      if (!database || !schemaCurrent) return [];
      const rows = await database.dataSource.query<{ pool: string; leased: string; free: string }[]>(
        `SELECT p.name AS pool, count(a.id) FILTER (WHERE a.held) AS leased, count(a.id) FILTER (WHERE NOT a.held) AS free
         FROM pool p LEFT JOIN pool_account a ON a.pool_id = p.id GROUP BY p.name`,
      );
      return rows.map((r) => ({ pool: r.pool, leased: Number(r.leased), free: Number(r.free) }));
    },
    newestCrlAgeSeconds: () => trust.newestCrlAgeSeconds(),
    databasePool: () => database?.poolStats(),
    decisionsInFlight: () => authorization?.decisionsInFlight ?? 0,
    openFiles: () => openFiles.sample(),
  });
  authorization = new AuthorizationService({
    metrics,
    decider: () => site?.decider,
    issuer: config.pdp.issuer,
    limits: { maxBytes: config.pdp.bodyLimit, maxElements: limits.maxXmlElements },
    requestLimits: limits,
    primaResource: config.prima.resource,
    newId: () => `_${randomUUID()}`,
    clock,
    ...(config.pdp.signResponses
      ? { signingKey: { privateKeyPem: readFileSync(config.tls.keyFile, 'utf8'), certificatePem: readFileSync(config.tls.certFile, 'utf8') } }
      : {}),
  });

  const listenerOptions = { tls: tlsOptions, limits, bodyLimit: config.pdp.bodyLimit, nofile, authenticator: trust.authenticator, clock, metrics, log };
  const pdpListener = await createMutualTlsListener({
    name: 'pdp',
    module: PdpModule.register({ authenticator: trust.authenticator, clock, authorization, metrics, publicUrl: () => publicUrl }),
    ...listenerOptions,
  });
  const pdp = pdpListener.app;
  // The Argus PEP daemon endpoint (docs/pepd.md §6), when the site replaces an Argus server.
  const pepdConfig = config.pepd?.enabled ? config.pepd : undefined;
  const pepdListener = pepdConfig
    ? await createMutualTlsListener({
        name: 'pepd',
        module: PepdModule.register({ authenticator: trust.authenticator, clock, authorization, metrics }),
        ...listenerOptions,
      })
    : undefined;
  // A listener that cannot bind ends the start-up with one line naming it (exit 71), not a stack trace.
  const opened: { close(): Promise<unknown> }[] = [];
  const listen = async (listener: string, key: string, host: string, port: number, start: () => Promise<unknown>): Promise<void> => {
    try {
      await start();
    } catch (err) {
      await Promise.allSettled(opened.map((o) => o.close()));
      throw listenFailure(listener, key, host, port, err);
    }
  };
  const httpsServer = pdpListener.server;
  const connectionGuard = pdpListener.guard;
  await listen('PDP', 'pdp.port', config.pdp.host, config.pdp.port, () => pdp.listen(config.pdp.port, config.pdp.host));
  opened.push(pdp);
  if (config.pdp.port === 0) publicUrl = pdpPublicUrl(config.pdp.publicUrl, config.pdp.host, (httpsServer.address() as AddressInfo).port);
  if (pepdListener && pepdConfig) {
    await listen('PEPd', 'pepd.port', pepdConfig.host, pepdConfig.port, () => pepdListener.app.listen(pepdConfig.port, pepdConfig.host));
    opened.push(pepdListener.app);
  }
  log.info({ maxConnections: httpsServer.maxConnections, maxUnauthenticated: limits.maxUnauthenticatedConnections, deadlineMs: limits.requestDeadlineMs }, 'PDP connection limits');
  trust.onChange(() => {
    try {
      httpsServer.setSecureContext(tlsOptions());
      pepdListener?.server.setSecureContext(tlsOptions());
      log.info({ cas: trust.caPems().length }, 'TLS trust anchors reloaded');
    } catch (err) {
      log.error({ err }, 'could not apply reloaded trust anchors; keeping the previous ones');
    }
  });

  // The same checks /readyz runs, so the log never says "ready" while /readyz does not.
  const readinessChecks = [
    databaseCheck,
    trust.readiness,
    siteCheck('policy'),
    siteCheck('mapping'),
    pdpListenerReadiness({ host: config.pdp.host, port: () => (httpsServer.address() as AddressInfo).port, guard: connectionGuard }),
    ...(pepdListener && pepdConfig
      ? [pdpListenerReadiness({ name: 'PEPd', host: pepdConfig.host, port: () => (pepdListener.server.address() as AddressInfo).port, guard: pepdListener.guard })]
      : []),
  ];

  const management = await NestFactory.create<NestFastifyApplication>(
    ManagementModule.register(
      readinessChecks,
      metricsText(metrics),
    ),
    new FastifyAdapter({ loggerInstance: log.child({ listener: 'management' }), logController: new LogController({ disableRequestLogging: true }) }),
    { logger: new PinoNestLogger(log.child({ listener: 'management' })), abortOnError: false },
  );
  await listen('management', 'management.port', config.management.host, config.management.port, () => management.listen(config.management.port, config.management.host));
  opened.push(management);
  let admin: AdminListener | undefined;
  if (config.admin.enabled) {
    await listen('admin API', 'admin.port', config.admin.host, config.admin.port, async () => {
      admin = await startAdminListener({ config, log, trust, clock, database: () => database, site: () => site });
    });
  }

  const urlOf = (scheme: string, server: { address(): AddressInfo | string | null }): string => {
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `${scheme}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  };
  const pdpUrl = urlOf('https', httpsServer);
  const pepdUrl = pepdListener ? urlOf('https', pepdListener.server) : undefined;
  const managementUrl = urlOf('http', management.getHttpServer());
  log.info({ pdp: pdpUrl, publicUrl, ...(pepdUrl ? { pepd: pepdUrl } : {}), management: managementUrl }, 'listening');

  let readinessTimer: NodeJS.Timeout | undefined;
  const ready = (async () => {
    let delayMs = 500;
    const retryUntil = Date.now() + (config.database.connectRetrySeconds ?? 120) * 1000;
    for (;;) {
      try {
        database = await Database.open({
          url: config.database.url,
          dataDir: config.database.dataDir,
          poolSize: config.database.poolSize,
          migrations: MIGRATIONS,
          log,
          // A lock or a full pool must not hold a request past its deadline (the decision then answers Indeterminate).
          statementTimeoutMs: limits.requestDeadlineMs,
          acquireTimeoutMs: limits.requestDeadlineMs,
        });
        break;
      } catch (err) {
        // The embedded database fails for reasons a retry does not cure (another process holds it).
        if (!config.database.url) throw new StartupFailure(`embedded database: ${(err as Error).message}`, EXIT.database);
        if (closed) throw err;
        if (Date.now() + delayMs > retryUntil) {
          throw new StartupFailure(
            `database unreachable after ${config.database.connectRetrySeconds ?? 120} s (database.connectRetrySeconds): ${(err as Error).message}`,
            EXIT.database,
          );
        }
        log.warn({ err: { message: (err as Error).message }, retryInMs: delayMs }, 'database not reachable; retrying');
        await new Promise((r) => setTimeout(r, delayMs));
        delayMs = Math.min(delayMs * 2, 30_000);
      }
    }
    if (closed) return;
    if (options.migrate) {
      // Migrations may run longer than a request's statement timeout: on PostgreSQL they get a connection without it.
      const migrator =
        database.kind === 'postgres' ? await Database.open({ url: config.database.url, dataDir: config.database.dataDir, poolSize: 1, migrations: MIGRATIONS, log }) : database;
      try {
        const applied = await migrator.migrate();
        if (applied.length > 0) log.info({ applied }, 'migrations applied');
      } finally {
        if (migrator !== database) await migrator.close();
      }
    }
    schemaCurrent = !(await database.pendingMigrations());
    if (!schemaCurrent) {
      throw new StartupFailure('database schema is older than this release (pending migrations); run `gridauthz migrate`, or serve --migrate', EXIT.schema);
    }
    site = await startSite({
      db: database,
      config,
      log,
      verifier: trust.subjectVerifier,
      clock,
      onRecordsDeleted: (rows) => metrics.decisionRecordsDeleted(rows),
      // Token time claims against the service clock, the one decisions are made and recorded at.
      tokens: { onJwksEvent: (event) => metrics.jwksEvent(event), now: () => clock().getTime() },
      ...(options.seedMapping ? { seedMapping: options.seedMapping } : {}),
    });
    if (closed) return;
    const { idleMs, intervalMs } = config.mapping.leaseExpiry;
    if (idleMs !== undefined) {
      leaseExpiry = new LeaseExpiryJob({
        db: database,
        idleMs,
        intervalMs,
        coolDownSeconds: config.admin.releaseCooldownSeconds,
        clock,
        log: log.child({ component: 'lease-expiry' }),
        metrics,
      });
      leaseExpiry.start();
    }
    await reportReadiness();
  })();
  ready.catch(() => undefined); // observed by the caller; avoid an unhandled rejection if it is not

  /**
   * Logs "ready" only when /readyz would say so; otherwise the same reasons /readyz gives, and "ready" once they
   * clear (a `policy apply` from the CLI, a trust directory that appears), so the log never contradicts /readyz.
   */
  async function reportReadiness(): Promise<void> {
    const results = await Promise.all(readinessChecks.map(async (c) => ({ name: c.name, ...(await c.check().catch((err: unknown) => ({ ok: false, detail: (err as Error).message }))) })));
    const failing = results.filter((r) => !r.ok);
    if (failing.length === 0) {
      log.info('ready');
      return;
    }
    log.warn({ notReady: Object.fromEntries(failing.map((f) => [f.name, f.detail])) }, `not ready: ${failing.map((f) => `${f.name}: ${f.detail}`).join('; ')}`);
    const watch = async (): Promise<void> => {
      if (closed) return;
      const now = await Promise.all(readinessChecks.map((c) => c.check().catch(() => ({ ok: false, detail: '' }))));
      if (closed) return;
      if (now.every((r) => r.ok)) log.info('ready');
      else {
        readinessTimer = setTimeout(() => void watch(), 500);
        readinessTimer.unref();
      }
    };
    readinessTimer = setTimeout(() => void watch(), 500);
    readinessTimer.unref();
  }
  ready.catch(() => undefined); // observed by the caller; avoid an unhandled rejection if it is not

  return {
    pdpUrl,
    pepdUrl,
    managementUrl,
    adminUrl: (admin as AdminListener | undefined)?.url,
    ready,
    database: () => database,
    site: () => site,
    async close() {
      closed = true;
      clearTimeout(readinessTimer);
      connectionGuard.close();
      pepdListener?.guard.close();
      openFiles.stop();
      await Promise.allSettled([pdp.close(), pepdListener?.app.close(), management.close(), (admin as AdminListener | undefined)?.close()]);
      await ready.catch(() => undefined);
      await leaseExpiry?.stop();
      await site?.close();
      await database?.close();
      await trust.close();
    },
  };
}

/** Under `serve --workers N` a scrape must see every worker, not whichever one the kernel picked. */
function metricsText(metrics: ServiceMetrics): MetricsText {
  if (!cluster.isWorker) return { contentType: metrics.registry.contentType, render: () => metrics.registry.metrics() };
  new AggregatorRegistry(); // registers the worker's answer to the supervisor's collection requests
  AggregatorRegistry.setRegistries([metrics.registry]);
  return { contentType: metrics.registry.contentType, render: () => clusterMetricsFromPrimary() };
}
