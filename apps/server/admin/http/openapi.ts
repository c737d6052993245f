import { z } from 'zod';
import { SERVICE_VERSION } from '../../version';
import * as S from './schemas';

interface Route {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI path template under /api/v1. */
  readonly path: string;
  readonly summary: string;
  readonly roles: string;
  readonly body?: z.ZodType;
  readonly query?: z.ZodObject;
  readonly status?: number;
  readonly public?: boolean;
}

/** Every admin route. The controllers and this table are checked against each other by test/admin (every route answers). */
export const ADMIN_ROUTES: readonly Route[] = [
  { method: 'get', path: '/openapi.json', summary: 'This document', roles: 'none (public)', public: true },
  { method: 'get', path: '/whoami', summary: 'The authenticated principal, role and credential', roles: 'any' },
  { method: 'get', path: '/principals', summary: 'Admin principals', roles: 'any' },
  { method: 'get', path: '/bans', summary: 'List bans (active, expired, lifted or all), filtered by kind and value', roles: 'any', query: S.BanQuery },
  { method: 'post', path: '/bans', summary: 'Ban a DN, FQAN, CA, VO, token issuer, token identity (issuer + subject) or token group (issuer + group), with reason and optional expiry', roles: 'security-officer', body: S.BanCreate, status: 201 },
  { method: 'post', path: '/bans/{id}/lift', summary: 'Lift a ban (kept in the history)', roles: 'security-officer', body: S.BanLift },
  { method: 'get', path: '/pools', summary: 'Pools', roles: 'any' },
  { method: 'get', path: '/pools/{id}', summary: 'One pool definition', roles: 'any' },
  { method: 'put', path: '/pools/{id}', summary: 'Create or change a pool', roles: 'operator', body: S.PoolPut, query: S.ForceQuery },
  { method: 'get', path: '/pools/{id}/accounts', summary: "A pool's accounts with lease state and quarantine", roles: 'any' },
  { method: 'get', path: '/groups', summary: 'Unix groups', roles: 'any' },
  { method: 'put', path: '/groups/{name}', summary: 'Create or change a unix group', roles: 'operator', body: S.GroupPut, query: S.ForceQuery },
  { method: 'get', path: '/rules', summary: 'Ordered mapping rules', roles: 'any' },
  { method: 'put', path: '/rules', summary: 'Replace the ordered rule list', roles: 'operator', body: S.RulesPut, query: S.ForceQuery },
  { method: 'post', path: '/rules', summary: 'Insert one rule (at the end, or at a position)', roles: 'operator', body: S.RuleAdd, query: S.ForceQuery },
  { method: 'delete', path: '/rules/{id}', summary: 'Remove one rule', roles: 'operator', query: S.ForceQuery },
  { method: 'get', path: '/pilot-roles', summary: 'Pilot roles', roles: 'any' },
  { method: 'put', path: '/pilot-roles/{id}', summary: 'Create or change a pilot role', roles: 'operator', body: S.PilotRolePut, query: S.ForceQuery },
  { method: 'get', path: '/callers', summary: 'Callers: pilots and trusted asserters, from the database, the configuration and legacy payload callers', roles: 'any' },
  { method: 'post', path: '/callers', summary: 'Give a caller DN a role (pilot or asserter)', roles: 'operator', body: S.CallerAdd, status: 201 },
  { method: 'post', path: '/callers/remove', summary: "Remove a caller's role, or every role of the DN", roles: 'operator', body: S.CallerRemove },
  { method: 'get', path: '/issuers', summary: 'Trusted token issuers: the settings (tokens.issuers) and the database, and which is in force', roles: 'any' },
  { method: 'post', path: '/issuers', summary: 'Trust a token issuer, with its JWKS file or HTTPS URL', roles: 'operator', body: S.TokenIssuerCreate, status: 201 },
  { method: 'post', path: '/issuers/remove', summary: 'Stop trusting a token issuer added at run time', roles: 'operator', body: S.TokenIssuerRemove },
  { method: 'get', path: '/token-links', summary: 'Token identities linked to X.509 DNs', roles: 'any' },
  { method: 'post', path: '/token-links', summary: 'Link a token identity (issuer, subject) to a DN: it is then banned and mapped as the DN', roles: 'operator', body: S.TokenLinkCreate, status: 201 },
  { method: 'post', path: '/token-links/remove', summary: 'Remove the link of a token identity', roles: 'operator', body: S.TokenLinkRemove },
  { method: 'get', path: '/leases', summary: 'Leases by pool, subject DN, subject key or account; history=true adds released ones', roles: 'any', query: S.LeaseQuery },
  {
    method: 'post',
    path: '/leases/release',
    summary: 'Release a lease (pool + subjectKey), or every lease of an account (username) or of a subject DN (optionally with primary group); each account is quarantined for admin.releaseCooldownSeconds (default 24 h) in the same transaction',
    roles: 'operator',
    body: S.LeaseRelease,
  },
  {
    method: 'post',
    path: '/leases/expire',
    summary: 'Release leases idle longer than idle (default mapping.leaseExpiry.idle), as lcg-expiregridmapdir; dryRun only lists them',
    roles: 'operator',
    body: S.LeaseExpire,
  },
  // --- opsrt: everyday verbs (issue 17.8) ---
  { method: 'delete', path: '/pools/{id}', summary: 'Delete a pool and its accounts; refused while rules or pilot roles use it, or users hold leases (unless force=true); the lease history goes into the audit row', roles: 'operator', query: S.DeleteQuery },
  { method: 'delete', path: '/groups/{name}', summary: 'Delete a unix group; refused while a rule gives it', roles: 'operator' },
  { method: 'delete', path: '/pilot-roles/{id}', summary: 'Delete a pilot role', roles: 'operator' },
  { method: 'post', path: '/mapping/what-if', summary: 'The account a decision would map (DN, FQANs) or a token identity (issuer, subject, groups; a linked one as its DN) to now, or its existing lease; leases nothing', roles: 'any', body: S.WhatIfBody },
  { method: 'post', path: '/principals', summary: 'Add an admin principal or change its role', roles: 'security-officer', body: S.PrincipalPut },
  { method: 'post', path: '/principals/remove', summary: 'Remove an admin principal (its tokens go with it)', roles: 'security-officer', body: S.PrincipalRemove },
  // --- end opsrt ---
  { method: 'get', path: '/policies', summary: 'Policy versions', roles: 'any' },
  { method: 'get', path: '/policies/{id}', summary: 'One policy version with its SPL text', roles: 'any' },
  { method: 'post', path: '/policies/validate', summary: 'Validate SPL; errors carry line and column', roles: 'any', body: S.PolicyText },
  { method: 'post', path: '/policies', summary: 'Upload a policy version (optionally activate it)', roles: 'operator', body: S.PolicyUpload, status: 201 },
  { method: 'post', path: '/policies/{id}/activate', summary: 'Activate a version', roles: 'operator' },
  { method: 'post', path: '/policies/rollback', summary: 'Re-activate the previously active version', roles: 'operator', body: S.PolicyRollback },
  { method: 'get', path: '/decisions', summary: 'Decision records by subject DN, FQAN, account (uid, username), host (name, certificate DN or source address), caller DN, decision and time range; newest first, paged by cursor (nextCursor)', roles: 'any', query: S.DecisionQuery },
  { method: 'get', path: '/audit/who', summary: 'Who ran as uid (or username) X at time T, on every host or on host Y (name, certificate DN or source address): DN, FQANs, candidate Permit records nearest first with source address and caller identity, lease history', roles: 'any', query: S.WhoQuery },
  { method: 'get', path: '/audit/log', summary: 'The admin audit trail', roles: 'any', query: S.AuditLogQuery },
  { method: 'post', path: '/tokens', summary: 'Issue a bearer token for the calling principal (certificate callers only)', roles: 'any', body: S.TokenIssue, status: 201 },
  { method: 'get', path: '/tokens', summary: "The caller's tokens", roles: 'any' },
  { method: 'delete', path: '/tokens/{id}', summary: 'Revoke one of the caller\'s tokens', roles: 'any' },
];

