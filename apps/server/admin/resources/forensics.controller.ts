import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Dn, Fqan } from '@gridauthz/domain';
import { AdminAuditRepository, type AdminAuditRow, BadCursorError, type DecisionPage, type HostQuery, parseHostQuery, type WhoRanAnswer } from '@gridauthz/persistence';
import { ProblemException } from '../../http/problem';
import { ADMIN_CONTEXT, type AdminContext } from '../admin-context';
import { ADMIN_ERRORS, type AdminIdentity } from '../auth/admin-identity';
import { READ_ROLES, Roles } from '../auth/roles';
import { AuditLogQuery, DecisionQuery, TokenIssue, WhoQuery } from '../http/schemas';
import { notFound, validate } from '../http/validate';
import { auditOf, identityOf } from './actor';

/** Decision records, the forensic "who ran as uid X on host Y at time T", the admin audit trail, and tokens. */
@Controller()
export class ForensicsController {
  constructor(@Inject(ADMIN_CONTEXT) private readonly context: AdminContext) {}

  @Get('whoami')
  @Roles(...READ_ROLES)
  whoami(@Req() request: FastifyRequest): AdminIdentity {
    return identityOf(request);
  }

  @Get('principals')
  @Roles(...READ_ROLES)
  async principals(): Promise<{ principals: { dn: string; role: string; createdBy: string; createdAt: string }[] }> {
    const list = (await this.context.principals()?.list()) ?? [];
    return { principals: list.map((p) => ({ dn: p.dn, role: p.role, createdBy: p.createdBy, createdAt: p.createdAt.toISOString() })) };
  }

  @Get('decisions')
  @Roles(...READ_ROLES)
  async decisions(@Query() query: unknown): Promise<DecisionPage> {
    const q = validate(DecisionQuery, query, 'query');
    if (q.dn !== undefined && q.subject !== undefined) throw invalid('give dn or subject, not both');
    const subject = q.dn ?? q.subject;
    try {
      return await this.context.forensics().decisions({
        subjectDn: subject !== undefined ? parseDn('dn', subject) : undefined,
        fqan: q.fqan !== undefined ? parseFqan(q.fqan) : undefined,
        uid: q.uid,
        username: q.username,
        host: q.host !== undefined ? hostQuery(q.host) : undefined,
        callerDn: q.caller !== undefined ? parseDn('caller', q.caller) : undefined,
        decision: q.decision,
        from: q.from !== undefined ? new Date(q.from) : undefined,
        to: q.to !== undefined ? new Date(q.to) : undefined,
        limit: q.limit,
        cursor: q.cursor,
      });
    } catch (err) {
      if (err instanceof BadCursorError) throw invalid(`query.cursor: ${err.message}`);
      throw err;
    }
  }

  @Get('audit/who')
  @Roles(...READ_ROLES)
  async who(
    @Query() query: unknown,
  ): Promise<WhoRanAnswer & { question: { uid: number | null; username: string | null; host: string | null; at: string; windowSeconds: number } }> {
    const q = validate(WhoQuery, query, 'query');
    if (q.uid === undefined && q.username === undefined) throw invalid('query: give uid or username');
    const windowSeconds = q.windowSeconds ?? this.context.settings.auditWindowSeconds;
    const at = new Date(q.at);
    const answer = await this.context.forensics().whoRan({
      uid: q.uid,
      username: q.username,
      host: q.host !== undefined ? hostQuery(q.host) : undefined,
      at,
      windowSeconds,
    });
    return { question: { uid: q.uid ?? null, username: q.username ?? null, host: q.host ?? null, at: at.toISOString(), windowSeconds }, ...answer };
  }

  @Get('audit/log')
  @Roles(...READ_ROLES)
  async log(@Query() query: unknown): Promise<{ entries: AdminAuditRow[] }> {
    const q = validate(AuditLogQuery, query, 'query');
    const entries = await new AdminAuditRepository(this.context.database()).list({
      action: q.action,
      target: q.target,
      actorDn: q.actor,
      channel: q.channel,
      actionPrefix: q.actionPrefix,
      from: q.from !== undefined ? new Date(q.from) : undefined,
      to: q.to !== undefined ? new Date(q.to) : undefined,
      limit: q.limit,
    });
    return { entries };
  }

  /**
   * Issues a bearer token acting for the caller in the caller's role. Only a certificate may issue one: a token
   * minting tokens would outlive its own expiry and revocation.
   */
  @Post('tokens')
  @HttpCode(201)
  @Roles(...READ_ROLES)
  async issueToken(@Body() body: unknown, @Req() request: FastifyRequest): Promise<{ id: string; token: string; expiresAt: string; role: string }> {
    const t = validate(TokenIssue, body, 'body');
    const identity = identityOf(request);
    if (identity.credential !== 'certificate') {
      throw new ProblemException(403, ADMIN_ERRORS.TOKEN_NEEDS_CERTIFICATE, 'Certificate required', 'tokens can only be issued to a caller authenticated by certificate');
    }
    const issued = await this.context.change(auditOf(request), async (tx) => {
      const token = await tx.principals.issueToken(identity.principalId, { label: t.label, createdBy: identity.dn, ttlSeconds: t.ttlSeconds, now: this.context.clock() });
      // The secret is never audited, only the token id.
      await tx.record({ action: 'token.issue', target: token.id, after: { id: token.id, label: t.label, expiresAt: token.expiresAt.toISOString() } });
      return token;
    });
    return { id: issued.id, token: issued.token, expiresAt: issued.expiresAt.toISOString(), role: identity.role };
  }

  @Get('tokens')
  @Roles(...READ_ROLES)
  async tokens(@Req() request: FastifyRequest): Promise<{ tokens: unknown[] }> {
    const list = (await this.context.principals()?.listTokens(identityOf(request).dn)) ?? [];
    return { tokens: list };
  }

  @Delete('tokens/:id')
  @Roles(...READ_ROLES)
  async revokeToken(@Param('id') id: string, @Req() request: FastifyRequest): Promise<{ id: string; revoked: true }> {
    const identity = identityOf(request);
    await this.context.change(auditOf(request), async (tx) => {
      const revoked = await tx.principals.revokeToken(id, this.context.clock(), identity.dn);
      if (!revoked) throw notFound(`no live token ${id} of ${identity.dn}`);
      await tx.record({ action: 'token.revoke', target: id });
    });
    return { id, revoked: true };
  }
}

function invalid(detail: string): ProblemException {
  return new ProblemException(400, ADMIN_ERRORS.REQUEST_INVALID, 'Invalid request', detail);
}

function parseDn(name: string, text: string): Dn {
  try {
    return Dn.parse(text);
  } catch (err) {
    throw invalid(`query.${name}: "${text}" is not a DN (${(err as Error).message})`);
  }
}

function parseFqan(text: string): string {
  try {
    return Fqan.parse(text).toLong();
  } catch (err) {
    throw invalid(`query.fqan: "${text}" is not an FQAN (${(err as Error).message})`);
  }
}

function hostQuery(text: string): HostQuery {
  try {
    return parseHostQuery(text);
  } catch (err) {
    throw invalid(`query.host: "${text}" is neither a host name, an address nor a DN (${(err as Error).message})`);
  }
}
