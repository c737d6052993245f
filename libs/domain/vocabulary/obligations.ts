/**
 * Obligation ids the core names (docs/architecture.md, "Obligations"): the two with which a policy asks for a local
 * account (gLite's local-environment-map, saml2-xacml2.md §6.2; EMI's map-local-user, §6.3). The codecs read them
 * from here to render the account in their own vocabulary.
 */
export const GLITE_LOCAL_ENVIRONMENT_MAP = 'http://glite.org/xacml/obligation/local-environment-map';
export const EMI_MAP_LOCAL_USER = 'http://dci-sec.org/xacml/obligation/map-local-user';
