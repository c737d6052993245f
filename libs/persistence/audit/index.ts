export { AdminAuditRepository, AUDIT_CHANNELS, audited, localActor, systemActor } from './admin-audit-repository';
export type { AdminActor, AdminAuditEntry, AdminAuditFilter, AdminAuditRow, AuditChange, AuditChannel, AuditContext, AuditedTransaction } from './admin-audit-repository';
