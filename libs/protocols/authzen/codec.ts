import type { AuthzResult } from '@gridauthz/domain';
import type { CodecInput, DecodedMessage, EncodeContext, EncodedAnswer, ProtocolCodec } from '../codec';
import { type ProtocolError, type ProtocolResult, ProtocolErrorCodes } from '../errors';
import { AUTHZEN_EVALUATION_PATH, type AuthzenLimits, checkJsonContentType, DEFAULT_AUTHZEN_LIMITS, decodeEvaluation, decodeEvaluations, type EvaluationsRequest, parseBody } from './decode';
import { stringifyJson } from './json';

/** Nothing beyond the query is needed to answer an AuthZEN evaluation. */
export type AuthzenMessage = Readonly<Record<string, never>>;

const JSON_TYPE = 'application/json';

/** A reason recorded for the decision that is a code (CRED_TOKEN_EXPIRED, CALLER_NOT_AUTHORIZED...), not a rule or ban reference. */
const CODE = /^[A-Z][A-Z0-9_]*$/;

function pathOf(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

/**
 * The Access Evaluation API (AuthZEN 1.0 §6) over the HTTPS JSON binding (§10.1) as a ProtocolCodec: one evaluation
 * per message. The batch endpoint (§7) is split into single evaluations by `splitEvaluations` and its answers joined
 * by `joinEvaluations`, so each evaluation goes through the same limits, decision and audit as any other message.
 */
export class AuthzenCodec implements ProtocolCodec<AuthzenMessage> {
  readonly protocol = 'authzen';

  constructor(private readonly limits: AuthzenLimits = DEFAULT_AUTHZEN_LIMITS) {}

  accepts(input: CodecInput): boolean {
    return pathOf(input.path) === AUTHZEN_EVALUATION_PATH;
  }

  decode(input: CodecInput): ProtocolResult<DecodedMessage<AuthzenMessage>> {
    const type = checkJsonContentType(input.contentType);
    if (!type.ok) return type;
    const body = parseBody(input.body, this.limits);
    if (!body.ok) return body;
    const query = decodeEvaluation(body.value);
    if (!query.ok) return query;
    return { ok: true, value: { query: query.value, message: {} } };
  }

  encode(_decoded: DecodedMessage<AuthzenMessage>, result: AuthzResult, _context?: EncodeContext): EncodedAnswer {
    return { httpStatus: 200, contentType: JSON_TYPE, body: JSON.stringify(decisionObject(result)) };
  }

  /** §10.1.2: a refused message is an HTTP error status with an error message string as the body. */
  encodeError(error: ProtocolError): EncodedAnswer {
    return { httpStatus: error.code === ProtocolErrorCodes.PROTO_BODY_TOO_LARGE ? 413 : 400, contentType: 'text/plain; charset=utf-8', body: `${error.code}: ${error.detail}` };
  }

  /**
   * An Access Evaluations message (§7.1): `single` when it holds no evaluations (answered like /evaluation, §7.1),
   * else one /evaluation input per evaluation with the defaults applied. Every evaluation is decoded here first, so
   * a malformed one refuses the whole message (§10.1.1) before any decision is taken.
   */
  splitEvaluations(input: CodecInput): ProtocolResult<{ request: EvaluationsRequest; inputs: CodecInput[] }> {
    const type = checkJsonContentType(input.contentType);
    if (!type.ok) return type;
    const body = parseBody(input.body, this.limits);
    if (!body.ok) return body;
    const request = decodeEvaluations(body.value, this.limits);
    if (!request.ok) return request;
    if (request.value.kind === 'single') {
      const single = decodeEvaluation(body.value);
      if (!single.ok) return single;
      return { ok: true, value: { request: request.value, inputs: [{ path: AUTHZEN_EVALUATION_PATH, contentType: JSON_TYPE, body: input.body }] } };
    }
    const inputs: CodecInput[] = [];
    for (const [index, evaluation] of request.value.evaluations.entries()) {
      const checked = decodeEvaluation(evaluation, `evaluations[${index}].`);
      if (!checked.ok) return checked;
      inputs.push({ path: AUTHZEN_EVALUATION_PATH, contentType: JSON_TYPE, body: Buffer.from(stringifyJson(evaluation), 'utf8') });
    }
    return { ok: true, value: { request: request.value, inputs } };
  }

  /**
   * The Access Evaluations response (§7.2): the decisions in request order, without a top-level decision. An
   * evaluation that could not be answered (the service busy, say) is `decision: false` with the error in its
   * context (§7.2.1).
   */
  joinEvaluations(answers: readonly EncodedAnswer[]): EncodedAnswer {
    const evaluations = answers.map((a) => (a.httpStatus === 200 ? (JSON.parse(a.body.toString()) as unknown) : { decision: false, context: { error: { status: a.httpStatus, message: a.body.toString() } } }));
    return { httpStatus: 200, contentType: JSON_TYPE, body: JSON.stringify({ evaluations }) };
  }
}

/** Whether an evaluation's answer (as encoded by this codec) is `decision: true`, for the short-circuit semantics. */
export function answerPermits(answer: EncodedAnswer): boolean {
  if (answer.httpStatus !== 200) return false;
  return (JSON.parse(answer.body.toString()) as { decision?: unknown }).decision === true;
}

/**
 * §5.5 Decision: `true` only for Permit; the context carries the decision id (the forensic record's key) and, on
 * Permit, the account the PEP switches to. Other outcomes say which (Deny, NotApplicable, Indeterminate), the status,
 * the message the other protocols send, and the reason codes; rule references and ban reasons stay in the record.
 */
export function decisionObject(result: AuthzResult): { decision: boolean; context: Record<string, unknown> } {
  if (result.decision === 'Permit') {
    const a = result.account;
    return {
      decision: true,
      context: {
        decision_id: result.decisionId,
        ...(a
          ? {
              account: {
                username: a.username,
                uid: a.uid,
                gid: a.gid,
                ...(a.groupName !== undefined ? { group: a.groupName } : {}),
                secondary_gids: [...a.secondaryGids],
                ...(a.secondaryGroupNames !== undefined ? { secondary_groups: [...a.secondaryGroupNames] } : {}),
              },
            }
          : {}),
      },
    };
  }
  const codes = result.reasons.filter((r) => CODE.test(r));
  return {
    decision: false,
    context: {
      decision_id: result.decisionId,
      outcome: result.decision,
      status: result.status,
      ...(result.statusMessage !== undefined ? { message: result.statusMessage } : {}),
      ...(codes.length > 0 ? { reason_codes: codes } : {}),
    },
  };
}
