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
  MAPPING_NO_MATCH: 'MAPPING_NO_MATCH',
  MAPPING_NO_PRIMARY_GROUP: 'MAPPING_NO_PRIMARY_GROUP',
  MAPPING_UNKNOWN_POOL: 'MAPPING_UNKNOWN_POOL',
  MAPPING_UNKNOWN_ACCOUNT: 'MAPPING_UNKNOWN_ACCOUNT',
  MAPPING_LEASE_CONFLICT: 'MAPPING_LEASE_CONFLICT',
  MAPPING_CONFIG_INVALID: 'MAPPING_CONFIG_INVALID',
  MAPPING_PILOT_POOL_DENIED: 'MAPPING_PILOT_POOL_DENIED',
  MAPPING_CALLER_NOT_WHITELISTED: 'MAPPING_CALLER_NOT_WHITELISTED',
  MAPPING_IMPORT_INVALID: 'MAPPING_IMPORT_INVALID',
  MAPPING_EXPORT_INVALID: 'MAPPING_EXPORT_INVALID',
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
