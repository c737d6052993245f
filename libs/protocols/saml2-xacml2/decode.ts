import { ProtocolErrorCodes, protocolError } from '../errors';
import type { ProtocolResult } from '../errors';
import { SAML } from '../profiles/saml';
import { XACML, XACML_SAML } from '../profiles/xacml';
import type { NamespaceFamily } from '../profiles/xacml';
import { XMLDSIG } from '../profiles/xmldsig';
import { soapBodyPayload } from '../soap/envelope';
import { attributeOf, childrenNamed, textOf } from '../xml/dom';
import { parseUntrustedXml } from '../xml/safe-parse';
import type { ParsedXml, XmlLimits } from '../xml/safe-parse';
import { readContext } from './context';
import type { XacmlContext } from './context';
import { detectDialect, XACML_DIALECTS } from './dialects';
import type { XacmlDialect } from './dialects';
import { extractQuery } from './extract';
import { verifyQuerySignature } from './signature';
import type { RequestSignaturePolicy } from './signature';
import type { AuthzQuery } from '@gridauthz/domain';

export type { XacmlAttribute, XacmlContext } from './context';
export { decodeCertificates, NOT_ONE_CHAIN } from './certificates';

export interface DecodedQuery {
  /** Namespace family of the query; the answer uses the same (§0 item 2). */
  readonly family: NamespaceFamily;
  /** Query ID verbatim (no NCName check: real clients send UUIDs), echoed as InResponseTo. */
  readonly id?: string;
  readonly issueInstant?: string;
  readonly issuer?: { readonly value: string; readonly format?: string };
  readonly returnContext: boolean;
  /** Recorded only: grid clients always send false and there are no PIPs to suppress. */
  readonly inputContextOnly: boolean;
  /** The detected dialect's name (dialects/index.ts); its module renders the answer. */
  readonly dialect: string;
  readonly context: XacmlContext;
  readonly request: AuthzQuery;
  /** Set when a signature was verified; the index into the caller's trusted certificates. */
  readonly signedBy?: number;
}

export interface DecodeOptions {
  /** The dialects to detect and read (default XACML_DIALECTS). */
  readonly dialects?: readonly XacmlDialect[];
  /** Verify ds:Signature on queries against these certificates; absent: signatures are ignored (§2.3). */
  readonly signature?: RequestSignaturePolicy;
}

// A Map, not an object literal: the namespace URI is attacker-chosen and must not reach Object.prototype.
const PROTOCOL_NS: ReadonlyMap<string, NamespaceFamily> = new Map([
  [XACML_SAML.v2.protocolNs, 'v2'],
  [XACML_SAML.os.protocolNs, 'os'],
  [XACML_SAML.osProtocolNsMisspelt, 'os'],
]);

/**
 * Decodes a SOAP-wrapped XACMLAuthzDecisionQuery. Malformed envelopes and non-queries are errors (SOAP
 * Client fault); missing or unparsable attributes are not: they become `request.defects`, so the decision
 * can answer Indeterminate in the caller's dialect (§7.3).
 */
export function decodeXacmlQuery(body: Buffer | string, limits: XmlLimits = {}, options: DecodeOptions = {}): ProtocolResult<DecodedQuery> {
  const parsed = parseUntrustedXml(body, limits);
  if (!parsed.ok) return parsed;
  return decodeParsedXacmlQuery(parsed.value, limits, options);
}

/** `decodeXacmlQuery` on a document already parsed by parseUntrustedXml (a server parses each body once). */
export function decodeParsedXacmlQuery(xml: ParsedXml, limits: XmlLimits = {}, options: DecodeOptions = {}): ProtocolResult<DecodedQuery> {
  const payload = soapBodyPayload(xml.document);
  if (!payload.ok) return payload;
  let query = payload.value;
  const family = query.namespaceURI === null ? undefined : PROTOCOL_NS.get(query.namespaceURI);
  if (family === undefined || query.localName !== XACML_SAML.queryLocalName) {
    return protocolError(ProtocolErrorCodes.PROTO_NOT_A_QUERY, 'Body does not contain an XACMLAuthzDecisionQuery');
  }
  const id = attributeOf(query, 'ID');
  const version = attributeOf(query, 'Version');
  // Missing Version is tolerated like the other client sloppiness of §0 item 6; a different one is not (§4.2).
  if (version !== undefined && version.trim() !== SAML.version) {
    return protocolError(ProtocolErrorCodes.PROTO_VERSION_MISMATCH, `SAML Version ${version} is not supported`, id);
  }

  let signedBy: number | undefined;
  if (options.signature !== undefined) {
    const signatures = childrenNamed(query, [XMLDSIG.ns], 'Signature');
    if (signatures.length === 0) {
      if (options.signature.required) return protocolError(ProtocolErrorCodes.PROTO_SIGNATURE_MISSING, 'query is not signed', id);
    } else {
      const verified = verifyQuerySignature(xml.text, xml.document, query, options.signature, limits);
      if (!verified.ok) return verified;
      // Decode what the signature covers, not the original tree: nothing unsigned can slip in.
      query = verified.value.query;
      signedBy = verified.value.keyIndex;
    }
  }

  const requests = childrenNamed(query, [XACML.contextNs], 'Request');
  const requestElement = requests[0];
  if (requestElement === undefined || requests.length > 1) {
    return protocolError(ProtocolErrorCodes.PROTO_QUERY_INVALID, 'query must contain exactly one xacml-context:Request', id);
  }
  const context = readContext(requestElement);
  const issuerElement = childrenNamed(query, [SAML.assertionNs], 'Issuer')[0];
  const issuerText = issuerElement === undefined ? '' : textOf(issuerElement).trim();
  const issuerFormat = issuerElement === undefined ? undefined : attributeOf(issuerElement, 'Format');
  const issuer = issuerText === '' ? undefined : issuerFormat === undefined ? { value: issuerText } : { value: issuerText, format: issuerFormat };
  const issueInstant = attributeOf(query, 'IssueInstant');
  const dialects = options.dialects ?? XACML_DIALECTS;
  const detected = detectDialect(context, dialects);
  const request = extractQuery(context, detected, dialects, id, issuer?.value);

  return {
    ok: true,
    value: {
      family,
      ...(id === undefined ? {} : { id }),
      ...(issueInstant === undefined ? {} : { issueInstant }),
      ...(issuer === undefined ? {} : { issuer }),
      returnContext: xsBoolean(attributeOf(query, 'ReturnContext'), false),
      inputContextOnly: xsBoolean(attributeOf(query, 'InputContextOnly'), false),
      dialect: detected.name,
      context,
      request,
      ...(signedBy === undefined ? {} : { signedBy }),
    },
  };
}

function xsBoolean(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  const v = value.trim();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return fallback;
}

