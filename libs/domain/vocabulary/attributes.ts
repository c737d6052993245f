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

const GLITE = 'http://glite.org/xacml/attribute/';
const EMI = 'http://dci-sec.org/xacml/attribute/';
const { string: STRING, x500Name: X500, fqan: FQAN } = DATA_TYPES;

const TERMS: readonly (readonly [string, string, string, AttributeCategory])[] = [
  ['subject', 'urn:oasis:names:tc:xacml:1.0:subject:subject-id', X500, 'subject'],
  ['subject-issuer', `${GLITE}subject-issuer`, X500, 'subject'],
  ['x509-subject-issuer', `${GLITE}x509-subject-issuer`, X500, 'subject'],
  ['x509-authn-profile', `${GLITE}x509-authn-profile`, STRING, 'subject'],
  ['vo', `${GLITE}virtual-organization`, STRING, 'subject'],
  ['fqan', `${GLITE}fqan`, FQAN, 'subject'],
  ['pfqan', `${GLITE}fqan/primary`, FQAN, 'subject'],
  ['resource', 'urn:oasis:names:tc:xacml:1.0:resource:resource-id', STRING, 'resource'],
  ['action', 'urn:oasis:names:tc:xacml:1.0:action:action-id', STRING, 'action'],
  ['pilot-classifier', `${GLITE}pilot-job-classifier`, STRING, 'action'],
  ['emi-subject-issuer', `${EMI}subject-issuer`, X500, 'subject'],
  ['emi-x509-subject-issuer', `${EMI}x509-subject-issuer`, X500, 'subject'],
  ['emi-x509-authn-profile', `${EMI}x509-authn-profile`, STRING, 'subject'],
  ['emi-vo', `${EMI}virtual-organization`, STRING, 'subject'],
  ['emi-group', `${EMI}group`, STRING, 'subject'],
  ['emi-primary-group', `${EMI}group/primary`, STRING, 'subject'],
  ['emi-role', `${EMI}role`, STRING, 'subject'],
  ['emi-primary-role', `${EMI}role/primary`, STRING, 'subject'],
  ['emi-resource-owner', `${EMI}resource-owner`, X500, 'resource'],
  ['oidc-issuer', `${GLITE}oidc-issuer`, STRING, 'subject'],
  ['oidc-organisation', `${GLITE}oidc-organisation`, STRING, 'subject'],
  ['oidc-subject', `${GLITE}oidc-subject`, STRING, 'subject'],
  ['oidc-group', `${GLITE}oidc-group`, STRING, 'subject'],
  ['oidc-scope', `${GLITE}oidc-scope`, STRING, 'subject'],
  ['oidc-user-id', `${GLITE}oidc-user-id`, STRING, 'subject'],
  ['oidc-client-id', `${GLITE}oidc-client-id`, STRING, 'subject'],
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
