/**
 * The SPL attribute short names (policy-language.md §4): where each one matches in an XACML request and
 * with which function. The old Argus 1.0 names `dn` and `ca` are deliberately absent (§12.9: Argus rejects them).
 */

export type AttributeCategory = 'subject' | 'resource' | 'action';

/** How a value is matched: §5.1 DN equality, §5.2 FQAN equality, §5.3 anchored regex, §5.4 exact string. */
export type MatchKind = 'x500Name-equal' | 'fqan-equal' | 'regexp' | 'string-equal' | 'x500Name-string-equal';

export interface AttributeDefinition {
  readonly shortName: string;
  readonly xacmlId: string;
  readonly dataType: string;
  readonly category: AttributeCategory;
  readonly match: MatchKind;
}

const X500 = 'urn:oasis:names:tc:xacml:1.0:data-type:x500Name';
const STRING = 'http://www.w3.org/2001/XMLSchema#string';
const FQAN = 'http://glite.org/xacml/datatype/fqan';

const table: readonly (readonly [string, string, string, AttributeCategory, MatchKind])[] = [
  ['subject', 'urn:oasis:names:tc:xacml:1.0:subject:subject-id', X500, 'subject', 'x500Name-equal'],
  ['subject-issuer', 'http://glite.org/xacml/attribute/subject-issuer', X500, 'subject', 'x500Name-equal'],
  ['x509-subject-issuer', 'http://glite.org/xacml/attribute/x509-subject-issuer', X500, 'subject', 'x500Name-equal'],
  ['x509-authn-profile', 'http://glite.org/xacml/attribute/x509-authn-profile', STRING, 'subject', 'regexp'],
  ['vo', 'http://glite.org/xacml/attribute/virtual-organization', STRING, 'subject', 'string-equal'],
  ['fqan', 'http://glite.org/xacml/attribute/fqan', FQAN, 'subject', 'fqan-equal'],
  ['pfqan', 'http://glite.org/xacml/attribute/fqan/primary', FQAN, 'subject', 'fqan-equal'],
  ['resource', 'urn:oasis:names:tc:xacml:1.0:resource:resource-id', STRING, 'resource', 'regexp'],
  ['action', 'urn:oasis:names:tc:xacml:1.0:action:action-id', STRING, 'action', 'regexp'],
  ['pilot-classifier', 'http://glite.org/xacml/attribute/pilot-job-classifier', STRING, 'action', 'string-equal'],
  ['emi-subject-issuer', 'http://dci-sec.org/xacml/attribute/subject-issuer', X500, 'subject', 'x500Name-equal'],
  ['emi-x509-subject-issuer', 'http://dci-sec.org/xacml/attribute/x509-subject-issuer', X500, 'subject', 'x500Name-equal'],
  ['emi-x509-authn-profile', 'http://dci-sec.org/xacml/attribute/x509-authn-profile', STRING, 'subject', 'regexp'],
  ['emi-vo', 'http://dci-sec.org/xacml/attribute/virtual-organization', STRING, 'subject', 'string-equal'],
  ['emi-group', 'http://dci-sec.org/xacml/attribute/group', STRING, 'subject', 'string-equal'],
  ['emi-primary-group', 'http://dci-sec.org/xacml/attribute/group/primary', STRING, 'subject', 'string-equal'],
  ['emi-role', 'http://dci-sec.org/xacml/attribute/role', STRING, 'subject', 'string-equal'],
  ['emi-primary-role', 'http://dci-sec.org/xacml/attribute/role/primary', STRING, 'subject', 'string-equal'],
  // x500Name data type with a string-equal match (sic, §4): a request carrying it is Indeterminate (§12.8).
  ['emi-resource-owner', 'http://dci-sec.org/xacml/attribute/resource-owner', X500, 'resource', 'x500Name-string-equal'],
  ['oidc-issuer', 'http://glite.org/xacml/attribute/oidc-issuer', STRING, 'subject', 'string-equal'],
  ['oidc-organisation', 'http://glite.org/xacml/attribute/oidc-organisation', STRING, 'subject', 'string-equal'],
  ['oidc-subject', 'http://glite.org/xacml/attribute/oidc-subject', STRING, 'subject', 'string-equal'],
  ['oidc-group', 'http://glite.org/xacml/attribute/oidc-group', STRING, 'subject', 'string-equal'],
  ['oidc-scope', 'http://glite.org/xacml/attribute/oidc-scope', STRING, 'subject', 'string-equal'],
  ['oidc-user-id', 'http://glite.org/xacml/attribute/oidc-user-id', STRING, 'subject', 'string-equal'],
  ['oidc-client-id', 'http://glite.org/xacml/attribute/oidc-client-id', STRING, 'subject', 'string-equal'],
];

export const ATTRIBUTES: ReadonlyMap<string, AttributeDefinition> = new Map(
  table.map(([shortName, xacmlId, dataType, category, match]) => [
    shortName,
    Object.freeze({ shortName, xacmlId, dataType, category, match }),
  ]),
);

export function attributeDefinition(shortName: string): AttributeDefinition | undefined {
  return ATTRIBUTES.get(shortName);
}

