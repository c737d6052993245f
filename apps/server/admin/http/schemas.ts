import { z } from 'zod';

/** Request schemas of the admin API; strict, so unknown fields are refused. The OpenAPI document is derived from them. */
const text = z.string().trim().min(1).max(4096);
// ISO 8601 with a zone; seconds optional (`2026-11-20T14:05Z`, as security officers type it).
const isoTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/, 'expected an ISO 8601 time with a zone, e.g. 2026-11-20T14:05Z')
  .refine((v) => !Number.isNaN(Date.parse(v)), 'not a valid time');
const intString = z.coerce.number().int();

const BAN_KIND = z.enum(['dn', 'fqan', 'ca', 'vo', 'issuer', 'token', 'token-group']);
/** Token bans (docs/mapping-tokens.md): `issuer` names the iss in value; `token` and `token-group` name it in issuer. */
export const BanCreate = z.strictObject({
  kind: BAN_KIND,
  value: text,
  issuer: text.optional(),
  reason: text,
  expiresAt: isoTime.optional(),
});
export const BanLift = z.strictObject({ reason: text });
export const BanQuery = z.strictObject({
  state: z.enum(['active', 'lifted', 'expired', 'all']).default('active'),
  kind: BAN_KIND.optional(),
  value: z.string().max(4096).optional(),
});

const rangeMembers = z.strictObject({
  kind: z.literal('range'),
  prefix: z.string().min(1).max(28),
  count: z.number().int().positive().max(100_000),
  firstUid: z.number().int().nonnegative(),
  width: z.number().int().positive().max(10),
  gid: z.number().int().nonnegative(),
  firstIndex: z.number().int().nonnegative().optional(),
});
const listMembers = z.strictObject({
  kind: z.literal('list'),
  accounts: z.array(z.strictObject({ username: z.string().min(1).max(32), uid: z.number().int().nonnegative(), gid: z.number().int().nonnegative() })).max(100_000),
});
export const PoolPut = z.strictObject({ kind: z.enum(['user', 'pilot', 'static']), members: z.discriminatedUnion('kind', [rangeMembers, listMembers]) });
export const GroupPut = z.strictObject({ gid: z.number().int().nonnegative() });

