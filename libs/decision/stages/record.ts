/**
 * Stage 7, record: the decision record (docs/forensics.md), written for every decision, and the result the client
 * is answered with. A Permit leaves only once its record is durable.
 */
import type { AuthzRequest, AuthzResult, Complete, Subject } from '@gridauthz/domain';
import type { DecisionRecord } from '../decision-record';
import { hostOfDn, requestHost } from '../provenance';
import type { Obligated } from './obligations';
import { resultObligations } from './obligations';
import type { Outcome } from './outcome';

export interface RecordInput {
  readonly id: string;
  readonly now: Date;
  readonly request: AuthzRequest;
  /** The subject, once the subject stage established it. */
  readonly subject: Subject | undefined;
  readonly reasons: readonly string[];
  readonly latencyMs: number;
}

/**
 * Every property is present, undefined when absent: one hidden class for every record, which the record writer
 * reads thirty properties of (docs/architecture.md, "Object literals on the request path").
 */
export function recordOf(input: RecordInput, outcome: Outcome): DecisionRecord {
  const { request, subject } = input;
  const caller = request.caller;
  // The subject as established; before that, the DN the query named.
  const subjectDn = subject ? subject.dn : request.subject.assertedDn;
  const account = outcome.account;
  const messageIssuer = request.messageIssuer?.trim();
  const record: Complete<DecisionRecord> = {
    id: input.id,
    decidedAt: input.now,
    callerDn: caller.dn.toSlash(),
    // Where the question came from (docs/forensics.md): transport, caller certificate, named host.
    callerDnKey: caller.dn.canonicalKey(),
    callerSerial: caller.certSerial,
    callerIssuer: caller.certIssuer?.toSlash(),
    callerHost: hostOfDn(caller.dn),
    sourceAddress: caller.sourceAddress,
    sourcePort: caller.sourcePort,
    host: requestHost(request),
    hostDn: request.hostDn?.toSlash(),
    hostDnKey: request.hostDn?.canonicalKey(),
    pepIssuer: messageIssuer === '' ? undefined : messageIssuer,
    subjectDn: subjectDn?.toSlash(),
    subjectDnKey: subjectDn?.canonicalKey(),
    tokenIssuer: subject?.token?.issuer,
    tokenSubject: subject?.token?.subject,
    fqans: (subject?.fqans ?? []).map((f) => f.toLong()),
    resource: request.resource,
    action: request.action,
    dialect: request.dialect,
    decision: outcome.decision,
    status: outcome.status,
    username: account?.username,
    uid: account?.uid,
    gid: account?.gid,
    gids: account ? [account.gid, ...account.secondaryGids.filter((g) => g !== account.gid)] : [],
    reasons: [...input.reasons],
    environment: recordedEnvironment(request),
    latencyMs: Math.max(0, input.latencyMs),
  };
  return record;
}

/** The answer: the outcome, the obligations it carries (the obligations stage), and the reasons. */
export function resultOf(id: string, outcome: Outcome, obligated: Obligated | undefined, reasons: readonly string[]): AuthzResult {
  const obligations = resultObligations(obligated, outcome);
  const result: Complete<AuthzResult> = {
    decisionId: id,
    decision: outcome.decision,
    status: outcome.status,
    statusMessage: outcome.statusMessage,
    account: outcome.account,
    obligations,
    reasons: [...reasons],
  };
  return result;
}

/** Environment attributes as sent, plus the pilot job and the message id, for the record. */
function recordedEnvironment(request: AuthzRequest): Record<string, readonly string[]> {
  // A dictionary from the start (attacker-chosen keys, so no prototype either): a spread copy that then gains keys
  // costs a hidden class per record (docs/architecture.md, "Object literals on the request path").
  const env = Object.create(null) as Record<string, readonly string[]>;
  for (const key of Object.keys(request.environment)) env[key] = request.environment[key] ?? [];
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
