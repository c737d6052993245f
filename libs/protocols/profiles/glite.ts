import { DATA_TYPES, GLITE_LOCAL_ENVIRONMENT_MAP, attributeUri } from '@gridauthz/domain';

/** gLite XACML grid-wn / grid-ce profile identifiers (saml2-xacml2.md §5.3, §6.2). */
export const GLITE = {
  profileIdAttribute: 'http://glite.org/xacml/attribute/profile-id',
  fqanDataType: DATA_TYPES.fqan,
  profile: {
    gridWn: 'http://glite.org/xacml/profile/grid-wn/1.0',
    gridCe: 'http://glite.org/xacml/profile/grid-ce/1.0',
  },
  subject: {
    virtualOrganization: attributeUri('vo'),
    fqan: attributeUri('fqan'),
    fqanPrimary: attributeUri('pfqan'),
    x509SubjectIssuer: attributeUri('x509-subject-issuer'),
    /** Every issuer on the chain (PEPd: the EEC DN too when a proxy is present); ARC cream sends the CA. */
    subjectIssuer: attributeUri('subject-issuer'),
    x509AuthnProfile: attributeUri('x509-authn-profile'),
  },
  action: {
    /** grid-wn action-id (§5.3). */
    execute: 'http://glite.org/xacml/action/execute',
    /** grid-ce job submission action-id (§5.3). */
    ceJobSubmit: 'http://glite.org/xacml/action/ce/job/submit',
    pilotJobClassifier: attributeUri('pilot-classifier'),
    /** Spelling of the C PEP API and ARC (§5.3); accepted too. */
    pilotJobClassifierMisspelt: 'http://glite.org/xacml/attribute/pilot-job-classifer',
  },
  obligation: {
    localEnvironmentMap: GLITE_LOCAL_ENVIRONMENT_MAP,
    posix: `${GLITE_LOCAL_ENVIRONMENT_MAP}/posix`,
  },
  attribute: {
    userId: 'http://glite.org/xacml/attribute/user-id',
    groupIdPrimary: 'http://glite.org/xacml/attribute/group-id/primary',
    groupId: 'http://glite.org/xacml/attribute/group-id',
  },
} as const;
