import { performance } from 'node:perf_hooks';
import type { LogSink } from '@gridauthz/domain';
import type { Database } from '../database/database';

export interface DecisionRetentionOptions {
  /** Records older than this many days are deleted; at least 1 (the database refuses younger cutoffs). */
  readonly retentionDays: number;
  /** Rows per delete transaction. */
  readonly batchSize: number;
  readonly clock: () => Date;
  readonly log: LogSink;
  /** Least pause between batches (ms), so decisions waiting for a connection get it first. */
  readonly pauseMs?: number;
  /**
   * Pause after each batch as a multiple of the time the batch took (default 3: the job deletes at most a quarter of
   * the time). Deleting competes with decisions for the database's CPU and I/O; a busier database makes batches
   * slower and so the job gentler by itself.
   */
  readonly idleFactor?: number;
  /** Called after each batch with the rows it deleted (metrics). */
  readonly onDeleted?: (rows: number) => void;
}

export interface RetentionRun {
  readonly deleted: number;
  readonly batches: number;
  /** Another replica held the job's lock: this run deleted nothing and left the work to it. */
  readonly skipped: boolean;
  readonly cutoff: Date;
}

/** Advisory lock key of the retention job ("gadr" in ASCII): one replica deletes at a time. */
export const RETENTION_LOCK_KEY = 0x67616472;

/**
 * Deletes decision records older than the retention, in small batches along decision_record_decided_at_ix, each in
 * a short transaction of its own, so no decision waits on it for long and no transaction holds many row locks; after
 * each batch it idles for a multiple of the batch's time, so it takes a bounded share of the database.
 * Each batch takes a transaction-level advisory lock without waiting: replicas never delete side by side, and a
 * replica that finds the lock taken skips its run. The transaction declares its cutoff with
 * set_config('gridauthz.retention_cutoff'), which the decision_record_retention_only trigger (migration
 * 1795400000151) requires of every DELETE (docs/forensics.md).
 */
export class DecisionRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly options: DecisionRetentionOptions,
  ) {
    if (!Number.isSafeInteger(options.retentionDays) || options.retentionDays < 1) throw new Error(`retentionDays must be a whole number of days ≥ 1, got ${options.retentionDays}`);
    if (!Number.isSafeInteger(options.batchSize) || options.batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${options.batchSize}`);
  }

  /** Deletes every record older than the cutoff (now - retention), batch by batch. */
  async runOnce(): Promise<RetentionRun> {
    const cutoff = new Date(this.options.clock().getTime() - this.options.retentionDays * 86_400_000);
    let deleted = 0;
    let batches = 0;
    for (;;) {
      if (this.stopped) break;
      const started = performance.now();
      const n = await this.db.transaction(async (m) => {
        const lock = await m.query<{ got: boolean }[]>(`SELECT pg_try_advisory_xact_lock($1) AS got`, [RETENTION_LOCK_KEY]);
        if (!lock[0]?.got) return undefined;
        await m.query(`SELECT set_config('gridauthz.retention_cutoff', $1, true)`, [cutoff.toISOString()]);
        const rows = await m.query<{ n: number }[]>(
          `WITH gone AS (
             DELETE FROM decision_record WHERE id IN (
               SELECT id FROM decision_record WHERE decided_at < $1 ORDER BY decided_at LIMIT $2)
             RETURNING 1)
           SELECT count(*)::int AS n FROM gone`,
          [cutoff, this.options.batchSize],
        );
        return rows[0]?.n ?? 0;
      });
      if (n === undefined) return { deleted, batches, skipped: batches === 0, cutoff };
      batches += 1;
      deleted += n;
      if (n > 0) this.options.onDeleted?.(n);
      if (n < this.options.batchSize) break;
      const tookMs = performance.now() - started;
      await new Promise((r) => setTimeout(r, Math.max(this.options.pauseMs ?? 10, tookMs * (this.options.idleFactor ?? 3))));
    }
    return { deleted, batches, skipped: false, cutoff };
  }

  /** Runs now and then every `intervalMs`; a run never overlaps the previous one. */
  start(intervalMs: number): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.runOnce()
        .then((run) => {
          if (run.deleted > 0 || run.skipped) this.options.log.info({ deleted: run.deleted, batches: run.batches, skipped: run.skipped, cutoff: run.cutoff.toISOString() }, 'decision record retention');
        })
        .catch((err: unknown) => this.options.log.error({ err: { message: (err as Error).message } }, 'decision record retention failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
