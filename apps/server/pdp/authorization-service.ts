import { performance } from 'node:perf_hooks';
import type { Decider } from '@gridauthz/decision';
import type { AuthzRequest, AuthzResult, LogSink } from '@gridauthz/domain';
import {
  authorizePrimaCaller,
  decodePrimaRequest,
  decodeXacmlQuery,
  encodePrimaError,
  encodePrimaResponse,
  encodeProtocolError,
  encodeSoapFault,
  encodeSignedXacmlResponse,
  encodeXacmlResponse,
  type ResponseSigningKey,
  isPrimaRequest,
  PRIMA_DEFAULT_ISSUER,
  type PrimaCallerPolicy,
  primaPermitUnreadable,
  type XmlLimits,
} from '@gridauthz/protocols';
import type { MetricsSink } from '../metrics/service-metrics';
import type { AuthenticatedCaller } from '../tls/caller-authenticator';

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
  constructor(private readonly options: AuthorizationServiceOptions) {}

  async answer(body: Buffer, caller: AuthenticatedCaller, log: LogSink): Promise<SoapAnswer> {
    const decider = this.options.decider();
    // Not ready (database still opening): a Server fault makes clients try their next endpoint.
    if (!decider) return { status: 503, body: encodeSoapFault('Server', 'the service is starting and cannot decide yet') };
    try {
      // SAML2-XACML2 is nearly all the traffic: decode it first and look for PRIMA only in what is not a query,
      // so the common request is parsed once.
      const decoded = decodeXacmlQuery(body, this.options.limits);
      if (!decoded.ok && decoded.error.code === 'PROTO_NOT_A_QUERY' && isPrimaRequest(body, this.options.limits)) {
        return await this.prima(body, caller, decider, log);
      }
      return await this.xacml(decoded, caller, decider, log);
    } catch (err) {
      log.error({ err: { message: (err as Error).message } }, 'authorization request failed');
      return { status: 500, body: encodeSoapFault('Server', 'internal error; see the service log') };
    }
  }

  private async xacml(decoded: ReturnType<typeof decodeXacmlQuery>, caller: AuthenticatedCaller, decider: Decider, log: LogSink): Promise<SoapAnswer> {
    const now = this.options.clock();
    const encodeOptions = { issuer: this.options.issuer, now, idGenerator: this.options.newId };
    if (!decoded.ok) {
      log.warn({ code: decoded.error.code, detail: decoded.error.detail }, 'undecodable SAML2-XACML2 request');
      const answer = encodeProtocolError(decoded.error, encodeOptions);
      return { status: answer.httpStatus, body: answer.body };
    }
    const started = performance.now();
    const request: AuthzRequest = { ...decoded.value.request, caller };
    const { result } = await decider.decide(request, now);
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

  private async prima(body: Buffer, caller: AuthenticatedCaller, decider: Decider, log: LogSink): Promise<SoapAnswer> {
    const now = this.options.clock();
    const decoded = decodePrimaRequest(body, this.options.limits);
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
    const { result } = await decider.decide(request, now, verdict.allowed ? {} : { refuseCaller: verdict.reason });
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
