import type { CodecInput, DecodedMessage, EncodedAnswer, ProtocolCodec } from './codec';
import type { ProtocolResult } from './errors';
import { primaCodec } from './prima/codec';
import type { PrimaCodecOptions } from './prima/codec';
import { saml2XacmlCodec, soapRefusal } from './saml2-xacml2/codec';
import type { Saml2XacmlCodecOptions } from './saml2-xacml2/codec';
import { XmlParseStep } from './xml/parse-step';
import type { XmlLimits } from './xml/safe-parse';

export interface XmlFamilyOptions {
  readonly limits: XmlLimits;
  readonly saml2Xacml2: Omit<Saml2XacmlCodecOptions, 'xml' | 'ownedElsewhere'>;
  readonly prima: Omit<PrimaCodecOptions, 'xml'>;
  /** For tests: count parses. */
  readonly parseStep?: XmlParseStep;
}

interface FamilyMessage {
  readonly member: ProtocolCodec;
  readonly decoded: DecodedMessage;
}

/**
 * The SOAP/XML protocols of the PDP listener as one codec (docs/architecture.md, "Codecs"): the body is parsed once
 * (XmlParseStep) and its content, not its path, picks the member: PRIMA when the Body holds a SAMLRequest, otherwise
 * SAML2-XACML2 (saml2-xacml2.md §2.2, prima-saml1.md §2). Choosing this codec costs nothing (no parse), so the
 * transport may choose it before its overload checks; the parse happens in decode, after them.
 */
export function xmlCodecFamily(options: XmlFamilyOptions): ProtocolCodec<FamilyMessage> & { readonly members: readonly ProtocolCodec[] } {
  const xml = options.parseStep ?? new XmlParseStep(options.limits);
  const prima = primaCodec(Object.assign({}, options.prima, { xml }));
  const saml = saml2XacmlCodec(Object.assign({}, options.saml2Xacml2, { xml, ownedElsewhere: (input: CodecInput) => prima.accepts(input) }));
  const members: readonly ProtocolCodec[] = [prima as ProtocolCodec, saml as ProtocolCodec];
  const memberFor = (input: CodecInput): ProtocolCodec => members.find((m) => m.accepts(input)) ?? (saml as ProtocolCodec);
  return {
    protocol: 'xml',
    members,
    // SOAP clients use any path and disagree on content types (saml2-xacml2.md §2.1, §2.2): list this family last.
    accepts: () => true,
    decode(input): ProtocolResult<DecodedMessage<FamilyMessage>> {
      let member: ProtocolCodec;
      let decoded: ProtocolResult<DecodedMessage>;
      try {
        member = memberFor(input);
        decoded = member.decode(input);
      } finally {
        // The tree is read only here; the request outlives it by the whole decision (XmlParseStep.release).
        xml.release(input);
      }
      if (!decoded.ok) {
        const { code, detail, queryId, protocol } = decoded.error;
        return { ok: false, error: { code, detail, queryId, protocol: protocol ?? member.protocol } };
      }
      const { query, answerWithoutDecision } = decoded.value;
      return { ok: true, value: { query, message: { member, decoded: decoded.value }, ...(answerWithoutDecision === undefined ? {} : { answerWithoutDecision }) } };
    },
    encode: (decoded, result, context): EncodedAnswer => decoded.message.member.encode(decoded.message.decoded, result, context),
    encodeError: (error, context): EncodedAnswer => (members.find((m) => m.protocol === error.protocol) ?? (saml as ProtocolCodec)).encodeError(error, context),
    encodeRefusal: soapRefusal,
  };
}
