import type { AuthzRequest, AuthzResult, LogSink, Subject } from '@gridauthz/domain';
import { DeadlineExceeded, DEADLINE_MESSAGE, DEADLINE_REASON, type DecisionDeadline } from './deadline';
import type { DecisionRecord } from './decision-record';
import type { DecisionDependencies } from './ports';
import { checkBans } from './stages/bans';
import { admitCaller } from './stages/caller';
import { MappingStage } from './stages/mapping';
import { type Obligated, obligationsOf } from './stages/obligations';
import type { Outcome } from './stages/outcome';
import { Trail } from './stages/outcome';
import { decidePolicy } from './stages/policy';
import { recordOf, resultOf } from './stages/record';
import { establishSubject } from './stages/subject';

export { DEADLINE_MESSAGE, DEADLINE_REASON } from './deadline';
export type { DecisionDeadline } from './deadline';
export { DEFAULT_BAN_CLIENT_MESSAGE } from './stages/bans';
export { policyRequest } from './stages/policy';

/** What the transport adds to the question: only its deadline. Who may ask what is the caller stage's alone. */
export interface DecideOptions {
  /** The request's deadline: once it has passed no lease is taken and the decision is recorded Indeterminate. */
  readonly deadline?: DecisionDeadline;
}

export interface Decided {
  readonly result: AuthzResult;
  readonly record: DecisionRecord;
}

const DEFAULT_LEASE_TOUCH_INTERVAL_MS = 60_000;

/**
 * The decision pipeline, one direction, one stage after the other (libs/decision/README.md):
 * caller → subject → bans → policy → mapping → obligations → record. Each stage either hands its value on or ends
 * the decision with a Deny or Indeterminate, a status and a reason; only the end of the Permit path, after the record
 * is committed, yields Permit. Any failure (storage down, a bug) is Indeterminate, recorded if storage allows.
 */
export class Decider {
  private readonly mappingStage: MappingStage;

  constructor(private readonly deps: DecisionDependencies) {
    const interval = deps.leaseTouchIntervalMs ?? DEFAULT_LEASE_TOUCH_INTERVAL_MS;
    if (!Number.isSafeInteger(interval) || interval < 0) {
      throw new Error(`leaseTouchIntervalMs must be a non-negative integer, got ${String(deps.leaseTouchIntervalMs)}`);
    }
    this.mappingStage = new MappingStage(deps.storage, interval);
  }

  async decide(request: AuthzRequest, now: Date, options: DecideOptions = {}): Promise<Decided> {
    const run = new Run(this.deps, request, now, options.deadline);
    try {
      return await this.stages(run);
    } catch (err) {
      return run.failed(err, this.deps.log);
    }
  }

  private async stages(run: Run): Promise<Decided> {
    const { request, now, trail } = run;
    const config = this.deps.configuration;
    const callers = config.callers();

    const admitted = admitCaller(request, callers, trail);
    if (!admitted.ok) return run.conclude(admitted.outcome);

    const established = await establishSubject(request, admitted.value, this.deps, callers, now, trail, (s) => run.saw(s));
    if (!established.ok) return run.conclude(established.outcome);
    const { subject, standing } = established.value;
    run.saw(subject);
    const mapping = config.mapping();

    // Bans come before policy and cannot be overridden by it.
    const banned = checkBans(config.bans(), subject, now, this.deps.banAnswer, trail);
    if (!banned.ok) return run.conclude(banned.outcome);

    const permitted = decidePolicy(config.policy(), request, subject, standing, trail);
    if (!permitted.ok) return run.conclude(permitted.outcome);

    // Which obligations the Permit carries, and whether one asks for an account (docs/architecture.md, "Obligations").
    const { policy, permit } = permitted.value;
    run.obligated = obligationsOf(config.accountObligation?.() ?? 'auto', policy, permit, request);
    if (!run.obligated.account) return run.conclude({ decision: 'Permit', status: 'ok' });

    const mapped = await this.mappingStage.map({ mapping, subject, standing, now, trail, deadline: run.deadline, recordOf: (o) => run.record(o) });
    return mapped.kind === 'committed' ? { result: run.result(mapped.outcome), record: mapped.record } : run.conclude(mapped.outcome);
  }
}

/** One decision in flight: its id, reasons, subject once known, and the record and result it ends with. */
class Run {
  readonly id: string;
  readonly trail = new Trail();
  private readonly started: number;
  private subject: Subject | undefined;
  obligated: Obligated | undefined;

  constructor(
    private readonly deps: DecisionDependencies,
    readonly request: AuthzRequest,
    readonly now: Date,
    readonly deadline: DecisionDeadline | undefined,
  ) {
    this.started = deps.monotonicMs();
    this.id = deps.newId();
    deadline?.started(this.id);
  }

  get expired(): boolean {
    return this.deadline?.expired === true;
  }

  saw(subject: Subject): void {
    this.subject = subject;
  }

  record(outcome: Outcome): DecisionRecord {
    const latencyMs = this.deps.monotonicMs() - this.started;
    return recordOf({ id: this.id, now: this.now, request: this.request, subject: this.subject, reasons: this.trail.reasons, latencyMs }, outcome);
  }

  result(outcome: Outcome): AuthzResult {
    return resultOf(this.id, outcome, this.obligated, this.trail.reasons);
  }

  /** Records a decision that took no lease, then answers it; past the deadline, the Indeterminate that was answered. */
  async conclude(reached: Outcome): Promise<Decided> {
    let outcome = reached;
    if (this.expired) {
      this.trail.note(DEADLINE_REASON);
      outcome = { decision: 'Indeterminate', status: 'processing-error', statusMessage: DEADLINE_MESSAGE };
    }
    const row = this.record(outcome);
    await this.deps.storage.record(row);
    return { result: this.result(outcome), record: row };
  }

  /**
   * Storage down, a bug: fail closed, and record the failure if storage lets us. Past the deadline (a lock wait the
   * database's statement timeout ended, or the rollback of a late lease) the failure is the deadline's.
   */
  async failed(err: unknown, log: LogSink): Promise<Decided> {
    const late = err instanceof DeadlineExceeded || this.expired;
    const message = err instanceof Error ? err.message : String(err);
    if (late) log.warn({ decisionId: this.id, err: { message } }, 'decision cut off by the request deadline');
    else log.error({ decisionId: this.id, err: { message } }, 'decision failed');
    this.trail.note(late ? DEADLINE_REASON : 'INTERNAL_ERROR');
    const outcome: Outcome = late
      ? { decision: 'Indeterminate', status: 'processing-error', statusMessage: DEADLINE_MESSAGE }
      : { decision: 'Indeterminate', status: 'processing-error', statusMessage: 'internal error; see the service log' };
    const row = this.record(outcome);
    try {
      await this.deps.storage.record(row);
    } catch (recordErr) {
      log.error({ decisionId: this.id, err: { message: recordErr instanceof Error ? recordErr.message : String(recordErr) } }, 'could not record a failed decision');
    }
    return { result: this.result(outcome), record: row };
  }
}
