import { performance } from 'node:perf_hooks';
import { DEADLINE_MESSAGE, DEADLINE_REASON, type Decider, type DecideOptions } from '@gridauthz/decision';
import type { AuthzRequest, AuthzResult, LogSink } from '@gridauthz/domain';
import {
  type CodecInput,
  type EncodeContext,
  type EncodedAnswer,
  encodeRefusal,
  type ProtocolCodec,
  type ResponseSigningKey,
  type TransportRefusal,
  xmlCodecFamily,
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
  /** Resource id PRIMA questions are decided under (they name a host, not a resource type). */
  readonly primaResource: string;
  readonly newId: () => string;
  readonly clock: () => Date;
  readonly metrics: MetricsSink;
  /** When set, SAML2-XACML2 answers carry an enveloped signature made with this key. */
  readonly signingKey?: ResponseSigningKey;
  /** Codecs asked before the XML family (PEPd, AuthZEN: by path or content type). */
  readonly codecs?: readonly ProtocolCodec[];
  /** Deadline, concurrency bound and per-client turns; DEFAULT_REQUEST_LIMITS when absent. */
  readonly requestLimits?: RequestLimits;
}

/** What the transport sends: the chosen codec's answer (status, content type, body). */
export interface PdpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Buffer;
}

/**
 * The PDP's one operation, the same for every protocol (docs/architecture.md, "Codecs"): choose the codec once per
 * request, then limits, per-client turns and the deadline, decode, add the TLS caller, decide, audit, encode with the
 * same codec. Malformed input is the codec's error answer (a SOAP fault for the XML family); every decision,
 * whatever it is, is HTTP 200.
 */
export class AuthorizationService {
  private inFlight = 0;
  private readonly requestLimits: RequestLimits;
  private readonly turns: ClientTurns;
  /** Asked in order; the first that accepts a request answers it. Path-specific codecs go before the XML family. */
  readonly codecs: readonly ProtocolCodec[];

  constructor(private readonly options: AuthorizationServiceOptions) {
    this.requestLimits = options.requestLimits ?? DEFAULT_REQUEST_LIMITS;
    this.turns = new ClientTurns(this.requestLimits.maxExpensivePerClient);
    this.codecs = [
      ...(options.codecs ?? []),
      xmlCodecFamily({
        limits: options.limits,
        saml2Xacml2: { issuer: options.issuer, ...(options.signingKey ? { signingKey: options.signingKey } : {}) },
        prima: { resource: options.primaResource },
      }),
    ];
  }

  /** Requests being decided now by this process (metrics). */
  get decisionsInFlight(): number {
    return this.inFlight;
  }

  /**
   * `arrivedMs`: performance.now() when the request arrived; the deadline counts from there, so time spent queued
   * behind other work counts too and a request that waited too long is shed before it is parsed. The codec is chosen
   * here, once: choosing costs no parse (the XML family parses in decode, after the overload checks).
   */
  async answer(body: Buffer, caller: AuthenticatedCaller, log: LogSink, arrivedMs: number = performance.now(), path = '/', contentType?: string): Promise<PdpAnswer> {
    const input: CodecInput = { path, body, ...(contentType === undefined ? {} : { contentType }) };
    const codec = this.codecs.find((c) => c.accepts(input));
    if (codec === undefined) return { status: 404, contentType: 'text/plain; charset=UTF-8', body: 'no protocol of this service answers this request\n' };
    return this.answerWith(codec, input, caller, log, arrivedMs);
  }

  /**
   * One request in one protocol: what every route does, whatever its codec (PEPd's and AuthZEN's routes call it
   * with their own codec).
   */
  async answerWith(codec: ProtocolCodec, input: CodecInput, caller: AuthenticatedCaller, log: LogSink, arrivedMs: number = performance.now()): Promise<PdpAnswer> {
    const context = (): EncodeContext => ({ now: this.options.clock(), newId: this.options.newId, callerDn: caller.dn });
    const refuse = (refusal: TransportRefusal): PdpAnswer => wire(encodeRefusal(codec, refusal, context()));
    const decider = this.options.decider();
    // Not ready (database still opening): a Server fault makes clients try their next endpoint.
    if (!decider) return refuse({ httpStatus: 503, message: 'the service is starting and cannot decide yet' });
    const limits = this.requestLimits;
    // Beyond the bound a request is refused at once rather than queued: clients fail over to their next endpoint,
    // and the ones already admitted keep their latency.
    if (this.inFlight >= limits.maxConcurrentDecisions) {
      this.options.metrics.overload('busy');
      return refuse({ httpStatus: 503, message: 'OVERLOAD_TOO_MANY_DECISIONS: too many requests in progress; try again or another endpoint' });
    }
    this.inFlight += 1;
    const deadline = new RequestDeadline(arrivedMs + limits.requestDeadlineMs, () => performance.now());
    let release: (() => void) | undefined;
    try {
      if (input.body.length > limits.expensiveBodyBytes) {
        try {
          release = await this.turns.acquire(caller.dn.canonicalKey(), deadline.signal);
        } catch {
          return refuse(this.tooLate(log, 'waiting for its turn'));
        }
      }
      if (deadline.expired) return refuse(this.tooLate(log, 'before it was read'));
      const decoded = codec.decode(input);
      if (!decoded.ok) {
        log.warn({ code: decoded.error.code, detail: decoded.error.detail, protocol: decoded.error.protocol ?? codec.protocol }, 'undecodable request');
        return wire(codec.encodeError(decoded.error, context()));
      }
      // A message the protocol answers without a decision (PRIMA RequestDenied): nothing decided, nothing recorded.
      if (decoded.value.answerWithoutDecision !== undefined) return wire(codec.encode(decoded.value, decoded.value.answerWithoutDecision, context()));
      const started = performance.now();
      // The caller first (a literal that starts with a spread costs a hidden class per request: docs/architecture.md,
      // "Object literals on the request path"); a query carries no caller, and one that did is not believed.
      const request: AuthzRequest = { caller, ...decoded.value.query };
      if (request.caller !== caller) throw new Error('a decoded query named its own caller');
      const options: DecideOptions = { deadline };
      const { result } = await deadline.race(decider.decide(request, this.options.clock(), options), () => ({ result: this.lateResult(deadline, log) }));
      this.audit(log, request, result, started);
      const answer = codec.encode(decoded.value, result, context());
      if (answer.httpStatus >= 500) log.error({ decisionId: result.decisionId, status: answer.httpStatus }, 'the decision could not be encoded (e.g. signing failed)');
      return wire(answer);
    } catch (err) {
      log.error({ err: { message: (err as Error).message } }, 'authorization request failed');
      return refuse({ httpStatus: 500, message: 'internal error; see the service log' });
    } finally {
      release?.();
      deadline.dispose();
      this.inFlight -= 1;
    }
  }

  /** The deadline passed before the request was decoded: a refusal clients fail over on. */
  private tooLate(log: LogSink, when: string): TransportRefusal {
    this.options.metrics.overload('deadline');
    log.warn({ code: DEADLINE_REASON }, `request deadline passed ${when}`);
    return { httpStatus: 503, message: `${DEADLINE_REASON}: ${DEADLINE_MESSAGE}` };
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
      obligations: [],
      reasons: [DEADLINE_REASON],
    };
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

function wire(answer: EncodedAnswer): PdpAnswer {
  return { status: answer.httpStatus, contentType: answer.contentType, body: answer.body };
}

/** The PRIMA query inside an XML-family message, for the caller rule above (removed with it). */
