import { type AuthzRequest, type AuthzResult, type DecisionValue, ErrorCodes, type Fqan } from '@gridauthz/domain';
import { accountFor, type Ban, findBan, leasePrepared, type MappingPurpose, prepareMapping } from '@gridauthz/mapping';
import { attributeDefinition, evaluate, type PolicyRequest } from '@gridauthz/policy';
import type { DecisionRecord } from './decision-record';
import type { DecisionDependencies, DecisionTransaction, VerifiedSubject } from './ports';
import { hostOfDn, requestHost } from './provenance';
import { RecentLeases } from './recent-leases';

type Status = AuthzResult['status'];

interface Outcome {
  readonly decision: DecisionValue;
  readonly status: Status;
  readonly statusMessage?: string;
  readonly account?: AuthzResult['account'];
}

/**
 * What the transport already established about the question. Who may assert a subject is not here: the decision
 * asks the caller model (DecisionConfiguration.callers) for every question, whatever the protocol.
 */
export interface DecideOptions {
  /** The protocol refused this caller for this resource (PRIMA's Resource rule); Deny with this reason, recorded. */
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

/** What a banned subject's client reads by default: nothing of the officer's reason (Argus answers a bare Deny). */
export const DEFAULT_BAN_CLIENT_MESSAGE = 'access denied by site policy';

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
    const provenance = provenanceOf(request);
    const deadline = options.deadline;
    deadline?.started(id);
    const expired = (): boolean => deadline?.expired === true;

