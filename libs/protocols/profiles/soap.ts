/** SOAP 1.1 (saml2-xacml2.md §3): the only envelope version grid clients speak. */
export const SOAP11 = {
  ns: 'http://schemas.xmlsoap.org/soap/envelope/',
  prefix: 'soap11',
} as const;

/** XML Schema instance, for the Statement's xsi:type. */
export const XSI = {
  ns: 'http://www.w3.org/2001/XMLSchema-instance',
  prefix: 'xsi',
} as const;

/** XML namespaces namespace, for reading xmlns attributes. */
export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
