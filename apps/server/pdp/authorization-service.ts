import { performance } from 'node:perf_hooks';
import { DEADLINE_MESSAGE, DEADLINE_REASON, type Decider } from '@gridauthz/decision';
import type { AuthzRequest, AuthzResult, LogSink } from '@gridauthz/domain';
import {
  type CodecInput,
  type EncodedAnswer,
  type ProtocolCodec,
  authorizePrimaCaller,
  decodeParsedPrimaRequest,
  decodeParsedXacmlQuery,
  isParsedPrimaRequest,
  type ParsedXml,
  parseUntrustedXml,
  encodePrimaError,
  encodePrimaResponse,
  encodeProtocolError,
  encodeSoapFault,
  encodeSignedXacmlResponse,
  encodeXacmlResponse,
  type ResponseSigningKey,
  PRIMA_DEFAULT_ISSUER,
  type PrimaCallerPolicy,
  primaPermitUnreadable,
  type ProtocolError,
  type XmlLimits,
} from '@gridauthz/protocols';
import type { MetricsSink } from '../metrics/service-metrics';
import type { AuthenticatedCaller } from '../tls/caller-authenticator';
import { ClientTurns, RequestDeadline } from './overload';

/** The limits.* settings the PDP's request path enforces (docs/operations.md, "Overload and limits"). */
export interface RequestLimits {
  readonly requestDeadlineMs: number;
  readonly maxConcurrentDecisions: number;
  readonly expensiveBodyBytes: number;
  readonly maxExpensivePerClient: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = { requestDeadlineMs: 5000, maxConcurrentDecisions: 256, expensiveBodyBytes: 32768, maxExpensivePerClient: 1 };

export interface AuthorizationServiceOptions {
  /** The decision pipeline, once storage and site configuration are up; undefined until then. */
  readonly decider: () => Decider | undefined;
  /** Our SAML issuer (entity id) for SAML2-XACML2 answers. */
  readonly issuer: string;
  readonly limits: XmlLimits;
  readonly primaCallers: PrimaCallerPolicy;
  /** Resource id PRIMA questions are decided under (they name a host, not a resource type). */
  readonly primaResource: string;
  readonly newId: () => string;
  readonly clock: () => Date;
  readonly metrics: MetricsSink;
  /** When set, SAML2-XACML2 answers carry an enveloped signature made with this key. */
  readonly signingKey?: ResponseSigningKey;
  /** Deadline, concurrency bound and per-client turns; DEFAULT_REQUEST_LIMITS when absent. */
  readonly requestLimits?: RequestLimits;
}

export interface SoapAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * The PDP's one operation, protocol by protocol: decode the body (PRIMA or SAML2-XACML2, told apart by
 * content so any path works), add the TLS caller, decide, encode in the caller's dialect. Malformed input is a
 * SOAP fault (HTTP 500); every decision, whatever it is, is HTTP 200.
 */
export class AuthorizationService {
  private inFlight = 0;
  private readonly requestLimits: RequestLimits;
  private readonly turns: ClientTurns;

  constructor(private readonly options: AuthorizationServiceOptions) {
    this.requestLimits = options.requestLimits ?? DEFAULT_REQUEST_LIMITS;
    this.turns = new ClientTurns(this.requestLimits.maxExpensivePerClient);
  }

  /** Requests being decided now by this process (metrics). */
  get decisionsInFlight(): number {
    return this.inFlight;
  }

  /**
   * `arrivedMs`: performance.now() when the request arrived; the deadline counts from there, so time spent queued
   * behind other work counts too and a request that waited too long is shed before it is parsed.
   */
  async answer(body: Buffer, caller: AuthenticatedCaller, log: LogSink, arrivedMs: number = performance.now()): Promise<SoapAnswer> {
    const decider = this.options.decider();
    // Not ready (database still opening): a Server fault makes clients try their next endpoint.
    if (!decider) return { status: 503, body: encodeSoapFault('Server', 'the service is starting and cannot decide yet') };
    const limits = this.requestLimits;
    // Beyond the bound a request is refused at once rather than queued: clients fail over to their next endpoint,
    // and the ones already admitted keep their latency.
    if (this.inFlight >= limits.maxConcurrentDecisions) {
      this.options.metrics.overload('busy');
      return { status: 503, body: encodeSoapFault('Server', 'OVERLOAD_TOO_MANY_DECISIONS: too many requests in progress; try again or another endpoint') };
    }
    this.inFlight += 1;
    const deadline = new RequestDeadline(arrivedMs + limits.requestDeadlineMs, () => performance.now());
    let release: (() => void) | undefined;
    try {
      if (body.length > limits.expensiveBodyBytes) {
        try {
          release = await this.turns.acquire(caller.dn.canonicalKey(), deadline.signal);
        } catch {
          return this.tooLate(log, 'waiting for its turn');
        }
      }
      if (deadline.expired) return this.tooLate(log, 'before it was read');
      // Parsed once here, then routed by content: SAML2-XACML2 or PRIMA (any path works).
      const parsed = parseUntrustedXml(body, this.options.limits);
      if (!parsed.ok) return this.xacml(parsed, caller, decider, log, deadline);
      if (isParsedPrimaRequest(parsed.value)) return await this.prima(parsed.value, caller, decider, log, deadline);
      return await this.xacml(decodeParsedXacmlQuery(parsed.value, this.options.limits), caller, decider, log, deadline);
    } catch (err) {
      log.error({ err: { message: (err as Error).message } }, 'authorization request failed');
      return { status: 500, body: encodeSoapFault('Server', 'internal error; see the service log') };
    } finally {
      release?.();
      deadline.dispose();
      this.inFlight -= 1;
    }
  }

