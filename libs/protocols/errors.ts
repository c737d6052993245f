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

/** SOAP faultcode for an error: only our own failures are Server faults (§2.1). */
export function faultCodeFor(code: ProtocolErrorCode): 'Client' | 'Server' {
  return code === ProtocolErrorCodes.PROTO_SIGNING_FAILED ? 'Server' : 'Client';
}
