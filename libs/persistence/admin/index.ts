export { ADMIN_ROLES, AdminPrincipalRepository, hashAdminToken } from './admin-principal-repository';
export type { AdminPrincipal, AdminRole, IssuedToken, TokenInfo } from './admin-principal-repository';
export { BadCursorError, ForensicsRepository, normalAddress, parseHostQuery } from './forensics-repository';
export type { DecisionPage, DecisionRecordFilter, DecisionRecordView, HostQuery, LeaseHistoryEntry, WhoRanAnswer } from './forensics-repository';
export { LeaseAdministration } from './lease-admin';
export type { AccountState, LeaseListFilter, ReleaseOutcome } from './lease-admin';
