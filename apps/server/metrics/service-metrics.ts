import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JwksEvent } from '@gridauthz/credentials';
import type { AuthzResult, Dialect } from '@gridauthz/domain';

/** What the listeners report as they work; the Prometheus side lives only here. */
export interface MetricsSink {
  decision(dialect: Dialect, result: AuthzResult, seconds: number): void;
  credentialFailure(where: 'tls' | 'subject', code: string): void;
  /** A request or connection refused, cut off or closed to protect the service (docs/operations.md, "Overload"). */
  overload(event: OverloadEvent): void;
}

export type OverloadEvent =
  | 'deadline'
  | 'busy'
  | 'unauthenticated-evicted'
  | 'unauthenticated-timeout'
  | 'connection-limit'
  | 'accept-error';

export interface MetricsSources {
  /** Leased and free accounts per pool, read at scrape time. */
  pools(): Promise<readonly { pool: string; leased: number; free: number }[]>;
  /** Age of the newest CRL in the trust directory, seconds; undefined when there is none. */
  newestCrlAgeSeconds(): number | undefined;
  /** Database connection pool of this process. */
  databasePool(): { total: number; idle: number; waiting: number } | undefined;
  /** Requests being decided by this process. */
  decisionsInFlight?(): number;
  /** Open file descriptors of this process and its soft limit (Linux /proc). */
  openFiles?(): { open: number; limit: number } | undefined;
}

/**
 * Why a decision came out as it did, as a label of bounded cardinality: the kind of the deciding reason (ban,
 * policy, mapped) or its stable error code; never a ban id, rule id or DN.
 */
export function reasonLabel(result: AuthzResult): string {
  const last = result.reasons[result.reasons.length - 1] ?? 'none';
  if (last.startsWith('ban:')) return 'ban';
  if (last.startsWith('policy:')) return 'policy';
  if (last.startsWith('mapping:')) return 'mapped';
  if (last.startsWith('voms-dropped:')) return 'voms-dropped';
  return /^[A-Z][A-Z0-9_]*$/.test(last) ? last : 'other';
}

