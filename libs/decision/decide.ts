import type { AuthzRequest, AuthzResult, DecisionValue, Fqan } from '@gridauthz/domain';
import { accountFor, type Ban, checkPayloadCaller, findBan, leasePrepared, type MappingPurpose, prepareMapping } from '@gridauthz/mapping';
import { evaluate, type PolicyRequest } from '@gridauthz/policy';
import type { DecisionRecord } from './decision-record';
import type { DecisionDependencies, DecisionTransaction, VerifiedSubject } from './ports';
import { RecentLeases } from './recent-leases';

type Status = AuthzResult['status'];

interface Outcome {
  readonly decision: DecisionValue;
  readonly status: Status;
  readonly statusMessage?: string;
  readonly account?: AuthzResult['account'];
}

/** What the transport already established about the caller, beyond its TLS identity. */
export interface DecideOptions {
  /** The protocol authorized this caller to assert the subject (PRIMA: a CE asking about its own resource). */
  readonly callerVouchesForSubject?: boolean;
  /** The protocol refused this caller for this question; the decision is Deny with this reason, recorded. */
  readonly refuseCaller?: string;
  /** The request's deadline: once it has passed no lease is taken and the decision is recorded Indeterminate. */
  readonly deadline?: DecisionDeadline;
}

/**
 * The transport's deadline for one request (docs/operations.md, "Overload and limits"). When it passes, the transport
 * answers Indeterminate at once; the pipeline, still running, must then take no lease and record what was answered.
 */
export interface DecisionDeadline {
  /** True once the answer has gone without this decision. */
  readonly expired: boolean;
  /** Tells the transport which decision id it answers for, should the deadline pass. */
  started(decisionId: string): void;
  /**
   * Called right before a lease and its record are committed: false when the deadline has passed (roll back);
   * true makes the transport wait for this commit, which the database's statement timeout bounds, instead of
   * answering Indeterminate for a lease that is being taken.
   */
  enterCommit(): boolean;
}

/** Thrown inside the lease transaction to roll it back when the deadline passed before the commit. */
class DeadlineExceeded extends Error {
  constructor() {
    super('the request deadline passed before the lease was committed');
  }
}

/** Reason recorded for a decision cut off by the request deadline. */
export const DEADLINE_REASON = 'OVERLOAD_DEADLINE_EXCEEDED';
export const DEADLINE_MESSAGE = 'the request deadline passed before a decision was reached; try again';

export interface Decided {
  readonly result: AuthzResult;
  readonly record: DecisionRecord;
}

/** Dialects whose clients switch identity and therefore need an account with a Permit. */
const MAPPING_DIALECTS = new Set(['authz-interop', 'grid-wn', 'grid-ce', 'emi', 'prima']);

const DEFAULT_LEASE_TOUCH_INTERVAL_MS = 60_000;

/**
 * The decision pipeline, one direction: subject credentials → caller may act for the subject → bans →
 * site policy → account mapping → one decision record. Every failure becomes Deny or Indeterminate with a
 * status and a reason; only the end of the Permit path, after the record is committed, yields Permit.
 */
export class Decider {
  private readonly recentLeases = new RecentLeases();
  private readonly leaseTouchIntervalMs: number;

  constructor(private readonly deps: DecisionDependencies) {
    this.leaseTouchIntervalMs = deps.leaseTouchIntervalMs ?? DEFAULT_LEASE_TOUCH_INTERVAL_MS;
    if (!Number.isSafeInteger(this.leaseTouchIntervalMs) || this.leaseTouchIntervalMs < 0) {
      throw new Error(`leaseTouchIntervalMs must be a non-negative integer, got ${String(deps.leaseTouchIntervalMs)}`);
    }
  }

