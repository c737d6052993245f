import type { AuthzQuery, Complete } from '@gridauthz/domain';
import type { DecodedMessage, EncodedAnswer, ProtocolCodec } from '../codec';
import type { ProtocolResult } from '../errors';
import { soapRefusal, XML_CONTENT_TYPE } from '../saml2-xacml2/codec';
import type { XmlParseStep } from '../xml/parse-step';
import { decodeParsedPrimaRequest, isParsedPrimaRequest } from './decode';
import type { DecodedPrimaRequest } from './decode';
import { encodePrimaError, encodePrimaResponse, primaPermitUnreadable } from './encode';
import { PRIMA_DEFAULT_ISSUER } from './profile';

export const PRIMA = 'prima';

export interface PrimaCodecOptions {
  readonly xml: XmlParseStep;
  /** Resource id PRIMA questions are decided under (they name a host, not a resource type; prima.resource). */
  readonly resource: string;
  /** Assertion Issuer; PRIMA_DEFAULT_ISSUER for parity with GUMS. */
  readonly issuer?: string;
  readonly emitGroupId?: boolean;
}

/**
 * PRIMA / GUMS SAML 1.1 (docs/reference/prima-saml1.md): a SOAP Body holding a SAMLRequest, on any path. A request
 * the client itself made unanswerable (§5.4) is answered RequestDenied without a decision; a query whose answer could
 * not carry a Permit (§5.3 b, c) is decided as a defect, so no lease is taken and the record says Indeterminate.
 */
export function primaCodec(options: PrimaCodecOptions): ProtocolCodec<DecodedPrimaRequest> {
  return {
    protocol: PRIMA,
    accepts(input) {
      const parsed = options.xml.of(input);
      return parsed.ok && isParsedPrimaRequest(parsed.value);
    },
    decode(input): ProtocolResult<DecodedMessage<DecodedPrimaRequest>> {
      const parsed = options.xml.of(input);
      if (!parsed.ok) return parsed;
      const decoded = decodeParsedPrimaRequest(parsed.value);
      if (!decoded.ok) return { ok: false, error: { code: decoded.error.code, detail: decoded.error.detail, queryId: decoded.error.queryId, protocol: PRIMA } };
      const message = decoded.value;
      if (message.kind === 'request-denied') {
        const query: AuthzQuery = { dialect: PRIMA, requestId: message.requestId, accountExpected: true, subject: {}, obligationsSupported: [], environment: {}, defects: [] };
        const answerWithoutDecision = { decisionId: message.requestId, decision: 'Deny' as const, status: 'ok' as const, statusMessage: message.reason, obligations: [], reasons: ['PRIMA_REQUEST_DENIED'] };
        return { ok: true, value: { query, message, answerWithoutDecision } };
      }
      const unreadable = primaPermitUnreadable(message);
      const request = message.request;
      // The decoded query (decode.ts) under this site's resource, every field named.
      const query: Complete<AuthzQuery> = {
        dialect: request.dialect,
        accountExpected: request.accountExpected,
        resourceNamesHost: request.resourceNamesHost,
        resourceAttributes: request.resourceAttributes,
        requestId: request.requestId,
        messageIssuer: request.messageIssuer,
        profileId: request.profileId,
        subject: request.subject,
        resource: options.resource,
        action: request.action,
        host: request.host,
        hostDn: request.hostDn,
        onBehalfOfHost: request.onBehalfOfHost,
        obligationsSupported: request.obligationsSupported,
        pilotJob: request.pilotJob,
        environment: request.environment,
        defects: unreadable === undefined ? request.defects : [...request.defects, { kind: 'missing-attribute', attribute: 'RespondWith/Action', detail: unreadable }],
      };
      return { ok: true, value: { query, message } };
    },
    encode(decoded, result, context): EncodedAnswer {
      // The answer is addressed to the TLS caller (§1.1, §5); a transport always knows it.
      if (context.callerDn === undefined) throw new Error('PRIMA answers need the caller DN as Recipient');
      const body = encodePrimaResponse(decoded.message, result, {
        issuer: options.issuer ?? PRIMA_DEFAULT_ISSUER,
        now: context.now,
        idGenerator: context.newId,
        recipient: context.callerDn,
        ...(options.emitGroupId === undefined ? {} : { emitGroupId: options.emitGroupId }),
      });
      return { httpStatus: 200, contentType: XML_CONTENT_TYPE, body };
    },
    encodeError(error): EncodedAnswer {
      const answer = encodePrimaError(error);
      return { httpStatus: answer.httpStatus, contentType: XML_CONTENT_TYPE, body: answer.body };
    },
    encodeRefusal: soapRefusal,
  };
}
