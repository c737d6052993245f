/**
 * The one attribute vocabulary (docs/architecture.md, "Codecs"): each attribute the policy language names, with its
 * wire URI, XACML data type and category. The policy language reads short names from here (policy-language.md §4)
 * and the codecs read URIs from here (saml2-xacml2.md §5), so that no attribute URI is written twice.
 */

/** XACML data type URIs (saml2-xacml2.md §5.1; the gLite FQAN type §5.3). */
export const DATA_TYPES = {
  string: 'http://www.w3.org/2001/XMLSchema#string',
  integer: 'http://www.w3.org/2001/XMLSchema#integer',
  boolean: 'http://www.w3.org/2001/XMLSchema#boolean',
  dateTime: 'http://www.w3.org/2001/XMLSchema#dateTime',
  anyURI: 'http://www.w3.org/2001/XMLSchema#anyURI',
  base64Binary: 'http://www.w3.org/2001/XMLSchema#base64Binary',
  x500Name: 'urn:oasis:names:tc:xacml:1.0:data-type:x500Name',
  fqan: 'http://glite.org/xacml/datatype/fqan',
} as const;

export type AttributeCategory = 'subject' | 'resource' | 'action';

export interface AttributeTerm {
  /** The policy language's name (policy-language.md §4). */
  readonly shortName: string;
  /** The attribute id on the wire. */
  readonly uri: string;
  readonly dataType: string;
  readonly category: AttributeCategory;
}

const { string: STRING, x500Name: X500, fqan: FQAN } = DATA_TYPES;

const TERMS: readonly (readonly [string, string, string, AttributeCategory])[] = [
  ['subject', 'urn:oasis:names:tc:xacml:1.0:subject:subject-id', X500, 'subject'],
  ['subject-issuer', 'http://glite.org/xacml/attribute/subject-issuer', X500, 'subject'],
  ['x509-subject-issuer', 'http://glite.org/xacml/attribute/x509-subject-issuer', X500, 'subject'],
  ['x509-authn-profile', 'http://glite.org/xacml/attribute/x509-authn-profile', STRING, 'subject'],
  ['vo', 'http://glite.org/xacml/attribute/virtual-organization', STRING, 'subject'],
  ['fqan', 'http://glite.org/xacml/attribute/fqan', FQAN, 'subject'],
  ['pfqan', 'http://glite.org/xacml/attribute/fqan/primary', FQAN, 'subject'],
  ['resource', 'urn:oasis:names:tc:xacml:1.0:resource:resource-id', STRING, 'resource'],
  ['action', 'urn:oasis:names:tc:xacml:1.0:action:action-id', STRING, 'action'],
  ['pilot-classifier', 'http://glite.org/xacml/attribute/pilot-job-classifier', STRING, 'action'],
  ['emi-subject-issuer', 'http://dci-sec.org/xacml/attribute/subject-issuer', X500, 'subject'],
  ['emi-x509-subject-issuer', 'http://dci-sec.org/xacml/attribute/x509-subject-issuer', X500, 'subject'],
  ['emi-x509-authn-profile', 'http://dci-sec.org/xacml/attribute/x509-authn-profile', STRING, 'subject'],
  ['emi-vo', 'http://dci-sec.org/xacml/attribute/virtual-organization', STRING, 'subject'],
  ['emi-group', 'http://dci-sec.org/xacml/attribute/group', STRING, 'subject'],
  ['emi-primary-group', 'http://dci-sec.org/xacml/attribute/group/primary', STRING, 'subject'],
  ['emi-role', 'http://dci-sec.org/xacml/attribute/role', STRING, 'subject'],
  ['emi-primary-role', 'http://dci-sec.org/xacml/attribute/role/primary', STRING, 'subject'],
  ['emi-resource-owner', 'http://dci-sec.org/xacml/attribute/resource-owner', X500, 'resource'],
  ['oidc-issuer', 'http://glite.org/xacml/attribute/oidc-issuer', STRING, 'subject'],
  ['oidc-organisation', 'http://glite.org/xacml/attribute/oidc-organisation', STRING, 'subject'],
  ['oidc-subject', 'http://glite.org/xacml/attribute/oidc-subject', STRING, 'subject'],
  ['oidc-group', 'http://glite.org/xacml/attribute/oidc-group', STRING, 'subject'],
  ['oidc-scope', 'http://glite.org/xacml/attribute/oidc-scope', STRING, 'subject'],
  ['oidc-user-id', 'http://glite.org/xacml/attribute/oidc-user-id', STRING, 'subject'],
  ['oidc-client-id', 'http://glite.org/xacml/attribute/oidc-client-id', STRING, 'subject'],
];

/** Every attribute term, by short name, in the policy language's order. */
export const ATTRIBUTE_VOCABULARY: ReadonlyMap<string, AttributeTerm> = new Map(
  TERMS.map(([shortName, uri, dataType, category]) => [shortName, Object.freeze({ shortName, uri, dataType, category })]),
);

/** The wire URI of a short name; throws on a name not in the vocabulary (a programming error, caught at load). */
export function attributeUri(shortName: string): string {
  const term = ATTRIBUTE_VOCABULARY.get(shortName);
  if (term === undefined) throw new Error(`attribute vocabulary has no term "${shortName}"`);
  return term.uri;
}
