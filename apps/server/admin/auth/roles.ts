import { SetMetadata } from '@nestjs/common';
import type { AdminRole } from '@gridauthz/persistence';

export const ROLES_KEY = 'gridauthz:admin-roles';
export const PUBLIC_KEY = 'gridauthz:admin-public';

/** Roles allowed to call the route. Every authenticated role may read; writes name their role. */
export const Roles = (...roles: AdminRole[]) => SetMetadata(ROLES_KEY, roles);
export const READ_ROLES: AdminRole[] = ['security-officer', 'operator', 'auditor'];
/** Bans are the security officer's. */
export const BAN_ROLES: AdminRole[] = ['security-officer'];
/** Pools, leases, mapping rules, pilot roles and policies are the operator's. */
export const OPERATOR_ROLES: AdminRole[] = ['operator'];

/** A route that needs no credentials (the OpenAPI document). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
