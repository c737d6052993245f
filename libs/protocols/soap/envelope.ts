import type { Document, Element } from '@xmldom/xmldom';
import { ProtocolErrorCodes, protocolError } from '../errors';
import type { ProtocolResult } from '../errors';
import { SOAP11 } from '../profiles/soap';
import { childrenNamed, elementChildren, isElement } from '../xml/dom';
import { escapeText, xmlSafe } from '../xml/escape';

/**
 * The one element child of the SOAP 1.1 Body. Tolerant in what grid clients vary: any prefixes, Header
 * present or not (its entries are ignored, mustUnderstand included: no client sends any). A second element
 * in the Body is refused: deciding on the first of two queries answers a question the client may not have meant.
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
  const children = elementChildren(body);
  const payload = children[0];
  if (payload === undefined) return protocolError(ProtocolErrorCodes.PROTO_NOT_A_QUERY, 'SOAP Body is empty');
  if (children.length > 1) return protocolError(ProtocolErrorCodes.PROTO_QUERY_AMBIGUOUS, `SOAP Body holds ${children.length} elements; exactly one query is accepted`);
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
