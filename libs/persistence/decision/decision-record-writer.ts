import type { DecisionRecord, HeldLease } from '@gridauthz/decision';
import type { Database } from '../database/database';

export interface DecisionRecordWriterOptions {
  /** Most records written by one statement. */
  readonly maxBatch?: number;
  /** Statements in flight at once; records arriving meanwhile wait and go together in the next one. */
  readonly maxInFlight?: number;
}

interface Pending {
  readonly row: DecisionRecord;
  readonly lease: HeldLease | undefined;
  readonly resolve: (written: boolean) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Group commit of decision records. Every record is durable before its promise resolves, but the records of
 * decisions that finish together share one INSERT, one round trip and one WAL flush. Under light load each record
 * goes alone at once (the batch is whatever arrived in the same event-loop turn); under heavy load records queue
 * behind the statements in flight, which is where sharing pays.
 *
 * A record may carry a lease to confirm (the warm Permit path): it is written only if that lease is live with the
 * given account, and the lease row is share-locked by the same statement, so a release waits until the record has
 * committed and a Permit is never recorded for an account another key holds. A lease row some writer holds locked
 * (a release, an import, another process's touch) is skipped by the batch, not waited for, so it does not stall
 * every record batched with it; each record skipped so is then written alone by a statement that waits for its one
 * row. Answering "not live" at once instead would send the decision down the lease-taking path, whose exclusive lock
 * makes the next batches skip too: with two processes (or replicas) deciding for one user, about one decision in a
 * hundred went that way and queued on the row (BENCHMARKS.md, "Issue 21").
 */
export class DecisionRecordWriter {
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly db: Database,
    options: DecisionRecordWriterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 256;
    this.maxInFlight = options.maxInFlight ?? 2;
    for (const [name, value] of [['maxBatch', this.maxBatch], ['maxInFlight', this.maxInFlight]] as const) {
      if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
    }
  }

  /** Writes a record of a decision that holds no lease; resolves once committed. */
  async record(row: DecisionRecord): Promise<void> {
    const written = await this.enqueue(row, undefined);
    // Without a lease condition every row is inserted; anything else means the statement is wrong.
    if (!written) throw new Error(`decision record ${row.id} was not written`);
  }

  /** Writes the record only if `lease` is live as given; false when it is not (nothing written). */
  recordOnLiveLease(lease: HeldLease, row: DecisionRecord): Promise<boolean> {
    return this.enqueue(row, lease);
  }

  /** Records waiting for a statement (for tests and metrics). */
  get waiting(): number {
    return this.queue.length;
  }

  private enqueue(row: DecisionRecord, lease: HeldLease | undefined): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ row, lease, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.slice(0, this.maxBatch);
      this.queue = this.queue.slice(batch.length);
      this.inFlight += 1;
      void this.write(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async write(batch: readonly Pending[]): Promise<void> {
    try {
      const written = await this.insert(batch, 'skip-locked');
      const unconfirmed = batch.filter((p) => p.lease !== undefined && !written.has(p.row.id));
      settle(
        batch.filter((p) => !unconfirmed.includes(p)),
        written,
      );
      // Not awaited: a record waiting for its lease row holds no place among the statements in flight.
      for (const p of unconfirmed) {
        void this.insert([p], 'wait').then(
          (w) => settle([p], w),
          (e: unknown) => p.reject(e),
        );
      }
    } catch (err) {
      if (batch.length === 1) {
        batch[0]?.reject(err);
        return;
      }
      // One unwritable row, or a deadlock with a release, must not fail the decisions batched with it.
      await Promise.all(
        batch.map((p) =>
          this.insert([p], 'skip-locked').then(
            (written) => settle([p], written),
            (e: unknown) => p.reject(e),
          ),
        ),
      );
    }
  }

  /**
   * One statement; returns the ids of the records written. `skip-locked`: a lease row another writer holds locked
   * counts as not confirmed; `wait`: the statement waits for it (one record at a time only).
   */
  private async insert(batch: readonly Pending[], locked: 'skip-locked' | 'wait'): Promise<Set<string>> {
    const input = batch.map(({ row: r, lease }) => ({
      id: r.id,
      decided_at: r.decidedAt.toISOString(),
      caller_dn: r.callerDn,
      host: r.host ?? null,
      subject_dn: r.subjectDn ?? null,
      fqans: r.fqans,
      resource: r.resource ?? null,
      action: r.action ?? null,
      dialect: r.dialect,
      decision: r.decision,
      status: r.status,
      username: r.username ?? null,
      uid: r.uid ?? null,
      gid: r.gid ?? null,
      gids: r.gids,
      reasons: r.reasons,
      environment: r.environment,
      latency_ms: r.latencyMs,
      source_address: r.sourceAddress ?? null,
      source_port: r.sourcePort ?? null,
      caller_dn_key: r.callerDnKey ?? null,
      caller_serial: r.callerSerial ?? null,
      caller_issuer: r.callerIssuer ?? null,
      caller_host: r.callerHost ?? null,
      host_dn: r.hostDn ?? null,
      host_dn_key: r.hostDnKey ?? null,
      pep_issuer: r.pepIssuer ?? null,
      subject_dn_key: r.subjectDnKey ?? null,
      token_issuer: r.tokenIssuer ?? null,
      token_subject: r.tokenSubject ?? null,
      lease_pool: lease?.poolId ?? null,
      lease_key: lease?.subjectKey ?? null,
      lease_username: lease?.account.username ?? null,
      lease_uid: lease?.account.uid ?? null,
      lease_gid: lease?.account.gid ?? null,
      lease_exclusive: lease?.exclusiveKey ?? false,
    }));
    const rows = await this.db.preparedQuery<{ id: string }>(
      locked === 'wait' ? 'gridauthz_write_decision_records_v3_wait' : 'gridauthz_write_decision_records_v3',
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(
           id uuid, decided_at timestamptz, caller_dn text, host text, subject_dn text, fqans text[], resource text,
           action text, dialect text, decision text, status text, username text, uid integer, gid integer,
           gids integer[], reasons jsonb, environment jsonb, latency_ms real,
           source_address text, source_port integer, caller_dn_key text, caller_serial text, caller_issuer text,
           caller_host text, host_dn text, host_dn_key text, pep_issuer text, subject_dn_key text,
           token_issuer text, token_subject text,
           lease_pool text, lease_key text, lease_username text, lease_uid integer, lease_gid integer,
           lease_exclusive boolean)),
       confirmed AS (
         SELECT i.id FROM input i
         JOIN pool p ON p.name = i.lease_pool
         JOIN lease l ON l.pool_id = p.id AND l.subject_key = i.lease_key AND l.released_at IS NULL
         JOIN pool_account a ON a.id = l.account_id
         WHERE a.username = i.lease_username AND a.uid = i.lease_uid AND a.gid = i.lease_gid
           AND NOT (i.lease_exclusive AND EXISTS (
             SELECT 1 FROM lease o WHERE o.subject_key = i.lease_key AND o.released_at IS NULL AND o.pool_id <> p.id))
         FOR SHARE OF l${locked === 'wait' ? '' : ' SKIP LOCKED'}),
       written AS (
         INSERT INTO decision_record
           (id, decided_at, caller_dn, host, subject_dn, fqans, resource, action, dialect, decision, status,
            username, uid, gid, gids, reasons, environment, latency_ms,
            source_address, source_port, caller_dn_key, caller_serial, caller_issuer, caller_host, host_dn, host_dn_key, pep_issuer, subject_dn_key, token_issuer, token_subject)
         SELECT i.id, i.decided_at, i.caller_dn, i.host, i.subject_dn, i.fqans, i.resource, i.action, i.dialect,
                i.decision, i.status, i.username, i.uid, i.gid, i.gids, i.reasons, i.environment, i.latency_ms,
                i.source_address, i.source_port, i.caller_dn_key, i.caller_serial, i.caller_issuer, i.caller_host,
                i.host_dn, i.host_dn_key, i.pep_issuer, i.subject_dn_key, i.token_issuer, i.token_subject
         FROM input i
         WHERE i.lease_pool IS NULL OR i.id IN (SELECT id FROM confirmed)
         RETURNING id)
       SELECT id FROM written`,
      [JSON.stringify(input)],
    );
    return new Set(rows.map((r) => r.id));
  }
}

function settle(batch: readonly Pending[], written: ReadonlySet<string>): void {
  for (const p of batch) p.resolve(written.has(p.row.id));
}
