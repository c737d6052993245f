/**
 * Stable error and reason codes. Libraries return these as values; each transport maps them to its own
 * form (HTTP problem, SOAP fault, XACML status). Later libs add their codes here so the list stays one place.
 */
export const ErrorCodes = {
  CONFIG_INVALID: 'CONFIG_INVALID',
  // credentials (credentials.md §8)
  CRED_CHAIN_MALFORMED: 'CRED_CHAIN_MALFORMED',
  CRED_NO_CERTIFICATE: 'CRED_NO_CERTIFICATE',
  CRED_UNTRUSTED_CA: 'CRED_UNTRUSTED_CA',
  CRED_BAD_SIGNATURE: 'CRED_BAD_SIGNATURE',
  CRED_EXPIRED: 'CRED_EXPIRED',
  CRED_NOT_YET_VALID: 'CRED_NOT_YET_VALID',
  CRED_PROXY_EXPIRED: 'CRED_PROXY_EXPIRED',
  CRED_REVOKED: 'CRED_REVOKED',
  CRED_NAMESPACE_VIOLATION: 'CRED_NAMESPACE_VIOLATION',
  CRED_PROXY_NOT_ACCEPTED: 'CRED_PROXY_NOT_ACCEPTED',
  CRED_PROXY_INVALID: 'CRED_PROXY_INVALID',
  CRED_PATH_TOO_LONG: 'CRED_PATH_TOO_LONG',
  CRED_NOT_A_CA: 'CRED_NOT_A_CA',
  CRED_UNSUPPORTED_CRITICAL_EXTENSION: 'CRED_UNSUPPORTED_CRITICAL_EXTENSION',
  CRED_RESUMED_SESSION_WITHOUT_CHAIN: 'CRED_RESUMED_SESSION_WITHOUT_CHAIN',
  // storage
  STORAGE_UNAVAILABLE: 'STORAGE_UNAVAILABLE',
  // mapping
  MAPPING_POOL_EXHAUSTED: 'MAPPING_POOL_EXHAUSTED',
  // protocols (saml2-xacml2.md §2.1, §10): all but PROTO_SIGNING_FAILED are the caller's fault
  PROTO_BODY_TOO_LARGE: 'PROTO_BODY_TOO_LARGE',
  PROTO_XML_DOCTYPE: 'PROTO_XML_DOCTYPE',
  PROTO_XML_TOO_DEEP: 'PROTO_XML_TOO_DEEP',
  PROTO_XML_MALFORMED: 'PROTO_XML_MALFORMED',
  PROTO_SOAP_INVALID: 'PROTO_SOAP_INVALID',
  PROTO_NOT_A_QUERY: 'PROTO_NOT_A_QUERY',
  PROTO_QUERY_INVALID: 'PROTO_QUERY_INVALID',
  PROTO_VERSION_MISMATCH: 'PROTO_VERSION_MISMATCH',
  PROTO_SIGNATURE_MISSING: 'PROTO_SIGNATURE_MISSING',
  PROTO_SIGNATURE_INVALID: 'PROTO_SIGNATURE_INVALID',
  PROTO_SIGNATURE_ALGORITHM: 'PROTO_SIGNATURE_ALGORITHM',
  PROTO_SIGNATURE_WRAPPING: 'PROTO_SIGNATURE_WRAPPING',
  PROTO_SIGNING_FAILED: 'PROTO_SIGNING_FAILED',
  // protocol clients (prima-saml1.md §7.1): what a PEP-side decoder reports about a server's answer
  PROTO_SOAP_FAULT: 'PROTO_SOAP_FAULT',
  PROTO_RESPONSE_INVALID: 'PROTO_RESPONSE_INVALID',
  PROTO_RESPONSE_MISMATCH: 'PROTO_RESPONSE_MISMATCH',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** A failure as a value: a stable code plus a human-readable detail. */
export interface Failure<C extends string = ErrorCode> {
  readonly code: C;
  readonly detail: string;
}

export type Result<T, C extends string = ErrorCode> = { ok: true; value: T } | { ok: false; error: Failure<C> };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const fail = <C extends string>(code: C, detail: string): { ok: false; error: Failure<C> } => ({
  ok: false,
  error: { code, detail },
});
