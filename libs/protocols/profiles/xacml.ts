import { DATA_TYPES, attributeUri } from '@gridauthz/domain';

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
  subjectId: attributeUri('subject'),
  keyInfo: 'urn:oasis:names:tc:xacml:1.0:subject:key-info',
  resourceId: attributeUri('resource'),
  actionId: attributeUri('action'),
  currentDateTime: 'urn:oasis:names:tc:xacml:1.0:environment:current-dateTime',
  x500Name: DATA_TYPES.x500Name,
  status: {
    ok: 'urn:oasis:names:tc:xacml:1.0:status:ok',
    'missing-attribute': 'urn:oasis:names:tc:xacml:1.0:status:missing-attribute',
    'syntax-error': 'urn:oasis:names:tc:xacml:1.0:status:syntax-error',
    'processing-error': 'urn:oasis:names:tc:xacml:1.0:status:processing-error',
  },
} as const;

/** XML Schema data types used in attributes and assignments (§5.1), from the domain vocabulary. */
export const XS = {
  string: DATA_TYPES.string,
  integer: DATA_TYPES.integer,
  boolean: DATA_TYPES.boolean,
  dateTime: DATA_TYPES.dateTime,
  anyURI: DATA_TYPES.anyURI,
  base64Binary: DATA_TYPES.base64Binary,
} as const;
