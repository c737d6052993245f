/** Authz-interop profile identifiers (saml2-xacml2.md §5.2, §6.1). */
export const AUTHZ_INTEROP = {
  /** Any attribute id under this prefix marks the authz-interop dialect (§4.4 item 3). */
  prefix: 'http://authz-interop.org/xacml/',
  subject: {
    x509Id: 'http://authz-interop.org/xacml/subject/subject-x509-id',
    x509Issuer: 'http://authz-interop.org/xacml/subject/subject-x509-issuer',
    vo: 'http://authz-interop.org/xacml/subject/vo',
    vomsFqan: 'http://authz-interop.org/xacml/subject/voms-fqan',
    vomsPrimaryFqan: 'http://authz-interop.org/xacml/subject/voms-primary-fqan',
    certChain: 'http://authz-interop.org/xacml/subject/cert-chain',
  },
  /** Issuer value on voms-primary-fqan meaning "the FQANs were not verified". */
  issuerNone: 'http://authz-interop.org/xacml/issuer/none',
  resource: {
    dnsHostName: 'http://authz-interop.org/xacml/resource/dns-host-name',
    x509Id: 'http://authz-interop.org/xacml/resource/resource-x509-id',
  },
  environment: {
    pepObligSupported: 'http://authz-interop.org/xacml/environment/pep-oblig-supported',
    pilotJob: {
      x509Id: 'http://authz-interop.org/xacml/environment/pilot-job/subject-x509-id',
      /** Misspelling in the Globus library's table (§5.2); accepted too. */
      x509IdMisspelt: 'http://authz-interop.org/xacml/environment/pilot-job/subject-x509_-id',
      x509Issuer: 'http://authz-interop.org/xacml/environment/pilot-job/subject-x509-issuer',
      vo: 'http://authz-interop.org/xacml/environment/pilot-job/vo',
      vomsFqan: 'http://authz-interop.org/xacml/environment/pilot-job/voms-fqan',
      vomsPrimaryFqan: 'http://authz-interop.org/xacml/environment/pilot-job/voms-primary-fqan',
    },
  },
  /** Obligation ids; pep-oblig-supported may also name them by their last path segment. */
  obligationPrefix: 'http://authz-interop.org/xacml/obligation/',
  obligation: {
    uidgid: 'http://authz-interop.org/xacml/obligation/uidgid',
    secondaryGids: 'http://authz-interop.org/xacml/obligation/secondary-gids',
    username: 'http://authz-interop.org/xacml/obligation/username',
    account: 'http://authz-interop.org/xacml/obligation/account',
  },
  attribute: {
    posixUid: 'http://authz-interop.org/xacml/attribute/posix-uid',
    posixGid: 'http://authz-interop.org/xacml/attribute/posix-gid',
    username: 'http://authz-interop.org/xacml/attribute/username',
    primaryGroupname: 'http://authz-interop.org/xacml/attribute/primary-groupname',
  },
  /** LCMAPS posix_enf's usual -maxsgid (§6.1). */
  maxSecondaryGids: 32,
  /** resource-id values: the plugin's -resourcetype (§5.2). */
  resourceType: {
    ce: 'http://authz-interop.org/xacml/resource/resource-type/ce',
    wn: 'http://authz-interop.org/xacml/resource/resource-type/wn',
    se: 'http://authz-interop.org/xacml/resource/resource-type/se',
  },
  /** action-id values: the plugin's -actiontype (§5.2). */
  actionType: {
    queue: 'http://authz-interop.org/xacml/action/action-type/queue',
    executeNow: 'http://authz-interop.org/xacml/action/action-type/execute-now',
    access: 'http://authz-interop.org/xacml/action/action-type/access',
  },
  /** SOAPAction of the gSOAP (SCAS/GUMS C) and Axis clients, quotes included (§2.1). */
  soapAction: '"http://www.globus.org/security/XACMLAuthorization/XACMLAuthorizationPortType/AuthorizeRequest"',
} as const;
