export { Dn, DnSyntaxError, ATTRIBUTE_OIDS, attributeTypeOid, canonicalAttributeType } from './name/dn';
export type { Ava, Rdn } from './name/dn';
export { Fqan, FqanSyntaxError } from './name/fqan';
export { ErrorCodes, ok, fail } from './error/codes';
export type { ErrorCode, Failure, Result } from './error/codes';
export type {
  Account,
  AuthzQuery,
  AuthzRequest,
  AuthzResult,
  Caller,
  DecisionValue,
  Dialect,
  PilotJob,
  RequestDefect,
} from './authz/request';
export { ACCOUNT_MAPPING_OBLIGATIONS } from './authz/subject';
export type { Obligation, ObligationAssignment, Subject, TokenIdentity } from './authz/subject';
export { silentLog } from './log/log-sink';
export type { LogSink } from './log/log-sink';
export { ATTRIBUTE_VOCABULARY, DATA_TYPES, attributeUri } from './vocabulary/attributes';
export type { AttributeCategory, AttributeTerm } from './vocabulary/attributes';
export { EMI_MAP_LOCAL_USER, GLITE_LOCAL_ENVIRONMENT_MAP } from './vocabulary/obligations';
export type { Complete } from './shape/complete';
