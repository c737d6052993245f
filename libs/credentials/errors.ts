import { ErrorCodes } from '@gridauthz/domain';
import type { ErrorCode } from '@gridauthz/domain';

/** The credential failure codes of credentials.md §8. */
export type CredErrorCode = Extract<
  ErrorCode,
  `CRED_${
    | 'CHAIN'
    | 'CA'
    | 'CERT'
    | 'CRL'
    | 'NAMESPACE'
    | 'UNHANDLED'
    | 'PROXY'
    | 'AC'
    | 'TRUSTSTORE'
    | 'VOMSDIR'
    | 'DN'}_${string}`
>;

/** A failure as credentials.md §8 wants it: code, position in the chain (0 = leaf), subject, one-line detail. */
export interface CredFailure {
  readonly code: CredErrorCode;
  readonly detail: string;
  /** Index in the validated path, leaf = 0 (absent when the failure is not about one certificate). */
  readonly position?: number;
  /** Slash-form subject of the certificate concerned. */
  readonly subject?: string;
}

export type CredResult<T> = { ok: true; value: T } | { ok: false; error: CredFailure };

export function credFail(code: CredErrorCode, detail: string, position?: number, subject?: string): { ok: false; error: CredFailure } {
  const error: CredFailure = { code, detail, ...(position !== undefined ? { position } : {}), ...(subject !== undefined ? { subject } : {}) };
  return { ok: false, error };
}

const COARSE: Partial<Record<CredErrorCode, ErrorCode>> = {
  CRED_CHAIN_EMPTY: ErrorCodes.CRED_NO_CERTIFICATE,
  CRED_CHAIN_TOO_LONG: ErrorCodes.CRED_PATH_TOO_LONG,
  CRED_CHAIN_BROKEN: ErrorCodes.CRED_UNTRUSTED_CA,
  CRED_CA_UNKNOWN: ErrorCodes.CRED_UNTRUSTED_CA,
  CRED_CA_INVALID: ErrorCodes.CRED_NOT_A_CA,
  CRED_CA_EXPIRED: ErrorCodes.CRED_EXPIRED,
  CRED_CERT_EXPIRED: ErrorCodes.CRED_EXPIRED,
  CRED_CERT_NOT_YET_VALID: ErrorCodes.CRED_NOT_YET_VALID,
  CRED_CERT_SIGNATURE_INVALID: ErrorCodes.CRED_BAD_SIGNATURE,
  CRED_PROXY_SIGNATURE_INVALID: ErrorCodes.CRED_BAD_SIGNATURE,
  CRED_CERT_REVOKED: ErrorCodes.CRED_REVOKED,
  CRED_CRL_EXPIRED: ErrorCodes.CRED_REVOKED,
  CRED_CRL_INVALID: ErrorCodes.CRED_REVOKED,
  CRED_CRL_MISSING: ErrorCodes.CRED_REVOKED,
  CRED_NAMESPACE_DENIED: ErrorCodes.CRED_NAMESPACE_VIOLATION,
  CRED_NAMESPACE_NOT_PERMITTED: ErrorCodes.CRED_NAMESPACE_VIOLATION,
  CRED_NAMESPACE_UNDEFINED: ErrorCodes.CRED_NAMESPACE_VIOLATION,
  CRED_UNHANDLED_CRITICAL_EXTENSION: ErrorCodes.CRED_UNSUPPORTED_CRITICAL_EXTENSION,
  CRED_PROXY_EXPIRED: ErrorCodes.CRED_PROXY_EXPIRED,
  CRED_PROXY_NOT_YET_VALID: ErrorCodes.CRED_NOT_YET_VALID,
  CRED_PROXY_LIMITED_NOT_ALLOWED: ErrorCodes.CRED_PROXY_NOT_ACCEPTED,
  CRED_PROXY_LIMITED_REQUIRED: ErrorCodes.CRED_PROXY_NOT_ACCEPTED,
  CRED_PROXY_INDEPENDENT_NOT_ALLOWED: ErrorCodes.CRED_PROXY_NOT_ACCEPTED,
  CRED_PROXY_RESTRICTED_UNSUPPORTED: ErrorCodes.CRED_PROXY_NOT_ACCEPTED,
  // Kept fine at the transport too: the site must see why a valid certificate is refused (docs/identities.md).
  CRED_DN_AMBIGUOUS: ErrorCodes.CRED_DN_AMBIGUOUS,
};

/**
 * The coarse code (the older, transport-facing list in @gridauthz/domain) for a fine-grained one, for
 * transports that want fewer distinctions. Proxy structure errors fold into CRED_PROXY_INVALID, the rest of
 * the chain-structure errors into CRED_CHAIN_MALFORMED.
 */
export function coarseCode(code: CredErrorCode): ErrorCode {
  const mapped = COARSE[code];
  if (mapped) return mapped;
  if (code.startsWith('CRED_PROXY_')) return ErrorCodes.CRED_PROXY_INVALID;
  if (code.startsWith('CRED_AC_')) return code;
  return ErrorCodes.CRED_CHAIN_MALFORMED;
}
