import type { Document, Element } from '@xmldom/xmldom';
import { ProtocolErrorCodes, protocolError } from '../errors';
import type { ProtocolResult } from '../errors';
import { SOAP11 } from '../saml2-xacml2/profiles/soap';
import { childrenNamed, elementChildren, isElement } from '../xml/dom';
import { escapeText, xmlSafe } from '../xml/escape';

/**
 * The first element child of the SOAP 1.1 Body. Tolerant in what grid clients vary: any prefixes, Header
 * present or not (its entries are ignored, mustUnderstand included: no client sends any), trailing
 * elements after the payload ignored.
 */
export function soapBodyPayload(doc: Document): ProtocolResult<Element> {
  const envelope = doc.documentElement;
  if (envelope === null || !isElement(envelope, [SOAP11.ns], 'Envelope')) {
    return protocolError(ProtocolErrorCodes.PROTO_SOAP_INVALID, 'document element is not a SOAP 1.1 Envelope');
  }
  const bodies = childrenNamed(envelope, [SOAP11.ns], 'Body');
  const body = bodies[0];
  if (body === undefined || bodies.length > 1) {
    return protocolError(ProtocolErrorCodes.PROTO_SOAP_INVALID, 'SOAP Envelope must have exactly one Body');
  }
  const payload = elementChildren(body)[0];
  if (payload === undefined) return protocolError(ProtocolErrorCodes.PROTO_NOT_A_QUERY, 'SOAP Body is empty');
  return { ok: true, value: payload };
}

/** Wraps an element (with its own namespace declarations) in a SOAP 1.1 envelope. */
export function soapEnvelope(payload: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<${SOAP11.prefix}:Envelope xmlns:${SOAP11.prefix}="${SOAP11.ns}">` +
    `<${SOAP11.prefix}:Body>${payload}</${SOAP11.prefix}:Body></${SOAP11.prefix}:Envelope>`
  );
}

/**
 * SOAP 1.1 Fault (§2.1, §11): `Client` for input we cannot decode, `Server` for our own failures. The
 * message goes to the client verbatim, so callers pass a short reason, never internal detail.
 */
export function encodeSoapFault(code: 'Client' | 'Server', message: string): string {
  return soapEnvelope(
    `<${SOAP11.prefix}:Fault><faultcode>${SOAP11.prefix}:${code}</faultcode>` +
      `<faultstring>${escapeText(xmlSafe(message))}</faultstring></${SOAP11.prefix}:Fault>`,
  );
}