export const Rule = z.strictObject({
  id: text,
  subject: z.strictObject({ kind: z.enum(['dn', 'fqan', 'token', 'issuer', 'token-group']), pattern: text, issuer: text.optional() }),
  account: z
    .discriminatedUnion('kind', [z.strictObject({ kind: z.literal('pool'), poolId: text }), z.strictObject({ kind: z.literal('static'), username: text })])
    .optional(),
  groups: z.array(text).max(64).optional(),
});
export const RulesPut = z.strictObject({ rules: z.array(Rule).max(10_000) });
export const RuleAdd = z.strictObject({ rule: Rule, position: z.number().int().nonnegative().optional() });
export const PilotRolePut = z.strictObject({ fqanPattern: text.regex(/^\//, 'an FQAN pattern starts with /'), poolId: text });

export const LeaseQuery = z.strictObject({
  pool: z.string().max(64).optional(),
  subject: z.string().max(4096).optional(),
  subjectKey: z.string().max(4096).optional(),
  username: z.string().max(64).optional(),
  history: z.enum(['true', 'false']).optional(),
  limit: intString.min(1).max(10_000).optional(),
});
/**
 * One lease by (pool, subjectKey), or every live lease of an account (username) or of a person (subject DN, optionally
 * only with primary group `group`), optionally within one pool.
 */
export const LeaseRelease = z
  .strictObject({
    pool: text.optional(),
    subjectKey: text.optional(),
    username: z.string().trim().min(1).max(64).optional(),
    subject: text.optional(),
    group: z.string().trim().min(1).max(64).optional(),
    reason: text,
  })
  .refine((b) => [b.subjectKey, b.username, b.subject].filter((x) => x !== undefined).length === 1, 'give exactly one of subjectKey, username and subject')
  .refine((b) => b.subjectKey === undefined || b.pool !== undefined, 'subjectKey needs pool')
  .refine((b) => b.group === undefined || b.subject !== undefined, 'group needs subject');
/** Run lease expiry now; idle defaults to mapping.leaseExpiry.idle. */
export const LeaseExpire = z.strictObject({ idle: z.string().trim().regex(/^[0-9]{1,9}[smhd]$/, 'a duration such as 240h or 10d').optional(), dryRun: z.boolean().default(false) });

export const PolicyText = z.strictObject({ text: z.string().min(1).max(1_000_000) });
export const PolicyUpload = z.strictObject({ text: z.string().min(1).max(1_000_000), comment: z.string().max(1000).default(''), activate: z.boolean().default(false) });
export const PolicyRollback = z.strictObject({ reason: z.string().max(1000).optional() });

export const DecisionQuery = z.strictObject({
  /** Subject DN (slash or RFC 2253); `subject` is the older name of the same filter. */
  dn: z.string().min(1).max(4096).optional(),
  subject: z.string().min(1).max(4096).optional(),
  fqan: z.string().min(1).max(1024).optional(),
  uid: intString.nonnegative().optional(),
  username: z.string().max(64).optional(),
  /** A host name, a host or caller certificate DN, or a source address. */
  host: z.string().min(1).max(4096).optional(),
  /** The TLS caller's DN (the PEP or client that asked). */
  caller: z.string().min(1).max(4096).optional(),
  decision: z.enum(['Permit', 'Deny', 'NotApplicable', 'Indeterminate']).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  limit: intString.min(1).max(10_000).optional(),
  /** nextCursor of the previous page. */
  cursor: z.string().min(1).max(1024).optional(),
});
export const WhoQuery = z.strictObject({
  /** uid or username (one is required). */
  uid: intString.nonnegative().optional(),
  username: z.string().min(1).max(64).optional(),
  /** Optional: a host name, a host or caller certificate DN, or a source address; without it, every host. */
  host: z.string().min(1).max(4096).optional(),
  at: isoTime,
  windowSeconds: intString.positive().max(30 * 86_400).optional(),
});
export const AuditLogQuery = z.strictObject({
  action: z.string().max(64).optional(),
  target: z.string().max(4096).optional(),
  actor: z.string().max(4096).optional(),
  channel: z.enum(['api', 'direct', 'database', 'system']).optional(),
  /** e.g. `ban.` for every ban action. */
  actionPrefix: z.string().max(64).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  limit: intString.min(1).max(10_000).optional(),
});
export const TokenIssue = z.strictObject({
  label: z.string().max(200).default(''),
  ttlSeconds: z.number().int().min(60).max(365 * 86_400).default(30 * 86_400),
});
export const Empty = z.strictObject({});

// callers (docs/callers.md)
const callerRole = z.enum(['pilot', 'asserter']);
export const CallerAdd = z.strictObject({ dn: text, role: callerRole, comment: z.string().max(1000).optional() });
export const CallerRemove = z.strictObject({ dn: text, role: callerRole.optional() });
/** `?force=true`: make a mapping change that would otherwise be refused for a warning (a static mapping onto a leased pool). */
export const ForceQuery = z.strictObject({ force: z.enum(['true', 'false']).optional() });
// --- opsrt: everyday verbs (issue 17.8) ---------------------------------------------------------------------
export const DeleteQuery = z.strictObject({ force: z.enum(['true', 'false']).optional() });
/**
 * What-if mapping: an X.509 identity `{dn, fqans?}` or a token identity `{issuer, subject, groups?}`
 * (docs/mapping-tokens.md), never both; a mixed or partial body is refused naming the field.
 */
export const WhatIfBody = z
  .strictObject({
    dn: z.string().min(1).max(4096).optional().describe('X.509 identity: the subject DN (slash or RFC 2253 form)'),
    fqans: z.array(z.string().min(1).max(1024)).max(64).optional().describe('with dn: VOMS FQANs, primary first'),
    issuer: z.string().max(4096).optional().describe("token identity: the exact iss; with subject"),
    subject: z.string().max(4096).optional().describe('token identity: the exact sub; with issuer'),
    groups: z.array(z.string().max(1024)).max(64).optional().describe('with issuer: wlcg.groups, primary first, each /name[/name...]'),
    purpose: z.enum(['pilot-or-user', 'payload']).optional(),
  })
  .superRefine((b, ctx) => {
    const x509 = (['dn', 'fqans'] as const).filter((k) => b[k] !== undefined);
    const token = (['issuer', 'subject', 'groups'] as const).filter((k) => b[k] !== undefined);
    const say = (path: string, message: string): void => ctx.addIssue({ code: 'custom', path: [path], message });
    if (x509.length > 0 && token.length > 0) say(token[0] as string, `a token identity field beside ${x509.join(', ')}: give {dn, fqans} or {issuer, subject, groups}, not both`);
    else if (x509.length === 0 && token.length === 0) say('dn', 'give {dn, fqans} or {issuer, subject, groups}');
    else if (x509.length > 0 && b.dn === undefined) say('dn', 'required with fqans');
    else if (token.length > 0 && b.issuer === undefined) say('issuer', 'required for a token identity (a sub is unique only within its issuer)');
    else if (token.length > 0 && b.subject === undefined) say('subject', 'required for a token identity');
  });
export const PrincipalPut = z.strictObject({ dn: z.string().min(1).max(4096), role: z.enum(['security-officer', 'operator', 'auditor']) });
export const PrincipalRemove = z.strictObject({ dn: z.string().min(1).max(4096) });

/** A token identity linked to a DN (docs/mapping-tokens.md, "One person, one account"). */
export const TokenLinkCreate = z.strictObject({ issuer: text, subject: text, dn: text, comment: z.string().max(4096).optional() });
export const TokenLinkRemove = z.strictObject({ issuer: text, subject: text });
/** A trusted token issuer added at run time; exactly one key source. */
export const TokenIssuerCreate = z
  .strictObject({
    issuer: text,
    jwksFile: text.optional(),
    jwksUrl: z.url({ protocol: /^https$/, error: 'jwksUrl must be an https URL' }).optional(),
    comment: z.string().max(4096).optional(),
  })
  .refine((b) => (b.jwksFile === undefined) !== (b.jwksUrl === undefined), 'give exactly one of jwksFile and jwksUrl')
  .refine((b) => b.jwksFile === undefined || b.jwksFile.startsWith('/'), 'jwksFile must be an absolute path');
export const TokenIssuerRemove = z.strictObject({ issuer: text });