export class ServiceMetrics implements MetricsSink {
  readonly registry = new Registry();
  private readonly decisions = new Counter({
    name: 'gridauthz_decisions_total',
    help: 'Decisions by dialect, decision and the kind of the deciding reason',
    labelNames: ['dialect', 'decision', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'gridauthz_decision_duration_seconds',
    help: 'Time from a decoded request to its encoded answer',
    labelNames: ['dialect'] as const,
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly credentialFailures = new Counter({
    name: 'gridauthz_credential_failures_total',
    help: 'Refused credentials: TLS callers and subject chains in queries, by reason code',
    labelNames: ['where', 'reason'] as const,
    registers: [this.registry],
  });

  private readonly leasesExpired = new Counter({
    name: 'gridauthz_leases_expired_total',
    help: 'Pool leases released by the scheduled lease expiry (docs/lease-expiry.md)',
    registers: [this.registry],
  });
  private readonly leaseExpiryRuns = new Counter({
    name: 'gridauthz_lease_expiry_runs_total',
    help: 'Scheduled lease expiry runs: ran, skipped (another replica was running it) or failed',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly recordsDeleted = new Counter({
    name: 'gridauthz_decision_records_deleted_total',
    help: 'Decision records deleted by the retention job (decisions.retentionDays)',
    registers: [this.registry],
  });

  /** Rows one retention batch deleted. */
  decisionRecordsDeleted(rows: number): void {
    this.recordsDeleted.inc(rows);
  }

  private readonly jwksEvents = new Counter({
    name: 'gridauthz_token_jwks_events_total',
    help: 'Token issuer key-cache events by issuer: loaded, not-modified, fetch-failed (last good keys used or none), expired (docs/tokens.md §6)',
    labelNames: ['issuer', 'event'] as const,
    registers: [this.registry],
  });
  private readonly jwksStale = new Gauge({
    name: 'gridauthz_token_jwks_last_good_keys_in_use',
    help: "1 while an issuer's keys could not be refreshed and its last good keys are still used; 0 once a fetch succeeds (docs/tokens.md §6)",
    labelNames: ['issuer'] as const,
    registers: [this.registry],
    aggregator: 'max',
  });

  /** What a token issuer's key cache reported (the issuer label is bounded by the configured issuers). */
  jwksEvent(event: JwksEvent): void {
    if (event.type === 'fetch-failed') {
      this.jwksEvents.inc({ issuer: event.issuer, event: event.lastGoodKeysUsed ? 'fetch-failed-last-good-keys' : 'fetch-failed-no-keys' });
      this.jwksStale.set({ issuer: event.issuer }, event.lastGoodKeysUsed ? 1 : 0);
      return;
    }
    this.jwksEvents.inc({ issuer: event.issuer, event: event.type });
    this.jwksStale.set({ issuer: event.issuer }, 0);
  }

  private readonly overloads = new Counter({
    name: 'gridauthz_overload_events_total',
    help: 'Requests and connections refused, cut off or closed under load, by event (deadline, busy, unauthenticated-evicted, ...)',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  constructor(sources: MetricsSources) {
    new Gauge({
      name: 'gridauthz_decisions_in_flight',
      help: 'Requests being decided (limits.maxConcurrentDecisions bounds it per process)',
      registers: [this.registry],
      collect() {
        this.set(sources.decisionsInFlight?.() ?? 0);
      },
    });
    new Gauge({
      name: 'gridauthz_open_files',
      help: 'Open file descriptors of the process, and its open-files (nofile) soft limit',
      labelNames: ['kind'] as const,
      registers: [this.registry],
      collect() {
        const files = sources.openFiles?.();
        if (!files) return;
        this.set({ kind: 'open' }, files.open);
        this.set({ kind: 'limit' }, files.limit);
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'gridauthz_' });
    new Gauge({
      name: 'gridauthz_pool_accounts',
      help: 'Accounts per pool, leased or free',
      labelNames: ['pool', 'state'] as const,
      registers: [this.registry],
      // Every worker reads the same table: the cluster total is one worker's value, not their sum.
      aggregator: 'first',
      async collect() {
        this.reset();
        for (const p of await sources.pools().catch(() => [])) {
          this.set({ pool: p.pool, state: 'leased' }, p.leased);
          this.set({ pool: p.pool, state: 'free' }, p.free);
        }
      },
    });
    new Gauge({
      name: 'gridauthz_crl_newest_age_seconds',
      help: 'Age of the newest CRL in the CA directory (fetch-crl health)',
      registers: [this.registry],
      aggregator: 'max',
      collect() {
        const age = sources.newestCrlAgeSeconds();
        if (age !== undefined) this.set(age);
      },
    });
    new Gauge({
      name: 'gridauthz_database_connections',
      help: 'Database connections of this process by state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const pool = sources.databasePool();
        if (!pool) return;
        this.set({ state: 'total' }, pool.total);
        this.set({ state: 'idle' }, pool.idle);
        this.set({ state: 'waiting' }, pool.waiting);
      },
    });
  }

  decision(dialect: Dialect, result: AuthzResult, seconds: number): void {
    this.decisions.inc({ dialect, decision: result.decision, reason: reasonLabel(result) });
    this.latency.observe({ dialect }, seconds);
    const credential = result.reasons.find((r) => r.startsWith('CRED_'));
    if (credential) this.credentialFailure('subject', credential);
  }

  credentialFailure(where: 'tls' | 'subject', code: string): void {
    this.credentialFailures.inc({ where, reason: code });
  }

  leaseExpiryRun(outcome: 'ran' | 'skipped' | 'failed', expired: number): void {
    this.leaseExpiryRuns.inc({ outcome });
    if (expired > 0) this.leasesExpired.inc(expired);
  }

  overload(event: OverloadEvent): void {
    this.overloads.inc({ event });
  }
}

export const METRICS = Symbol('Metrics');

export const noMetrics: MetricsSink = { decision: () => undefined, credentialFailure: () => undefined, overload: () => undefined };
