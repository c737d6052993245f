import { EMI_MAP_LOCAL_USER, attributeUri } from '@gridauthz/domain';

/** EMI Common XACML Authorization Profile identifiers (saml2-xacml2.md §5.4, §6.3). */
export const EMI = {
  profileIdAttribute: 'http://dci-sec.org/xacml/attribute/profile-id',
  /** The profile-id value of EMI Common XACML Authorization Profile v1.1 (§5.4). */
  profile: {
    commonAuthz: 'http://dci-sec.org/xacml/profile/common-authz/1.1',
    /** What ARC's emi conversion sends (saml2-xacml2.md §5.4; not defined by the profile text). */
    commonCe: 'http://dci-sec.org/xacml/profile/common-ce/1.0',
  },
  action: {
    /** The EMI wildcard action; ARC sends it when the operation names no action. */
    any: 'http://dci-sec.org/xacml/action/ANY',
  },
  subject: {
    virtualOrganization: attributeUri('emi-vo'),
    group: attributeUri('emi-group'),
    groupPrimary: attributeUri('emi-primary-group'),
    /** Role values; each Attribute's Issuer names the group the role belongs to. */
    role: attributeUri('emi-role'),
    rolePrimary: attributeUri('emi-primary-role'),
    x509SubjectIssuer: attributeUri('emi-x509-subject-issuer'),
    /** Every issuer on the chain; ARC's emi conversion sends the subject's CA here (docs/dialects.md). */
    subjectIssuer: attributeUri('emi-subject-issuer'),
    x509AuthnProfile: attributeUri('emi-x509-authn-profile'),
  },
  resource: {
    owner: attributeUri('emi-resource-owner'),
  },
  obligation: {
    mapLocalUser: EMI_MAP_LOCAL_USER,
    posix: `${EMI_MAP_LOCAL_USER}/posix`,
  },
  attribute: {
    userId: 'http://dci-sec.org/xacml/attribute/user-id',
    groupIdPrimary: 'http://dci-sec.org/xacml/attribute/group-id/primary',
    groupId: 'http://dci-sec.org/xacml/attribute/group-id',
  },
} as const;
