/**
 * The SPL attribute short names (policy-language.md §4): where each one matches in an XACML request and
 * with which function. The old Argus 1.0 names `dn` and `ca` are deliberately absent (§12.9: Argus rejects them).
 */

import { ATTRIBUTE_VOCABULARY } from '@gridauthz/domain';
import type { AttributeCategory } from '@gridauthz/domain';

export type { AttributeCategory } from '@gridauthz/domain';

/** How a value is matched: §5.1 DN equality, §5.2 FQAN equality, §5.3 anchored regex, §5.4 exact string. */
export type MatchKind = 'x500Name-equal' | 'fqan-equal' | 'regexp' | 'string-equal' | 'x500Name-string-equal';

export interface AttributeDefinition {
  readonly shortName: string;
  readonly xacmlId: string;
  readonly dataType: string;
  readonly category: AttributeCategory;
  readonly match: MatchKind;
}

/** The match function of each short name; URI, data type and category come from the domain's vocabulary. */
const MATCH: readonly (readonly [string, MatchKind])[] = [
  ['subject', 'x500Name-equal'],
  ['subject-issuer', 'x500Name-equal'],
  ['x509-subject-issuer', 'x500Name-equal'],
  ['x509-authn-profile', 'regexp'],
  ['vo', 'string-equal'],
  ['fqan', 'fqan-equal'],
  ['pfqan', 'fqan-equal'],
  ['resource', 'regexp'],
  ['action', 'regexp'],
  ['pilot-classifier', 'string-equal'],
  ['emi-subject-issuer', 'x500Name-equal'],
  ['emi-x509-subject-issuer', 'x500Name-equal'],
  ['emi-x509-authn-profile', 'regexp'],
  ['emi-vo', 'string-equal'],
  ['emi-group', 'string-equal'],
  ['emi-primary-group', 'string-equal'],
  ['emi-role', 'string-equal'],
  ['emi-primary-role', 'string-equal'],
  // x500Name data type with a string-equal match (sic, §4): a request carrying it is Indeterminate (§12.8).
  ['emi-resource-owner', 'x500Name-string-equal'],
  ['oidc-issuer', 'string-equal'],
  ['oidc-organisation', 'string-equal'],
  ['oidc-subject', 'string-equal'],
  ['oidc-group', 'string-equal'],
  ['oidc-scope', 'string-equal'],
  ['oidc-user-id', 'string-equal'],
  ['oidc-client-id', 'string-equal'],
];

export const ATTRIBUTES: ReadonlyMap<string, AttributeDefinition> = new Map(
  MATCH.map(([shortName, match]) => {
    const term = ATTRIBUTE_VOCABULARY.get(shortName);
    if (term === undefined) throw new Error(`policy attribute ${shortName} is not in the domain vocabulary`);
    return [shortName, Object.freeze({ shortName, xacmlId: term.uri, dataType: term.dataType, category: term.category, match })];
  }),
);

export function attributeDefinition(shortName: string): AttributeDefinition | undefined {
  return ATTRIBUTES.get(shortName);
}