  async decide(request: AuthzRequest, now: Date, options: DecideOptions = {}): Promise<Decided> {
    const started = this.deps.monotonicMs();
    const id = this.deps.newId();
    const reasons: string[] = [];
    let subject: VerifiedSubject | undefined;
    const deadline = options.deadline;
    deadline?.started(id);
    const expired = (): boolean => deadline?.expired === true;

    const record = (outcome: Outcome): DecisionRecord => ({
      id,
      decidedAt: now,
      callerDn: request.caller.dn.toSlash(),
      ...(request.host !== undefined ? { host: request.host } : request.hostDn ? { host: request.hostDn.toSlash() } : {}),
      ...(subject ? { subjectDn: subject.dn.toSlash() } : request.subject.assertedDn ? { subjectDn: request.subject.assertedDn.toSlash() } : {}),
      fqans: (subject?.fqans ?? []).map((f) => f.toLong()),
      ...(request.resource !== undefined ? { resource: request.resource } : {}),
      ...(request.action !== undefined ? { action: request.action } : {}),
      dialect: request.dialect,
      decision: outcome.decision,
      status: outcome.status,
      ...(outcome.account
        ? { username: outcome.account.username, uid: outcome.account.uid, gid: outcome.account.gid }
        : {}),
      gids: outcome.account ? [outcome.account.gid, ...outcome.account.secondaryGids.filter((g) => g !== outcome.account?.gid)] : [],
      reasons: [...reasons],
      environment: recordedEnvironment(request),
      latencyMs: Math.max(0, this.deps.monotonicMs() - started),
    });
    const result = (outcome: Outcome): AuthzResult => ({
      decisionId: id,
      decision: outcome.decision,
      status: outcome.status,
      ...(outcome.statusMessage !== undefined ? { statusMessage: outcome.statusMessage } : {}),
      ...(outcome.account ? { account: outcome.account } : {}),
      reasons: [...reasons],
    });
    /** Records a decision that took no lease, then answers it; past the deadline, the Indeterminate that was answered. */
    const conclude = async (reached: Outcome): Promise<Decided> => {
      let outcome = reached;
      if (expired()) {
        reasons.push(DEADLINE_REASON);
        outcome = { decision: 'Indeterminate', status: 'processing-error', statusMessage: DEADLINE_MESSAGE };
      }
      const row = record(outcome);
      await this.deps.storage.record(row);
      return { result: result(outcome), record: row };
    };
    const deny = (reason: string, message?: string): Promise<Decided> => {
      reasons.push(reason);
      return conclude({ decision: 'Deny', status: 'ok', ...(message !== undefined ? { statusMessage: message } : {}) });
    };
    const indeterminate = (status: Exclude<Status, 'ok'>, reason: string, message: string): Promise<Decided> => {
      reasons.push(reason);
      return conclude({ decision: 'Indeterminate', status, statusMessage: message });
    };

    try {
      const defect = request.defects[0];
      if (defect) return await indeterminate(defect.kind, `REQUEST_${defect.kind.toUpperCase().replace('-', '_')}`, `${defect.attribute}: ${defect.detail}`);

      if (options.refuseCaller !== undefined) return await deny('CALLER_NOT_AUTHORIZED', options.refuseCaller);

      // 1. Who is the subject? Verified from its own chain when sent; asserted attributes only from trusted callers.
      const config = this.deps.configuration;
      if (request.subject.chain && request.subject.chain.length > 0) {
        const verified = this.deps.verifier.verify(request.subject.chain, now);
        if (!verified.ok) return await deny(verified.error.code, `subject credential refused: ${verified.error.detail}`);
        subject = verified.value;
        for (const dropped of subject.droppedAttributes) reasons.push(`voms-dropped:${dropped}`);
      } else if (request.subject.assertedDn) {
        if (!options.callerVouchesForSubject && !config.trustsAssertionsFrom(request.caller.dn)) {
          return await indeterminate(
            'missing-attribute',
            'SUBJECT_NOT_VERIFIABLE',
            `the caller ${request.caller.dn.toSlash()} is not trusted to assert subject attributes; send the subject's certificate chain`,
          );
        }
        const fqans = request.subject.assertedFqans ?? [];
        const primaryFqan = request.subject.assertedPrimaryFqan ?? fqans[0];
        subject = {
          dn: request.subject.assertedDn,
          ...(request.subject.assertedIssuerDn ? { issuerDn: request.subject.assertedIssuerDn } : {}),
          issuerDns: request.subject.assertedIssuerDn ? [request.subject.assertedIssuerDn] : [],
          fqans: primaryFqan && !fqans.some((f) => f.equals(primaryFqan)) ? [primaryFqan, ...fqans] : fqans,
          ...(primaryFqan ? { primaryFqan } : {}),
          vos: request.subject.assertedVos ?? [...new Set(fqans.map((f) => f.vo))],
          limited: false,
          droppedAttributes: [],
        };
        reasons.push('subject:asserted');
      } else {
        return await indeterminate('missing-attribute', 'SUBJECT_MISSING', 'the query names no subject (no certificate chain and no subject-id)');
      }

      // 2. A caller asking for someone else (glexec's pilot, a CE) must be whitelisted for payload mappings.
      const mapping = config.mapping();
      const onBehalf = !request.caller.dn.equals(subject.dn);
      if (onBehalf) {
        if (!mapping) return await indeterminate('processing-error', 'MAPPING_NOT_CONFIGURED', 'no mapping configuration is loaded');
        const allowed = checkPayloadCaller(mapping, request.caller.dn);
        if (!allowed.allowed) return await deny(allowed.code, allowed.detail);
      }

      // 3. Bans come before policy and cannot be overridden by it.
      const ban = findBanFor(config.bans(), subject, now);
      if (ban) return await deny(`ban:${ban.id}`, `banned: ${ban.reason}`);

      // 4. Site policy.
      const policy = config.policy();
      if (!policy) return await indeterminate('processing-error', 'POLICY_NOT_LOADED', 'no site policy is loaded');
      const decision = evaluate(policy, policyRequest(request, subject));
      if (decision.matched) reasons.push(`policy:${decision.matched.policyId}#${decision.matched.ruleIndex}@${decision.matched.source}:${decision.matched.line}`);
      if (decision.decision === 'Indeterminate') {
        return await indeterminate('processing-error', 'POLICY_INDETERMINATE', decision.detail ?? 'the site policy could not be evaluated');
      }
      if (decision.decision !== 'Permit') return await conclude({ decision: decision.decision, status: 'ok' });
      if (!MAPPING_DIALECTS.has(request.dialect)) return await conclude({ decision: 'Permit', status: 'ok' });

      // 5. Account mapping. Warm path: a lease this process touched lately is confirmed and the record written in
      // one atomic step, with no exclusive lock, so many decisions of one user do not queue on the lease row.
      if (!mapping) return await indeterminate('processing-error', 'MAPPING_NOT_CONFIGURED', 'no mapping configuration is loaded');
      const purpose: MappingPurpose = onBehalf ? 'payload' : 'pilot-or-user';
      const nowMs = now.getTime();
      const prepared = prepareMapping(mapping, { dn: subject.dn, fqans: subject.fqans }, purpose);
      if (!prepared.ok) return await deny(prepared.error.code, prepared.error.detail);
      const { plan, target } = prepared.value;
      // A static account involves no lease: only the record is written.
      if (target.kind === 'static') {
        reasons.push(`mapping:${plan.ruleId}`);
        return await conclude({ decision: 'Permit', status: 'ok', account: target.account });
      }
      const { poolId, subjectKey } = target;
      const seen = this.recentLeases.fresh(poolId, subjectKey, nowMs, this.leaseTouchIntervalMs);
      if (seen && !expired()) {
        const outcome: Outcome = { decision: 'Permit', status: 'ok', account: accountFor(mapping, plan, seen) };
        reasons.push(`mapping:${plan.ruleId}`);
        const row = record(outcome);
        const lease = { poolId, subjectKey, account: seen, exclusiveKey: mapping.settings.leaseInOtherPool !== 'allow' };
        if (await this.deps.storage.recordOnLiveLease(lease, row)) return { result: result(outcome), record: row };
        // Released, moved or changed since: forget the hint and decide from the store.
        reasons.pop();
        this.recentLeases.forget(poolId, subjectKey);
      }

      // Cold path: the lease is taken or touched, and the record written, in one transaction.
      if (expired()) return await conclude({ decision: 'Indeterminate', status: 'processing-error' });
      const cold = await this.deps.storage.transaction(async (tx: DecisionTransaction) => {
        const mapped = await leasePrepared(tx.leases, mapping, prepared.value, now);
        // Past the deadline the caller was told Indeterminate: roll the lease back rather than hold it unexplained.
        if (deadline && !deadline.enterCommit()) throw new DeadlineExceeded();
        let outcome: Outcome;
        if (mapped.ok) {
          reasons.push(`mapping:${mapped.value.plan.ruleId}`);
          outcome = { decision: 'Permit', status: 'ok', account: mapped.value.account };
        } else {
          reasons.push(mapped.error.code);
          outcome = { decision: 'Deny', status: 'ok', statusMessage: mapped.error.detail };
        }
        const row = record(outcome);
        await tx.record(row);
        return { decided: { result: result(outcome), record: row }, poolAccount: mapped.ok ? mapped.value.poolAccount : undefined };
      });
      // Remembered only once committed: a rolled-back lease must not become a hint.
      if (cold.poolAccount) this.recentLeases.remember(poolId, subjectKey, cold.poolAccount, nowMs);
      return cold.decided;
    } catch (err) {
      // Storage down, a bug: fail closed, and record the failure if storage lets us. Past the deadline (a lock wait
      // the database's statement timeout ended, or the rollback above) the failure is the deadline's.
      const late = err instanceof DeadlineExceeded || expired();
      if (late) this.deps.log.warn({ decisionId: id, err: { message: (err as Error).message } }, 'decision cut off by the request deadline');
      else this.deps.log.error({ decisionId: id, err: { message: (err as Error).message } }, 'decision failed');
      reasons.push(late ? DEADLINE_REASON : 'INTERNAL_ERROR');
      const outcome: Outcome = late
        ? { decision: 'Indeterminate', status: 'processing-error', statusMessage: DEADLINE_MESSAGE }
        : { decision: 'Indeterminate', status: 'processing-error', statusMessage: 'internal error; see the service log' };
      const row = record(outcome);
      try {
        await this.deps.storage.record(row);
      } catch (recordErr) {
        this.deps.log.error({ decisionId: id, err: { message: (recordErr as Error).message } }, 'could not record a failed decision');
      }
      return { result: result(outcome), record: row };
    }
  }
}