const problem = { $ref: '#/components/responses/Problem' };

/** The OpenAPI 3.1 document; request schemas are generated from the same zod schemas the controllers validate with. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ADMIN_ROUTES) {
    const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const query = route.query
      ? Object.entries(route.query.shape).map(([name, schema]) => ({
          name,
          in: 'query',
          required: !(schema as z.ZodType).safeParse(undefined).success,
          schema: jsonSchema(schema as z.ZodType, 'input'),
        }))
      : [];
    const operation: Record<string, unknown> = {
      operationId: `${route.method}${route.path.replace(/[{}]/g, '').replace(/[/.-](\w)/g, (_m, c: string) => c.toUpperCase())}`,
      summary: route.summary,
      description: `Roles: ${route.roles}.`,
      ...(params.length + query.length > 0 ? { parameters: [...params, ...query] } : {}),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
      responses: {
        [String(route.status ?? 200)]: { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } },
        ...(route.public ? {} : { '400': problem, '401': problem, '403': problem, '404': problem, '422': problem, '503': problem }),
      },
      ...(route.public ? { security: [] } : {}),
    };
    (paths[route.path] ??= {})[route.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'gridauthz admin API',
      version: SERVICE_VERSION,
      description:
        'Administration of a gridauthz site: bans, pools, leases, mapping rules, pilot roles, policy versions, decision records and forensics. ' +
        'Mutual TLS: a client certificate (or a proxy of it) whose end-entity DN is an admin principal, or a bearer token issued with `gridauthz admin token issue`. ' +
        'Errors are application/problem+json with a stable `code`.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ clientCertificate: [] }, { bearerToken: [] }],
    paths,
    components: {
      securitySchemes: {
        clientCertificate: { type: 'mutualTLS', description: 'X.509 certificate or RFC 3820 / legacy proxy; identity is the end-entity DN.' },
        bearerToken: { type: 'http', scheme: 'bearer', description: 'Token from POST /tokens; stored as its SHA-256.' },
      },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'status', 'code', 'title', 'detail'],
          properties: {
            type: { type: 'string' },
            status: { type: 'integer' },
            code: { type: 'string', description: 'Stable machine-readable code, e.g. ADMIN_ROLE_FORBIDDEN' },
            title: { type: 'string' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            requestId: { type: 'string' },
          },
        },
      },
      responses: {
        Problem: { description: 'An RFC 9457 problem', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      },
    },
  };
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}
