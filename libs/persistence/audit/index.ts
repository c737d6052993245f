export { AdminAuditRepository } from './admin-audit-repository';
export type { AdminActor, AdminAuditEntry, AdminAuditFilter, AdminAuditRow } from './admin-audit-repository';
