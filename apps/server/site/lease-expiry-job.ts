import type { Logger } from 'pino';
import { type Database, LEASE_EXPIRY_JOB_ACTOR, type LeaseExpiryOutcome, runLeaseExpiry } from '@gridauthz/persistence';

export interface LeaseExpiryMetrics {
  leaseExpiryRun(outcome: 'ran' | 'skipped' | 'failed', expired: number): void;
}

/**
 * The scheduled lease expiry (docs/lease-expiry.md), what lcg-expiregridmapdir does from cron: every `intervalMs`
 * release the leases unused for `idleMs`. Every replica schedules it; the run's try-lock lets one run at a time and
 * the others skip, so the schedule needs no leader election and survives any replica dying.
 */
export class LeaseExpiryJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly options: {
      readonly db: Database;
      readonly idleMs: number;
      readonly intervalMs: number;
      readonly coolDownSeconds: number;
      readonly clock: () => Date;
      readonly log: Logger;
      readonly metrics?: LeaseExpiryMetrics;
    },
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref();
    this.options.log.info({ idleSeconds: this.options.idleMs / 1000, intervalSeconds: this.options.intervalMs / 1000 }, 'lease expiry scheduled');
  }

  /** One run now; a run still in progress in this process is not overlapped. Never throws (logged, counted). */
  async runOnce(): Promise<LeaseExpiryOutcome | undefined> {
    if (this.running) return undefined;
    const run = this.execute();
    this.running = run;
    try {
      return await run;
    } finally {
      this.running = undefined;
    }
  }

  private async execute(): Promise<LeaseExpiryOutcome | undefined> {
    const { db, idleMs, coolDownSeconds, clock, log, metrics } = this.options;
    try {
      const outcome = await runLeaseExpiry(db, { idleMs, now: clock(), coolDownSeconds, actor: LEASE_EXPIRY_JOB_ACTOR });
      metrics?.leaseExpiryRun(outcome.skipped ? 'skipped' : 'ran', outcome.leases.length);
      if (outcome.skipped) log.debug('lease expiry running on another replica; skipped');
      else if (outcome.leases.length > 0) {
        log.info(
          { expired: outcome.leases.length, cutoff: outcome.cutoff.toISOString(), accounts: outcome.leases.map((l) => `${l.poolId}/${l.username}`) },
          'idle leases released',
        );
      }
      return outcome;
    } catch (err) {
      metrics?.leaseExpiryRun('failed', 0);
      log.error({ err: { message: (err as Error).message } }, 'lease expiry run failed');
      return undefined;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
