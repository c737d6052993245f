import type { AuthzQuery, AuthzResult, Dn } from '@gridauthz/domain';
import type { ProtocolError, ProtocolResult } from './errors';

/**
 * One protocol's wire format behind one interface (docs/architecture.md, "Codecs"): the PDP chooses a codec once
 * per request, decodes, hands the protocol-neutral query to the decision, and encodes the result with the same
 * codec. Adding a protocol is one codec and one list entry; nothing outside the codec knows its message shapes.
 */
export interface CodecInput {
  /** The HTTP path the request arrived on (PEPd's /authz, AuthZEN's /access/v1/evaluation; XML works on any path). */
  readonly path: string;
  readonly contentType?: string;
  readonly body: Buffer;
}

/** What the transport knows when it encodes an answer. */
export interface EncodeContext {
  readonly now: Date;
  readonly newId: () => string;
  /** The TLS caller, for answers addressed to it (PRIMA's Recipient). */
  readonly callerDn?: Dn;
}

/** An answer ready for the wire. Decisions, whatever they are, are HTTP 200; malformed input is the codec's error status. */
export interface EncodedAnswer {
  readonly httpStatus: number;
  readonly contentType: string;
  readonly body: string | Buffer;
}

/**
 * A decoded message: the protocol-neutral query, and the codec's own state needed to render the answer (request
 * ids, the dialect, the obligations the enforcement point supports). Only the codec that decoded it reads `message`.
 */
export interface DecodedMessage<M = unknown> {
  readonly query: AuthzQuery;
  readonly message: M;
  /**
   * Set when the message can be answered without a decision (a PRIMA request the client itself marked denied):
   * the transport encodes this result at once, records nothing and takes no lease.
   */
  readonly answerWithoutDecision?: AuthzResult;
}

/** The transport's own refusal, before or beside any decoding: not ready, overloaded, deadline passed, internal error. */
export interface TransportRefusal {
  /** 503: try another endpoint (not ready, overloaded, too late); 500: our own failure. */
  readonly httpStatus: 500 | 503;
  /** Short reason sent to the client verbatim (never internal detail). */
  readonly message: string;
}

export interface ProtocolCodec<M = unknown> {
  /** The protocol's name, for metrics and logs: 'saml2-xacml2', 'prima', 'pepd', 'authzen'. */
  readonly protocol: string;
  /** Whether this input is this codec's (path, content type, or content for the XML protocols). */
  accepts(input: CodecInput): boolean;
  decode(input: CodecInput): ProtocolResult<DecodedMessage<M>>;
  encode(decoded: DecodedMessage<M>, result: AuthzResult, context: EncodeContext): EncodedAnswer;
  /** The protocol's way of refusing a message it could not decode (SOAP fault, XACML status, HTTP problem). */
  encodeError(error: ProtocolError, context: EncodeContext): EncodedAnswer;
  /** The protocol's shape for a transport refusal (SOAP Server fault for the XML family); plain text when absent. */
  encodeRefusal?(refusal: TransportRefusal, context: EncodeContext): EncodedAnswer;
}

/** A transport refusal in `codec`'s shape, or plain text for a codec without one. */
export function encodeRefusal(codec: ProtocolCodec, refusal: TransportRefusal, context: EncodeContext): EncodedAnswer {
  return codec.encodeRefusal?.(refusal, context) ?? { httpStatus: refusal.httpStatus, contentType: 'text/plain; charset=UTF-8', body: `${refusal.message}\n` };
}
