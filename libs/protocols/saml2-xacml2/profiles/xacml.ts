/** XACML 2.0 core and the SAML 2.0 profile of XACML (saml2-xacml2.md §3, §5.1, §7.3). */

/** Which family of the XACML-SAML profile a query used; the answer uses the same one (§0 item 2). */
export type NamespaceFamily = 'v2' | 'os';

export const XACML_SAML = {
  v2: {
    protocolNs: 'urn:oasis:names:tc:xacml:2.0:profile:saml2.0:v2:schema:protocol',
    assertionNs: 'urn:oasis:names:tc:xacml:2.0:profile:saml2.0:v2:schema:assertion',
  },
  os: {
    protocolNs: 'urn:oasis:xacml:2.0:saml:protocol:schema:os',
    assertionNs: 'urn:oasis:xacml:2.0:saml:assertion:schema:os',
  },
  /** Misspelt OS protocol namespace some code uses (§3); accepted on input only. */
  osProtocolNsMisspelt: 'urn:oasis:names:tc:xacml:2.0:saml:protocol:schema:os',
  protocolPrefix: 'xacml-samlp',
  assertionPrefix: 'xacml-saml',
  queryLocalName: 'XACMLAuthzDecisionQuery',
  statementType: 'XACMLAuthzDecisionStatementType',
} as const;

export const XACML = {
  contextNs: 'urn:oasis:names:tc:xacml:2.0:context:schema:os',
  contextPrefix: 'xacml-context',
  policyNs: 'urn:oasis:names:tc:xacml:2.0:policy:schema:os',
  policyPrefix: 'xacml',
  accessSubject: 'urn:oasis:names:tc:xacml:1.0:subject-category:access-subject',
  subjectId: 'urn:oasis:names:tc:xacml:1.0:subject:subject-id',
  keyInfo: 'urn:oasis:names:tc:xacml:1.0:subject:key-info',
  resourceId: 'urn:oasis:names:tc:xacml:1.0:resource:resource-id',
  actionId: 'urn:oasis:names:tc:xacml:1.0:action:action-id',
  currentDateTime: 'urn:oasis:names:tc:xacml:1.0:environment:current-dateTime',
  x500Name: 'urn:oasis:names:tc:xacml:1.0:data-type:x500Name',
  status: {
    ok: 'urn:oasis:names:tc:xacml:1.0:status:ok',
    'missing-attribute': 'urn:oasis:names:tc:xacml:1.0:status:missing-attribute',
    'syntax-error': 'urn:oasis:names:tc:xacml:1.0:status:syntax-error',
    'processing-error': 'urn:oasis:names:tc:xacml:1.0:status:processing-error',
  },
} as const;

/** XML Schema data types used in attributes and assignments (§5.1). */
export const XS = {
  string: 'http://www.w3.org/2001/XMLSchema#string',
  integer: 'http://www.w3.org/2001/XMLSchema#integer',
  boolean: 'http://www.w3.org/2001/XMLSchema#boolean',
  dateTime: 'http://www.w3.org/2001/XMLSchema#dateTime',
  anyURI: 'http://www.w3.org/2001/XMLSchema#anyURI',
  base64Binary: 'http://www.w3.org/2001/XMLSchema#base64Binary',
} as const;