  /**
   * One request through one codec (docs/architecture.md, "Codecs"): the same limits, deadline, decision and audit as
   * `answer`, the wire format entirely the codec's. Minimal version for the PEPd listener until the codecs lane's
   * generic one is merged (same signature; the lead keeps theirs).
   */
  async answerWith(codec: ProtocolCodec, input: CodecInput, caller: AuthenticatedCaller, log: LogSink, arrivedMs: number = performance.now()): Promise<EncodedAnswer> {
    const plain = (httpStatus: number, text: string): EncodedAnswer => ({ httpStatus, contentType: 'text/plain; charset=UTF-8', body: `${text}\n` });
    const decider = this.options.decider();
    if (!decider) return plain(503, 'the service is starting and cannot decide yet');
    const limits = this.requestLimits;
    if (this.inFlight >= limits.maxConcurrentDecisions) {
      this.options.metrics.overload('busy');
      return plain(503, 'OVERLOAD_TOO_MANY_DECISIONS: too many requests in progress; try again or another endpoint');
    }
    this.inFlight += 1;
    const deadline = new RequestDeadline(arrivedMs + limits.requestDeadlineMs, () => performance.now());
    let release: (() => void) | undefined;
    const context = { now: this.options.clock(), newId: this.options.newId, callerDn: caller.dn };
    const late = (when: string): EncodedAnswer => {
      this.options.metrics.overload('deadline');
      log.warn({ code: DEADLINE_REASON }, `request deadline passed ${when}`);
      return plain(503, `${DEADLINE_REASON}: ${DEADLINE_MESSAGE}`);
    };
    try {
      if (input.body.length > limits.expensiveBodyBytes) {
        try {
          release = await this.turns.acquire(caller.dn.canonicalKey(), deadline.signal);
        } catch {
          return late('waiting for its turn');
        }
      }
      if (deadline.expired) return late('before it was read');
      const decoded = codec.decode(input);
      if (!decoded.ok) {
        log.warn({ code: decoded.error.code, detail: decoded.error.detail, protocol: codec.protocol }, 'undecodable request');
        return codec.encodeError(decoded.error, context);
      }
      if (decoded.value.answerWithoutDecision) return codec.encode(decoded.value, decoded.value.answerWithoutDecision, context);
      const started = performance.now();
      const request: AuthzRequest = { ...decoded.value.query, caller };
      const { result } = await deadline.race(decider.decide(request, context.now, { deadline }), () => ({ result: this.lateResult(deadline, log) }));
      this.audit(log, request, result, started);
      return codec.encode(decoded.value, result, context);
    } catch (err) {
      log.error({ err: { message: (err as Error).message } }, 'authorization request failed');
      return plain(500, 'internal error; see the service log');
    } finally {
      release?.();
      deadline.dispose();
      this.inFlight -= 1;
    }
  }

  /** The deadline passed before the request's dialect was known: a Server fault, which clients fail over on. */
  private tooLate(log: LogSink, when: string): SoapAnswer {
    this.options.metrics.overload('deadline');
    log.warn({ code: DEADLINE_REASON }, `request deadline passed ${when}`);
    return { status: 503, body: encodeSoapFault('Server', `${DEADLINE_REASON}: ${DEADLINE_MESSAGE}`) };
  }

