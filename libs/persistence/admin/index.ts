export { ADMIN_ROLES, AdminPrincipalRepository, hashAdminToken } from './admin-principal-repository';
export type { AdminPrincipal, AdminRole, IssuedToken, TokenInfo } from './admin-principal-repository';
export { ForensicsRepository } from './forensics-repository';
export type { DecisionRecordFilter, DecisionRecordView, LeaseHistoryEntry, WhoRanAnswer } from './forensics-repository';
export { LeaseAdministration } from './lease-admin';
export type { AccountState, LeaseListFilter, ReleaseOutcome } from './lease-admin';
export { LEASE_EXPIRY_JOB_ACTOR, runLeaseExpiry } from './lease-expiry-run';
export type { LeaseExpiryOutcome, LeaseExpiryRequest } from './lease-expiry-run';
