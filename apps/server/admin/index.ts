export { startAdminListener } from './admin-listener';
export type { AdminListener, AdminListenerOptions } from './admin-listener';
export { ADMIN_ROUTES, openApiDocument } from './http/openapi';