  /** The answer given when the deadline passes during the decision: Indeterminate, under the decision's id. */
  private lateResult(deadline: RequestDeadline, log: LogSink): AuthzResult {
    this.options.metrics.overload('deadline');
    log.warn({ code: DEADLINE_REASON, decisionId: deadline.decisionId }, 'request deadline passed during the decision; answered Indeterminate');
    return {
      decisionId: deadline.decisionId ?? this.options.newId(),
      decision: 'Indeterminate',
      status: 'processing-error',
      statusMessage: DEADLINE_MESSAGE,
      reasons: [DEADLINE_REASON],
    };
  }

  private async xacml(
    decoded: { ok: false; error: ProtocolError } | ReturnType<typeof decodeParsedXacmlQuery>,
    caller: AuthenticatedCaller,
    decider: Decider,
    log: LogSink,
    deadline: RequestDeadline,
  ): Promise<SoapAnswer> {
    const now = this.options.clock();
    const encodeOptions = { issuer: this.options.issuer, now, idGenerator: this.options.newId };
    if (!decoded.ok) {
      log.warn({ code: decoded.error.code, detail: decoded.error.detail }, 'undecodable SAML2-XACML2 request');
      const answer = encodeProtocolError(decoded.error, encodeOptions);
      return { status: answer.httpStatus, body: answer.body };
    }
    const started = performance.now();
    const request: AuthzRequest = { ...decoded.value.request, caller };
    const { result } = await deadline.race(decider.decide(request, now, { deadline }), () => ({ result: this.lateResult(deadline, log) }));
    this.audit(log, request, result, started);
    if (!this.options.signingKey) return { status: 200, body: encodeXacmlResponse(decoded.value, result, encodeOptions) };
    const signed = encodeSignedXacmlResponse(decoded.value, result, { ...encodeOptions, signingKey: this.options.signingKey });
    if (!signed.ok) {
      // The decision is recorded; the client gets a fault rather than an unsigned answer it was promised signed.
      log.error({ code: signed.error.code, detail: signed.error.detail }, 'could not sign the response');
      return { status: 500, body: encodeSoapFault('Server', 'the response could not be signed') };
    }
    return { status: 200, body: signed.value };
  }

  private async prima(parsed: ParsedXml, caller: AuthenticatedCaller, decider: Decider, log: LogSink, deadline: RequestDeadline): Promise<SoapAnswer> {
    const now = this.options.clock();
    const decoded = decodeParsedPrimaRequest(parsed);
    if (!decoded.ok) {
      log.warn({ code: decoded.error.code, detail: decoded.error.detail }, 'undecodable PRIMA request');
      const answer = encodePrimaError(decoded.error);
      return { status: answer.httpStatus, body: answer.body };
    }
    const encodeOptions = { issuer: PRIMA_DEFAULT_ISSUER, now, idGenerator: this.options.newId, recipient: caller.dn };
    const query = decoded.value;
    if (query.kind === 'request-denied') return { status: 200, body: encodePrimaResponse(query, undefined, encodeOptions) };

    // A PRIMA caller may only ask about the resources it serves (prima-saml1.md §1.1, §11). Whether it may assert the subject's DN
    // and FQANs is the caller model's question (asserter role), asked by the decision like for every dialect.
    const verdict = authorizePrimaCaller({ caller: caller.dn, resource: query.resource, ...(query.request.subject.assertedDn ? { subject: query.request.subject.assertedDn } : {}) }, this.options.primaCallers);
    const started = performance.now();
    // A query whose answer could not carry a Permit is decided as a defect: no lease, recorded as Indeterminate.
    const unreadable = primaPermitUnreadable(query);
    const request: AuthzRequest = {
      ...query.request,
      resource: this.options.primaResource,
      caller,
      ...(unreadable !== undefined ? { defects: [...query.request.defects, { kind: 'missing-attribute', attribute: 'RespondWith/Action', detail: unreadable }] } : {}),
    };
    const { result } = await deadline.race(
      decider.decide(request, now, { ...(verdict.allowed ? {} : { refuseCaller: verdict.reason }), deadline }),
      () => ({ result: this.lateResult(deadline, log) }),
    );
    const answer = encodePrimaResponse(query, result, encodeOptions);
    this.audit(log, request, result, started);
    return { status: 200, body: answer };
  }

  private audit(log: LogSink, request: AuthzRequest, result: AuthzResult, started: number): void {
    this.options.metrics.decision(request.dialect, result, (performance.now() - started) / 1000);
    log.info(
      {
        decisionId: result.decisionId,
        dialect: request.dialect,
        queryId: request.requestId,
        caller: request.caller.dn.toSlash(),
        decision: result.decision,
        status: result.status,
        username: result.account?.username,
        uid: result.account?.uid,
        gid: result.account?.gid,
        reasons: result.reasons,
      },
      'decision',
    );
  }
}
