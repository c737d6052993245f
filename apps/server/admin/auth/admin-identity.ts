import type { AdminRole } from '@gridauthz/persistence';

/** Who is calling the admin API, once a passport strategy has accepted the request. */
export interface AdminIdentity {
  readonly dn: string;
  readonly role: AdminRole;
  readonly principalId: string;
  /** 'certificate' or 'token:<id>' (the audit trail records which). */
  readonly credential: string;
  readonly viaProxy: boolean;
  /** A limited proxy (Globus: must not start jobs): it may read, never change anything (docs/limited-proxies-and-logging.md). */
  readonly limitedProxy?: boolean;
}

/** Why a strategy refused: the problem code and detail the guard renders. */
export interface AdminAuthFailure {
  readonly code: string;
  readonly detail: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    admin?: AdminIdentity;
  }
}

export const ADMIN_ERRORS = {
  /** 401: neither a client certificate nor a bearer token. */
  NO_CREDENTIALS: 'ADMIN_NO_CREDENTIALS',
  /** 401: a certificate chain that does not validate, or an unknown, expired or revoked token. */
  CREDENTIAL_INVALID: 'ADMIN_CREDENTIAL_INVALID',
  /** 403: a valid certificate whose DN is not an admin principal. */
  NOT_A_PRINCIPAL: 'ADMIN_NOT_A_PRINCIPAL',
  /** 403: the principal's role does not allow the action. */
  ROLE_FORBIDDEN: 'ADMIN_ROLE_FORBIDDEN',
  REQUEST_INVALID: 'ADMIN_REQUEST_INVALID',
  NOT_FOUND: 'ADMIN_NOT_FOUND',
  CONFIG_INVALID: 'ADMIN_CONFIG_INVALID',
  POLICY_INVALID: 'ADMIN_POLICY_INVALID',
  NOT_READY: 'ADMIN_NOT_READY',
  TOKEN_NEEDS_CERTIFICATE: 'ADMIN_TOKEN_NEEDS_CERTIFICATE',
  /** 409: lease expiry is running on another replica (leases lane). */
  LEASE_EXPIRY_RUNNING: 'ADMIN_LEASE_EXPIRY_RUNNING',
  /** 403: a write (anything but GET/HEAD) with a limited proxy; reads stay allowed. */
  LIMITED_PROXY_READ_ONLY: 'ADMIN_LIMITED_PROXY_READ_ONLY',
} as const;
