import type { AuthzResult } from '@gridauthz/domain';
import type { CodecInput, DecodedMessage, EncodeContext, EncodedAnswer, ProtocolCodec, TransportRefusal } from '../codec';
import type { ProtocolError, ProtocolResult } from '../errors';
import { encodeSoapFault } from '../soap/envelope';
import { XmlParseStep } from '../xml/parse-step';
import { decodeParsedXacmlQuery } from './decode';
import type { DecodedQuery } from './decode';
import type { XacmlDialect } from './dialects';
import { XACML_DIALECTS } from './dialects';
import { encodeProtocolError, encodeSignedXacmlResponse, encodeXacmlResponse } from './encode';
import type { RequestSignaturePolicy, ResponseSigningKey } from './signature';

export const SAML2_XACML2 = 'saml2-xacml2';
export const XML_CONTENT_TYPE = 'text/xml; charset=UTF-8';

export interface Saml2XacmlCodecOptions {
  /** The shared parse step of the XML family (one parse per request). */
  readonly xml: XmlParseStep;
  /** Our SAML issuer (entity id). */
  readonly issuer: string;
  /** When set, answers carry an enveloped signature made with this key (§7.4). */
  readonly signingKey?: ResponseSigningKey;
  /** Verify signed queries (§2.3). */
  readonly signature?: RequestSignaturePolicy;
  readonly dialects?: readonly XacmlDialect[];
  /** Inputs another codec of the XML family owns (told apart by content, any path). */
  readonly ownedElsewhere?: (input: CodecInput) => boolean;
}

/**
 * SAML2-XACML2 over SOAP 1.1 (docs/reference/saml2-xacml2.md): the XML family's catch-all, so that any XML the other
 * members do not own, malformed XML included, is answered with this protocol's SOAP fault (§2.1). The dialect of a
 * query is its own module's business (dialects/).
 */
export function saml2XacmlCodec(options: Saml2XacmlCodecOptions): ProtocolCodec<DecodedQuery> {
  const dialects = options.dialects ?? XACML_DIALECTS;
  const encodeOptions = (context: EncodeContext) => ({ issuer: options.issuer, now: context.now, idGenerator: context.newId, dialects });
  return {
    protocol: SAML2_XACML2,
    accepts: (input) => !(options.ownedElsewhere?.(input) ?? false),
    decode(input): ProtocolResult<DecodedMessage<DecodedQuery>> {
      const parsed = options.xml.of(input);
      if (!parsed.ok) return parsed;
      const decoded = decodeParsedXacmlQuery(parsed.value, options.xml.limits, { dialects, ...(options.signature ? { signature: options.signature } : {}) });
      return decoded.ok ? { ok: true, value: { query: decoded.value.request, message: decoded.value } } : decoded;
    },
    encode(decoded, result: AuthzResult, context): EncodedAnswer {
      if (options.signingKey === undefined) return { httpStatus: 200, contentType: XML_CONTENT_TYPE, body: encodeXacmlResponse(decoded.message, result, encodeOptions(context)) };
      const signed = encodeSignedXacmlResponse(decoded.message, result, { signingKey: options.signingKey, ...encodeOptions(context) });
      // The decision is recorded; the client gets a fault rather than an unsigned answer it was promised signed.
      if (!signed.ok) return { httpStatus: 500, contentType: XML_CONTENT_TYPE, body: encodeSoapFault('Server', 'the response could not be signed') };
      return { httpStatus: 200, contentType: XML_CONTENT_TYPE, body: signed.value };
    },
    encodeError(error: ProtocolError, context): EncodedAnswer {
      const answer = encodeProtocolError(error, encodeOptions(context));
      return { httpStatus: answer.httpStatus, contentType: XML_CONTENT_TYPE, body: answer.body };
    },
    encodeRefusal: soapRefusal,
  };
}

/** A Server fault: clients fail over to their next endpoint on it (§2.1, §8.1). */
export function soapRefusal(refusal: TransportRefusal): EncodedAnswer {
  return { httpStatus: refusal.httpStatus, contentType: XML_CONTENT_TYPE, body: encodeSoapFault('Server', refusal.message) };
}
