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
  // policy language (policy-language.md)
  POLICY_LEXICAL: 'POLICY_LEXICAL',
  POLICY_SYNTAX: 'POLICY_SYNTAX',
  POLICY_TRAILING_TEXT: 'POLICY_TRAILING_TEXT',
  POLICY_COMMENT_HASH: 'POLICY_COMMENT_HASH',
  POLICY_UNKNOWN_ATTRIBUTE: 'POLICY_UNKNOWN_ATTRIBUTE',
  POLICY_BAD_VALUE: 'POLICY_BAD_VALUE',
  POLICY_UNSUPPORTED_REGEX: 'POLICY_UNSUPPORTED_REGEX',
  POLICY_DUPLICATE: 'POLICY_DUPLICATE',
  POLICY_NEVER_MATCHES: 'POLICY_NEVER_MATCHES',
  POLICY_SLOW_REGEX: 'POLICY_SLOW_REGEX',
  POLICY_NOT_STANDALONE: 'POLICY_NOT_STANDALONE',
  POLICY_TOO_LARGE: 'POLICY_TOO_LARGE',
  POLICY_CASES_INVALID: 'POLICY_CASES_INVALID',
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
