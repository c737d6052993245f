import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Dn } from '@gridauthz/domain';
import type { LeaseHistoryEntry } from '@gridauthz/persistence';
import { ProblemException } from '../../http/problem';
import { ADMIN_CONTEXT, type AdminContext } from '../admin-context';
import { ADMIN_ERRORS } from '../auth/admin-identity';
import { OPERATOR_ROLES, READ_ROLES, Roles } from '../auth/roles';
import { LeaseQuery, LeaseRelease } from '../http/schemas';
import { notFound, validate } from '../http/validate';
import { actorOf } from './actor';

/**
 * Leases. Release guarantee: the released account is quarantined until now + admin.releaseCooldownSeconds
 * (default 24 h) in the same transaction as the release, and the claim query skips quarantined accounts, so a
 * payload of the previous owner that is still queued or running never shares the uid with a new owner.
 */
@Controller('leases')
export class LeasesController {
  constructor(@Inject(ADMIN_CONTEXT) private readonly context: AdminContext) {}

  @Get()
  @Roles(...READ_ROLES)
  async list(@Query() query: unknown): Promise<{ leases: LeaseHistoryEntry[] }> {
    const q = validate(LeaseQuery, query, 'query');
    const leases = await this.context.leases().list({
      ...(q.pool !== undefined ? { pool: q.pool } : {}),
      ...(q.subject !== undefined ? { subjectDn: slashDn(q.subject) } : {}),
      ...(q.subjectKey !== undefined ? { subjectKey: q.subjectKey } : {}),
      ...(q.username !== undefined ? { username: q.username } : {}),
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
      history: q.history === 'true',
    });
    return { leases };
  }

  @Post('release')
  @HttpCode(200)
  @Roles(...OPERATOR_ROLES)
  async release(@Body() body: unknown, @Req() request: FastifyRequest): Promise<Record<string, unknown>> {
    const r = validate(LeaseRelease, body, 'body');
    const outcome = await this.context.leases().release({
      pool: r.pool,
      subjectKey: r.subjectKey,
      reason: r.reason,
      coolDownSeconds: this.context.settings.releaseCooldownSeconds,
      now: this.context.clock(),
      actor: actorOf(request),
      requestId: request.id,
    });
    if (!outcome) throw notFound(`no live lease for ${r.subjectKey} in pool ${r.pool}`);
    return { released: outcome.lease, availableAfter: outcome.availableAfter.toISOString() };
  }
}

/** Either DN form is accepted; leases are keyed by our slash rendering, which no other name shares (docs/identities.md). */
function slashDn(text: string): string {
  try {
    return Dn.parse(text).toSlash();
  } catch {
    throw new ProblemException(400, ADMIN_ERRORS.REQUEST_INVALID, 'Invalid request', `query.subject: "${text}" is not a DN`);
  }
}
