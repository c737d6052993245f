import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { validatePayload } from '../../test-support/xmllint';

export const SAML11_PROTOCOL_SCHEMA = 'cs-sstc-schema-protocol-1.1.xsd';

/**
 * xmllint verdict on the first samlp:Request or samlp:Response of a PRIMA SOAP message against the SAML 1.1
 * protocol schema. The element sits inside the ogsa wrapper, so it is lifted out and handed to the lib's
 * validator in a bare envelope of its own.
 */
export function validateSaml1(envelope: string, localName: 'Request' | 'Response'): { valid: boolean; output: string } {
  const doc = new DOMParser().parseFromString(envelope, 'text/xml');
  const element = doc.getElementsByTagNameNS('urn:oasis:names:tc:SAML:1.0:protocol', localName)[0];
  if (element === undefined) throw new Error(`no samlp:${localName}`);
  const inner = new XMLSerializer().serializeToString(element);
  return validatePayload(`<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>${inner}</e:Body></e:Envelope>`, SAML11_PROTOCOL_SCHEMA);
}
