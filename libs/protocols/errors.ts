import { ErrorCodes } from '@gridauthz/domain';
import type { Failure } from '@gridauthz/domain';

export const ProtocolErrorCodes = {
  PROTO_BODY_TOO_LARGE: ErrorCodes.PROTO_BODY_TOO_LARGE,
  PROTO_XML_DOCTYPE: ErrorCodes.PROTO_XML_DOCTYPE,
  PROTO_XML_TOO_DEEP: ErrorCodes.PROTO_XML_TOO_DEEP,
  PROTO_XML_TOO_MANY_ELEMENTS: ErrorCodes.PROTO_XML_TOO_MANY_ELEMENTS,
  PROTO_XML_MALFORMED: ErrorCodes.PROTO_XML_MALFORMED,
  PROTO_SOAP_INVALID: ErrorCodes.PROTO_SOAP_INVALID,
  PROTO_NOT_A_QUERY: ErrorCodes.PROTO_NOT_A_QUERY,
  PROTO_QUERY_INVALID: ErrorCodes.PROTO_QUERY_INVALID,
  PROTO_VERSION_MISMATCH: ErrorCodes.PROTO_VERSION_MISMATCH,
  PROTO_SIGNATURE_MISSING: ErrorCodes.PROTO_SIGNATURE_MISSING,
  PROTO_SIGNATURE_INVALID: ErrorCodes.PROTO_SIGNATURE_INVALID,
  PROTO_SIGNATURE_ALGORITHM: ErrorCodes.PROTO_SIGNATURE_ALGORITHM,
  PROTO_SIGNATURE_WRAPPING: ErrorCodes.PROTO_SIGNATURE_WRAPPING,
  PROTO_SIGNING_FAILED: ErrorCodes.PROTO_SIGNING_FAILED,
  PROTO_XML_CONTROL_CHAR: ErrorCodes.PROTO_XML_CONTROL_CHAR,
  PROTO_QUERY_AMBIGUOUS: ErrorCodes.PROTO_QUERY_AMBIGUOUS,
  // The PEPd codec (docs/pepd.md §2.3, §4): Hessian framing, base64 body, the PEP model and its extraction.
  PROTO_HESSIAN_TRUNCATED: ErrorCodes.PROTO_HESSIAN_TRUNCATED,
  PROTO_HESSIAN_MALFORMED: ErrorCodes.PROTO_HESSIAN_MALFORMED,
  PROTO_HESSIAN_LIMIT: ErrorCodes.PROTO_HESSIAN_LIMIT,
  PROTO_HESSIAN_UNSUPPORTED: ErrorCodes.PROTO_HESSIAN_UNSUPPORTED,
  PROTO_PEPD_ENCODING: ErrorCodes.PROTO_PEPD_ENCODING,
  PROTO_PEPD_MODEL: ErrorCodes.PROTO_PEPD_MODEL,
  PROTO_PEPD_AMBIGUOUS: ErrorCodes.PROTO_PEPD_AMBIGUOUS,
  PROTO_PEPD_MISSING: ErrorCodes.PROTO_PEPD_MISSING,
} as const;

export type ProtocolErrorCode = (typeof ProtocolErrorCodes)[keyof typeof ProtocolErrorCodes];

/**
 * A rejected message. `queryId` is set once the query element was found, so a VersionMismatch answer can
 * carry InResponseTo.
 */
export interface ProtocolError extends Failure<ProtocolErrorCode> {
  readonly queryId?: string;
  /** The codec that refused the message, when a codec family must answer in that member's shape. */
  readonly protocol?: string;
}

/** Result shape of this lib: assignable to the domain's Result<T, ProtocolErrorCode>. */
export type ProtocolResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ProtocolError };

export function protocolError(code: ProtocolErrorCode, detail: string, queryId?: string): { ok: false; error: ProtocolError } {
  return { ok: false, error: queryId === undefined ? { code, detail } : { code, detail, queryId } };
}

/**
 * SOAP faultcode for an error: only our own failures are Server faults (§2.1). Every code is the sender's fault
 * but signing; an exhaustive table, so that a code added to ProtocolErrorCodes cannot go unmapped.
 */