    const record = (outcome: Outcome): DecisionRecord => ({
      id,
      decidedAt: now,
      callerDn: request.caller.dn.toSlash(),
      ...provenance,
      ...(subject
        ? { subjectDn: subject.dn.toSlash(), subjectDnKey: subject.dn.canonicalKey() }
        : request.subject.assertedDn
          ? { subjectDn: request.subject.assertedDn.toSlash(), subjectDnKey: request.subject.assertedDn.canonicalKey() }
          : {}),
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
      if (defect) return await indeterminate(defect.kind, defect.code ?? `REQUEST_${defect.kind.toUpperCase().replace('-', '_')}`, `${defect.attribute}: ${defect.detail}`);

      if (options.refuseCaller !== undefined) return await deny('CALLER_NOT_AUTHORIZED', options.refuseCaller);

      // 1. Who is the subject? Verified from its own chain when sent; asserted attributes only from trusted
      // asserters; a caller naming itself without being one gets only what its own chain says (docs/callers.md).
      const config = this.deps.configuration;
      const callers = config.callers();
      // How the caller model let this caller ask: a trusted asserter's attributes are believed, nobody else's.
      let askedAs: string | undefined;
      if (request.subject.chain && request.subject.chain.length > 0) {
        const verified = this.deps.verifier.verify(request.subject.chain, now);
        if (!verified.ok) return await deny(verified.error.code, `subject credential refused: ${verified.error.detail}`);
        subject = verified.value;
        for (const dropped of subject.droppedAttributes) reasons.push(`voms-dropped:${dropped}`);
        // A subject-id beside the chain must name the chain's owner: Alice's proxy with Bob's DN is two questions.
        const named = request.subject.assertedDn;
        if (named && !named.equals(subject.dn)) {
          return await indeterminate('syntax-error', ErrorCodes.REQUEST_SUBJECT_MISMATCH, `the subject-id names ${named.toRfc2253()}, the certificate chain ${subject.dn.toRfc2253()}`);
        }
        // 2. A caller asking about someone else's chain must be a pilot (glexec) or a trusted asserter (a CE).
        const verdict = callers.mayAsk(request.caller.dn, { kind: 'chain', dn: subject.dn });
        if (!verdict.allowed) return await deny(verdict.code, verdict.detail);
        askedAs = verdict.as;
        if (verdict.as !== 'self') reasons.push(`caller:${verdict.as}`);
      } else if (request.subject.assertedDn) {
        const verdict = callers.mayAsk(request.caller.dn, { kind: 'asserted', dn: request.subject.assertedDn });
        if (!verdict.allowed) {
          return verdict.outcome === 'deny'
            ? await deny(verdict.code, verdict.detail)
            : await indeterminate('missing-attribute', verdict.code, verdict.detail);
        }
        askedAs = verdict.as;
        if (verdict.as === 'own-credentials') {
          // The asserted FQANs are the caller's word about itself: ignored. Only its own verified chain counts.
          const own = request.caller.chain;
          if (!own || own.length === 0) return await indeterminate('missing-attribute', 'SUBJECT_NOT_VERIFIABLE', "the caller's own certificate chain is not available");
          const verified = this.deps.verifier.verify(own, now);
          if (!verified.ok) return await deny(verified.error.code, `caller credential refused: ${verified.error.detail}`);
          if (!verified.value.dn.equals(request.caller.dn)) return await deny('SUBJECT_NOT_VERIFIABLE', "the caller's chain does not name the caller");
          subject = verified.value;
          for (const dropped of subject.droppedAttributes) reasons.push(`voms-dropped:${dropped}`);
          reasons.push('subject:own-credentials');
        } else {
          const fqans = request.subject.assertedFqans ?? [];
          const primaryFqan = request.subject.assertedPrimaryFqan ?? fqans[0];
          subject = {
            dn: request.subject.assertedDn,
            ...(request.subject.assertedIssuerDn ? { issuerDn: request.subject.assertedIssuerDn } : {}),
            issuerDns: request.subject.assertedIssuerDns ?? (request.subject.assertedIssuerDn ? [request.subject.assertedIssuerDn] : []),
            // The primary first, wherever the list had it: mapping maps on the first FQAN (docs/dialects.md).
            fqans: primaryFqan ? [primaryFqan, ...fqans.filter((f) => !f.equals(primaryFqan))] : fqans,
            ...(primaryFqan ? { primaryFqan } : {}),
            vos: request.subject.assertedVos ?? [...new Set(fqans.map((f) => f.vo))],
            limited: false,
            droppedAttributes: [],
          };
          reasons.push('subject:asserted');
        }
      } else {
        return await indeterminate('missing-attribute', 'SUBJECT_MISSING', 'the query names no subject (no certificate chain and no subject-id)');
      }
      const mapping = config.mapping();
      const onBehalf = !request.caller.dn.equals(subject.dn);

      // 3. Bans come before policy and cannot be overridden by it.
      const ban = findBanFor(config.bans(), subject, now);
      if (ban) {
        const answer = this.deps.banAnswer ?? { clientMessage: DEFAULT_BAN_CLIENT_MESSAGE, exposeReason: false };
        return await deny(`ban:${ban.id}`, answer.exposeReason ? `banned: ${ban.reason}` : answer.clientMessage);
      }

      // 4. Site policy.
      const policy = config.policy();
      if (!policy) return await indeterminate('processing-error', 'POLICY_NOT_LOADED', 'no site policy is loaded');
      const decision = evaluate(policy, policyRequest(request, subject, askedAs === 'asserter' || askedAs === 'asserted'));
      if (decision.matched) reasons.push(`policy:${decision.matched.policyId}#${decision.matched.ruleIndex}@${decision.matched.source}:${decision.matched.line}`);
      if (decision.decision === 'Indeterminate') {
        return await indeterminate('processing-error', 'POLICY_INDETERMINATE', decision.detail ?? 'the site policy could not be evaluated');
      }
      if (decision.decision !== 'Permit') return await conclude({ decision: decision.decision, status: 'ok' });
      // The codec's word first (AuthzQuery.accountExpected); the dialect list for codecs that do not say.
      if (!(request.accountExpected ?? MAPPING_DIALECTS.has(request.dialect))) return await conclude({ decision: 'Permit', status: 'ok' });

      // 5. Account mapping. Warm path: a lease this process touched lately is confirmed and the record written in
      // one atomic step, with no exclusive lock, so many decisions of one user do not queue on the lease row.
      if (!mapping) return await indeterminate('processing-error', 'MAPPING_NOT_CONFIGURED', 'no mapping configuration is loaded');
      // A CE vouching for a job's submitter (no chain: PRIMA, ARC emi, a trusted asserter) asks about that user's own
      // job, which may be a pilot: only a pilot (or WN) asking with the payload's chain asks for a payload mapping.
      const vouched = !request.subject.chain?.length && askedAs === 'asserted';
      const purpose: MappingPurpose = onBehalf && !vouched ? 'payload' : 'pilot-or-user';
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

/**
 * The request as site policy sees it, every SPL attribute filled as Argus's PEPd PIPs fill it (docs/dialects.md):
 * the identity attributes from the subject as verified (or as a trusted caller asserted it), under both the gLite
 * and the EMI names, so a policy written for either profile matches whichever dialect the client spoke.
 * Attributes that only the caller can know (x509-authn-profile, oidc-*) are read from the request, and only when
 * `assertionsBelieved` (the caller model let the caller ask as a trusted asserter).
 */
export function policyRequest(request: AuthzRequest, subject: VerifiedSubject, assertionsBelieved: boolean): PolicyRequest {
  const attributes: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  const put = (name: string, values: readonly string[]): void => {
    const unique = [...new Set(values)];
    if (unique.length > 0) attributes[name] = unique;
  };
  if (subject.issuerDn) {
    put('x509-subject-issuer', [subject.issuerDn.toRfc2253()]);
    put('emi-x509-subject-issuer', [subject.issuerDn.toRfc2253()]);
  }
  put('emi-subject-issuer', subject.issuerDns.map((dn) => dn.toRfc2253()));
  put('emi-vo', subject.vos);
  put('emi-group', subject.fqans.map((f) => f.group));
  put('emi-role', subject.fqans.flatMap((f) => (f.role === null ? [] : [f.role])));
  const primary = subject.primaryFqan ?? subject.fqans[0];
  if (primary) {
    put('emi-primary-group', [primary.group]);
    if (primary.role !== null) put('emi-primary-role', [primary.role]);
  }
  // Argus reads resource-owner as x500Name under a string-equal match: a policy naming it is Indeterminate on
  // such a request (policy-language.md §12.8); filled so that this happens here as it does there.
  if (request.dialect === 'emi' && request.hostDn) put('emi-resource-owner', [request.hostDn.toRfc2253()]);
  const classifier = request.pilotJob?.classifier;
  if (classifier !== undefined) put('pilot-classifier', [classifier]);
  if (assertionsBelieved) {
    const sent = request.subject.attributes ?? {};
    for (const name of CALLER_KNOWN_ATTRIBUTES) {
      const definition = attributeDefinition(name);
      const values = definition === undefined ? undefined : sent[definition.xacmlId];
      if (values !== undefined) put(name, values);
    }
  }
  return {
    subject: {
      dn: subject.dn,
      issuerDns: subject.issuerDns,
      fqans: subject.fqans as Fqan[],
      ...(primary ? { primaryFqan: primary } : {}),
      vo: subject.vos,
    },
    ...(request.resource !== undefined ? { resource: request.resource } : {}),
    ...(request.action !== undefined ? { action: request.action } : {}),
    attributes,
  };
}

/** SPL attributes no credential carries: the caller's PIPs computed them (Argus PEPd), so they are its assertions. */
const CALLER_KNOWN_ATTRIBUTES = [
  'x509-authn-profile',
  'emi-x509-authn-profile',
  'oidc-issuer',
  'oidc-organisation',
  'oidc-subject',
  'oidc-group',
  'oidc-scope',
  'oidc-user-id',
  'oidc-client-id',
] as const;

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

/** Where the question came from, for the record (docs/forensics.md): transport, caller certificate, named host. */
function provenanceOf(request: AuthzRequest): Partial<DecisionRecord> {
  const caller = request.caller;
  const callerHost = hostOfDn(caller.dn);
  const host = requestHost(request);
  return {
    callerDnKey: caller.dn.canonicalKey(),
    ...(caller.certSerial !== undefined ? { callerSerial: caller.certSerial } : {}),
    ...(caller.certIssuer ? { callerIssuer: caller.certIssuer.toSlash() } : {}),
    ...(callerHost !== undefined ? { callerHost } : {}),
    ...(caller.sourceAddress !== undefined ? { sourceAddress: caller.sourceAddress } : {}),
    ...(caller.sourcePort !== undefined ? { sourcePort: caller.sourcePort } : {}),
    ...(host !== undefined ? { host } : {}),
    ...(request.hostDn ? { hostDn: request.hostDn.toSlash(), hostDnKey: request.hostDn.canonicalKey() } : {}),
    ...(request.messageIssuer !== undefined && request.messageIssuer.trim() !== '' ? { pepIssuer: request.messageIssuer.trim() } : {}),
  };
}