function findBanFor(bans: readonly Ban[], subject: VerifiedSubject, now: Date): Ban | undefined {
  const base = { dn: subject.dn, fqans: subject.fqans, ...(subject.issuerDn ? { issuerDn: subject.issuerDn } : {}) };
  if (subject.vos.length === 0) return findBan(bans, base, now);
  for (const vo of subject.vos) {
    const ban = findBan(bans, { ...base, vo }, now);
    if (ban) return ban;
  }
  return undefined;
}

function policyRequest(request: AuthzRequest, subject: VerifiedSubject): PolicyRequest {
  const attributes: Record<string, string[]> = {};
  if (subject.issuerDn) attributes['x509-subject-issuer'] = [subject.issuerDn.toRfc2253()];
  const classifier = request.pilotJob?.classifier;
  if (classifier !== undefined) attributes['pilot-classifier'] = [classifier];
  return {
    subject: {
      dn: subject.dn,
      issuerDns: subject.issuerDns,
      fqans: subject.fqans as Fqan[],
      ...(subject.primaryFqan ? { primaryFqan: subject.primaryFqan } : {}),
      vo: subject.vos,
    },
    ...(request.resource !== undefined ? { resource: request.resource } : {}),
    ...(request.action !== undefined ? { action: request.action } : {}),
    attributes,
  };
}

/** Environment attributes as sent, plus the pilot job and the message id, for the record. */
function recordedEnvironment(request: AuthzRequest): Record<string, readonly string[]> {
  const env: Record<string, readonly string[]> = { ...request.environment };
  if (request.requestId !== undefined) env['request-id'] = [request.requestId];
  if (request.caller.viaProxy) env['caller-via-proxy'] = ['true'];
  const pilot = request.pilotJob;
  if (pilot) {
    if (pilot.dn) env['pilot-job/dn'] = [pilot.dn.toSlash()];
    if (pilot.issuerDn) env['pilot-job/issuer'] = [pilot.issuerDn.toSlash()];
    if (pilot.vo !== undefined) env['pilot-job/vo'] = [pilot.vo];
    if (pilot.fqans) env['pilot-job/fqans'] = pilot.fqans.map((f) => f.toLong());
    if (pilot.primaryFqan) env['pilot-job/primary-fqan'] = [pilot.primaryFqan.toLong()];
    if (pilot.classifier !== undefined) env['pilot-job/classifier'] = [pilot.classifier];
  }
  return env;
}
