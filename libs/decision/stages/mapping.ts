/**
 * Stage 5, mapping: fulfils an account-mapping obligation by finding the subject's local account. A static account
 * takes no lease. A pool lease this process touched lately is confirmed and the record written in one atomic step,
 * with no exclusive lock, so many decisions of one user do not queue on the lease row (warm path); otherwise the
 * lease is taken or touched, and the record written, in one transaction (cold path).
 */
import type { Subject } from '@gridauthz/domain';
import { accountFor, type CompiledMappingConfig, leasePrepared, type MappingPurpose, prepareMapping } from '@gridauthz/mapping';
import { DeadlineExceeded, type DecisionDeadline } from '../deadline';
import type { DecisionRecord } from '../decision-record';
import type { DecisionStorage, DecisionTransaction } from '../ports';
import { RecentLeases } from '../recent-leases';
import type { Standing } from './caller';
import type { Outcome, Trail } from './outcome';

/** Where mapping left the decision: still to be recorded, or recorded with its lease. */
export type Mapped = { readonly kind: 'conclude'; readonly outcome: Outcome } | { readonly kind: 'committed'; readonly outcome: Outcome; readonly record: DecisionRecord };

export interface MappingInput {
  readonly mapping: CompiledMappingConfig | undefined;
  readonly subject: Subject;
  readonly standing: Standing;
  readonly now: Date;
  readonly trail: Trail;
  readonly deadline?: DecisionDeadline;
  /** The record of this decision with this outcome (the record stage). */
  readonly recordOf: (outcome: Outcome) => DecisionRecord;
}

export class MappingStage {
  private readonly recentLeases = new RecentLeases();

  constructor(
    private readonly storage: DecisionStorage,
    private readonly leaseTouchIntervalMs: number,
  ) {}

  async map(input: MappingInput): Promise<Mapped> {
    const { mapping, subject, standing, now, trail, deadline } = input;
    const expired = (): boolean => deadline?.expired === true;
    const conclude = (outcome: Outcome): Mapped => ({ kind: 'conclude', outcome });
    if (!mapping) {
      trail.note('MAPPING_NOT_CONFIGURED');
      return conclude({ decision: 'Indeterminate', status: 'processing-error', statusMessage: 'no mapping configuration is loaded' });
    }
    // Only a pilot (or WN) asking with the payload's own credential asks for a payload mapping.
    const purpose: MappingPurpose = standing.payload ? 'payload' : 'pilot-or-user';
    const nowMs = now.getTime();
    const prepared = prepareMapping(
      mapping,
      { dn: subject.dn, fqans: subject.fqans, token: subject.token, groups: subject.token ? (subject.groups ?? []) : undefined },
      purpose,
    );
    if (!prepared.ok) {
      trail.note(prepared.error.code);
      return conclude({ decision: 'Deny', status: 'ok', statusMessage: prepared.error.detail });
    }
    const { plan, target } = prepared.value;
    // A static account involves no lease: only the record is written.
    if (target.kind === 'static') {
      trail.note(`mapping:${plan.ruleId}`);
      return conclude({ decision: 'Permit', status: 'ok', account: target.account });
    }
    const { poolId, subjectKey } = target;
    const seen = this.recentLeases.fresh(poolId, subjectKey, nowMs, this.leaseTouchIntervalMs);
    if (seen && !expired()) {
      const outcome: Outcome = { decision: 'Permit', status: 'ok', account: accountFor(mapping, plan, seen) };
      trail.note(`mapping:${plan.ruleId}`);
      const row = input.recordOf(outcome);
      const lease = { poolId, subjectKey, account: seen, exclusiveKey: mapping.settings.leaseInOtherPool !== 'allow' };
      if (await this.storage.recordOnLiveLease(lease, row)) return { kind: 'committed', outcome, record: row };
      // Released, moved or changed since: forget the hint and decide from the store.
      trail.retract();
      this.recentLeases.forget(poolId, subjectKey);
    }

    // Cold path: the lease is taken or touched, and the record written, in one transaction.
    if (expired()) return conclude({ decision: 'Indeterminate', status: 'processing-error' });
    const cold = await this.storage.transaction(async (tx: DecisionTransaction) => {
      const mapped = await leasePrepared(tx.leases, mapping, prepared.value, now);
      // Past the deadline the caller was told Indeterminate: roll the lease back rather than hold it unexplained.
      if (deadline && !deadline.enterCommit()) throw new DeadlineExceeded();
      let outcome: Outcome;
      if (mapped.ok) {
        trail.note(`mapping:${mapped.value.plan.ruleId}`);
        outcome = { decision: 'Permit', status: 'ok', account: mapped.value.account };
      } else {
        trail.note(mapped.error.code);
        outcome = { decision: 'Deny', status: 'ok', statusMessage: mapped.error.detail };
      }
      const row = input.recordOf(outcome);
      await tx.record(row);
      return { mapped: { kind: 'committed', outcome, record: row } as const, poolAccount: mapped.ok ? mapped.value.poolAccount : undefined };
    });
    // Remembered only once committed: a rolled-back lease must not become a hint.
    if (cold.poolAccount) this.recentLeases.remember(poolId, subjectKey, cold.poolAccount, nowMs);
    return cold.mapped;
  }
}
