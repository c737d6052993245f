/**
 * gridauthz's own XACML attribute ids (docs/authzen.md §6). No grid profile (authz-interop, gLite, EMI) nor ARC,
 * dCache or HTCondor defines an attribute for the bearer token itself (Argus's oidc-* attributes carry claims a
 * PEP already read, which a PDP cannot verify), so the token travels under this id, as one string value.
 */
export const GRIDAUTHZ = {
  subject: {
    /** The compact JWS of a WLCG / SciTokens bearer token, access-subject category, data type string. */
    bearerToken: 'http://gridauthz.org/xacml/subject/bearer-token',
  },
} as const;