const FAULT_CODES: { readonly [C in ProtocolErrorCode]: 'Client' | 'Server' } = {
  PROTO_BODY_TOO_LARGE: 'Client',
  PROTO_XML_DOCTYPE: 'Client',
  PROTO_XML_TOO_DEEP: 'Client',
  PROTO_XML_TOO_MANY_ELEMENTS: 'Client',
  PROTO_XML_MALFORMED: 'Client',
  PROTO_SOAP_INVALID: 'Client',
  PROTO_NOT_A_QUERY: 'Client',
  PROTO_QUERY_INVALID: 'Client',
  PROTO_VERSION_MISMATCH: 'Client',
  PROTO_SIGNATURE_MISSING: 'Client',
  PROTO_SIGNATURE_INVALID: 'Client',
  PROTO_SIGNATURE_ALGORITHM: 'Client',
  PROTO_SIGNATURE_WRAPPING: 'Client',
  PROTO_SIGNING_FAILED: 'Server',
  PROTO_XML_CONTROL_CHAR: 'Client',
  PROTO_QUERY_AMBIGUOUS: 'Client',
  PROTO_HESSIAN_TRUNCATED: 'Client',
  PROTO_HESSIAN_MALFORMED: 'Client',
  PROTO_HESSIAN_LIMIT: 'Client',
  PROTO_HESSIAN_UNSUPPORTED: 'Client',
  PROTO_PEPD_ENCODING: 'Client',
  PROTO_PEPD_MODEL: 'Client',
  PROTO_PEPD_AMBIGUOUS: 'Client',
  PROTO_PEPD_MISSING: 'Client',
};

export function faultCodeFor(code: ProtocolErrorCode): 'Client' | 'Server' {
  return FAULT_CODES[code] ?? 'Client';
}

/**
 * How PEPd answers a message it refused (docs/pepd.md §6): a body that does not deserialize as a Request is an
 * HTTP 500 from the servlet; a Request its validating PIPs refuse (no subject, two resources) is an Indeterminate
 * Response with processing-error, HTTP 200. Exhaustive like FAULT_CODES.
 */
const PEPD_REFUSALS: { readonly [C in ProtocolErrorCode]: 'http-500' | 'indeterminate' } = {
  PROTO_BODY_TOO_LARGE: 'http-500',
  PROTO_XML_DOCTYPE: 'http-500',
  PROTO_XML_TOO_DEEP: 'http-500',
  PROTO_XML_TOO_MANY_ELEMENTS: 'http-500',
  PROTO_XML_MALFORMED: 'http-500',
  PROTO_SOAP_INVALID: 'http-500',
  PROTO_NOT_A_QUERY: 'http-500',
  PROTO_QUERY_INVALID: 'http-500',
  PROTO_VERSION_MISMATCH: 'http-500',
  PROTO_SIGNATURE_MISSING: 'http-500',
  PROTO_SIGNATURE_INVALID: 'http-500',
  PROTO_SIGNATURE_ALGORITHM: 'http-500',
  PROTO_SIGNATURE_WRAPPING: 'http-500',
  PROTO_SIGNING_FAILED: 'http-500',
  PROTO_XML_CONTROL_CHAR: 'http-500',
  PROTO_QUERY_AMBIGUOUS: 'indeterminate',
  PROTO_HESSIAN_TRUNCATED: 'http-500',
  PROTO_HESSIAN_MALFORMED: 'http-500',
  PROTO_HESSIAN_LIMIT: 'http-500',
  PROTO_HESSIAN_UNSUPPORTED: 'http-500',
  PROTO_PEPD_ENCODING: 'http-500',
  PROTO_PEPD_MODEL: 'http-500',
  PROTO_PEPD_AMBIGUOUS: 'indeterminate',
  PROTO_PEPD_MISSING: 'indeterminate',
};

export function pepdRefusalFor(code: ProtocolErrorCode): 'http-500' | 'indeterminate' {
  return PEPD_REFUSALS[code] ?? 'http-500';
}
