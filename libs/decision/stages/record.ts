/**
 * Stage 7, record: the decision record (docs/forensics.md), written for every decision, and the result the client
 * is answered with. A Permit leaves only once its record is durable.
 */
import type { AuthzRequest, AuthzResult, Subject } from '@gridauthz/domain';
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

export function recordOf(input: RecordInput, outcome: Outcome): DecisionRecord {
  const { request, subject } = input;
  // The subject as established; before that, the DN the query named.
  const subjectDn = subject ? subject.dn : request.subject.assertedDn;
  const account = outcome.account;
  return {
    id: input.id,
    decidedAt: input.now,
    callerDn: request.caller.dn.toSlash(),
    ...provenanceOf(request),
    ...(subjectDn ? { subjectDn: subjectDn.toSlash(), subjectDnKey: subjectDn.canonicalKey() } : {}),
    ...(subject?.token ? { tokenIssuer: subject.token.issuer, tokenSubject: subject.token.subject } : {}),
    fqans: (subject?.fqans ?? []).map((f) => f.toLong()),
    ...(request.resource !== undefined ? { resource: request.resource } : {}),
    ...(request.action !== undefined ? { action: request.action } : {}),
    dialect: request.dialect,
    decision: outcome.decision,
    status: outcome.status,
    ...(account ? { username: account.username, uid: account.uid, gid: account.gid } : {}),
    gids: account ? [account.gid, ...account.secondaryGids.filter((g) => g !== account.gid)] : [],
    reasons: [...input.reasons],
    environment: recordedEnvironment(request),
    latencyMs: Math.max(0, input.latencyMs),
  };
}

/** The answer: the outcome, the obligations it carries (the obligations stage), and the reasons. */
export function resultOf(id: string, outcome: Outcome, obligated: Obligated | undefined, reasons: readonly string[]): AuthzResult {
  const obligations = resultObligations(obligated, outcome);
  return {
    decisionId: id,
    decision: outcome.decision,
    status: outcome.status,
    ...(outcome.statusMessage !== undefined ? { statusMessage: outcome.statusMessage } : {}),
    ...(outcome.account ? { account: outcome.account } : {}),
    obligations,
    reasons: [...reasons],
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
